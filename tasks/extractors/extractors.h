// Answer extractors: how a raw model output becomes the answer a scorer sees. suite.json names one
// ("extractor": "command"). Each is a pure, deterministic function of the text; "" means the
// output holds no answer (scored 0, never an error).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aimicius {

using Extractor = std::string (*)(std::string_view raw_output);

// Throws InputError naming `where` and the known extractors when `name` is unknown.
Extractor find_extractor(const std::string& name, const std::string& where);
std::vector<std::string> known_extractor_names();

}  // namespace aimicius

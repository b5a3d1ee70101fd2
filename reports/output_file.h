// Where a report goes: a file (written whole, then renamed into place, so a reader never sees
// half a report and a failed write leaves any old file intact) or stdout.
#pragma once

#include <filesystem>
#include <string>

namespace aimicius {

// Writes `text` to `out`, or to stdout when `out` is empty. Throws InputError naming the file
// when it cannot be written.
void write_report_output(const std::filesystem::path& out, const std::string& text);

}  // namespace aimicius

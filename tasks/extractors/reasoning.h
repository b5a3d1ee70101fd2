// strip_reasoning: a model's reasoning removed from its raw answer before the suite's extractor
// looks for the answer (every suite does it: tasks/suite_definition.cpp). Reasoning models write
// <think>...</think> before answering; an answer's commands, queries or programs are after it.
//
// Rules, in order:
//   1. every <think>...</think> block is removed (the tags too);
//   2. a </think> left without its opening tag (templates that put "<think>" in the generation
//      prompt, so the output starts inside the reasoning) ends the reasoning: the text up to and
//      including the last one is removed;
//   3. a <think> never closed (reasoning cut by the token budget) starts reasoning that runs to the
//      end: it and what follows are removed (the answer was never written).
// Tags match exactly (lower case). Text without any tag is returned unchanged, byte for byte, so
// answers of models that do not reason (and every reference) extract as they did before.
#pragma once

#include <string>
#include <string_view>

namespace aimicius {

std::string strip_reasoning(std::string_view raw_output);

}  // namespace aimicius

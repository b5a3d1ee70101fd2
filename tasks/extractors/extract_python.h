// extract_python: the Python program in a model's raw answer (the "python_program" extractor of
// suite.json; optiflow's plan scorer then runs it and reports Code Detected when it is non-empty).
//
// Rules, first that applies:
//   1. Fenced blocks tagged python: a fence opens on a line starting with ``` at column 0; its
//      tag is the rest of that line, trimmed and lower-cased; its body runs to the next line
//      starting with ``` or to the end of the text (unclosed fence). The LAST non-blank block
//      whose tag is exactly "python", "py" or "python3" is the program.
//   2. Untagged fences (``` with no tag): the last one whose body "looks like Python" (rule 3's
//      marker test on its lines).
//   3. Bare code: the text from the first line that starts, at column 0, with a Python marker:
//      "import ", "from " (and the line contains " import "), "def ", "print(", "#!" — to the
//      end of the text.
// Otherwise: no program (nullopt). A body that is blank after trimming counts as no program.
// Deterministic and pure; line ends "\r\n" are treated like "\n".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aimicius {

std::optional<std::string> extract_python_program(std::string_view answer);

// The extractor form: the program, or "" when there is none.
std::string extract_python(std::string_view raw_output);

}  // namespace aimicius

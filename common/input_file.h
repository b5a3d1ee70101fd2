// Files the harness reads from users (suite data, checkpoints' JSON, replay answers) are untrusted.
//
// Invariants: a file read through these checks is a regular file after its symlinks are followed,
// so a directory, a FIFO (which would block forever), a device (/dev/zero: an endless read) or a
// socket is an InputError naming the file, not a hang, an exhausted memory or "Is a directory";
// whole-file reads are bounded in size; and a file a suite.json names resolves inside the suite's
// folder, so a symlink in suite data cannot pull in /proc/self/environ (the harness's secrets)
// or any other host file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace aimicius {

// The most a whole-file read (a JSON document, a JSONL file) takes into memory.
inline constexpr int64_t kMaxInputFileBytes = int64_t{1} << 30;

// Throws InputError "FILE: ..." unless `file` is a regular file (symlinks followed) of at most
// `max_bytes` bytes.
void check_input_file(const std::filesystem::path& file, int64_t max_bytes = kMaxInputFileBytes);

// The whole of `file`, after check_input_file(file, max_bytes): the one way a user's file is read
// into memory at once (JSON documents, chat templates, prompt includes, SQL scripts, vocabularies).
// Throws InputError "FILE: ..." when it cannot be read.
std::string read_input_file(const std::filesystem::path& file, int64_t max_bytes = kMaxInputFileBytes);

// Whether something is at `path` for a reader to open: a file, or a symlink even when dangling
// (opening it then says what is wrong; std::filesystem::exists follows the link and would have the
// file silently taken as absent, e.g. a checkpoint's chat template dropped).
bool input_file_present(const std::filesystem::path& path);

// `dir / relative`, where `relative` is a path a suite's data names: relative, with no "..", and
// resolving (symlinks followed) to a regular file inside `dir` resolved. Throws InputError
// "WHERE: ..." otherwise.
std::filesystem::path file_inside(const std::filesystem::path& dir, const std::string& relative,
                                  const std::string& where);

}  // namespace aimicius

// SHA-256 digests as lowercase hex, through OpenSSL's libcrypto (Debian libssl-dev).
// Used for dataset checksums, prompt hashes and model content hashes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace aimicius {

std::string sha256_hex(std::string_view data);

// Streams the file; throws InputError naming the path when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace aimicius

// Small string helpers for the simulated tools (splitting, case, padding, number parsing).
// Invariant: pure functions, no locale dependence.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace aimicius::hostsim {

std::vector<std::string> split(const std::string& text, char separator);
std::string join(const std::vector<std::string>& parts, const std::string& separator);
std::string to_lower(std::string text);
std::string to_upper(std::string text);
bool starts_with(const std::string& text, const std::string& prefix);
// "--name=value": cuts `arg` down to "--name" and returns "value"; nothing for other arguments.
std::optional<std::string> split_inline_value(std::string& arg);
bool ends_with(const std::string& text, const std::string& suffix);
std::string trim(const std::string& text);
std::optional<long> parse_long(const std::string& text);  // whole string, decimal
std::string repeat(const std::string& unit, std::size_t count);
std::string center(const std::string& text, std::size_t width, char fill);

}  // namespace aimicius::hostsim

// The log model shared by rocm-smi's outputs: titled sections of (device, key, value) entries,
// rendered as rocm-smi text ("GPU[i]\t\t: key: value" between '=' spacers), as --json
// ({"card0": {...}, "system": {...}}) or as --csv.
// Invariants: entries keep insertion order in every rendering; device -1 means "system".
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace aimicius::hostsim {

struct SmiEntry {
  int device = -1;
  std::string key;    // "" prints the value alone ("GPU[0]\t\t: value")
  std::string value;
};

struct SmiSection {
  std::string title;  // " % time GPU is busy "
  std::vector<SmiEntry> entries;
  std::function<void(std::ostream&)> custom_text;  // replaces the entry lines in text mode when set
};

inline constexpr std::size_t kRocmSmiWidth = 90;

std::string smi_spacer(const std::string& title, std::size_t width = kRocmSmiWidth);
void render_smi_text(const std::vector<SmiSection>& sections, std::ostream& out);
void render_smi_json(const std::vector<SmiSection>& sections, std::ostream& out);
void render_smi_csv(const std::vector<SmiSection>& sections, std::ostream& out);

}  // namespace aimicius::hostsim

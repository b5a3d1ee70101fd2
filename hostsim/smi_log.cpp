// Implementation of smi_log.h.
#include "hostsim/smi_log.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace aimicius::hostsim {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Group {
  std::string name;  // "card0" / "system"
  Pairs values;
};

std::vector<Group> group_entries(const std::vector<SmiSection>& sections) {
  std::vector<Group> groups;
  for (const auto& section : sections)
    for (const auto& entry : section.entries) {
      const std::string name = entry.device < 0 ? "system" : "card" + std::to_string(entry.device);
      auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.name == name; });
      if (it == groups.end()) {
        groups.push_back({name, {}});
        it = groups.end() - 1;
      }
      it->values.emplace_back(entry.key.empty() ? entry.value : entry.key, entry.value);
    }
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    return a.name != "system" && b.name == "system";
  });
  return groups;
}

std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

}  // namespace

std::string smi_spacer(const std::string& title, std::size_t width) {
  if (title.empty()) return std::string(width, '=');
  std::string text = title;
  if (text.size() % 2) text += '=';
  const std::size_t side = text.size() >= width ? 0 : (width - text.size()) / 2;
  return std::string(side, '=') + text + std::string(side, '=');
}

void render_smi_text(const std::vector<SmiSection>& sections, std::ostream& out) {
  out << "\n\n" << smi_spacer(" ROCm System Management Interface ") << '\n';
  for (const auto& section : sections) {
    out << smi_spacer(section.title) << '\n';
    if (section.custom_text) {
      section.custom_text(out);
    } else {
      for (const auto& entry : section.entries) {
        if (entry.device < 0) out << entry.key << ": " << entry.value << '\n';
        else if (entry.key.empty()) out << "GPU[" << entry.device << "]\t\t: " << entry.value << '\n';
        else out << "GPU[" << entry.device << "]\t\t: " << entry.key << ": " << entry.value << '\n';
      }
    }
    out << smi_spacer("") << '\n';
  }
  out << smi_spacer(" End of ROCm SMI Log ") << '\n';
}

// One line, Python json.dumps style separators (", " and ": "), keys in insertion order.
void render_smi_json(const std::vector<SmiSection>& sections, std::ostream& out) {
  const auto groups = group_entries(sections);
  out << '{';
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (g) out << ", ";
    out << quoted(groups[g].name) << ": {";
    for (std::size_t i = 0; i < groups[g].values.size(); ++i) {
      if (i) out << ", ";
      out << quoted(groups[g].values[i].first) << ": " << quoted(groups[g].values[i].second);
    }
    out << '}';
  }
  out << "}\n";
}

void render_smi_csv(const std::vector<SmiSection>& sections, std::ostream& out) {
  const auto groups = group_entries(sections);
  std::vector<std::string> keys;
  for (const auto& group : groups) {
    if (group.name == "system") continue;
    for (const auto& [key, value] : group.values)
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  const auto csv_cell = [](const std::string& text) {
    return text.find(',') == std::string::npos ? text : "\"" + text + "\"";
  };
  if (!keys.empty()) {
    out << "device";
    for (const auto& key : keys) out << ',' << csv_cell(key);
    out << '\n';
    for (const auto& group : groups) {
      if (group.name == "system") continue;
      out << group.name;
      for (const auto& key : keys) {
        std::string value = "N/A";
        for (const auto& [k, v] : group.values)
          if (k == key) value = v;
        out << ',' << csv_cell(value);
      }
      out << '\n';
    }
  }
  for (const auto& group : groups)
    if (group.name == "system") {
      out << "name,value\n";
      for (const auto& [k, v] : group.values) out << csv_cell(k) << ',' << csv_cell(v) << '\n';
    }
}

}  // namespace aimicius::hostsim

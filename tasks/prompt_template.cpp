#include "tasks/prompt_template.h"

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius {

PromptTemplate::PromptTemplate(std::string_view text, const std::string& where) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      pieces_.push_back({false, std::string(text.substr(pos))});
      break;
    }
    if (open > pos) pieces_.push_back({false, std::string(text.substr(pos, open - pos))});
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      throw InputError(fmt::format("{}: \"{{{{\" at offset {} is never closed by \"}}}}\"", where, open));
    std::string name(text.substr(open + 2, close - open - 2));
    const auto first = name.find_first_not_of(' ');
    const auto last = name.find_last_not_of(' ');
    name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    if (name.empty() || name.find_first_of("{} \n") != std::string::npos)
      throw InputError(fmt::format("{}: bad placeholder \"{}\" at offset {}", where,
                                   text.substr(open, close + 2 - open), open));
    pieces_.push_back({true, std::move(name)});
    pos = close + 2;
  }
}

std::vector<std::string> PromptTemplate::names() const {
  std::vector<std::string> out;
  for (const auto& p : pieces_)
    if (p.placeholder) out.push_back(p.text);
  return out;
}

std::optional<std::pair<PromptTemplate, PromptTemplate>> PromptTemplate::split_at(const std::string& name) const {
  for (size_t i = 0; i < pieces_.size(); ++i) {
    if (!pieces_[i].placeholder || pieces_[i].text != name) continue;
    std::pair<PromptTemplate, PromptTemplate> parts;
    parts.first.pieces_.assign(pieces_.begin(), pieces_.begin() + static_cast<std::ptrdiff_t>(i));
    parts.second.pieces_.assign(pieces_.begin() + static_cast<std::ptrdiff_t>(i) + 1, pieces_.end());
    return parts;
  }
  return std::nullopt;
}

std::string PromptTemplate::render(const nlohmann::json& fields, const PromptLabels& labels,
                                   const std::map<std::string, std::string>& extra,
                                   const std::string& where) const {
  std::string out;
  for (const auto& p : pieces_) {
    if (!p.placeholder) {
      out += p.text;
      continue;
    }
    if (auto it = extra.find(p.text); it != extra.end()) {
      out += it->second;
      continue;
    }
    if (p.text.rfind("label:", 0) == 0) {
      const std::string field = p.text.substr(6);
      auto value = fields.find(field);
      if (value == fields.end() || !value->is_string())
        throw InputError(fmt::format("{}: the prompt needs a string field \"{}\"", where, field));
      auto table = labels.find(field);
      const std::string v = value->get<std::string>();
      if (table == labels.end() || !table->second.count(v))
        throw InputError(fmt::format("{}: no prompt label for {} \"{}\" (suite.json prompt.labels)", where, field, v));
      out += table->second.at(v);
      continue;
    }
    auto value = fields.find(p.text);
    if (value == fields.end() || value->is_null())
      throw InputError(fmt::format("{}: the prompt needs field \"{}\", which the example lacks", where, p.text));
    out += value->is_string() ? value->get<std::string>() : value->dump();
  }
  return out;
}

}  // namespace aimicius

#include "reports/table.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/utf8.h"

namespace aimicius {
namespace {

bool looks_numeric(const std::string& cell) {
  if (cell.empty() || cell == "-") return true;
  return std::all_of(cell.begin(), cell.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == '%';
  });
}

std::vector<bool> numeric_columns(const Table& t) {
  std::vector<bool> numeric(t.headers.size(), !t.rows.empty());
  for (const auto& row : t.rows)
    for (size_t c = 0; c < row.size() && c < numeric.size(); ++c)
      numeric[c] = numeric[c] && looks_numeric(row[c]);
  return numeric;
}

// Display width in terminal columns: counts UTF-8 code points, not bytes.
size_t display_width(const std::string& s) { return utf8_length(s); }

std::string pad(const std::string& s, size_t width, bool right) {
  const size_t w = display_width(s);
  const std::string fill(width > w ? width - w : 0, ' ');
  return right ? fill + s : s + fill;
}

std::string escape_markdown(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

}  // namespace

TableFormat parse_table_format(const std::string& name) {
  if (name == "terminal") return TableFormat::kTerminal;
  if (name == "markdown" || name == "md") return TableFormat::kMarkdown;
  throw InputError(fmt::format("unknown format \"{}\" (terminal, md)", name));
}

std::string render_table(const Table& t, TableFormat format) {
  const auto numeric = numeric_columns(t);
  std::string out;
  if (format == TableFormat::kMarkdown) {
    out += "|";
    for (const auto& h : t.headers) out += " " + escape_markdown(h) + " |";
    out += "\n|";
    for (size_t c = 0; c < t.headers.size(); ++c) out += numeric[c] ? " ---: |" : " --- |";
    out += "\n";
    for (const auto& row : t.rows) {
      out += "|";
      for (const auto& cell : row) out += " " + escape_markdown(cell) + " |";
      out += "\n";
    }
    for (const auto& n : t.notes) out += "\n" + n + "\n";
    return out;
  }
  std::vector<size_t> width(t.headers.size());
  for (size_t c = 0; c < t.headers.size(); ++c) width[c] = display_width(t.headers[c]);
  for (const auto& row : t.rows)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], display_width(row[c]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t c = 0; c < cells.size(); ++c) s += (c ? "  " : "") + pad(cells[c], width[c], numeric[c]);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  out += line(t.headers);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  out += line(rule);
  for (const auto& row : t.rows) out += line(row);
  for (const auto& n : t.notes) out += n + "\n";
  return out;
}

}  // namespace aimicius

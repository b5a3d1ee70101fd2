// A plain table and its renderers: fixed-width text for terminals and GitHub Markdown. Columns
// whose cells all look numeric are right-aligned.
#pragma once

#include <string>
#include <vector>

namespace aimicius {

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;  // each row has headers.size() cells
  std::vector<std::string> notes;              // printed under the table
};

enum class TableFormat { kTerminal, kMarkdown };

// Throws InputError for a name other than "terminal" or "md" (alias "markdown").
TableFormat parse_table_format(const std::string& name);

std::string render_table(const Table& table, TableFormat format);

}  // namespace aimicius

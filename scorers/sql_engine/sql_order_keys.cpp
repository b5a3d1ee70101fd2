// sql_order_keys implementation (behaviour in the header). Works on token positions, so string
// literals, quoted names and comments are never mistaken for clauses.
#include "scorers/sql_engine/sql_order_keys.h"

#include <cctype>
#include <cstddef>

#include "scorers/sql_engine/sql_token_positions.h"

namespace aimicius {
namespace {

std::string squeezed_upper(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool all_digits(std::string_view text) {
  if (text.empty() || text.size() > 9) return false;
  for (const char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::optional<OrderKeys> order_keys(std::string_view query, const std::vector<std::string>& result_columns) {
  const std::vector<SqlToken> tokens = sql_token_positions(query);
  const std::size_t none = tokens.size();
  std::size_t last_select = none;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const SqlToken& t = tokens[i];
    if (t.depth != 0 || t.kind != SqlTokenKind::kWord) continue;
    if (t.upper == "UNION" || t.upper == "INTERSECT" || t.upper == "EXCEPT" || t.upper == "VALUES") return std::nullopt;
    if (t.upper == "SELECT") last_select = i;
  }
  if (last_select == none) return std::nullopt;

  std::size_t insert_at = none;
  std::size_t order = none;
  std::size_t limit = none;
  OrderKeys keys;
  for (std::size_t i = last_select + 1; i < tokens.size(); ++i) {
    const SqlToken& t = tokens[i];
    if (t.depth != 0 || t.kind != SqlTokenKind::kWord) continue;
    const bool clause = t.upper == "FROM" || t.upper == "WHERE" || t.upper == "GROUP" || t.upper == "HAVING" ||
                        t.upper == "WINDOW" || t.upper == "ORDER" || t.upper == "LIMIT";
    if (clause && insert_at == none) insert_at = i;
    if (t.upper == "ORDER" && i + 1 < tokens.size() && tokens[i + 1].is_word("BY") && order == none) order = i;
    if (t.upper == "LIMIT" && limit == none) limit = i;
    if (t.upper == "OFFSET" && limit != none) keys.has_offset = true;
  }
  if (order == none || (limit != none && limit < order)) return std::nullopt;
  keys.has_limit = limit != none;
  std::size_t terms_end = limit != none ? limit : none;
  while (terms_end > order + 2 && tokens[terms_end - 1].is_punct(';', query)) --terms_end;
  if (limit != none)
    for (std::size_t i = limit + 1; i < tokens.size(); ++i)
      if (tokens[i].depth == 0 && tokens[i].is_punct(',', query)) keys.has_offset = true;

  // Split the terms at depth-0 commas.
  std::size_t start = order + 2;
  for (std::size_t i = start; i <= terms_end; ++i) {
    if (i < terms_end && !(tokens[i].depth == 0 && tokens[i].is_punct(',', query))) continue;
    std::size_t end = i;
    while (end > start && tokens[end - 1].kind == SqlTokenKind::kWord &&
           (tokens[end - 1].upper == "ASC" || tokens[end - 1].upper == "DESC"))
      --end;
    if (end >= start + 2 && tokens[end - 2].is_word("NULLS") &&
        (tokens[end - 1].is_word("FIRST") || tokens[end - 1].is_word("LAST")))
      end -= 2;
    while (end > start && tokens[end - 1].kind == SqlTokenKind::kWord &&
           (tokens[end - 1].upper == "ASC" || tokens[end - 1].upper == "DESC"))
      --end;
    if (end <= start) return std::nullopt;
    for (std::size_t j = start; j < end; ++j)
      if (tokens[j].is_word("COLLATE")) return std::nullopt;
    const std::string_view term = query.substr(tokens[start].begin, tokens[end - 1].end - tokens[start].begin);
    int column = -1;
    if (end == start + 1 && all_digits(term)) {
      column = std::stoi(std::string(term)) - 1;
      if (column < 0 || column >= static_cast<int>(result_columns.size())) return std::nullopt;
    } else {
      const std::string wanted = squeezed_upper(term);
      for (std::size_t c = 0; c < result_columns.size() && column < 0; ++c)
        if (squeezed_upper(result_columns[c]) == wanted) column = static_cast<int>(c);
    }
    keys.output_column.push_back(column);
    if (column < 0) keys.appended.emplace_back(term);
    start = i + 1;
  }
  if (keys.output_column.empty()) return std::nullopt;

  std::string inserted;
  for (const auto& expression : keys.appended) inserted += ", " + expression;
  if (!inserted.empty()) inserted += " ";
  const std::size_t at = tokens[insert_at].begin;
  keys.keyed_query = std::string(query.substr(0, at)) + inserted + std::string(query.substr(at));
  keys.unlimited_keyed_query =
      limit == none ? keys.keyed_query : keys.keyed_query.substr(0, tokens[limit].begin + inserted.size());
  return keys;
}

}  // namespace aimicius

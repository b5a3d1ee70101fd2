// sql_rewrites implementation (kinds and invariants in the header). Each rewrite finds its place
// among the reference's tokens and edits the text there: edits are (begin, end, replacement)
// byte ranges applied right to left, so earlier offsets stay valid.
#include "scorers/sql/sql_rewrites.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <set>
#include <utility>

#include "scorers/sql_engine/sql_token_positions.h"

namespace aimicius {
namespace {

struct Edit {
  std::size_t begin;
  std::size_t end;
  std::string text;
};

std::string apply(std::string_view text, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
  std::string out(text);
  for (const auto& edit : edits) out.replace(edit.begin, edit.end - edit.begin, edit.text);
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

const std::set<std::string>& clause_words() {
  static const std::set<std::string> words = {"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "WINDOW",
                                              "JOIN", "ON",    "LEFT",  "INNER",  "CROSS", "UNION", "USING",
                                              "NATURAL", "OUTER", "EXCEPT", "INTERSECT", "AS", "OFFSET"};
  return words;
}

// The reference as tokens plus the positions of its final SELECT's clauses (depth 0).
struct Query {
  std::string_view text;
  std::vector<SqlToken> tokens;
  std::size_t select = 0;  // index of the last top-level SELECT (npos: none)
  std::size_t from = 0, where = 0, group = 0, having = 0, order = 0, limit = 0;  // npos when absent
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  explicit Query(std::string_view sql) : text(sql), tokens(sql_token_positions(sql)) {
    select = from = where = group = having = order = limit = npos;
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i].depth == 0 && tokens[i].is_word("SELECT")) select = i;
    if (select == npos) return;
    for (std::size_t i = select + 1; i < tokens.size(); ++i) {
      const SqlToken& t = tokens[i];
      if (t.depth != 0 || t.kind != SqlTokenKind::kWord) continue;
      if (t.upper == "FROM" && from == npos) from = i;
      if (t.upper == "WHERE" && where == npos) where = i;
      if (t.upper == "GROUP" && group == npos) group = i;
      if (t.upper == "HAVING" && having == npos) having = i;
      if (t.upper == "ORDER" && order == npos) order = i;
      if (t.upper == "LIMIT" && limit == npos) limit = i;
    }
  }

  std::string_view span(std::size_t first, std::size_t last) const {  // tokens [first, last)
    return text.substr(tokens[first].begin, tokens[last - 1].end - tokens[first].begin);
  }
  bool punct(std::size_t i, char c) const { return i < tokens.size() && tokens[i].is_punct(c, text); }
  bool op(std::size_t i, std::string_view o) const {
    return i < tokens.size() && tokens[i].kind == SqlTokenKind::kOperator &&
           text.substr(tokens[i].begin, tokens[i].end - tokens[i].begin) == o;
  }
  std::string_view token_text(std::size_t i) const { return text.substr(tokens[i].begin, tokens[i].end - tokens[i].begin); }
  // The first index after `start` of any of the given clause positions (or the end / a ';').
  std::size_t clause_end(std::size_t start, std::initializer_list<std::size_t> nexts) const {
    std::size_t end = tokens.size();
    for (const auto n : nexts)
      if (n != npos && n > start) end = std::min(end, n);
    while (end > start + 1 && punct(end - 1, ';')) --end;
    return end;
  }
};

// [first, last) token ranges of the parts of [begin, end) split at depth-`depth` separators.
std::vector<std::pair<std::size_t, std::size_t>> split(const Query& /*q*/, std::size_t begin, std::size_t end,
                                                        const std::function<bool(std::size_t)>& separator) {
  std::vector<std::pair<std::size_t, std::size_t>> parts;
  std::size_t start = begin;
  for (std::size_t i = begin; i <= end; ++i) {
    if (i < end && !separator(i)) continue;
    if (i > start) parts.emplace_back(start, i);
    start = i + 1;
  }
  return parts;
}

// The final WHERE's top-level conjuncts, or nothing when it has a top-level OR or a BETWEEN.
std::vector<std::pair<std::size_t, std::size_t>> conjuncts(const Query& q) {
  if (q.where == Query::npos) return {};
  const std::size_t end = q.clause_end(q.where, {q.group, q.having, q.order, q.limit});
  for (std::size_t i = q.where + 1; i < end; ++i)
    if (q.tokens[i].depth == 0 && (q.tokens[i].is_word("OR") || q.tokens[i].is_word("BETWEEN"))) return {};
  return split(q, q.where + 1, end, [&](std::size_t i) { return q.tokens[i].depth == 0 && q.tokens[i].is_word("AND"); });
}

bool is_literal(const SqlToken& t) { return t.kind == SqlTokenKind::kString || t.kind == SqlTokenKind::kNumber; }
bool is_comparison(std::string_view o) {
  return o == "=" || o == "==" || o == "!=" || o == "<>" || o == ">=" || o == "<=" || o == ">" || o == "<";
}
std::string mirrored(std::string_view o) {
  if (o == ">=") return "<=";
  if (o == "<=") return ">=";
  if (o == ">") return "<";
  if (o == "<") return ">";
  return std::string(o);
}

// A conjunct "column op literal": the column's tokens [first, op) (a word, or word . word).
struct Comparison {
  std::size_t first, op, literal;
};
std::optional<Comparison> simple_comparison(const Query& q, std::size_t first, std::size_t last) {
  std::size_t op = first + 1;
  if (op < last && q.punct(op, '.')) op += 2;
  if (op + 2 != last || q.tokens[first].kind != SqlTokenKind::kWord) return std::nullopt;
  if (q.tokens[op].kind != SqlTokenKind::kOperator || !is_comparison(q.token_text(op))) return std::nullopt;
  if (!is_literal(q.tokens[op + 1])) return std::nullopt;
  return Comparison{first, op, op + 1};
}

void add(std::vector<SqlRewrite>& out, std::string_view reference, std::string answer, bool right, std::string kind,
         std::string slot = {}, bool data_dependent = false) {
  if (answer == reference) return;
  for (const auto& existing : out)
    if (existing.answer == answer) return;
  if (slot.empty()) slot = kind + "#" + std::to_string(out.size());
  out.push_back({std::move(answer), right, std::move(kind), std::move(slot), data_dependent});
}

// ---- right ----------------------------------------------------------------------------------

void keyword_case(const Query& q, std::vector<SqlRewrite>& out) {
  std::vector<Edit> edits;
  for (const auto& t : q.tokens)
    if (t.kind == SqlTokenKind::kWord) edits.push_back({t.begin, t.end, lower(q.text.substr(t.begin, t.end - t.begin))});
  add(out, q.text, apply(q.text, edits), true, "keyword-case");
}

void layout(const Query& q, std::vector<SqlRewrite>& out) {
  std::vector<Edit> edits;
  for (std::size_t i = 1; i < q.tokens.size(); ++i) {
    const auto& t = q.tokens[i];
    if (t.depth != 0 || t.kind != SqlTokenKind::kWord) continue;
    if (t.upper == "FROM" || t.upper == "WHERE" || t.upper == "GROUP" || t.upper == "ORDER" || t.upper == "LIMIT" ||
        t.upper == "JOIN" || t.upper == "HAVING") {
      const std::size_t gap = q.tokens[i - 1].end;
      // only where nothing but spaces separates the words (a comment there stays as written)
      if (q.text.substr(gap, t.begin - gap).find_first_not_of(" \t\r\n") == std::string_view::npos)
        edits.push_back({gap, t.begin, "\n  "});
    }
  }
  add(out, q.text, apply(q.text, edits), true, "layout");
}

void table_alias(const Query& q, std::vector<SqlRewrite>& out) {
  // Declarations: FROM/JOIN <table> [AS] <alias>.
  std::vector<Edit> edits;
  std::set<std::string> aliases;
  bool single_unaliased = false;
  std::size_t tables = 0;
  for (std::size_t i = 0; i + 1 < q.tokens.size(); ++i) {
    if (!(q.tokens[i].is_word("FROM") || q.tokens[i].is_word("JOIN"))) continue;
    const std::size_t table = i + 1;
    if (q.tokens[table].kind != SqlTokenKind::kWord) continue;
    ++tables;
    std::size_t alias = table + 1;
    if (alias < q.tokens.size() && q.tokens[alias].is_word("AS")) ++alias;
    if (alias < q.tokens.size() && q.tokens[alias].kind == SqlTokenKind::kWord &&
        clause_words().count(q.tokens[alias].upper) == 0) {
      aliases.insert(q.tokens[alias].upper);
    } else if (q.tokens[i].is_word("FROM")) {
      single_unaliased = true;
      edits.push_back({q.tokens[table].end, q.tokens[table].end, " AS t0"});
    }
  }
  if (tables == 1 && single_unaliased && aliases.empty()) {
    add(out, q.text, apply(q.text, edits), true, "table-alias");
    return;
  }
  if (aliases.empty()) return;
  edits.clear();
  for (std::size_t i = 0; i < q.tokens.size(); ++i) {
    const auto& t = q.tokens[i];
    if (t.kind != SqlTokenKind::kWord || aliases.count(t.upper) == 0) continue;
    const bool qualifier = q.punct(i + 1, '.');
    const bool declaration = i > 0 && (q.tokens[i - 1].kind == SqlTokenKind::kWord) &&
                             (q.tokens[i - 1].is_word("AS") || (i > 1 && (q.tokens[i - 2].is_word("FROM") ||
                                                                          q.tokens[i - 2].is_word("JOIN"))));
    if (qualifier || declaration) edits.push_back({t.end, t.end, "_1"});
  }
  add(out, q.text, apply(q.text, edits), true, "table-alias");
}

void column_alias(const Query& q, std::vector<SqlRewrite>& out) {
  if (q.select == Query::npos || q.from == Query::npos) return;
  std::size_t begin = q.select + 1;
  if (begin < q.from && (q.tokens[begin].is_word("DISTINCT") || q.tokens[begin].is_word("ALL"))) ++begin;
  std::vector<Edit> edits;
  int n = 0;
  for (const auto& [first, last] :
       split(q, begin, q.from, [&](std::size_t i) { return q.tokens[i].depth == 0 && q.punct(i, ','); })) {
    ++n;
    bool aliased = false;
    for (std::size_t i = first; i < last; ++i) aliased = aliased || (q.tokens[i].depth == 0 && q.tokens[i].is_word("AS"));
    if (aliased || q.op(last - 1, "*")) continue;
    edits.push_back({q.tokens[last - 1].end, q.tokens[last - 1].end, " AS col_" + std::to_string(n)});
  }
  add(out, q.text, apply(q.text, edits), true, "column-alias");
}

void count_one(const Query& q, std::vector<SqlRewrite>& out) {
  std::vector<Edit> edits;
  for (std::size_t i = 0; i + 3 < q.tokens.size(); ++i)
    if (q.tokens[i].is_word("COUNT") && q.punct(i + 1, '(') && q.op(i + 2, "*") && q.punct(i + 3, ')'))
      edits.push_back({q.tokens[i + 2].begin, q.tokens[i + 2].end, "1"});
  if (!edits.empty()) add(out, q.text, apply(q.text, edits), true, "count-1");
}

// The final ORDER BY's terms as token ranges (ASC/DESC included).
std::vector<std::pair<std::size_t, std::size_t>> order_terms(const Query& q) {
  if (q.order == Query::npos) return {};
  const std::size_t end = q.clause_end(q.order, {q.limit});
  return split(q, q.order + 2, end, [&](std::size_t i) { return q.tokens[i].depth == 0 && q.punct(i, ','); });
}

void explicit_asc(const Query& q, std::vector<SqlRewrite>& out) {
  std::vector<Edit> edits;
  for (const auto& [first, last] : order_terms(q)) {
    const auto& t = q.tokens[last - 1];
    if (t.is_word("ASC") || t.is_word("DESC")) continue;
    edits.push_back({t.end, t.end, " ASC"});
  }
  if (!edits.empty()) add(out, q.text, apply(q.text, edits), true, "explicit-asc");
}

void where_order(const Query& q, std::vector<SqlRewrite>& out) {
  const auto parts = conjuncts(q);
  if (parts.size() < 2) return;
  std::string rotated;
  for (std::size_t k = 1; k <= parts.size(); ++k) {
    const auto& [first, last] = parts[k % parts.size()];
    if (!rotated.empty()) rotated += " AND ";
    rotated += std::string(q.span(first, last));
  }
  const std::size_t begin = q.tokens[parts.front().first].begin;
  const std::size_t end = q.tokens[parts.back().second - 1].end;
  add(out, q.text, apply(q.text, {{begin, end, rotated}}), true, "where-order");
}

void in_to_or(const Query& q, std::vector<SqlRewrite>& out) {
  for (std::size_t i = 1; i + 1 < q.tokens.size(); ++i) {
    if (!q.tokens[i].is_word("IN") || !q.punct(i + 1, '(') || q.tokens[i - 1].is_word("NOT")) continue;
    std::size_t first = i - 1;
    if (q.tokens[first].kind != SqlTokenKind::kWord) continue;
    if (first >= 2 && q.punct(first - 1, '.') && q.tokens[first - 2].kind == SqlTokenKind::kWord) first -= 2;
    std::vector<std::string> items;
    std::size_t j = i + 2;
    bool literals = true;
    while (j < q.tokens.size() && !q.punct(j, ')')) {
      if (is_literal(q.tokens[j])) {
        items.emplace_back(q.token_text(j));
      } else if (!q.punct(j, ',')) {
        literals = false;
      }
      ++j;
    }
    if (!literals || items.empty() || j >= q.tokens.size()) continue;
    const std::string column(q.span(first, i));
    std::string disjunction = "(";
    for (std::size_t k = 0; k < items.size(); ++k) disjunction += (k ? " OR " : "") + column + " = " + items[k];
    disjunction += ")";
    add(out, q.text, apply(q.text, {{q.tokens[first].begin, q.tokens[j].end, disjunction}}), true, "in-or");
    return;
  }
}

void between(const Query& q, std::vector<SqlRewrite>& out) {
  const auto parts = conjuncts(q);
  for (std::size_t a = 0; a < parts.size(); ++a) {
    for (std::size_t b = 0; b < parts.size(); ++b) {
      // x >= lo AND x <= hi, x any tokens before the operator
      const auto find_op = [&](std::size_t first, std::size_t last, std::string_view o) -> std::size_t {
        for (std::size_t i = first; i < last; ++i)
          if (q.tokens[i].depth == q.tokens[first].depth && q.op(i, o)) return i;
        return Query::npos;
      };
      if (a == b) continue;
      const std::size_t ge = find_op(parts[a].first, parts[a].second, ">=");
      const std::size_t le = find_op(parts[b].first, parts[b].second, "<=");
      if (ge == Query::npos || le == Query::npos || ge == parts[a].first || le == parts[b].first) continue;
      if (ge + 1 >= parts[a].second || le + 1 >= parts[b].second) continue;
      const std::string x(q.span(parts[a].first, ge));
      if (x != q.span(parts[b].first, le)) continue;
      const std::string joined = x + " BETWEEN " + std::string(q.span(ge + 1, parts[a].second)) + " AND " +
                                 std::string(q.span(le + 1, parts[b].second));
      // The first conjunct becomes the BETWEEN; the second goes, with the AND before or after it.
      std::vector<Edit> edits = {{q.tokens[parts[a].first].begin, q.tokens[parts[a].second - 1].end, joined}};
      if (b > 0) {
        edits.push_back({q.tokens[parts[b - 1].second - 1].end, q.tokens[parts[b].second - 1].end, ""});
      } else {
        edits.push_back({q.tokens[parts[b].first].begin, q.tokens[parts[b + 1].first].begin, ""});
      }
      add(out, q.text, apply(q.text, edits), true, "between");
      return;
    }
  }
}

void operand_swap(const Query& q, std::vector<SqlRewrite>& out) {
  for (const auto& [first, last] : conjuncts(q)) {
    const auto c = simple_comparison(q, first, last);
    if (!c) continue;
    const std::string swapped =
        std::string(q.token_text(c->literal)) + " " + mirrored(q.token_text(c->op)) + " " + std::string(q.span(first, c->op));
    add(out, q.text, apply(q.text, {{q.tokens[first].begin, q.tokens[last - 1].end, swapped}}), true, "operand-swap");
    return;
  }
}

void ne_spelling(const Query& q, std::vector<SqlRewrite>& out) {
  std::vector<Edit> edits;
  for (std::size_t i = 0; i < q.tokens.size(); ++i) {
    if (q.op(i, "!=")) edits.push_back({q.tokens[i].begin, q.tokens[i].end, "<>"});
    if (q.op(i, "<>")) edits.push_back({q.tokens[i].begin, q.tokens[i].end, "!="});
  }
  if (!edits.empty()) add(out, q.text, apply(q.text, edits), true, "ne-spelling");
}

// ---- wrong ----------------------------------------------------------------------------------

void literal_values(const Query& q, const SqlRewriteCatalog& catalog, std::vector<SqlRewrite>& out) {
  int made = 0;
  std::set<std::string> seen;
  for (std::size_t i = 1; i + 1 < q.tokens.size() && made < 3; ++i) {
    if (q.tokens[i].kind != SqlTokenKind::kOperator || !is_comparison(q.token_text(i))) continue;
    if (!is_literal(q.tokens[i + 1]) || q.tokens[i - 1].kind != SqlTokenKind::kWord) continue;
    const std::string column = q.tokens[i - 1].upper;
    const std::string literal(q.token_text(i + 1));
    if (!seen.insert(column + "=" + literal).second) continue;
    const std::string other = catalog.other_value ? catalog.other_value(column, literal) : std::string();
    if (other.empty() || other == literal) continue;
    add(out, q.text, apply(q.text, {{q.tokens[i + 1].begin, q.tokens[i + 1].end, other}}), false, "literal-value");
    ++made;
  }
}

void comparisons(const Query& q, std::vector<SqlRewrite>& out) {
  int made = 0;
  for (std::size_t i = 0; i < q.tokens.size() && made < 2; ++i) {
    if (q.tokens[i].kind != SqlTokenKind::kOperator) continue;
    const std::string_view o = q.token_text(i);
    std::string changed;
    if (o == ">") changed = ">=";
    if (o == ">=") changed = ">";
    if (o == "<") changed = "<=";
    if (o == "<=") changed = "<";
    if (changed.empty()) continue;
    add(out, q.text, apply(q.text, {{q.tokens[i].begin, q.tokens[i].end, changed}}), false, "comparison");
    ++made;
  }
}

void column_swap(const Query& q, const SqlRewriteCatalog& catalog, std::vector<SqlRewrite>& out) {
  if (q.select == Query::npos || q.from == Query::npos || !catalog.sibling_columns) return;
  int slot = 0;
  for (std::size_t i = q.select + 1; i < q.from; ++i) {
    const auto& t = q.tokens[i];
    if (t.kind != SqlTokenKind::kWord || q.punct(i + 1, '.') || q.punct(i + 1, '(')) continue;
    if (t.upper == "DISTINCT" || t.upper == "AS" || (i > 0 && q.tokens[i - 1].is_word("AS"))) continue;
    for (const auto& sibling : catalog.sibling_columns(t.upper))
      add(out, q.text, apply(q.text, {{t.begin, t.end, sibling}}), false, "column-swap",
          "column-swap#" + std::to_string(slot));
    ++slot;
  }
}

void table_swap(const Query& q, const SqlRewriteCatalog& catalog, std::vector<SqlRewrite>& out) {
  if (!catalog.other_tables) return;
  int slot = 0;
  for (std::size_t i = 0; i + 1 < q.tokens.size(); ++i) {
    if (!(q.tokens[i].is_word("FROM") || q.tokens[i].is_word("JOIN"))) continue;
    const auto& t = q.tokens[i + 1];
    if (t.kind != SqlTokenKind::kWord) continue;
    for (const auto& other : catalog.other_tables(lower(q.token_text(i + 1))))
      add(out, q.text, apply(q.text, {{t.begin, t.end, other}}), false, "table-swap", "table-swap#" + std::to_string(slot));
    ++slot;
  }
}

void dropped_condition(const Query& q, std::vector<SqlRewrite>& out) {
  const auto parts = conjuncts(q);
  if (parts.size() < 2) return;
  for (std::size_t k = 0; k < parts.size() && k < 2; ++k) {
    std::vector<Edit> edits;
    if (k > 0) {
      edits.push_back({q.tokens[parts[k - 1].second - 1].end, q.tokens[parts[k].second - 1].end, ""});
    } else {
      edits.push_back({q.tokens[parts[0].first].begin, q.tokens[parts[1].first].begin, ""});
    }
    add(out, q.text, apply(q.text, edits), false, "dropped-condition");
  }
}

void limit(const Query& q, std::vector<SqlRewrite>& out) {
  if (q.limit == Query::npos || q.limit + 1 >= q.tokens.size() || q.tokens[q.limit + 1].kind != SqlTokenKind::kNumber)
    return;
  const std::string_view digits = q.token_text(q.limit + 1);
  if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string_view::npos) return;
  const int n = std::stoi(std::string(digits));
  const int changed = n > 1 ? n - 1 : n + 1;
  add(out, q.text, apply(q.text, {{q.tokens[q.limit + 1].begin, q.tokens[q.limit + 1].end, std::to_string(changed)}}),
      false, "limit");
}

void aggregates(const Query& q, std::vector<SqlRewrite>& out) {
  int made = 0;
  for (std::size_t i = 0; i + 1 < q.tokens.size() && made < 2; ++i) {
    const auto& t = q.tokens[i];
    if (t.kind != SqlTokenKind::kWord || !q.punct(i + 1, '(')) continue;
    std::string other;
    if (t.upper == "AVG") other = "SUM";
    if (t.upper == "SUM") other = "AVG";
    if (t.upper == "MAX") other = "MIN";
    if (t.upper == "MIN") other = "MAX";
    if (other.empty()) continue;
    add(out, q.text, apply(q.text, {{t.begin, t.end, other}}), false, "aggregate");
    ++made;
  }
}

void distinct(const Query& q, std::vector<SqlRewrite>& out) {
  if (q.select == Query::npos || q.select + 1 >= q.tokens.size()) return;
  const auto& next = q.tokens[q.select + 1];
  if (next.is_word("DISTINCT")) {
    const std::size_t end = q.select + 2 < q.tokens.size() ? q.tokens[q.select + 2].begin : next.end;
    add(out, q.text, apply(q.text, {{next.begin, end, ""}}), false, "distinct", {}, true);
  } else if (q.group == Query::npos) {
    add(out, q.text, apply(q.text, {{next.begin, next.begin, "DISTINCT "}}), false, "distinct", {}, true);
  }
}

void order_direction(const Query& q, std::vector<SqlRewrite>& out) {
  const auto terms = order_terms(q);
  if (terms.empty()) return;
  const auto& t = q.tokens[terms.front().second - 1];
  Edit edit{t.end, t.end, " DESC"};
  if (t.is_word("DESC")) edit = {t.begin, t.end, "ASC"};
  if (t.is_word("ASC")) edit = {t.begin, t.end, "DESC"};
  add(out, q.text, apply(q.text, {edit}), false, "order-direction", {}, true);
}

}  // namespace

std::vector<SqlRewrite> sql_right_rewrites(std::string_view reference) {
  const Query q(reference);
  std::vector<SqlRewrite> out;
  keyword_case(q, out);
  layout(q, out);
  table_alias(q, out);
  column_alias(q, out);
  count_one(q, out);
  explicit_asc(q, out);
  where_order(q, out);
  in_to_or(q, out);
  between(q, out);
  operand_swap(q, out);
  ne_spelling(q, out);
  return out;
}

std::vector<SqlRewrite> sql_wrong_rewrites(std::string_view reference, const SqlRewriteCatalog& catalog) {
  const Query q(reference);
  std::vector<SqlRewrite> out;
  literal_values(q, catalog, out);
  comparisons(q, out);
  column_swap(q, catalog, out);
  table_swap(q, catalog, out);
  dropped_condition(q, out);
  limit(q, out);
  aggregates(q, out);
  distinct(q, out);
  order_direction(q, out);
  return out;
}

}  // namespace aimicius

// instr(), replace() and trim() in linear time, printf(), format() and json_patch() bounded (see
// sql_linear_functions.h).
#include "scorers/sql_engine/sql_linear_functions.h"

#include <string.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace aimicius {
namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

void instr_function(sqlite3_context* context, int, sqlite3_value** argv) {
  const int type_haystack = sqlite3_value_type(argv[0]), type_needle = sqlite3_value_type(argv[1]);
  if (type_haystack == SQLITE_NULL || type_needle == SQLITE_NULL) return;  // NULL
  const bool text = !(type_haystack == SQLITE_BLOB && type_needle == SQLITE_BLOB);
  const void* haystack = text ? static_cast<const void*>(sqlite3_value_text(argv[0])) : sqlite3_value_blob(argv[0]);
  const int64_t n_haystack = sqlite3_value_bytes(argv[0]);
  const void* needle = text ? static_cast<const void*>(sqlite3_value_text(argv[1])) : sqlite3_value_blob(argv[1]);
  const int64_t n_needle = sqlite3_value_bytes(argv[1]);
  if (n_needle == 0) return sqlite3_result_int64(context, 1);
  if (haystack == nullptr || needle == nullptr) return sqlite3_result_error_nomem(context);
  const auto* h = static_cast<const unsigned char*>(haystack);
  const auto* n = static_cast<const unsigned char*>(needle);
  // SQLite compares only at character starts: a needle that begins inside a character never matches.
  if (text && is_continuation(n[0])) return sqlite3_result_int64(context, 0);
  const void* found = memmem(h, static_cast<size_t>(n_haystack), n, static_cast<size_t>(n_needle));
  if (found == nullptr) return sqlite3_result_int64(context, 0);
  const int64_t offset = static_cast<const unsigned char*>(found) - h;
  if (!text) return sqlite3_result_int64(context, offset + 1);
  int64_t characters = 0;
  for (int64_t i = 0; i < offset; ++i) characters += is_continuation(h[i]) ? 0 : 1;
  sqlite3_result_int64(context, characters + 1);
}

void replace_function(sqlite3_context* context, int, sqlite3_value** argv) {
  const unsigned char* str = sqlite3_value_text(argv[0]);
  if (str == nullptr) return;  // NULL (or out of memory, which SQLite reports itself)
  const int64_t n_str = sqlite3_value_bytes(argv[0]);
  const unsigned char* pattern = sqlite3_value_text(argv[1]);
  if (pattern == nullptr) return;
  const int64_t n_pattern = sqlite3_value_bytes(argv[1]);
  if (n_pattern == 0) return sqlite3_result_value(context, argv[0]);
  const unsigned char* rep = sqlite3_value_text(argv[2]);
  if (rep == nullptr) return;
  const int64_t n_rep = sqlite3_value_bytes(argv[2]);
  const int64_t limit = sqlite3_limit(sqlite3_context_db_handle(context), SQLITE_LIMIT_LENGTH, -1);
  std::string out;
  int64_t at = 0;
  while (at <= n_str - n_pattern) {
    const void* found = memmem(str + at, static_cast<size_t>(n_str - at), pattern, static_cast<size_t>(n_pattern));
    if (found == nullptr) break;
    const int64_t pos = static_cast<const unsigned char*>(found) - str;
    if (static_cast<int64_t>(out.size()) + (pos - at) + n_rep > limit) return sqlite3_result_error_toobig(context);
    out.append(reinterpret_cast<const char*>(str + at), static_cast<size_t>(pos - at));
    out.append(reinterpret_cast<const char*>(rep), static_cast<size_t>(n_rep));
    at = pos + n_pattern;
  }
  if (static_cast<int64_t>(out.size()) + (n_str - at) > limit) return sqlite3_result_error_toobig(context);
  out.append(reinterpret_cast<const char*>(str + at), static_cast<size_t>(n_str - at));
  sqlite3_result_text64(context, out.data(), out.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

// trim / ltrim / rtrim(X [, Y]) as SQLite's trimFunc: Y (default " ") split into characters the way
// SQLITE_SKIP_UTF8 splits it (a byte >= 0xC0 and the continuation bytes after it, else one byte);
// from the chosen end of X, strip the first character of Y (in Y's order) that X begins / ends
// with, while one does. The built-in tries every character of Y at every step (16 MB x 16 MB in
// one call); here the characters are looked up by their bytes, so a step costs a few hash lookups.
// Characters of Y longer than 4 bytes (malformed UTF-8 only) would need one lookup per length:
// such a Y runs the built-in's scan, bounded by a budget of byte comparisons (an error past it).
void trim_function(sqlite3_context* context, int argc, sqlite3_value** argv) {
  const int sides = *static_cast<const int*>(sqlite3_user_data(context));  // 1 left, 2 right, 3 both
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  const auto* in = sqlite3_value_text(argv[0]);
  if (in == nullptr) return sqlite3_result_error_nomem(context);
  int64_t n = sqlite3_value_bytes(argv[0]);
  const unsigned char* set = reinterpret_cast<const unsigned char*>(" ");
  int64_t n_set = 1;
  if (argc == 2) {
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL) return;
    set = sqlite3_value_text(argv[1]);
    if (set == nullptr) return sqlite3_result_error_nomem(context);
    // SQLite reads Y up to its first NUL byte (X, by its length).
    n_set = static_cast<int64_t>(strnlen(reinterpret_cast<const char*>(set), static_cast<size_t>(sqlite3_value_bytes(argv[1]))));
  }
  // Y's characters: for each byte length, the first index of each byte string.
  std::vector<std::pair<std::string_view, int64_t>> chars;
  for (int64_t i = 0; i < n_set;) {
    int64_t j = i + 1;
    if (set[i] >= 0xC0)
      while (j < n_set && (set[j] & 0xC0) == 0x80) ++j;
    chars.emplace_back(std::string_view(reinterpret_cast<const char*>(set + i), static_cast<size_t>(j - i)),
                       static_cast<int64_t>(chars.size()));
    i = j;
  }
  // A set of a few characters is scanned as SQLite scans it (at most kScanChars per step, which the
  // budget below never stops for a 16 MB X); a larger one is looked up by bytes when every
  // character has at most 4 bytes.
  constexpr size_t kScanChars = 8;
  bool look_up = chars.size() > kScanChars;
  for (const auto& [bytes, index] : chars)
    if (bytes.size() > 4) look_up = false;
  std::unordered_map<std::string_view, int64_t> by_bytes[5];  // lengths 1..4
  if (look_up)
    for (const auto& [bytes, index] : chars) by_bytes[bytes.size()].emplace(bytes, index);  // keeps a repeat's first index
  const char* x = reinterpret_cast<const char*>(in);
  int64_t begin = 0, end = n;
  // The length of the character of Y (first in Y's order) that X[begin, end) starts (left) or ends
  // (right) with; 0 if none. `budget` bounds the fallback scan's byte comparisons.
  int64_t budget = int64_t{1} << 30;  // 8 four-byte characters x 16 MB stay under it
  const auto match = [&](bool left) -> int64_t {
    if (look_up) {
      int64_t best_index = -1, best_len = 0;
      for (int64_t len = 1; len <= 4 && len <= end - begin; ++len) {
        const auto found = by_bytes[len].find(std::string_view(left ? x + begin : x + end - len, static_cast<size_t>(len)));
        if (found != by_bytes[len].end() && (best_index < 0 || found->second < best_index))
          best_index = found->second, best_len = len;
      }
      return best_len;
    }
    for (const auto& [bytes, index] : chars) {
      const int64_t len = static_cast<int64_t>(bytes.size());
      budget -= len;
      if (len <= end - begin && memcmp(left ? x + begin : x + end - len, bytes.data(), static_cast<size_t>(len)) == 0)
        return len;
    }
    return 0;
  };
  if (!chars.empty()) {
    if (sides & 1)
      while (begin < end && budget > 0) {
        const int64_t len = match(true);
        if (len == 0) break;
        begin += len;
      }
    if (sides & 2)
      while (begin < end && budget > 0) {
        const int64_t len = match(false);
        if (len == 0) break;
        end -= len;
      }
    if (budget <= 0) return sqlite3_result_error(context, "trim: character set too costly to scan", -1);
  }
  sqlite3_result_text64(context, x + begin, static_cast<sqlite3_uint64>(end - begin), SQLITE_TRANSIENT, SQLITE_UTF8);
}

// The bytes printf's %c conversions write at least, reading the format as SQLite's printf.c does
// (3.40): flags "-+ #!0,", a width (digits, or * taking the next argument), a precision (.digits,
// or .* taking the next argument; a negative one is its absolute value), l or ll, then the
// conversion; every conversion but %% and %n takes the next argument; an unknown conversion, or
// an internal one (%T, %S), ends the output. %c writes its character `precision` times (at least
// once). Saturates instead of overflowing.
int64_t repeated_char_bytes(const unsigned char* f, sqlite3_value** args, int n_args) {
  int used = 0;
  const auto next_int = [&]() -> int64_t { return used < n_args ? sqlite3_value_int64(args[used++]) : 0; };
  const auto magnitude = [](int v) -> int64_t { return v >= 0 ? v : v >= -2147483647 ? -static_cast<int64_t>(v) : -1; };
  int64_t total = 0;
  for (; *f; ++f) {
    if (*f != '%') continue;
    int c = *++f;
    if (c == 0) break;
    int64_t precision = -1;
    bool done = false;
    do {
      switch (c) {
        case '-': case '+': case ' ': case '#': case '!': case '0': case ',':
          break;
        case 'l':
          c = *++f;
          if (c == 'l') c = *++f;
          done = true;
          break;
        case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
          while ((c = *++f) >= '0' && c <= '9') {
          }
          if (c != '.' && c != 'l') done = true;
          else --f;
          break;
        case '*':
          next_int();  // the width
          if ((c = f[1]) != '.' && c != 'l') {
            c = *++f;
            done = true;
          }
          break;
        case '.': {
          c = *++f;
          if (c == '*') {
            precision = magnitude(static_cast<int>(next_int()));
            c = *++f;
          } else {
            unsigned digits = 0;
            for (; c >= '0' && c <= '9'; c = *++f) digits = digits * 10 + static_cast<unsigned>(c - '0');
            precision = digits & 0x7fffffff;
          }
          if (c == 'l') --f;
          else done = true;
          break;
        }
        default:
          done = true;
          break;
      }
    } while (!done && (c = *++f) != 0);
    if (c == 0) break;
    if (c == '%' || c == 'n') continue;
    if (strchr("dsgzqQwcouxXfeEGipr", c) == nullptr) break;  // unknown or internal: the output ends
    next_int();
    if (c == 'c') total += precision > 1 ? precision : 1;
    if (total > std::numeric_limits<int64_t>::max() / 2) break;
  }
  return total;
}

// A built-in run on a private in-memory connection with the same length limit as the caller's,
// with the caller's arguments: its answer is SQLite's to the byte, while the replacement that
// calls it has first refused the inputs that would keep it busy too long. The connection and one
// statement per argument count are made on first use.
class PrivateBuiltin {
 public:
  explicit PrivateBuiltin(std::string name) : name_(std::move(name)) {}
  ~PrivateBuiltin() {
    for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  PrivateBuiltin(const PrivateBuiltin&) = delete;
  PrivateBuiltin& operator=(const PrivateBuiltin&) = delete;

  // Sets the context's result to the built-in's, subtype included (the JSON functions mark their
  // results 'J'; JsonPatchKeepsSqlitesMeaning checks that it crosses over).
  void call(sqlite3_context* context, int argc, sqlite3_value** argv) {
    const int64_t limit = sqlite3_limit(sqlite3_context_db_handle(context), SQLITE_LIMIT_LENGTH, -1);
    sqlite3_stmt* stmt = statement(argc, limit);
    if (stmt == nullptr) return sqlite3_result_error(context, (name_ + ": no private connection").c_str(), -1);
    for (int i = 0; i < argc; ++i) sqlite3_bind_value(stmt, i + 1, argv[i]);
    if (sqlite3_step(stmt) == SQLITE_ROW) sqlite3_result_value(context, sqlite3_column_value(stmt, 0));
    else sqlite3_result_error(context, sqlite3_errmsg(db_), -1);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }

 private:
  sqlite3_stmt* statement(int argc, int64_t limit) {
    if (db_ == nullptr && sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) != SQLITE_OK)
      return nullptr;
    sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, static_cast<int>(limit));
    if (static_cast<int>(statements_.size()) <= argc) statements_.resize(static_cast<size_t>(argc) + 1, nullptr);
    if (statements_[argc] == nullptr) {
      std::string sql = "SELECT " + name_ + "(";
      for (int i = 1; i <= argc; ++i) sql += (i > 1 ? ", ?" : "?") + std::to_string(i);
      sql += ")";
      if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statements_[argc], nullptr) != SQLITE_OK) return nullptr;
    }
    return statements_[argc];
  }

  std::string name_;
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
};

PrivateBuiltin& builtin_of(sqlite3_context* context) { return *static_cast<PrivateBuiltin*>(sqlite3_user_data(context)); }

void delete_builtin(void* p) { delete static_cast<PrivateBuiltin*>(p); }

// printf / format: NULL at once when the %c repeats alone pass SQLITE_LIMIT_LENGTH (the built-in's
// answer, too big, without its loop); else the built-in.
void printf_function(sqlite3_context* context, int argc, sqlite3_value** argv) {
  const int64_t limit = sqlite3_limit(sqlite3_context_db_handle(context), SQLITE_LIMIT_LENGTH, -1);
  const unsigned char* format = argc >= 1 ? sqlite3_value_text(argv[0]) : nullptr;
  if (format == nullptr) return;                                         // NULL, as the built-in
  if (repeated_char_bytes(format, argv + 1, argc - 1) > limit) return;  // too big: NULL
  builtin_of(context).call(context, argc, argv);
}

// json_patch(T, P): SQLite 3.40 merges each object of P into T's by a linear search of T's keys
// for each of P's, at every level: |T keys| x |P keys| in one call (two 430 KB objects of 40,000
// keys: 9.9 s). Every key is a quoted string, so half the '"' bytes of each side bound its keys;
// past kMaxPatchPairs key pairs the call is an error, else the built-in answers.
constexpr int64_t kMaxPatchPairs = 4000000;  // ~20 ms of key comparisons

int64_t quote_bytes(sqlite3_value* value) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  if (text == nullptr) return 0;
  const int n = sqlite3_value_bytes(value);
  int64_t quotes = 0;
  for (const char* p = text; (p = static_cast<const char*>(memchr(p, '"', static_cast<size_t>(text + n - p)))) != nullptr; ++p)
    ++quotes;
  return quotes;
}

void json_patch_function(sqlite3_context* context, int argc, sqlite3_value** argv) {
  const int64_t target_keys = quote_bytes(argv[0]) / 2, patch_keys = quote_bytes(argv[1]) / 2;
  if (target_keys > 0 && patch_keys > kMaxPatchPairs / target_keys)
    return sqlite3_result_error(context, "json_patch: objects with too many keys (over 4,000,000 key pairs to compare)", -1);
  builtin_of(context).call(context, argc, argv);
}

}  // namespace

int register_linear_string_functions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = sqlite3_create_function_v2(db, "instr", 2, kFlags, nullptr, instr_function, nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function_v2(db, "replace", 3, kFlags, nullptr, replace_function, nullptr, nullptr, nullptr);
  static const int kLeft = 1, kRight = 2, kBoth = 3;
  for (const auto& [name, sides] : {std::pair{"ltrim", &kLeft}, std::pair{"rtrim", &kRight}, std::pair{"trim", &kBoth}})
    for (int args = 1; args <= 2 && rc == SQLITE_OK; ++args)
      rc = sqlite3_create_function_v2(db, name, args, kFlags, const_cast<int*>(sides), trim_function, nullptr, nullptr,
                                      nullptr);
  // format() is printf() under another name (SQLite 3.38). Each registration owns its private
  // connection (SQLite calls delete_builtin when the function is replaced or the db closes, and
  // when registering fails).
  for (const char* name : {"printf", "format"})
    if (rc == SQLITE_OK)
      rc = sqlite3_create_function_v2(db, name, -1, kFlags, new PrivateBuiltin(name), printf_function, nullptr, nullptr,
                                      delete_builtin);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function_v2(db, "json_patch", 2, kFlags, new PrivateBuiltin("json_patch"), json_patch_function,
                                    nullptr, nullptr, delete_builtin);
  return rc;
}

}  // namespace aimicius

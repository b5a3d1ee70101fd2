// instr() and replace() in linear time (see sql_linear_functions.h).
#include "scorers/sql_engine/sql_linear_functions.h"

#include <string.h>

#include <cstdint>
#include <string>

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

}  // namespace

int register_linear_string_functions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = sqlite3_create_function_v2(db, "instr", 2, kFlags, nullptr, instr_function, nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function_v2(db, "replace", 3, kFlags, nullptr, replace_function, nullptr, nullptr, nullptr);
  return rc;
}

}  // namespace aimicius

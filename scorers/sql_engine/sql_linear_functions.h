// instr() and replace() for the connection that runs untrusted queries, in linear time.
//
// SQLite's progress handler (the query time limit) only fires between virtual-machine steps, never
// inside one function call, and the built-in instr and replace compare the needle at every
// position: one call over two long strings (4 MB and 2 MB) ran for 100 s against a 2 s limit. These
// replacements find matches with memmem (glibc's two-way search: linear in the inputs), so one call
// costs at most a few passes over strings that SQLITE_LIMIT_LENGTH already bounds.
//
// Meaning, as SQLite documents and implements it (the test checks it against the built-ins' answers):
// - instr(X, Y): NULL if either is NULL; for two BLOBs the 1-based byte position of Y in X, else the
//   1-based character (UTF-8) position in the text forms; 0 when absent; 1 for an empty Y.
// - replace(X, Y, Z): NULL if any is NULL; X unchanged (its own value) when Y is empty; else the
//   text of X with every non-overlapping occurrence of Y, left to right, replaced by Z; "string or
//   blob too big" past SQLITE_LIMIT_LENGTH.
#pragma once

#include <sqlite3.h>

namespace aimicius {

// Registers both on `db` (over the built-ins of the same name and argument count). Returns SQLite's
// result code.
int register_linear_string_functions(sqlite3* db);

}  // namespace aimicius

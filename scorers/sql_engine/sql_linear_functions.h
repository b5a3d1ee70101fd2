// instr(), replace(), trim() and its sides, printf(), format() and json_patch() for the connection
// that runs untrusted queries, each call bounded by the size of its inputs and SQLITE_LIMIT_LENGTH.
//
// SQLite's progress handler (the query time limit) only fires between virtual-machine steps, never
// inside one function call, and the built-in instr and replace compare the needle at every
// position: one call over two long strings (4 MB and 2 MB) ran for 100 s against a 2 s limit. These
// replacements find matches with memmem (glibc's two-way search: linear in the inputs), so one call
// costs at most a few passes over strings that SQLITE_LIMIT_LENGTH already bounds. SQLite 3.40's
// printf writes a %c's repeats one append at a time and goes on after the result is too big:
// printf('%.*c', 2000000000, 'x') ran 8 s in one call. The replacement answers NULL at once when
// the %c repeats alone pass the length limit (the built-in's own answer, after its loop), and runs
// the built-in otherwise. trim, ltrim and rtrim compare every character of their set at every
// step (trim of 40 KB by a 40 KB set: 3.5 s); the replacements look the characters up by their
// bytes. json_patch compares every key of one object with every key of the other (two objects of
// 40,000 keys: 9.9 s); the replacement refuses inputs past 4M key pairs and runs the built-in
// otherwise. (A query's time limit is held by SqlDatabase's thread in any case; these bounds keep
// the work it abandons short.)
//
// Meaning, as SQLite documents and implements it (the test checks it against the built-ins' answers):
// - instr(X, Y): NULL if either is NULL; for two BLOBs the 1-based byte position of Y in X, else the
//   1-based character (UTF-8) position in the text forms; 0 when absent; 1 for an empty Y.
// - replace(X, Y, Z): NULL if any is NULL; X unchanged (its own value) when Y is empty; else the
//   text of X with every non-overlapping occurrence of Y, left to right, replaced by Z; "string or
//   blob too big" past SQLITE_LIMIT_LENGTH.
// - trim / ltrim / rtrim(X [, Y]): NULL if either is NULL; X as text with the characters of Y
//   (default a space; Y up to a NUL byte, split as SQLite splits UTF-8) stripped from both ends /
//   the left / the right, the first character of Y in Y's order winning where several match.
// - printf(FORMAT, ...) and format(FORMAT, ...): the built-in's answer to the byte (it runs on a
//   private in-memory connection with the same length limit), NULL for a NULL format or a too-big
//   result.
// - json_patch(T, P): the built-in's answer (RFC 7396 merge), on the private connection, marked as
//   JSON for the JSON functions that take it; an error "json_patch: objects with too many keys"
//   when half the '"' bytes of T times half those of P passes 4,000,000.
#pragma once

#include <sqlite3.h>

namespace aimicius {

// Registers them on `db` (over the built-ins of the same name and argument count). Returns
// SQLite's result code.
int register_linear_string_functions(sqlite3* db);

}  // namespace aimicius

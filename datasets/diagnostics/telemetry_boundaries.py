"""Test-suite variant 4 of the telemetry database: rows ON the boundaries of the questions' own
comparisons (Zhong et al. 2020 distil their test suites the same way: from the constants of the
gold queries).

The comparisons come from the reference queries (test.jsonl, dev.jsonl, fewshot.jsonl), parsed
here with a small tokenizer; nothing is keyed on an example id. For every reference and every
table it reads, the shape handled is

    <equality filters on that table: the entity / time window>  AND  <numeric column> OP <constant>

(OP one of <, <=, >, >=). Among the table's rows that pass the equality filters, three are changed
so that the compared column holds t - 1, t and t + 1, the other comparisons of the reference on
that table hold with a margin, and a column the reference takes MIN() or MAX() of gets a value more
extreme than any other row's, the most extreme on the row outside the comparison. So moving the
constant by one, swapping > and >=, or MIN and MAX changes the result; a DISTINCT or GROUP BY key is
separated too, because the rows are taken first from groups that have no row on the right side.

Invariants (those of telemetry_variants.py, and):
  - rows are only changed, never added or deleted; a changed value stays in its column's range
    (utilization 0..100, everything else >= 0) and keeps its type (integers stay integers);
  - only numeric columns that some reference compares with a constant, or takes MIN / MAX of, are
    changed, and the times of a pinned window (a job's start and end that a reference compares
    another table's times with), which only widen; keys, text, event times and counts that other
    tables must agree with (FROZEN) are never changed;
  - a row is changed by at most one comparison, so a later one cannot undo an earlier boundary;
  - deterministic: the references are read in file order, the rows picked with the variant's
    random.Random, and a missing example file simply means no boundaries (first generation).
"""

import json
import os
import re

SPLIT_FILES = ("test.jsonl", "dev.jsonl", "fewshot.jsonl")
FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
TOKEN = re.compile(r"'(?:[^']|'')*'|\d+(?:\.\d+)?|[A-Za-z_][A-Za-z_0-9]*|<=|>=|<>|!=|[<>=(),.*]|\S")
UPPER_BOUND = {"<", "<="}
# Ranges a changed value must stay in (schema comments); a column not listed only stays >= 0.
RANGES = {"utilization_pct": (0, 100)}
# Counts that other tables must agree with (a job's num_nodes is its job_nodes rows): never changed.
FROZEN = {"num_nodes", "num_gpus", "gpu_count"}
CLAUSE_ENDS = {"GROUP", "ORDER", "LIMIT", "HAVING", "UNION", "INTERSECT", "EXCEPT", ")"}


def read_references(here):
    refs = []
    for name in SPLIT_FILES:
        path = os.path.join(here, name)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            refs.extend(json.loads(line)["reference"] for line in f if line.strip())
    return refs


def literal(token):
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    return float(token) if "." in token else int(token)


def is_literal(token):
    return token.startswith("'") or token[0].isdigit()


class Reference:
    """The parts of one reference query this variant uses: its tables (alias -> table), its atoms
    (table, column, op, constant) and the columns it takes MIN() / MAX() of."""

    def __init__(self, sql, columns):
        self.tokens = TOKEN.findall(sql)
        self.columns = columns
        self.aliases = self._aliases()
        self.atoms = []      # (table, column, op, constant): "column op constant" in a WHERE
        self.extremes = {}   # (table, column) -> "MIN" / "MAX"
        self.windows = []    # (table, column, op, table, column): "a.x OP b.y" across two tables
        self._read()

    def _aliases(self):
        aliases, t = {}, self.tokens
        for i, tok in enumerate(t[:-1]):
            if tok.upper() in ("FROM", "JOIN") and t[i + 1] in self.columns:
                table = t[i + 1]
                aliases[table] = table
                j = i + 2
                if j < len(t) and t[j].upper() == "AS":
                    j += 1
                if j < len(t) and re.match(r"[A-Za-z_]\w*$", t[j]) and t[j].upper() not in (
                        "WHERE", "JOIN", "ON", "GROUP", "ORDER", "LIMIT", "LEFT", "INNER", "CROSS", "HAVING", "UNION"):
                    aliases[t[j]] = table
        return aliases

    def _column(self, i):
        """(table, column) of the column reference that ends at token i, or None."""
        t = self.tokens
        name = t[i]
        if i >= 2 and t[i - 1] == ".":
            table = self.aliases.get(t[i - 2])
            return (table, name) if table and name in self.columns[table] else None
        for table in dict.fromkeys(self.aliases.values()):
            if name in self.columns[table]:
                return table, name
        return None

    def _read(self):
        t = self.tokens
        in_where = False
        for i, tok in enumerate(t):
            up = tok.upper()
            if up == "WHERE":
                in_where = True
            elif up in CLAUSE_ENDS:
                in_where = False
            if up in ("MIN", "MAX") and i + 2 < len(t) and t[i + 1] == "(":
                end = i + 2
                while end + 1 < len(t) and t[end + 1] == ".":
                    end += 2
                col = self._column(end)
                if col and end + 1 < len(t) and t[end + 1] == ")":
                    self.extremes[col] = up
            if not in_where or tok not in ("=", "<", "<=", ">", ">=") or i == 0 or i + 1 >= len(t):
                continue
            if re.match(r"[A-Za-z_]\w*$", t[i - 1]) and re.match(r"[A-Za-z_]\w*$", t[i + 1]) and tok != "=":
                end = i + 3 if i + 3 < len(t) and t[i + 2] == "." else i + 1
                left, right = self._column(i - 1), self._column(end)
                if left and right and left[0] != right[0]:
                    self.windows.append(left + (tok,) + right)
                continue
            if is_literal(t[i + 1]) and re.match(r"\w+$", t[i - 1]):
                col, op, value = self._column(i - 1), tok, literal(t[i + 1])
            elif is_literal(t[i - 1]) and i + 1 < len(t) and re.match(r"\w+$", t[i + 1]):
                col, op, value = self._column(i + 1), FLIP.get(tok, tok), literal(t[i - 1])
            else:
                continue
            if col:
                self.atoms.append(col + (op, value))


def satisfies(value, op, constant):
    if value is None:
        return False
    return {"=": value == constant, "<": value < constant, "<=": value <= constant,
            ">": value > constant, ">=": value >= constant}[op]


def margin_value(op, constant, step):
    """A value that meets `op constant` by two steps."""
    return constant - 2 * step if op in UPPER_BOUND else constant + 2 * step


def in_range(column, value):
    low, high = RANGES.get(column, (0, None))
    return value >= low and (high is None or value <= high)


ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def snap_windows(ref, names, current, changed, updates):
    """A window "x.ts OP y.start" whose y row the reference pins (y.key = constant): y's time is moved
    onto the nearest time x holds, outward (a lower bound down, an upper bound up), so a row of x sits
    exactly on the window's edge. Other times of the y row keep their order (a submission passed
    by its start moves with it)."""
    sides = [side for tx, cx, op, ty, cy in ref.windows
             for side in ((ty, cy, tx, cx, op in (">", ">=")), (tx, cx, ty, cy, op in ("<", "<=")))]
    for (pinned, column, other, other_column, lower) in sides:
        # a window has its two edges in two columns of the pinned row (start, end); an event's one
        # time compared both ways is a point, not a window
        edges = {(s[1], s[4]) for s in sides if s[0] == pinned and s[2] == other}
        if {e[1] for e in edges} != {True, False} or len({e[0] for e in edges}) < 2:
            continue
        equal = [(names[pinned].index(c), v) for tb, c, o, v in ref.atoms if tb == pinned and o == "="]
        if not equal:
            continue
        col, ocol = names[pinned].index(column), names[other].index(other_column)
        times = sorted({r[ocol] for r in current[other] if isinstance(r[ocol], str) and ISO.match(r[ocol])})
        for i, row in enumerate(current[pinned]):
            value = row[col]
            if not all(row[k] == v for k, v in equal) or not isinstance(value, str) \
                    or not ISO.match(value) or value in times or not times:
                continue
            # outward only (the window grows): times of the row it passes move with it, so a
            # submission still comes before its start
            passed = [t for t in times if (t < value if lower else t > value)]
            if not passed:
                continue
            choice = passed[-1] if lower else passed[0]
            change = {c: choice for c, v in zip(names[pinned], row) if isinstance(v, str) and ISO.match(v)
                      and (choice <= v <= value if lower else value <= v <= choice)}
            mine = [u for u in updates if u[0] == pinned and u[1] == i and u[4] == "window"]
            if mine:
                mine[0][2].update(change)
            elif i in changed[pinned]:
                continue
            else:
                changed[pinned].add(i)
                updates.append((pinned, i, change, row[:], "window"))
            for c, v in change.items():
                row[names[pinned].index(c)] = v


def variant_question_boundaries(rows, rng, delta, columns, references):
    """columns: {table: [(column, type declaration)] in row order}; references: SQL texts."""
    names = {table: [c for c, _ in cols] for table, cols in columns.items()}
    numeric = {table: {c for c, typ in cols if typ.startswith(("INTEGER", "REAL"))} for table, cols in columns.items()}
    current = {table: [list(r) for r in rows[table]] for table in names}
    changed = {table: set() for table in names}  # row indexes already on some boundary
    used_groups = {}  # (table, column, key columns) -> output keys holding a boundary row
    updates = []  # (table, row index, {column: new value}, original row, role) in order
    delta.comment("Rows on the boundaries of the references' own comparisons (column OP constant): the "
                  "compared value at t - 1, t and t + 1 within the reference's entity / window, the "
                  "reference's MIN / MAX column most extreme on those rows.")
    for sql in references:
        ref = Reference(sql, names)
        for table in dict.fromkeys(a[0] for a in ref.atoms):
            atoms = [a for a in ref.atoms if a[0] == table]
            equal = [(names[table].index(c), v) for _, c, op, v in atoms if op == "="]
            ranges = [(c, op, v) for _, c, op, v in atoms if op != "=" and c in numeric[table]
                      and c not in FROZEN and not isinstance(v, str)]
            if not ranges:
                continue
            context = [i for i, r in enumerate(current[table])
                       if all(r[k] == v for k, v in equal) and i not in changed[table]]
            # output keys: the reference's other columns of this table that are not compared or
            # aggregated (a DISTINCT / GROUP BY key is one of them)
            compared = {c for c, _, _ in ranges} | {c for (tb, c) in ref.extremes if tb == table}
            keys = [names[table].index(c) for c in names[table]
                    if c not in compared and c in ref.tokens and c not in {names[table][k] for k, _ in equal}]
            first = len(updates)
            for column, op, t in ranges:
                others = [(c, o, v) for c, o, v in ranges if (c, o, v) != (column, op, t)]
                step = 1 if isinstance(t, int) else 0.1
                col = names[table].index(column)
                # groups that hold a boundary row of this column already (of this reference or an
                # earlier one): another boundary row there could hide that edge again
                used = used_groups.setdefault((table, column, tuple(keys)), set())
                # t first (the > / >= edge), then the value just inside, then just outside
                inside = t + step if op in (">", ">=") else t - step
                outside = t - step if op in (">", ">=") else t + step
                for value, role in ((t, "edge"), (inside, "inside"), (outside, "outside")):
                    value = round(value, 1) if step != 1 else value
                    if not in_range(column, value) or not context:
                        continue
                    # prefer a row whose output key has no row meeting the comparison yet
                    meeting = {tuple(current[table][i][k] for k in keys) for i in range(len(current[table]))
                               if all(current[table][i][k] == v for k, v in equal)
                               and satisfies(current[table][i][col], op, min(t, outside) if op in (">", ">=")
                                             else max(t, outside))}
                    key = lambda i: tuple(current[table][i][k] for k in keys)  # noqa: E731
                    fresh = [i for i in context if key(i) not in meeting and key(i) not in used]
                    # else any group but the ones this comparison's other rows are in (the edge's
                    # group must not gain a row inside)
                    apart = [i for i in context if key(i) not in used]
                    i = rng.choice(fresh or apart or context)
                    used.add(key(i))
                    context.remove(i)
                    changed[table].add(i)
                    row = current[table][i]
                    change = {column: value}
                    for c, o, v in others:
                        if not satisfies(row[names[table].index(c)], o, v):
                            change[c] = margin_value(o, v, 1 if isinstance(v, int) else 0.1)
                    updates.append((table, i, change, row[:], role))
                    for c, v in change.items():
                        row[names[table].index(c)] = v
            # MIN / MAX of a column: the boundary rows of this reference hold its extremes, the
            # row outside the comparison the most extreme, then the edge, then the one inside (so
            # moving the edge either way changes the extreme)
            for (tb, column), which in sorted(ref.extremes.items()):
                if tb != table or column not in numeric[table] or column in FROZEN:
                    continue
                col = names[table].index(column)
                values = [r[col] for r in current[table] if all(r[k] == v for k, v in equal) and r[col] is not None]
                if not values:
                    continue
                spread = max(1, (max(values) - min(values)) // 20)
                low, high = RANGES.get(column, (0, None))
                room = min(values) - low if which == "MIN" else (None if high is None else high - max(values))
                if room is not None:  # three steps beyond the extreme must stay in the column's range
                    spread = min(spread, room // 3)
                if spread <= 0:
                    continue
                for (_, i, change, _, role) in updates[first:]:
                    if column in change:
                        continue
                    distance = {"edge": 2, "inside": 1, "outside": 3}[role] * spread
                    value = min(values) - distance if which == "MIN" else max(values) + distance
                    if in_range(column, value):
                        change[column] = value
                        current[table][i][col] = value
        snap_windows(ref, names, current, changed, updates)
    for table, i, change, original, _ in updates:
        where = " AND ".join("%s IS %s" % (c, delta.sql_value(v)) for c, v in zip(names[table], original))
        delta.sql("UPDATE %s SET %s WHERE %s;" % (table, ", ".join("%s = %s" % (c, delta.sql_value(v))
                                                               for c, v in sorted(change.items())), where))

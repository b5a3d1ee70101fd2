#!/usr/bin/env python3
"""Training examples for the diagnostics suite (the corpus's "train" pool; never an evaluation split).

Only the FEW-SHOT templates of datasets/diagnostics/make_examples.py are used: make_examples.py gives
every template to exactly one split, so a few-shot template is never a test or dev template, and
its rewordings cannot be rewordings of a test or dev question. Each parameterised few-shot template is
expanded over the values the simulated telemetry holds (hosts, clusters, users, days, exit codes,
jobs, timestamps, GPU indices, GPU counts), shuffled by --seed; a reference must return 1..300 rows,
as make_examples.py requires. The few-shot example's own parameters are skipped (it is in the corpus
already), and so are templates without parameters (they only have their few-shot example).

Output: one {"pool": "train", "example": {...}} line per train example, then one {"pool": "eval",
"example": {...}} line per dev/test example as make_examples.py makes them, replayed in memory (no
evaluation file is read; the replayed few-shot split must equal fewshot.jsonl byte for byte, else
exit 1): the corpus builder drops train examples that share an identifying n-gram with those
(training/corpus/eval_ngrams.h), and stores only the train ones.

Usage: diagnostics_train.py SUITE_DIR SEED PER_TEMPLATE   -> JSONL on stdout
python3 standard library only; deterministic for a given seed.
"""

import itertools
import json
import os
import random
import re
import sqlite3
import sys


def main():
    suite_dir, seed, per_template = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sys.path.insert(0, os.path.abspath(suite_dir))
    import make_examples as mk  # noqa: E402  (the suite's own templates)

    db = sqlite3.connect(":memory:")
    with open(os.path.join(suite_dir, "telemetry.sql"), encoding="utf-8") as f:
        db.executescript(f.read())

    def column(sql):
        return [r[0] for r in db.execute(sql).fetchall()]

    domains = {
        "h": column("SELECT hostname FROM nodes ORDER BY hostname"),
        "c": column("SELECT cluster FROM clusters ORDER BY cluster"),
        "u": column("SELECT DISTINCT user_name FROM jobs ORDER BY 1"),
        "d": list(mk.DAYS),
        "e": column("SELECT DISTINCT exit_code FROM jobs WHERE exit_code IS NOT NULL ORDER BY 1"),
        "j": column("SELECT DISTINCT job_id FROM nccl_events ORDER BY 1"),
        "ts": column("SELECT DISTINCT ts FROM gpu_metrics ORDER BY 1"),
        "g": list(range(8)),
        "n": column("SELECT DISTINCT num_gpus FROM jobs ORDER BY 1"),
    }
    derived = {"nd", "pd", "fw"}
    rng = random.Random(seed)
    out = sys.stdout
    for t in mk.TEMPLATES:
        if t.split != "fewshot" or isinstance(t.params, str):
            continue
        names = sorted({n for text in t.phrasings + [t.sql] for n in re.findall(r"{(\w+)}", text)} - derived)
        if not names:
            continue
        unknown = [n for n in names if n not in domains]
        if unknown:
            raise SystemExit("template %s: no value domain for %s" % (t.stem, unknown))
        own = {tuple(str(p.get(n)) for n in names) for p in t.params}
        combos = [c for c in itertools.product(*(domains[n] for n in names))
                  if tuple(str(v) for v in c) not in own]
        rng.shuffle(combos)
        made = 0
        for combo in combos:
            if made >= per_template:
                break
            p = dict(zip(names, combo))
            if "d" in p:
                p["nd"] = mk.next_day(p["d"])
                p["pd"] = mk.pretty_day(p["d"])
            sql = t.sql.format(**p)
            rows = db.execute(sql).fetchall()
            if not rows or len(rows) > 300:
                continue
            question = t.phrasings[made % len(t.phrasings)].format(**p)
            made += 1
            ex = {"id": "diag-train-%s-%d" % (t.stem, made), "category": t.category,
                  "question": question, "reference": sql}
            out.write(json.dumps({"pool": "train", "example": ex}, ensure_ascii=False) + "\n")
    # The evaluation examples, replayed in memory (make_examples.main()'s loop without its checks
    # and files), to filter against.
    replayed = replay(mk, db)
    fewshot = "".join(json.dumps(ex, ensure_ascii=False) + "\n" for ex in replayed["fewshot"])
    with open(os.path.join(suite_dir, "fewshot.jsonl"), encoding="utf-8") as f:
        if f.read() != fewshot:
            print("diagnostics_train.py: the replayed few-shot split differs from fewshot.jsonl: "
                  "make_examples.py changed, update this replay", file=sys.stderr)
            sys.exit(1)
    for split in ("dev", "test"):
        for ex in replayed[split]:
            out.write(json.dumps({"pool": "eval", "example": ex}, ensure_ascii=False) + "\n")


def replay(mk, db):
    """The three splits as make_examples.main() makes them (same templates, order and limits)."""
    db.row_factory = sqlite3.Row
    splits = {"test": [], "dev": [], "fewshot": []}
    first_job_with_timeout = db.execute(
        "SELECT MIN(job_id) FROM nccl_events WHERE event_type = 'timeout'").fetchone()[0]
    for t in mk.TEMPLATES:
        if isinstance(t.params, str):
            params = [dict(r) for r in db.execute(t.params).fetchall()]
        else:
            params = [dict(p) for p in t.params]
        made = 0
        for p in params:
            if made >= t.limit:
                break
            if t.stem == "fs-timeouts-job":
                p["j"] = first_job_with_timeout
            if "d" in p:
                p["nd"] = mk.next_day(p["d"])
                p["pd"] = mk.pretty_day(p["d"])
            if "f" in p:
                p["fw"] = "fatal" if p["f"] == 1 else "non-fatal"
            sql = t.sql.format(**p)
            rows = db.execute(sql).fetchall()
            if not rows or len(rows) > 300:
                continue
            question = t.phrasings[made % len(t.phrasings)].format(**p)
            ex = {"id": "diag-%s-%s-%d" % (t.split, t.stem, made + 1), "category": t.category,
                  "question": question, "reference": sql}
            if t.notes:
                ex["notes"] = t.notes
            splits[t.split].append(ex)
            made += 1
    db.row_factory = None
    return splits

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Training examples for the infrawise suite (the corpus's "train" pool; never an evaluation split).

infrawise's split hygiene (datasets/infrawise/make_examples.py): every DCW (target, baseline,
workload, criterion) appears in exactly one example of one split, and no request shares >= 85% of
its word set with a request of another split. This script keeps that rule for a fourth split,
"train": it replays the generator's own draws (same seed, same order: fewshot, dev, test) so the
DCWs those splits took are removed from the pools, then keeps drawing train examples from what is
left, with its own random stream (--seed), rejecting a request too close (Jaccard >= 0.85) to any
request of the other splits. The dev/test requests exist only in memory, as the generator makes them;
no evaluation file is read. The replayed few-shot split must equal datasets/infrawise/fewshot.jsonl
byte for byte (checked: it proves the replay follows the generator; exit 1 otherwise).

Output: one {"pool": "train", "example": {...}} line per train example, then one {"pool": "eval",
"example": {...}} line per replayed dev/test example: the corpus builder drops train examples that
share an identifying n-gram with those (training/corpus/eval_ngrams.h), and stores only the train ones.

The draw loop below mirrors make_examples.main() (which also writes or checks the split files, so
it cannot be called as it is); the module's templates, phrases, aliases and database are imported.

Usage: infrawise_train.py SUITE_DIR SEED COUNT   -> JSONL on stdout (see Output)
python3 standard library only; deterministic for a given seed.
"""

import json
import os
import random
import sys


def draw_split(mk, rng, pools, combos, counter, split, count, request_words, db):
    examples = []
    request_words[split] = []
    while len(examples) < count:
        combo = combos[counter[0] % len(combos)]
        counter[0] += 1
        single = rng.random() < mk.SINGLE_SHARE
        pool = pools[combo]["singles" if single else "pairs"]
        if not pool:
            if all(not p["singles"] and not p["pairs"] for p in pools.values()):
                break  # every DCW is taken
            continue
        target, baseline = pool.pop()
        workload, criterion = combo
        request = None
        for _ in range(30):
            if baseline is None:
                template = rng.choice(mk.SINGLE)
            else:
                newer = mk.generation(target) > mk.generation(baseline)
                template = rng.choice([t for t in mk.COMPARE if newer or t not in mk.DIRECTIONAL])
            text = template.format(W=rng.choice(mk.PHRASES[combo]), T=mk.system_mention(rng, target),
                                   B=mk.system_mention(rng, baseline) if baseline else "")
            text = text.replace("the the ", "the ").replace("its the ", "its ")
            text = text[0].upper() + text[1:]
            ws = mk.words(text)
            clash = any(mk.jaccard(ws, other) >= mk.MAX_JACCARD
                        for other_split, sets in request_words.items() if other_split != split
                        for other in sets)
            if not clash:
                request = text
                break
        if request is None:
            continue
        request_words[split].append(mk.words(request))
        results = mk.retrieve(db, target, baseline, workload, criterion)
        examples.append({
            "id": f"iw-{split}-{len(examples) + 1:03d}",
            "category": mk.WORKLOADS[workload]["family"],
            "request": request,
            "reference": {"design": {"target": target, "baseline": baseline},
                          "workload": workload, "criterion": criterion},
            "results": results,
        })
    return examples


def main():
    suite_dir, seed, count = os.path.abspath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    sys.path.insert(0, suite_dir)
    import make_examples as mk  # noqa: E402  (the suite's own generator)

    mk.HERE = suite_dir
    rng = random.Random(20260125)  # the generator's seed: replays its draws
    db = mk.load_db()
    combos = list(mk.PHRASES)
    pools = {}
    for combo in combos:
        systems = [s for s in mk.SYSTEMS if mk.has_results(db, s, *combo)]
        pairs = [(t, b) for t in systems for b in systems if t != b]
        singles = [(t, None) for t in systems]
        rng.shuffle(pairs)
        rng.shuffle(singles)
        pools[combo] = {"pairs": pairs, "singles": singles}
    counter = [0]
    request_words = {}
    replayed = {}
    for split, n in mk.SPLITS:
        replayed[split] = draw_split(mk, rng, pools, combos, counter, split, n, request_words, db)
    fewshot = mk.showcase_first(replayed["fewshot"])
    for n, ex in enumerate(fewshot, 1):
        ex["id"] = f"iw-fewshot-{n:03d}"
    text = "".join(json.dumps(ex, ensure_ascii=False) + "\n" for ex in fewshot)
    with open(os.path.join(suite_dir, "fewshot.jsonl"), encoding="utf-8") as f:
        if f.read() != text:
            print("infrawise_train.py: the replayed few-shot split differs from fewshot.jsonl: "
                  "make_examples.py changed, update this replay", file=sys.stderr)
            sys.exit(1)
    train = draw_split(mk, random.Random(seed), pools, combos, counter, "train", count, request_words, db)
    for ex in train:
        sys.stdout.write(json.dumps({"pool": "train", "example": ex}, ensure_ascii=False) + "\n")
    for split in ("dev", "test"):
        for ex in replayed[split]:
            sys.stdout.write(json.dumps({"pool": "eval", "example": ex}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

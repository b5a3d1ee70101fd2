#!/usr/bin/env python3
"""Writes the infrawise examples (test.jsonl, dev.jsonl, fewshot.jsonl) from templates.

Each example: {"id", "category", "request", "reference", "results"}
  reference  the DCW: {"design": {"target": T, "baseline": B or null}, "workload": W, "criterion": C},
             canonical names of benchmarks.sql
  results    ids of the results the reference selects with the scorer's fixed query (RETRIEVAL below,
             the same text as tasks/infrawise/dcw_scorer.cpp), sorted ascending
  category   the workload's family (collective, compute, memory, network, inference, training)

How requests vary: 24 comparison and 12 single-system sentence shapes, 3-6 wordings per
workload/criterion pair, and systems named by their canonical name or any alias (aliases.json).
Conventions the prompt states: the target is the system being evaluated (new, proposed, considered);
the baseline is what it is compared against (current, old, reference); if neither is marked, the
first-named system is the target; no second system -> baseline null.

Split hygiene: every DCW (target, baseline, workload, criterion) appears in exactly one example of
one split, and no request shares >= 85% of its word set (Jaccard) with a request of another split.
Deterministic (seeded). Run after generate_benchmarks.py. With --check it writes nothing and fails
when a file differs from what it would write (ctest runs that).
"""

import json
import os
import random
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from facts import ALIASES, SYSTEMS, WORKLOADS  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SPLITS = [("fewshot", 20), ("dev", 60), ("test", 320)]
SINGLE_SHARE = 0.2
MAX_JACCARD = 0.85

RETRIEVAL = ("SELECT id FROM results WHERE workload = ? AND criterion = ? AND system IN (?, ?) ORDER BY id")

PHRASES = {
    ("all_reduce", "bus bandwidth"): [
        "all-reduce bus bandwidth", "NCCL all_reduce busbw", "the busbw all_reduce_perf reports",
        "allreduce bus bandwidth across the GPUs of a node", "all-reduce bandwidth (bus bandwidth, not algbw)"],
    ("all_reduce", "latency"): [
        "small-message all-reduce latency", "allreduce latency", "all_reduce latency for tiny buffers",
        "the time an all-reduce of a small message takes"],
    ("all_gather", "bus bandwidth"): [
        "all-gather bus bandwidth", "allgather busbw", "the bus bandwidth of all_gather_perf",
        "all-gather collective bandwidth (busbw)"],
    ("all_gather", "latency"): [
        "all-gather latency", "allgather latency at small sizes", "small-message all_gather latency"],
    ("reduce_scatter", "bus bandwidth"): [
        "reduce-scatter bus bandwidth", "reduce_scatter busbw", "the bus bandwidth reduce_scatter_perf shows",
        "reducescatter bandwidth (busbw)"],
    ("alltoall", "bus bandwidth"): [
        "all-to-all bus bandwidth", "alltoall busbw", "the bus bandwidth of alltoall_perf",
        "all-to-all collective bandwidth, as busbw"],
    ("gemm bf16", "TFLOPS"): [
        "BF16 GEMM TFLOPS", "achieved TFLOPS on bf16 matmuls", "bfloat16 matrix-multiply throughput in TFLOPS",
        "dense BF16 GEMM performance (TFLOPS)"],
    ("gemm fp8", "TFLOPS"): [
        "FP8 GEMM TFLOPS", "achieved TFLOPS for fp8 matmuls", "FP8 matrix-multiply throughput in TFLOPS",
        "float8 GEMM performance in TFLOPS"],
    ("babelstream", "memory bandwidth"): [
        "HBM bandwidth as measured by BabelStream", "STREAM copy/triad memory bandwidth",
        "device memory bandwidth from BabelStream", "achieved GPU memory bandwidth in the stream benchmark"],
    ("ib write", "network bandwidth"): [
        "ib_write_bw bandwidth", "InfiniBand RDMA write bandwidth", "per-port RDMA write throughput in Gb/s",
        "the network bandwidth perftest's write test reaches"],
    ("ib write", "latency"): [
        "ib_write_lat latency", "RDMA write latency over InfiniBand", "InfiniBand write latency (perftest)",
        "small-message RDMA write latency"],
    ("llama2-70b inference", "tokens per second"): [
        "Llama 2 70B inference throughput in tokens per second", "tokens/s when serving Llama-2-70B",
        "llama2-70b generation throughput (tokens per second)", "the number of tokens per second Llama 2 70B serves"],
    ("llama2-70b inference", "time to first token"): [
        "time to first token for Llama 2 70B", "Llama-2-70B TTFT", "first-token latency of llama2-70b inference",
        "the prefill latency (time to first token) of Llama 2 70B"],
    ("resnet50 training", "throughput"): [
        "ResNet-50 training throughput (images per second)", "images/s when training ResNet50",
        "resnet50 training throughput", "the number of images per second ResNet-50 training processes"],
    ("resnet50 training", "time to train"): [
        "ResNet-50 time to train", "the time ResNet-50 needs to reach its target accuracy",
        "resnet50 training time to convergence", "minutes to train ResNet-50 on ImageNet"],
    ("bert-large training", "throughput"): [
        "BERT-Large training throughput (sequences per second)", "sequences/s in BERT-large pre-training",
        "bert-large training throughput", "the sequences per second BERT-Large training reaches"],
    ("bert-large training", "time to train"): [
        "BERT-Large time to train", "the time BERT-large pre-training needs to converge",
        "bert-large training time", "minutes to train BERT-Large to its target"],
    ("llama2-70b lora fine-tuning", "time to train"): [
        "time to finish a Llama 2 70B LoRA fine-tune", "Llama-2-70B LoRA fine-tuning time to train",
        "the duration of a llama2-70b LoRA fine-tuning run", "LoRA fine-tuning time for Llama 2 70B"],
}

# Templates that say the baseline is older ("upgrade from", "getting old"): used only when the
# target's GPU generation is newer than the baseline's, so the request stays sensible.
DIRECTIONAL = {
    "We're considering moving from {B} to {T}. How does {W} change?",
    "Our {B} machines are getting old - how would {T} stack up on {W}?",
    "Did the upgrade from {B} to {T} improve {W}?",
    "Our team is migrating off {B}; tell me how {T} does on {W} in comparison.",
}
GENERATION = {"A100": 1, "H100": 2, "MI300X": 2, "H200": 3}


def generation(system):
    return GENERATION[SYSTEMS[system]["gpu"].split()[0]]


COMPARE = [
    "How does {W} on {T} compare with {B}?",
    "We're considering moving from {B} to {T}. How does {W} change?",
    "Compare {W} between {T} and our current {B} fleet.",
    "Is {T} worth it over {B} when it comes to {W}?",
    "Show me {W} for {T}, using {B} as the baseline.",
    "Our {B} machines are getting old - how would {T} stack up on {W}?",
    "Benchmark {T} against {B}: {W}, please.",
    "What's the gain in {W} if we go with {T} instead of {B}?",
    "I need numbers on {W}: {T} versus {B}.",
    "Did the upgrade from {B} to {T} improve {W}?",
    "Pull the {W} results for {T} and put them next to {B}.",
    "Management wants to know whether {T} beats {B} on {W}.",
    "How much better or worse is {W} on {T} than on {B}?",
    "Evaluate {T} relative to {B} in terms of {W}.",
    "For capacity planning: {W} of {T}, baselined against {B}.",
    "We run everything on {B} today. Would {T} give us better {W}?",
    "Quantify the difference in {W} between {T} and {B} (the latter is our reference).",
    "Can you check {W} on {T} against what we get on {B}?",
    "Before we sign for {T}, compare its {W} with {B}.",
    "What does {T} look like on {W} when compared to {B}?",
    "{T} vs {B} - {W}?",
    "Is {W} on {T} an improvement over {B}?",
    "Our team is migrating off {B}; tell me how {T} does on {W} in comparison.",
    "Rate {T} against the {B} baseline on {W}.",
]

SINGLE = [
    "What do we get for {W} on {T}?",
    "Show the {W} numbers for {T}.",
    "How good is {T} on {W}?",
    "Report {W} for {T}.",
    "I'd like to see {W} measured on {T}.",
    "What does the benchmark database say about {W} on {T}?",
    "Give me the {W} of {T}.",
    "Is {W} on {T} any good?",
    "We just got access to {T}. What's its {W}?",
    "Look up {W} for {T}.",
    "Characterise {T} in terms of {W}.",
    "How does {T} do on {W}? No comparison needed.",
]


def words(text):
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def jaccard(a, b):
    return len(a & b) / len(a | b)


def system_mention(rng, name):
    # Canonical name about a third of the time, otherwise any alias.
    choices = [name] * 3 + ALIASES["systems"][name] * 1
    return rng.choice(choices)


def showcase_first(examples):
    """The prompt shows the first three few-shot examples (tasks/suite_definition.h), so put first
    one without a baseline, one inference comparison and one training comparison: the shots then
    cover null baselines and more than one workload family. The rest keep their order."""
    picks = []
    for wanted in (lambda e: e["reference"]["design"]["baseline"] is None,
                   lambda e: e["category"] == "inference" and e["reference"]["design"]["baseline"],
                   lambda e: e["category"] == "training" and e["reference"]["design"]["baseline"]):
        pick = next(e for e in examples if wanted(e) and e not in picks)
        picks.append(pick)
    return picks + [e for e in examples if e not in picks]


def load_db():
    db = sqlite3.connect(":memory:")
    with open(os.path.join(HERE, "benchmarks.sql")) as f:
        db.executescript(f.read())
    return db


def retrieve(db, target, baseline, workload, criterion):
    # A null baseline selects nothing: the same system twice in IN () is harmless.
    second = baseline if baseline is not None else target
    return [row[0] for row in db.execute(RETRIEVAL, (workload, criterion, target, second))]


def has_results(db, system, workload, criterion):
    return bool(retrieve(db, system, None, workload, criterion))


def main():
    rng = random.Random(20260125)
    db = load_db()
    combos = list(PHRASES)
    for workload, info in WORKLOADS.items():
        for criterion in info["criteria"]:
            assert (workload, criterion) in PHRASES, (workload, criterion)

    # Candidate DCWs per combo, shuffled; drawn round-robin over combos so every pair is covered.
    pools = {}
    for combo in combos:
        systems = [s for s in SYSTEMS if has_results(db, s, *combo)]
        pairs = [(t, b) for t in systems for b in systems if t != b]
        singles = [(t, None) for t in systems]
        rng.shuffle(pairs)
        rng.shuffle(singles)
        pools[combo] = {"pairs": pairs, "singles": singles}

    written = {}
    request_words = {}  # split -> [word sets]
    counter = 0
    for split, count in SPLITS:
        examples = []
        request_words[split] = []
        while len(examples) < count:
            combo = combos[counter % len(combos)]
            counter += 1
            single = rng.random() < SINGLE_SHARE
            pool = pools[combo]["singles" if single else "pairs"]
            if not pool:
                continue
            target, baseline = pool.pop()
            workload, criterion = combo
            request = None
            for _ in range(30):
                if baseline is None:
                    template = rng.choice(SINGLE)
                else:
                    newer = generation(target) > generation(baseline)
                    template = rng.choice([t for t in COMPARE if newer or t not in DIRECTIONAL])
                text = template.format(W=rng.choice(PHRASES[combo]), T=system_mention(rng, target),
                                       B=system_mention(rng, baseline) if baseline else "")
                text = text.replace("the the ", "the ").replace("its the ", "its ")
                text = text[0].upper() + text[1:]
                ws = words(text)
                clash = any(jaccard(ws, other) >= MAX_JACCARD
                            for other_split, sets in request_words.items() if other_split != split
                            for other in sets)
                if not clash:
                    request = text
                    break
            if request is None:
                continue
            request_words[split].append(words(request))
            results = retrieve(db, target, baseline, workload, criterion)
            assert results
            examples.append({
                "id": f"iw-{split}-{len(examples) + 1:03d}",
                "category": WORKLOADS[workload]["family"],
                "request": request,
                "reference": {"design": {"target": target, "baseline": baseline},
                              "workload": workload, "criterion": criterion},
                "results": results,
            })
        if split == "fewshot":
            examples = showcase_first(examples)
            for n, ex in enumerate(examples, 1):
                ex["id"] = f"iw-fewshot-{n:03d}"
        written[split] = examples

    check = sys.argv[1:] == ["--check"]
    ok = True
    for split, examples in written.items():
        text = "".join(json.dumps(ex, ensure_ascii=False) + "\n" for ex in examples)
        path = os.path.join(HERE, f"{split}.jsonl")
        if check:
            with open(path) as f:
                if f.read() != text:
                    print(f"{split}.jsonl differs from what the generator writes", file=sys.stderr)
                    ok = False
        else:
            with open(path, "w") as out:
                out.write(text)
        singles = sum(1 for ex in examples if ex["reference"]["design"]["baseline"] is None)
        print(f"{split}: {len(examples)} examples ({singles} without a baseline)")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

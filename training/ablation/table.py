#!/usr/bin/env python3
"""Writes docs/ABLATION.md (to stdout) from the ablation's raw files.

Usage: table.py RESULTS [LONG]
RESULTS holds one folder per trained checkpoint (VARIANT for seed 0, VARIANT-seedN otherwise), as
scripts/gpu/run-train.sh returns them in results.tgz: train_log.json, answer_loss.json (`aimicius
answer-loss --format json`, one object per suite) and, for seed 0, report.json (`aimicius report
--format json --all-metrics` of its `aimicius run`); RESULTS/cpu_decode.txt holds "VARIANT
TOKENS_PER_S" lines (training/ablation/run.sh). LONG, optional, is a second RESULTS folder of longer
runs of some variants. Comparisons between variants are paired by seed (same seed: same initial
weights' draws and the same batches) with a t interval over the seeds. Standard library only."""
import json, math, os, re, statistics, sys

ORDER = ["gqa-small", "kcomp-small", "vcomp-small", "khalf-small", "vhalf-small", "augq-small", "sigma-small"]
WHAT = {"gqa-small": "GQA baseline (4 K / 4 V heads)", "kcomp-small": "K compressed (1 K / 4 V)",
        "vcomp-small": "V compressed (4 K / 1 V)", "khalf-small": "K halved (2 K / 4 V)",
        "vhalf-small": "V halved (4 K / 2 V)", "augq-small": "GQA + augmented Q",
        "sigma-small": "Sigma: K compressed + augmented Q"}
SUITES = ["cmdgen", "infrawise", "optiflow", "diagnostics"]
# Generation metrics shown (of the seed-0 `aimicius run`): those not zero for every variant.
RUN_METRICS = [("infrawise", "workload_accuracy"), ("infrawise", "criterion_accuracy"),
               ("optiflow", "code_executable"), ("optiflow", "plan_valid"), ("diagnostics", "syntax_accuracy"),
               ("diagnostics", "token_jaccard")]
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
PAIRS = [("kcomp-small", "vcomp-small", "V compressed - K compressed"),
         ("khalf-small", "vhalf-small", "V halved - K halved"),
         ("gqa-small", "kcomp-small", "K compressed - GQA"),
         ("gqa-small", "vcomp-small", "V compressed - GQA"),
         ("gqa-small", "augq-small", "augmented Q - GQA"),
         ("kcomp-small", "sigma-small", "Sigma - K compressed")]


def load_runs(folder):
    """{variant: {seed: {"log", "loss": {metric: value}, "report"}}}"""
    runs = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isfile(os.path.join(path, "train_log.json")):
            continue
        m = re.match(r"(.*?)(?:-seed(\d+))?$", name)
        variant, seed = m.group(1), int(m.group(2) or 0)
        log = json.load(open(os.path.join(path, "train_log.json")))
        loss = {"heldout": log["eval_loss"][-1][1]}
        counts = {}  # suite -> (scored, skipped)
        for line in open(os.path.join(path, "answer_loss.json")):
            if line.strip():
                j = json.loads(line)
                loss[j["suite"]] = j["nats_per_byte"]
                counts[j["suite"]] = (j["scored"], j["skipped"])
        report_file = os.path.join(path, "report.json")
        report = json.load(open(report_file)) if os.path.exists(report_file) else None
        runs.setdefault(variant, {})[seed] = {"log": log, "loss": loss, "counts": counts, "report": report}
    return runs


def mean_sd(xs):
    return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else float("nan"))


def paired(runs, a, b, metric):
    seeds = sorted(set(runs.get(a, {})) & set(runs.get(b, {})))
    diffs = [runs[b][s]["loss"][metric] - runs[a][s]["loss"][metric] for s in seeds]
    if len(diffs) < 2:
        return None
    m, sd = mean_sd(diffs)
    half = T975[len(diffs) - 1] * sd / math.sqrt(len(diffs))
    return m, m - half, m + half, len(diffs), sum(d < 0 for d in diffs)


def fmt_pair(p):
    if p is None:
        return "-"
    m, lo, hi, n, lower = p
    mark = " **" if lo > 0 or hi < 0 else ""
    return f"{m:+.4f} [{lo:+.4f}, {hi:+.4f}]{mark} ({lower}/{n} lower)"


def kv_bytes(c):
    return c["num_hidden_layers"] * (c["num_key_heads"] + c["num_value_heads"]) * c["head_dim"] * 2


def main():
    results = sys.argv[1]
    long_dir = sys.argv[2] if len(sys.argv) > 2 else None
    runs = load_runs(results)
    decode = {}
    decode_file = os.path.join(results, "cpu_decode.txt")
    if os.path.exists(decode_file):
        for line in open(decode_file):
            if line.strip():
                v, tps = line.split()
                decode[v] = float(tps)
    variants = [v for v in ORDER if v in runs]
    first = runs[variants[0]][min(runs[variants[0]])]["log"]
    o, corpus = first["options"], first["corpus"]
    seeds = sorted({s for v in variants for s in runs[v]})
    tok = json.load(open(os.path.join(results, "tokenizer_report.json"))) \
        if os.path.exists(os.path.join(results, "tokenizer_report.json")) else None

    p = print
    p("# Ablation: K/V sensitivity at small scale\n")
    p("The paper's central finding (Sigma, arXiv 2501.13629) is that model quality is less sensitive to")
    p("compressing K (fewer K heads) than V, and that an augmented Q recovers what compressing K loses.")
    p("This is the same question asked of ~12-16M-parameter models trained from scratch on the")
    p("project's own corpus and measured on aimicius' own suites. Generated by `training/ablation/table.py`")
    p("from the raw files in `training/results/ablation-small-2026-11-26/`.\n")
    p("## Setup\n")
    c0 = first["config"]
    p(f"- Shapes (`training/configs/*-small.json`): {c0['num_hidden_layers']} layers, hidden {c0['hidden_size']}, "
      f"SwiGLU {c0['intermediate_size']}, {c0['num_attention_heads']} Q heads of {c0['head_dim']}, "
      f"vocabulary {c0['vocab_size']}, context {c0['max_position_embeddings']}; the variants differ only in K/V "
      "heads and the augmented-Q MLP (intermediate 480).")
    corpus_mb = corpus["bytes"] / 1e6
    p(f"- Corpus: `aimicius corpus --optiflow-train 10000 --diagnostics-per-template 1500` ({corpus['documents']} "
      f"documents, {corpus_mb:.2f} MB; every 50th document held out), tokenized with a {c0['vocab_size']}-piece "
      "SentencePiece BPE vocabulary learnt from its train documents (`aimicius train-tokenizer`"
      + (f": {tok['heldout_bytes'] / tok['heldout_tokens']:.2f} bytes per token on the held-out documents" if tok else "")
      + f"); {corpus['train_tokens'] / 1e6:.2f}M train tokens.")
    tokens_seen = first["tokens_seen"]
    p(f"- Training, every variant and seed alike: {o['steps']} steps x {o['batch']} sequences x {o['seq_len']} "
      f"tokens ({tokens_seen / 1e6:.1f}M tokens, {tokens_seen / corpus['train_tokens']:.1f} passes over the corpus), "
      f"AdamW, peak lr {o['lr']}, warm-up {o['warmup']}, cosine to {o['min_lr_ratio']} of peak, weight decay "
      f"{o['weight_decay']}, bf16 on one H100, several runs at a time (`scripts/gpu/run-train.sh`); seeds "
      f"{', '.join(map(str, seeds))}.")
    p(f"- Held-out loss: nats per token on the corpus' held-out documents: the trainer's fixed {o['eval_windows']} "
      f"windows of {o['seq_len'] + 1} tokens, drawn from {corpus['eval_tokens'] / 1e3:.0f}k held-out tokens (so they "
      "overlap), the same for every run.")
    scored = {}
    for v in variants:
        for r in runs[v].values():
            for suite, count in r["counts"].items():
                scored.setdefault(suite, set()).add(count)
    counts = ", ".join(f"{s} " + "/".join(f"{a}" + (f" ({b} skipped)" if b else "") for a, b in sorted(scored.get(s, [])))
                       for s in SUITES)
    p("- Answer loss (`aimicius answer-loss`, lm-evaluation-harness' loglikelihood measure): nats per byte of each "
      "test example's reference answer after the suite's own prompt, mean over the suite's test examples "
      f"(scored per run: {counts}).")
    p("- Suite scores: the seed-0 checkpoints generate answers with `aimicius run --limit 60 --max-new-tokens 256` "
      "(greedy, on the GPU) on infrawise, optiflow and diagnostics, scored as any run (95% bootstrap CIs). "
      "cmdgen is measured by answer loss only: its CMD and Output Scores need the MiniLM model (88 MB), which "
      "does not travel to the GPU machine, and these checkpoints (25-32 MB) do not come back from it.")
    p("- KV-cache bytes per token: layers x (K + V heads) x head size x 2 bytes (bf16). CPU decode speed: "
      "`aimicius bench generate --batch 1 --prompt-len 512 --new-tokens 64 --repeats 5` on a random-weight "
      "checkpoint of each shape (speed does not depend on the weights' values), this project's 2-core machine "
      "(median of 5; its timings move by tens of percent between runs, so read only large gaps).\n")

    p("## Results\n")
    p("Means over the seeds with the standard deviation across seeds; lower is better for losses.\n")
    head = ["variant", "parameters", "KV bytes / token", "CPU decode tok/s", "held-out loss"] + \
        [f"{s} answer loss" for s in SUITES]
    p("| " + " | ".join(head) + " |")
    p("| --- " + "| ---: " * (len(head) - 1) + "|")
    for v in variants:
        log = runs[v][min(runs[v])]["log"]
        cells = [WHAT[v], f"{log['parameters'] / 1e6:.2f}M", f"{kv_bytes(log['config']):,}",
                 f"{decode[v]:.0f}" if v in decode else "-"]
        for metric in ["heldout"] + SUITES:
            m, sd = mean_sd([r["loss"][metric] for r in runs[v].values()])
            cells.append(f"{m:.4f} ± {sd:.4f}")
        p("| " + " | ".join(cells) + " |")
    p("")
    p(f"Paired by seed ({len(seeds)} seeds): mean difference of the loss, 95% t interval, and in how many seeds "
      "the second variant's loss was lower; ** marks an interval that excludes 0. Negative: the second is better.\n")
    p("| comparison | held-out loss | " + " | ".join(f"{s} answer loss" for s in SUITES) + " |")
    p("| --- " + "| ---: " * (1 + len(SUITES)) + "|")
    for a, b, label in PAIRS:
        if a in runs and b in runs:
            p(f"| {label} | " + " | ".join(fmt_pair(paired(runs, a, b, m)) for m in ["heldout"] + SUITES) + " |")
    p("")
    p("Generated answers of the seed-0 checkpoints (percent, 60 test examples per suite, 95% bootstrap CI; "
      "infrawise result accuracy and diagnostics execution accuracy are 0 for every variant):\n")
    p("| variant | " + " | ".join(f"{s} {m}" for s, m in RUN_METRICS) + " |")
    p("| --- " + "| ---: " * len(RUN_METRICS) + "|")
    for v in variants:
        rep = runs[v].get(0, {}).get("report")
        if not rep:
            continue
        scores = {(s["suite"], s["metric"]): s for s in rep["runs"][0]["scores"] if s["subset"] is None}
        cells = []
        for key in RUN_METRICS:
            s = scores.get(key)
            cells.append("-" if s is None else f"{100 * s['mean']:.1f} [{100 * s['ci_low']:.1f}, {100 * s['ci_high']:.1f}]")
        p(f"| {WHAT[v]} | " + " | ".join(cells) + " |")
    p("")

    reading(runs, long_dir)

    if long_dir:
        long_runs = load_runs(long_dir)
        lv = [v for v in ORDER if v in long_runs]
        lo = long_runs[lv[0]][min(long_runs[lv[0]])]["log"]
        lseeds = sorted({s for v in lv for s in long_runs[v]})
        p(f"### Longer training: {', '.join(WHAT[v] for v in lv)}\n")
        p(f"The same two shapes trained {lo['options']['steps']} steps ({lo['tokens_seen'] / 1e6:.1f}M tokens, "
          f"{lo['tokens_seen'] / lo['corpus']['train_tokens']:.1f} passes), seeds {', '.join(map(str, lseeds))}, "
          "everything else as above, to see whether the ordering holds nearer convergence:\n")
        p("| variant | held-out loss | " + " | ".join(f"{s} answer loss" for s in SUITES) + " |")
        p("| --- " + "| ---: " * (1 + len(SUITES)) + "|")
        for v in lv:
            cells = []
            for metric in ["heldout"] + SUITES:
                m, sd = mean_sd([r["loss"][metric] for r in long_runs[v].values()])
                cells.append(f"{m:.4f} ± {sd:.4f}")
            p(f"| {WHAT[v]} | " + " | ".join(cells) + " |")
        if "kcomp-small" in long_runs and "vcomp-small" in long_runs:
            p("| V compressed - K compressed (paired) | " + " | ".join(
                fmt_pair(paired(long_runs, "kcomp-small", "vcomp-small", m)) for m in ["heldout"] + SUITES) + " |")
        p("")


def significant(runs, a, b):
    """Metrics whose paired interval excludes 0, as (lower, higher) lists for b against a."""
    lower, higher = [], []
    for m in ["heldout"] + SUITES:
        pr = paired(runs, a, b, m)
        if pr and pr[2] < 0:
            lower.append(m)
        elif pr and pr[1] > 0:
            higher.append(m)
    return lower, higher


def extra_params(runs):
    p = lambda v: runs[v][min(runs[v])]["log"]["parameters"]
    return p("augq-small") / p("gqa-small") - 1.0


def names(ms):
    return ", ".join("held-out" if m == "heldout" else m for m in ms) or "none"


def reading(runs, long_dir):
    p = print
    p("## Reading\n")
    lower, higher = significant(runs, "kcomp-small", "vcomp-small")
    p(f"- K versus V. Against K compressed, V compressed has a lower loss with an interval excluding 0 on: "
      f"{names(lower)}; a higher one on: {names(higher)}; the other measures' intervals include 0. "
      + ("The paper's ordering (quality less sensitive to compressing K than V) would show as V compressed "
         "being worse; at this scale it is not: compressing K to one head cost as much as or more than "
         "compressing V to one head." if not higher else
         "That is the paper's ordering (quality less sensitive to compressing K than V) on those measures."))
    if "khalf-small" in runs and "vhalf-small" in runs:
        hl, hh = significant(runs, "khalf-small", "vhalf-small")
        p(f"- Halving instead (2 of 4 heads, the paper's kind of ratio): against K halved, V halved is "
          f"significantly lower on: {names(hl)}, higher on: {names(hh)}. "
          + ("No measure separates them at this scale." if not hl and not hh else ""))
    kl, kh = significant(runs, "gqa-small", "kcomp-small")
    vl, vh = significant(runs, "gqa-small", "vcomp-small")
    p(f"- Against the GQA baseline, K compressed is significantly worse on: {names(kh)} (better on: {names(kl)}); "
      f"V compressed is significantly worse on: {names(vh)} (better on: {names(vl)})."
      + (" K compressed's held-out loss varies most between seeds (the table's ±): one shared K head made "
         "training less stable at this learning rate." if max(
             runs, key=lambda v: mean_sd([r["loss"]["heldout"] for r in runs[v].values()])[1]) == "kcomp-small" else ""))
    al, ah = significant(runs, "gqa-small", "augq-small")
    sl, sh = significant(runs, "kcomp-small", "sigma-small")
    p(f"- Augmented Q. It lowers the loss of GQA significantly on: {names(al)} (raises it on: {names(ah)}), and "
      f"Sigma's (K compressed + augmented Q) against K compressed on: {names(sl)} (raises it on: {names(sh)}). "
      + ("The paper's second claim, that the augmented Q recovers what compressing K loses, holds here, "
         if sl and not sh else "")
      + f"at the price of {extra_params(runs):.0%} more parameters that every decode step reads (the CPU decode "
      "column).")
    if long_dir:
        long_runs = load_runs(long_dir)
        ll, lh = significant(long_runs, "kcomp-small", "vcomp-small")
        short = paired(runs, "kcomp-small", "vcomp-small", "heldout")
        lng = paired(long_runs, "kcomp-small", "vcomp-small", "heldout")
        opt = lambda rs: statistics.mean(r["loss"]["optiflow"] for v in ("kcomp-small", "vcomp-small") for r in rs[v].values())
        p(f"- Nearer convergence (the longer runs below) V compressed's held-out difference to K compressed is "
          f"{lng[0]:+.4f} (at {short[0]:+.4f} in the shorter runs); intervals that exclude 0: {names(ll + lh)}. "
          f"Longer training lowers the held-out loss but raises optiflow's answer loss (mean {opt(runs):.3f} -> "
          f"{opt(long_runs):.3f} nats per byte): past a few passes the models fit the train pool's topologies, "
          "not the test split's.")
    p("- What this does not show: these models are 100x smaller than Sigma-1.5B, trained on one 8 MB corpus "
      "for 7-18 passes; generation scores are near 0 on most metrics (the table above), so answer loss carries "
      "the comparison. A scale where the paper's ordering appears, if it does, is beyond one session's GPU "
      "budget (30 minutes).\n")
    p("To reproduce: the GPU half and the CPU half are in `training/ablation/run.sh`'s header; the folder "
      "this table was made from is `training/results/ablation-small-2026-11-26/` (`steps400/`, and "
      "`steps1000/` for the longer runs): `python3 training/ablation/table.py "
      "training/results/ablation-small-2026-11-26/steps400 training/results/ablation-small-2026-11-26/steps1000`.\n")


main()

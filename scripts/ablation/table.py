#!/usr/bin/env python3
"""Writes docs/ABLATION.md from the files scripts/ablation/run.sh collects: per variant its
train_log.json (config, held-out loss, throughput), the `aimicius report --format json` of its
cmdgen run, and the last line of `aimicius bench generate`. Standard library only."""
import json, os, re, sys

res, limit = sys.argv[1], sys.argv[2]
ORDER = ["gqa-tiny", "kcomp-tiny", "vcomp-tiny", "augq-tiny", "sigma-tiny"]
WHAT = {"gqa-tiny": "GQA baseline (4 K / 4 V heads)", "kcomp-tiny": "K compressed (1 K / 4 V)",
        "vcomp-tiny": "V compressed (4 K / 1 V)", "augq-tiny": "GQA + augmented Q",
        "sigma-tiny": "Sigma: K compressed + augmented Q (1 K / 4 V, aug-Q)"}
rows = []
for v in ORDER:
    log_file = os.path.join(res, v + ".train_log.json")
    if not os.path.exists(log_file):
        continue
    log = json.load(open(log_file))
    c = log["config"]
    head = c["head_dim"]
    kv_bytes = c["num_hidden_layers"] * (c.get("num_key_heads", 0) + c.get("num_value_heads", 0)) * head * 2
    report = json.load(open(os.path.join(res, v + ".report.json")))
    scores = {s["metric"]: s for s in report["runs"][0]["scores"] if s["subset"] is None}
    bench = open(os.path.join(res, v + ".bench.txt")).read()
    m = re.search(r"decode ([0-9.]+) tokens/s", bench)
    rows.append(dict(v=v, params=log["parameters"], loss=log["eval_loss"][-1][1], kv=kv_bytes,
                     tps=float(m.group(1)) if m else float("nan"), train_tps=log["tokens_per_second"],
                     acc=scores.get("accuracy"), cmd=scores.get("cmd_score"), em=scores.get("exact_match"),
                     errors=report["runs"][0]["errors"], log=log))

def pct(s):
    return "-" if s is None else f"{100 * s['mean']:.1f} [{100 * s['ci_low']:.1f}, {100 * s['ci_high']:.1f}]"

o = rows[0]["log"]["options"] if rows else {}
print("# Ablation: K/V sensitivity at small scale\n")
print("The paper's central finding (Sigma, arXiv 2501.13629) is that attention quality is less sensitive to")
print("compressing K than V, and that an augmented Q recovers what compression loses. Here the same")
print("question at a few million parameters: each variant of `training/configs/` trained from scratch")
print("under one budget on the project's own corpus (`aimicius corpus`), then evaluated by aimicius.\n")
print(f"Training (each variant, same seed, data and schedule): {o.get('steps')} steps x {o.get('batch')} sequences x "
      f"{o.get('seq_len')} tokens, AdamW, peak lr {o.get('lr')}, warm-up {o.get('warmup')}, cosine to "
      f"{o.get('min_lr_ratio')} of peak, bf16 matmuls on an H100 (`scripts/gpu/run-train.sh`). Evaluation: "
      f"`aimicius run --suite cmdgen --limit {limit}` on 2 CPU cores, greedy, scores with 95% bootstrap CIs; "
      "decode speed: `aimicius bench generate --batch 1 --prompt-len 512 --new-tokens 64` on the same CPU.\n")
print("| variant | parameters | held-out loss (nats/byte) | cmdgen accuracy | CMD score | exact match | KV cache bytes / token | CPU decode tokens/s | train tokens/s (H100) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    print(f"| {WHAT[r['v']]} | {r['params'] / 1e6:.2f}M | {r['loss']:.4f} | {pct(r['acc'])} | {pct(r['cmd'])} | "
          f"{pct(r['em'])} | {r['kv']:,} | {r['tps']:.0f} | {r['train_tps']:,.0f} |")
print("\nTo reproduce: `bash scripts/gpu/run-train.sh` on the CUDA machine (device tool, carrying `.deps`), copy")
print("its output folder here, then `scripts/ablation/run.sh OUTPUT_FOLDER " + str(limit) + "`.")

#!/usr/bin/env python3
"""scripts/gpu/ab_summary.py summarises an A/B of attention-bench plans: each side's median per
configuration and its change against the first side. The SDPA peer's rows (ab-options.sh's AB_PEER)
carry no plan; they must be a side like the others, not a crash, and a configuration a side did
not time must show as nan rather than borrow another side's numbers.

usage: ab_summary_test.py SOURCE_DIR [PYTHON]
"""
import json
import os
import subprocess
import sys
import tempfile


def main():
    src, python = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else sys.executable
    results = os.path.join(src, "bench/results")
    rows = {}
    for name, kind in (("h100-2026-12-07-s58-kernels-run1.jsonl", "decode"),
                       ("h100-2026-12-07-s58-sdpa-run1.jsonl", "sdpa_decode")):
        for line in open(os.path.join(results, name)):
            r = json.loads(line)
            if r.get("kind") == kind:
                rows[(kind, r["shape"], r["batch"], r["context"])] = r
    plan = rows[("decode", "gqa_std", 1, 131072)]
    other = rows[("decode", "gqa_d128", 1, 131072)]
    peer = rows[("sdpa_decode", "gqa_std", 1, 131072)]
    failures = []
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as raw:
        # Side 0 (the plan) at 180 and 182 us, side 1 (the peer) at 170 and 174: medians 181 and 172,
        # the peer -5.0% against the plan. d128 was timed by side 0 only.
        for rnd, (t_plan, t_peer) in enumerate(((180.0, 170.0), (182.0, 174.0)), 1):
            raw.write(f"0 {rnd} " + json.dumps(dict(plan, time_us=t_plan)) + "\n")
            raw.write(f"0 {rnd} " + json.dumps(dict(other, time_us=200.0)) + "\n")
            raw.write(f"1 {rnd} " + json.dumps(dict(peer, time_us=t_peer)) + "\n")
        raw.flush()
        done = subprocess.run([python, os.path.join(src, "scripts/gpu/ab_summary.py"), raw.name, "0=planned",
                               "1=SDPA (the peer)"], capture_output=True, text=True)
    out = done.stdout
    if done.returncode != 0:
        failures.append(f"ab_summary.py failed on the peer's rows: {done.stderr.strip()[-300:]}")
    if "gqa_std 1 131072 181.0 (+0.0%) 172.0 (-5.0%)" not in out:
        failures.append("the peer's median and its change against the plan are not the summary's")
    if "gqa_d128 1 131072 200.0 (+0.0%) nan (+nan%)" not in out:
        failures.append("a configuration the peer did not time does not show as nan")
    if "1 1 gqa_std 1 131072 170.0" not in out or " - " not in out.split("1 1 gqa_std", 1)[-1].splitlines()[0]:
        failures.append("the peer's run line is missing or shows a plan it does not have")
    for f in failures:
        print("FAIL:", f)
    if failures:
        print(out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The summary of an A/B of the attention bench (scripts/gpu/ab-options.sh, ab-kernels.sh).

Usage: ab_summary.py RAW SIDE=LABEL ...   RAW holds "SIDE ROUND JSON" lines (the bench's decode rows);
the sides are given in order, the first being the base of each change. Prints each run (side, round,
shape, batch, context, kernel us, head-major us, paged us, read of the same bytes us, splits x chunk,
warp units, interleaved, graph us), then each side's median per configuration and its change against
the first, for the kernel timed alone and, where the rows have them, in a graph of a launch per layer
(graph_time_us: launch costs overlapping, as in a decode step) and in a step-like graph (step_time_us:
each launch followed by a matrix-vector product reading its output, the products' own time taken out).
Rows of the SDPA peer (kind "sdpa_decode", ab-options.sh's AB_PEER) are a side like the others, with
no plan fields; a configuration a side did not time shows as nan.
"""
import json
import statistics
import sys


def main():
    path, pairs = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
    sides = [p[0] for p in pairs]
    runs, graphs, steps = {}, {}, {}
    for line in open(path):
        side, rnd, js = line.split(" ", 2)
        d = json.loads(js)
        key = (d["shape"], d["batch"], d["context"])
        plan = f'{d["splits"]}x{d["chunk"]}' if "splits" in d else "-"  # the peer has no plan
        print(side, rnd, *key, d["time_us"], d.get("head_major_time_us"), d.get("paged_time_us"),
              d.get("read_same_bytes_us"), plan, d.get("warp_units"), d.get("interleaved"), d.get("graph_time_us"),
              d.get("step_time_us"))
        runs.setdefault(key, {}).setdefault(side, []).append(d["time_us"])
        if d.get("graph_time_us") is not None:
            graphs.setdefault(key, {}).setdefault(side, []).append(d["graph_time_us"])
        if d.get("step_time_us") is not None:
            steps.setdefault(key, {}).setdefault(side, []).append(d["step_time_us"])
    for title, table in (("median us per side", runs), ("in a graph, median us a layer per side", graphs),
                         ("in a step-like graph, median us a layer per side", steps)):
        if not table:
            continue
        print(f"\n{title}:", " | ".join(f"{side}: {label}" for side, label in pairs))
        for key, per in table.items():
            meds = [statistics.median(per[s]) if s in per else float("nan") for s in sides]
            print(*key, *(f"{m:.1f} ({m / meds[0] - 1:+.1%})" for m in meds))


if __name__ == "__main__":
    main()

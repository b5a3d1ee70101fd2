#!/usr/bin/env python3
"""bench/decode_table.py reports issue 17's goals from committed bench rows: what it says met or
missed must follow the rows, and with no SDPA rows it must say the goals against SDPA were not
checked rather than list them as met; rows with step times get the step table, whose DiffQKV
misses follow those times.

usage: decode_table_test.py SOURCE_DIR [PYTHON]
"""
import json
import os
import subprocess
import sys
import tempfile


def table(src, python, kernel_rows, sdpa_rows):
    return subprocess.run([python, os.path.join(src, "bench/decode_table.py"), kernel_rows, sdpa_rows],
                          check=True, capture_output=True, text=True).stdout


def main():
    src, python = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else sys.executable
    results = os.path.join(src, "bench/results")
    kernels = os.path.join(results, "h200-2026-12-06-s41-kernels.jsonl")
    failures = []

    # The H200 rows of session 41 with their SDPA peer: STD at batch 64 / 4k took 255.1 us against
    # SDPA's 243.2 (a miss), STD at 8 / 4k 35.7 against 39.9 (met).
    with_sdpa = table(src, python, kernels, os.path.join(results, "h200-2026-12-06-s41-kernels-sdpa.jsonl"))
    if "('gqa_std', 64, 4096): kernel 255.1 us > SDPA 243.2 us" not in with_sdpa:
        failures.append("the STD 64 / 4k miss against SDPA is not reported")
    if "('gqa_std', 8, 4096): kernel" in with_sdpa:
        failures.append("STD 8 / 4k, faster than SDPA, is reported as a miss")
    if "no SDPA rows" in with_sdpa:
        failures.append("SDPA rows were given but the table says there were none")

    # The same kernel rows without a peer: no goal against SDPA can be judged.
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as empty:
        without = table(src, python, kernels, empty.name)
    if "no SDPA rows: the goals against SDPA were not checked" not in without:
        failures.append("without SDPA rows the table does not say its SDPA goals went unchecked")
    if "> SDPA" in without:
        failures.append("without SDPA rows the table still reports a miss against SDPA")
    if "('diffqkv_sigma', 1, 4096): 0.24" not in without:
        failures.append("the DiffQKV 1 / 4k fraction-of-copy miss is not reported without SDPA rows")

    # Step times added to two DiffQKV rows of session 50: 1 / 4k at 4.0 us (10,485,760 bytes, 0.66 of
    # the 3,973 GB/s copy: met) and 1 / 32k at 40.0 us (0.53: a miss); the other rows have none.
    steps = {(1, 4096): 4.0, (1, 32768): 40.0}
    s50 = os.path.join(results, "h200-2026-12-07-s50-kernels.jsonl")
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as rows, tempfile.NamedTemporaryFile("w", suffix=".jsonl") as empty:
        for line in open(s50):
            r = json.loads(line)
            if r.get("kind") == "decode" and r["shape"] == "diffqkv_sigma" and (r["batch"], r["context"]) in steps:
                r["step_time_us"], r["step_mib"] = steps[(r["batch"], r["context"])], 96
            rows.write(json.dumps(r) + "\n")
        rows.flush()
        stepped = table(src, python, rows.name, empty.name)
        plain = table(src, python, s50, empty.name)
    if "In a step-like graph" not in stepped or "| diffqkv_sigma | 1 | 4k | 32 | 96 | 4.0 | 0.66 |" not in stepped:
        failures.append("the step table does not show the 1 / 4k step row")
    if "('diffqkv_sigma', 1, 32768): 0.528 of copy < 0.88 in a step-like graph" not in stepped:
        failures.append("the 1 / 32k miss in a step-like graph is not reported")
    if "('diffqkv_sigma', 1, 4096)" in stepped.split("in a step-like graph, goals missed:")[-1]:
        failures.append("the 1 / 4k step row, over its goal, is reported as a miss")
    if "step-like" in plain:
        failures.append("rows without step times get a step table")

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

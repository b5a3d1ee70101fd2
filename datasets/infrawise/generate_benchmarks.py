#!/usr/bin/env python3
"""Writes the infrawise benchmark-results database and its companions from facts.py:

  benchmarks.sql   the database as a reviewable SQL script (tables systems, workloads, criteria,
                   results); the dcw scorer builds a read-only SQLite file from it
  aliases.json     other names of systems, workloads and criteria (the scorer's alias table)
  catalogue.txt    the catalogue the prompt shows the model (canonical names, what they are, aliases)

Run from anywhere: python3 datasets/infrawise/generate_benchmarks.py [--check]. Output is
deterministic (no randomness: the +/-2.5% "jitter" that keeps twin systems apart is a hash of the
result's key). --check writes nothing and fails when a file differs from what would be written
(ctest runs it, so the files stay generated and are never edited by hand).

Every result value is SYNTHETIC: a documented model (below, and repeated in each row's `source`)
applied to public peak figures (facts.py, cited in README.md). None is a measurement.
"""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from facts import ALIASES, CRITERIA, FABRICS, GPUS, NICS, SYSTEMS, WORKLOADS, normalise  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30


def emit(name, text, check):
    """Writes `text` to HERE/name, or with check=True returns whether the file already holds it."""
    path = os.path.join(HERE, name)
    if check:
        with open(path) as f:
            same = f.read() == text
        if not same:
            print(f"{name} differs from what the generator writes", file=sys.stderr)
        return same
    with open(path, "w") as out:
        out.write(text)
    return True


def jitter(*key):
    """A deterministic factor in [0.975, 1.025] from the result's key."""
    digest = hashlib.sha256("|".join(str(k) for k in key).encode()).digest()
    return 0.975 + 0.05 * (int.from_bytes(digest[:4], "big") / 0xFFFFFFFF)


def size_label(n):
    for unit, name in ((GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    return f"{n} B"


def vm_factor(system):
    # Why: virtualised nodes lose a little to the hypervisor; keeps ND H100 v5 and DGX H100 apart.
    return 0.97 if SYSTEMS[system]["cloud"] else 1.0


def is_amd(system):
    return SYSTEMS[system]["gpu"].startswith("MI")


COLLECTIVE_FACTOR = {"all_reduce": 1.0, "all_gather": 1.02, "reduce_scatter": 1.01, "alltoall": 0.75}
COLLECTIVE_LATENCY_FACTOR = {"all_reduce": 1.0, "all_gather": 0.85}
BUSBW_SIZES = [16 * MIB, 128 * MIB, 1 * GIB, 8 * GIB]
LATENCY_SIZES = [8, 64 * KIB, 1 * MIB]


def collective_rows(system, workload):
    s = SYSTEMS[system]
    fabric = FABRICS[s["fabric"]]
    lib = "RCCL" if is_amd(system) else "NCCL"
    peak = fabric["gbps_per_dir"] * fabric["efficiency"] * COLLECTIVE_FACTOR[workload] * vm_factor(system)
    half = 4 * peak * 1e9 * fabric["latency_us"] * 1e-6  # bytes at which half the peak is reached
    rows = []
    for size in BUSBW_SIZES:
        value = peak * size / (size + half) * jitter(system, workload, "bus bandwidth", size)
        rows.append(("bus bandwidth", round(value, 1),
                     f"{lib}; message size {size_label(size)}; {s['gpus']} GPUs, 1 node",
                     f"synthetic: {fabric['efficiency']:.2f} x {s['fabric']} per-direction bandwidth "
                     f"({fabric['gbps_per_dir']} GB/s) x {COLLECTIVE_FACTOR[workload]} ({workload}) x size/(size+half), "
                     f"half = 4 x peak x {fabric['latency_us']} us; VM factor {vm_factor(system)}; +/-2.5% jitter"))
    if workload in COLLECTIVE_LATENCY_FACTOR:
        gpu_scale = {2: 0.7, 4: 0.85, 8: 1.0}[s["gpus"]]
        for size in LATENCY_SIZES:
            floor = fabric["latency_us"] * COLLECTIVE_LATENCY_FACTOR[workload] * gpu_scale
            value = (floor + size / (peak * 1e3)) * jitter(system, workload, "latency", size)
            rows.append(("latency", round(value, 2),
                         f"{lib}; message size {size_label(size)}; {s['gpus']} GPUs, 1 node",
                         f"synthetic: {s['fabric']} latency floor {fabric['latency_us']} us x {COLLECTIVE_LATENCY_FACTOR[workload]} "
                         f"x GPU-count scale {gpu_scale} + size / modelled bus bandwidth; +/-2.5% jitter"))
    return rows


GEMM_EFFICIENCY = {  # fraction of dense peak at n = 4096, 8192, 16384
    ("bf16", False): (0.62, 0.74, 0.77), ("bf16", True): (0.45, 0.55, 0.57),
    ("fp8", False): (0.55, 0.68, 0.72), ("fp8", True): (0.40, 0.50, 0.53),
}


def gemm_rows(system, workload):
    precision = workload.split()[1]
    gpu = GPUS[SYSTEMS[system]["gpu"]]
    peak = gpu[precision]
    if peak is None:
        return []
    rows = []
    for n, eff in zip((4096, 8192, 16384), GEMM_EFFICIENCY[(precision, is_amd(system))]):
        value = peak * eff * vm_factor(system) * jitter(system, workload, n)
        rows.append(("TFLOPS", round(value, 1), f"M=N=K={n}; {precision.upper()}; per GPU",
                     f"synthetic: {eff} x {SYSTEMS[system]['gpu']} dense {precision.upper()} peak ({peak} TFLOPS); "
                     f"VM factor {vm_factor(system)}; +/-2.5% jitter"))
    return rows


def stream_rows(system, workload):
    gpu_name = SYSTEMS[system]["gpu"]
    hbm = GPUS[gpu_name]["hbm"]
    amd = is_amd(system)
    rows = []
    for kernel, eff in (("copy", 0.79 if amd else 0.90), ("triad", 0.81 if amd else 0.91)):
        value = hbm * eff * vm_factor(system) * jitter(system, workload, kernel)
        rows.append(("memory bandwidth", round(value, 1), f"kernel {kernel}; 1 GiB arrays; per GPU",
                     f"synthetic: {eff} x {gpu_name} peak HBM bandwidth ({hbm} GB/s); VM factor {vm_factor(system)}; "
                     f"+/-2.5% jitter"))
    return rows


def ib_rows(system, workload):
    s = SYSTEMS[system]
    if not s["nic"]:
        return []
    line = NICS[s["nic"]]
    rows = []
    for size, eff in ((64 * KIB, 0.90), (1 * MIB, 0.975), (8 * MIB, 0.985)):
        value = min(line * eff * jitter(system, workload, "bw", size), line * 0.99)
        rows.append(("network bandwidth", round(value, 1), f"ib_write_bw; message size {size_label(size)}; one port, 2 nodes",
                     f"synthetic: {eff} x {s['nic']} line rate, capped at 99%; +/-2.5% jitter"))
    base = {400: (1.9, 2.6), 200: (2.1, 3.0)}[line]
    for size, lat in zip((2, 4 * KIB), base):
        value = (lat + (0.1 if s["cloud"] else 0.0)) * jitter(system, workload, "lat", size)
        rows.append(("latency", round(value, 2), f"ib_write_lat; message size {size_label(size)}; one port, 2 nodes",
                     f"synthetic: typical RDMA write latency for {s['nic']} ({lat} us), +0.1 us on VMs; +/-2.5% jitter"))
    return rows


def inference_rows(system, workload):
    s = SYSTEMS[system]
    gpu = GPUS[s["gpu"]]
    fp8 = gpu["fp8"] is not None
    precision = "FP8" if fp8 else "FP16"
    pcie = s["fabric"].startswith("PCIe")
    stack = 0.55 if is_amd(system) else 0.9
    link = 0.8 if pcie else 1.0
    agg_tbps = s["gpus"] * gpu["hbm"] / 1000
    offline = agg_tbps * 1000 * (1.0 if fp8 else 0.5) * stack * link * vm_factor(system)
    rows = []
    for scenario, factor in (("offline", 1.0), ("server", 0.9)):
        value = offline * factor * jitter(system, workload, scenario)
        rows.append(("tokens per second", round(value), f"scenario {scenario}; {precision}; tensor parallel {s['gpus']}",
                     f"synthetic: decode bound by memory: {s['gpus']} x {gpu['hbm']} GB/s HBM x 1000 tokens/s per TB/s "
                     f"x {'1.0 (FP8)' if fp8 else '0.5 (FP16)'} x stack {stack} x link {link} x scenario {factor}; "
                     f"VM factor {vm_factor(system)}; +/-2.5% jitter"))
    peak = gpu["fp8"] if fp8 else gpu["bf16"]
    eff = (0.25 if is_amd(system) else 0.35) * link
    for prompt in (512, 2048):
        flops = 2 * 70e9 * prompt
        ms = flops / (s["gpus"] * peak * eff * 1e12) * 1e3 + 12
        value = ms / vm_factor(system) * jitter(system, workload, "ttft", prompt)
        rows.append(("time to first token", round(value, 1), f"prompt {prompt} tokens; batch 1; {precision}; tensor parallel {s['gpus']}",
                     f"synthetic: 2 x 70e9 x prompt FLOPs / ({s['gpus']} x {peak} TFLOPS x {eff:.3f}) + 12 ms; "
                     f"VM factor {vm_factor(system)}; +/-2.5% jitter"))
    return rows


TRAINING = {  # per-GPU A100-SXM throughput basis, samples to train, fixed minutes
    "resnet50 training": {"basis": 2650, "samples": 48e6, "fixed": 3.0, "unit": "images",
                          "params": "batch 256 per GPU; mixed precision"},
    "bert-large training": {"basis": 420, "samples": 3.0e6, "fixed": 4.0, "unit": "sequences",
                            "params": "sequence length 512; batch 32 per GPU; mixed precision"},
}


def training_rows(system, workload):
    s = SYSTEMS[system]
    gpu = GPUS[s["gpu"]]
    link = 0.95 if s["fabric"].startswith("PCIe") else 1.0
    if workload == "llama2-70b lora fine-tuning":
        if s["gpus"] != 8:
            return []
        amd = 1.1 if is_amd(system) else 1.0
        value = (48 / gpu["train_factor"] * amd + 2) / vm_factor(system) * jitter(system, workload)
        return [("time to train", round(value, 1), "8 GPUs; BF16; LoRA rank 16; to target eval loss",
                 f"synthetic: 48 min / {s['gpu']} training factor {gpu['train_factor']} (A100 = 1)"
                 f"{' x 1.1 (software stack)' if amd > 1 else ''} + 2 min; VM factor {vm_factor(system)}; +/-2.5% jitter")]
    t = TRAINING[workload]
    throughput = s["gpus"] * t["basis"] * gpu["train_factor"] * link * vm_factor(system) * jitter(system, workload, "thr")
    minutes = t["samples"] / throughput / 60 + t["fixed"]
    model = (f"{s['gpus']} GPUs x {t['basis']} {t['unit']}/s per A100 x {s['gpu']} training factor "
             f"{gpu['train_factor']} x link {link}; VM factor {vm_factor(system)}; +/-2.5% jitter")
    return [("throughput", round(throughput), f"{t['params']}; {s['gpus']} GPUs; {t['unit']}/s",
             f"synthetic: {model}"),
            ("time to train", round(minutes, 1), f"{t['params']}; {s['gpus']} GPUs",
             f"synthetic: {t['samples']:.0f} {t['unit']} / modelled throughput + {t['fixed']} min; {model}")]


def rows_for(system, workload):
    family = WORKLOADS[workload]["family"]
    if family == "collective":
        return collective_rows(system, workload)
    if family == "compute":
        return gemm_rows(system, workload)
    if family == "memory":
        return stream_rows(system, workload)
    if family == "network":
        return ib_rows(system, workload)
    if family == "inference":
        return inference_rows(system, workload)
    return training_rows(system, workload)


def all_results():
    """[(id, system, workload, criterion, value, unit, params, source)] in a fixed order."""
    results = []
    for system in SYSTEMS:
        for workload in WORKLOADS:
            for criterion, value, params, source in rows_for(system, workload):
                assert criterion in WORKLOADS[workload]["criteria"], (workload, criterion)
                results.append((len(results) + 1, system, workload, criterion, value,
                                CRITERIA[criterion]["unit"], params, source))
    return results


def check_aliases():
    for kind, canon in (("systems", SYSTEMS), ("workloads", WORKLOADS), ("criteria", CRITERIA)):
        owner = {normalise(name): name for name in canon}
        assert len(owner) == len(canon), f"{kind}: two canonical names normalise alike"
        assert set(ALIASES[kind]) <= set(canon), f"{kind}: alias of an unknown name"
        for name, aliases in ALIASES[kind].items():
            for alias in aliases:
                key = normalise(alias)
                assert key, f"{kind}: alias {alias!r} normalises to nothing"
                assert owner.setdefault(key, name) == name, f"{kind}: {alias!r} names {owner[key]} and {name}"


def q(value):
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


SCHEMA = """\
-- infrawise benchmark-results database. GENERATED by generate_benchmarks.py from facts.py; do not
-- edit by hand. Every value in `results` is SYNTHETIC: its `source` says the model that produced it
-- from public peak figures (see README.md). Canonical names are the primary keys; the scorer's
-- alias table (aliases.json) maps other spellings onto them.
CREATE TABLE systems (
  name TEXT PRIMARY KEY,
  vendor TEXT NOT NULL,
  deployment TEXT NOT NULL CHECK (deployment IN ('cloud VM', 'on-premises server')),
  vm_size TEXT,
  gpu_model TEXT NOT NULL,
  gpu_count INTEGER NOT NULL CHECK (gpu_count > 0),
  gpu_memory_gb INTEGER NOT NULL,
  gpu_interconnect TEXT NOT NULL,
  nics TEXT NOT NULL
);
CREATE TABLE workloads (
  name TEXT PRIMARY KEY,
  family TEXT NOT NULL,
  description TEXT NOT NULL
);
CREATE TABLE criteria (
  name TEXT PRIMARY KEY,
  unit TEXT NOT NULL,
  better TEXT NOT NULL CHECK (better IN ('higher', 'lower')),
  description TEXT NOT NULL
);
CREATE TABLE results (
  id INTEGER PRIMARY KEY,
  system TEXT NOT NULL REFERENCES systems(name),
  workload TEXT NOT NULL REFERENCES workloads(name),
  criterion TEXT NOT NULL REFERENCES criteria(name),
  value REAL NOT NULL,
  unit TEXT NOT NULL,
  params TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source LIKE 'synthetic:%')
);
CREATE INDEX results_by_selection ON results (workload, criterion, system);
"""


def write_sql(results, check):
    lines = [SCHEMA]
    for name, s in SYSTEMS.items():
        gpu = GPUS[s["gpu"]]
        nics = f"{s['nics']} x {s['nic']} InfiniBand" if s["nic"] else "no InfiniBand (Ethernet only)"
        lines.append("INSERT INTO systems VALUES (" + ", ".join(q(v) for v in (
            name, s["vendor"], "cloud VM" if s["cloud"] else "on-premises server", s["vm_size"],
            s["gpu"], s["gpus"], gpu["memory"], s["fabric"], nics)) + ");")
    for name, w in WORKLOADS.items():
        lines.append(f"INSERT INTO workloads VALUES ({q(name)}, {q(w['family'])}, {q(w['description'])});")
    for name, c in CRITERIA.items():
        lines.append(f"INSERT INTO criteria VALUES ({q(name)}, {q(c['unit'])}, {q(c['better'])}, {q(c['description'])});")
    for row in results:
        lines.append("INSERT INTO results VALUES (" + ", ".join(q(v) for v in row) + ");")
    return emit("benchmarks.sql", "\n".join(lines) + "\n", check)


def write_aliases(check):
    doc = {
        "comment": "Other names for the canonical systems, workloads and criteria of benchmarks.sql. "
                   "Names compare after normalisation: lower case, every run of characters other than "
                   "a-z and 0-9 becomes one space, trimmed. Generated by generate_benchmarks.py from facts.py.",
        "systems": ALIASES["systems"],
        "workloads": ALIASES["workloads"],
        "criteria": ALIASES["criteria"],
    }
    return emit("aliases.json", json.dumps(doc, indent=2) + "\n", check)


def write_catalogue(check):
    lines = ["Systems (one node or VM each):"]
    for name, s in SYSTEMS.items():
        gpu = GPUS[s["gpu"]]
        net = f"{s['nics']}x {s['nic']} InfiniBand" if s["nic"] else "no InfiniBand"
        lines.append(f"- {name}: {s['gpus']}x {s['gpu']}, {s['fabric']}, {net}"
                     f"{'; Azure VM' if s['cloud'] else '; on-premises server'}. "
                     f"Also called: {', '.join(ALIASES['systems'][name])}.")
    lines.append("")
    lines.append("Workloads (criteria they are measured by):")
    for name, w in WORKLOADS.items():
        lines.append(f"- {name}: {w['description']} ({', '.join(w['criteria'])}).")
    lines.append("")
    lines.append("Criteria:")
    for name, c in CRITERIA.items():
        lines.append(f"- {name} ({c['unit']}, {c['better']} is better): {c['description']}.")
    return emit("catalogue.txt", "\n".join(lines) + "\n", check)


def main():
    check = sys.argv[1:] == ["--check"]
    check_aliases()
    results = all_results()
    ok = all([write_sql(results, check), write_aliases(check), write_catalogue(check)])
    if not ok:
        sys.exit(1)
    print(f"{len(results)} results, {len(SYSTEMS)} systems, {len(WORKLOADS)} workloads, {len(CRITERIA)} criteria")


if __name__ == "__main__":
    main()

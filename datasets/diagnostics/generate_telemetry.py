#!/usr/bin/env python3
"""Seeded simulator of three days of telemetry from a small GPU fleet, for the diagnostics suite.

Writes, next to this script:
  schema.sql     the CREATE TABLE statements with a comment per column (shown to the model);
  telemetry.sql  the same statements followed by INSERTs of the simulated data (the scorer builds
                 a read-only SQLite database from it);
  telemetry-vN.sql  the test-suite variants (N = 1 .. 4): delta scripts that run after
                 telemetry.sql and change the data so that common wrong queries give other results
                 (telemetry_variants.py says what each changes and what it keeps).

Invariants: python3 standard library only; one fixed seed and no other input but the examples'
reference queries (variant 4 reads test/dev/fewshot.jsonl; make_examples.py reads only
telemetry.sql, so there is no loop; no clock, no environment), so running the script twice writes byte-identical files (a test checks this);
timestamps are ISO-8601 UTC text 'YYYY-MM-DDTHH:MM:SSZ' (they sort as text); every value is an
integer, a real printed with a fixed number of decimals, text, or NULL.

The story the data tells (so questions have answers): jobs are scheduled on whole nodes; GPUs of a
running job are busy in gpu_metrics; some jobs fail because of an Xid error (79 fell off the bus,
48 double-bit ECC, 94/95 contained/uncontained ECC, 74 NVLink), an NCCL/RCCL watchdog timeout or an
application bug, and leave matching rows in job_logs, xid_errors, nccl_events and node_events
(drain, reboot, resume). One H100 runs hot and throttles its SM clock; one A100 node has a
maintenance window.
"""

import datetime
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import telemetry_variants  # noqa: E402  (next to this script)
import telemetry_boundaries  # noqa: E402

SEED = 20260302
START = datetime.datetime(2026, 3, 2, 0, 0, 0)
HOURS = 72  # three days: 2026-03-02T00:00:00Z up to (not including) 2026-03-05T00:00:00Z

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------------------------
# Schema (one source for schema.sql and telemetry.sql).

SCHEMA = [
    ("clusters", "One row per Slurm cluster.", [
        ("cluster", "TEXT PRIMARY KEY", "cluster name, e.g. 'h100-east'"),
        ("region", "TEXT NOT NULL", "Azure region, e.g. 'eastus'"),
        ("scheduler", "TEXT NOT NULL", "workload manager ('slurm')"),
        ("sku_family", "TEXT NOT NULL", "VM family of its nodes: 'ND H100 v5', 'ND MI300X v5' or 'NDv4'"),
    ]),
    ("nodes", "One row per GPU node (VM).", [
        ("hostname", "TEXT PRIMARY KEY", "e.g. 'gpu-h100-003'"),
        ("cluster", "TEXT NOT NULL", "clusters.cluster"),
        ("rack", "TEXT NOT NULL", "rack label, e.g. 'R02'"),
        ("vm_size", "TEXT NOT NULL", "Azure VM size, e.g. 'Standard_ND96isr_H100_v5'"),
        ("gpu_vendor", "TEXT NOT NULL", "'NVIDIA' or 'AMD'"),
        ("gpu_count", "INTEGER NOT NULL", "GPUs in the node (8)"),
        ("cpu_cores", "INTEGER NOT NULL", "vCPUs"),
        ("memory_gib", "INTEGER NOT NULL", "host memory in GiB"),
        ("state", "TEXT NOT NULL", "Slurm state at the end of the period: 'idle', 'allocated', 'drained' or 'down'"),
    ]),
    ("gpus", "One row per GPU.", [
        ("gpu_uuid", "TEXT PRIMARY KEY", "e.g. 'GPU-3f2a...'"),
        ("hostname", "TEXT NOT NULL", "nodes.hostname"),
        ("gpu_index", "INTEGER NOT NULL", "0..7 within the node"),
        ("model", "TEXT NOT NULL", "'NVIDIA H100 80GB HBM3', 'AMD Instinct MI300X' or 'NVIDIA A100-SXM4-40GB'"),
        ("memory_total_mib", "INTEGER NOT NULL", "device memory in MiB"),
        ("power_limit_w", "INTEGER NOT NULL", "board power limit in watts"),
        ("pci_bus_id", "TEXT NOT NULL", "e.g. '0000:1B:00.0'"),
    ]),
    ("gpu_metrics", "One sample per GPU per hour, on the hour (no rows while a node is down).", [
        ("ts", "TEXT NOT NULL", "sample time, ISO-8601 UTC"),
        ("hostname", "TEXT NOT NULL", "nodes.hostname"),
        ("gpu_index", "INTEGER NOT NULL", "gpus.gpu_index"),
        ("utilization_pct", "INTEGER NOT NULL", "GPU utilization, 0..100"),
        ("memory_used_mib", "INTEGER NOT NULL", "device memory in use, MiB"),
        ("temperature_c", "INTEGER NOT NULL", "GPU temperature, degrees Celsius"),
        ("power_w", "REAL NOT NULL", "board power draw, watts"),
        ("sm_clock_mhz", "INTEGER NOT NULL", "SM (shader) clock, MHz"),
    ]),
    ("jobs", "One row per Slurm job.", [
        ("job_id", "INTEGER PRIMARY KEY", "Slurm job id"),
        ("job_name", "TEXT NOT NULL", "e.g. 'llama3-70b-pretrain'"),
        ("user_name", "TEXT NOT NULL", "submitting user"),
        ("team", "TEXT NOT NULL", "'llm-training', 'inference', 'research' or 'infra'"),
        ("cluster", "TEXT NOT NULL", "clusters.cluster"),
        ("num_nodes", "INTEGER NOT NULL", "nodes allocated"),
        ("num_gpus", "INTEGER NOT NULL", "GPUs allocated"),
        ("submit_time", "TEXT NOT NULL", "ISO-8601 UTC"),
        ("start_time", "TEXT NOT NULL", "ISO-8601 UTC"),
        ("end_time", "TEXT", "ISO-8601 UTC; NULL while RUNNING"),
        ("state", "TEXT NOT NULL", "'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL' or 'RUNNING'"),
        ("exit_code", "INTEGER", "process exit code (0 success, 143 SIGTERM); NULL while RUNNING"),
    ]),
    ("job_nodes", "Which nodes each job ran on.", [
        ("job_id", "INTEGER NOT NULL", "jobs.job_id"),
        ("hostname", "TEXT NOT NULL", "nodes.hostname"),
    ]),
    ("job_logs", "Selected lines from job output.", [
        ("log_id", "INTEGER PRIMARY KEY", "line id, increasing with time"),
        ("job_id", "INTEGER NOT NULL", "jobs.job_id"),
        ("ts", "TEXT NOT NULL", "ISO-8601 UTC"),
        ("hostname", "TEXT NOT NULL", "node that wrote the line"),
        ("level", "TEXT NOT NULL", "'INFO', 'WARNING' or 'ERROR'"),
        ("message", "TEXT NOT NULL", "the log line"),
    ]),
    ("node_events", "Node lifecycle events from Slurm, the health checker and operators.", [
        ("event_id", "INTEGER PRIMARY KEY", "event id, increasing with time"),
        ("ts", "TEXT NOT NULL", "ISO-8601 UTC"),
        ("hostname", "TEXT NOT NULL", "nodes.hostname"),
        ("event_type", "TEXT NOT NULL", "'drain', 'resume', 'reboot', 'down', 'maintenance_start', 'maintenance_end' or 'health_check_failed'"),
        ("reason", "TEXT NOT NULL", "free text, e.g. 'Xid 79'"),
        ("source", "TEXT NOT NULL", "'slurm', 'health-monitor' or 'operator'"),
    ]),
    ("xid_codes", "NVIDIA Xid codes that occur in xid_errors, with their meaning.", [
        ("xid", "INTEGER PRIMARY KEY", "Xid number"),
        ("description", "TEXT NOT NULL", "meaning, e.g. 'GPU has fallen off the bus'"),
        ("category", "TEXT NOT NULL", "'application', 'memory', 'interconnect', 'hardware' or 'driver'"),
        ("fatal", "INTEGER NOT NULL", "1 when the GPU needs a reset or the node a reboot, else 0"),
    ]),
    ("xid_errors", "Xid errors reported by the NVIDIA driver (NVIDIA nodes only).", [
        ("error_id", "INTEGER PRIMARY KEY", "error id, increasing with time"),
        ("ts", "TEXT NOT NULL", "ISO-8601 UTC"),
        ("hostname", "TEXT NOT NULL", "nodes.hostname"),
        ("gpu_index", "INTEGER NOT NULL", "gpus.gpu_index"),
        ("xid", "INTEGER NOT NULL", "xid_codes.xid"),
        ("pid", "INTEGER", "process id involved; NULL when none"),
        ("message", "TEXT NOT NULL", "driver message text"),
    ]),
    ("ecc_errors", "ECC counters, read daily at 06:00 UTC; only non-zero counters are stored.", [
        ("ts", "TEXT NOT NULL", "reading time, ISO-8601 UTC"),
        ("hostname", "TEXT NOT NULL", "nodes.hostname"),
        ("gpu_index", "INTEGER NOT NULL", "gpus.gpu_index"),
        ("counter", "TEXT NOT NULL", "'volatile' (since last driver load / reboot) or 'aggregate' (lifetime)"),
        ("error_type", "TEXT NOT NULL", "'single_bit' (corrected) or 'double_bit' (uncorrected)"),
        ("location", "TEXT NOT NULL", "'device_memory', 'l2_cache', 'sram' or 'register_file'"),
        ("count", "INTEGER NOT NULL", "errors counted, > 0"),
    ]),
    ("nccl_events", "Collective-communication problems (NCCL on NVIDIA, RCCL on AMD) seen by the job's watchdog.", [
        ("event_id", "INTEGER PRIMARY KEY", "event id, increasing with time"),
        ("ts", "TEXT NOT NULL", "ISO-8601 UTC"),
        ("job_id", "INTEGER NOT NULL", "jobs.job_id"),
        ("hostname", "TEXT NOT NULL", "node of the reporting rank"),
        ("rank", "INTEGER NOT NULL", "global rank that reported"),
        ("library", "TEXT NOT NULL", "'NCCL' or 'RCCL'"),
        ("event_type", "TEXT NOT NULL", "'timeout' (watchdog fired), 'slow_collective' or 'comm_abort'"),
        ("collective", "TEXT NOT NULL", "'AllReduce', 'AllGather', 'ReduceScatter', 'Broadcast' or 'SendRecv'"),
        ("comm_size", "INTEGER NOT NULL", "ranks in the communicator"),
        ("message_bytes", "INTEGER NOT NULL", "bytes per rank in the operation"),
        ("seq_num", "INTEGER NOT NULL", "collective sequence number in the communicator"),
        ("timeout_ms", "INTEGER NOT NULL", "watchdog timeout configured, ms"),
        ("duration_ms", "INTEGER NOT NULL", "how long the operation had been running, ms"),
    ]),
    ("ib_link_errors", "InfiniBand port error counters, read daily at 06:00 UTC; ports with any non-zero counter.", [
        ("ts", "TEXT NOT NULL", "reading time, ISO-8601 UTC"),
        ("hostname", "TEXT NOT NULL", "nodes.hostname"),
        ("device", "TEXT NOT NULL", "HCA, 'mlx5_0'..'mlx5_7'"),
        ("symbol_errors", "INTEGER NOT NULL", "SymbolErrorCounter"),
        ("link_downed", "INTEGER NOT NULL", "LinkDownedCounter"),
        ("rcv_errors", "INTEGER NOT NULL", "PortRcvErrors"),
    ]),
]

XID_CODES = [
    # xid, description (NVIDIA Xid catalog), category, fatal
    (13, "Graphics Engine Exception", "application", 0),
    (31, "GPU memory page fault", "application", 0),
    (43, "GPU stopped processing", "application", 0),
    (45, "Preemptive cleanup, due to previous errors", "driver", 0),
    (48, "Double Bit ECC Error", "memory", 1),
    (63, "ECC page retirement or row remapping recording event", "memory", 0),
    (64, "ECC page retirement or row remapper recording failure", "memory", 1),
    (74, "NVLink Error", "interconnect", 1),
    (79, "GPU has fallen off the bus", "hardware", 1),
    (92, "High single-bit ECC error rate", "memory", 0),
    (94, "Contained ECC error", "memory", 1),
    (95, "Uncontained ECC error", "memory", 1),
    (119, "GSP RPC timeout", "driver", 1),
]
XID_DESC = {x[0]: x[1] for x in XID_CODES}

CLUSTERS = [
    # cluster, region, family, vm_size, vendor, model, mem MiB, power limit, cores, host GiB, nodes, racks, max sm MHz
    ("h100-east", "eastus", "ND H100 v5", "Standard_ND96isr_H100_v5", "NVIDIA", "NVIDIA H100 80GB HBM3",
     81559, 700, 96, 1900, 8, ["R01", "R02"], 1980, "gpu-h100"),
    ("mi300x-west", "westus3", "ND MI300X v5", "Standard_ND96isr_MI300X_v5", "AMD", "AMD Instinct MI300X",
     196608, 750, 96, 1850, 4, ["R11"], 2100, "gpu-mi300x"),
    ("a100-south", "southcentralus", "NDv4", "Standard_ND96asr_v4", "NVIDIA", "NVIDIA A100-SXM4-40GB",
     40960, 400, 96, 900, 6, ["R21", "R22"], 1410, "gpu-a100"),
]

PCI_BUSES = ["0000:1B:00.0", "0000:43:00.0", "0000:52:00.0", "0000:61:00.0",
             "0000:9D:00.0", "0000:C3:00.0", "0000:D1:00.0", "0000:DF:00.0"]

USERS = [("amara", "llm-training"), ("bjorn", "llm-training"), ("chen", "llm-training"),
         ("dana", "inference"), ("eli", "inference"), ("farah", "research"),
         ("goran", "research"), ("hana", "research"), ("ivan", "infra"), ("jules", "infra")]

JOB_KINDS = {
    "llm-training": [("llama3-70b-pretrain", 2, 4, 10, 30), ("mixtral-8x7b-sft", 1, 2, 4, 12),
                     ("gpt-neox-20b-pretrain", 2, 3, 8, 20), ("llama3-8b-dpo", 1, 1, 2, 6)],
    "inference": [("vllm-serve-eval", 1, 1, 1, 4), ("trt-llm-benchmark", 1, 1, 1, 3),
                  ("batch-embeddings", 1, 2, 2, 6)],
    "research": [("vit-huge-ablation", 1, 2, 3, 10), ("diffusion-xl-train", 1, 2, 6, 16),
                 ("moe-routing-study", 1, 1, 2, 8)],
    "infra": [("nccl-tests-allreduce", 2, 4, 1, 1), ("gpu-burn-in", 1, 1, 1, 2),
              ("dcgm-diag-level3", 1, 1, 1, 1)],
}


def iso(hours):
    """ISO-8601 UTC text for START + `hours` (a float), to the second."""
    t = START + datetime.timedelta(seconds=round(hours * 3600))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def sql_value(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        raise TypeError("booleans are stored as 0/1 integers")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "%.1f" % v
    return "'" + str(v).replace("'", "''") + "'"


class Telemetry:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.rows = {name: [] for name, _, _ in SCHEMA}
        self.node_info = {}      # hostname -> cluster tuple
        self.node_down = {}      # hostname -> list of (start_h, end_h) without metrics
        self.busy = {}           # (hostname, gpu) -> list of (start_h, end_h, intensity)
        self.node_free_at = {}   # hostname -> hour it is free again
        self.failures = []       # (hour, hostname, kind) planned node-level incidents
        self.log_lines = []      # (hour, job_id, hostname, level, message)
        self.events = []         # (hour, hostname, type, reason, source)
        self.xids = []           # (hour, hostname, gpu, xid, pid, message)
        self.nccl = []           # (hour, job, host, rank, lib, type, coll, size, bytes, seq, timeout, dur)

    # -- inventory ------------------------------------------------------------------------------
    def inventory(self):
        rng = self.rng
        for c in CLUSTERS:
            (name, region, family, vm, vendor, model, mem, plimit, cores, host_gib, count, racks,
             _clock, prefix) = c
            self.rows["clusters"].append((name, region, "slurm", family))
            for n in range(1, count + 1):
                host = "%s-%03d" % (prefix, n)
                rack = racks[(n - 1) * len(racks) // count]
                self.node_info[host] = c
                self.node_down[host] = []
                self.node_free_at[host] = 0.0
                self.rows["nodes"].append([host, name, rack, vm, vendor, 8, cores, host_gib, "idle"])
                for g in range(8):
                    u = "%032x" % rng.getrandbits(128)
                    uuid = "GPU-%s-%s-%s-%s-%s" % (u[:8], u[8:12], u[12:16], u[16:20], u[20:])
                    self.rows["gpus"].append((uuid, host, g, model, mem, plimit, PCI_BUSES[g]))
                    self.busy[(host, g)] = []

    def hosts(self, cluster):
        return [h for h, c in self.node_info.items() if c[0] == cluster]

    # -- incidents planned before scheduling, so jobs can be hit by them -------------------------
    def plan_incidents(self):
        # (hour, hostname, gpu, kind): node-level incidents that kill whatever runs there.
        self.incidents = [
            (9.4, "gpu-h100-002", 5, "xid79"),
            (20.7, "gpu-a100-004", 2, "xid48"),
            (27.2, "gpu-h100-007", 1, "xid94"),
            (33.9, "gpu-h100-004", 6, "xid74"),
            (41.3, "gpu-a100-001", 7, "xid95"),
            (50.6, "gpu-h100-002", 3, "xid79"),
            (57.8, "gpu-a100-005", 0, "xid119"),
            (63.1, "gpu-h100-005", 4, "xid48"),
        ]
        # Maintenance: gpu-a100-003 from 2026-03-03T08:00Z to 14:00Z; gpu-mi300x-004 drained for a
        # firmware update 2026-03-04T02:00Z to 05:00Z.
        self.maintenance = [("gpu-a100-003", 32.0, 38.0, "planned maintenance: HCA firmware update"),
                            ("gpu-mi300x-004", 50.0, 53.0, "planned maintenance: GPU firmware update")]
        for host, s, e, _ in self.maintenance:
            self.node_down[host].append((s, e))
        # reboot window after each incident: (down_start, down_end), fixed before scheduling so no
        # job starts on a node that is about to reboot
        self.reboot = {}
        for (hour, host, gpu, kind) in self.incidents:
            down_s = hour + 0.3
            self.reboot[(hour, host)] = (down_s, down_s + self.rng.uniform(0.5, 1.5))
            self.node_down[host].append(self.reboot[(hour, host)])
        self.consumed = set()

    # -- scheduling ---------------------------------------------------------------------------------
    def schedule(self):
        rng = self.rng
        job_id = 71200
        submissions = []
        for c in CLUSTERS:
            cluster = c[0]
            t = rng.uniform(0.0, 1.5)
            while t < HOURS - 2:
                user, team = rng.choice(USERS)
                kinds = JOB_KINDS[team]
                name, nmin, nmax, dmin, dmax = rng.choice(kinds)
                nmax = min(nmax, len(self.hosts(cluster)))
                nodes = rng.randint(nmin, nmax)
                dur = rng.uniform(dmin, dmax)
                submissions.append((t, cluster, user, team, name, nodes, dur))
                t += rng.uniform(0.4, 2.2) if cluster != "mi300x-west" else rng.uniform(1.5, 4.0)
        submissions.sort(key=lambda s: (s[0], s[1]))
        for (submit, cluster, user, team, name, nnodes, dur) in submissions:
            job_id += rng.randint(1, 9)
            hosts = self.hosts(cluster)
            start = None
            chosen = None
            # earliest hour >= submit at which nnodes are free and not in maintenance
            candidate_times = sorted(set([submit] + [self.node_free_at[h] for h in hosts if self.node_free_at[h] > submit]))
            for t0 in candidate_times:
                free = [h for h in hosts if self.node_free_at[h] <= t0 and not self.blocked(h, t0, t0 + dur)]
                if len(free) >= nnodes:
                    start = t0 + rng.uniform(0.01, 0.2)
                    chosen = sorted(free, key=lambda h: (self.node_free_at[h], h))[:nnodes]
                    chosen.sort()
                    break
            if start is None or start >= HOURS - 0.5:
                continue
            ngpus = 8 * nnodes
            if nnodes == 1 and name in ("vllm-serve-eval", "trt-llm-benchmark", "moe-routing-study"):
                ngpus = rng.choice([1, 2, 4, 8])
            end = start + dur
            state, exit_code = "COMPLETED", 0
            cause = None
            # a planned incident on one of its nodes while it runs kills it
            for (hour, host, gpu, kind) in self.incidents:
                if host in chosen and start < hour < end and (hour, host) not in self.consumed:
                    self.consumed.add((hour, host))
                    end = hour + rng.uniform(0.02, 0.1)
                    cause = (hour, host, gpu, kind)
                    if kind == "xid79":
                        state, exit_code = "NODE_FAIL", 1
                    else:
                        state, exit_code = "FAILED", 1
                    break
            if cause is None:
                r = rng.random()
                if r < 0.15 and nnodes >= 2:
                    cause = (start + dur * rng.uniform(0.3, 0.8), chosen[rng.randrange(nnodes)], None, "nccl_timeout")
                    end = cause[0] + 10.0 / 60 + rng.uniform(0.01, 0.05)
                    state, exit_code = "FAILED", 134
                elif r < 0.23:
                    cause = (start + dur * rng.uniform(0.05, 0.6), chosen[0], rng.randrange(min(ngpus, 8)), "oom")
                    end = cause[0] + rng.uniform(0.005, 0.02)
                    state, exit_code = "FAILED", 1
                elif r < 0.27:
                    cause = (start + dur * rng.uniform(0.05, 0.6), chosen[0], rng.randrange(min(ngpus, 8)), "illegal_address")
                    end = cause[0] + rng.uniform(0.005, 0.02)
                    state, exit_code = "FAILED", 139
                elif r < 0.33:
                    end = start + dur * rng.uniform(0.1, 0.7)
                    state, exit_code = "CANCELLED", 143
                elif r < 0.38:
                    state, exit_code = "TIMEOUT", 143
                elif r < 0.48 and nnodes >= 2:
                    cause = (start + dur * rng.uniform(0.3, 0.9), chosen[-1], None, "slow")
            running = end > HOURS
            if running:
                state, exit_code, end_txt = "RUNNING", None, None
            else:
                end_txt = iso(end)
            busy_until = min(end, HOURS)
            for h in chosen:
                self.node_free_at[h] = end + 0.02
                if cause and cause[1] == h and cause[3].startswith("xid"):
                    self.node_free_at[h] = self.reboot[(cause[0], h)][1] + 0.15
                for g in range(8 if nnodes > 1 or ngpus == 8 else ngpus):
                    intensity = rng.uniform(0.75, 1.0) if team in ("llm-training", "research", "infra") else rng.uniform(0.4, 0.8)
                    self.busy[(h, g)].append((start, busy_until, intensity))
            self.rows["jobs"].append((job_id, name, user, team, cluster, nnodes, ngpus, iso(submit), iso(start),
                                      end_txt, state, exit_code))
            for h in chosen:
                self.rows["job_nodes"].append((job_id, h))
            self.job_logs(job_id, name, chosen, ngpus, start, end, state, cause, running)
            if cause is not None:
                self.consequences(job_id, chosen, ngpus, start, end, cause, cluster)

    def blocked(self, host, s, e):
        """A job may not start on `host` at s (running to e) across a maintenance window, nor
        between an incident and the end of the reboot that follows it; a job already running when
        an incident strikes is killed by it."""
        if any(a < e and s < b for a, b in self.maintenance_windows(host)):
            return True
        return any(hour <= s < self.reboot[(hour, h)][1] + 0.1 for (hour, h, _, _) in self.incidents if h == host)

    def maintenance_windows(self, host):
        return [(s, e) for h, s, e, _ in self.maintenance if h == host]

    # -- what a job writes ----------------------------------------------------------------------------
    def job_logs(self, job_id, name, hosts, ngpus, start, end, state, cause, running):
        rng = self.rng
        first = hosts[0]
        world = ngpus
        self.log_lines.append((start + 0.003, job_id, first, "INFO",
                               "job %d started on %d node(s): %s" % (job_id, len(hosts), ",".join(hosts))))
        self.log_lines.append((start + 0.02, job_id, first, "INFO",
                               "initialized process group: world_size=%d backend=%s" % (
                                   world, "rccl" if "mi300x" in first else "nccl")))
        last = min(end, HOURS) if running else end
        step_t = start + 0.5
        step = 0
        while step_t < last - 0.1 and step < 6:
            step += 1
            step_t += rng.uniform(1.0, 5.0)
            if step_t >= last:
                break
            self.log_lines.append((step_t, job_id, first, "INFO", "checkpoint saved at step %d" % (step * 1000)))
        if cause is not None:
            hour, host, gpu, kind = cause
            if kind == "oom":
                self.log_lines.append((hour, job_id, host, "ERROR",
                                       "torch.OutOfMemoryError: CUDA out of memory on device %d" % gpu))
            elif kind == "illegal_address":
                self.log_lines.append((hour, job_id, host, "ERROR",
                                       "CUDA error: an illegal memory access was encountered (device %d)" % gpu))
            elif kind == "nccl_timeout":
                self.log_lines.append((hour + 10.0 / 60, job_id, host, "ERROR",
                                       "collective watchdog timeout after 600000 ms; aborting communicator"))
            elif kind == "slow":
                self.log_lines.append((hour, job_id, host, "WARNING",
                                       "step time regressed by 3.1x; a collective is slow"))
            elif kind == "xid79":
                self.log_lines.append((hour + 0.01, job_id, host, "ERROR",
                                       "CUDA error: unspecified launch failure; lost connection to GPU %d" % gpu))
            elif kind in ("xid48", "xid94", "xid95"):
                self.log_lines.append((hour + 0.005, job_id, host, "ERROR",
                                       "CUDA error: uncorrectable ECC error encountered (device %d)" % gpu))
            elif kind == "xid74":
                self.log_lines.append((hour + 0.01, job_id, host, "ERROR",
                                       "NCCL error: unhandled system error (NVLink) on device %d" % gpu))
            elif kind == "xid119":
                self.log_lines.append((hour + 0.01, job_id, host, "ERROR",
                                       "CUDA error: GPU is lost or in an unrecoverable state (device %d)" % gpu))
        if running:
            return
        if state == "COMPLETED":
            self.log_lines.append((end - 0.002, job_id, first, "INFO", "training finished; exit code 0"))
        elif state == "TIMEOUT":
            self.log_lines.append((end, job_id, first, "WARNING", "time limit reached; job cancelled by slurm"))
        elif state == "CANCELLED":
            self.log_lines.append((end, job_id, first, "WARNING", "received SIGTERM; job cancelled by user"))
        else:
            self.log_lines.append((end, job_id, first, "ERROR", "job exited with code %d" % (134 if cause and cause[3] == "nccl_timeout" else (139 if cause and cause[3] == "illegal_address" else 1))))

    def consequences(self, job_id, hosts, ngpus, start, end, cause, cluster):
        rng = self.rng
        hour, host, gpu, kind = cause
        lib = "RCCL" if cluster == "mi300x-west" else "NCCL"
        pid = rng.randint(10000, 99999)
        world = ngpus
        if kind == "nccl_timeout" or kind == "slow":
            coll = rng.choice(["AllReduce", "AllGather", "ReduceScatter", "Broadcast"])
            seq = rng.randint(1000, 90000)
            nbytes = rng.choice([1048576, 16777216, 67108864, 268435456])
            if kind == "nccl_timeout":
                # every rank of the communicator on each node reports; we keep one row per node
                for i, h in enumerate(hosts):
                    self.nccl.append((hour + 10.0 / 60 + i * 0.0005, job_id, h, i * 8 + rng.randrange(8), lib, "timeout",
                                      coll, world, nbytes, seq, 600000, 600000 + rng.randint(5, 900)))
                self.nccl.append((hour + 10.0 / 60 + 0.004, job_id, host, hosts.index(host) * 8, lib, "comm_abort",
                                  coll, world, nbytes, seq, 600000, 600000 + rng.randint(900, 2000)))
            else:
                for k in range(rng.randint(2, 4)):
                    self.nccl.append((hour + k * 0.05, job_id, host, hosts.index(host) * 8 + rng.randrange(8), lib,
                                      "slow_collective", coll, world, nbytes, seq + k * 17, 600000,
                                      rng.randint(4000, 45000)))
            return
        if kind in ("oom", "illegal_address"):
            if cluster != "mi300x-west":
                xid = 31 if kind == "illegal_address" else 13
                if kind == "oom" and rng.random() < 0.6:
                    return  # an OOM is a CUDA error; the driver usually logs no Xid
                self.xids.append((hour - 0.001, host, gpu, xid, pid,
                                  "%s: pid=%d, channel 0x%04x" % (XID_DESC[xid], pid, rng.randrange(65536))))
                self.xids.append((hour + 0.001, host, gpu, 43, pid, "%s: pid=%d" % (XID_DESC[43], pid)))
            return
        # node-level incidents: an Xid, the job dies, the health monitor drains the node, it reboots
        xid = int(kind[3:])
        self.node_incident(hour, host, gpu, xid, hosts, job_id, ngpus, lib, pid)

    def node_incident(self, hour, host, gpu, xid, hosts, job_id, ngpus, lib, pid):
        """An Xid that needs the node rebooted: driver messages, the health monitor's drain,
        the reboot and the resume; ranks of the job on other nodes time out in NCCL/RCCL."""
        rng = self.rng
        self.xids.append((hour, host, gpu, xid, None if xid in (79, 119) else pid,
                          "%s (GPU %d, %s)" % (XID_DESC[xid], gpu, PCI_BUSES[gpu])))
        if xid == 48:
            self.xids.append((hour + 0.002, host, gpu, 63, None, "%s: new row marked for remapping" % XID_DESC[63]))
        if xid in (94, 95):
            self.xids.append((hour + 0.002, host, gpu, 45, pid, "%s: pid=%d" % (XID_DESC[45], pid)))
        if xid == 74:
            for i in range(2):
                self.xids.append((hour + 0.001 + i * 0.001, host, (gpu + 1 + i) % 8, 74, None,
                                  "%s (GPU %d, link %d)" % (XID_DESC[74], (gpu + 1 + i) % 8, rng.randrange(18))))
        if len(hosts) > 1:
            others = [h for h in hosts if h != host]
            for i, h in enumerate(others[:2]):
                self.nccl.append((hour + 10.0 / 60 + i * 0.001, job_id, h, (hosts.index(h)) * 8, lib, "timeout",
                                  "AllReduce", ngpus, 268435456, rng.randint(1000, 90000), 600000,
                                  600000 + rng.randint(5, 900)))
        self.events.append((hour + 0.03, host, "health_check_failed", "Xid %d on GPU %d" % (xid, gpu), "health-monitor"))
        self.events.append((hour + 0.04, host, "drain", "Xid %d: %s" % (xid, XID_DESC[xid]), "health-monitor"))
        down_s, down_e = self.reboot[(hour, host)]
        self.events.append((down_s, host, "reboot", "reboot after Xid %d" % xid, "operator"))
        self.events.append((down_e + 0.1, host, "resume", "node healthy after reboot", "operator"))

    # -- background noise ---------------------------------------------------------------------------
    def background(self):
        rng = self.rng
        # benign Xid 63/92 and a few 13/31 from user code that did not kill the job (NVIDIA only)
        nvidia_hosts = [h for h, c in self.node_info.items() if c[4] == "NVIDIA"]
        for _ in range(14):
            h = rng.choice(nvidia_hosts)
            g = rng.randrange(8)
            t = rng.uniform(0.5, HOURS - 0.5)
            xid = rng.choice([13, 31, 63, 92, 13, 31])
            pid = rng.randint(10000, 99999) if xid in (13, 31) else None
            self.xids.append((t, h, g, xid, pid, "%s%s" % (XID_DESC[xid], "" if pid is None else ": pid=%d" % pid)))
        for (hour, host, gpu, kind) in self.incidents:
            if (hour, host) not in self.consumed:  # no job was running there: the node still reboots
                self.node_incident(hour, host, gpu, int(kind[3:]), [host], None, 8, "NCCL", rng.randint(10000, 99999))
        for host, s, e, reason in self.maintenance:
            self.events.append((s - 0.5, host, "drain", reason, "operator"))
            self.events.append((s, host, "maintenance_start", reason, "operator"))
            self.events.append((e, host, "maintenance_end", reason, "operator"))
            self.events.append((e + 0.05, host, "resume", "maintenance complete", "operator"))
        # a node left drained at the end: repeated Xid 92 on gpu-a100-002 GPU 6
        for t in (60.2, 64.7, 68.9):
            self.xids.append((t, "gpu-a100-002", 6, 92, None, XID_DESC[92]))
        self.events.append((69.0, "gpu-a100-002", "drain", "Xid 92: high single-bit ECC error rate on GPU 6", "health-monitor"))

    def ecc_and_ib(self):
        rng = self.rng
        sbe_gpus = {("gpu-a100-002", 6): 900, ("gpu-h100-005", 4): 40, ("gpu-a100-004", 2): 25,
                    ("gpu-h100-001", 0): 3, ("gpu-mi300x-002", 5): 12, ("gpu-a100-001", 7): 8,
                    ("gpu-h100-007", 1): 6, ("gpu-mi300x-003", 1): 2}
        dbe = {("gpu-a100-004", 2): 20.7, ("gpu-h100-005", 4): 63.1, ("gpu-h100-007", 1): 27.2,
               ("gpu-a100-001", 7): 41.3}
        rows = self.rows["ecc_errors"]
        for day in range(3):
            t = day * 24 + 6.0
            for (h, g), base in sorted(sbe_gpus.items()):
                agg_sbe = base * (day + 1) + rng.randint(0, 5)
                vol_sbe = max(1, agg_sbe // (2 + day)) if (h, g) != ("gpu-h100-001", 0) or day > 0 else 0
                loc = "device_memory" if base > 5 else "sram"
                if vol_sbe:
                    rows.append((iso(t), h, g, "volatile", "single_bit", loc, vol_sbe))
                rows.append((iso(t), h, g, "aggregate", "single_bit", loc, agg_sbe))
                if (h, g) in dbe and dbe[(h, g)] < t:
                    rows.append((iso(t), h, g, "aggregate", "double_bit", "device_memory", 1 + (1 if day == 2 and h == "gpu-a100-004" else 0)))
            for (h, g), hour in sorted(dbe.items()):
                if hour < t and (h, g) not in sbe_gpus:
                    rows.append((iso(t), h, g, "aggregate", "double_bit", "device_memory", 1))
        ib = self.rows["ib_link_errors"]
        flaky = {("gpu-h100-004", "mlx5_3"): (120, 2, 30), ("gpu-a100-006", "mlx5_0"): (45, 1, 9),
                 ("gpu-h100-008", "mlx5_6"): (8, 0, 2), ("gpu-mi300x-001", "mlx5_2"): (15, 0, 4)}
        for day in range(3):
            t = day * 24 + 6.0
            for (h, dev), (sym, down, rcv) in sorted(flaky.items()):
                f = day + 1
                ib.append((iso(t), h, dev, sym * f + rng.randint(0, 9), down * f, rcv * f + rng.randint(0, 3)))

    def metrics(self):
        rng = self.rng
        hot = ("gpu-h100-006", 3)
        for hour in range(HOURS):
            for host in sorted(self.node_info):
                c = self.node_info[host]
                if any(a <= hour < b for a, b in self.node_down[host]):
                    continue
                mem, plimit, maxclk = c[6], c[7], c[12]
                for g in range(8):
                    intensity = None
                    for s, e, k in self.busy[(host, g)]:
                        if s <= hour < e:
                            intensity = k
                    if intensity is None:
                        util = rng.randint(0, 3)
                        used = rng.randint(0, 3) if c[4] == "NVIDIA" else rng.randint(10, 40)
                        temp = rng.randint(29, 38)
                        power = plimit * rng.uniform(0.09, 0.14)
                        clock = rng.choice([210, 345]) if c[4] == "NVIDIA" else 132
                    else:
                        util = min(100, int(round(intensity * 100 - rng.uniform(0, 12))))
                        used = int(mem * rng.uniform(0.55, 0.95) * (0.6 + 0.4 * intensity))
                        temp = int(round(45 + 35 * intensity + rng.uniform(-4, 4)))
                        power = plimit * (0.35 + 0.6 * intensity) * rng.uniform(0.93, 1.0)
                        clock = maxclk - rng.choice([0, 0, 15, 30, 45, 60])
                    if (host, g) == hot and intensity is not None:
                        temp = rng.randint(88, 93)
                        clock = maxclk - rng.randint(400, 600)
                        power = plimit * rng.uniform(0.70, 0.78)
                    self.rows["gpu_metrics"].append((iso(hour), host, g, util, used, temp, round(power, 1), clock))

    def finish(self):
        # Node state at the end of the period.
        drained = {e[1] for e in self.events if e[2] == "drain" and e[0] > 68}
        running_hosts = {h for (jid, h) in self.rows["job_nodes"]
                         for j in self.rows["jobs"] if j[0] == jid and j[10] == "RUNNING"}
        for n in self.rows["nodes"]:
            if n[0] in drained:
                n[8] = "drained"
            elif n[0] in running_hosts:
                n[8] = "allocated"
        self.rows["nodes"] = [tuple(n) for n in self.rows["nodes"]]
        self.rows["xid_codes"] = list(XID_CODES)
        self.log_lines.sort(key=lambda x: (x[0], x[1], x[2], x[4]))
        self.rows["job_logs"] = [(i + 1, j, iso(t), h, lvl, msg)
                                 for i, (t, j, h, lvl, msg) in enumerate(self.log_lines)]
        self.events.sort(key=lambda x: (x[0], x[1], x[2]))
        self.rows["node_events"] = [(i + 1, iso(t), h, typ, reason, src)
                                    for i, (t, h, typ, reason, src) in enumerate(self.events) if t < HOURS]
        self.xids.sort(key=lambda x: (x[0], x[1], x[2], x[3]))
        self.rows["xid_errors"] = [(i + 1, iso(t), h, g, x, pid, msg)
                                   for i, (t, h, g, x, pid, msg) in enumerate(self.xids) if t < HOURS]
        self.nccl.sort(key=lambda x: (x[0], x[1], x[2], x[3]))
        self.rows["nccl_events"] = [(i + 1, iso(e[0])) + tuple(e[1:])
                                    for i, e in enumerate(self.nccl) if e[0] < HOURS]


def schema_text():
    out = []
    for name, about, cols in SCHEMA:
        out.append("-- %s" % about)
        out.append("CREATE TABLE %s (" % name)
        width = max(len("%s %s," % (c, t)) for c, t, _ in cols)
        for i, (col, typ, comment) in enumerate(cols):
            decl = "  %s %s%s" % (col, typ, "," if i + 1 < len(cols) else "")
            out.append("%s  -- %s" % (decl.ljust(width + 2), comment))
        out.append(");")
        out.append("")
    return "\n".join(out)


def telemetry_text(t):
    out = ["-- Simulated GPU-fleet telemetry for the aimicius diagnostics suite.",
           "-- Generated by generate_telemetry.py (seed %d); do not edit by hand." % SEED, "",
           schema_text()]
    for name, _, _ in SCHEMA:
        rows = t.rows[name]
        for i in range(0, len(rows), 200):
            chunk = rows[i:i + 200]
            out.append("INSERT INTO %s VALUES\n%s;" % (
                name, ",\n".join("(" + ",".join(sql_value(v) for v in r) + ")" for r in chunk)))
    return "\n".join(out) + "\n"


def main():
    t = Telemetry(SEED)
    t.inventory()
    t.plan_incidents()
    t.schedule()
    t.background()
    t.ecc_and_ib()
    t.metrics()
    t.finish()
    with open(os.path.join(HERE, "schema.sql"), "w", encoding="utf-8", newline="\n") as f:
        f.write("-- Telemetry database of the diagnostics suite (SQLite). Timestamps are ISO-8601 UTC text\n"
                "-- 'YYYY-MM-DDTHH:MM:SSZ' and cover 2026-03-02T00:00:00Z to 2026-03-05T00:00:00Z.\n\n")
        f.write(schema_text())
    with open(os.path.join(HERE, "telemetry.sql"), "w", encoding="utf-8", newline="\n") as f:
        f.write(telemetry_text(t))
    columns = {name: [(c, typ) for c, typ, _ in cols] for name, _, cols in SCHEMA}
    references = telemetry_boundaries.read_references(HERE)
    for number in telemetry_variants.VARIANTS:
        with open(os.path.join(HERE, "telemetry-v%d.sql" % number), "w", encoding="utf-8", newline="\n") as f:
            f.write(telemetry_variants.variant_text(t.rows, number, SEED, sql_value, iso, columns, references))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the diagnostics suite's examples (test.jsonl, dev.jsonl, fewshot.jsonl) from templates.

Each template is a question intent with a few natural phrasings and one reference SQLite query;
its parameters (hosts, users, Xid codes, days, ...) come from the simulated telemetry (telemetry.sql,
written by generate_telemetry.py), so every reference returns rows. Templates belong to exactly one
split, so no test question is a rewording of a dev or few-shot question.

Checks, each a hard failure: every reference runs and returns 1..300 rows; a reference's result
does not depend on SQLite's scan order (run again with PRAGMA reverse_unordered_selects, compared
as a sequence when the query ends in ORDER BY, else as a multiset) — so ORDER BY is total; ids and
questions are unique; no question is near-identical (word Jaccard >= 0.8) to one of another split.

python3 standard library only; deterministic (no randomness at all).
"""

import json
import os
import re
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))
DAYS = ["2026-03-02", "2026-03-03", "2026-03-04"]


def next_day(day):
    return {"2026-03-02": "2026-03-03", "2026-03-03": "2026-03-04", "2026-03-04": "2026-03-05"}[day]


def pretty_day(day):
    return {"2026-03-02": "March 2, 2026", "2026-03-03": "March 3, 2026", "2026-03-04": "March 4, 2026"}[day]


class T:
    """A template: split, category, id stem, parameters (list of dicts or a SQL query whose rows
    become dicts), phrasings (str.format with the parameters), reference (str.format too)."""

    def __init__(self, split, category, stem, params, phrasings, sql, limit=5, notes=None):
        self.split, self.category, self.stem = split, category, stem
        self.params, self.phrasings, self.sql, self.limit, self.notes = params, phrasings, sql, limit, notes


def hosts(cond="1=1"):
    return "SELECT hostname AS h FROM nodes WHERE %s ORDER BY hostname" % cond


TEMPLATES = [
    # ------------------------------------------------------------------ gpu_metrics (test)
    T("test", "gpu_metrics", "max-temp-gpu",
      "SELECT DISTINCT hostname AS h, gpu_index AS g FROM gpu_metrics WHERE (gpu_index + length(hostname)) % 5 = 0 ORDER BY hostname, gpu_index",
      ["What was the highest temperature ever recorded by GPU {g} of {h}? Return only that value.",
       "Give the peak temperature_c reported for {h}, GPU index {g}.",
       "Max temperature (Celsius) seen on GPU {g} in node {h}?"],
      "SELECT MAX(temperature_c) FROM gpu_metrics WHERE hostname = '{h}' AND gpu_index = {g}"),
    T("test", "gpu_metrics", "util-series-day",
      [{"h": "gpu-h100-003", "g": 2, "d": "2026-03-02"}, {"h": "gpu-a100-005", "g": 0, "d": "2026-03-03"},
       {"h": "gpu-mi300x-002", "g": 6, "d": "2026-03-04"}, {"h": "gpu-h100-008", "g": 7, "d": "2026-03-03"},
       {"h": "gpu-a100-001", "g": 4, "d": "2026-03-02"}],
      ["Show the hourly utilization of GPU {g} on {h} during {pd} (UTC): sample time and utilization_pct, oldest first.",
       "For {h} GPU {g}, list ts and utilization_pct of every sample taken on {d}, in time order.",
       "I need the utilization time series of GPU {g} on node {h} for the day {d}: columns ts, utilization_pct, sorted by ts."],
      "SELECT ts, utilization_pct FROM gpu_metrics WHERE hostname = '{h}' AND gpu_index = {g} AND ts >= '{d}T00:00:00Z' AND ts < '{nd}T00:00:00Z' ORDER BY ts"),
    T("test", "gpu_metrics", "hot-gpus",
      [{"t": 85}, {"t": 88}, {"t": 80}, {"t": 90}, {"t": 83}],
      ["Which GPUs ever reached {t} °C or more? Return hostname and gpu_index once per GPU, sorted by hostname then gpu_index.",
       "List the distinct (hostname, gpu_index) pairs with at least one sample at or above {t} degrees C, ordered by hostname and index.",
       "Find every GPU whose temperature hit {t}C or higher at some point; give hostname, gpu_index ordered by hostname, gpu_index."],
      "SELECT DISTINCT hostname, gpu_index FROM gpu_metrics WHERE temperature_c >= {t} ORDER BY hostname, gpu_index"),
    T("test", "gpu_metrics", "avg-power-per-gpu", hosts("rowid % 3 = 1"),
      ["For each GPU of {h}, what was its average power draw? Return gpu_index and the average power_w rounded to 1 decimal, ordered by gpu_index.",
       "Average watts per GPU on node {h} over the whole period (gpu_index, ROUND(avg,1)), by gpu_index.",
       "Break down the mean power consumption of {h} by GPU index, rounded to one decimal place, sorted by index."],
      "SELECT gpu_index, ROUND(AVG(power_w), 1) FROM gpu_metrics WHERE hostname = '{h}' GROUP BY gpu_index ORDER BY gpu_index"),
    T("test", "gpu_metrics", "idle-samples-count", hosts("rowid % 3 = 2"),
      ["How many GPU samples on {h} show utilization under 5%?",
       "Count the gpu_metrics rows of node {h} where utilization_pct is below 5.",
       "On {h}, in how many hourly GPU samples was the GPU essentially idle (utilization < 5%)?"],
      "SELECT COUNT(*) FROM gpu_metrics WHERE hostname = '{h}' AND utilization_pct < 5"),
    T("test", "gpu_metrics", "snapshot-busy",
      [{"h": "gpu-h100-006", "ts": "2026-03-03T12:00:00Z", "u": 80}, {"h": "gpu-a100-006", "ts": "2026-03-02T05:00:00Z", "u": 70},
       {"h": "gpu-mi300x-001", "ts": "2026-03-04T18:00:00Z", "u": 60}, {"h": "gpu-h100-001", "ts": "2026-03-02T20:00:00Z", "u": 75},
       {"h": "gpu-a100-004", "ts": "2026-03-04T09:00:00Z", "u": 50}],
      ["In the sample taken at {ts}, which GPUs of {h} were above {u}% utilization? Return gpu_index, utilization_pct and memory_used_mib ordered by gpu_index.",
       "At {ts} on {h}: list gpu_index, utilization_pct, memory_used_mib for GPUs busier than {u} percent, by gpu_index.",
       "Show the GPUs of node {h} whose utilization exceeded {u}% at timestamp {ts} (gpu_index, utilization_pct, memory_used_mib; sort by index)."],
      "SELECT gpu_index, utilization_pct, memory_used_mib FROM gpu_metrics WHERE hostname = '{h}' AND ts = '{ts}' AND utilization_pct > {u} ORDER BY gpu_index"),
    T("test", "gpu_metrics", "min-clock-busy",
      [{"h": "gpu-h100-006", "g": 3}, {"h": "gpu-h100-006", "g": 0}, {"h": "gpu-a100-003", "g": 5},
       {"h": "gpu-mi300x-003", "g": 2}, {"h": "gpu-h100-002", "g": 1}],
      ["What is the lowest SM clock (MHz) of GPU {g} on {h} among samples where it was at least 50% utilized?",
       "While GPU {g} of {h} was busy (utilization_pct >= 50), what minimum sm_clock_mhz did it report?",
       "Give the minimum sm_clock_mhz for {h} GPU {g}, considering only samples with utilization of 50% or more."],
      "SELECT MIN(sm_clock_mhz) FROM gpu_metrics WHERE hostname = '{h}' AND gpu_index = {g} AND utilization_pct >= 50"),
    T("test", "gpu_metrics", "peak-mem-per-gpu", hosts("rowid % 3 = 0"),
      ["What was the peak device memory usage of each GPU on {h}? Return gpu_index and max memory_used_mib, sorted by gpu_index.",
       "Per GPU index on node {h}, the largest memory_used_mib observed; order by gpu_index.",
       "List gpu_index with its maximum memory in use (MiB) for {h}, by index."],
      "SELECT gpu_index, MAX(memory_used_mib) FROM gpu_metrics WHERE hostname = '{h}' GROUP BY gpu_index ORDER BY gpu_index"),
    T("test", "gpu_metrics", "throttle-samples",
      [{"h": "gpu-h100-006", "c": 1600}, {"h": "gpu-h100-006", "c": 1500}, {"h": "gpu-h100-006", "c": 1450}],
      ["Which samples of {h} show a GPU running hot (85 °C or more) with its SM clock under {c} MHz? Return ts, gpu_index, temperature_c, sm_clock_mhz ordered by ts then gpu_index.",
       "Find thermal throttling on {h}: rows with temperature_c >= 85 and sm_clock_mhz < {c}; give ts, gpu_index, temperature_c, sm_clock_mhz sorted by ts, gpu_index.",
       "List ts, gpu_index, temperature_c and sm_clock_mhz for {h} samples that are at least 85C while clocked below {c} MHz, by time then GPU."],
      "SELECT ts, gpu_index, temperature_c, sm_clock_mhz FROM gpu_metrics WHERE hostname = '{h}' AND temperature_c >= 85 AND sm_clock_mhz < {c} ORDER BY ts, gpu_index"),
    T("test", "gpu_metrics", "sample-count-per-node-day",
      [{"d": d} for d in DAYS],
      ["How many GPU metric samples did each node report on {pd}? Return hostname and count, ordered by hostname.",
       "Per hostname, count the gpu_metrics rows with a timestamp on {d}; sort by hostname.",
       "For the day {d}, give each node's number of GPU samples (hostname, count) in hostname order."],
      "SELECT hostname, COUNT(*) FROM gpu_metrics WHERE ts >= '{d}T00:00:00Z' AND ts < '{nd}T00:00:00Z' GROUP BY hostname ORDER BY hostname"),
    # ------------------------------------------------------------------ jobs (test)
    T("test", "jobs", "jobs-of-user",
      "SELECT DISTINCT user_name AS u FROM jobs ORDER BY user_name",
      ["List the job ids and job names of every job submitted by {u}, in ascending job id order.",
       "Which jobs belong to user {u}? Give job_id and job_name sorted by job_id.",
       "Show job_id, job_name for all of {u}'s jobs, ordered by id."],
      "SELECT job_id, job_name FROM jobs WHERE user_name = '{u}' ORDER BY job_id", limit=8),
    T("test", "jobs", "count-state",
      "SELECT DISTINCT state AS s FROM jobs ORDER BY state",
      ["How many jobs are in state {s}?",
       "Count the jobs whose state is {s}.",
       "What is the number of {s} jobs in the jobs table?"],
      "SELECT COUNT(*) FROM jobs WHERE state = '{s}'", limit=6),
    T("test", "jobs", "running-per-cluster",
      "SELECT DISTINCT cluster AS c FROM jobs WHERE state = 'RUNNING' ORDER BY cluster",
      ["Which jobs are still running on cluster {c}? Return job_id, job_name, user_name and start_time, ordered by start_time then job_id.",
       "Show the RUNNING jobs of {c} (job_id, job_name, user_name, start_time) sorted by start time, ties by job id."],
      "SELECT job_id, job_name, user_name, start_time FROM jobs WHERE cluster = '{c}' AND state = 'RUNNING' ORDER BY start_time, job_id"),
    T("test", "jobs", "team-state-breakdown",
      "SELECT DISTINCT team AS t FROM jobs ORDER BY team",
      ["For team {t}, how many jobs ended in each state? Return state and count ordered by state.",
       "Break the {t} team's jobs down by state: state, number of jobs, sorted by state name.",
       "Give a per-state job count for the {t} team, ordered alphabetically by state."],
      "SELECT state, COUNT(*) FROM jobs WHERE team = '{t}' GROUP BY state ORDER BY state"),
    T("test", "jobs", "failed-exit-codes",
      "SELECT DISTINCT cluster AS c FROM jobs WHERE state = 'FAILED' ORDER BY cluster",
      ["List the FAILED jobs on cluster {c} with their exit codes: job_id and exit_code, by job_id.",
       "On {c}, which jobs failed and with what exit code? Columns job_id, exit_code; order by job_id."],
      "SELECT job_id, exit_code FROM jobs WHERE cluster = '{c}' AND state = 'FAILED' ORDER BY job_id"),
    T("test", "aggregation", "gpu-hours-team",
      [{"c": "h100-east"}, {"c": "a100-south"}, {"c": "mi300x-west"}],
      ["How many GPU-hours did each team consume with COMPLETED jobs on {c}? Return team and num_gpus times run hours summed, rounded to 1 decimal, ordered by team.",
       "Per team, total GPU hours (num_gpus x (end_time - start_time) in hours) of completed jobs on cluster {c}, rounded to one decimal; sort by team."],
      "SELECT team, ROUND(SUM(num_gpus * (julianday(end_time) - julianday(start_time)) * 24), 1) FROM jobs WHERE cluster = '{c}' AND state = 'COMPLETED' GROUP BY team ORDER BY team"),
    T("test", "jobs", "job-duration",
      "SELECT job_id AS j FROM jobs WHERE end_time IS NOT NULL AND job_id % 7 = 3 ORDER BY job_id",
      ["How long did job {j} run, in minutes from start_time to end_time, rounded to the nearest minute?",
       "Give the runtime of job {j} in whole minutes (rounded).",
       "What was the wall-clock duration of job {j}, in minutes, rounded to an integer?"],
      "SELECT ROUND((julianday(end_time) - julianday(start_time)) * 1440) FROM jobs WHERE job_id = {j}", limit=6),
    T("test", "aggregation", "queue-wait-cluster",
      [{"s": "COMPLETED"}, {"s": "FAILED"}, {"s": "TIMEOUT"}],
      ["What was the average queue wait (start_time minus submit_time) in minutes of {s} jobs, per cluster? Return cluster and the average rounded to 1 decimal, ordered by cluster.",
       "Per cluster, mean minutes that {s} jobs waited between submission and start, rounded to one decimal, sorted by cluster."],
      "SELECT cluster, ROUND(AVG((julianday(start_time) - julianday(submit_time)) * 1440), 1) FROM jobs WHERE state = '{s}' GROUP BY cluster ORDER BY cluster"),
    T("test", "jobs", "multinode-users",
      [{"n": 2}, {"n": 3}, {"n": 4}],
      ["Which users submitted at least one job using {n} or more nodes? Distinct user names in alphabetical order.",
       "List, alphabetically and without repeats, the users who ran jobs spanning at least {n} nodes."],
      "SELECT DISTINCT user_name FROM jobs WHERE num_nodes >= {n} ORDER BY user_name"),
    T("test", "jobs", "jobs-by-name",
      "SELECT DISTINCT job_name AS n FROM jobs ORDER BY job_name",
      ["Show every run of '{n}': job_id, user_name and state, ordered by job_id.",
       "List the jobs named {n} with their user and final state (job_id, user_name, state), sorted by job_id.",
       "For job name {n}, give job_id, user_name, state of each job in id order."],
      "SELECT job_id, user_name, state FROM jobs WHERE job_name = '{n}' ORDER BY job_id", limit=8),
    T("test", "time_window", "jobs-running-at",
      [{"ts": "2026-03-02T12:00:00Z"}, {"ts": "2026-03-03T00:00:00Z"}, {"ts": "2026-03-03T15:30:00Z"},
       {"ts": "2026-03-04T06:00:00Z"}, {"ts": "2026-03-04T22:00:00Z"}],
      ["How many jobs were running at {ts}? (started at or before then, and not yet ended)",
       "Count the jobs in progress at the instant {ts}: start_time <= that time and end_time after it or still NULL.",
       "At {ts}, how many jobs were executing?"],
      "SELECT COUNT(*) FROM jobs WHERE start_time <= '{ts}' AND (end_time IS NULL OR end_time > '{ts}')"),
    T("test", "time_window", "jobs-submitted-window",
      [{"a": "2026-03-02T06:00:00Z", "b": "2026-03-02T12:00:00Z"}, {"a": "2026-03-03T18:00:00Z", "b": "2026-03-03T22:00:00Z"},
       {"a": "2026-03-04T00:00:00Z", "b": "2026-03-04T03:00:00Z"}, {"a": "2026-03-02T20:00:00Z", "b": "2026-03-03T02:00:00Z"},
       {"a": "2026-03-04T12:00:00Z", "b": "2026-03-04T16:00:00Z"}],
      ["List the jobs submitted from {a} up to (but not including) {b}: job_id, user_name, submit_time ordered by submit_time then job_id.",
       "Which jobs were submitted in the window [{a}, {b})? Give job_id, user_name, submit_time sorted by submit time, ties by job_id."],
      "SELECT job_id, user_name, submit_time FROM jobs WHERE submit_time >= '{a}' AND submit_time < '{b}' ORDER BY submit_time, job_id"),
    T("test", "time_window", "jobs-started-per-day",
      [{"c": "h100-east"}, {"c": "a100-south"}, {"c": "mi300x-west"}],
      ["How many jobs started on each calendar day (UTC) on cluster {c}? Return the date as YYYY-MM-DD and the count, ordered by date.",
       "Per day, the number of {c} jobs whose start_time falls on that day; columns day (YYYY-MM-DD) and count, by day."],
      "SELECT substr(start_time, 1, 10), COUNT(*) FROM jobs WHERE cluster = '{c}' GROUP BY substr(start_time, 1, 10) ORDER BY 1"),
    # ------------------------------------------------------------------ job_logs (test)
    T("test", "job_logs", "error-lines-of-job",
      "SELECT DISTINCT job_id AS j FROM job_logs WHERE level = 'ERROR' AND job_id % 3 = 0 ORDER BY job_id",
      ["Show the ERROR lines logged by job {j}: ts and message, oldest first (ties by log_id).",
       "What errors did job {j} print? List ts, message of its ERROR-level log lines in log order.",
       "Give me ts and message for every ERROR in job {j}'s logs, sorted by time then log_id."],
      "SELECT ts, message FROM job_logs WHERE job_id = {j} AND level = 'ERROR' ORDER BY ts, log_id", limit=6),
    T("test", "job_logs", "jobs-with-pattern",
      [{"p": "out of memory", "what": "a CUDA out-of-memory error"},
       {"p": "illegal memory access", "what": "an illegal memory access"},
       {"p": "uncorrectable ECC", "what": "an uncorrectable ECC error"},
       {"p": "watchdog timeout", "what": "a collective watchdog timeout"},
       {"p": "lost connection to GPU", "what": "losing the connection to a GPU"}],
      ["Which jobs logged {what} (message containing '{p}')? Return the distinct job ids in ascending order.",
       "Find the job_ids whose logs mention '{p}'; each job once, sorted.",
       "List, without duplicates and in increasing order, the jobs with a log line about {what} ('{p}')."],
      "SELECT DISTINCT job_id FROM job_logs WHERE message LIKE '%{p}%' ORDER BY job_id"),
    T("test", "job_logs", "levels-of-job",
      "SELECT job_id AS j FROM job_logs WHERE level <> 'INFO' GROUP BY job_id HAVING job_id % 4 = 1 ORDER BY job_id",
      ["How many log lines of each level did job {j} write? Return level and count, ordered by level.",
       "Per log level, count job {j}'s lines (level, count; sorted by level)."],
      "SELECT level, COUNT(*) FROM job_logs WHERE job_id = {j} GROUP BY level ORDER BY level", limit=5),
    T("test", "job_logs", "warnings-on-host",
      "SELECT DISTINCT hostname AS h FROM job_logs WHERE level = 'WARNING' ORDER BY hostname",
      ["Which WARNING lines were written from {h}? Return job_id, ts and message ordered by ts then log_id.",
       "List job_id, ts, message of the warnings logged on node {h}, in chronological order (ties by log_id)."],
      "SELECT job_id, ts, message FROM job_logs WHERE hostname = '{h}' AND level = 'WARNING' ORDER BY ts, log_id", limit=5),
    T("test", "job_logs", "last-log-line",
      "SELECT job_id AS j FROM jobs WHERE state <> 'RUNNING' AND job_id % 9 = 2 ORDER BY job_id",
      ["What was the last line job {j} logged? Return its message (latest ts; if tied, highest log_id).",
       "Give the final log message of job {j}.",
       "Which message closes job {j}'s log? Return just the message text."],
      "SELECT message FROM job_logs WHERE job_id = {j} ORDER BY ts DESC, log_id DESC LIMIT 1"),
    T("test", "job_logs", "first-checkpoint",
      "SELECT job_id AS j FROM job_logs WHERE message LIKE 'checkpoint saved%' GROUP BY job_id HAVING job_id % 5 = 0 ORDER BY job_id",
      ["When did job {j} save its first checkpoint? Return the timestamp.",
       "Give the ts of the earliest 'checkpoint saved' log line of job {j}."],
      "SELECT MIN(ts) FROM job_logs WHERE job_id = {j} AND message LIKE 'checkpoint saved%'"),
    # ------------------------------------------------------------------ node_events (test)
    T("test", "node_events", "reboots-of-node",
      "SELECT DISTINCT hostname AS h FROM node_events WHERE event_type = 'reboot' ORDER BY hostname",
      ["When was {h} rebooted? Return the reboot timestamps in chronological order.",
       "List the ts of every reboot event of node {h}, oldest first.",
       "Give all reboot times recorded for {h}, sorted ascending."],
      "SELECT ts FROM node_events WHERE hostname = '{h}' AND event_type = 'reboot' ORDER BY ts"),
    T("test", "node_events", "drains-by-source",
      "SELECT DISTINCT source AS s FROM node_events WHERE event_type = 'drain' ORDER BY source",
      ["List the drain events raised by {s}: ts, hostname and reason, ordered by ts then hostname.",
       "Which nodes did {s} drain, when and why? Columns ts, hostname, reason sorted by time then hostname."],
      "SELECT ts, hostname, reason FROM node_events WHERE event_type = 'drain' AND source = '{s}' ORDER BY ts, hostname"),
    T("test", "node_events", "event-type-counts-cluster",
      [{"c": "h100-east"}, {"c": "a100-south"}, {"c": "mi300x-west"}],
      ["How many node events of each type happened on nodes of cluster {c}? Return event_type and count ordered by event_type.",
       "For cluster {c}, count node_events per event_type (join nodes on hostname); sort by event_type."],
      "SELECT e.event_type, COUNT(*) FROM node_events e JOIN nodes n ON n.hostname = e.hostname WHERE n.cluster = '{c}' GROUP BY e.event_type ORDER BY e.event_type"),
    T("test", "node_events", "timeline-of-node",
      "SELECT DISTINCT hostname AS h FROM node_events ORDER BY hostname",
      ["Show the full event history of {h}: ts, event_type and reason in chronological order (ties by event_id).",
       "What happened to node {h}? List ts, event_type, reason from node_events sorted by ts, then event_id.",
       "Give {h}'s node events as ts, event_type, reason, oldest first."],
      "SELECT ts, event_type, reason FROM node_events WHERE hostname = '{h}' ORDER BY ts, event_id", limit=8),
    T("test", "node_events", "health-check-failures-day",
      [{"d": d} for d in DAYS],
      ["Which nodes failed a health check on {pd}? Return hostname and reason ordered by ts.",
       "List hostname, reason of every health_check_failed event dated {d}, in time order."],
      "SELECT hostname, reason FROM node_events WHERE event_type = 'health_check_failed' AND ts >= '{d}T00:00:00Z' AND ts < '{nd}T00:00:00Z' ORDER BY ts, event_id"),
    # ------------------------------------------------------------------ xid_errors (test)
    T("test", "xid_errors", "count-xid",
      "SELECT DISTINCT xid AS x FROM xid_errors ORDER BY xid",
      ["How many Xid {x} errors were reported in total?",
       "Count the xid_errors rows with Xid code {x}.",
       "What is the total number of Xid {x} events across the fleet?"],
      "SELECT COUNT(*) FROM xid_errors WHERE xid = {x}", limit=8),
    T("test", "xid_errors", "list-xid-events",
      "SELECT DISTINCT e.xid AS x, c.description AS desc FROM xid_errors e JOIN xid_codes c ON c.xid = e.xid WHERE e.xid IN (48, 74, 79, 94, 95, 119, 92) ORDER BY e.xid",
      ["List every Xid {x} ({desc}) event: hostname, gpu_index and ts, oldest first (ties by error_id).",
       "Where and when did '{desc}' (Xid {x}) occur? Give hostname, gpu_index, ts ordered by ts then error_id."],
      "SELECT hostname, gpu_index, ts FROM xid_errors WHERE xid = {x} ORDER BY ts, error_id", limit=7),
    T("test", "xid_errors", "nodes-by-xid-category",
      "SELECT DISTINCT c.category AS cat FROM xid_errors e JOIN xid_codes c ON c.xid = e.xid ORDER BY c.category",
      ["Which nodes reported Xid errors in the '{cat}' category? Distinct hostnames, sorted.",
       "List, once each and alphabetically, the hostnames with at least one {cat}-category Xid."],
      "SELECT DISTINCT e.hostname FROM xid_errors e JOIN xid_codes c ON c.xid = e.xid WHERE c.category = '{cat}' ORDER BY e.hostname"),
    T("test", "xid_errors", "xid-of-node",
      "SELECT DISTINCT hostname AS h FROM xid_errors ORDER BY hostname",
      ["List the Xid errors of {h}: ts, gpu_index, xid and its description, in time order (ties by error_id).",
       "Show {h}'s Xid history with meanings: ts, gpu_index, xid, description (from xid_codes), sorted by ts then error_id."],
      "SELECT e.ts, e.gpu_index, e.xid, c.description FROM xid_errors e JOIN xid_codes c ON c.xid = e.xid WHERE e.hostname = '{h}' ORDER BY e.ts, e.error_id", limit=6),
    T("test", "xid_errors", "xid-meaning",
      "SELECT xid AS x FROM xid_codes WHERE xid IN (13, 31, 43, 63, 64, 45) ORDER BY xid",
      ["What does Xid {x} mean? Return the description from the Xid code table.",
       "Look up the meaning of Xid code {x}.",
       "Give the description of NVIDIA Xid {x}."],
      "SELECT description FROM xid_codes WHERE xid = {x}", limit=6),
    T("test", "xid_errors", "fatal-xid-window",
      [{"d": d} for d in DAYS],
      ["Which fatal Xid errors (xid_codes.fatal = 1) happened on {pd}? Return ts, hostname, gpu_index and xid ordered by ts, then error_id.",
       "List the fatal Xids of {d}: ts, hostname, gpu_index, xid in time order (ties by error_id)."],
      "SELECT e.ts, e.hostname, e.gpu_index, e.xid FROM xid_errors e JOIN xid_codes c ON c.xid = e.xid WHERE c.fatal = 1 AND e.ts >= '{d}T00:00:00Z' AND e.ts < '{nd}T00:00:00Z' ORDER BY e.ts, e.error_id"),
    T("test", "xid_errors", "xid-pids",
      [{"x": 13}, {"x": 31}, {"x": 43}],
      ["Which process ids were involved in Xid {x} errors? Return hostname, gpu_index and pid ordered by hostname, gpu_index, pid.",
       "For Xid {x}, list the hostname, gpu_index and pid of each report (rows with a pid only), sorted by hostname, gpu_index, pid."],
      "SELECT hostname, gpu_index, pid FROM xid_errors WHERE xid = {x} AND pid IS NOT NULL ORDER BY hostname, gpu_index, pid"),
    # ------------------------------------------------------------------ ecc_errors (test)
    T("test", "ecc_errors", "dbe-gpus-at-reading",
      [{"d": d} for d in DAYS if d != "2026-03-02"],
      ["At the ECC reading of {d}T06:00:00Z, which GPUs had a non-zero aggregate double-bit count? Return hostname, gpu_index and count ordered by hostname, gpu_index.",
       "List hostname, gpu_index, count of aggregate double_bit ECC counters read at 06:00 UTC on {d}, by hostname and GPU."],
      "SELECT hostname, gpu_index, count FROM ecc_errors WHERE ts = '{d}T06:00:00Z' AND counter = 'aggregate' AND error_type = 'double_bit' ORDER BY hostname, gpu_index"),
    T("test", "ecc_errors", "sbe-series",
      "SELECT DISTINCT hostname AS h, gpu_index AS g FROM ecc_errors WHERE error_type = 'single_bit' ORDER BY hostname, gpu_index",
      ["Show how the aggregate single-bit ECC count of GPU {g} on {h} evolved: ts and count of each daily reading, oldest first.",
       "For {h} GPU {g}, list ts and count of the aggregate single_bit ECC readings in time order."],
      "SELECT ts, count FROM ecc_errors WHERE hostname = '{h}' AND gpu_index = {g} AND counter = 'aggregate' AND error_type = 'single_bit' ORDER BY ts", limit=6),
    T("test", "ecc_errors", "volatile-per-node",
      [{"d": d} for d in DAYS],
      ["Sum the volatile single-bit ECC counts per node at the {d}T06:00:00Z reading: hostname and total, ordered by hostname.",
       "Per hostname, the total volatile single_bit ECC errors read on {d} at 06:00 UTC; sort by hostname."],
      "SELECT hostname, SUM(count) FROM ecc_errors WHERE ts = '{d}T06:00:00Z' AND counter = 'volatile' AND error_type = 'single_bit' GROUP BY hostname ORDER BY hostname"),
    T("test", "top_k", "worst-sbe-gpu",
      [{"d": d, "k": k} for d, k in [("2026-03-02", 3), ("2026-03-03", 2), ("2026-03-04", 4)]],
      ["Which {k} GPUs had the highest aggregate single-bit ECC counts at the reading of {d}T06:00:00Z? Return hostname, gpu_index and count, highest first (ties by hostname, gpu_index).",
       "Top {k} GPUs by aggregate single_bit ECC count in the {d} 06:00 UTC reading: hostname, gpu_index, count ordered by count descending."],
      "SELECT hostname, gpu_index, count FROM ecc_errors WHERE ts = '{d}T06:00:00Z' AND counter = 'aggregate' AND error_type = 'single_bit' ORDER BY count DESC, hostname, gpu_index LIMIT {k}"),
    T("test", "ecc_errors", "ecc-location-gpus",
      [{"loc": "sram"}, {"loc": "device_memory"}],
      ["Which GPUs ever reported ECC errors located in {loc}? Distinct hostname and gpu_index, ordered by hostname, gpu_index.",
       "List each GPU (hostname, gpu_index) with an ECC counter at location '{loc}', sorted."],
      "SELECT DISTINCT hostname, gpu_index FROM ecc_errors WHERE location = '{loc}' ORDER BY hostname, gpu_index"),
    # ------------------------------------------------------------------ nccl (test)
    T("test", "nccl", "timeouts-cluster",
      [{"c": "h100-east"}, {"c": "a100-south"}, {"c": "mi300x-west"}],
      ["List the collective timeouts of jobs on cluster {c}: ts, job_id, hostname and rank, ordered by ts then event_id.",
       "Which NCCL/RCCL watchdog timeouts hit {c} jobs? Give ts, job_id, hostname, rank sorted by time, ties by event_id."],
      "SELECT e.ts, e.job_id, e.hostname, e.rank FROM nccl_events e JOIN jobs j ON j.job_id = e.job_id WHERE j.cluster = '{c}' AND e.event_type = 'timeout' ORDER BY e.ts, e.event_id"),
    T("test", "nccl", "collectives-of-job",
      "SELECT DISTINCT job_id AS j FROM nccl_events ORDER BY job_id",
      ["Which collective operations were involved in communication problems of job {j}? Distinct collective names, sorted.",
       "List the distinct collectives that appear in nccl_events for job {j}, alphabetically."],
      "SELECT DISTINCT collective FROM nccl_events WHERE job_id = {j} ORDER BY collective", limit=5),
    T("test", "nccl", "events-per-type",
      [{"l": "NCCL"}, {"l": "RCCL"}],
      ["How many events reported by the {l} library (library = '{l}') were recorded of each event_type? Return event_type and count ordered by event_type.",
       "Count the nccl_events rows whose library is {l}, per event_type, sorted by event_type."],
      "SELECT event_type, COUNT(*) FROM nccl_events WHERE library = '{l}' GROUP BY event_type ORDER BY event_type"),
    T("test", "nccl", "slow-collective-jobs",
      [{"ms": 5000}, {"ms": 20000}, {"ms": 30000}],
      ["Which jobs had slow collectives lasting more than {ms} ms? Return job_id and the number of such events, ordered by job_id.",
       "Per job, count slow_collective events with duration_ms above {ms}; list job_id and count by job_id."],
      "SELECT job_id, COUNT(*) FROM nccl_events WHERE event_type = 'slow_collective' AND duration_ms > {ms} GROUP BY job_id ORDER BY job_id"),
    T("test", "nccl", "timeout-details-job",
      "SELECT DISTINCT job_id AS j FROM nccl_events WHERE event_type = 'timeout' ORDER BY job_id",
      ["For job {j}, show each collective timeout: hostname, rank, collective, comm_size, message_bytes and duration_ms, ordered by rank then event_id.",
       "Details of job {j}'s watchdog timeouts: hostname, rank, collective, comm_size, message_bytes, duration_ms sorted by rank, then event_id."],
      "SELECT hostname, rank, collective, comm_size, message_bytes, duration_ms FROM nccl_events WHERE job_id = {j} AND event_type = 'timeout' ORDER BY rank, event_id", limit=5),
    # ------------------------------------------------------------------ joins (test)
    T("test", "joins", "users-on-node", hosts("rowid % 2 = 0"),
      ["Which users had jobs on {h}? Distinct user names in alphabetical order.",
       "List every user who ran at least one job on node {h}, sorted, no duplicates."],
      "SELECT DISTINCT j.user_name FROM jobs j JOIN job_nodes jn ON jn.job_id = j.job_id WHERE jn.hostname = '{h}' ORDER BY j.user_name", limit=8),
    T("test", "joins", "jobs-hit-by-xid",
      [{"x": 79}, {"x": 48}, {"x": 74}, {"x": 94}, {"x": 95}],
      ["Which jobs were running on the node where an Xid {x} occurred, at the time it occurred? Return job_id, job_name and state ordered by job_id.",
       "Find the jobs affected by Xid {x}: jobs with a node equal to the Xid's hostname whose start_time <= the Xid ts and whose end_time is after it (or NULL). Give job_id, job_name, state by job_id."],
      "SELECT DISTINCT j.job_id, j.job_name, j.state FROM xid_errors x JOIN job_nodes jn ON jn.hostname = x.hostname JOIN jobs j ON j.job_id = jn.job_id WHERE x.xid = {x} AND j.start_time <= x.ts AND (j.end_time IS NULL OR j.end_time > x.ts) ORDER BY j.job_id"),
    T("test", "joins", "job-avg-util",
      "SELECT job_id AS j FROM jobs WHERE num_gpus = 8 * num_nodes AND end_time IS NOT NULL AND (julianday(end_time) - julianday(start_time)) * 24 > 3 AND job_id % 6 = 1 ORDER BY job_id",
      ["What was the average GPU utilization across the nodes of job {j} while it ran (samples with ts between its start_time and end_time)? Round to 1 decimal.",
       "Mean utilization_pct of all GPU samples on job {j}'s nodes taken during the job (start_time <= ts <= end_time), rounded to one decimal."],
      "SELECT ROUND(AVG(m.utilization_pct), 1) FROM gpu_metrics m JOIN job_nodes jn ON jn.hostname = m.hostname JOIN jobs j ON j.job_id = jn.job_id WHERE j.job_id = {j} AND m.ts >= j.start_time AND m.ts <= j.end_time", limit=5),
    T("test", "joins", "xid-by-model",
      [{"f": 0}, {"f": 1}],
      ["Count {fw} Xid errors per GPU model: model and count ordered by model.",
       "For each GPU model, how many {fw} Xid errors were reported? Join xid_errors to gpus on hostname and gpu_index; return model, count sorted by model."],
      "SELECT g.model, COUNT(*) FROM xid_errors e JOIN gpus g ON g.hostname = e.hostname AND g.gpu_index = e.gpu_index JOIN xid_codes c ON c.xid = e.xid WHERE c.fatal = {f} GROUP BY g.model ORDER BY g.model"),
    T("test", "joins", "failed-teams-cluster",
      [{"c": "h100-east"}, {"c": "a100-south"}, {"c": "mi300x-west"}],
      ["Which teams had jobs end in FAILED or NODE_FAIL on cluster {c}? Return team and the number of such jobs, ordered by team.",
       "Per team, count the jobs on {c} whose state is FAILED or NODE_FAIL; sort by team."],
      "SELECT team, COUNT(*) FROM jobs WHERE cluster = '{c}' AND state IN ('FAILED', 'NODE_FAIL') GROUP BY team ORDER BY team"),
    T("test", "joins", "xid-per-rack",
      [{"x": "all"}],
      ["How many Xid errors were reported in each rack? Return rack and count ordered by rack.",
       ],
      "SELECT n.rack, COUNT(*) FROM xid_errors e JOIN nodes n ON n.hostname = e.hostname GROUP BY n.rack ORDER BY n.rack"),
    T("test", "joins", "cluster-capacity",
      [{"r": r} for r in ["eastus", "westus3", "southcentralus"]],
      ["For the cluster in region {r}, how many GPUs does it have and how much GPU memory in GiB in total? Return the GPU count and the memory sum of memory_total_mib / 1024.0.",
       "Total GPUs and total GPU memory (GiB, memory_total_mib divided by 1024.0) of the {r} cluster."],
      "SELECT COUNT(*), SUM(g.memory_total_mib) / 1024.0 FROM gpus g JOIN nodes n ON n.hostname = g.hostname JOIN clusters c ON c.cluster = n.cluster WHERE c.region = '{r}'"),
    T("test", "joins", "jobs-on-drained-nodes",
      [{"s": "drained"}, {"s": "allocated"}],
      ["List the jobs that ever ran on a node whose current state is '{s}': job_id and hostname, ordered by job_id then hostname.",
       "Which (job_id, hostname) allocations involve nodes now in state {s}? Sort by job_id, hostname."],
      "SELECT jn.job_id, jn.hostname FROM job_nodes jn JOIN nodes n ON n.hostname = jn.hostname WHERE n.state = '{s}' ORDER BY jn.job_id, jn.hostname"),
    T("test", "joins", "nccl-job-owner",
      [{"t": "timeout"}, {"t": "slow_collective"}, {"t": "comm_abort"}],
      ["Whose jobs saw '{t}' collective events? Return user_name and team once each, ordered by user_name.",
       "List the distinct user_name, team pairs owning jobs with nccl_events of type {t}, sorted by user."],
      "SELECT DISTINCT j.user_name, j.team FROM nccl_events e JOIN jobs j ON j.job_id = e.job_id WHERE e.event_type = '{t}' ORDER BY j.user_name"),
    T("test", "joins", "xid-then-job-failure",
      [{"w": 1}, {"w": 2}],
      ["Which jobs ended FAILED or NODE_FAIL within {w} hour(s) after an Xid error on one of their nodes? Return distinct job_id ordered by job_id.",
       "Find failed or node-failed jobs whose end_time lies between an Xid's ts and {w} hour(s) later, on a node of the job; list job_ids in order."],
      "SELECT DISTINCT j.job_id FROM jobs j JOIN job_nodes jn ON jn.job_id = j.job_id JOIN xid_errors x ON x.hostname = jn.hostname WHERE j.state IN ('FAILED', 'NODE_FAIL') AND j.end_time >= x.ts AND j.end_time <= strftime('%Y-%m-%dT%H:%M:%SZ', x.ts, '+{w} hours') ORDER BY j.job_id"),
    # ------------------------------------------------------------------ aggregation / top_k / time windows (test)
    T("test", "top_k", "top-users",
      [{"k": 3}, {"k": 5}, {"k": 4}],
      ["Who are the top {k} users by number of jobs? Return user_name and job count, most jobs first, ties broken by user_name.",
       "Rank users by how many jobs they submitted and return the first {k} (user_name, count), ordered by count descending then name."],
      "SELECT user_name, COUNT(*) FROM jobs GROUP BY user_name ORDER BY COUNT(*) DESC, user_name LIMIT {k}"),
    T("test", "top_k", "hottest-readings",
      [{"c": "h100-east", "k": 5}, {"c": "a100-south", "k": 3}, {"c": "mi300x-west", "k": 4}],
      ["Give the {k} hottest GPU samples on cluster {c}: hostname, gpu_index, ts and temperature_c, hottest first (ties by hostname, gpu_index, ts).",
       "Top {k} temperature readings among {c} nodes, as hostname, gpu_index, ts, temperature_c ordered by temperature descending, then hostname, gpu_index, ts."],
      "SELECT m.hostname, m.gpu_index, m.ts, m.temperature_c FROM gpu_metrics m JOIN nodes n ON n.hostname = m.hostname WHERE n.cluster = '{c}' ORDER BY m.temperature_c DESC, m.hostname, m.gpu_index, m.ts LIMIT {k}"),
    T("test", "top_k", "longest-wait",
      [{"k": 3}, {"k": 5}, {"k": 10}],
      ["Which {k} jobs waited longest between submission and start? Return job_id and the wait in minutes rounded to 1 decimal, longest first (ties by job_id).",
       "Top {k} queue waits: job_id and ROUND((start - submit) in minutes, 1), ordered by wait descending, then job_id."],
      "SELECT job_id, ROUND((julianday(start_time) - julianday(submit_time)) * 1440, 1) FROM jobs ORDER BY (julianday(start_time) - julianday(submit_time)) DESC, job_id LIMIT {k}"),
    T("test", "time_window", "hourly-cluster-util",
      [{"c": "h100-east", "d": "2026-03-03", "a": "08", "b": "12"}, {"c": "a100-south", "d": "2026-03-02", "a": "00", "b": "06"},
       {"c": "mi300x-west", "d": "2026-03-04", "a": "14", "b": "18"}, {"c": "h100-east", "d": "2026-03-04", "a": "20", "b": "23"}],
      ["For cluster {c}, what was the average GPU utilization in each hourly sample from {d}T{a}:00:00Z to {d}T{b}:00:00Z inclusive? Return ts and the average rounded to 1 decimal, ordered by ts.",
       "Average utilization_pct over all {c} GPUs per sample time between {d} {a}:00 and {b}:00 UTC (both ends included), rounded to one decimal; columns ts, average; by ts."],
      "SELECT m.ts, ROUND(AVG(m.utilization_pct), 1) FROM gpu_metrics m JOIN nodes n ON n.hostname = m.hostname WHERE n.cluster = '{c}' AND m.ts >= '{d}T{a}:00:00Z' AND m.ts <= '{d}T{b}:00:00Z' GROUP BY m.ts ORDER BY m.ts"),
    T("test", "aggregation", "nodes-without-xid",
      [{"v": "NVIDIA"}],
      ["Which NVIDIA nodes never reported an Xid error? Hostnames in alphabetical order."],
      "SELECT hostname FROM nodes WHERE gpu_vendor = 'NVIDIA' AND hostname NOT IN (SELECT hostname FROM xid_errors) ORDER BY hostname"),
    T("test", "top_k", "busiest-nodes",
      [{"k": 3, "c": "h100-east"}, {"k": 2, "c": "a100-south"}, {"k": 4, "c": "mi300x-west"}],
      ["Which {k} nodes of cluster {c} ran the most jobs? Return hostname and number of jobs, most first, ties by hostname.",
       "On {c}, rank nodes by how many jobs were allocated to them and return the top {k} (hostname, job count; ties broken by hostname)."],
      "SELECT jn.hostname, COUNT(*) FROM job_nodes jn JOIN nodes n ON n.hostname = jn.hostname WHERE n.cluster = '{c}' GROUP BY jn.hostname ORDER BY COUNT(*) DESC, jn.hostname LIMIT {k}"),
    T("test", "aggregation", "failure-rate-team",
      [{"s": "FAILED"}, {"s": "COMPLETED"}],
      ["For each team, what fraction of its jobs ended {s}? Return team and the fraction (0..1) rounded to 3 decimals, ordered by team.",
       "Per team, the share of jobs with state {s}, as a ratio rounded to three decimals; sort by team."],
      "SELECT team, ROUND(SUM(CASE WHEN state = '{s}' THEN 1 ELSE 0 END) * 1.0 / COUNT(*), 3) FROM jobs GROUP BY team ORDER BY team"),
    T("test", "aggregation", "energy-per-node",
      [{"c": "h100-east"}, {"c": "a100-south"}, {"c": "mi300x-west"}],
      ["Estimate each {c} node's GPU energy in kWh, treating every hourly power_w sample as one hour: hostname and SUM(power_w)/1000 rounded to 1 decimal, ordered by hostname.",
       "Per node of cluster {c}, total GPU energy in kilowatt-hours (sum of hourly power samples divided by 1000, rounded to 1 decimal); hostname order."],
      "SELECT m.hostname, ROUND(SUM(m.power_w) / 1000, 1) FROM gpu_metrics m JOIN nodes n ON n.hostname = m.hostname WHERE n.cluster = '{c}' GROUP BY m.hostname ORDER BY m.hostname"),
    T("test", "time_window", "node-gap-hours",
      "SELECT DISTINCT hostname AS h FROM node_events WHERE event_type IN ('reboot', 'maintenance_start') ORDER BY hostname",
      ["How many hourly sample times have metrics for {h}? Count distinct ts values of its gpu_metrics rows.",
       "Count the distinct sample timestamps recorded for node {h} in gpu_metrics."],
      "SELECT COUNT(DISTINCT ts) FROM gpu_metrics WHERE hostname = '{h}'"),
    # ------------------------------------------------------------------ inventory (test)
    T("test", "inventory", "nodes-in-rack",
      "SELECT DISTINCT rack AS r FROM nodes ORDER BY rack",
      ["List the nodes in rack {r} with their state: hostname and state ordered by hostname.",
       "What is in rack {r}? Give hostname, state sorted by hostname."],
      "SELECT hostname, state FROM nodes WHERE rack = '{r}' ORDER BY hostname", limit=6),
    T("test", "inventory", "gpu-count-model",
      [{"x": 1}],
      ["How many GPUs of each model does the fleet have? Return model and count ordered by model."],
      "SELECT model, COUNT(*) FROM gpus GROUP BY model ORDER BY model"),
    T("test", "inventory", "gpu-ids",
      "SELECT hostname AS h, gpu_index AS g FROM gpus WHERE (gpu_index * 7 + length(hostname)) % 11 = 0 ORDER BY hostname, gpu_index",
      ["What are the UUID and PCI bus id of GPU {g} in {h}? Return gpu_uuid then pci_bus_id.",
       "Give gpu_uuid and pci_bus_id for {h}, GPU index {g}."],
      "SELECT gpu_uuid, pci_bus_id FROM gpus WHERE hostname = '{h}' AND gpu_index = {g}"),
    T("test", "inventory", "nodes-by-state",
      "SELECT DISTINCT state AS s FROM nodes ORDER BY state",
      ["Which nodes are currently in state '{s}'? Return hostname and cluster ordered by hostname.",
       "List hostname, cluster of every node whose state is {s}, sorted by hostname."],
      "SELECT hostname, cluster FROM nodes WHERE state = '{s}' ORDER BY hostname"),
    T("test", "inventory", "ib-errors-node",
      "SELECT DISTINCT hostname AS h FROM ib_link_errors ORDER BY hostname",
      ["Which InfiniBand devices on {h} reported errors, and what was the largest symbol error count for each? Return device and max symbol_errors ordered by device.",
       "Per HCA of node {h}, the maximum symbol_errors across the daily readings (device, max), sorted by device."],
      "SELECT device, MAX(symbol_errors) FROM ib_link_errors WHERE hostname = '{h}' GROUP BY device ORDER BY device"),
    T("test", "inventory", "link-downed-last",
      [{"n": 0}, {"n": 1}],
      ["At the last InfiniBand reading (2026-03-04T06:00:00Z), which ports had a link_downed count above {n}? Return hostname, device and link_downed ordered by hostname, device.",
       "List hostname, device, link_downed for ports whose link_downed counter exceeded {n} in the 2026-03-04 06:00 UTC reading; sort by hostname then device."],
      "SELECT hostname, device, link_downed FROM ib_link_errors WHERE ts = '2026-03-04T06:00:00Z' AND link_downed > {n} ORDER BY hostname, device"),

    # ================================================================== dev split
    T("dev", "gpu_metrics", "mean-clock-node", hosts("rowid % 4 = 0"),
      ["For node {h}, what was the mean SM clock of each GPU over the whole period, rounded to the nearest MHz? Columns gpu_index and rounded mean, ordered by gpu_index."],
      "SELECT gpu_index, ROUND(AVG(sm_clock_mhz)) FROM gpu_metrics WHERE hostname = '{h}' GROUP BY gpu_index ORDER BY gpu_index"),
    T("dev", "jobs", "user-cancel-timeout",
      "SELECT DISTINCT user_name AS u FROM jobs WHERE state IN ('CANCELLED', 'TIMEOUT') ORDER BY user_name",
      ["Which of {u}'s jobs were cancelled or timed out? Return job_id and state, sorted by job_id."],
      "SELECT job_id, state FROM jobs WHERE user_name = '{u}' AND state IN ('CANCELLED', 'TIMEOUT') ORDER BY job_id"),
    T("dev", "joins", "hosts-of-job",
      "SELECT job_id AS j FROM jobs WHERE num_nodes >= 2 AND job_id % 5 = 2 ORDER BY job_id",
      ["On which hosts did job {j} run? Hostnames alphabetically."],
      "SELECT hostname FROM job_nodes WHERE job_id = {j} ORDER BY hostname"),
    T("dev", "xid_errors", "xid-per-gpu-index",
      "SELECT hostname AS h FROM xid_errors GROUP BY hostname HAVING COUNT(*) >= 3 ORDER BY hostname",
      ["Tally the Xid errors of {h} by GPU: gpu_index and number of errors, ordered by gpu_index."],
      "SELECT gpu_index, COUNT(*) FROM xid_errors WHERE hostname = '{h}' GROUP BY gpu_index ORDER BY gpu_index"),
    T("dev", "node_events", "first-event-node",
      "SELECT DISTINCT hostname AS h FROM node_events ORDER BY hostname",
      ["What is the earliest recorded node event for {h}? Return its ts and event_type (if several share the time, the lowest event_id)."],
      "SELECT ts, event_type FROM node_events WHERE hostname = '{h}' ORDER BY ts, event_id LIMIT 1"),
    T("dev", "nccl", "abort-events",
      [{"x": 1}],
      ["Which communicators were aborted? List job_id, hostname and ts of comm_abort events ordered by ts, then event_id."],
      "SELECT job_id, hostname, ts FROM nccl_events WHERE event_type = 'comm_abort' ORDER BY ts, event_id"),
    T("dev", "inventory", "rack-summary",
      [{"c": "h100-east"}, {"c": "a100-south"}],
      ["Summarise the racks of {c}: rack, number of nodes and total GPUs (sum of gpu_count), ordered by rack."],
      "SELECT rack, COUNT(*), SUM(gpu_count) FROM nodes WHERE cluster = '{c}' GROUP BY rack ORDER BY rack"),
    T("dev", "jobs", "team-members",
      "SELECT DISTINCT team AS t FROM jobs ORDER BY team",
      ["Who submitted jobs for the {t} team? Distinct user names, alphabetical."],
      "SELECT DISTINCT user_name FROM jobs WHERE team = '{t}' ORDER BY user_name", limit=4),
    T("dev", "gpu_metrics", "samples-of-node", hosts("rowid % 5 = 1"),
      ["How many gpu_metrics rows exist for node {h} in total?"],
      "SELECT COUNT(*) FROM gpu_metrics WHERE hostname = '{h}'", limit=4),
    T("dev", "job_logs", "regression-warnings",
      [{"x": 1}],
      ["Which jobs warned that their step time regressed? Return job_id and hostname of those log lines, ordered by job_id, then hostname."],
      "SELECT job_id, hostname FROM job_logs WHERE message LIKE '%step time regressed%' ORDER BY job_id, hostname"),
    T("dev", "aggregation", "exit-code-histogram",
      [{"s": "FAILED"}, {"s": "TIMEOUT"}, {"s": "CANCELLED"}],
      ["Among {s} jobs, which exit codes occur and how often? Return exit_code and number of jobs, ordered by exit_code."],
      "SELECT exit_code, COUNT(*) FROM jobs WHERE state = '{s}' GROUP BY exit_code ORDER BY exit_code"),
    T("dev", "inventory", "ib-device-series",
      "SELECT DISTINCT hostname AS h, device AS dv FROM ib_link_errors ORDER BY hostname, device",
      ["Show the daily readings of InfiniBand device {dv} on {h}: ts, symbol_errors, link_downed and rcv_errors, oldest first."],
      "SELECT ts, symbol_errors, link_downed, rcv_errors FROM ib_link_errors WHERE hostname = '{h}' AND device = '{dv}' ORDER BY ts"),
    T("dev", "inventory", "big-memory-models",
      [{"m": 65536}, {"m": 100000}],
      ["Which GPU models have more than {m} MiB of memory? Distinct model names, sorted."],
      "SELECT DISTINCT model FROM gpus WHERE memory_total_mib > {m} ORDER BY model"),
    T("dev", "ecc_errors", "sram-readings",
      [{"x": 1}],
      ["List every ECC reading located in SRAM: ts, hostname, gpu_index, counter and count, ordered by ts, hostname, gpu_index, counter."],
      "SELECT ts, hostname, gpu_index, counter, count FROM ecc_errors WHERE location = 'sram' ORDER BY ts, hostname, gpu_index, counter"),
    T("dev", "top_k", "longest-completed",
      [{"c": "h100-east"}, {"c": "a100-south"}, {"c": "mi300x-west"}],
      ["What is the longest-running COMPLETED job on {c}? Return its job_id and job_name (ties: lowest job_id)."],
      "SELECT job_id, job_name FROM jobs WHERE cluster = '{c}' AND state = 'COMPLETED' ORDER BY julianday(end_time) - julianday(start_time) DESC, job_id LIMIT 1"),
    T("dev", "time_window", "xids-in-window",
      [{"a": "2026-03-02T00:00:00Z", "b": "2026-03-02T12:00:00Z"}, {"a": "2026-03-03T00:00:00Z", "b": "2026-03-03T06:00:00Z"},
       {"a": "2026-03-04T12:00:00Z", "b": "2026-03-04T20:00:00Z"}, {"a": "2026-03-03T12:00:00Z", "b": "2026-03-04T00:00:00Z"}],
      ["How many Xid errors of each code were logged between {a} (inclusive) and {b} (exclusive)? Return xid and count ordered by xid."],
      "SELECT xid, COUNT(*) FROM xid_errors WHERE ts >= '{a}' AND ts < '{b}' GROUP BY xid ORDER BY xid"),
    T("dev", "node_events", "last-resume",
      "SELECT DISTINCT hostname AS h FROM node_events WHERE event_type = 'resume' ORDER BY hostname",
      ["When was node {h} last returned to service? Give the timestamp of its most recent resume event."],
      "SELECT MAX(ts) FROM node_events WHERE hostname = '{h}' AND event_type = 'resume'", limit=5),
    T("dev", "inventory", "node-sku", "SELECT hostname AS h FROM nodes WHERE rowid % 6 = 5 ORDER BY hostname",
      ["Which VM size and GPU vendor does {h} use? Return vm_size and gpu_vendor."],
      "SELECT vm_size, gpu_vendor FROM nodes WHERE hostname = '{h}'", limit=3),
    T("dev", "joins", "gpu-models-with-dbe",
      [{"x": 1}],
      ["Which GPU models have had an Xid 48 double-bit ECC error? Distinct model names, sorted."],
      "SELECT DISTINCT g.model FROM xid_errors e JOIN gpus g ON g.hostname = e.hostname AND g.gpu_index = e.gpu_index WHERE e.xid = 48 ORDER BY g.model"),

    # ================================================================== fewshot split (one each)
    T("fewshot", "inventory", "fs-node-count", [{"c": "h100-east"}],
      ["How many nodes does cluster {c} have?"],
      "SELECT COUNT(*) FROM nodes WHERE cluster = '{c}'"),
    T("fewshot", "inventory", "fs-clusters", [{"x": 1}],
      ["List all clusters with their region and SKU family, ordered by cluster name."],
      "SELECT cluster, region, sku_family FROM clusters ORDER BY cluster"),
    T("fewshot", "inventory", "fs-power-limit", [{"h": "gpu-mi300x-002"}],
      ["What power limit do the GPUs of {h} have? Return each distinct power_limit_w."],
      "SELECT DISTINCT power_limit_w FROM gpus WHERE hostname = '{h}'"),
    T("fewshot", "time_window", "fs-user-day", [{"u": "ivan", "d": "2026-03-03"}],
      ["Which jobs did {u} submit on {d}? Job ids in ascending order."],
      "SELECT job_id FROM jobs WHERE user_name = '{u}' AND submit_time >= '{d}T00:00:00Z' AND submit_time < '{nd}T00:00:00Z' ORDER BY job_id"),
    T("fewshot", "gpu_metrics", "fs-avg-temp-day", [{"d": "2026-03-02"}],
      ["What was the average GPU temperature over all samples taken on {d}, rounded to 1 decimal?"],
      "SELECT ROUND(AVG(temperature_c), 1) FROM gpu_metrics WHERE ts >= '{d}T00:00:00Z' AND ts < '{nd}T00:00:00Z'"),
    T("fewshot", "xid_errors", "fs-xid-host", [{"h": "gpu-h100-002"}],
      ["Show the Xid errors of {h} as ts, gpu_index and xid, in time order."],
      "SELECT ts, gpu_index, xid FROM xid_errors WHERE hostname = '{h}' ORDER BY ts, error_id"),
    T("fewshot", "node_events", "fs-health-per-node", [{"x": 1}],
      ["How many failed health checks did each node have? Return hostname and count ordered by hostname."],
      "SELECT hostname, COUNT(*) FROM node_events WHERE event_type = 'health_check_failed' GROUP BY hostname ORDER BY hostname"),
    T("fewshot", "jobs", "fs-segfault-jobs", [{"e": 139}],
      ["Which jobs exited with code {e} (segmentation fault)? Return job_id and job_name ordered by job_id."],
      "SELECT job_id, job_name FROM jobs WHERE exit_code = {e} ORDER BY job_id"),
    T("fewshot", "top_k", "fs-top-power", [{"c": "a100-south"}],
      ["Which 3 GPUs of cluster {c} drew the most power on average? Return hostname, gpu_index and the average power_w rounded to 1 decimal, highest first (ties by hostname, gpu_index)."],
      "SELECT m.hostname, m.gpu_index, ROUND(AVG(m.power_w), 1) FROM gpu_metrics m JOIN nodes n ON n.hostname = m.hostname WHERE n.cluster = '{c}' GROUP BY m.hostname, m.gpu_index ORDER BY AVG(m.power_w) DESC, m.hostname, m.gpu_index LIMIT 3"),
    T("fewshot", "nccl", "fs-timeouts-job", [{"j": 0}],
      ["For job {j}, list the NCCL timeout events with hostname, timeout_ms and duration_ms, ordered by event_id."],
      "SELECT hostname, timeout_ms, duration_ms FROM nccl_events WHERE job_id = {j} AND event_type = 'timeout' ORDER BY event_id"),
    T("fewshot", "job_logs", "fs-info-count", [{"x": 1}],
      ["How many INFO-level lines are there in the job logs?"],
      "SELECT COUNT(*) FROM job_logs WHERE level = 'INFO'"),
    T("fewshot", "inventory", "fs-vm-memory", [{"x": 1}],
      ["List each distinct VM size with its host memory in GiB, largest memory first (ties by vm_size)."],
      "SELECT DISTINCT vm_size, memory_gib FROM nodes ORDER BY memory_gib DESC, vm_size"),
    T("fewshot", "time_window", "fs-late-submits", [{"ts": "2026-03-04T16:00:00Z"}],
      ["Which jobs were submitted after {ts}? Return job_id and submit_time ordered by submit_time, then job_id."],
      "SELECT job_id, submit_time FROM jobs WHERE submit_time > '{ts}' ORDER BY submit_time, job_id"),
    T("fewshot", "joins", "fs-nodes-per-family", [{"x": 1}],
      ["How many nodes are there per SKU family? Join nodes to clusters; return sku_family and node count ordered by sku_family."],
      "SELECT c.sku_family, COUNT(*) FROM nodes n JOIN clusters c ON c.cluster = n.cluster GROUP BY c.sku_family ORDER BY c.sku_family"),
    T("fewshot", "ecc_errors", "fs-ecc-gpu-7", [{"g": 7}],
      ["Which nodes have an ECC error reading for GPU index {g}? Distinct hostnames, sorted."],
      "SELECT DISTINCT hostname FROM ecc_errors WHERE gpu_index = {g} ORDER BY hostname"),
    T("fewshot", "node_events", "fs-maintenance-end", [{"x": 1}],
      ["When did maintenance windows end? Return hostname, ts and reason of maintenance_end events, ordered by ts."],
      "SELECT hostname, ts, reason FROM node_events WHERE event_type = 'maintenance_end' ORDER BY ts, event_id"),
    T("fewshot", "jobs", "fs-big-jobs", [{"n": 16}],
      ["How many jobs used at least {n} GPUs?"],
      "SELECT COUNT(*) FROM jobs WHERE num_gpus >= {n}"),
    T("fewshot", "node_events", "fs-event-sources", [{"x": 1}],
      ["Which sources produce node events? Distinct source values, sorted."],
      "SELECT DISTINCT source FROM node_events ORDER BY source"),
    T("fewshot", "xid_errors", "fs-fatal-codes", [{"x": 1}],
      ["List the Xid codes marked fatal, with their descriptions, ordered by xid."],
      "SELECT xid, description FROM xid_codes WHERE fatal = 1 ORDER BY xid"),
    T("fewshot", "gpu_metrics", "fs-idle-gpus-at", [{"h": "gpu-mi300x-004", "ts": "2026-03-02T03:00:00Z"}],
      ["At {ts}, which GPUs of {h} were idle (utilization_pct = 0)? Return gpu_index in order."],
      "SELECT gpu_index FROM gpu_metrics WHERE hostname = '{h}' AND ts = '{ts}' AND utilization_pct = 0 ORDER BY gpu_index"),
]


def words(text):
    return set(re.findall(r"[a-z0-9_]+", text.lower()))


def orders_at_top_level(sql):
    depth = 0
    last_select = 0
    tokens = re.findall(r"\(|\)|'[^']*'|[A-Za-z_]+|[^\sA-Za-z_()']+", sql)
    order_at = None
    for i, t in enumerate(tokens):
        if t == "(":
            depth += 1
        elif t == ")":
            depth -= 1
        elif depth == 0 and t.upper() in ("SELECT", "UNION", "INTERSECT", "EXCEPT"):
            last_select = i
            order_at = None
        elif depth == 0 and t.upper() == "ORDER" and i + 1 < len(tokens) and tokens[i + 1].upper() == "BY":
            order_at = i
    return order_at is not None and order_at > last_select


def main():
    db = sqlite3.connect(":memory:")
    with open(os.path.join(HERE, "telemetry.sql"), encoding="utf-8") as f:
        db.executescript(f.read())
    db.row_factory = sqlite3.Row
    splits = {"test": [], "dev": [], "fewshot": []}
    first_job_with_timeout = db.execute(
        "SELECT MIN(job_id) FROM nccl_events WHERE event_type = 'timeout'").fetchone()[0]
    for t in TEMPLATES:
        if isinstance(t.params, str):
            params = [dict(r) for r in db.execute(t.params).fetchall()]
        else:
            params = [dict(p) for p in t.params]
        made = 0
        for i, p in enumerate(params):
            if made >= t.limit:
                break
            if t.stem == "fs-timeouts-job":
                p["j"] = first_job_with_timeout
            if "d" in p:
                p["nd"] = next_day(p["d"])
                p["pd"] = pretty_day(p["d"])
            if "f" in p:
                p["fw"] = "fatal" if p["f"] == 1 else "non-fatal"
            sql = t.sql.format(**p)
            db.execute("PRAGMA reverse_unordered_selects = OFF")
            rows = [tuple(r) for r in db.execute(sql).fetchall()]
            if not rows or len(rows) > 300:
                continue
            db.execute("PRAGMA reverse_unordered_selects = ON")
            again = [tuple(r) for r in db.execute(sql).fetchall()]
            db.execute("PRAGMA reverse_unordered_selects = OFF")
            ordered = orders_at_top_level(sql)
            if (rows != again) if ordered else (sorted(rows, key=repr) != sorted(again, key=repr)):
                raise SystemExit("%s: result depends on scan order: %s" % (t.stem, sql))
            question = t.phrasings[made % len(t.phrasings)].format(**p)
            ex = {"id": "diag-%s-%s-%d" % (t.split, t.stem, made + 1), "category": t.category,
                  "question": question, "reference": sql}
            if t.notes:
                ex["notes"] = t.notes
            splits[t.split].append(ex)
            made += 1
        if os.environ.get("VERBOSE"):
            print(t.split, t.stem, made)
        if made == 0:
            raise SystemExit("template %s produced no example" % t.stem)
    # uniqueness and split separation
    seen_ids, seen_q = set(), set()
    for name, exs in splits.items():
        for ex in exs:
            assert ex["id"] not in seen_ids, ex["id"]
            assert ex["question"] not in seen_q, ex["question"]
            seen_ids.add(ex["id"])
            seen_q.add(ex["question"])
    names = list(splits)
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            for x in splits[names[a]]:
                wx = words(x["question"])
                for y in splits[names[b]]:
                    wy = words(y["question"])
                    if len(wx & wy) / len(wx | wy) >= 0.8:
                        raise SystemExit("near-duplicate across splits: %s / %s" % (x["id"], y["id"]))
    for name, exs in splits.items():
        with open(os.path.join(HERE, name + ".jsonl"), "w", encoding="utf-8", newline="\n") as f:
            for ex in exs:
                f.write(json.dumps(ex, ensure_ascii=False) + "\n")
        print(name, len(exs))


if __name__ == "__main__":
    main()

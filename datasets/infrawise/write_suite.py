#!/usr/bin/env python3
"""Writes suite.json for infrawise (see tasks/suite_definition.h for the format), sealing the data
files with their non-blank line counts and sha256. `aimicius manifest datasets/infrawise` recomputes
the same seals once the framework is built; this script exists so the data can be regenerated and
sealed with python3 alone (generate_benchmarks.py, make_examples.py, write_suite.py)."""

import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

PROMPT = (
    "You help engineers evaluate computing infrastructure. Turn the request into a DCW: the Design "
    "(the target system being evaluated and the baseline it is compared against), the Workload, and the "
    "Criterion. The answer selects benchmark results from a database that knows only the names below.\n\n"
    "{{catalogue}}\n"
    "Rules:\n"
    "- Use the canonical names exactly as listed above (the part before the colon), never an alias.\n"
    "- target: the system being evaluated (the new, proposed or considered one). baseline: the system it is "
    "compared against (the current, old or reference one). When the request marks neither, the first-named "
    "system is the target. When the request names only one system, baseline is null.\n"
    "- criterion: one of the criteria listed for the workload.\n"
    "- Answer with one JSON object and nothing else: "
    "{\"design\": {\"target\": \"...\", \"baseline\": \"...\" or null}, \"workload\": \"...\", \"criterion\": \"...\"}\n\n"
    "{{fewshot}}Request: {{request}}\nDCW:")


def seal(path, split):
    with open(os.path.join(HERE, path), "rb") as f:
        data = f.read()
    if split == "resource":  # read by the scorer or the prompt, never as examples: no count
        return {"path": path, "split": split, "sha256": hashlib.sha256(data).hexdigest()}
    count = sum(1 for line in data.decode().splitlines() if line.strip())
    return {"path": path, "split": split, "count": count, "sha256": hashlib.sha256(data).hexdigest()}


suite = {
    "name": "infrawise",
    "version": "1.1.0",
    "description": "request about evaluating infrastructure -> DCW JSON (design: target and baseline; workload; "
                   "criterion), scored by the benchmark results it retrieves",
    "provenance": "Written by the aimicius developers: requests from templates (make_examples.py), a synthetic "
                  "benchmark-results database derived from public peak specifications (generate_benchmarks.py, "
                  "facts.py; sources in README.md). No text copied.",
    "files": [seal("test.jsonl", "test"), seal("dev.jsonl", "dev"), seal("fewshot.jsonl", "fewshot"),
              seal("benchmarks.sql", "resource"), seal("aliases.json", "resource"),
              seal("catalogue.txt", "resource")],
    "prompt": {
        "version": "infrawise-prompt-1",
        "includes": {"catalogue": "catalogue.txt"},
        "template": PROMPT,
        "fewshot": {"split": "fewshot", "count": 3, "template": "Request: {{request}}\nDCW: {{reference}}\n\n"},
    },
    "oracle": "{{reference}}",
    "extractor": "json_object",
    "stop": ["\nRequest:"],
    "scorers": [{"type": "dcw", "database": "benchmarks.sql", "aliases": "aliases.json"}],
    # strict_accuracy: the answer is right (every field, after canonicalisation); the others are the
    # Sigma paper's metrics, kept beside it under their published names.
    "metrics": [{"name": "strict_accuracy", "headline": True}, "result_accuracy", "result_recall", "dcw_accuracy",
                "target_accuracy", "baseline_accuracy", "workload_accuracy", "criterion_accuracy"],
}

with open(os.path.join(HERE, "suite.json"), "w") as out:
    json.dump(suite, out, indent=2)
    out.write("\n")
print("suite.json written")

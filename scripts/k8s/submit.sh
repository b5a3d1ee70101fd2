#!/bin/bash
# Runs a sharded evaluation on Kubernetes: applies the shards' Indexed Job, waits until it is
# complete (or failed), then applies the merge Job and waits for it. Edit the manifests' image,
# model, N and volumes first (docs/SCALING.md).
#
#   scripts/k8s/submit.sh [--timeout 4h] [kubectl options, e.g. -n evals]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
timeout=4h
if [ "${1:-}" = --timeout ]; then
  timeout=$2
  shift 2
fi
kubectl "$@" apply -f "$here/shards-job.yaml"
kubectl "$@" wait --for=condition=complete --timeout="$timeout" job/aimicius-shards
kubectl "$@" apply -f "$here/merge-job.yaml"
kubectl "$@" wait --for=condition=complete --timeout=30m job/aimicius-merge
echo "merged: the shared volume's run/merged.db, report in run/report.md"

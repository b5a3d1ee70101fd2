#!/bin/bash
# The cluster files linted as far as this machine can: every script of scripts/scaleout,
# scripts/slurm and scripts/k8s parses (bash -n) and passes ShellCheck (when installed: the Debian
# package of that name), every #SBATCH line is one option, and every manifest is YAML with one
# Job (python3's yaml). `sbatch --test-only` and `kubectl apply --dry-run` need a cluster;
# shard_flow_test.sh runs the files' commands instead.
#
#   lint_scripts.sh SOURCE_DIR [PYTHON]
set -euo pipefail
src=$1
python=${2:-python3}
status=0
scripts=("$src"/scripts/scaleout/*.sh "$src"/scripts/slurm/*.sh "$src"/scripts/slurm/*.sbatch "$src"/scripts/k8s/*.sh)
for f in "${scripts[@]}"; do
  bash -n "$f" || { echo "FAIL: bash -n $f" >&2; status=1; }
done
if command -v shellcheck >/dev/null; then
  shellcheck -x "${scripts[@]}" || status=1
else
  echo "shellcheck not installed: only bash -n was run" >&2
fi
for f in "$src"/scripts/slurm/*.sbatch; do
  # Slurm reads #SBATCH lines until the first command; each must be "#SBATCH --option[=value]".
  if grep -n '^#SBATCH' "$f" | grep -vE '^[0-9]+:#SBATCH --[a-z-]+(=[^ ]+)?$'; then
    echo "FAIL: $f: malformed #SBATCH line(s) above" >&2
    status=1
  fi
done
if ! "$python" -c 'import yaml' 2>/dev/null; then
  echo "$python has no yaml module (Debian: python3-yaml): the manifests are only grepped" >&2
  for f in "$src"/scripts/k8s/*.yaml; do
    if ! grep -q '^kind: Job$' "$f" || ! grep -q 'restartPolicy: Never' "$f"; then
      echo "FAIL: $f: not a Job with restartPolicy Never" >&2
      status=1
    fi
  done
else
"$python" - "$src"/scripts/k8s/*.yaml <<'PY' || status=1
import sys, yaml
for path in sys.argv[1:]:
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    assert len(docs) == 1 and docs[0]["kind"] == "Job", f"{path}: one Job expected"
    spec = docs[0]["spec"]["template"]["spec"]
    assert spec["restartPolicy"] in ("Never", "OnFailure"), f"{path}: a Job's pods need restartPolicy Never or OnFailure"
    for c in spec["containers"]:
        assert c.get("command") and c.get("image"), f"{path}: container {c.get('name')} needs image and command"
PY
fi
[ $status = 0 ] && echo "PASS"
exit $status

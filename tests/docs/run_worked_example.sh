#!/bin/bash
# Runs the worked example of docs/SUITES.md as written: the `$ aimicius ...` lines between the
# <!-- worked-example --> markers, in a scratch copy of docs/examples (so sealing the data never
# touches the repository), with `aimicius` being the binary under test. Fails when a command fails
# or when the oracle does not score 100 on every metric of the example suite.
# Usage: run_worked_example.sh SOURCE_DIR AIMICIUS_BINARY
set -euo pipefail
src=$1
bin=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/docs"
cp -r "$src/docs/examples" "$scratch/docs/"
cd "$scratch"
commands=$(sed -n '/<!-- worked-example -->/,/<!-- \/worked-example -->/p' "$src/docs/SUITES.md" | sed -n 's/^\$ aimicius //p')
[ -n "$commands" ] || { echo "no worked-example commands found in docs/SUITES.md"; exit 1; }
log=$scratch/output.txt
while IFS= read -r args; do
  echo "+ aimicius $args"
  # Word splitting of the documented line is intended: it is a shell command line.
  # shellcheck disable=SC2086
  "$bin" $args < /dev/null | tee -a "$log"
done <<< "$commands"
for metric in execution_match exact_match command_score; do
  grep -Eq "gpu-checks +$metric +100\.0 +4 +0" "$log" || { echo "the oracle did not score 100 on $metric"; exit 1; }
done
echo "worked example OK"

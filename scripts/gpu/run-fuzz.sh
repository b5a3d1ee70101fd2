#!/usr/bin/env bash
# run-fuzz.sh SECONDS_PER_TARGET [TARGET...]: on a device machine (its many cores, not its GPU),
# carrying .deps and build-fuzz/carry (scripts/gpu/pack-fuzzers.sh, run here first): runs each
# stripped libFuzzer target in fork mode on FORKS processes (default: every core but one) for
# SECONDS_PER_TARGET, from the repository's seed corpus (fuzz/corpus/<target>/, read only) and a
# fresh working corpus. Writes under $OUT: fuzz-summary.txt (one line a target: executions, the
# parent's last exec/s, coverage, crashes/timeouts/ooms) and each target's log; the inputs of
# any finding go to $OUT/findings-<target>/ (reproduce them here with build-fuzz/fuzz/fuzz_<target>,
# then they become tests as scripts/fuzz.sh describes). Exit 1 when a target found something.
# docs/RELIABILITY.md adds these executions to each target's total.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
# Unpacked once per machine, as scripts/gpu/build.sh does (which then drops Debian's libcurl there:
# unpacking again beside or after a build would bring it back into the binaries' library path).
if [ ! -d /opt/deps/usr ]; then
  mkdir -p /opt/deps
  for f in .deps/*.deb; do dpkg -x "$f" /opt/deps; done
fi
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
# The SentencePiece target's plugin (pack-fuzzers.sh carries it): without it every input would
# stop at "cannot load the SentencePiece plugin", fuzzing nothing.
if [[ -f build-fuzz/carry/libaimicius_spm_plugin.so ]]; then
  export AIMICIUS_SPM_PLUGIN=$PWD/build-fuzz/carry/libaimicius_spm_plugin.so
fi
seconds=${1:?seconds per target}
shift
targets=${*:-$(find build-fuzz/carry -name "fuzz_*" -printf "%f\n" | sed "s/^fuzz_//" | sort)}
forks=${FORKS:-$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))}
work=$(mktemp -d /tmp/aimicius-fuzz-XXXXXX)
summary=$OUT/fuzz-summary.txt
echo "# scripts/gpu/run-fuzz.sh $seconds, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $forks forks" > "$summary"
printf '%-16s %12s %9s %6s %s\n' target executions exec/s cov 'oom/timeout/crash' | tee -a "$summary"
found=0
for t in $targets; do
  if [[ $t == sentencepiece && -z ${AIMICIUS_SPM_PLUGIN:-} ]]; then
    echo "sentencepiece: build-fuzz/carry/libaimicius_spm_plugin.so is missing (run pack-fuzzers.sh)" | tee -a "$summary"
    found=1
    continue
  fi
  mkdir -p "$work/corpus/$t" "$work/findings/$t"
  log=$OUT/fuzz-$t.log
  "build-fuzz/carry/fuzz_$t" -fork="$forks" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
    -artifact_prefix="$work/findings/$t/" "$work/corpus/$t" "fuzz/corpus/$t" > "$log" 2>&1
  status=$?
  # Fork mode's parent prints "#EXECUTIONS: cov: C ft: F corp: N exec/s R oom/timeout/crash: a/b/c ...".
  last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
  execs=$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<< "$last")
  rate=$(sed -n 's/.*exec\/s \([0-9]*\).*/\1/p' <<< "$last")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  bad=$(sed -n 's/.*oom\/timeout\/crash: \([0-9/]*\).*/\1/p' <<< "$last")
  if (( status != 0 )) || [[ -n $(ls -A "$work/findings/$t") ]]; then
    found=1
    mkdir -p "$OUT/findings-$t" && cp "$work/findings/$t"/* "$OUT/findings-$t/" 2> /dev/null
  fi
  printf '%-16s %12s %9s %6s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${bad:-?} (exit $status)" | tee -a "$summary"
done
rm -rf "$work"
exit $found

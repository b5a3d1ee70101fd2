#!/usr/bin/env bash
# pack-fuzzers.sh [TARGET...]: here (not on the device), builds the libFuzzer targets (scripts/fuzz.sh's
# `fuzz` preset, build-fuzz/) and puts stripped copies in build-fuzz/carry/, small enough to carry to
# a many-core device machine with .deps (the device tool carries 64 MiB in all): there
# scripts/gpu/run-fuzz.sh runs them on every core. Stripping only drops symbols: a sanitizer report
# there shows addresses, and the input it saves reproduces here with the unstripped binary.
# Default targets: those still short of docs/RELIABILITY.md's 10M executions.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
targets=${*:-jinja suite_json tokenizer_json sentencepiece}
[[ -f build-fuzz/build.ninja ]] || cmake --preset fuzz > /dev/null
# shellcheck disable=SC2046,SC2086  # one word per target
ninja -C build-fuzz -j "${JOBS:-2}" $(printf 'fuzz_%s ' $targets) > build-fuzz/fuzz-build.log ||
  { tail -30 build-fuzz/fuzz-build.log; exit 2; }
rm -rf build-fuzz/carry && mkdir -p build-fuzz/carry
for t in $targets; do strip -o "build-fuzz/carry/fuzz_$t" "build-fuzz/fuzz/fuzz_$t"; done
# The SentencePiece target loads the project's plugin by an absolute path of this machine
# (runtime/tokenizer/CMakeLists.txt); run-fuzz.sh points AIMICIUS_SPM_PLUGIN at this copy there.
if [[ " $targets " == *" sentencepiece "* ]]; then
  ninja -C build-fuzz aimicius_spm_plugin >> build-fuzz/fuzz-build.log
  strip -o build-fuzz/carry/libaimicius_spm_plugin.so build-fuzz/runtime/tokenizer/libaimicius_spm_plugin.so
fi
total=$(du -cm build-fuzz/carry .deps | tail -1 | cut -f1)
echo "build-fuzz/carry: $(find build-fuzz/carry -name 'fuzz_*' -printf '%f ' | sort)(${total} MiB with .deps)"
if (( total > 60 )); then
  echo "more than 60 MiB with .deps: carry fewer targets (the device tool's limit is 64 MiB)" >&2
  exit 2
fi

# Sourced by the scripts/gpu/run-*.sh drivers: builds aimicius on the CUDA machine
# (scripts/gpu/build.sh, log in $OUT/build.log), sets the library path for the carried Debian
# libraries, and records the GPU. Defines OUT, B (the build dir), A (the aimicius binary) and t0,
# and packs $OUT into one archive when the script exits.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
# The device tool brings back at most 8 files from $OUT: at exit, the loose files go into one
# archive (results-TIME.tgz; archives of earlier scripts in the same call are kept as they are), so
# a command that reads $OUT after a driver script must unpack it first.
pack_out() {
  local loose
  loose=$(find "$OUT" -type f ! -name '*.tgz' | wc -l)
  if (( loose > 0 )); then
    # Written beside $OUT, then moved in: tar reading a folder it writes into warns "file changed".
    local tmp
    tmp=$(mktemp /tmp/results-XXXXXX.tgz)
    tar czf "$tmp" -C "$OUT" --exclude='*.tgz' . && find "$OUT" -mindepth 1 ! -name '*.tgz' -delete &&
      mv "$tmp" "$OUT/results-$(date +%s%N).tgz"
  fi
}
trap pack_out EXIT
t0=$(date +%s)
bash scripts/gpu/build.sh > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export PATH=/opt/deps/usr/bin:$PATH  # bwrap from the carried Debian package (the suites' sandbox)
B=build-gpu
A=$B/harness/aimicius
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"

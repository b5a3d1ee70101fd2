# Sourced by the scripts/gpu/run-*.sh drivers: builds aimicius on the CUDA machine
# (scripts/gpu/build.sh, log in $OUT/build.log), sets the library path for the carried Debian
# libraries, and records the GPU. Defines OUT, B (the build dir), A (the aimicius binary) and t0,
# and packs $OUT into one archive when the script exits.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT=${OUT:-/tmp/aimicius-out}
mkdir -p "$OUT"
source "$(dirname "${BASH_SOURCE[0]}")/pack-out.sh"  # $OUT comes back as one archive
t0=$(date +%s)
bash scripts/gpu/build.sh > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export PATH=/opt/deps/usr/bin:$PATH  # bwrap from the carried Debian package (the suites' sandbox)
B=build-gpu
A=$B/harness/aimicius
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"

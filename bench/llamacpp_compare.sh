#!/usr/bin/env bash
# Side-by-side CPU speed of aimicius' runtime and llama.cpp on one GGUF file, same threads, same
# machine, same time window (issue 20). Not run by CI: it downloads llama-cpp-python's sdist from
# PyPI and builds its vendored llama.cpp outside the repository (nothing of llama.cpp is committed).
#
#   bench/llamacpp_compare.sh [GGUF] [THREADS]
#     GGUF     default models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
#     THREADS  default 2
#   environment: LLAMACPP_DIR (default /work/llamacpp: where the sdist is unpacked and built),
#                AIMICIUS (default build/harness/aimicius), REPEATS (default 3),
#                DEQUANTIZED (default 1: also the dequantised LibTorch path, the "before"),
#                CAPABILITIES (default empty: the best kernels this CPU runs; e.g. "amx avx512" runs
#                the quantised path once per AIMICIUS_CPU_CAPABILITY, one after the other),
#                SKIP_LLAMACPP (default 0; 1 compares aimicius' own builds only, no llama.cpp),
#                LLAMA_BENCH (a llama-bench binary to use instead of building one: e.g. one built
#                without AMX, whose native build's AMX kernels stop with SIGILL on some machines)
#
# Prints llama-bench's pp2048 / tg128 rows, then aimicius bench generate's decode (prompt 64, 128
# new tokens) and prefill of a 2,048-token prompt on the quantised CPU path, then (DEQUANTIZED=1) the
# same on the dequantised path (--dequantized, i.e. local:FILE.gguf?quantized=0). The machine's load
# average is printed before each, since a shared machine changes both programs' figures.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gguf=${1:-$root/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}
threads=${2:-2}
dir=${LLAMACPP_DIR:-/work/llamacpp}
aimicius=${AIMICIUS:-$root/build/harness/aimicius}
repeats=${REPEATS:-3}
dequantized=${DEQUANTIZED:-1}
read -r -a capabilities <<< "${CAPABILITIES:-}"
(( ${#capabilities[@]} )) || capabilities=("")

echo "== machine: $(nproc) CPUs usable, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(date -u '+%F %T') UTC"
if [[ ${SKIP_LLAMACPP:-0} != 1 ]]; then
bench=${LLAMA_BENCH:-$(find "$dir" -path '*/build/bin/llama-bench' -type f 2>/dev/null | head -n1 || true)}
if [[ -z $bench ]]; then
  mkdir -p "$dir"
  cd "$dir"
  ls llama_cpp_python-*.tar.gz >/dev/null 2>&1 || pip download llama-cpp-python --no-binary :all: --no-deps -d .
  src=$(ls -d llama_cpp_python-*/ 2>/dev/null | head -n1 || true)
  if [[ -z $src ]]; then tar xzf llama_cpp_python-*.tar.gz; src=$(ls -d llama_cpp_python-*/ | head -n1); fi
  cmake -S "$src/vendor/llama.cpp" -B "$src/vendor/llama.cpp/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_CURL=OFF -DGGML_OPENMP=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF
  cmake --build "$src/vendor/llama.cpp/build" -j"$threads" --target llama-bench
  bench=$(find "$dir" -path '*/build/bin/llama-bench' -type f | head -n1)
  cd "$root"
fi

echo "== llama.cpp ($bench), $threads threads, load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bench" -m "$gguf" -t "$threads" -p 2048 -n 128 -r "$repeats"
fi
modes=()
for cap in "${capabilities[@]}"; do modes+=("quantised:$cap"); done
[[ $dequantized == 1 ]] && modes+=("--dequantized:")
for entry in "${modes[@]}"; do
  mode=${entry%%:*} cap=${entry#*:}
  [[ $mode == quantised ]] && mode=""
  label="${mode:-quantised}${cap:+, AIMICIUS_CPU_CAPABILITY=$cap}"
  echo "== aimicius $label, decode: prompt 64, 128 new tokens, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  AIMICIUS_CPU_CAPABILITY=$cap "$aimicius" bench generate --checkpoint "$gguf" $mode --threads "$threads" \
    --prompt-len 64 --new-tokens 128 --repeats "$repeats"
  echo "== aimicius $label, prefill: prompt 2048, 1 new token, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  AIMICIUS_CPU_CAPABILITY=$cap "$aimicius" bench generate --checkpoint "$gguf" $mode --threads "$threads" \
    --prompt-len 2048 --new-tokens 1 --repeats "$repeats" --warmup 0
done

#!/usr/bin/env bash
# Side-by-side CPU speed of aimicius' runtime and llama.cpp on one GGUF file, same threads, same
# machine, same time window (issue 20). Not run by CI: it downloads llama-cpp-python's sdist from
# PyPI and builds its vendored llama.cpp outside the repository (nothing of llama.cpp is committed).
#
#   bench/llamacpp_compare.sh [GGUF] [THREADS]
#     GGUF     default models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
#     THREADS  default 2
#   environment: LLAMACPP_DIR (default /work/llamacpp: where the sdist is unpacked and built),
#                AIMICIUS (default build/harness/aimicius), REPEATS (default 5)
#
# Prints llama-bench's pp2048 / tg128 rows, then aimicius bench generate's decode (prompt 64, 128
# new tokens) and prefill of a 2,048-token prompt, quantised and dequantised (?quantized=0).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gguf=${1:-$root/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}
threads=${2:-2}
dir=${LLAMACPP_DIR:-/work/llamacpp}
aimicius=${AIMICIUS:-$root/build/harness/aimicius}
repeats=${REPEATS:-5}

bench=$(find "$dir" -path '*/build/bin/llama-bench' -type f 2>/dev/null | head -n1 || true)
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

echo "== machine: $(nproc) cores usable, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(date -u +%F)"
echo "== llama.cpp ($bench), $threads threads"
"$bench" -m "$gguf" -t "$threads" -p 2048 -n 128 -r "$repeats"
for q in 1 0; do
  echo "== aimicius local:$gguf?quantized=$q, decode: prompt 64, 128 new tokens"
  "$aimicius" bench generate --checkpoint "$gguf?quantized=$q" --prompt-len 64 --new-tokens 128 --repeats "$repeats"
  echo "== aimicius quantized=$q, prefill: prompt 2048, 1 new token"
  "$aimicius" bench generate --checkpoint "$gguf?quantized=$q" --prompt-len 2048 --new-tokens 1 --repeats "$repeats"
done

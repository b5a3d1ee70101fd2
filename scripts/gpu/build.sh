#!/usr/bin/env bash
# Builds aimicius on the CUDA machine (Ubuntu 24.04, LibTorch 2.11 + CUDA 13.0 from pip's torch,
# no package registry). Debian packages of the deps travel in .deps/ (see scripts/gpu/fetch-debs.sh)
# and are unpacked under /opt/deps. Source this file (it exports PATH/LD_LIBRARY_PATH) or run it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [ ! -d /opt/deps/usr ]; then
  if ! compgen -G ".deps/*.deb" > /dev/null; then
    echo "scripts/gpu/build.sh: no .deps/*.deb here: pass carry: [\".deps\"] to the device call" \
      "(scripts/gpu/fetch-debs.sh fills .deps/)" >&2
    exit 1
  fi
  mkdir -p /opt/deps
  for f in .deps/*.deb; do dpkg -x "$f" /opt/deps; done
fi
# The machine's own libcurl when it has one: Debian's libcurl4 needs libldap-2.5 and libssh2,
# which Ubuntu 24.04 does not have (its libcurl links its own).
CURL_ARGS=()
if [ -e /usr/lib/x86_64-linux-gnu/libcurl.so ]; then
  rm -rf /opt/deps/usr/lib/x86_64-linux-gnu/libcurl* /opt/deps/usr/include/x86_64-linux-gnu/curl
  CURL_ARGS=(-DCURL_LIBRARY_RELEASE=/usr/lib/x86_64-linux-gnu/libcurl.so)
  if [ -d /usr/include/x86_64-linux-gnu/curl ]; then CURL_ARGS+=(-DCURL_INCLUDE_DIR=/usr/include/x86_64-linux-gnu); fi
  if [ -d /usr/include/curl ]; then CURL_ARGS+=(-DCURL_INCLUDE_DIR=/usr/include); fi
fi
export LD_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export PATH=/usr/local/cuda/bin:/opt/deps/usr/bin:$PATH
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DAIMICIUS_CUDA_ARCHS=90 \
  -DCMAKE_PREFIX_PATH="$TP;/opt/deps/usr" -DCMAKE_LIBRARY_PATH=/opt/deps/usr/lib/x86_64-linux-gnu \
  -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON "${CURL_ARGS[@]}"
# BUILD_TARGETS (optional): only these targets, e.g. "aimicius-bench-attention" for a profiling call.
cmake --build build-gpu -j"$(nproc)" ${BUILD_TARGETS:+--target $BUILD_TARGETS}

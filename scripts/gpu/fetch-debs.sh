#!/usr/bin/env bash
# Run here (Debian 12), once: downloads the Debian packages the CUDA machine lacks into .deps/
# (ignored by git, carried by the device tool). The CUDA machine cannot reach any registry.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .deps && cd .deps
apt-get download libre2-9 libre2-dev libfmt9 libfmt-dev libcli11-dev nlohmann-json3-dev libgtest-dev googletest \
  libsentencepiece-dev libsentencepiece0 libsqlite3-dev libsqlite3-0 libcpp-httplib-dev libcpp-httplib0.11 \
  libcurl4-openssl-dev libcurl4 bubblewrap libssl-dev libssl3 libbenchmark-dev libbenchmark1debian

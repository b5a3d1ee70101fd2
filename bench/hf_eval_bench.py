#!/usr/bin/env python3
"""Peer for `aimicius bench eval`: Hugging Face transformers `generate` over the same prompts (the
token ids `bench eval --prompts-out` wrote), the same number of new tokens for every prompt
(min_new_tokens = max_new_tokens: greedy, end-of-sequence ignored, as aimicius' fixed_length),
in batches of BATCH prompts as a careful user batches them: sorted by length, longest first (as
lm-evaluation-harness orders generation requests), left-padded with an attention mask. Llama/GQA
checkpoints only (transformers has no DiffQKV). Times generation only (the model is loaded and
warmed up first); scoring is not part of it (aimicius' wall time includes its scoring).

usage: hf_eval_bench.py CHECKPOINT PROMPTS.jsonl BATCH NEW_TOKENS [DTYPE]
prints: hf eval: N examples, P prompt tokens, G generated; wall W s: X examples/s, Y generated tokens/s
(and on stderr "hf progress: D of N examples at T s" after each batch)
"""
import json
import sys
import time

import torch
from transformers import LlamaForCausalLM


def main():
    ckpt, prompts_path, batch, new_tokens = sys.argv[1:5]
    batch, new_tokens = int(batch), int(new_tokens)
    dtype = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[sys.argv[5] if len(sys.argv) > 5 else "bf16"]
    with open(prompts_path) as f:
        prompts = [json.loads(line)["ids"] for line in f if line.strip()]
    model = LlamaForCausalLM.from_pretrained(ckpt, torch_dtype=dtype).to("cuda").eval()
    prompts.sort(key=len, reverse=True)

    def run(group):
        width = max(len(p) for p in group)
        ids = torch.zeros((len(group), width), dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, p in enumerate(group):  # left padding: pad id 0, masked out
            ids[row, width - len(p):] = torch.tensor(p)
            mask[row, width - len(p):] = 1
        out = model.generate(input_ids=ids.cuda(), attention_mask=mask.cuda(), max_new_tokens=new_tokens,
                             min_new_tokens=new_tokens, do_sample=False, pad_token_id=0)
        return out.shape[1] - width

    with torch.no_grad():
        run(prompts[:batch])  # warm-up: kernels chosen, memory pools grown
        torch.cuda.synchronize()
        start = time.perf_counter()
        generated = 0
        for i in range(0, len(prompts), batch):
            group = prompts[i:i + batch]
            generated += run(group) * len(group)
            # Progress, so that a run stopped by a time limit still says how far it got.
            print(f"hf progress: {i + len(group)} of {len(prompts)} examples at "
                  f"{time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        torch.cuda.synchronize()
        wall = time.perf_counter() - start
    tokens_in = sum(len(p) for p in prompts)
    print(f"hf eval: {len(prompts)} examples, {tokens_in} prompt tokens, {generated} generated; wall {wall:.2f} s: "
          f"{len(prompts) / wall:.1f} examples/s, {generated / wall:.0f} generated tokens/s")


if __name__ == "__main__":
    main()

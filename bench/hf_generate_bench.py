#!/usr/bin/env python3
"""Peer for `aimicius bench generate`: Hugging Face transformers `generate` on the same checkpoint
(Llama/GQA shapes only: transformers has no DiffQKV), same prompt length, new tokens, batch and
timing rule (median of repeats after a warm-up; decode = total - prefill of one token).

usage: hf_generate_bench.py CHECKPOINT DEVICE DTYPE BATCH PROMPT_LEN NEW_TOKENS REPEATS
"""
import statistics
import sys
import time

import torch
from transformers import LlamaForCausalLM


def main():
    ckpt, device, dtype, batch, prompt_len, new_tokens, repeats = sys.argv[1:8]
    batch, prompt_len, new_tokens, repeats = int(batch), int(prompt_len), int(new_tokens), int(repeats)
    tdtype = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[dtype]
    model = LlamaForCausalLM.from_pretrained(ckpt, torch_dtype=tdtype).to(device).eval()
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, model.config.vocab_size, (batch, prompt_len), generator=g).to(device)
    mask = torch.ones_like(ids)

    def timed(n):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        with torch.no_grad():
            model.generate(ids, attention_mask=mask, max_new_tokens=n, min_new_tokens=n, do_sample=False,
                           pad_token_id=0)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - start

    timed(new_tokens)
    prefill = statistics.median(timed(1) for _ in range(repeats))
    total = statistics.median(timed(new_tokens) for _ in range(repeats))
    decode = batch * (new_tokens - 1) / max(total - prefill, 1e-9)
    print(f"hf transformers {__import__('transformers').__version__} torch {torch.__version__} {device} {dtype}: "
          f"batch {batch} prompt {prompt_len} new {new_tokens} repeats {repeats}: prefill {prefill:.4f} s, "
          f"total {total:.4f} s, decode {decode:.1f} tokens/s, end-to-end {batch * new_tokens / total:.1f} tokens/s (medians)")


if __name__ == "__main__":
    main()

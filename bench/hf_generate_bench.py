#!/usr/bin/env python3
"""Peer for `aimicius bench generate`: Hugging Face transformers `generate` on the same checkpoint
(Llama/GQA shapes only: transformers has no DiffQKV), same prompt length, new tokens, batch and
timing rule (median of repeats after a warm-up; decode = total - prefill of one token).

usage: hf_generate_bench.py CHECKPOINT DEVICE DTYPE BATCH PROMPT_LEN NEW_TOKENS REPEATS [PROMPT_LEN_MIN]

With PROMPT_LEN_MIN, prompt lengths are drawn in [PROMPT_LEN_MIN, PROMPT_LEN] as `aimicius bench
generate --prompt-len-min` draws them (splitmix64 from seed 1: the same lengths), left-padded with
an attention mask, as transformers generates a batch of prompts of different lengths.
"""
import statistics
import sys
import time

import torch
from transformers import LlamaForCausalLM


def prompt_lengths(batch, prompt_len, prompt_len_min):
    """bench/generate_bench.cpp's prompt_lengths: uniform in [min, len] by splitmix64 from seed 1."""
    if prompt_len_min <= 0 or prompt_len_min == prompt_len:
        return [prompt_len] * batch
    mask64, state, out = (1 << 64) - 1, 1, []
    for _ in range(batch):
        state = (state + 0x9E3779B97F4A7C15) & mask64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask64
        out.append(prompt_len_min + (z ^ (z >> 31)) % (prompt_len - prompt_len_min + 1))
    return out


def main():
    ckpt, device, dtype, batch, prompt_len, new_tokens, repeats = sys.argv[1:8]
    batch, prompt_len, new_tokens, repeats = int(batch), int(prompt_len), int(new_tokens), int(repeats)
    prompt_len_min = int(sys.argv[8]) if len(sys.argv) > 8 else 0
    tdtype = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[dtype]
    model = LlamaForCausalLM.from_pretrained(ckpt, torch_dtype=tdtype).to(device).eval()
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, model.config.vocab_size, (batch, prompt_len), generator=g)
    mask = torch.ones_like(ids)
    lengths = prompt_lengths(batch, prompt_len, prompt_len_min)
    for row, n in enumerate(lengths):  # left padding: the pad id, masked out
        ids[row, : prompt_len - n] = 0
        mask[row, : prompt_len - n] = 0
    ids, mask = ids.to(device), mask.to(device)
    prompt = str(prompt_len) if sum(lengths) == batch * prompt_len else \
        f"{prompt_len_min}..{prompt_len} ({sum(lengths)} tokens)"

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
          f"batch {batch} prompt {prompt} new {new_tokens} repeats {repeats}: prefill {prefill:.4f} s "
          f"({sum(lengths) / prefill:.0f} prompt tokens/s), "
          f"total {total:.4f} s, decode {decode:.1f} tokens/s, end-to-end {batch * new_tokens / total:.1f} tokens/s (medians)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generates the byte-level BPE fixtures and their known-answer ids for the tokenizer tests.

What it writes (next to this script):
  llama3_bpe/tokenizer.json        BPE trained here; Llama-3 Split regex + ByteLevel(use_regex=False),
                                   ignore_merges on, TemplateProcessing that prepends <|begin_of_text|>,
                                   merges in the [a, b] pair form.
  llama3_bpe/tokenizer_config.json bos/eos names and a chat_template excerpt (as Llama 3 ships them).
  llama3_bpe/config.json           eos_token_id as a list (as Llama 3 Instruct ships it).
  gpt2_bpe/tokenizer.json          BPE trained here; GPT-2 ByteLevel(use_regex=True) pre-tokenizer,
                                   merges in the "a b" string form, ignore_merges off.
  expected_ids.json                the corpus of test strings and, per tokenizer variant, the ids the
                                   Hugging Face `tokenizers` library gives for each string.

Variants checked on the llama3 model (the C++ test derives them by swapping the Split pattern):
  llama3      the Llama-3 / cl100k pattern
  qwen2       the Qwen2 pattern (single digits)
  re2_custom  a pattern without look-around, run by RE2 in our code
and on the gpt2 model: gpt2_add_prefix_space (ByteLevel add_prefix_space on).

Redo with:  python3 -m venv /tmp/tokvenv && /tmp/tokvenv/bin/pip install tokenizers
            /tmp/tokvenv/bin/python make_fixtures.py
Everything is deterministic for a given `tokenizers` version (the version is recorded in the output).
"""
import json
import os

import tokenizers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers, Regex

HERE = os.path.dirname(os.path.abspath(__file__))

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
RE2_CUSTOM_PATTERN = r" ?\p{L}+|\p{N}{1,2}| ?[^\s\p{L}\p{N}]+|\s+"

SPECIAL_TOKENS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                  "<|end_header_id|>", "<|eot_id|>"]
# Not special: kept by decode(skip_special=True).
NORMAL_ADDED_TOKENS = ["<tool_call>"]
# Put in the vocabulary without a merge path: with ignore_merges the whole pre-token is one id.
EXTRA_VOCAB_WORD = "\u0120supercalifragilistic"

TRAINING_TEXT = """
The quick brown fox jumps over the lazy dog. The dog doesn't care; it's sleeping.
We'll run the benchmark again tomorrow, and they've said they'd send the results by 5 pm.
NCCL all-reduce bandwidth on 8 GPUs: 185.3 GB/s with nvidia-smi reporting 700 W per card.
Run `nvidia-smi topo -m` to see the NVLink topology; rocm-smi --showtopo does the same on AMD.
for (int i = 0; i < 1024; ++i) { sum += values[i] * weights[i]; }
def all_gather(tensor, group=None):
    return torch.distributed.all_gather_into_tensor(out, tensor, group=group)
SELECT cluster, COUNT(*) FROM telemetry WHERE gpu_util > 90 GROUP BY cluster ORDER BY 2 DESC;
Numbers: 1 22 333 4444 55555 123456789 3.14159 2025-01-23 10:45:00 +0100 0x7fff.
Café, naïve, résumé, façade, jalapeño, São Paulo, Zürich, Ångström, Œuvre, ÉCOLE.
Emoji: 😀 🚀 👍🏽 ❤️ 🇫🇷 — and an ellipsis… «quotes» “curly” ‘single’.
中文分词测试：深度学习模型在GPU上运行。日本語のテキストもあります。한국어 문장도 있어요.
Ελληνικά κείμενα, русский текст, العربية, עברית, हिन्दी.
    Indented line with four spaces
\tTabbed line\r\nWindows line ending\n\n\nThree newlines above.
I'M SURE YOU'LL SEE IT'S FINE, WE'D KNOW. I've, you're, he's, she'd, we'll, they'll.
""" * 3

CORPUS = [
    "",
    "Hello world",
    "Hello, world!",
    "hello   world",
    " leading space",
    "trailing space ",
    "trailing spaces   ",
    "  two leading",
    "don't won't can't I'm you're we've they'll she'd it's",
    "DON'T WON'T I'M YOU'RE WE'VE THEY'LL SHE'D IT'S",
    "Don'T mixed 'S 'Re",
    "'s at start and 'll",
    "quote 'tis 'twas",
    "1", "12", "123", "1234", "12345", "a1b22c333d4444e55555",
    "3.14159 and 2025-01-23",
    "1,000,000 dollars",
    "line one\nline two",
    "line one\n\nline three",
    "ends with newline\n",
    "\n\n\nstarts with newlines",
    "spaces then newline   \n  next",
    "crlf\r\nline\r\n",
    "tabs\tand\t\tmore\ttabs",
    "\t\tindent tab",
    "    four space indent",
    "mixed \t \n \t whitespace",
    "emoji 😀🚀 and 👍🏽 and ❤️ flags 🇫🇷🇯🇵",
    "中文分词测试：深度学习模型",
    "日本語のテキスト",
    "한국어 문장",
    "Café naïve résumé façade jalapeño Zürich Ångström",
    "ÉCOLE ŒUVRE",
    "Ελληνικά русский العربية עברית हिन्दी",
    "non\u00a0breaking\u3000ideographic space",
    "en\u2003em\u2009thin spaces",
    "symbols !@#$%^&*()_+-=[]{}|;:,.<>?/~`",
    "a  !!  b",
    "x=1;y=2",
    "path/to/file.txt",
    "nvidia-smi --query-gpu=name,memory.total --format=csv",
    "for (int i = 0; i < 1024; ++i) { sum += v[i]; }",
    "def f(x):\n    return x * 2\n",
    "SELECT * FROM t WHERE a > 90;",
    "supercalifragilistic and supercalifragilistic!",
    "<|begin_of_text|>Hello<|eot_id|>",
    "before<|start_header_id|>user<|end_header_id|>\n\nafter",
    "text <|eot_id|> more text",
    "call <tool_call>{\"name\": \"f\"}<tool_call> done",
    "<|end_of_text|>",
    "<|not_a_token|> stays text",
    "<|eot_id|><|eot_id|>",
    "ǅ ǈ title case and ﬁ ligature",
    "roman Ⅻ and superscript ² and fraction ½ and digits ٣٤٥",
    "combining e\u0301 and a\u0308",
    "zero\u200bwidth",
    "'\n'",
    "word's",
    "   ",
    "\n",
    " \n ",
    "a\n\n  b",
    "!!!\n\nx",
    "x !!!\n  y",
    "it'\u017f x and IT'S",
    "x \x1f\x1e y",
    "a\u0085b\u2028c",
    "\r\n\r\n  \t",
    "end with tab\t",
    "' quote' '",
    "9\u00b2\u00bd x",
]


def train(pre_tokenizer, specials):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=900, min_frequency=2, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(TRAINING_TEXT.splitlines(keepends=True), trainer=trainer)
    return tok


def with_pattern(tok_json, pattern):
    data = json.loads(tok_json)
    data["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {"Regex": pattern}
    return Tokenizer.from_str(json.dumps(data))


def with_prefix_space(tok_json):
    data = json.loads(tok_json)
    data["pre_tokenizer"]["add_prefix_space"] = True
    return Tokenizer.from_str(json.dumps(data))


def pre_tokenize_all(tok):
    return [[piece for piece, _ in tok.pre_tokenizer.pre_tokenize_str(s)] for s in CORPUS]


def encode_all(tok, add_special):
    return [tok.encode(s, add_special_tokens=add_special).ids for s in CORPUS]


def main():
    # --- Llama-3 style ---
    llama = train(pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ]), SPECIAL_TOKENS)
    llama.add_tokens([tokenizers.AddedToken(t, special=False, normalized=False) for t in NORMAL_ADDED_TOKENS])
    bos = llama.token_to_id("<|begin_of_text|>")
    llama.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                      pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)]),
    ])
    data = json.loads(llama.to_str())
    data["model"]["ignore_merges"] = True
    data["model"]["vocab"][EXTRA_VOCAB_WORD] = max(data["model"]["vocab"].values()) + 1
    # Added tokens sit after the model's vocabulary, as in Llama 3.
    next_id = max(data["model"]["vocab"].values()) + 1
    for entry in data["added_tokens"]:
        if entry["content"] in NORMAL_ADDED_TOKENS:
            entry["id"] = next_id
            next_id += 1
    llama_json = json.dumps(data, ensure_ascii=False, indent=1)
    llama = Tokenizer.from_str(llama_json)

    os.makedirs(os.path.join(HERE, "llama3_bpe"), exist_ok=True)
    with open(os.path.join(HERE, "llama3_bpe", "tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(llama_json)
    with open(os.path.join(HERE, "llama3_bpe", "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({
            "bos_token": "<|begin_of_text|>",
            "eos_token": {"content": "<|eot_id|>", "special": True},
            "chat_template": "{% for message in messages %}<|start_header_id|>{{ message['role'] }}"
                             "<|end_header_id|>\n\n{{ message['content'] | trim }}<|eot_id|>{% endfor %}",
        }, f, indent=1)
    with open(os.path.join(HERE, "llama3_bpe", "config.json"), "w", encoding="utf-8") as f:
        json.dump({"bos_token_id": bos,
                   "eos_token_id": [llama.token_to_id("<|end_of_text|>"), llama.token_to_id("<|eot_id|>")]},
                  f, indent=1)

    # --- GPT-2 style ---
    gpt2 = train(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), ["<|endoftext|>"])
    gpt2.post_processor = processors.ByteLevel(trim_offsets=True)
    data = json.loads(gpt2.to_str())
    data["model"]["merges"] = [" ".join(pair) for pair in data["model"]["merges"]]
    data["model"]["vocab"][EXTRA_VOCAB_WORD] = max(data["model"]["vocab"].values()) + 1
    gpt2_json = json.dumps(data, ensure_ascii=False, indent=1)
    gpt2 = Tokenizer.from_str(gpt2_json)
    os.makedirs(os.path.join(HERE, "gpt2_bpe"), exist_ok=True)
    with open(os.path.join(HERE, "gpt2_bpe", "tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(gpt2_json)

    expected = {
        "tokenizers_version": tokenizers.__version__,
        "patterns": {"llama3": LLAMA3_PATTERN, "qwen2": QWEN2_PATTERN, "re2_custom": RE2_CUSTOM_PATTERN},
        "strings": CORPUS,
        "ids": {
            "llama3": encode_all(llama, False),
            "llama3_with_bos": encode_all(llama, True),
            "qwen2": encode_all(with_pattern(llama_json, QWEN2_PATTERN), False),
            "re2_custom": encode_all(with_pattern(llama_json, RE2_CUSTOM_PATTERN), False),
            "gpt2": encode_all(gpt2, False),
            "gpt2_add_prefix_space": encode_all(with_prefix_space(gpt2_json), False),
        },
        # Pre-tokens (in the byte-level alphabet) of the text between added tokens; strings that
        # hold added tokens are pre-tokenized whole here, as the tests do.
        "pre_tokens": {
            "llama3": pre_tokenize_all(llama),
            "qwen2": pre_tokenize_all(with_pattern(llama_json, QWEN2_PATTERN)),
            "re2_custom": pre_tokenize_all(with_pattern(llama_json, RE2_CUSTOM_PATTERN)),
            "gpt2": pre_tokenize_all(gpt2),
        },
        "decoded_skip_special": {
            "llama3": [llama.decode(ids, skip_special_tokens=True) for ids in encode_all(llama, True)],
        },
    }
    with open(os.path.join(HERE, "expected_ids.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()

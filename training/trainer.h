// `aimicius train`: causal-LM training of a DiffQKV (or GQA) checkpoint on a corpus file, with
// AdamW, linear warm-up then cosine decay, gradient clipping, float32 master weights and bf16
// matmuls on CUDA. Writes a checkpoint the runtime loads (config.json, model.safetensors, the
// byte-level or a given SentencePiece tokenizer) and train_log.json (options, losses, throughput). No LibTorch in this
// header: the harness calls it.
//
// Invariants: deterministic for a given corpus, options and device (seeded init and batch
// positions); the eval loss is measured on fixed windows of held-out documents, drawn with a seed
// of their own, so losses of different runs (variants, seeds) are comparable; nothing is written to `out` until the
// corpus has loaded and the config has validated.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/model_config.h"

namespace aimicius::runtime {

struct TrainOptions {
  ModelConfig config;                 // vocab_size >= 258 (the byte-level tokenizer), or the tokenizer's
  std::filesystem::path corpus;       // corpus.jsonl or its folder
  // "": the byte-level tokenizer; else a SentencePiece tokenizer.model (or the folder holding it,
  // as `aimicius train-tokenizer` writes it), copied into the checkpoint; its bos/eos become the
  // config's, and config.vocab_size must equal its piece count.
  std::filesystem::path tokenizer;
  std::filesystem::path out;          // the checkpoint folder
  std::string device = "cpu";         // "cpu" or "cuda[:N]"
  std::string compute_dtype;          // "" (f32 on CPU, bf16 on CUDA), "f32", "bf16", "f16"
  std::string save_dtype = "bf16";    // dtype of the written weights
  int64_t steps = 1000;
  int64_t batch = 16;
  int64_t seq_len = 256;
  double lr = 3e-3;                   // peak
  double min_lr_ratio = 0.1;          // the cosine ends at lr * this
  int64_t warmup = 50;
  double weight_decay = 0.1;          // on matrices only (not norm gains)
  double clip = 1.0;                  // global gradient norm
  uint64_t seed = 0;
  int64_t eval_every = 100;           // 0: only at the end
  int64_t eval_windows = 64;          // held-out windows of seq_len + 1 tokens
  int64_t log_every = 20;
};

struct TrainReport {
  int64_t parameters = 0;
  int64_t corpus_documents = 0;
  int64_t train_tokens = 0;           // the training stream's length
  int64_t tokens_seen = 0;            // steps x batch x seq_len
  std::vector<std::pair<int64_t, double>> train_loss;  // (step, mean loss since the last log)
  std::vector<std::pair<int64_t, double>> eval_loss;   // (step, held-out loss)
  double seconds = 0.0;
  double tokens_per_second = 0.0;
};

// Trains and writes the checkpoint; `log` receives progress lines. Throws InputError for bad
// options or corpus (naming them).
TrainReport train_model(const TrainOptions& options, const std::function<void(const std::string&)>& log);

// Mean next-token loss (nats per token) of the checkpoint on the corpus' held-out documents (every
// 50th), over `windows` windows of seq_len + 1 tokens drawn as the trainer draws its held-out set
// (a fixed seed): comparable across checkpoints, seeds and variants. CPU, float32.
double heldout_loss(const std::filesystem::path& checkpoint, const std::filesystem::path& corpus, int64_t seq_len,
                    int64_t windows, int64_t batch = 8);

// Learning rate at `step` (0-based) of `total`: linear warm-up to `peak`, cosine to peak * min_ratio.
double scheduled_lr(int64_t step, int64_t total, int64_t warmup, double peak, double min_ratio);

}  // namespace aimicius::runtime

// Writes checkpoints of any shape with seeded random weights (`aimicius make-checkpoint`), so
// tests and benchmarks need no download: config.json, model.safetensors (or shards with
// model.safetensors.index.json), and a byte-level tokenizer.json (256 byte tokens plus
// <|begin_of_text|> and <|end_of_text|>, no merges) when the vocabulary has room for it.
#pragma once

#include <cstdint>
#include <filesystem>

#include "runtime/dtype.h"
#include "runtime/model_config.h"

namespace aimicius::runtime {

struct CheckpointOptions {
  DType dtype = DType::kF32;  // F32, F16 or BF16
  uint64_t seed = 0;
  double init_std = 0.02;     // weights ~ N(0, init_std); norm gains ~ 1 + N(0, init_std)
  int shards = 1;             // > 1: sharded with an index
  bool write_tokenizer = true;
};

void write_random_checkpoint(const ModelConfig& config, const std::filesystem::path& out_dir,
                             const CheckpointOptions& options);

// The byte-level tokenizer.json written with checkpoints: byte b has id b, then the specials.
void write_byte_level_tokenizer(const std::filesystem::path& file, int64_t vocab_size);

}  // namespace aimicius::runtime

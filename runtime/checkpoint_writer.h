// Writes checkpoints: of any shape with seeded random weights (`aimicius make-checkpoint`), so
// tests and benchmarks need no download, or of trained weights (`aimicius train`): config.json, model.safetensors (or shards with
// model.safetensors.index.json), and a byte-level tokenizer.json (256 byte tokens plus
// <|begin_of_text|> and <|end_of_text|>, no merges) when the vocabulary has room for it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/dtype.h"
#include "runtime/model_config.h"
#include "runtime/safetensors.h"

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

// Writes a checkpoint of given weights (the trainer's): config.json, model.safetensors with
// `tensors` (every tensor weight_specs(config) names, in any dtype the writer takes) and, with
// byte_level_tokenizer, the byte-level tokenizer. `producer` goes into the safetensors metadata.
void write_checkpoint(const ModelConfig& config, const std::filesystem::path& out_dir,
                      const std::vector<TensorToWrite>& tensors, const std::string& producer, bool byte_level_tokenizer);

// The byte-level tokenizer.json written with checkpoints: byte b has id b, then the specials.
void write_byte_level_tokenizer(const std::filesystem::path& file, int64_t vocab_size);

}  // namespace aimicius::runtime

#include "runtime/checkpoint_writer.h"

#include <cmath>
#include <fstream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/sha256.h"
#include "runtime/safetensors.h"
#include "runtime/tokenizer/byte_level.h"
#include "runtime/weight_specs.h"

namespace aimicius::runtime {
namespace fs = std::filesystem;

namespace {

// splitmix64: a fast, well-mixed generator; each tensor gets its own stream seeded from the
// checkpoint seed and the tensor name, so values do not depend on the order tensors are written.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1).
  double uniform() { return static_cast<double>(next() >> 11) * (2.0 / 9007199254740992.0) - 1.0; }
};

uint64_t stream_seed(uint64_t seed, const std::string& name) {
  const std::string h = sha256_hex(fmt::format("{}:{}", seed, name));
  return std::stoull(h.substr(0, 16), nullptr, 16);
}

// Uniform values with standard deviation `std` (half-width std*sqrt(3)): cheaper than normal
// draws for billion-parameter presets and just as good for exercising the arithmetic.
std::string random_tensor_bytes(const WeightSpec& spec, DType dtype, uint64_t seed, double std) {
  int64_t n = 1;
  for (int64_t d : spec.shape) n *= d;
  SplitMix64 rng{stream_seed(seed, spec.name)};
  const double half_width = std * std::sqrt(3.0);
  std::string bytes(static_cast<size_t>(n) * dtype_size(dtype), '\0');
  for (int64_t i = 0; i < n; ++i) {
    const float v = static_cast<float>((spec.is_norm ? 1.0 : 0.0) + half_width * rng.uniform());
    switch (dtype) {
      case DType::kF32: std::memcpy(&bytes[4 * i], &v, 4); break;
      case DType::kBF16: {
        const uint16_t h = float_to_bf16(v);
        std::memcpy(&bytes[2 * i], &h, 2);
        break;
      }
      case DType::kF16: {
        const uint16_t h = float_to_f16(v);
        std::memcpy(&bytes[2 * i], &h, 2);
        break;
      }
      default: throw InputError(fmt::format("checkpoint dtype {} is not F32, F16 or BF16", dtype_name(dtype)));
    }
  }
  return bytes;
}

void write_json(const fs::path& file, const nlohmann::ordered_json& j) {
  std::ofstream out(file, std::ios::trunc);
  if (!out) throw InputError(fmt::format("cannot write {}", file.string()));
  out << j.dump(2) << "\n";
}

}  // namespace

void write_byte_level_tokenizer(const fs::path& file, int64_t vocab_size) {
  if (vocab_size < 258)
    throw InputError(fmt::format("a byte-level tokenizer needs a vocabulary of at least 258 (have {})", vocab_size));
  const ByteLevelAlphabet alphabet;
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (int b = 0; b < 256; ++b) vocab[alphabet.char_for_byte(static_cast<unsigned char>(b))] = b;
  nlohmann::ordered_json j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = {
      {{"id", 256}, {"content", "<|begin_of_text|>"}, {"single_word", false}, {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"special", true}},
      {{"id", 257}, {"content", "<|end_of_text|>"}, {"single_word", false}, {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"special", true}}};
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  j["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", {{{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
      {"pair", {{{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
      {"special_tokens", {{"<|begin_of_text|>", {{"id", "<|begin_of_text|>"}, {"ids", {256}}, {"tokens", {"<|begin_of_text|>"}}}}}}};
  j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  j["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false},
                {"ignore_merges", true}, {"vocab", vocab}, {"merges", nlohmann::ordered_json::array()}};
  write_json(file, j);
  write_json(file.parent_path() / "tokenizer_config.json",
             {{"bos_token", "<|begin_of_text|>"}, {"eos_token", "<|end_of_text|>"}, {"add_bos_token", true}});
}

namespace {

// Creates `out_dir` and writes config.json and, when asked and the vocabulary has room, the
// byte-level tokenizer (whose specials become the config's bos/eos unless it names its own).
// Returns the config as written.
ModelConfig write_config_and_tokenizer(const ModelConfig& config_in, const fs::path& out_dir, bool byte_level_tokenizer,
                                       const std::string& who) {
  ModelConfig config = config_in;
  const bool tokenizer = byte_level_tokenizer && config.vocab_size >= 258;
  if (tokenizer && config.bos_token_ids.empty()) config.bos_token_ids = {256};
  if (tokenizer && config.eos_token_ids.empty()) config.eos_token_ids = {257};
  config.validate(who);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw InputError(fmt::format("cannot create {}: {}", out_dir.string(), ec.message()));
  write_json(out_dir / "config.json", config.to_json());
  if (tokenizer) write_byte_level_tokenizer(out_dir / "tokenizer.json", config.vocab_size);
  return config;
}

}  // namespace

void write_checkpoint(const ModelConfig& config_in, const fs::path& out_dir, const std::vector<TensorToWrite>& tensors,
                      const std::string& producer, bool byte_level_tokenizer) {
  const ModelConfig config = write_config_and_tokenizer(config_in, out_dir, byte_level_tokenizer, producer);
  std::map<std::string, const TensorToWrite*> by_name;
  for (const auto& t : tensors) by_name[t.name] = &t;
  for (const auto& spec : weight_specs(config)) {
    const auto it = by_name.find(spec.name);
    if (it == by_name.end() || it->second->shape != spec.shape)
      throw std::logic_error(fmt::format("{}: tensor {} is missing or has the wrong shape", producer, spec.name));
  }
  write_safetensors(out_dir / "model.safetensors", tensors, {{"format", "pt"}, {"producer", producer}});
}

void write_random_checkpoint(const ModelConfig& config_in, const fs::path& out_dir, const CheckpointOptions& options) {
  if (options.shards < 1) throw InputError("make-checkpoint: shards must be at least 1");
  const ModelConfig config = write_config_and_tokenizer(config_in, out_dir, options.write_tokenizer, "make-checkpoint");
  const auto specs = weight_specs(config);
  const size_t per_shard = (specs.size() + options.shards - 1) / options.shards;
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  for (int s = 0; s < options.shards; ++s) {
    std::vector<std::string> storage;
    std::vector<TensorToWrite> tensors;
    const size_t begin = s * per_shard, end = std::min(specs.size(), begin + per_shard);
    storage.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      storage.push_back(random_tensor_bytes(specs[i], options.dtype, options.seed, options.init_std));
      tensors.push_back({specs[i].name, options.dtype, specs[i].shape, storage.back()});
    }
    const std::string file = options.shards == 1
                                 ? "model.safetensors"
                                 : fmt::format("model-{:05}-of-{:05}.safetensors", s + 1, options.shards);
    for (const auto& t : tensors) weight_map[t.name] = file;
    write_safetensors(out_dir / file, tensors, {{"format", "pt"}, {"producer", "aimicius make-checkpoint"}});
  }
  if (options.shards > 1) write_json(out_dir / "model.safetensors.index.json", {{"metadata", nlohmann::ordered_json::object()}, {"weight_map", weight_map}});
}

}  // namespace aimicius::runtime

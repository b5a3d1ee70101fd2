// SentenceEncoder: loading a BERT checkpoint into LibTorch tensors and the encoder forward pass.
// The only translation unit of the encoder that includes LibTorch (its headers are slow).
//
// Invariants: the weights are float32 CPU tensors owned by Impl (copied out of the mapped
// safetensors file, so the file may go away after load()), never written after load(); embed()
// only reads them and runs under a NoGradGuard (thread-local), so concurrent embed() calls are
// safe. The intra-op thread count is LibTorch's default: this file never changes it.
#include "runtime/encoder/sentence_encoder.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/json_file.h"
#include "runtime/encoder/wordpiece.h"
#include "runtime/safetensors.h"

namespace aimicius::runtime {
namespace {

// The hyper-parameters of config.json that the forward pass needs.
struct BertConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t intermediate_size = 0;
  int64_t max_position_embeddings = 0;
  int64_t type_vocab_size = 0;
  double layer_norm_eps = 1e-12;
};

// A JSON file that must hold an object.
nlohmann::json read_json_object(const std::filesystem::path& file) {
  nlohmann::json json = read_json_file(file);
  if (!json.is_object()) throw InputError(fmt::format("{}: not a JSON object", file.string()));
  return json;
}

int64_t positive_int(const nlohmann::json& config, const char* key, const std::filesystem::path& file) {
  if (!config.contains(key) || !config[key].is_number_integer() || config[key].get<int64_t>() <= 0) {
    throw InputError(fmt::format("{}: {} must be a positive integer", file.string(), key));
  }
  return config[key].get<int64_t>();
}

BertConfig read_bert_config(const std::filesystem::path& file) {
  const nlohmann::json json = read_json_object(file);
  BertConfig config;
  config.vocab_size = positive_int(json, "vocab_size", file);
  config.hidden_size = positive_int(json, "hidden_size", file);
  config.num_layers = positive_int(json, "num_hidden_layers", file);
  config.num_heads = positive_int(json, "num_attention_heads", file);
  config.intermediate_size = positive_int(json, "intermediate_size", file);
  config.max_position_embeddings = positive_int(json, "max_position_embeddings", file);
  config.type_vocab_size = positive_int(json, "type_vocab_size", file);
  if (json.contains("layer_norm_eps")) {
    if (!json["layer_norm_eps"].is_number()) throw InputError(fmt::format("{}: layer_norm_eps is not a number", file.string()));
    config.layer_norm_eps = json["layer_norm_eps"].get<double>();
  }
  if (config.hidden_size % config.num_heads != 0) {
    throw InputError(fmt::format("{}: hidden_size {} is not a multiple of num_attention_heads {}", file.string(),
                                 config.hidden_size, config.num_heads));
  }
  const std::string act = json.value("hidden_act", std::string("gelu"));
  if (act != "gelu") throw InputError(fmt::format("{}: hidden_act \"{}\" unsupported (only \"gelu\")", file.string(), act));
  const std::string position = json.value("position_embedding_type", std::string("absolute"));
  if (position != "absolute") {
    throw InputError(fmt::format("{}: position_embedding_type \"{}\" unsupported (only \"absolute\")", file.string(), position));
  }
  return config;
}

// sentence_bert_config.json's max_seq_length, capped by the position table.
int64_t read_max_seq_length(const std::filesystem::path& model_dir, const BertConfig& config) {
  const std::filesystem::path file = model_dir / "sentence_bert_config.json";
  int64_t max_seq_length = 512;
  if (input_file_present(file)) max_seq_length = positive_int(read_json_object(file), "max_seq_length", file);
  max_seq_length = std::min(max_seq_length, config.max_position_embeddings);
  if (max_seq_length < 2) throw InputError(fmt::format("{}: max_seq_length must be at least 2", file.string()));
  return max_seq_length;
}

void require_mean_pooling(const std::filesystem::path& model_dir) {
  const std::filesystem::path file = model_dir / "1_Pooling" / "config.json";
  if (!input_file_present(file)) return;
  const nlohmann::json json = read_json_object(file);
  for (const char* mode : {"pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens"}) {
    if (json.value(mode, false)) throw InputError(fmt::format("{}: {} unsupported (only mean pooling)", file.string(), mode));
  }
  if (!json.value("pooling_mode_mean_tokens", true)) {
    throw InputError(fmt::format("{}: pooling_mode_mean_tokens is false (only mean pooling is supported)", file.string()));
  }
}

struct LinearWeights {
  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out]
};

struct LayerNormWeights {
  torch::Tensor weight;
  torch::Tensor bias;
};

struct EncoderLayerWeights {
  LinearWeights query, key, value, attention_output;
  LayerNormWeights attention_norm;
  LinearWeights intermediate, output;
  LayerNormWeights output_norm;
};

// Copies named tensors out of a checkpoint, with or without the "bert." prefix of
// BertForXxx checkpoints (the first tensor decides which).
class WeightReader {
 public:
  explicit WeightReader(const SafetensorsCheckpoint& checkpoint) : checkpoint_(checkpoint) {
    if (!checkpoint.find("embeddings.word_embeddings.weight") && checkpoint.find("bert.embeddings.word_embeddings.weight")) {
      prefix_ = "bert.";
    }
  }

  torch::Tensor tensor(const std::string& name, const std::vector<int64_t>& shape) const {
    const TensorView& view = checkpoint_.require(prefix_ + name, shape);
    std::vector<float> values = to_float_vector(view);
    return torch::from_blob(values.data(), shape, torch::kFloat32).clone();
  }
  LinearWeights linear(const std::string& name, int64_t in, int64_t out) const {
    return {tensor(name + ".weight", {out, in}), tensor(name + ".bias", {out})};
  }
  LayerNormWeights layer_norm(const std::string& name, int64_t size) const {
    return {tensor(name + ".weight", {size}), tensor(name + ".bias", {size})};
  }

 private:
  const SafetensorsCheckpoint& checkpoint_;
  std::string prefix_;
};

torch::Tensor apply(const LinearWeights& w, const torch::Tensor& x) { return torch::linear(x, w.weight, w.bias); }

}  // namespace

struct SentenceEncoder::Impl {
  BertConfig config;
  int64_t max_seq_length = 0;
  std::unique_ptr<WordPieceTokenizer> tokenizer;
  torch::Tensor word_embeddings, position_embeddings, token_type_embeddings;
  LayerNormWeights embedding_norm;
  std::vector<EncoderLayerWeights> layers;

  torch::Tensor layer_norm(const torch::Tensor& x, const LayerNormWeights& w) const {
    return torch::layer_norm(x, {config.hidden_size}, w.weight, w.bias, config.layer_norm_eps);
  }

  // ids, mask: [batch, seq] int64 / float32 (1 for tokens, 0 for padding). Returns the
  // L2-normalised mean-pooled embeddings, [batch, hidden].
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask) const {
    const int64_t batch = ids.size(0), seq = ids.size(1);
    const int64_t heads = config.num_heads, head_dim = config.hidden_size / heads;
    torch::Tensor x = word_embeddings.index_select(0, ids.reshape({-1})).view({batch, seq, config.hidden_size});
    x = x + position_embeddings.narrow(0, 0, seq).unsqueeze(0) + token_type_embeddings[0];
    x = layer_norm(x, embedding_norm);

    // Additive attention bias: 0 for real keys, a large negative number for padding keys.
    const torch::Tensor key_bias = ((1.0 - mask) * -1e9).view({batch, 1, 1, seq});
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    auto split_heads = [&](const torch::Tensor& t) { return t.view({batch, seq, heads, head_dim}).transpose(1, 2); };
    for (const EncoderLayerWeights& layer : layers) {
      const torch::Tensor q = split_heads(apply(layer.query, x));
      const torch::Tensor k = split_heads(apply(layer.key, x));
      const torch::Tensor v = split_heads(apply(layer.value, x));
      const torch::Tensor scores = torch::matmul(q, k.transpose(-1, -2)) * scale + key_bias;
      const torch::Tensor context =
          torch::matmul(torch::softmax(scores, -1), v).transpose(1, 2).reshape({batch, seq, config.hidden_size});
      const torch::Tensor attended = layer_norm(apply(layer.attention_output, context) + x, layer.attention_norm);
      const torch::Tensor intermediate = torch::gelu(apply(layer.intermediate, attended));  // erf GELU
      x = layer_norm(apply(layer.output, intermediate) + attended, layer.output_norm);
    }

    const torch::Tensor token_weights = mask.unsqueeze(-1);
    const torch::Tensor pooled = (x * token_weights).sum(1) / token_weights.sum(1).clamp_min(1e-9);
    return pooled / pooled.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
  }
};

SentenceEncoder::SentenceEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SentenceEncoder::~SentenceEncoder() = default;

std::unique_ptr<SentenceEncoder> SentenceEncoder::load(const std::filesystem::path& model_dir) {
  if (!std::filesystem::is_directory(model_dir)) {
    throw InputError(fmt::format("{}: model folder not found (run scripts/fetch-models.sh)", model_dir.string()));
  }
  auto impl = std::make_unique<Impl>();
  impl->config = read_bert_config(model_dir / "config.json");
  const BertConfig& c = impl->config;
  impl->max_seq_length = read_max_seq_length(model_dir, c);
  require_mean_pooling(model_dir);
  impl->tokenizer = std::make_unique<WordPieceTokenizer>(WordPieceTokenizer::load(model_dir));
  if (static_cast<int64_t>(impl->tokenizer->vocab_size()) > c.vocab_size) {
    throw InputError(fmt::format("{}: vocab.txt has {} tokens but config.json says vocab_size {}", model_dir.string(),
                                 impl->tokenizer->vocab_size(), c.vocab_size));
  }

  const SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint::open(model_dir);
  const WeightReader reader(checkpoint);
  const int64_t h = c.hidden_size;
  impl->word_embeddings = reader.tensor("embeddings.word_embeddings.weight", {c.vocab_size, h});
  impl->position_embeddings = reader.tensor("embeddings.position_embeddings.weight", {c.max_position_embeddings, h});
  impl->token_type_embeddings = reader.tensor("embeddings.token_type_embeddings.weight", {c.type_vocab_size, h});
  impl->embedding_norm = reader.layer_norm("embeddings.LayerNorm", h);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = fmt::format("encoder.layer.{}.", i);
    EncoderLayerWeights layer;
    layer.query = reader.linear(p + "attention.self.query", h, h);
    layer.key = reader.linear(p + "attention.self.key", h, h);
    layer.value = reader.linear(p + "attention.self.value", h, h);
    layer.attention_output = reader.linear(p + "attention.output.dense", h, h);
    layer.attention_norm = reader.layer_norm(p + "attention.output.LayerNorm", h);
    layer.intermediate = reader.linear(p + "intermediate.dense", h, c.intermediate_size);
    layer.output = reader.linear(p + "output.dense", c.intermediate_size, h);
    layer.output_norm = reader.layer_norm(p + "output.LayerNorm", h);
    impl->layers.push_back(std::move(layer));
  }
  return std::unique_ptr<SentenceEncoder>(new SentenceEncoder(std::move(impl)));
}

std::vector<std::vector<float>> SentenceEncoder::embed(const std::vector<std::string>& texts) const {
  torch::NoGradGuard no_grad;
  std::vector<std::vector<int64_t>> token_ids;
  token_ids.reserve(texts.size());
  for (const std::string& text : texts) {
    token_ids.push_back(impl_->tokenizer->encode(text, static_cast<size_t>(impl_->max_seq_length)));
  }
  // Batch texts of similar length together (longest first) so little padding is computed.
  std::vector<size_t> order(texts.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return token_ids[a].size() > token_ids[b].size(); });

  const int64_t hidden = impl_->config.hidden_size;
  std::vector<std::vector<float>> embeddings(texts.size());
  for (size_t begin = 0; begin < order.size(); begin += kBatchSize) {
    const size_t end = std::min(order.size(), begin + kBatchSize);
    const auto batch = static_cast<int64_t>(end - begin);
    const auto seq = static_cast<int64_t>(token_ids[order[begin]].size());
    torch::Tensor ids = torch::full({batch, seq}, impl_->tokenizer->pad_id(), torch::kInt64);
    torch::Tensor mask = torch::zeros({batch, seq}, torch::kFloat32);
    auto ids_access = ids.accessor<int64_t, 2>();
    auto mask_access = mask.accessor<float, 2>();
    for (int64_t row = 0; row < batch; ++row) {
      const std::vector<int64_t>& row_ids = token_ids[order[begin + static_cast<size_t>(row)]];
      for (size_t col = 0; col < row_ids.size(); ++col) {
        ids_access[row][static_cast<int64_t>(col)] = row_ids[col];
        mask_access[row][static_cast<int64_t>(col)] = 1.0f;
      }
    }
    const torch::Tensor pooled = impl_->forward(ids, mask).contiguous();
    const float* values = pooled.data_ptr<float>();
    for (int64_t row = 0; row < batch; ++row) {
      embeddings[order[begin + static_cast<size_t>(row)]].assign(values + row * hidden, values + (row + 1) * hidden);
    }
  }
  return embeddings;
}

int SentenceEncoder::dim() const { return static_cast<int>(impl_->config.hidden_size); }
int SentenceEncoder::max_seq_length() const { return static_cast<int>(impl_->max_seq_length); }

}  // namespace aimicius::runtime

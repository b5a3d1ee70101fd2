// A GGUF file as a checkpoint (runtime/gguf/gguf_checkpoint.h, gguf_tokenizer.h): the model config
// from `<arch>.*` metadata (an unknown key that may change the model is refused), which `local:`
// paths are GGUF, the q/k row permutation undone, the tokenizer and chat template from metadata;
// and, when models/smollm2/*.gguf is there, the real SmolLM2 file's config and tokenizer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/errors.h"
#include "model_requirements.h"
#include "runtime/gguf/gguf_checkpoint.h"
#include "runtime/gguf/gguf_tokenizer.h"
#include "tests/runtime/gguf_test_writer.h"

namespace aimicius::runtime::gguf {
namespace {

namespace fs = std::filesystem;
using test::GgufWriter;

std::unique_ptr<GgufFile> parse(const std::string& bytes) {
  // The bytes must outlive the file: keep them with the test's static storage.
  static std::vector<std::unique_ptr<std::string>> keep;
  keep.push_back(std::make_unique<std::string>(bytes));
  return GgufFile::parse(reinterpret_cast<const std::byte*>(keep.back()->data()), keep.back()->size(), "t.gguf");
}

// A tiny gpt2-style vocabulary: "hello" merges to one token, "Ġw" to another.
void add_tokenizer(GgufWriter& w, const std::string& pre = "smollm") {
  w.kv_string("tokenizer.ggml.model", "gpt2");
  w.kv_string("tokenizer.ggml.pre", pre);
  w.kv_strings("tokenizer.ggml.tokens", {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "h", "e", "l", "o", "Ġ", "w",
                                         "r", "d", "he", "ll", "hell", "hello", "Ġw", "1", "2"});
  w.kv_i32s("tokenizer.ggml.token_type", {3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  w.kv_strings("tokenizer.ggml.merges", {"h e", "l l", "he ll", "hell o", "Ġ w"});
  w.kv_u32("tokenizer.ggml.bos_token_id", 1);
  w.kv_u32("tokenizer.ggml.eos_token_id", 2);
  w.kv_bool("tokenizer.ggml.add_bos_token", false);
  w.kv_string("tokenizer.chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}");
}

// llama metadata for a model with hidden 8, 2 q heads, 1 kv head (head dim 4), 1 layer.
GgufWriter llama_file() {
  GgufWriter w;
  w.kv_string("general.architecture", "llama");
  w.kv_u32("llama.context_length", 256);
  w.kv_u32("llama.embedding_length", 8);
  w.kv_u32("llama.block_count", 1);
  w.kv_u32("llama.feed_forward_length", 16);
  w.kv_u32("llama.attention.head_count", 2);
  w.kv_u32("llama.attention.head_count_kv", 1);
  w.kv_f32("llama.rope.freq_base", 100000.0f);
  w.kv_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.kv_u32("llama.rope.dimension_count", 4);
  add_tokenizer(w);
  w.tensor_f32("token_embd.weight", {8, 18}, std::vector<float>(8 * 18, 0.5f));
  return w;
}

TEST(GgufCheckpoint, ModelConfigFromLlamaMetadata) {
  const auto g = parse(llama_file().finish());
  const ModelConfig c = gguf_model_config(*g);
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.hidden_size, 8);
  EXPECT_EQ(c.num_layers, 1);
  EXPECT_EQ(c.intermediate_size, 16);
  EXPECT_EQ(c.num_q_heads, 2);
  EXPECT_EQ(c.num_k_heads, 1);
  EXPECT_EQ(c.num_v_heads, 1);
  EXPECT_EQ(c.head_dim_qk, 4);
  EXPECT_EQ(c.rope_theta, 100000.0);  // the base the transformers-5 config lost
  EXPECT_NEAR(c.rms_norm_eps, 1e-5, 1e-12);
  EXPECT_EQ(c.vocab_size, 18);
  EXPECT_EQ(c.max_position_embeddings, 256);
  EXPECT_TRUE(c.tie_word_embeddings);  // no output.weight
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.bos_token_ids, (std::vector<int64_t>{1}));
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2}));
}

TEST(GgufCheckpoint, UnknownArchKeyOrUnsupportedRopeIsRefused) {
  GgufWriter w = llama_file();
  w.kv_f32("llama.attn_logit_softcapping", 50.0f);
  try {
    gguf_model_config(*parse(w.finish()));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("llama.attn_logit_softcapping"), std::string::npos) << e.what();
  }
  GgufWriter y = llama_file();
  y.kv_string("llama.rope.scaling.type", "yarn");
  EXPECT_THROW(gguf_model_config(*parse(y.finish())), InputError);
  GgufWriter lin = llama_file();
  lin.kv_string("llama.rope.scaling.type", "linear");
  lin.kv_f32("llama.rope.scaling.factor", 4.0f);
  const ModelConfig c = gguf_model_config(*parse(lin.finish()));
  EXPECT_EQ(c.rope_scaling.type, "linear");
  EXPECT_EQ(c.rope_scaling.factor, 4.0);
  GgufWriter arch;
  arch.kv_string("general.architecture", "mamba");
  EXPECT_THROW(gguf_model_config(*parse(arch.finish())), InputError);
}

TEST(GgufCheckpoint, TensorNamesMapToTheRuntimeLayout) {
  EXPECT_EQ(gguf_tensor_name("model.embed_tokens.weight"), "token_embd.weight");
  EXPECT_EQ(gguf_tensor_name("lm_head.weight"), "output.weight");
  EXPECT_EQ(gguf_tensor_name("model.norm.weight"), "output_norm.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.12.self_attn.q_proj.bias"), "blk.12.attn_q.bias");
  EXPECT_EQ(gguf_tensor_name("model.layers.0.self_attn.o_proj.weight"), "blk.0.attn_output.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.3.post_attention_layernorm.weight"), "blk.3.ffn_norm.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.3.mlp.down_proj.weight"), "blk.3.ffn_down.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.0.self_attn.q_up_proj.weight"), "");
}

// llama.cpp's converter: rows viewed as [heads, 2, head_dim/2, cols], axes 1 and 2 swapped.
std::vector<float> permute_like_converter(const std::vector<float>& w, int64_t heads, int64_t hd, int64_t cols) {
  std::vector<float> out(w.size());
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t s = 0; s < 2; ++s)
      for (int64_t i = 0; i < hd / 2; ++i)
        for (int64_t c = 0; c < cols; ++c)
          out[((h * (hd / 2) + i) * 2 + s) * cols + c] = w[((h * 2 + s) * (hd / 2) + i) * cols + c];
  return out;
}

TEST(GgufCheckpoint, UnpermuteUndoesTheConvertersPermutation) {
  const int64_t heads = 3, hd = 8, cols = 5;
  std::vector<float> w(heads * hd * cols);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i);
  std::vector<float> p = permute_like_converter(w, heads, hd, cols);
  ASSERT_NE(p, w);
  unpermute_rope_rows(p, heads, hd, cols);
  EXPECT_EQ(p, w);
}

TEST(GgufCheckpoint, QAndKAreUnpermutedForLlamaOnly) {
  GgufWriter w = llama_file();
  std::vector<float> q(8 * 8);
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<float>(i);
  w.tensor_f32("blk.0.attn_q.weight", {8, 8}, permute_like_converter(q, 2, 4, 8));
  w.tensor_f32("blk.0.attn_v.weight", {8, 4}, std::vector<float>(q.begin(), q.begin() + 32));
  const auto g = parse(w.finish());
  const ModelConfig c = gguf_model_config(*g);
  EXPECT_EQ(*to_runtime_weight(*g, c, "model.layers.0.self_attn.q_proj.weight", {8, 8}), q);
  EXPECT_EQ(*to_runtime_weight(*g, c, "model.layers.0.self_attn.v_proj.weight", {4, 8}),
            std::vector<float>(q.begin(), q.begin() + 32));
  EXPECT_FALSE(to_runtime_weight(*g, c, "lm_head.weight", {18, 8}));
  EXPECT_THROW(to_runtime_weight(*g, c, "model.layers.0.self_attn.v_proj.weight", {8, 8}), InputError);
}

TEST(GgufCheckpoint, TokenizerAndChatTemplateFromMetadata) {
  const auto g = parse(llama_file().finish());
  const auto tok = gguf_tokenizer(*g);
  EXPECT_EQ(tok->vocab_size(), 18);
  EXPECT_EQ(tok->encode("hello world", false), (std::vector<int32_t>{14, 15, 6, 9, 5, 10}));
  EXPECT_EQ(tok->encode("<|im_start|>hello", false), (std::vector<int32_t>{1, 14}));
  EXPECT_EQ(tok->encode("12", false), (std::vector<int32_t>{16, 17}));  // smollm: digits one by one
  EXPECT_EQ(tok->decode({1, 14, 15}, false), "<|im_start|>hello w");
  EXPECT_EQ(tok->decode({1, 14, 15}, true), "hello w");
  EXPECT_TRUE(tok->is_special(2));
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_ids(), (std::vector<int32_t>{2}));
  const auto cfg = gguf_tokenizer_config(*g);
  EXPECT_EQ(cfg["chat_template"], "{% for m in messages %}{{ m['content'] }}{% endfor %}");
  EXPECT_EQ(cfg["add_bos_token"], false);
  // The special tokens' strings, which templates print ({{ bos_token }}), come from their ids.
  EXPECT_EQ(cfg["bos_token"], "<|im_start|>");
  EXPECT_EQ(cfg["eos_token"], "<|im_end|>");
  EXPECT_FALSE(cfg.contains("pad_token"));

  GgufWriter bad;
  bad.kv_string("tokenizer.ggml.model", "llama");
  EXPECT_THROW(gguf_tokenizer(*parse(bad.finish())), InputError);
  GgufWriter pre;
  add_tokenizer(pre, "falcon");
  try {
    gguf_tokenizer(*parse(pre.finish()));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("falcon"), std::string::npos);
  }
}

TEST(GgufCheckpoint, FindGgufResolvesFilesAndFolders) {
  const fs::path dir = fs::temp_directory_path() / ("gguf_find_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "one");
  fs::create_directories(dir / "two");
  fs::create_directories(dir / "hf");
  for (const fs::path p : {dir / "one/m.gguf", dir / "two/a.gguf", dir / "two/b.gguf", dir / "hf/x.gguf",
                           dir / "hf/config.json"})
    std::ofstream(p) << "x";
  EXPECT_EQ(find_gguf(dir / "one/m.gguf"), dir / "one/m.gguf");
  EXPECT_EQ(find_gguf(dir / "one"), dir / "one/m.gguf");
  EXPECT_FALSE(find_gguf(dir / "hf"));  // an HF folder stays safetensors
  EXPECT_FALSE(find_gguf(dir / "hf/config.json"));
  EXPECT_FALSE(find_gguf(dir / "missing"));
  EXPECT_THROW(find_gguf(dir / "two"), InputError);
  fs::remove_all(dir);
}

TEST(GgufCheckpoint, SmolLM2FileConfigAndTokenizer) {
  AIMICIUS_NEED_SMOLLM2(file);
  const auto g = GgufFile::open(file);
  const ModelConfig c = gguf_model_config(*g);
  EXPECT_EQ(c.hidden_size, 576);
  EXPECT_EQ(c.num_layers, 30);
  EXPECT_EQ(c.num_q_heads, 9);
  EXPECT_EQ(c.num_k_heads, 3);
  EXPECT_EQ(c.rope_theta, 100000.0);
  EXPECT_EQ(c.vocab_size, 49152);
  const auto tok = gguf_tokenizer(*g);
  const auto ids = tok->encode("<|im_start|>user\nHello!<|im_end|>", false);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(tok->decode(ids, false), "<|im_start|>user\nHello!<|im_end|>");
  EXPECT_NE(gguf_tokenizer_config(*g)["chat_template"].get<std::string>().find("<|im_start|>"), std::string::npos);
}

}  // namespace
}  // namespace aimicius::runtime::gguf

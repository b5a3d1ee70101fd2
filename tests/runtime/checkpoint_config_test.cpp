// Checkpoint configs as transformers 4 and 5 write them: RoPE frequencies against transformers'
// own (tests/data/rope, scripts/fixtures/rope_fixtures.py), the two forms of real configs
// (tests/data/configs, scripts/fixtures/config_fixtures.py) giving one ModelConfig, every key of
// the key table, and generation_config.json.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "common/errors.h"
#include "common/json_file.h"
#include "common/sha256.h"
#include "runtime/checkpoint_files.h"
#include "runtime/model_config.h"
#include "runtime/rope.h"
#include "test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::error_of;
using aimicius::testing::ScratchDir;

const std::filesystem::path kData = AIMICIUS_TEST_DATA_DIR;

nlohmann::json config_fixture(const std::string& name) { return read_json_file(kData / "configs" / (name + ".json")); }

TEST(Rope, EveryRopeTypeMatchesTransformersWithinOnePpm) {
  const nlohmann::json doc = read_json_file(kData / "rope" / "transformers_rope.json");
  ASSERT_GE(doc["cases"].size(), 15u);
  for (const auto& c : doc["cases"]) {
    const std::string name = c["name"];
    const ModelConfig config = parse_model_config(c["config"], name);
    const RopeTable got = rope_table(config, c["seq_len"].get<int64_t>());
    const std::vector<double> want = c["inv_freq"];
    ASSERT_EQ(got.inv_freq.size(), want.size()) << name;
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(got.inv_freq[i], want[i], 1e-6 * std::abs(want[i])) << name << " inv_freq[" << i << "]";
    const double scaling = c["attention_scaling"];
    EXPECT_NEAR(got.attention_scaling, scaling, 1e-6 * scaling) << name;
  }
}

// Issue 20: transformers 5 writes rope_parameters.rope_theta and no rope_theta; the runtime read
// only rope_theta and ran base 10000 instead of SmolLM2's 100000, without a word.
TEST(CheckpointConfig, Transformers4And5FormsGiveTheSameModelConfig) {
  for (const char* name : {"smollm2", "qwen2.5", "llama3.1", "qwen2.5-yarn", "gemma-2b"}) {
    const nlohmann::json t4 = config_fixture(std::string(name) + "-t4");
    const nlohmann::json t5 = config_fixture(std::string(name) + "-t5");
    ASSERT_FALSE(t5.contains("rope_theta")) << name << ": the fixture should be transformers 5's form";
    const ModelConfig a = parse_model_config(t4, "t4"), b = parse_model_config(t5, "t5");
    EXPECT_EQ(a.to_json(), b.to_json()) << name;
    EXPECT_TRUE(a.unrecognised_keys.empty()) << name << ": " << nlohmann::json(a.unrecognised_keys).dump();
    EXPECT_TRUE(b.unrecognised_keys.empty()) << name << ": " << nlohmann::json(b.unrecognised_keys).dump();
  }
  EXPECT_EQ(parse_model_config(config_fixture("smollm2-t5"), "t5").rope_theta, 100000.0);
  EXPECT_EQ(parse_model_config(config_fixture("qwen2.5-yarn-t5"), "t5").rope_scaling.type, "yarn");
  EXPECT_EQ(parse_model_config(config_fixture("llama3.1-t5"), "t5").rope_scaling.original_max_position_embeddings, 8192);
}

TEST(CheckpointConfig, RopeFormsFollowTransformers5Precedence) {
  nlohmann::json j = config_fixture("smollm2-t5");
  j["rope_theta"] = 5.0;  // the object's own theta wins over the top-level key
  EXPECT_EQ(parse_model_config(j, "c").rope_theta, 100000.0);
  j["rope_parameters"].erase("rope_theta");  // ... which is the fallback
  EXPECT_EQ(parse_model_config(j, "c").rope_theta, 5.0);
  j = config_fixture("smollm2-t5");
  j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", 2.0}};  // rope_scaling wins when not null
  EXPECT_EQ(parse_model_config(j, "c").rope_scaling.type, "linear");
  EXPECT_EQ(parse_model_config(j, "c").rope_theta, 10000.0);  // and rope_parameters is not read
  j["rope_scaling"] = nullptr;
  EXPECT_EQ(parse_model_config(j, "c").rope_theta, 100000.0);
}

TEST(CheckpointConfig, RopeFormsTheRuntimeCannotFollowAreRefusedNamingTheKey) {
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {{{"full_attention", {{"rope_type", "default"}, {"rope_theta", 1e5}}}}, "full_attention"},
      {{{"rope_type", "longrope"}, {"rope_theta", 1e4}}, "longrope"},
      {{{"rope_type", "default"}, {"factor", 2.0}}, "factor"},               // not a default parameter
      {{{"rope_type", "linear"}}, "factor"},                                  // required
      {{{"rope_type", "llama3"}, {"factor", 8.0}}, "low_freq_factor"},        // required
      {{{"rope_type", "yarn"}, {"factor", 4.0}, {"mrope_section", {1}}}, "mrope_section"},
      {{{"rope_type", "default"}, {"partial_rotary_factor", 0.5}}, "partial_rotary_factor"},
      {{{"rope_type", "dynamic"}, {"factor", 2.0}, {"original_max_position_embeddings", 2048}},
       "original_max_position_embeddings"},
  };
  for (const auto& [params, named] : cases) {
    nlohmann::json j = config_fixture("smollm2-t5");
    j["rope_parameters"] = params;
    const std::string err = error_of([&] { parse_model_config(j, "cfg.json"); });
    EXPECT_NE(err.find("cfg.json"), std::string::npos) << params.dump() << ": " << err;
    EXPECT_NE(err.find(named), std::string::npos) << params.dump() << ": " << err;
  }
}

// One case per checked key: the setting the runtime implements passes, another is an InputError
// naming the file and the key; each on the transformers-4 and -5 forms of Llama and Qwen2.
struct CheckedCase {
  std::string key;
  nlohmann::json accepted;
  nlohmann::json refused;
  std::string family = "";  // "": both; else only configs of this model_type
};

const std::vector<CheckedCase>& checked_cases() {
  static const std::vector<CheckedCase> cases = {
      {"hidden_activation", "swish", "gelu_pytorch_tanh"},
      {"use_bidirectional_attention", nullptr, true},
      {"mlp_bias", false, true},
      {"use_qk_norm", false, true},
      {"qk_norm", nullptr, true},
      {"qk_layernorm", false, true},
      {"rope_interleaved", false, true},
      {"attn_logit_softcapping", nullptr, 50.0},
      {"final_logit_softcapping", nullptr, 30.0},
      {"quantization_config", nullptr, {{"quant_method", "gptq"}}},
      {"query_pre_attn_scalar", nullptr, 256},
      {"embedding_multiplier", nullptr, 12.0},
      {"logits_scaling", nullptr, 8.0},
      {"residual_multiplier", nullptr, 0.22},
      {"attention_multiplier", nullptr, 0.015},
      {"num_experts", 0, 8},
      {"num_local_experts", nullptr, 8},
      {"no_rope_layers", nullptr, {1, 1, 0}},
      // Sliding windows are read (tests/runtime/sliding_window_parity_test.cpp): only malformed
      // values are refused. Qwen2 reads them with use_sliding_window, from max_window_layers on.
      {"use_sliding_window", true, "yes", "qwen2-short-window"},
      {"sliding_window", 4096, -1, "qwen2-sliding-layers"},
      {"max_window_layers", 0, "all", "qwen2-short-window"},
      {"layer_types", nlohmann::json::array(), {"full_attention", "linear_attention"}},
      // Llama's attention ignores sliding_window in transformers: any value is harmless there.
      {"sliding_window", 4096, nullptr, "llama"},
  };
  return cases;
}

TEST(CheckpointConfig, EveryCheckedKeyAcceptsTheRuntimesSettingAndRefusesAnother) {
  std::set<std::string> covered;
  for (const char* name : {"smollm2-t4", "smollm2-t5", "qwen2.5-t4", "qwen2.5-t5"}) {
    for (const auto& c : checked_cases()) {
      nlohmann::json j = config_fixture(name);
      const std::string type = j["model_type"];
      std::string family = c.family;
      if (family.rfind("qwen2-", 0) == 0) {  // a Qwen2 config with sliding attention switched on ...
        if (type != "qwen2") continue;
        j.erase("layer_types");  // (transformers 5 derives them from the keys below when absent)
        j["use_sliding_window"] = true;
        // ... on layers 12 to 23, with a window of max_position_embeddings, or on no layer (from
        // layer 24 of 24 on), with a window of 4096.
        j["sliding_window"] = family == "qwen2-sliding-layers" ? 32768 : 4096;
        j["max_window_layers"] = family == "qwen2-sliding-layers" ? 12 : 0;
        family = "qwen2";
      }
      if (!family.empty() && family != type) continue;
      covered.insert(c.key);
      j[c.key] = c.accepted;
      EXPECT_NO_THROW(parse_model_config(j, "cfg.json")) << name << ": " << c.key << " = " << c.accepted.dump();
      if (c.refused.is_null()) continue;
      j[c.key] = c.refused;
      const std::string err = error_of([&] { parse_model_config(j, "cfg.json"); });
      EXPECT_NE(err.find("cfg.json"), std::string::npos) << name << ": " << c.key << ": " << err;
      EXPECT_NE(err.find(c.key), std::string::npos) << name << ": " << c.key << " = " << c.refused.dump() << ": " << err;
    }
  }
  for (const auto& [key, use] : config_key_table())
    if (use == ConfigKeyUse::kChecked) EXPECT_TRUE(covered.count(key)) << key << " has no case";
}

// Gemma as transformers 5 reads it: GeGLU (the legacy "gelu" of its official configs meaning the
// tanh form), the embedding scale, 1 + weight gains, and GemmaConfig's own defaults where a key is
// absent (head_dim 256, tied embeddings, eps 1e-6). hidden_act is read for every family; exact-erf
// "gelu" outside Gemma, and a hidden_activation that disagrees with it, are refused.
TEST(CheckpointConfig, GemmaAndTheMlpActivationAreReadAsTransformersDoes) {
  const ModelConfig g = parse_model_config(config_fixture("gemma-2b-t4"), "g");
  EXPECT_EQ(g.mlp_activation, MlpActivation::kGeluTanh);
  EXPECT_TRUE(g.scale_embedding);
  EXPECT_TRUE(g.norm_gain_plus_one);
  EXPECT_EQ(g.head_dim_qk, 256);
  EXPECT_EQ(g.num_k_heads, 1);
  nlohmann::json bare = config_fixture("gemma-2b-t4");
  for (const char* key : {"head_dim", "tie_word_embeddings", "rms_norm_eps", "hidden_act", "hidden_activation"})
    bare.erase(key);
  const ModelConfig d = parse_model_config(bare, "g");
  EXPECT_EQ(d.head_dim_qk, 256);
  EXPECT_TRUE(d.tie_word_embeddings);
  EXPECT_EQ(d.rms_norm_eps, 1e-6);
  EXPECT_EQ(d.mlp_activation, MlpActivation::kGeluTanh);

  nlohmann::json llama = config_fixture("smollm2-t5");
  EXPECT_EQ(parse_model_config(llama, "l").mlp_activation, MlpActivation::kSilu);
  EXPECT_FALSE(parse_model_config(llama, "l").scale_embedding);
  llama["hidden_act"] = "gelu_pytorch_tanh";  // LlamaMLP applies ACT2FN[hidden_act]: GeGLU
  EXPECT_EQ(parse_model_config(llama, "l").mlp_activation, MlpActivation::kGeluTanh);
  llama["hidden_act"] = "gelu";  // the exact erf form outside Gemma
  std::string err = error_of([&] { parse_model_config(llama, "l.json"); });
  EXPECT_NE(err.find("\"hidden_act\" is \"gelu\""), std::string::npos) << err;
  llama["hidden_act"] = "relu";
  EXPECT_NE(error_of([&] { parse_model_config(llama, "l.json"); }).find("hidden_act"), std::string::npos);
  nlohmann::json gemma = config_fixture("gemma-2b-t5");
  gemma["hidden_activation"] = "silu";  // transformers 4 would run SiLU, 5 GeGLU
  err = error_of([&] { parse_model_config(gemma, "g.json"); });
  EXPECT_NE(err.find("hidden_activation"), std::string::npos) << err;
}

TEST(CheckpointConfig, MistralSlidesByDefaultAsTransformersDoes) {
  nlohmann::json j = config_fixture("smollm2-t4");
  j["model_type"] = "mistral";
  j["max_position_embeddings"] = 32768;
  ModelConfig c = parse_model_config(j, "m.json");  // no key: Mistral v0.1's 4096 on every layer
  EXPECT_EQ(c.sliding_window, 4096);
  EXPECT_EQ(c.layer_slides, std::vector<bool>(static_cast<size_t>(c.num_layers), true));
  j["sliding_window"] = nullptr;  // Mistral v0.2+: no window
  EXPECT_TRUE(parse_model_config(j, "m.json").plain_attention());
  j["sliding_window"] = 32768;  // a window no accepted context reaches
  EXPECT_TRUE(parse_model_config(j, "m.json").plain_attention());
}

TEST(CheckpointConfig, HarmlessKeysPassSilentlyAndUnknownOnesAreReported) {
  for (const auto& [key, use] : config_key_table()) {
    if (use != ConfigKeyUse::kHarmless) continue;
    for (const char* name : {"smollm2-t4", "qwen2.5-t5"}) {
      nlohmann::json j = config_fixture(name);
      j[key] = 0.5;  // harmless keys are not read: any value passes
      ModelConfig c;
      EXPECT_NO_THROW(c = parse_model_config(j, "cfg.json")) << key;
      EXPECT_TRUE(c.unrecognised_keys.empty()) << key;
      EXPECT_EQ(c.to_json(), parse_model_config(config_fixture(name), "cfg.json").to_json()) << key;
    }
  }
  nlohmann::json j = config_fixture("smollm2-t5");
  j["brand_new_flag"] = true;
  j["another_one"] = 1;
  const ModelConfig c = parse_model_config(j, "cfg.json");
  EXPECT_EQ(c.unrecognised_keys, (std::vector<std::string>{"another_one", "brand_new_flag"}));
  // load_model_config names them on stderr once.
  ScratchDir dir;
  std::ofstream(dir / "config.json") << j.dump();
  ::testing::internal::CaptureStderr();
  load_model_config(dir.path());
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("another_one, brand_new_flag"), std::string::npos) << err;
  EXPECT_EQ(err.find("warning", err.find("warning") + 1), std::string::npos) << "one line, not one per key: " << err;
}

TEST(CheckpointConfig, ReadKeysInBothFormsReachTheModelConfig) {
  // Each read key changes the parsed config (or is refused) when changed, in each form.
  const std::map<std::string, nlohmann::json> changed = {
      {"vocab_size", 50000}, {"hidden_size", 1152}, {"intermediate_size", 1024}, {"num_hidden_layers", 3},
      {"num_attention_heads", 3}, {"num_key_value_heads", 1}, {"head_dim", 32}, {"attention_bias", true},
      {"rms_norm_eps", 1e-6}, {"tie_word_embeddings", false}, {"max_position_embeddings", 2048},
      {"bos_token_id", 0}, {"eos_token_id", {2, 0}}, {"model_type", "qwen2"}, {"hidden_act", "gelu_new"}};
  for (const char* name : {"smollm2-t4", "smollm2-t5"}) {
    const nlohmann::json base = config_fixture(name);
    const auto before = parse_model_config(base, name).to_json();
    for (const auto& [key, value] : changed) {
      nlohmann::json j = base;
      j[key] = value;
      EXPECT_NE(parse_model_config(j, name).to_json(), before) << name << ": " << key;
    }
  }
  nlohmann::json t4 = config_fixture("smollm2-t4");
  t4["rope_theta"] = 500000.0;
  EXPECT_EQ(parse_model_config(t4, "t4").rope_theta, 500000.0);
  nlohmann::json t5 = config_fixture("smollm2-t5");
  t5["rope_parameters"]["rope_theta"] = 500000.0;
  EXPECT_EQ(parse_model_config(t5, "t5").rope_theta, 500000.0);
  nlohmann::json llama = config_fixture("llama3.1-t5");
  llama["original_max_position_embeddings"] = 4096;  // a top-level key overrides, as in transformers
  EXPECT_EQ(parse_model_config(llama, "l").rope_scaling.original_max_position_embeddings, 4096);
}

TEST(GenerationConfig, EosIdsAsIntOrListDecideTheStopTokens) {
  const ModelConfig llama = parse_model_config(config_fixture("llama3.1-t4"), "c");
  EXPECT_EQ(stop_token_ids(llama, {}), (std::vector<int64_t>{128001, 128008, 128009}));
  GenerationConfig g = parse_generation_config(nlohmann::json::parse(R"({"bos_token_id": 128000,
      "eos_token_id": 128009, "pad_token_id": null, "do_sample": true, "temperature": 0.6})"), "g");
  EXPECT_EQ(g.bos_token_ids, (std::vector<int64_t>{128000}));
  EXPECT_TRUE(g.pad_token_ids.empty());
  EXPECT_EQ(stop_token_ids(llama, g), (std::vector<int64_t>{128009}));  // generation_config wins, as in generate()
  g = parse_generation_config(nlohmann::json::parse(R"({"eos_token_id": [2, 7], "pad_token_id": 2})"), "g");
  EXPECT_EQ(stop_token_ids(llama, g), (std::vector<int64_t>{2, 7}));
  EXPECT_EQ(g.pad_token_ids, (std::vector<int64_t>{2}));
  const std::string err = error_of([] { parse_generation_config(nlohmann::json::parse(R"({"eos_token_id": "2"})"), "gen.json"); });
  EXPECT_NE(err.find("gen.json"), std::string::npos) << err;
  EXPECT_NE(err.find("eos_token_id"), std::string::npos) << err;
  ScratchDir dir;
  EXPECT_TRUE(load_generation_config(dir.path()).eos_token_ids.empty());  // absent: nothing
  std::ofstream(dir / "generation_config.json") << R"({"eos_token_id": [5, 6]})";
  EXPECT_EQ(load_generation_config(dir.path()).eos_token_ids, (std::vector<int64_t>{5, 6}));
}

// The model hash covers every file that changes a prompt or a logit (issue 20: it covered neither
// tokenizer_config.json nor chat_template.jinja, though both decide the prompt), and no other.
TEST(CheckpointHash, EveryFileThatChangesAPromptOrALogitChangesTheHashAndNoOtherDoes) {
  ScratchDir dir;
  const std::vector<std::string> deciding = {
      "config.json",         "generation_config.json", "model.safetensors",  "model-00001-of-00002.safetensors",
      "model.safetensors.index.json", "tokenizer.json", "tokenizer.model", "tokenizer_config.json",
      "special_tokens_map.json", "chat_template.jinja", "model.Q4_1.gguf"};
  for (const auto& name : deciding) std::ofstream(dir / name) << "original " << name;
  for (const char* name : {"README.md", "LICENSE", "training_log.txt"}) std::ofstream(dir / name) << "notes";
  auto hash = [&] { return checkpoint_content_hash(checkpoint_content_files(dir.path())); };
  const std::string before = hash();
  EXPECT_EQ(checkpoint_content_files(dir.path()).size(), deciding.size());
  for (const auto& name : deciding) {
    std::ofstream(dir / name) << "changed " << name;
    EXPECT_NE(hash(), before) << name << " does not change the hash";
    std::ofstream(dir / name) << "original " << name;
    EXPECT_EQ(hash(), before) << name;
  }
  for (const char* name : {"README.md", "LICENSE", "training_log.txt"}) {
    std::ofstream(dir / name) << "edited";
    EXPECT_EQ(hash(), before) << name << " changes the hash";
  }
  // A single file (a .gguf checkpoint) is its own list, hashed whole; a missing file is named.
  EXPECT_EQ(checkpoint_content_files(dir / "model.Q4_1.gguf"), std::vector<std::filesystem::path>{dir / "model.Q4_1.gguf"});
  const std::string err = error_of([&] { checkpoint_content_hash({dir / "absent.gguf"}); });
  EXPECT_NE(err.find("absent.gguf"), std::string::npos) << err;
}

// A folder with only the files hashed before issue 20 keeps its hash, so its runs stay resumable.
TEST(CheckpointHash, FoldersWithOnlyThePreviouslyHashedFilesKeepTheirHash) {
  ScratchDir dir;
  std::ofstream(dir / "config.json") << "{}";
  std::ofstream(dir / "tokenizer.json") << "tok";
  std::ofstream(dir / "model.safetensors") << "weights";
  std::ofstream(dir / "README.md") << "card";
  const std::string old_formula = sha256_hex("config.json:" + sha256_hex("{}") + "\n" + "model.safetensors:" +
                                             sha256_hex("weights") + "\n" + "tokenizer.json:" + sha256_hex("tok") + "\n");
  EXPECT_EQ(checkpoint_content_hash(checkpoint_content_files(dir.path())), old_formula);
}

}  // namespace
}  // namespace aimicius::runtime

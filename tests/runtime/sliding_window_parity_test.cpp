// Sliding-window attention of Mistral and Qwen2 as transformers runs it: tests/data/mistral-window
// holds a tiny Mistral written by transformers 5.25 with a window of 4 (Mistral v0.1's every-layer
// window, shortened so that it cuts 8- and 12-token sequences) and transformers' logits and greedy
// tokens for them (eager attention; scripts/fixtures/gemma_parity_fixtures.py DIR mistral). The
// window is the one Gemma 2 uses (model_config.h: query i sees keys i - window < j <= i); which
// layers slide is each family's rule, read from config.json as transformers 5 reads it.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/json_file.h"
#include "runtime/model.h"
#include "tests/runtime/parity_fixture.h"
#include "test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::ScratchDir;
using test::all_logits;
using test::ParityCase;

const std::filesystem::path kCheckpoint = std::filesystem::path(AIMICIUS_TEST_DATA_DIR) / "mistral-window";

// The window itself: the fixture's logits and greedy tokens (decoding past the window) are checked
// with every family's in tests/runtime/family_parity_test.cpp; here, that the config reads as a
// window on every layer in both transformers forms, and that the window is what moves the logits.
TEST(SlidingWindowParity, MistralsWindowReadsInBothFormsAndMatters) {
  torch::NoGradGuard no_grad;
  const ModelConfig c = load_model_config(kCheckpoint);
  EXPECT_EQ(c.sliding_window, 4);
  EXPECT_EQ(c.layer_slides, (std::vector<bool>{true, true}));
  EXPECT_FALSE(c.plain_attention());
  // The config in transformers 4's form (top-level rope_theta, torch_dtype) and in 5's
  // (rope_parameters) read as one model, window included (a non-default base, so a key read
  // from the wrong place shows).
  nlohmann::json t5 = read_json_file(kCheckpoint / "config.json");
  t5["rope_parameters"]["rope_theta"] = 50000.0;
  nlohmann::json t4 = t5;
  t4["rope_theta"] = 50000.0;
  for (const char* key : {"rope_parameters", "dtype"}) t4.erase(key);
  t4["torch_dtype"] = "float32";
  t4["transformers_version"] = "4.34.0";
  const ModelConfig c4 = parse_model_config(t4, "t4.json");
  EXPECT_EQ(c4.rope_theta, 50000.0);
  EXPECT_EQ(c4.layer_slides, c.layer_slides);
  EXPECT_EQ(c4.to_json(), parse_model_config(t5, "t5.json").to_json());
  // Without the window (Mistral v0.2+ writes null) the same weights give other logits.
  ScratchDir dir;
  const auto full =
      test::load_with_edited_config(kCheckpoint, dir.path(), [](nlohmann::json& j) { j["sliding_window"] = nullptr; });
  const ParityCase p = test::read_parity_cases(kCheckpoint).at(0);
  test::expect_logits_far(all_logits(*full, p.ids), p.logits, "no window");
}

// Which layers slide, family by family, as transformers 5's configs decide it.
TEST(SlidingWindowParity, EachFamilysRuleForWhichLayersSlide) {
  nlohmann::json base = read_json_file(kCheckpoint / "config.json");
  base["num_hidden_layers"] = 4;
  base["max_position_embeddings"] = 32768;
  auto read = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = base;
    edit(j);
    return parse_model_config(j, "cfg.json");
  };
  // Mistral: every layer, 4096 when the key is absent, none when null; layer_types ignored.
  ModelConfig c = read([](nlohmann::json& j) { j.erase("sliding_window"); });
  EXPECT_EQ(c.sliding_window, 4096);
  EXPECT_EQ(c.layer_slides, std::vector<bool>(4, true));
  EXPECT_TRUE(read([](nlohmann::json& j) { j["sliding_window"] = nullptr; }).plain_attention());
  EXPECT_TRUE(read([](nlohmann::json& j) { j["sliding_window"] = 32768; }).plain_attention());  // never cuts
  c = read([](nlohmann::json& j) { j["layer_types"] = {"full_attention", "full_attention", "full_attention", "full_attention"}; });
  EXPECT_EQ(c.layer_slides, std::vector<bool>(4, true));
  // Qwen2: only with use_sliding_window, from max_window_layers on, or where layer_types says.
  auto qwen2 = [&](const std::function<void(nlohmann::json&)>& edit) {
    return read([&](nlohmann::json& j) {
      j["model_type"] = "qwen2";
      j["sliding_window"] = 4096;
      edit(j);
    });
  };
  EXPECT_TRUE(qwen2([](nlohmann::json&) {}).plain_attention());
  c = qwen2([](nlohmann::json& j) { j["use_sliding_window"] = true, j["max_window_layers"] = 2; });
  EXPECT_EQ(c.layer_slides, (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(c.window_of(3), 4096);
  c = qwen2([](nlohmann::json& j) {
    j["use_sliding_window"] = true;
    j["layer_types"] = {"sliding_attention", "full_attention", "sliding_attention", "full_attention"};
  });
  EXPECT_EQ(c.layer_slides, (std::vector<bool>{true, false, true, false}));
  EXPECT_TRUE(qwen2([](nlohmann::json& j) { j["use_sliding_window"] = true, j["max_window_layers"] = 4; }).plain_attention());
  // Llama: its attention ignores the key.
  EXPECT_TRUE(read([](nlohmann::json& j) { j["model_type"] = "llama", j["sliding_window"] = 16; }).plain_attention());
  // Malformed: named.
  for (const auto& bad : {nlohmann::json(-4), nlohmann::json("4096")}) {
    try {
      read([&](nlohmann::json& j) { j["sliding_window"] = bad; });
      ADD_FAILURE() << bad.dump() << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("sliding_window"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace aimicius::runtime

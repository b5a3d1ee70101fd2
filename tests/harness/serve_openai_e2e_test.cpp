// Issue 7's end-to-end test: the `openai:` backend against `aimicius serve` over the LibTorch
// runtime on a random-weight checkpoint, as a real run through the runner and the store. Every
// example is answered (no errors, none lost, none doubled) and each stored answer is exactly what
// the `local:` backend gives for the same example without HTTP in between: completions for plain
// prompts, chat completions through the checkpoint's chat format (local:DIR?chat=1), once both
// are valid UTF-8 (JSON carries nothing else: the server replaces ill-formed bytes, which a
// random byte-level model emits, with U+FFFD). Skipped in builds without the runtime.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "harness/backends/backend.h"
#include "harness/runner/progress.h"
#include "harness/runner/runner.h"
#include "common/utf8.h"
#include "harness/serve/openai_protocol.h"
#include "harness/serve/openai_server.h"
#include "harness/store/store.h"
#include "bench/synthetic_suite.h"
#include "scratch_dir.h"
#ifdef AIMICIUS_HAVE_RUNTIME
#include "runtime/checkpoint_writer.h"
#endif

namespace aimicius::serve {
namespace {

#ifdef AIMICIUS_HAVE_RUNTIME

class OpenAIAgainstServe : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime::CheckpointOptions opts;
    opts.init_std = 0.3;  // peaked logits: greedy answers differ between prompts
    runtime::write_random_checkpoint(runtime::preset_config("tiny-diffqkv"), dir_.path() / "ckpt", opts);
    write_synthetic_suite(dir_.path() / "suites", "syn", kExamples);
    served_ = make_backend("local:" + (dir_.path() / "ckpt").string(), {});
    ServerOptions o;
    o.port = 0;
    o.model_id = "tiny";
    server_ = std::make_unique<OpenAiServer>(*served_, o);
    port_ = server_->bind();
    serving_ = std::thread([this] { server_->serve(); });
  }
  void TearDown() override {
    server_->shutdown();
    serving_.join();
  }

  // Runs the synthetic suite with `spec`; returns example id -> raw output, and checks the run.
  std::map<std::string, std::string> run(const std::string& spec, int jobs) {
    RunOptions o;
    o.suites = {"syn"};
    o.data_dir = dir_.path() / "suites";
    o.model_spec = spec;
    o.jobs = jobs;
    o.batch_size = 3;
    o.max_new_tokens = 24;
    Store store = Store::open_for_write((dir_.path() / "runs.db").string());
    const RunPlan plan = plan_run(o);
    auto backend = make_backend(spec, plan.suites, {});
    Progress quiet(stderr, Progress::Style::kQuiet);
    const int64_t id = create_run(store, plan, *backend);
    execute_run(store, id, plan, *backend, quiet);
    EXPECT_EQ(store.find_run(id)->status, kRunComplete) << spec;
    EXPECT_EQ(store.prediction_count(id), kExamples) << spec;
    std::map<std::string, std::string> out;
    for (const StoredExample& e : store.stored_examples(id)) {
      EXPECT_FALSE(e.error) << spec << " " << e.example_id << ": " << e.error.value_or("");
      EXPECT_TRUE(out.emplace(e.example_id, e.raw_output).second) << "stored twice: " << e.example_id;
    }
    return out;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

  static constexpr int kExamples = 12;
  aimicius::testing::ScratchDir dir_;
  std::unique_ptr<Backend> served_;
  std::unique_ptr<OpenAiServer> server_;
  int port_ = 0;
  std::thread serving_;
};

TEST_F(OpenAIAgainstServe, CompletionsRunAnswersEveryExampleAsTheLocalBackendDoes) {
  const auto direct = run("local:" + (dir_.path() / "ckpt").string(), 1);
  const auto over_http = run("openai:tiny@" + url() + "?api=completions&key_env=AIMICIUS_NO_KEY", 3);
  ASSERT_EQ(over_http.size(), direct.size());
  size_t distinct = 0;
  std::string first;
  for (const auto& [id, text] : direct) {
    EXPECT_EQ(over_http.at(id), valid_utf8(text)) << id;
    if (first.empty()) first = text;
    distinct += text != first;
  }
  EXPECT_GT(distinct, 0u) << "every example got the same answer: the comparison would prove little";
}

TEST_F(OpenAIAgainstServe, ChatRunGoesThroughTheChatFormatAsLocalChatDoes) {
  const auto direct = run("local:" + (dir_.path() / "ckpt").string() + "?chat=1", 1);
  const auto over_http = run("openai:tiny@" + url() + "?api=chat&key_env=AIMICIUS_NO_KEY", 2);
  ASSERT_EQ(over_http.size(), direct.size());
  for (const auto& [id, text] : direct) EXPECT_EQ(over_http.at(id), valid_utf8(text)) << id;
}

#else
TEST(OpenAIAgainstServe, NeedsTheRuntime) { GTEST_SKIP() << "built without LibTorch: no local model to serve"; }
#endif

}  // namespace
}  // namespace aimicius::serve

// LocalModel::score (the log-likelihood of a continuation after a prompt) and `aimicius
// answer-loss` on top of it: score() against the float64 reference model's log-softmax over the
// same ids, the greedy token as the most likely single-token continuation, over-long items as
// errors of their own, and the command on the bundled checkpoint (a stored run that resumes to
// the same output byte for byte). Needs the runtime (LibTorch).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "common/sqlite_db.h"
#include "runtime/checkpoint_writer.h"
#include "runtime/local_model.h"
#include "runtime/reference_model.h"
#include "runtime/tokenizer/tokenizer.h"
#include "scratch_dir.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::ScratchDir;

// -sum log p(continuation | prompt) from the reference's logits over prompt + continuation, float64.
double reference_nll(const ReferenceModel& ref, const std::vector<int32_t>& prompt, const std::vector<int32_t>& cont) {
  std::vector<int32_t> ids = prompt;
  ids.insert(ids.end(), cont.begin(), cont.end());
  const auto logits = ref.forward(ids);
  double nll = 0.0;
  for (size_t j = 0; j < cont.size(); ++j) {
    const auto& row = logits[prompt.size() - 1 + j];
    double max = row[0];
    for (double x : row) max = std::max(max, x);
    double z = 0.0;
    for (double x : row) z += std::exp(x - max);
    nll -= row[cont[j]] - max - std::log(z);
  }
  return nll;
}

class Score : public ::testing::Test {
 protected:
  void SetUp() override {
    CheckpointOptions opts;
    opts.seed = 5;
    opts.init_std = 0.12;  // far from uniform (a wrong position or target shows), logits small enough for float32 to match to 1e-4
    write_random_checkpoint(preset_config("tiny-diffqkv"), dir_.path(), opts);
    model_ = LocalModel::load(dir_.path(), {});
  }
  ScratchDir dir_;
  std::unique_ptr<LocalModel> model_;
};

TEST_F(Score, MatchesTheReferenceModelsLogLikelihood) {
  const ReferenceModel ref(dir_.path());
  const auto tok = load_tokenizer(dir_.path());
  const std::vector<std::string> prompts = {"Request: list the GPUs\nCommand:", "a", "nvidia-smi"};
  const std::vector<std::string> conts = {" nvidia-smi -L", "b", " --query-gpu=name,memory.used --format=csv"};
  const auto scores = model_->score(prompts, conts);
  ASSERT_EQ(scores.size(), 3u);
  const double uniform = std::log(static_cast<double>(model_->config().vocab_size));
  for (size_t i = 0; i < prompts.size(); ++i) {
    const auto p = tok->encode(prompts[i], true);
    const auto c = tok->encode(conts[i], false);
    const auto& s = scores[i];
    EXPECT_TRUE(s.error.empty()) << s.error;
    EXPECT_EQ(s.prompt_tokens, static_cast<int64_t>(p.size()));
    EXPECT_EQ(s.prompt_tokens, static_cast<int64_t>(prompts[i].size()) + 1);  // bos + one token per byte
    EXPECT_EQ(s.tokens, static_cast<int64_t>(conts[i].size()));
    const double want = reference_nll(ref, p, c);
    EXPECT_NEAR(s.nll, want, 1e-4) << i;
    // Not the uniform guess: the weights, positions and targets all matter to this number.
    EXPECT_GT(std::abs(s.nll / static_cast<double>(s.tokens) - uniform), 0.05) << i;
    // An item scores the same alone as in a batch, and through the token-level entry.
    EXPECT_DOUBLE_EQ(model_->score({prompts[i]}, {conts[i]})[0].nll, s.nll);
    EXPECT_DOUBLE_EQ(model_->score_tokens({p}, {c})[0].nll, s.nll);
  }
  // Without the begin-of-text token the context differs, and so does the likelihood.
  const auto no_bos = model_->score({prompts[0]}, {conts[0]}, false)[0];
  EXPECT_EQ(no_bos.prompt_tokens, scores[0].prompt_tokens - 1);
  EXPECT_NEAR(no_bos.nll, reference_nll(ref, tok->encode(prompts[0], false), tok->encode(conts[0], false)), 1e-4);
}

// Greedy decoding picks the most likely next token, so as a one-token continuation the greedy
// token has the smallest NLL of every token in the vocabulary. Returns how many prompts were also
// checked through the text entry (when the greedy token is printable ASCII, one byte token): the
// greedy text and a few other characters score there as their tokens do.
int check_greedy_is_most_likely(LocalModel& model, const std::filesystem::path& dir,
                                const std::vector<std::string>& prompts_text) {
  SamplingParams greedy;
  greedy.max_new_tokens = 1;
  greedy.ignore_eos = true;
  const int32_t vocab = static_cast<int32_t>(model.config().vocab_size);
  const auto tok = load_tokenizer(dir);
  int checked_text = 0;
  for (const std::string& prompt : prompts_text) {
    const Generation g = model.generate({prompt}, greedy)[0];
    EXPECT_EQ(g.tokens.size(), 1u);
    if (g.tokens.size() != 1) continue;
    const int32_t best = g.tokens[0];
    const auto p = tok->encode(prompt, true);
    std::vector<std::vector<int32_t>> prompts(vocab, p), conts;
    for (int32_t t = 0; t < vocab; ++t) conts.push_back({t});
    const auto all = model.score_tokens(prompts, conts);
    for (int32_t t = 0; t < vocab; ++t) {
      EXPECT_TRUE(all[t].error.empty()) << all[t].error;
      EXPECT_LE(all[best].nll, all[t].nll) << "prompt \"" << prompt << "\": greedy " << best << " vs " << t;
    }
    if (tok->vocab_size() > 258 || best < 32 || best > 126) continue;  // byte-level: id = byte
    ++checked_text;
    const double greedy_nll = model.score({prompt}, {g.text})[0].nll;
    EXPECT_DOUBLE_EQ(greedy_nll, all[best].nll);
    for (const char c : std::string(" -aZ0|/")) {
      const double nll = model.score({prompt}, {std::string(1, c)})[0].nll;
      EXPECT_DOUBLE_EQ(nll, all[static_cast<unsigned char>(c)].nll) << c;
      EXPECT_LE(greedy_nll, nll) << c;
    }
  }
  return checked_text;
}

TEST_F(Score, TheGreedyTokenIsTheMostLikelySingleTokenContinuation) {
  check_greedy_is_most_likely(*model_, dir_.path(), {"ls -l", "df -h /", "ip a"});
  // The trained bundled model (a SentencePiece vocabulary of 4,096 pieces): the token-level check.
  const auto bundled = std::filesystem::path(AIMICIUS_SOURCE_DIR) / "checkpoints" / "sigma-mini";
  auto trained = LocalModel::load(bundled, {});
  check_greedy_is_most_likely(*trained, bundled, {"Request: show the GPUs\nCommand:"});
}

TEST(ScoreContext, OverLongItemsAreErrorsOfTheirOwn) {
  ScratchDir dir;
  ModelConfig c = preset_config("tiny-gqa");
  c.max_position_embeddings = 64;
  CheckpointOptions opts;
  opts.init_std = 0.3;
  write_random_checkpoint(c, dir.path(), opts);
  auto model = LocalModel::load(dir.path(), {});
  const std::string long_prompt(80, 'x'), fits_alone(50, 'y'), short_prompt = "nvidia-smi -L";
  const std::string long_answer(20, 'z');  // 50 + 1 + 20 > 64: only together they exceed
  const auto got = model->score({long_prompt, short_prompt, fits_alone, short_prompt, short_prompt},
                                {"a", " ok", long_answer, "", "x"});
  ASSERT_EQ(got.size(), 5u);
  EXPECT_NE(got[0].error.find("prompt of 81 tokens + continuation of 1 tokens exceeds the model's context of 64"),
            std::string::npos) << got[0].error;
  EXPECT_NE(got[2].error.find("prompt of 51 tokens + continuation of 20 tokens exceeds"), std::string::npos)
      << got[2].error;
  EXPECT_NE(got[3].error.find("empty continuation"), std::string::npos) << got[3].error;
  for (size_t i : {1u, 4u}) {
    EXPECT_TRUE(got[i].error.empty()) << got[i].error;
    EXPECT_GT(got[i].nll, 0.0);
  }
  // The errors cost the others nothing: each scores as it does alone.
  EXPECT_DOUBLE_EQ(got[1].nll, model->score({short_prompt}, {" ok"})[0].nll);
  EXPECT_DOUBLE_EQ(got[4].nll, model->score({short_prompt}, {"x"})[0].nll);
  // The longest item that fits exactly (63 prompt tokens + 1) is scored.
  EXPECT_TRUE(model->score({std::string(62, 'q')}, {"r"})[0].error.empty());
}

// `aimicius answer-loss` on the bundled trained checkpoint: 5 cmdgen examples, each scored and
// written to --out with a finite positive NLL; --format json gives one object per suite.
TEST(AnswerLossCommand, ScoresTheBundledCheckpointOnCmdgen) {
  ScratchDir dir;
  // The command stores its run: in the scratch folder, not the test's working directory.
  const std::string base = std::string(AIMICIUS_BIN) + " --db " + (dir / "runs.db").string() + " --data-dir " +
                           AIMICIUS_BUNDLED_DATA_DIR + " answer-loss --model local:" + AIMICIUS_SOURCE_DIR +
                           "/checkpoints/sigma-mini" + " --suite cmdgen --limit 5";
  const auto out_file = dir / "loss.jsonl";
  const auto run = [](const std::string& cmd) {
    std::string text;
    FILE* pipe = popen((cmd + " 2>&1").c_str(), "r");
    char buf[4096];
    for (size_t n; pipe && (n = fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
    const int rc = pipe ? pclose(pipe) : -1;
    return std::make_pair(rc, text);
  };
  const auto [rc, text] = run(base + " --out " + out_file.string());
  ASSERT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("cmdgen"), std::string::npos) << text;
  std::ifstream in(out_file);
  std::string line;
  std::vector<nlohmann::json> lines;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 5u);
  double per_byte = 0.0;
  for (const auto& j : lines) {
    EXPECT_EQ(j.at("suite"), "cmdgen");
    EXPECT_EQ(j.at("error"), "") << j.dump();
    ASSERT_TRUE(j.at("nll").is_number()) << j.dump();
    const double nll = j.at("nll").get<double>();
    EXPECT_TRUE(std::isfinite(nll) && nll > 0.0) << j.dump();
    EXPECT_GT(j.at("tokens").get<int64_t>(), 0);
    EXPECT_GT(j.at("bytes").get<int64_t>(), 0);
    EXPECT_GT(j.at("prompt_tokens").get<int64_t>(), 1);
    per_byte += nll / j.at("bytes").get<double>() / 5.0;
  }
  const auto [json_rc, json_text] = run(base + " --format json");
  ASSERT_EQ(json_rc, 0) << json_text;
  const nlohmann::json summary = nlohmann::json::parse(json_text);
  EXPECT_EQ(summary.at("suite"), "cmdgen");
  EXPECT_EQ(summary.at("scored"), 5);
  EXPECT_EQ(summary.at("skipped"), 0);
  EXPECT_NEAR(summary.at("nats_per_byte").get<double>(), per_byte, 1e-9);
  const auto ci = summary.at("nats_per_byte_ci95");
  EXPECT_LE(ci.at(0).get<double>(), per_byte);
  EXPECT_GE(ci.at(1).get<double>(), per_byte);
  // The trained model knows its corpus' formats: well under the uniform guess of log(4096) per
  // token (its SentencePiece vocabulary).
  EXPECT_LT(summary.at("nats_per_token").get<double>(), 0.8 * std::log(4096.0));
  // The terminal table says how many were scored.
  EXPECT_NE(text.find(" 5 "), std::string::npos) << text;
}

// stdout of a shell command (stderr as the command line says) and its exit status.
std::pair<int, std::string> shell(const std::string& cmd) {
  std::string text;
  FILE* pipe = popen(cmd.c_str(), "r");
  char buf[4096];
  for (size_t n; pipe && (n = fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  const int status = pipe ? pclose(pipe) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

// A run killed after two of its four examples were stored (the state a kill leaves: rows
// committed one per example, the run still "running") resumes to the printed summary and --out
// file of the uninterrupted run, byte for byte, scoring only the two that were missing; the
// stored run reads back through `show` and `list runs`, and is no evaluation run to compare.
TEST(AnswerLossCommand, AResumedRunPrintsAndWritesWhatTheUninterruptedOneDid) {
  ScratchDir dir;
  const std::string db = (dir / "runs.db").string();
  const std::string cli = std::string(AIMICIUS_BIN) + " --db " + db + " --data-dir " + AIMICIUS_BUNDLED_DATA_DIR;
  const auto whole = shell(cli + " answer-loss --model local:" + AIMICIUS_SOURCE_DIR + "/checkpoints/sigma-mini" +
                           " --suite cmdgen --limit 4 --format json --out " + (dir / "whole.jsonl").string() + " 2>&1");
  ASSERT_EQ(whole.first, 0) << whole.second;
  {
    SqliteDb raw(db, SqliteDb::Mode::kReadWriteCreate);
    raw.exec("DELETE FROM loglikelihoods WHERE run_id = 1 AND position >= 2");
    raw.exec("UPDATE runs SET status = 'running', finished_at = NULL WHERE id = 1");
  }
  const auto err = dir / "resume.err";
  const auto resumed = shell(cli + " -v answer-loss --resume 1 --format json --out " +
                             (dir / "resumed.jsonl").string() + " 2>" + err.string());
  ASSERT_EQ(resumed.first, 0) << resumed.second << aimicius::testing::read_file(err);
  EXPECT_EQ(resumed.second, whole.second);
  const std::string lines = aimicius::testing::read_file(dir / "whole.jsonl");
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 4);
  EXPECT_EQ(aimicius::testing::read_file(dir / "resumed.jsonl"), lines);
  EXPECT_NE(aimicius::testing::read_file(err).find("scoring 2 examples (2 stored already)"), std::string::npos)
      << aimicius::testing::read_file(err);
  // Resuming again: the run is complete.
  EXPECT_EQ(shell(cli + " answer-loss --resume 1 2>&1").first, 2);

  const auto show = shell(cli + " show 1 2>&1");
  ASSERT_EQ(show.first, 0) << show.second;
  EXPECT_NE(show.second.find("nats/byte"), std::string::npos) << show.second;
  EXPECT_NE(show.second.find("\"kind\":\"answer-loss\""), std::string::npos) << show.second;
  const auto list = shell(cli + " list runs 2>&1");
  EXPECT_NE(list.second.find("(answer-loss)"), std::string::npos) << list.second;
  const auto compare = shell(cli + " compare 1 1 2>&1");
  EXPECT_EQ(compare.first, 2);
  EXPECT_NE(compare.second.find("run 1 is an answer-loss run"), std::string::npos) << compare.second;
}

TEST(AnswerLossCommand, RefusesModelsOtherThanLocal) {
  const auto cmd = std::string(AIMICIUS_BIN) + " --data-dir " + AIMICIUS_BUNDLED_DATA_DIR +
                   " answer-loss --model oracle --suite cmdgen 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string text;
  char buf[1024];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  EXPECT_EQ(WEXITSTATUS(pclose(pipe)), 2);
  EXPECT_NE(text.find("--model must be local:DIR"), std::string::npos) << text;
}

}  // namespace
}  // namespace aimicius::runtime

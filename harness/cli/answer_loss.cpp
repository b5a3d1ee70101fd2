// `aimicius answer-loss`: how likely a local model finds each example's reference answer, for
// comparing models too weak to answer right (issue 9's tiny DiffQKV/GQA ablation), as
// lm-evaluation-harness' loglikelihood tasks do. Per example: the negative log-likelihood of the
// oracle backend's answer (the reference) as the continuation of the suite's own prompt (the one
// `aimicius run` sends), from LocalModel::score. Per suite: the mean of nats per answer byte with
// its 95% bootstrap CI (bytes, not tokens, so models with different tokenizers compare), and the
// mean of nats per answer token.
//
// Invariants: examples are the run's (the split's examples in order, the first --limit of them);
// an example that cannot be scored (longer than the model's context) is counted and reported as
// skipped with its reason, never dropped silently and never part of the means; the CI's seed is
// fixed per suite, so the same model and data print the same numbers. The model must be local:
// (the runtime), and builds without LibTorch say so.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "harness/backends/backend_oracle.h"
#include "harness/cli/all_commands.h"
#include "reports/statistics.h"
#include "reports/table.h"
#include "tasks/suite.h"
#ifdef AIMICIUS_HAVE_RUNTIME
#include "harness/backends/backend_local.h"
#include "runtime/local_model.h"
#endif

namespace aimicius {

struct AnswerLossOptions {
  std::string model_spec;           // local:DIR[?...]
  std::vector<std::string> suites;  // empty: every known suite
  std::string split = "test";
  std::optional<int64_t> limit;     // first N examples of each suite, as `run --limit`
  std::filesystem::path out;        // "" = none; else one JSON line per example
  std::string device;               // "" = the spec's (cpu unless it says otherwise)
  std::string format = "terminal";  // terminal | md | json (one object per suite)
};

#ifdef AIMICIUS_HAVE_RUNTIME
namespace {

struct ExampleLoss {
  std::string id;
  double nll = 0.0;
  int64_t tokens = 0, bytes = 0, prompt_tokens = 0;
  std::string error;
};

struct SuiteLoss {
  std::string suite;
  std::vector<ExampleLoss> examples;
  int64_t scored = 0;
  MeanCi nats_per_byte;
  double nats_per_token = 0.0;
};

nlohmann::json example_json(const std::string& suite, const ExampleLoss& e) {
  return {{"suite", suite},
          {"id", e.id},
          {"nll", e.error.empty() ? nlohmann::json(e.nll) : nlohmann::json()},
          {"tokens", e.tokens},
          {"bytes", e.bytes},
          {"prompt_tokens", e.prompt_tokens},
          {"error", e.error}};
}

// The means over the scored examples; the CI seed depends only on the suite's name.
void summarize(SuiteLoss& s) {
  std::vector<double> per_byte;
  double per_token_sum = 0.0;
  for (const auto& e : s.examples) {
    if (!e.error.empty()) continue;
    per_byte.push_back(e.nll / static_cast<double>(e.bytes));
    per_token_sum += e.nll / static_cast<double>(e.tokens);
  }
  s.scored = static_cast<int64_t>(per_byte.size());
  std::mt19937_64 rng(seed_for(kDefaultSeed, "answer-loss/" + s.suite));
  s.nats_per_byte = bootstrap_mean_ci(per_byte, rng);
  s.nats_per_token = per_byte.empty() ? 0.0 : per_token_sum / static_cast<double>(per_byte.size());
}

void print_summary(const std::vector<SuiteLoss>& suites, const AnswerLossOptions& o) {
  if (o.format == "json") {
    for (const auto& s : suites) {
      nlohmann::json skipped = nlohmann::json::array();
      for (const auto& e : s.examples)
        if (!e.error.empty()) skipped.push_back({{"id", e.id}, {"error", e.error}});
      const nlohmann::json j = {{"suite", s.suite},
                                {"split", o.split},
                                {"model", o.model_spec},
                                {"scored", s.scored},
                                {"skipped", static_cast<int64_t>(s.examples.size()) - s.scored},
                                {"nats_per_byte", s.nats_per_byte.mean},
                                {"nats_per_byte_ci95", {s.nats_per_byte.low, s.nats_per_byte.high}},
                                {"nats_per_token", s.nats_per_token},
                                {"skipped_examples", skipped}};
      fmt::print("{}\n", j.dump());
    }
    return;
  }
  Table t;
  t.headers = {"suite", "split", "scored", "skipped", "nats/byte", "95% CI", "nats/token"};
  for (const auto& s : suites) {
    const int64_t skipped = static_cast<int64_t>(s.examples.size()) - s.scored;
    const bool any = s.scored > 0;
    t.rows.push_back({s.suite, o.split, std::to_string(s.scored), std::to_string(skipped),
                      any ? fmt::format("{:.4f}", s.nats_per_byte.mean) : "-",
                      any ? fmt::format("[{:.4f}, {:.4f}]", s.nats_per_byte.low, s.nats_per_byte.high) : "-",
                      any ? fmt::format("{:.4f}", s.nats_per_token) : "-"});
    // Why examples were skipped: the first few, then a count (all of them are in --out).
    int shown = 0;
    for (const auto& e : s.examples) {
      if (e.error.empty()) continue;
      if (shown++ < 3) t.notes.push_back(fmt::format("skipped {}/{}: {}", s.suite, e.id, e.error));
    }
    if (shown > 3) t.notes.push_back(fmt::format("... and {} more skipped in {}", shown - 3, s.suite));
  }
  t.notes.push_back(fmt::format("model {}: -log p of the oracle's answer after the suite's prompt; means over the "
                                "scored examples, 95% percentile bootstrap CI",
                                o.model_spec));
  fmt::print("{}", render_table(t, parse_table_format(o.format)));
}

// The model spec with --device applied: the spec's options are read in order, so a device
// appended last wins over one the spec holds.
std::string with_device(const std::string& spec, const std::string& device) {
  if (device.empty()) return spec;
  return spec + (spec.find('?') == std::string::npos ? "?" : "&") + "device=" + device;
}

}  // namespace
#endif  // AIMICIUS_HAVE_RUNTIME

int command_answer_loss(const GlobalOptions& global, const AnswerLossOptions& o) {
  if (o.model_spec.rfind("local:", 0) != 0)
    throw InputError(fmt::format("answer-loss scores with the local runtime: --model must be local:DIR (got \"{}\")",
                                 o.model_spec));
  if (o.limit && *o.limit < 1) throw InputError(fmt::format("--limit must be at least 1 (got {})", *o.limit));
  if (o.format != "json") parse_table_format(o.format);  // a bad --format fails before the model loads
#ifndef AIMICIUS_HAVE_RUNTIME
  (void)global;
  throw InputError("answer-loss needs the local runtime, which this build lacks: LibTorch was not found at "
                   "configure time (configure with -DAIMICIUS_WITH_TORCH=ON where LibTorch is installed)");
#else
  std::vector<std::string> names = o.suites.empty() ? known_suite_names(global.data_dir) : o.suites;
  if (names.empty())
    throw InputError(fmt::format("no suites in {} (a suite is a folder holding a suite.json)", global.data_dir.string()));
  std::vector<LoadedSuite> loaded;
  for (const auto& name : names) loaded.push_back(load_suite(name, global.data_dir, o.split));
  OracleBackend oracle(loaded);
  LocalBackend backend(with_device(o.model_spec, o.device));
  runtime::LocalModel& model = backend.model();

  std::ofstream out;
  if (!o.out.empty()) {
    out.open(o.out);
    if (!out) throw InputError(fmt::format("cannot write {}", o.out.string()));
  }
  std::vector<SuiteLoss> results;
  for (const auto& s : loaded) {
    const size_t n = o.limit ? std::min<size_t>(static_cast<size_t>(*o.limit), s.examples.size()) : s.examples.size();
    std::vector<GenerationRequest> requests;
    for (size_t i = 0; i < n; ++i)
      requests.push_back({s.suite->name(), s.examples[i].id, s.suite->prompt(s.examples[i])});
    const std::vector<GenerationResult> answers = oracle.generate(requests, GenerationParams{});
    if (global.verbosity > 0) fmt::print(stderr, "answer-loss: {}: scoring {} examples\n", s.suite->name(), n);
    SuiteLoss suite{s.suite->name(), {}, 0, {}, 0.0};
    for (size_t i = 0; i < n; ++i) {
      ExampleLoss e;
      e.id = requests[i].example_id;
      e.bytes = static_cast<int64_t>(answers[i].output.size());
      if (answers[i].error) {
        e.error = *answers[i].error;
      } else if (answers[i].output.empty()) {
        e.error = "the reference answer is empty: nothing to score";
      } else {
        // One example per call: the model scores items one by one anyway, and --out grows as it goes.
        const runtime::ContinuationScore r = model.score({requests[i].prompt}, {answers[i].output})[0];
        e.nll = r.nll;
        e.tokens = r.tokens;
        e.prompt_tokens = r.prompt_tokens;
        e.error = r.error;
        if (e.error.empty() && !std::isfinite(e.nll))
          e.error = fmt::format("the model gave a non-finite log-likelihood ({})", e.nll);
      }
      if (out.is_open()) {
        out << example_json(suite.suite, e).dump() << '\n';
        out.flush();
        if (!out) throw InputError(fmt::format("cannot write {}", o.out.string()));
      }
      suite.examples.push_back(std::move(e));
    }
    summarize(suite);
    results.push_back(std::move(suite));
  }
  print_summary(results, o);
  return 0;
#endif
}

namespace {

class AnswerLossCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "answer-loss", "A local model's log-likelihood of each example's reference answer after the suite's prompt "
                       "(nats per answer byte with 95% CI; for models too weak to answer right)");
    cmd->add_option("--model", options_.model_spec, "local:DIR[?device=cuda&dtype=...]")->required();
    cmd->add_option("--suite", options_.suites, "Suite(s), repeatable or comma-separated (default: all)")
        ->delimiter(',');
    cmd->add_option("--split", options_.split, "Data split")->capture_default_str();
    cmd->add_option("--limit", options_.limit, "Only the first N examples of each suite");
    cmd->add_option("--out", options_.out, "Write one JSON line per example here");
    cmd->add_option("--device", options_.device, "cpu | cuda[:N] (default: the model spec's, else cpu)");
    cmd->add_option("--format", options_.format, "terminal | md | json (one object per suite)")
        ->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_answer_loss(global, options_); }

 private:
  AnswerLossOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_answer_loss_command() { return std::make_unique<AnswerLossCommand>(); }

}  // namespace aimicius

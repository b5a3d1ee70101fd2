#include "harness/runner/answer_loss_run.h"

#include <cmath>
#include <fstream>
#include <map>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "common/errors.h"
#include "harness/backends/backend_oracle.h"
#include "harness/runner/run_record.h"
#include "harness/runner/runner.h"

namespace aimicius {
namespace {

// One example, scored: the reference's log-likelihood after the prompt, or why it has none.
LoglikelihoodRecord score_example(const std::string& suite, const Example& example, int64_t position,
                                  const std::string& prompt, const GenerationResult& reference, Backend& backend) {
  LoglikelihoodRecord r;
  r.suite = suite;
  r.example_id = example.id;
  r.position = position;
  r.bytes = static_cast<int64_t>(reference.output.size());
  if (reference.error) {
    r.error = *reference.error;
    return r;
  }
  if (reference.output.empty()) {
    r.error = "the reference answer is empty: nothing to score";
    return r;
  }
  // One example per call: the model scores items one by one anyway, and the store (and --out)
  // grows as it goes.
  const std::vector<LoglikelihoodResult> scored = backend.loglikelihood({{suite, example.id, prompt, reference.output}});
  if (scored.size() != 1)
    throw std::runtime_error(fmt::format("backend {} returned {} log-likelihoods for 1 request", backend.spec(),
                                         scored.size()));
  r.nll = scored[0].nll;
  r.tokens = scored[0].tokens;
  r.prompt_tokens = scored[0].prompt_tokens;
  if (scored[0].error) r.error = *scored[0].error;
  if (r.error.empty() && !std::isfinite(r.nll))
    r.error = fmt::format("the model gave a non-finite log-likelihood ({})", r.nll);
  return r;
}

}  // namespace

std::string AnswerLossRunOptions::backend_spec() const {
  if (device.empty()) return model_spec;
  return model_spec + (model_spec.find('?') == std::string::npos ? "?" : "&") + "device=" + device;
}

nlohmann::json AnswerLossRunOptions::to_json() const {
  return {{"kind", kRunKindAnswerLoss},
          {"suites", suites},
          {"model", model_spec},
          {"device", device},
          {"split", split},
          {"limit", limit ? nlohmann::json(*limit) : nlohmann::json()},
          {"data_dir", data_dir.string()}};
}

AnswerLossRunOptions AnswerLossRunOptions::from_json(const nlohmann::json& j) {
  AnswerLossRunOptions o;
  o.suites = j.at("suites").get<std::vector<std::string>>();
  o.model_spec = j.at("model").get<std::string>();
  o.device = j.at("device").get<std::string>();
  o.split = j.at("split").get<std::string>();
  if (!j.at("limit").is_null()) o.limit = j.at("limit").get<int64_t>();
  o.data_dir = j.value("data_dir", "");
  return o;
}

AnswerLossPlan plan_answer_loss(const AnswerLossRunOptions& options) {
  if (options.limit && *options.limit < 1)
    throw InputError(fmt::format("--limit must be at least 1 (got {})", *options.limit));
  AnswerLossPlan plan;
  plan.options = options;
  if (plan.options.suites.empty()) plan.options.suites = known_suite_names(options.data_dir);
  if (plan.options.suites.empty())
    throw InputError(fmt::format("no suites in {} (a suite is a folder holding a suite.json)", options.data_dir.string()));
  for (const auto& name : plan.options.suites) plan.suites.push_back(load_suite(name, options.data_dir, options.split));
  return plan;
}

int64_t create_answer_loss_run(Store& store, const AnswerLossPlan& plan, const Backend& backend) {
  // The engine, as an evaluation run records it: log-likelihoods move with the kernel build too.
  return store.create_run(
      describe_run(plan.suites, plan.options.limit, backend, config_with_engine(plan.options.to_json(), backend.engine())));
}

AnswerLossPlan plan_answer_loss_resume(Store& store, int64_t run_id, const std::filesystem::path& data_dir) {
  const auto run = store.find_run(run_id);
  if (!run) throw InputError(fmt::format("no run {} in the database", run_id));
  if (!run->is_answer_loss())
    throw InputError(fmt::format("run {} is an evaluation run, not an answer-loss run: continue it with "
                                 "`aimicius run --resume {}`",
                                 run_id, run_id));
  if (run->status == kRunComplete) throw InputError(fmt::format("run {} is already complete", run_id));
  AnswerLossRunOptions options = AnswerLossRunOptions::from_json(run->config);
  options.data_dir = data_dir;
  AnswerLossPlan plan = plan_answer_loss(options);
  check_suites_unchanged(*run, plan.suites);
  return plan;
}

void execute_answer_loss(Store& store, int64_t run_id, const AnswerLossPlan& plan, Backend& backend,
                         const LoglikelihoodSink& sink, std::FILE* log) {
  run_to_completion(store, run_id, [&] {
    std::map<std::pair<std::string, std::string>, LoglikelihoodRecord> stored;
    for (auto& r : store.loglikelihoods(run_id)) stored.emplace(std::make_pair(r.suite, r.example_id), std::move(r));
    OracleBackend oracle(plan.suites);
    for (const auto& loaded : plan.suites) {
      const Suite& suite = *loaded.suite;
      const size_t n = planned_examples(loaded, plan.options.limit);
      size_t already = 0;
      for (size_t i = 0; i < n; ++i) already += stored.count({suite.name(), loaded.examples[i].id});
      if (log) {
        if (already == 0) fmt::print(log, "answer-loss: {}: scoring {} examples\n", suite.name(), n);
        else fmt::print(log, "answer-loss: {}: scoring {} examples ({} stored already)\n", suite.name(), n - already, already);
      }
      for (size_t i = 0; i < n; ++i) {
        const Example& example = loaded.examples[i];
        if (const auto it = stored.find({suite.name(), example.id}); it != stored.end()) {
          sink(it->second);
          continue;
        }
        const std::string prompt = suite.prompt(example);
        const GenerationResult reference = oracle.generate({{suite.name(), example.id, prompt}}, GenerationParams{})[0];
        LoglikelihoodRecord r = score_example(suite.name(), example, static_cast<int64_t>(i), prompt, reference, backend);
        r.run_id = run_id;
        store.record_loglikelihood(r);
        sink(r);
      }
    }
  });
}

nlohmann::json loglikelihood_json(const LoglikelihoodRecord& r) {
  return {{"suite", r.suite},
          {"id", r.example_id},
          {"nll", r.error.empty() ? nlohmann::json(r.nll) : nlohmann::json()},
          {"tokens", r.tokens},
          {"bytes", r.bytes},
          {"prompt_tokens", r.prompt_tokens},
          {"error", r.error}};
}

int64_t run_answer_loss(Store& store, const AnswerLossRequest& request) {
  AnswerLossPlan plan;
  std::unique_ptr<Backend> backend;
  int64_t run_id = 0;
  if (request.resume) {
    run_id = *request.resume;
    plan = plan_answer_loss_resume(store, run_id, request.run.data_dir);
    backend = make_backend(plan.options.backend_spec(), plan.suites);
    check_resume_backend(*store.find_run(run_id), *backend);
  } else {
    plan = plan_answer_loss(request.run);
    backend = make_backend(plan.options.backend_spec(), plan.suites);
  }
  std::ofstream out;
  if (!request.out.empty()) {
    out.open(request.out);
    if (!out) throw InputError(fmt::format("cannot write {}", request.out.string()));
  }
  if (!request.resume) run_id = create_answer_loss_run(store, plan, *backend);
  if (request.log)
    fmt::print(request.log, "answer-loss run {} ({}); if interrupted, continue with `aimicius answer-loss --resume {}`\n",
               run_id, backend->spec(), run_id);
  const LoglikelihoodSink write_line = [&](const LoglikelihoodRecord& r) {
    if (!out.is_open()) return;
    out << loglikelihood_json(r).dump() << '\n';
    out.flush();
    if (!out) throw InputError(fmt::format("cannot write {}", request.out.string()));
  };
  try {
    execute_answer_loss(store, run_id, plan, *backend, write_line, request.log);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{} (answer-loss run {} stopped; continue it with `aimicius answer-loss --resume {}`)",
                                 e.what(), run_id, run_id));
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{} (answer-loss run {} stopped; continue it with `aimicius answer-loss "
                                         "--resume {}`)",
                                         e.what(), run_id, run_id));
  }
  return run_id;
}

}  // namespace aimicius

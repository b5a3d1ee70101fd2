#include "harness/runner/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/sha256.h"
#include "harness/runner/run_record.h"
#include "harness/runner/text_embedder_loader.h"
#include "scorers/sandbox/sandbox.h"

namespace aimicius {
namespace {

// The most of one answer kept and judged (see judge()).
constexpr size_t kMaxAnswerBytes = size_t{1} << 20;

// One example after generation, extraction and scoring: everything record_example writes.
struct Outcome {
  PredictionRecord prediction;
  std::vector<ScoreRecord> scores;
};

// A generated answer to judge: extraction and scoring are pure functions of the example and the
// result, so this runs on any scoring thread while the writer thread alone writes.
Outcome judge(const Suite& suite, const Example& ex, const std::string& prompt, GenerationResult r, int64_t run_id,
              const ScoringContext& context) {
  Outcome out;
  PredictionRecord& p = out.prediction;
  p.run_id = run_id;
  p.suite = suite.name();
  p.example_id = ex.id;
  p.subset = suite.subset(ex);
  p.prompt_sha256 = sha256_hex(prompt);
  p.prompt = prompt;
  p.reference = suite.extract_answer(suite.oracle_output(ex));
  // An answer past kMaxAnswerBytes (a replay line, a runaway model) is the example's error,
  // scored as no answer, and only its first kMaxAnswerBytes are stored: a 200 MB answer once took
  // a minute and 840 MB of database.
  if (!r.error && r.output.size() > kMaxAnswerBytes) {
    r.error = fmt::format("{}: example \"{}\": the answer is {} bytes, more than the {} an answer may have: not "
                          "scored as one", ex.origin, ex.id, r.output.size(), kMaxAnswerBytes);
    r.output.resize(kMaxAnswerBytes);
  }
  p.raw_output = std::move(r.output);
  if (!r.error) {
    try {
      p.answer = suite.extract_answer(p.raw_output);
    } catch (const std::exception& e) {  // any output, however strange, is at most this example's error
      r.error = fmt::format("{}: example \"{}\": answer extraction failed: {}", ex.origin, ex.id, e.what());
    }
  }
  p.tokens_in = r.tokens_in;
  p.tokens_out = r.tokens_out;
  p.latency_ms = r.latency_ms;
  p.cached = r.cached;
  p.cost_usd = r.cost_usd;
  p.error = std::move(r.error);
  p.infra_error = r.infra_error;
  if (p.infra_error) return out;  // no answer to judge: no scores (out of every mean)
  std::vector<ScoreRow> rows;
  try {
    rows = suite.score(ex, p.answer, context);
  } catch (const SandboxUnavailable&) {
    throw;  // the machine cannot execute anything: every later example would fail the same way
  } catch (const InfraError& e) {
    // The harness failed on this example (its sandbox, its host, its own limit): not judged.
    const std::string why =
        fmt::format("{}: example \"{}\": infrastructure error while scoring: {}", ex.origin, ex.id, e.what());
    p.error = p.error ? *p.error + "; " + why : why;
    p.infra_error = true;
    return out;
  } catch (const std::exception& e) {
    // A scorer failing (its reference does not run, its query errors) is a data problem of this
    // one example: it becomes the example's error, stored with its output, and the run goes on.
    // Its metrics get no rows, so reports count it as an error rather than as a wrong answer.
    const std::string why = fmt::format("{}: example \"{}\": scoring failed: {}", ex.origin, ex.id, e.what());
    p.error = p.error ? *p.error + "; " + why : why;
    rows.clear();
  }
  for (auto& s : rows) out.scores.push_back({std::move(s.metric), s.value, std::move(s.detail)});
  return out;
}

// How much of the wall time at least one generate() call was running (with --jobs > 1 calls
// overlap: the union is counted), for the progress line's "generating" share.
class BusyClock {
 public:
  void enter() {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_flight_++ == 0) since_ = std::chrono::steady_clock::now();
  }
  void leave() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--in_flight_ == 0) busy_ += std::chrono::steady_clock::now() - since_;
  }
  double busy_seconds() const {
    std::lock_guard<std::mutex> lock(mu_);
    auto busy = busy_;
    if (in_flight_ > 0) busy += std::chrono::steady_clock::now() - since_;
    return std::chrono::duration<double>(busy).count();
  }

 private:
  mutable std::mutex mu_;
  int in_flight_ = 0;
  std::chrono::steady_clock::time_point since_;
  std::chrono::steady_clock::duration busy_{};
};

// Thrown from GenerationParams::on_result to end a backend call early when the run stops (another
// stage failed). Not a std::exception, so that no backend mistakes it for its own failure and
// turns it into results.
struct RunStopped {};

// A generated result waiting for a scoring thread.
struct Generated {
  const Example* example;
  std::string prompt;
  GenerationResult result;
};

// Runs the pending examples of one suite as a pipeline of three stages with queues between them:
// `jobs` generation workers (each hands the backend one call of requests_per_call examples and
// passes each result on as soon as it is final: GenerationParams::on_result, or when the call
// returns), scoring threads (extraction and execution run while the backend generates), and this
// thread, the only writer (one transaction per example). An exception in any stage stops the
// others and is rethrown here after every thread has joined; what was written stays written.
void execute_suite(Store& store, int64_t run_id, const LoadedSuite& loaded, const RunOptions& options,
                   const ScoringContext& context, bool retry_infra_errors, Backend& backend, Progress& progress) {
  const Suite& suite = *loaded.suite;
  const std::string name = suite.name();
  auto stored = store.stored_example_ids(run_id, name);
  if (retry_infra_errors)  // those examples are pending again; record_example replaces their rows
    for (const auto& id : store.infra_error_example_ids(run_id, name)) stored.erase(id);
  const size_t planned = planned_examples(loaded, options.limit);
  const int64_t per_call = std::max<int64_t>(1, backend.requests_per_call(options.batch_size));
  std::vector<std::vector<const Example*>> calls;
  int64_t already = 0;
  for (size_t i = 0; i < planned; ++i) {
    const Example& ex = loaded.examples[i];
    if (stored.count(ex.id)) {
      ++already;
      continue;
    }
    if (calls.empty() || static_cast<int64_t>(calls.back().size()) >= per_call) calls.emplace_back();
    calls.back().push_back(&ex);
  }
  progress.start(name, static_cast<int64_t>(planned), already);
  if (calls.empty()) {
    progress.finish();
    return;
  }

  const PromptStyle style = backend.prompt_style();
  SuiteGeneration generation = suite_generation(*loaded.suite, options, style);
  GenerationParams params;
  params.seed = options.seed;
  params.max_new_tokens = generation.max_new_tokens;
  params.temperature = options.temperature;
  params.stop = std::move(generation.stop);
  params.max_active = options.batch_size;

  std::mutex mu;
  std::condition_variable to_score_ready, to_write_ready;
  std::deque<Generated> to_score;
  std::deque<Outcome> to_write;
  std::exception_ptr stage_error;
  std::atomic<bool> stop{false};
  std::atomic<size_t> next_call{0};
  const int generator_count = std::max(1, std::min<int>(options.jobs, static_cast<int>(calls.size())));
  // Scoring is CPU work (sandboxed executions, SQLite, embeddings): one thread per core, at least
  // as many as --jobs so that API runs judge as fast as they receive, never more than examples.
  size_t example_count = 0;
  for (const auto& call : calls) example_count += call.size();
  const int scorer_count = std::max(
      1, std::min(static_cast<int>(std::min<size_t>(example_count, kMaxJobs)),
                  std::max(options.jobs, static_cast<int>(std::min(16u, std::thread::hardware_concurrency())))));
  // Workers running, guarded by `mu`: counted as each one starts, so that a thread the system
  // refuses leaves the others a count they can reach 0 from.
  int generating = 0;
  int scoring = 0;
  BusyClock busy;

  auto fail = [&](std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mu);
    if (!stage_error) stage_error = e;
    stop = true;
    to_score_ready.notify_all();
    to_write_ready.notify_all();
  };
  auto pass_on = [&](Generated g) {
    std::lock_guard<std::mutex> lock(mu);
    to_score.push_back(std::move(g));
    to_score_ready.notify_one();
  };

  auto generate_worker = [&] {
    try {
      for (size_t c; !stop && (c = next_call++) < calls.size();) {
        const auto& examples = calls[c];
        std::vector<GenerationRequest> requests;
        requests.reserve(examples.size());
        for (const Example* ex : examples) requests.push_back(build_request(suite, *ex, style));
        std::vector<char> passed(examples.size(), 0);
        GenerationParams call = params;
        call.on_result = [&](size_t i, const GenerationResult& r) {
          if (stop) throw RunStopped{};  // another stage failed: end this (possibly suite-long) call now
          if (i >= examples.size() || passed[i]) return;  // a backend's mistake; the returned result decides
          passed[i] = 1;
          pass_on({examples[i], requests[i].prompt, r});
        };
        std::vector<GenerationResult> results;
        busy.enter();
        try {
          results = backend.generate(requests, call);
        } catch (const RunStopped&) {
          busy.leave();
          break;
        } catch (const std::exception& e) {
          // A backend that throws is unusable (backend.h), which says nothing of the model's
          // answers: every example not yet passed on is an infra_error; the run goes on and
          // --retry-errors redoes them.
          results.assign(examples.size(), GenerationResult{});
          for (auto& r : results) {
            r.error = fmt::format("backend error: {}", e.what());
            r.infra_error = true;
          }
        }
        busy.leave();
        if (results.size() != examples.size())
          throw std::runtime_error(fmt::format("backend {} returned {} results for {} requests", backend.spec(),
                                               results.size(), examples.size()));
        for (size_t i = 0; i < examples.size(); ++i)
          if (!passed[i]) pass_on({examples[i], std::move(requests[i].prompt), std::move(results[i])});
      }
    } catch (...) {
      fail(std::current_exception());
    }
    std::lock_guard<std::mutex> lock(mu);
    --generating;
    to_score_ready.notify_all();
  };

  auto score_worker = [&] {
    try {
      while (true) {
        Generated g;
        {
          std::unique_lock<std::mutex> lock(mu);
          to_score_ready.wait(lock, [&] { return stop || !to_score.empty() || generating == 0; });
          if (stop || to_score.empty()) break;
          g = std::move(to_score.front());
          to_score.pop_front();
        }
        Outcome o = judge(suite, *g.example, g.prompt, std::move(g.result), run_id, context);
        std::lock_guard<std::mutex> lock(mu);
        to_write.push_back(std::move(o));
        to_write_ready.notify_one();
      }
    } catch (...) {
      fail(std::current_exception());
    }
    std::lock_guard<std::mutex> lock(mu);
    --scoring;
    to_write_ready.notify_all();
  };

  std::vector<std::thread> threads;
  const auto start = [&](int& running, const auto& worker) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++running;
    }
    try {
      threads.emplace_back(worker);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      --running;
      throw;
    }
  };
  try {
    for (int i = 0; i < generator_count; ++i) start(generating, generate_worker);
    for (int i = 0; i < scorer_count; ++i) start(scoring, score_worker);
  } catch (const std::system_error& e) {  // the process's thread limit: the started ones end, then the error
    fail(std::make_exception_ptr(InputError(fmt::format(
        "cannot start {} generation and {} scoring threads ({} started): {}; use a smaller --jobs", generator_count,
        scorer_count, threads.size(), e.what()))));
  }

  try {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      // What is judged is written even after another stage failed: only the writer's own failure
      // (below) leaves judged examples unwritten, and --resume redoes those.
      to_write_ready.wait(lock, [&] { return !to_write.empty() || scoring == 0; });
      if (to_write.empty()) break;
      Outcome o = std::move(to_write.front());
      to_write.pop_front();
      lock.unlock();
      const int64_t tokens = o.prediction.tokens_out;
      store.record_example(o.prediction, o.scores);
      progress.advance(1, tokens, busy.busy_seconds());
      lock.lock();
    }
  } catch (...) {
    fail(std::current_exception());
  }
  for (auto& t : threads) t.join();
  if (stage_error) std::rethrow_exception(stage_error);
  progress.finish();
}

nlohmann::json prompt_style_json(const PromptStyle& style) {
  return {{"chat", style.chat}, {"fewshot", std::string(fewshot_layout_name(style.fewshot))}};
}

}  // namespace

SuiteGeneration suite_generation(const Suite& suite, const RunOptions& options, const PromptStyle& style) {
  SuiteGeneration g;
  g.max_new_tokens = options.max_new_tokens.value_or(suite.max_new_tokens().value_or(kDefaultMaxNewTokens));
  g.stop = suite.stop_sequences(style.chat);
  return g;
}

GenerationRequest build_request(const Suite& suite, const Example& ex, const PromptStyle& style) {
  GenerationRequest request{suite.name(), ex.id, ""};
  if (style.chat && style.fewshot == FewshotLayout::kTurns) {
    request.messages = suite.prompt_turns(ex);
    request.prompt = render_turns_plain(request.messages);
  } else {
    request.prompt = suite.prompt(ex);  // a chat backend sends it as the one user turn
  }
  return request;
}

nlohmann::json RunOptions::to_json() const {
  nlohmann::json j = {{"suites", suites}, {"model", model_spec},   {"limit", limit ? nlohmann::json(*limit) : nlohmann::json()},
          {"seed", seed},     {"split", split},        {"batch_size", batch_size},
          {"jobs", jobs},     {"data_dir", data_dir.string()}, {"max_new_tokens", max_new_tokens ? nlohmann::json(*max_new_tokens) : nlohmann::json()},
          {"temperature", temperature}};
  if (shard) j["shard"] = shard->to_json();
  if (!devices.empty()) j["devices"] = devices;
  return j;
}

nlohmann::json run_identity_config(const nlohmann::json& config) {
  nlohmann::json identity = config;
  // engine: shards of one run may run on machines with other CPU kernel builds (merge records each).
  for (const char* key : {"jobs", "devices", "data_dir", "shard", "merged_shards", "engine"}) identity.erase(key);
  return identity;
}

RunOptions RunOptions::from_json(const nlohmann::json& j) {
  RunOptions o;
  o.suites = j.at("suites").get<std::vector<std::string>>();
  o.model_spec = j.at("model").get<std::string>();
  if (!j.at("limit").is_null()) o.limit = j.at("limit").get<int64_t>();
  o.seed = j.at("seed").get<uint64_t>();
  o.split = j.at("split").get<std::string>();
  o.batch_size = j.at("batch_size").get<int64_t>();
  o.jobs = j.value("jobs", 1);
  // Runs stored before suites stated their budgets hold the value they ran with (256 by default).
  if (j.contains("max_new_tokens") && !j.at("max_new_tokens").is_null())
    o.max_new_tokens = j.at("max_new_tokens").get<int64_t>();
  else if (!j.contains("max_new_tokens"))
    o.max_new_tokens = kDefaultMaxNewTokens;
  o.temperature = j.value("temperature", 0.0);
  o.data_dir = j.value("data_dir", "");
  if (j.contains("shard")) o.shard = Shard::from_json(j.at("shard"));
  return o;
}

RunPlan plan_run(const RunOptions& options) {
  if (options.jobs < 1) throw InputError(fmt::format("--jobs must be at least 1 (got {})", options.jobs));
  if (options.jobs > kMaxJobs)
    throw InputError(fmt::format("--jobs must be at most {} (got {}): each job is a thread", kMaxJobs, options.jobs));
  if (options.limit && *options.limit < 1)
    throw InputError(fmt::format("--limit must be at least 1 (got {})", *options.limit));
  if (options.batch_size < 1) throw InputError("batch size must be at least 1");
  {
    GenerationParams params;
    params.max_new_tokens = options.max_new_tokens.value_or(kDefaultMaxNewTokens);
    params.temperature = options.temperature;
    check_generation_params(params);
  }
  RunPlan plan;
  plan.options = options;
  if (plan.options.suites.empty()) plan.options.suites = known_suite_names(options.data_dir);
  if (plan.options.suites.empty())
    throw InputError(fmt::format("no suites in {} (a suite is a folder holding a suite.json)", options.data_dir.string()));
  for (const auto& name : plan.options.suites) {
    LoadedSuite loaded = load_suite(name, options.data_dir, options.split);
    const size_t planned = planned_examples(loaded, options.limit);
    plan.unsharded_examples[name] = planned;
    if (options.shard) {  // the --limit cut first, then the split: the shards' union is the whole run
      loaded.examples.resize(planned);
      auto& exs = loaded.examples;
      exs.erase(std::remove_if(exs.begin(), exs.end(), [&](const Example& ex) { return !in_shard(options.shard, name, ex.id); }),
                exs.end());
    }
    plan.suites.push_back(std::move(loaded));
  }
  bool executes = false, embeds = false;
  for (const auto& s : plan.suites) {
    executes = executes || s.suite->needs_sandbox();
    embeds = embeds || s.suite->needs_embedder();
  }
  if (embeds) {
    plan.embedder = options.embedder ? options.embedder : load_text_embedder(options.encoder_dir);
    plan.context.embedder = plan.embedder.get();
  }
  if (executes) {
    if (!std::filesystem::exists(options.hostsim_binary))
      throw InputError(fmt::format("the simulated host tools ({}) are missing: build the aimicius-hostsim target",
                                   options.hostsim_binary.string()));
    try {
      plan.sandbox = std::make_shared<const Sandbox>();
    } catch (const SandboxUnavailable& e) {
      throw InputError(e.what());
    }
    plan.context.sandbox = plan.sandbox.get();
    plan.context.hostsim_binary = options.hostsim_binary;
    plan.context.hosts_dir = options.hosts_dir.empty() ? options.data_dir / "hosts" : options.hosts_dir;
  }
  // What scoring will need (host profiles) is checked now, for every example: a bad suite stops
  // here, before a run is created.
  for (const auto& s : plan.suites)
    for (const auto& ex : s.examples) s.suite->check_context(ex, plan.context);
  return plan;
}

int64_t create_run(Store& store, const RunPlan& plan, const Backend& backend) {
  const PromptStyle style = backend.prompt_style();
  nlohmann::json config = plan.options.to_json();
  config["prompt_style"] = prompt_style_json(style);
  if (const std::string engine = backend.engine(); !engine.empty()) config["engine"] = engine;
  NewRun run = describe_run(plan.suites, plan.options.limit, backend, std::move(config));
  for (const auto& s : plan.suites) {
    const SuiteGeneration g = suite_generation(*s.suite, plan.options, style);
    run.suites[s.suite->name()]["generation"] = {{"max_new_tokens", g.max_new_tokens}, {"stop", g.stop}};
    if (plan.options.shard) run.suites[s.suite->name()]["unsharded_examples"] = plan.unsharded_examples.at(s.suite->name());
  }
  return store.create_run(run);
}

RunPlan plan_resume(Store& store, int64_t run_id, const std::filesystem::path& data_dir, int jobs,
                    const std::filesystem::path& hostsim_binary, const std::filesystem::path& encoder_dir,
                    const std::filesystem::path& hosts_dir, bool retry_infra_errors) {
  auto run = store.find_run(run_id);
  if (!run) throw InputError(fmt::format("no run {} in the database", run_id));
  if (run->is_answer_loss())
    throw InputError(fmt::format("run {} is an answer-loss run: continue it with `aimicius answer-loss --resume {}`",
                                 run_id, run_id));
  if (run->status == kRunComplete) {
    const int64_t not_judged = store.infra_error_count(run_id);
    if (not_judged == 0) throw InputError(fmt::format("run {} is already complete", run_id));
    if (!retry_infra_errors)
      throw InputError(fmt::format("run {} is complete but {} example{} not judged (infrastructure errors): "
                                   "run them again with `aimicius run --resume {} --retry-errors`",
                                   run_id, not_judged, not_judged == 1 ? " was" : "s were", run_id));
  }
  RunOptions options = RunOptions::from_json(run->config);
  options.data_dir = data_dir;
  options.jobs = jobs;
  options.hostsim_binary = hostsim_binary;
  options.encoder_dir = encoder_dir;
  options.hosts_dir = hosts_dir;
  RunPlan plan = plan_run(options);
  check_suites_unchanged(*run, plan.suites);
  plan.retry_infra_errors = retry_infra_errors;
  return plan;
}

nlohmann::json config_with_engine(nlohmann::json config, const std::string& engine) {
  std::vector<std::string> engines;
  const auto add = [&](const std::string& all) {
    for (size_t at = 0; at <= all.size();) {
      const size_t end = std::min(all.find("; ", at), all.size());
      if (std::string e = all.substr(at, end - at); !e.empty() && std::find(engines.begin(), engines.end(), e) == engines.end())
        engines.push_back(std::move(e));
      at = end + 2;
    }
  };
  if (config.is_object() && config.contains("engine") && config.at("engine").is_string())
    add(config.at("engine").get<std::string>());
  add(engine);
  if (!engines.empty()) config["engine"] = fmt::format("{}", fmt::join(engines, "; "));
  return config;
}

void check_resume_backend(const RunRecord& run, const Backend& backend) {
  if (run.model_hash != backend.content_hash())
    throw InputError(fmt::format("run {}: model {} changed since the run started (content hash {} != {})",
                                 run.id, run.model_spec, backend.content_hash(), run.model_hash));
  if (run.config.is_object() && run.config.contains("prompt_style") &&
      run.config.at("prompt_style") != prompt_style_json(backend.prompt_style()))
    throw InputError(fmt::format("run {}: model {} builds its prompts differently now ({} != {} recorded)", run.id,
                                 run.model_spec, prompt_style_json(backend.prompt_style()).dump(),
                                 run.config.at("prompt_style").dump()));
}

void execute_run(Store& store, int64_t run_id, const RunPlan& plan, Backend& backend, Progress& progress) {
  run_to_completion(store, run_id, [&] {
    for (const auto& loaded : plan.suites)
      execute_suite(store, run_id, loaded, plan.options, plan.context, plan.retry_infra_errors, backend, progress);
  });
}

}  // namespace aimicius

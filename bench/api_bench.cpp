// `aimicius bench api`: what the harness itself costs per example on the API path. An in-process
// HTTP server on loopback answers every chat completion at once (with the right answer), and the
// real path runs against it: OpenAIBackend (libcurl, JSON, retries; no rate limit, no cache) inside
// the Runner (workers, extraction, scoring, one SQLite transaction per example) on a generated
// suite (bench/synthetic_suite.h), for each --jobs value. Reported per jobs value, as medians of
// the repeats: examples/s and wall ms per example for the whole run, and for the backend alone
// (generate() over the same batches, no scoring or store), so the cost of scoring and storing
// is the difference. Each repeat uses a fresh database and no response cache.
//
// The server shares the machine's cores with the harness, so these figures are upper bounds on
// the harness's own cost.
#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "bench/bench_commands.h"
#include "bench/bench_stats.h"
#include "bench/loopback_server.h"
#include "bench/synthetic_suite.h"
#include "common/errors.h"
#include "common/temp_dir.h"
#include "harness/backends/backend_openai.h"
#include "harness/runner/runner.h"
#include "reports/table.h"

namespace aimicius {
namespace {

constexpr const char* kSuite = "apibench";

// Answers /v1/chat/completions at once, with the right answer.
void add_instant_route(httplib::Server& server) {
  server.Post("/v1/chat/completions", [](const httplib::Request& req, httplib::Response& res) {
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    std::string prompt;
    if (body.is_object() && body.contains("messages") && body["messages"].is_array() && !body["messages"].empty())
      prompt = body["messages"].back().value("content", "");
    const nlohmann::json reply = {
        {"id", "bench"},
        {"object", "chat.completion"},
        {"choices", {{{"index", 0},
                      {"message", {{"role", "assistant"}, {"content", synthetic_answer(synthetic_number_in(prompt))}}},
                      {"finish_reason", "stop"}}}},
        {"usage", {{"prompt_tokens", static_cast<int64_t>(prompt.size() / 4)}, {"completion_tokens", 3}}}};
    res.set_content(reply.dump(), "application/json");
  });
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The whole run: plan, record, generate, extract, score, store. Returns seconds.
double time_run(const std::filesystem::path& db, const RunOptions& options, int64_t& errors) {
  std::filesystem::remove(db);
  Store store = Store::open_for_write(db.string());
  const RunPlan plan = plan_run(options);
  auto backend = make_backend(options.model_spec, plan.suites);
  Progress quiet(stderr, Progress::Style::kQuiet);
  const auto start = std::chrono::steady_clock::now();
  const int64_t id = create_run(store, plan, *backend);
  execute_run(store, id, plan, *backend, quiet);
  const double s = seconds_since(start);
  errors = 0;
  for (const auto& c : store.suite_counts(id)) errors += c.errors;
  return s;
}

// The backend alone over the same batches with the same number of workers. Returns seconds.
double time_backend(const RunOptions& options, int64_t& errors) {
  const RunPlan plan = plan_run(options);
  auto backend = make_backend(options.model_spec, plan.suites);
  const LoadedSuite& loaded = plan.suites.at(0);
  std::vector<std::vector<GenerationRequest>> batches;
  for (const auto& ex : loaded.examples) {
    if (batches.empty() || static_cast<int64_t>(batches.back().size()) >= options.batch_size) batches.emplace_back();
    batches.back().push_back(build_request(*loaded.suite, ex, backend->prompt_style()));  // as the runner builds it
  }
  GenerationParams params;
  params.stop = suite_generation(*loaded.suite, options, backend->prompt_style()).stop;
  std::atomic<size_t> next{0};
  std::atomic<int64_t> failed{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int j = 0; j < options.jobs; ++j)
    workers.emplace_back([&] {
      for (size_t b; (b = next++) < batches.size();)
        for (const auto& r : backend->generate(batches[b], params))
          if (r.error) ++failed;
    });
  for (auto& w : workers) w.join();
  errors = failed;
  return seconds_since(start);
}

}  // namespace

int command_bench_api(const BenchApiOptions& o) {
  if (o.jobs.empty() || o.examples < 1 || o.repeats < 1 || o.batch_size < 1)
    throw InputError("bench api: --jobs, --examples, --repeats and --batch-size must be >= 1");
  for (int j : o.jobs)
    if (j < 1) throw InputError(fmt::format("bench api: --jobs values must be >= 1 (got {})", j));
  const int max_jobs = *std::max_element(o.jobs.begin(), o.jobs.end());
  const TempDir tmp("aimicius-bench-api-");
  write_synthetic_suite(tmp.path() / "suites", kSuite, o.examples);
  LoopbackServer server(max_jobs + 4);
  add_instant_route(server.http());
  server.start();

  Table t;
  t.headers = {"jobs", "run examples/s", "run ms/example", "backend-only examples/s", "backend-only ms/example",
               "scoring+store ms/example"};
  int64_t total_errors = 0;
  for (int jobs : o.jobs) {
    RunOptions options;
    options.suites = {kSuite};
    options.data_dir = tmp.path() / "suites";
    options.model_spec = fmt::format("openai:bench@http://127.0.0.1:{}/v1?retries=0", server.port());
    options.jobs = jobs;
    options.batch_size = o.batch_size;
    int64_t errors = 0;
    time_run(tmp.path() / "warmup.db", options, errors);  // connections, page cache, allocator
    std::vector<double> run_s, backend_s;
    for (int r = 0; r < o.repeats; ++r) {
      run_s.push_back(time_run(tmp.path() / fmt::format("run{}.db", r), options, errors));
      total_errors += errors;
      backend_s.push_back(time_backend(options, errors));
      total_errors += errors;
    }
    const double run = median(run_s), backend = median(backend_s);
    const double n = o.examples;
    t.rows.push_back({std::to_string(jobs), fmt::format("{:.0f}", n / run), fmt::format("{:.3f}", 1e3 * run / n),
                      fmt::format("{:.0f}", n / backend), fmt::format("{:.3f}", 1e3 * backend / n),
                      fmt::format("{:.3f}", 1e3 * (run - backend) / n)});
  }
  t.notes.push_back(fmt::format("{} examples, batch size {}, median of {} repeats, {} hardware threads; the server "
                                "answers at once on 127.0.0.1 and shares the cores",
                                o.examples, o.batch_size, o.repeats, std::thread::hardware_concurrency()));
  if (total_errors) t.notes.push_back(fmt::format("{} examples FAILED (see the server)", total_errors));
  fmt::print("{}", render_table(t, parse_table_format(o.format)));
  return total_errors ? 1 : 0;
}

}  // namespace aimicius

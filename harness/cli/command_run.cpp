#include <fmt/format.h>

#include "harness/cli/commands.h"
#include "reports/run_tables.h"

namespace aimicius {

int command_run(const GlobalOptions& global, RunCommandOptions options) {
  const TableFormat format = parse_table_format(options.format);
  Store store = Store::open_for_write(global.db_path);
  Progress progress(stderr, Progress::style_for(stderr));

  RunPlan plan;
  int64_t run_id = 0;
  std::unique_ptr<Backend> backend;
  BackendOptions backend_options;
  if (!options.no_cache) backend_options.cache_db = global.db_path;
  if (options.resume) {
    run_id = *options.resume;
    plan = plan_resume(store, run_id, global.data_dir, options.run.jobs, global.hostsim_binary, global.encoder_dir,
                       global.hosts_dir);
    backend = make_backend(plan.options.model_spec, plan.suites, backend_options);
    check_resume_backend(*store.find_run(run_id), *backend);
    fmt::print(stderr, "resuming run {} ({}) into {}\n", run_id, backend->spec(), global.db_path);
  } else {
    options.run.data_dir = global.data_dir;
    options.run.hostsim_binary = global.hostsim_binary;
    options.run.encoder_dir = global.encoder_dir;
    options.run.hosts_dir = global.hosts_dir;
    plan = plan_run(options.run);
    backend = make_backend(plan.options.model_spec, plan.suites, backend_options);
    run_id = create_run(store, plan, *backend);
    fmt::print(stderr, "run {} ({}) into {}; if interrupted, continue with `aimicius run --resume {}`\n",
               run_id, backend->spec(), global.db_path, run_id);
  }
  if (global.verbosity > 0)
    for (const auto& s : plan.suites)
      fmt::print(stderr, "  {} v{}: {} examples, data sha256 {}\n", s.suite->name(), s.suite->version(),
                 s.examples.size(), s.manifest.data_sha256());

  execute_run(store, run_id, plan, *backend, progress);
  const auto run = store.find_run(run_id);
  fmt::print("{}", render_table(run_score_table(store, *run), format));
  return 0;
}

}  // namespace aimicius

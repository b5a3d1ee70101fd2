// The subcommands of the `aimicius` CLI. Each takes its parsed options and returns the process
// exit code; InputError escapes to main(), which prints it and exits with 2.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/runner.h"

namespace aimicius {

struct GlobalOptions {
  std::string db_path = "aimicius.db";
  std::filesystem::path data_dir;
  int verbosity = 0;
};

struct RunCommandOptions {
  RunOptions run;
  std::optional<int64_t> resume;
  std::string format = "terminal";
};

int command_run(const GlobalOptions& global, RunCommandOptions options);
int command_list(const GlobalOptions& global, const std::string& what);
int command_show(const GlobalOptions& global, int64_t run_id);
int command_report(const GlobalOptions& global, const std::vector<int64_t>& run_ids, bool all_runs,
                   const std::string& format);
int command_compare(const GlobalOptions& global, int64_t run_a, int64_t run_b, const std::string& format);
int command_manifest(const GlobalOptions& global, const std::filesystem::path& suite_dir);

}  // namespace aimicius

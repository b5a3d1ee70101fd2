// `aimicius list suites|models|runs`: the suites of the data folder (with their version and test
// examples; a suite whose data is unusable is listed with the reason), the kinds of model spec and
// the models the database has runs of, or the stored runs.
#include <map>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "harness/backends/backend.h"
#include "harness/cli/all_commands.h"
#include "harness/store/store.h"
#include "reports/run_tables.h"
#include "reports/table.h"
#include "tasks/suite.h"

namespace aimicius {
namespace {

int list_suites(const GlobalOptions& global) {
  Table t;
  t.headers = {"Suite", "Version", "Examples (test)", "Description"};
  for (const auto& name : known_suite_names(global.data_dir)) {
    try {
      const auto loaded = load_suite(name, global.data_dir, "test");
      t.rows.push_back({name, loaded.suite->version(), std::to_string(loaded.examples.size()),
                        loaded.suite->description()});
    } catch (const InputError& e) {
      t.rows.push_back({name, "-", "-", fmt::format("data not usable: {}", e.what())});
    }
  }
  t.notes.push_back(fmt::format("data: {}", global.data_dir.string()));
  fmt::print("{}", render_table(t, TableFormat::kTerminal));
  return 0;
}

int list_models(const GlobalOptions& global) {
  Table kinds;
  kinds.headers = {"Model spec", "What it is"};
  for (const auto& [spec, what] : backend_kinds()) kinds.rows.push_back({spec, what});
  fmt::print("{}", render_table(kinds, TableFormat::kTerminal));
  if (!input_file_present(global.db_path)) return 0;  // a dangling link is opened, and named
  Store store = Store::open_for_read(global.db_path);
  std::map<std::string, int64_t> runs_per_model;
  for (const auto& r : store.list_runs()) ++runs_per_model[model_label(r)];
  Table seen;
  seen.headers = {"Model in " + global.db_path, "Runs"};
  for (const auto& [model, n] : runs_per_model) seen.rows.push_back({model, std::to_string(n)});
  fmt::print("\n{}", render_table(seen, TableFormat::kTerminal));
  return 0;
}

int command_list(const GlobalOptions& global, const std::string& what) {
  if (what == "suites") return list_suites(global);
  if (what == "models") return list_models(global);
  if (what == "runs") {
    Store store = Store::open_for_read(global.db_path);
    fmt::print("{}", render_table(runs_table(store.list_runs()), TableFormat::kTerminal));
    return 0;
  }
  throw InputError(fmt::format("cannot list \"{}\" (suites, models, runs)", what));
}

class ListCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("list", "List suites, models or runs");
    cmd->add_option("what", what_, "suites | models | runs")
        ->required()
        ->check(CLI::IsMember({"suites", "models", "runs"}));
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_list(global, what_); }

 private:
  std::string what_;
};

}  // namespace

std::unique_ptr<Command> make_list_command() { return std::make_unique<ListCommand>(); }

}  // namespace aimicius

// `aimicius audit`: how far each metric of a suite can be trusted. Scores the right and wrong
// answers that each example's scorers derive from its reference (harness/runner/audit.h) and prints,
// per metric, the false-accept and false-reject rates, the mean score of right and of wrong answers,
// how often a wrong answer outranks a right one, and the misjudged answers themselves.
// With --max-false-accept / --max-false-reject it is a check: exit 1 when a suite's headline
// exceeds either (ctest runs it so on the dev split; docs/VALIDITY.md).
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "harness/runner/audit.h"
#include "harness/runner/runner.h"
#include "reports/table.h"

namespace aimicius {
namespace {

struct AuditCliOptions {
  std::vector<std::string> suites;
  std::string split = "dev";
  std::optional<int64_t> limit;
  int jobs = 2;
  double accept_at = 1.0;
  int examples = 3;
  std::optional<double> max_false_accept, max_false_reject;
  std::string json_path;
  std::string format = "terminal";
};

std::string percent(int64_t part, int64_t whole) {
  return whole ? fmt::format("{:.1f}", 100.0 * static_cast<double>(part) / static_cast<double>(whole)) : "-";
}

std::string role_of(const MetricAudit& m) {
  if (m.headline) return "headline";
  return m.paper ? "paper" : "aimicius";
}

Table metric_table(const SuiteAudit& a) {
  Table t;
  t.headers = {"metric", "role", "false accept %", "wrong", "false reject %", "right",
               "mean right", "mean wrong", "inversions %", "oracle %"};
  for (const auto& m : a.metrics)
    t.rows.push_back({m.metric, role_of(m), percent(m.false_accepts, m.wrong), std::to_string(m.wrong),
                      percent(m.false_rejects, m.right), std::to_string(m.right),
                      m.right ? fmt::format("{:.3f}", m.mean_right()) : "-",
                      m.wrong ? fmt::format("{:.3f}", m.mean_wrong()) : "-", percent(m.inversions, m.pairs),
                      percent(m.oracle_accepted, m.oracle_scored)});
  t.notes.push_back(fmt::format(
      "{} v{}, split {}: {} examples ({} without variants), {} right and {} wrong variants, {} scoring errors",
      a.suite, a.version, a.split, a.examples, a.examples_without_variants, a.right_variants, a.wrong_variants,
      a.errors));
  t.notes.push_back("accepted = score >= the acceptance level; inversions = (right, wrong) pairs of one example "
                    "where the wrong answer scores higher; paper = the Sigma paper's definition (lenient by design)");
  return t;
}

// The headline's misjudgements by the kind of variant: which rewrites it rejects, which changes it misses.
Table kind_table(const MetricAudit& m) {
  Table t;
  t.headers = {"variant", "right?", "scored", "misjudged", "misjudged %"};
  for (const auto* kinds : {&m.right_kinds, &m.wrong_kinds})
    for (const auto& [kind, k] : *kinds)
      t.rows.push_back({kind, kinds == &m.right_kinds ? "right" : "wrong", std::to_string(k.scored),
                        std::to_string(k.misjudged), percent(k.misjudged, k.scored)});
  return t;
}

void print_cases(const MetricAudit& m) {
  auto one_line = [](std::string s) {
    for (char& c : s)
      if (c == '\n') c = ' ';
    return s.size() > 160 ? s.substr(0, 157) + "..." : s;
  };
  for (const auto& c : m.false_accept_cases)
    fmt::print("  {} accepts a wrong answer ({}, {}, score {:.3f}): {}\n", m.metric, c.example_id, c.kind, c.value,
               one_line(c.answer));
  for (const auto& c : m.false_reject_cases)
    fmt::print("  {} rejects a right answer ({}, {}, score {:.3f}): {}\n", m.metric, c.example_id, c.kind, c.value,
               one_line(c.answer));
}

int command_audit(const GlobalOptions& global, const AuditCliOptions& o) {
  if (o.jobs < 1) throw InputError(fmt::format("--jobs must be at least 1 (got {})", o.jobs));
  if (!(o.accept_at > 0.0 && o.accept_at <= 1.0))
    throw InputError(fmt::format("--accept-at must be in (0, 1] (got {})", o.accept_at));
  const TableFormat format = parse_table_format(o.format);
  RunOptions options;
  options.suites = o.suites;
  options.split = o.split;
  set_global_paths(options, global);
  const RunPlan plan = plan_run(options);

  AuditOptions audit_options;
  audit_options.accept_at = o.accept_at;
  audit_options.jobs = o.jobs;
  audit_options.limit = o.limit;
  audit_options.examples_per_metric = o.examples;

  nlohmann::json all = nlohmann::json::array();
  std::vector<std::string> over;
  for (const auto& loaded : plan.suites) {
    const SuiteAudit a = audit_suite(loaded, o.split, plan.context, audit_options);
    all.push_back(a.to_json());
    fmt::print("{}\n", render_table(metric_table(a), format));
    const MetricAudit* headline = a.headline();
    if (headline) {
      fmt::print("{} by variant:\n{}\n", headline->metric, render_table(kind_table(*headline), format));
      print_cases(*headline);
    }
    for (const auto& e : a.error_messages) fmt::print("  error: {}\n", e);
    if (!headline) {
      over.push_back(fmt::format("{} has no headline metric", a.suite));
      continue;
    }
    if (a.errors) over.push_back(fmt::format("{}: {} variants failed to score", a.suite, a.errors));
    if (headline->right + headline->wrong == 0)
      over.push_back(fmt::format("{}: no audit variants for {} (its scorers generate none)", a.suite, headline->metric));
    if (o.max_false_accept && headline->false_accept_rate() > *o.max_false_accept)
      over.push_back(fmt::format("{} {}: false accepts {:.1f}% > {:.1f}%", a.suite, headline->metric,
                                 100 * headline->false_accept_rate(), 100 * *o.max_false_accept));
    if (o.max_false_reject && headline->false_reject_rate() > *o.max_false_reject)
      over.push_back(fmt::format("{} {}: false rejects {:.1f}% > {:.1f}%", a.suite, headline->metric,
                                 100 * headline->false_reject_rate(), 100 * *o.max_false_reject));
    if (headline->oracle_accepted != headline->oracle_scored)
      over.push_back(fmt::format("{} {}: the oracle is accepted on {} of {} examples", a.suite, headline->metric,
                                 headline->oracle_accepted, headline->oracle_scored));
  }
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    out << all.dump(2) << "\n";
    if (!out) throw InputError(fmt::format("{}: cannot write the audit", o.json_path));
  }
  const bool checking = o.max_false_accept || o.max_false_reject;
  for (const auto& line : over) fmt::print(stderr, "audit: {}\n", line);
  return checking && !over.empty() ? 1 : 0;
}

class AuditCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "audit", "Score right and wrong answers derived from each reference: false-accept and false-reject "
                 "rates of every metric");
    cmd->add_option("--suite", o_.suites, "Suite(s) (default: all)")->delimiter(',');
    cmd->add_option("--split", o_.split, "Split to audit")->capture_default_str();
    cmd->add_option("--limit", o_.limit, "Only the first N examples of the split");
    cmd->add_option("--jobs,-j", o_.jobs, "Examples scored concurrently")->capture_default_str();
    cmd->add_option("--accept-at", o_.accept_at, "A score at or above this accepts the answer")->capture_default_str();
    cmd->add_option("--examples", o_.examples, "Misjudged answers shown per metric")->capture_default_str();
    cmd->add_option("--max-false-accept", o_.max_false_accept,
                    "Fail (exit 1) when a headline's false-accept rate exceeds this fraction");
    cmd->add_option("--max-false-reject", o_.max_false_reject,
                    "Fail (exit 1) when a headline's false-reject rate exceeds this fraction");
    cmd->add_option("--json", o_.json_path, "Also write the whole audit (every metric, kind and example) as JSON");
    cmd->add_option("--format", o_.format, "terminal | md")->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_audit(global, o_); }

 private:
  AuditCliOptions o_;
};

}  // namespace

std::unique_ptr<Command> make_audit_command() { return std::make_unique<AuditCommand>(); }

}  // namespace aimicius

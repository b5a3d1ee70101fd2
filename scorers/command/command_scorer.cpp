#include "scorers/command/command_scorer.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <map>

#include <fmt/format.h>

#include <re2/re2.h>

#include "common/cosine.h"
#include "common/errors.h"
#include "common/json_file.h"
#include "scorers/command/canonical_command.h"
#include "scorers/command/command_audit.h"
#include "scorers/command/command_execution.h"
#include "scorers/command/command_match.h"
#include "scorers/command/shell_words.h"
#include "scorers/text_embedder.h"

namespace aimicius {
namespace {

// Cosine of the embeddings of two texts, as the paper scores commands and outputs.
double embedding_similarity(const TextEmbedder& embedder, const std::string& a, const std::string& b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  if (a == b) return 1.0;  // exact, without float noise
  const auto e = embedder.embed({a, b});
  return std::clamp(cosine_similarity(e.at(0), e.at(1)), 0.0, 1.0);  // floored at 0, as a score
}

// The command without a leading `sudo` (and its -E), for execution.
std::string without_sudo(const std::string& command) {
  ShellWords words;
  try {
    words = split_shell_words(command);
  } catch (const std::invalid_argument&) {
    return command;  // runs as written and fails as written
  }
  if (words.segments.empty() || words.segments[0].empty() || words.segments[0][0] != "sudo") return command;
  const size_t at = command.find("sudo");
  std::string rest = command.substr(at + 4);
  const size_t start = rest.find_first_not_of(" \t");
  rest = start == std::string::npos ? "" : rest.substr(start);
  if (rest.rfind("-E ", 0) == 0) rest = rest.substr(3);
  return rest;
}

bool is_word_boundary(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '|' || c == ';' || c == '&' || c == '(' || c == ')'; }

// The command as the sandbox should run it: without a leading sudo, and with absolute paths of
// simulated tools (/usr/bin/nvidia-smi, /opt/rocm/bin/rocm-smi) reduced to the tool's name, which
// the sandbox has on PATH; the sandbox holds no host binaries under those paths.
std::string command_for_execution(const std::string& command, const std::vector<std::string>& tools) {
  const std::string text = without_sudo(command);
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const bool starts_word = text[i] == '/' && (i == 0 || is_word_boundary(text[i - 1]));
    if (!starts_word) {
      out += text[i++];
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && !is_word_boundary(text[end])) ++end;
    const std::string word = text.substr(i, end - i);
    const std::string name = word.substr(word.find_last_of('/') + 1);
    out += std::find(tools.begin(), tools.end(), name) != tools.end() ? name : word;
    i = end;
  }
  return out;
}

// The candidate's canonical form for the detail, or null when it does not lex.
nlohmann::json canonical_form_of(const std::string& command) {
  try {
    return canonical_command(command);
  } catch (const std::invalid_argument&) {
    return nullptr;
  }
}

// An example's field when it is a string, else "" (what the field must be is checked elsewhere).
std::string string_field(const Example& ex, const char* key) {
  const auto it = ex.fields.find(key);
  return it != ex.fields.end() && it->is_string() ? it->get<std::string>() : "";
}

class CommandScorer final : public Scorer {
 public:
  explicit CommandScorer(const ScorerSpec& spec) {
    check_params(spec, {"reference", "hosts", "execute", "embedding", "calibration_threshold", "success_threshold"});
    const JsonLocation at(spec.where, "");  // suite.json is untrusted: wrong types fail naming the key
    reference_field_ = at.optional_string(spec.params, "reference", "reference");
    execute_ = at.optional_bool(spec.params, "execute", true);
    embedding_ = at.optional_bool(spec.params, "embedding", true);
    calibration_threshold_ = at.optional_number(spec.params, "calibration_threshold", 0.9);
    success_threshold_ = at.optional_number(spec.params, "success_threshold", 0.99);
    for (double t : {calibration_threshold_, success_threshold_})
      if (!(t > 0.0 && t <= 1.0)) throw InputError(fmt::format("{}: thresholds must be in (0, 1]", spec.where));
    if (spec.params.contains("hosts")) {
      for (const auto& [platform, host] : spec.params["hosts"].items()) {
        if (!host.is_string()) throw InputError(fmt::format("{}: hosts.{} must be a string", spec.where, platform));
        hosts_[platform] = host.get<std::string>();
      }
    }
    tools_ = default_simulated_tools();
  }

  std::vector<MetricSpec> metrics() const override {
    std::vector<MetricSpec> m = {
        {"strict_accuracy",
         "right answer: same effect as the reference on the simulated host (exit status, output, files) or "
         "canonically equal to it; canonical equality alone where the reference does not run",
         true, false},
        {"canonical_match", "same command as the reference in the tools' canonical form (option grammar)", false,
         false},
        {"exact_match", "command equal to the reference after normalisation (paper)", false, true},
        {"command_score", "structure score over canonical forms: utility, flag set and values (NLC2CMD-style)", false,
         false},
    };
    if (execute_) {
      m.push_back({"execution_match", "same exit status, output and files as the reference on the simulated host", false, false});
      m.push_back({"output_similarity", "token F1 of the command's output against the reference's", false, false});
    }
    if (embedding_) {
      m.push_back({"cmd_score", "cosine of all-MiniLM-L6-v2 embeddings of command and reference (paper)", false, true});
      if (execute_) m.push_back({"output_score", "cosine of the embeddings of the two execution outputs (paper)", false, true});
      m.push_back({"calibration", "CMD or Output Score above the calibration threshold (paper)", false, true});
      if (execute_) m.push_back({"success_ratio", "runs and its output's embedding matches the reference's (paper)", false, true});
      m.push_back({"accuracy", "exact match or success (paper's headline, lenient)", false, true});
    }
    return m;
  }

  void validate_example(const Example& ex) const override {
    auto it = ex.fields.find(reference_field_);
    if (it == ex.fields.end() || !it->is_string() || it->get<std::string>().empty())
      throw InputError(fmt::format("{}: example \"{}\" needs a non-empty string \"{}\"", ex.origin, ex.id,
                                   reference_field_));
    try {
      split_shell_words(it->get<std::string>());
    } catch (const std::invalid_argument& e) {
      throw InputError(fmt::format("{}: example \"{}\": reference is not a valid command line: {}", ex.origin, ex.id,
                                   e.what()));
    }
    if (auto it = ex.fields.find("execute"); it != ex.fields.end() && !it->is_boolean())
      throw InputError(fmt::format("{}: example \"{}\": \"execute\" must be true or false", ex.origin, ex.id));
    if (execute_ && executes(ex) && host_of(ex).empty())
      throw InputError(fmt::format("{}: example \"{}\": no host for platform \"{}\" (scorer parameter \"hosts\")",
                                   ex.origin, ex.id, string_field(ex, "platform")));
  }

  // The example's host profile must be a file of context.hosts_dir, named by a plain name (suite
  // data is untrusted: "../x" must not reach outside the folder).
  void check_context(const Example& ex, const ScoringContext& context) const override {
    if (!execute_ || !executes(ex)) return;
    const std::string host = host_of(ex);
    if (host.empty() || host.find('/') != std::string::npos || host.front() == '.' || host.find('\0') != std::string::npos)
      throw InputError(fmt::format("{}: example \"{}\": host \"{}\" is not a host profile name", ex.origin, ex.id, host));
    const auto profile = context.hosts_dir / (host + ".json");
    if (!std::filesystem::is_regular_file(profile))
      throw InputError(fmt::format("{}: example \"{}\": no host profile \"{}\" ({} does not exist)", ex.origin, ex.id,
                                   host, profile.string()));
  }

  std::vector<AuditVariant> audit_variants(const Example& ex) const override {
    return command_audit_variants(ex.fields.at(reference_field_).get<std::string>());
  }

  bool needs_sandbox() const override { return execute_; }
  bool needs_embedder() const override { return embedding_; }

  std::vector<ScoreRow> score(const Example& ex, const std::string& answer, const ScoringContext& context) const override {
    const std::string reference = ex.fields.at(reference_field_).get<std::string>();
    CommandScore structure = command_structure_score(answer, reference);
    const double em = exact_match(answer, reference);
    const double canonical = canonical_match(answer, reference);
    std::vector<ScoreRow> rows = {
        {"strict_accuracy", canonical, {{"canonical_match", canonical == 1.0}}},
        {"canonical_match", canonical, {{"reference", canonical_command(reference)}, {"candidate", canonical_form_of(answer)}}},
        {"exact_match", em, nlohmann::json::object()},
        {"command_score", structure.value, std::move(structure.detail)},
    };
    std::optional<CommandExecutionScore> exec;
    if (execute_ && executes(ex)) {
      if (!context.sandbox) throw std::runtime_error("the command scorer needs a sandbox in the scoring context");
      const std::string host = host_of(ex);
      const SimulatedHost simulated{context.hostsim_binary, context.hosts_dir / (host + ".json"), tools_};
      exec = score_command_execution(*context.sandbox, simulated, command_for_execution(answer, tools_), reference, {},
                                     SandboxLimits{});
      exec->detail["host"] = host;
      rows.push_back({"execution_match", exec->execution_match, exec->detail});
      rows.push_back({"output_similarity", exec->output_similarity, nlohmann::json::object()});
      // Right = same effect on the host, or the same command (a canonical equal runs identically:
      // hostsim canonicalises argv with the same grammar).
      rows[0].value = exec->execution_match == 1.0 || canonical == 1.0 ? 1.0 : 0.0;
      rows[0].detail["execution_match"] = exec->execution_match == 1.0;
    }
    if (embedding_) {
      if (!context.embedder) throw std::runtime_error("the command scorer needs an embedding model in the scoring context");
      const double cmd = answer.empty() ? 0.0 : embedding_similarity(*context.embedder, answer, reference);
      rows.push_back({"cmd_score", cmd, nlohmann::json::object()});
      double calibrated = cmd >= calibration_threshold_;
      double success = 0.0;
      if (exec) {
        const double out = exec->candidate_succeeded ? embedding_similarity(*context.embedder, exec->candidate_output,
                                                                            exec->reference_output)
                                                     : 0.0;
        rows.push_back({"output_score", out, nlohmann::json::object()});
        calibrated = calibrated || out >= calibration_threshold_;
        success = exec->candidate_succeeded && out >= success_threshold_;
      }
      rows.push_back({"calibration", calibrated, nlohmann::json::object()});
      if (exec) rows.push_back({"success_ratio", success, nlohmann::json::object()});
      rows.push_back({"accuracy", em == 1.0 || success == 1.0 ? 1.0 : 0.0,
                      {{"exact_match", em == 1.0}, {"success", exec ? nlohmann::json(success == 1.0) : nlohmann::json()}}});
    }
    return rows;
  }

  std::vector<std::string> check_reference(const Example& ex, const ScoringContext& context) const override {
    if (!execute_ || !executes(ex) || !context.sandbox) return {};
    const std::string reference = ex.fields.at(reference_field_).get<std::string>();
    const SimulatedHost simulated{context.hostsim_binary, context.hosts_dir / (host_of(ex) + ".json"), tools_};
    const SandboxResult r = context.sandbox->run(simulated_host_request(simulated, reference, {}, SandboxLimits{}));
    if (r.exit_code != 0 || r.timed_out)
      return {fmt::format("the reference fails on {} (exit {}): {}", host_of(ex), r.exit_code, r.stderr_text.substr(0, 300))};
    if (!r.work_dir_error.empty()) return {fmt::format("the reference on {}: {}", host_of(ex), r.work_dir_error)};
    // Output or files: a command that writes a file (nvidia-smi -f) is compared by its work dir.
    if (normalize_output(r.stdout_text).empty() && r.work_dir.empty())
      return {fmt::format("the reference prints nothing and writes no file on {}: its execution compares nothing",
                          host_of(ex))};
    return {};
  }

 private:
  std::string host_of(const Example& ex) const {
    if (auto it = ex.fields.find("host"); it != ex.fields.end() && it->is_string()) return it->get<std::string>();
    auto it = hosts_.find(string_field(ex, "platform"));
    return it == hosts_.end() ? "" : it->second;
  }

  // Execution applies when the reference's first utility is a simulated tool and the example
  // does not opt out. (A reference that starts with sudo needs root, which no sandbox has.)
  bool executes(const Example& ex) const {
    if (ex.fields.value("execute", true) == false) return false;
    try {
      const ShellWords words = split_shell_words(ex.fields.at(reference_field_).get<std::string>());
      if (words.segments.empty()) return false;
      // The utility is the first word that is not an environment assignment (NCCL_DEBUG=INFO ...).
      static const re2::RE2 kAssignment("[A-Za-z_][A-Za-z0-9_]*=.*");
      for (const auto& word : words.segments[0]) {
        if (re2::RE2::FullMatch(word, kAssignment)) continue;
        const std::string utility = std::filesystem::path(word).filename().string();
        return std::find(tools_.begin(), tools_.end(), utility) != tools_.end();
      }
      return false;
    } catch (const std::exception&) {
      return false;
    }
  }

  std::string reference_field_;
  bool execute_ = true, embedding_ = true;
  double calibration_threshold_ = 0.9, success_threshold_ = 0.99;
  std::map<std::string, std::string> hosts_;
  std::vector<std::string> tools_;
};

}  // namespace

std::unique_ptr<Scorer> make_command_scorer(const ScorerSpec& spec) { return std::make_unique<CommandScorer>(spec); }

}  // namespace aimicius

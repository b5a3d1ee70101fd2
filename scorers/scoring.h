// What scoring produces and what it may use: metric declarations, score rows, and the per-run
// scoring context (sandbox, simulated hosts, embedding model) that the harness builds once.
//
// Invariants: every metric value is in [0, 1]; a ScoringContext is immutable while a run scores,
// and everything it points to is safe to use from several worker threads at once.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace aimicius {

class Sandbox;
class TextEmbedder;

struct MetricSpec {
  std::string name;
  std::string description;
  bool headline = false;  // the suite's main figure
  // The metric as the Sigma paper defines it (Appendix C), kept so that figures can be compared
  // with the published ones; such metrics are lenient by design and are never a strict headline.
  bool paper = false;
};

struct ScoreRow {
  std::string metric;
  double value = 0.0;  // in [0, 1]
  nlohmann::json detail;
};

// What execution- and embedding-based scorers need, built once per run by the harness.
struct ScoringContext {
  const Sandbox* sandbox = nullptr;           // set when some suite needs_sandbox()
  std::filesystem::path hostsim_binary;       // the aimicius-hostsim tool binary
  std::filesystem::path hosts_dir;            // host profiles: <data_dir>/hosts/NAME.json
  const TextEmbedder* embedder = nullptr;     // set when some suite needs_embedder()
};

}  // namespace aimicius

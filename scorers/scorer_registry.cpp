// The scorer types suite.json may name. Adding a kind of scoring: write its class under
// tasks/<kind>/ (implementing scorers/scorer.h), list its sources in tasks/<kind>/sources.cmake, and
// add one line to the table below.
#include <functional>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "common/named_registry.h"
#include "scorers/command/command_scorer.h"
#include "scorers/plan/topology_plan_scorer.h"
#include "scorers/dcw/dcw_scorer.h"
#include "scorers/sql/sql_scorer.h"
#include "scorers/scorer.h"

namespace aimicius {
namespace {

using Factory = std::function<std::unique_ptr<Scorer>(const ScorerSpec&)>;

const NamedRegistry<Factory>& factories() {
  static const NamedRegistry<Factory> kFactories("scorer type", {
      {"command", make_command_scorer},
      {"topology_plan", make_topology_plan_scorer},
      {"dcw", make_dcw_scorer},
      {"sql", make_sql_scorer},
  });
  return kFactories;
}

}  // namespace

std::vector<std::string> known_scorer_types() { return factories().names(); }

std::unique_ptr<Scorer> make_scorer(const ScorerSpec& spec) {
  const Factory& factory = factories().find(spec.type, spec.where);
  // A parameter of the wrong JSON type ("execute": "yes") is the suite file's mistake: the
  // scorers read their parameters with nlohmann's typed accessors, whose type_error would reach
  // the CLI as an internal error (exit 1) naming no file (found with fuzz/suite_json_fuzz.cpp).
  try {
    return factory(spec);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: a parameter of scorer \"{}\" has the wrong type: {}", spec.where, spec.type,
                                 e.what()));
  }
}

void check_params(const ScorerSpec& spec, const std::vector<std::string>& allowed) {
  if (!spec.params.is_object()) throw InputError(fmt::format("{}: a scorer must be a JSON object", spec.where));
  const std::set<std::string> known(allowed.begin(), allowed.end());
  for (const auto& [key, _] : spec.params.items())
    if (!known.count(key))
      throw InputError(fmt::format("{}: unknown parameter \"{}\" for scorer \"{}\" (known: {})", spec.where, key,
                                   spec.type, fmt::join(allowed, ", ")));
}

}  // namespace aimicius

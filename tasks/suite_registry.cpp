// The list of suites compiled into aimicius. Adding a suite: write its class under tasks/<name>/
// and add one line to kFactories.
#include <functional>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "tasks/cmdgen/cmdgen_suite.h"
#include "tasks/suite.h"

namespace aimicius {
namespace {

using Factory = std::function<std::shared_ptr<const Suite>()>;

const std::vector<std::pair<std::string, Factory>>& factories() {
  static const std::vector<std::pair<std::string, Factory>> kFactories = {
      {"cmdgen", [] { return std::make_shared<CmdgenSuite>(); }},
  };
  return kFactories;
}

}  // namespace

std::vector<std::string> known_suite_names() {
  std::vector<std::string> names;
  for (const auto& [name, _] : factories()) names.push_back(name);
  return names;
}

std::shared_ptr<const Suite> make_suite(const std::string& name) {
  for (const auto& [known, factory] : factories())
    if (known == name) return factory();
  throw InputError(fmt::format("unknown suite \"{}\" (known: {})", name,
                               fmt::join(known_suite_names(), ", ")));
}

LoadedSuite load_suite(const std::string& name, const std::filesystem::path& data_dir,
                       const std::string& split) {
  LoadedSuite loaded;
  loaded.suite = make_suite(name);
  const auto suite_dir = data_dir / name;
  loaded.manifest = read_manifest(suite_dir);
  if (loaded.manifest.suite != name)
    throw InputError(fmt::format("{}: manifest names suite \"{}\", expected \"{}\"",
                                 (suite_dir / "manifest.json").string(), loaded.manifest.suite, name));
  loaded.examples = load_examples(suite_dir, loaded.manifest, split);
  for (const auto& ex : loaded.examples) loaded.suite->validate_example(ex);
  return loaded;
}

}  // namespace aimicius

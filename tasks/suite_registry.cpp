// Finding suites: every folder of the data directory that holds a suite.json is a suite. The
// four AIMicius suites come first, in the paper's order; any others (a user's own) follow by name.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "tasks/suite.h"
#include "tasks/suite_definition.h"

namespace aimicius {
namespace fs = std::filesystem;

std::vector<std::string> known_suite_names(const fs::path& data_dir) {
  static const std::vector<std::string> kPaperOrder = {"cmdgen", "infrawise", "optiflow", "diagnostics"};
  std::vector<std::string> found;
  std::error_code ec;
  // A suite.json that is there but broken (a dangling symlink, a directory) still names a suite:
  // loading it then says what is wrong, rather than the suite silently missing from the list.
  for (const auto& entry : fs::directory_iterator(data_dir, ec)) {
    std::error_code ignored;
    const fs::path manifest = entry.path() / "suite.json";
    if (entry.is_directory(ignored) && (fs::exists(manifest, ignored) || fs::is_symlink(manifest, ignored)))
      found.push_back(entry.path().filename().string());
  }
  if (ec) throw InputError(fmt::format("cannot list the data directory {}: {}", data_dir.string(), ec.message()));
  auto rank = [&](const std::string& name) {
    auto it = std::find(kPaperOrder.begin(), kPaperOrder.end(), name);
    return it == kPaperOrder.end() ? kPaperOrder.size() : static_cast<size_t>(it - kPaperOrder.begin());
  };
  std::sort(found.begin(), found.end(), [&](const std::string& a, const std::string& b) {
    return std::make_pair(rank(a), a) < std::make_pair(rank(b), b);
  });
  return found;
}

namespace {

// data_dir/name, once `name` is known to be a suite there.
fs::path known_suite_dir(const std::string& name, const fs::path& data_dir) {
  const auto names = known_suite_names(data_dir);
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw InputError(fmt::format("unknown suite \"{}\" (suites in {}: {})", name, data_dir.string(),
                                 names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
  return data_dir / name;
}

// Suite data is untrusted: a JSON value of a type no check expected surfaces as nlohmann's
// exception, which is the file's fault (InputError naming `where`), never an internal error.
// The parsers name the field where they check it; this is the net under all of them.
template <class F>
auto blaming(const std::string& where, F body) -> decltype(body()) {
  try {
    return body();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: {}", where, e.what()));
  }
}

}  // namespace

std::shared_ptr<const Suite> make_suite(const std::string& name, const fs::path& data_dir) {
  const fs::path dir = known_suite_dir(name, data_dir);
  return blaming((dir / "suite.json").string(), [&] { return load_suite_definition(dir); });
}

LoadedSuite load_suite(const std::string& name, const fs::path& data_dir, const std::string& split) {
  const fs::path dir = known_suite_dir(name, data_dir);
  const SuiteSpec spec = blaming((dir / "suite.json").string(), [&] { return read_suite_spec(dir); });
  LoadedSuite loaded;
  loaded.suite = blaming(spec.file, [&] { return make_data_suite(spec); });
  if (!split.empty() && split == loaded.suite->fewshot_split())
    throw InputError(fmt::format("suite {}: split \"{}\" is the few-shot pool; it is never evaluated", name, split));
  loaded.manifest = spec.manifest;
  loaded.examples = load_examples(spec.dir, loaded.manifest, split);
  for (const auto& ex : loaded.examples)
    blaming(fmt::format("{}: example \"{}\"", ex.origin, ex.id), [&] { loaded.suite->validate_example(ex); });
  return loaded;
}

}  // namespace aimicius

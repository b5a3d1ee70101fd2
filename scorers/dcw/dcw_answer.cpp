// parse_dcw: see dcw_answer.h for what is well-formed and how each field is read.
#include "scorers/dcw/dcw_answer.h"

#include <nlohmann/json.hpp>

#include "scorers/dcw/dcw_names.h"

namespace aimicius {
namespace {

std::optional<DcwAnswer> fail(std::string* why, const char* reason) {
  if (why) *why = reason;
  return std::nullopt;
}

std::optional<std::string> string_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

std::optional<DcwAnswer> parse_dcw(std::string_view text, std::string* why) {
  const nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(why, "not JSON");
  if (!doc.is_object()) return fail(why, "not a JSON object");
  const auto design = doc.find("design");
  if (design == doc.end() || !design->is_object()) return fail(why, "no \"design\" object");
  std::optional<std::string> target = string_field(*design, "target");
  if (!target) return fail(why, "no string \"design.target\"");

  DcwAnswer answer;
  answer.target = *target;
  const auto baseline = design->find("baseline");
  if (baseline == design->end() || baseline->is_null()) {
    answer.baseline_state = DcwAnswer::Baseline::kNone;
  } else if (baseline->is_string()) {
    const std::string key = normalise_name(baseline->get<std::string>());
    // Why: "none"/"N/A" is how models write "no baseline" when they avoid null.
    if (key.empty() || key == "none" || key == "null" || key == "n a") {
      answer.baseline_state = DcwAnswer::Baseline::kNone;
    } else {
      answer.baseline_state = DcwAnswer::Baseline::kNamed;
      answer.baseline = baseline->get<std::string>();
    }
  } else {
    answer.baseline_state = DcwAnswer::Baseline::kInvalid;
  }
  answer.workload = string_field(doc, "workload");
  answer.criterion = string_field(doc, "criterion");
  return answer;
}

}  // namespace aimicius

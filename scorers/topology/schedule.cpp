// schedule: parsing and printing of the schedule format documented in schedule.h.
#include "scorers/topology/schedule.h"

#include <fmt/format.h>

namespace aimicius::topology {
namespace {

bool read_int(const nlohmann::json& value, int* out) {
  if (!value.is_number_integer()) return false;
  const auto wide = value.get<int64_t>();
  if (wide < -1'000'000 || wide > 1'000'000) return false;
  *out = static_cast<int>(wide);
  return true;
}

ScheduleParse failure(std::string message) {
  ScheduleParse result;
  result.error = std::move(message);
  return result;
}

std::string_view trim(std::string_view text) {
  const char* space = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(space);
  return text.substr(first, last - first + 1);
}

}  // namespace

size_t Schedule::transfer_count() const {
  size_t total = 0;
  for (const Step& step : steps) total += step.size();
  return total;
}

ScheduleParse parse_schedule_json(const nlohmann::json& document) {
  const nlohmann::json* steps_json = &document;
  if (document.is_object()) {
    auto it = document.find("steps");
    if (it == document.end()) return failure("schedule object has no \"steps\" key");
    steps_json = &*it;
  }
  if (!steps_json->is_array())
    return failure("schedule must be a JSON list of steps (or an object with \"steps\")");
  if (steps_json->size() > kMaxScheduleSteps)
    return failure(fmt::format("schedule has {} steps, more than the limit {}", steps_json->size(),
                               kMaxScheduleSteps));
  Schedule schedule;
  size_t transfers = 0;
  for (size_t s = 0; s < steps_json->size(); ++s) {
    const auto& step_json = (*steps_json)[s];
    if (!step_json.is_array()) return failure(fmt::format("step {}: must be a list of transfers", s));
    transfers += step_json.size();
    if (transfers > kMaxScheduleTransfers)
      return failure(fmt::format("schedule has more than {} transfers", kMaxScheduleTransfers));
    Step step;
    for (size_t t = 0; t < step_json.size(); ++t) {
      const auto& item = step_json[t];
      const std::string where = fmt::format("step {}, transfer {}", s, t);
      if (!item.is_object())
        return failure(where + ": must be an object {\"src\", \"dst\", \"chunk\"}");
      Transfer transfer;
      for (const auto& [key, target] : {std::pair<const char*, int*>{"src", &transfer.src},
                                        {"dst", &transfer.dst},
                                        {"chunk", &transfer.chunk}}) {
        auto it = item.find(key);
        if (it == item.end()) return failure(fmt::format("{}: \"{}\" is missing", where, key));
        if (!read_int(*it, target))
          return failure(fmt::format("{}: \"{}\" must be an integer, got {}", where, key,
                                     it->dump()));
      }
      if (auto it = item.find("path"); it != item.end() && !it->is_null()) {
        if (!it->is_array()) return failure(where + ": \"path\" must be a list of node ids");
        for (const auto& node : *it) {
          int id = 0;
          if (!read_int(node, &id))
            return failure(fmt::format("{}: \"path\" entry {} is not an integer node id", where,
                                       node.dump()));
          transfer.path.push_back(id);
        }
      }
      step.push_back(std::move(transfer));
    }
    schedule.steps.push_back(std::move(step));
  }
  ScheduleParse result;
  result.schedule = std::move(schedule);
  return result;
}

ScheduleParse parse_schedule_text(std::string_view text) {
  const std::string_view body = trim(text);
  if (body.empty()) return failure("the plan printed nothing on stdout");
  auto whole = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (!whole.is_discarded()) return parse_schedule_json(whole);
  // Fall back to the last non-empty line that is JSON.
  size_t end = body.size();
  while (end > 0) {
    size_t start = body.rfind('\n', end - 1);
    start = (start == std::string_view::npos) ? 0 : start + 1;
    const std::string_view line = trim(body.substr(start, end - start));
    if (!line.empty()) {
      auto parsed = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
      if (!parsed.is_discarded() && (parsed.is_array() || parsed.is_object()))
        return parse_schedule_json(parsed);
    }
    if (start == 0) break;
    end = start - 1;
  }
  try {
    const auto strict = nlohmann::json::parse(body.begin(), body.end());
    (void)strict;
  } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers past double's range
    return failure(fmt::format("stdout is not a JSON schedule: {}", e.what()));
  }
  return failure("stdout is not a JSON schedule");
}

nlohmann::json to_json(const Schedule& schedule) {
  nlohmann::json steps = nlohmann::json::array();
  for (const Step& step : schedule.steps) {
    nlohmann::json transfers = nlohmann::json::array();
    for (const Transfer& t : step) {
      nlohmann::json item = {{"src", t.src}, {"dst", t.dst}, {"chunk", t.chunk}};
      if (!t.path.empty()) item["path"] = t.path;
      transfers.push_back(std::move(item));
    }
    steps.push_back(std::move(transfers));
  }
  return steps;
}

}  // namespace aimicius::topology

// JSON file reading with located errors (see json_file.h).
#include "common/json_file.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "common/errors.h"
#include "common/input_file.h"

namespace aimicius {

namespace {

// nlohmann's message already names the line and column; the byte offset makes it exact.
[[noreturn]] void throw_malformed(const std::string& where, const nlohmann::json::parse_error& e) {
  throw InputError(fmt::format("{}: malformed JSON at byte {}: {}", where, e.byte, e.what()));
}

// Json is nlohmann::json or nlohmann::ordered_json: the same parser, two key orders.
template <typename Json>
Json parse_file(const std::filesystem::path& file) {
  const std::string text = read_input_file(file);
  try {
    return parse_json_unique_keys<Json>(text);
  } catch (const DuplicateJsonKey& e) {
    throw InputError(fmt::format("{}: malformed JSON: {}", file.string(), e.what()));
  } catch (const nlohmann::json::parse_error& e) {
    throw_malformed(file.string(), e);
  } catch (const nlohmann::json::exception& e) {  // a number past double's range (out_of_range.406)
    throw InputError(fmt::format("{}: malformed JSON: {}", file.string(), e.what()));
  }
}

const char* type_name(nlohmann::json::value_t type) {
  switch (type) {
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a number";
    default: return "a value";
  }
}

bool has_type(const nlohmann::json& value, nlohmann::json::value_t type) {
  if (type == nlohmann::json::value_t::number_integer) return value.is_number_integer();
  return value.type() == type;
}
}  // namespace

template <typename Json>
Json parse_json_unique_keys(std::string_view text) {
  // The keys seen in each object being parsed, innermost last.
  std::vector<std::set<std::string>> open_objects;
  const typename Json::parser_callback_t unique = [&](int, typename Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start: open_objects.emplace_back(); break;
      case Json::parse_event_t::object_end: open_objects.pop_back(); break;
      case Json::parse_event_t::key:
        if (!open_objects.back().insert(parsed.template get<std::string>()).second)
          throw DuplicateJsonKey(fmt::format("an object has the key \"{}\" twice", parsed.template get<std::string>()));
        break;
      default: break;
    }
    return true;
  };
  return Json::parse(text, unique);
}
template nlohmann::json parse_json_unique_keys<nlohmann::json>(std::string_view);
template nlohmann::ordered_json parse_json_unique_keys<nlohmann::ordered_json>(std::string_view);

nlohmann::json read_json_file(const std::filesystem::path& file) { return parse_file<nlohmann::json>(file); }

nlohmann::ordered_json read_ordered_json_file(const std::filesystem::path& file) {
  return parse_file<nlohmann::ordered_json>(file);
}

JsonLocation JsonLocation::child(std::string_view key) const {
  return JsonLocation(file_, path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key));
}

JsonLocation JsonLocation::index(std::size_t i) const {
  return JsonLocation(file_, fmt::format("{}[{}]", path_, i));
}

void JsonLocation::fail(std::string_view message) const {
  throw InputError(fmt::format("{}: {}: {}", file_, path_.empty() ? "(top level)" : path_, message));
}

const nlohmann::json& JsonLocation::require(const nlohmann::json& object, std::string_view key,
                                            nlohmann::json::value_t type) const {
  if (!object.is_object()) fail("expected an object");
  const auto found = object.find(std::string(key));
  if (found == object.end()) child(key).fail("missing");
  if (!has_type(*found, type)) child(key).fail(fmt::format("expected {}", type_name(type)));
  return *found;
}

std::string JsonLocation::require_string(const nlohmann::json& object, std::string_view key) const {
  return require(object, key, nlohmann::json::value_t::string).get<std::string>();
}

bool JsonLocation::optional_bool(const nlohmann::json& object, std::string_view key,
                                 bool fallback) const {
  const auto found = object.find(std::string(key));
  if (found == object.end() || found->is_null()) return fallback;
  if (!found->is_boolean()) child(key).fail("expected a boolean");
  return found->get<bool>();
}

std::string JsonLocation::optional_string(const nlohmann::json& object, std::string_view key,
                                          std::string_view fallback) const {
  const auto found = object.find(std::string(key));
  if (found == object.end() || found->is_null()) return std::string(fallback);
  if (!found->is_string()) child(key).fail("expected a string");
  return found->get<std::string>();
}

double JsonLocation::optional_number(const nlohmann::json& object, std::string_view key, double fallback) const {
  const auto found = object.find(std::string(key));
  if (found == object.end() || found->is_null()) return fallback;
  if (!found->is_number()) child(key).fail("expected a number");
  const double value = found->get<double>();
  if (!std::isfinite(value)) child(key).fail("expected a finite number");
  return value;
}

int64_t JsonLocation::optional_int(const nlohmann::json& object, std::string_view key, int64_t fallback) const {
  const auto found = object.find(std::string(key));
  if (found == object.end() || found->is_null()) return fallback;
  if (found->is_number_unsigned() && found->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    child(key).fail("is out of range (at most 2^63 - 1)");
  if (!found->is_number_integer()) child(key).fail("expected an integer");
  return found->get<int64_t>();
}

}  // namespace aimicius

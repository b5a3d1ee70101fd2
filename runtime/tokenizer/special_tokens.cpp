// bos / eos resolution from tokenizer_config.json, config.json, generation_config.json and
// well-known token names (see special_tokens.h).
#include "runtime/tokenizer/special_tokens.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/json_file.h"

namespace aimicius::runtime {

namespace {

constexpr std::array<std::string_view, 3> kWellKnownBos = {"<|begin_of_text|>", "<s>", "<|startoftext|>"};
constexpr std::array<std::string_view, 5> kWellKnownEos = {"<|eot_id|>", "<|end_of_text|>", "<|im_end|>",
                                                           "<|endoftext|>", "</s>"};

// What one file says about one key: nothing (key absent), "none" (null), or ids.
struct Statement {
  bool present = false;
  std::vector<int32_t> ids;
};

// A file that is absent says nothing; one that is there but unreadable (a dangling symlink, a
// folder, a device) is an error naming it, never taken as absent (common/input_file.h).
std::optional<nlohmann::json> read_if_present(const std::filesystem::path& file) {
  if (!input_file_present(file)) return std::nullopt;
  nlohmann::json json = read_json_file(file);
  if (!json.is_object()) JsonLocation(file.string(), "").fail("expected a JSON object");
  return json;
}

// tokenizer_config.json's "bos_token" / "eos_token": a token name or {"content": name} or null.
Statement token_statement(const Tokenizer& tokenizer, const nlohmann::json& config,
                          const JsonLocation& location, std::string_view key) {
  Statement statement;
  const auto found = config.find(std::string(key));
  if (found == config.end()) return statement;
  statement.present = true;
  if (found->is_null()) return statement;
  std::string name;
  if (found->is_string()) {
    name = found->get<std::string>();
  } else if (found->is_object()) {
    name = location.child(key).require_string(*found, "content");
  } else {
    location.child(key).fail("expected a token name, {\"content\": ...} or null");
  }
  const auto id = tokenizer.token_to_id(name);
  if (!id) location.child(key).fail(fmt::format("token '{}' is not in the tokenizer's vocabulary", name));
  statement.ids.push_back(*id);
  return statement;
}

// config.json's "bos_token_id" / "eos_token_id": an id, a list of ids, or null.
Statement id_statement(const Tokenizer& tokenizer, const nlohmann::json& config,
                       const JsonLocation& location, std::string_view key) {
  Statement statement;
  const auto found = config.find(std::string(key));
  if (found == config.end()) return statement;
  statement.present = true;
  if (found->is_null()) return statement;
  const auto check = [&](const nlohmann::json& value, const JsonLocation& at) {
    if (!value.is_number_integer()) at.fail("expected an integer id");
    const int64_t id = value.get<int64_t>();
    if (id < 0 || id >= tokenizer.vocab_size()) {
      at.fail(fmt::format("id {} is outside the tokenizer's vocabulary (size {})", id, tokenizer.vocab_size()));
    }
    statement.ids.push_back(static_cast<int32_t>(id));
  };
  if (found->is_array()) {
    for (std::size_t i = 0; i < found->size(); ++i) check((*found)[i], location.child(key).index(i));
  } else {
    check(*found, location.child(key));
  }
  return statement;
}

void append_unique(std::vector<int32_t>& ids, const std::vector<int32_t>& more) {
  for (const int32_t id : more) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
}

}  // namespace

SpecialTokenIds resolve_special_tokens(const Tokenizer& tokenizer,
                                       const std::filesystem::path& checkpoint_dir) {
  std::vector<Statement> bos_statements;
  std::vector<Statement> eos_statements;
  SpecialTokenIds resolved;

  const auto tokenizer_config_file = checkpoint_dir / "tokenizer_config.json";
  if (const auto config = read_if_present(tokenizer_config_file)) {
    const JsonLocation location(tokenizer_config_file.string(), "");
    bos_statements.push_back(token_statement(tokenizer, *config, location, "bos_token"));
    eos_statements.push_back(token_statement(tokenizer, *config, location, "eos_token"));
    const auto add_bos = config->find("add_bos_token");
    if (add_bos != config->end() && add_bos->is_boolean()) resolved.add_bos_token = add_bos->get<bool>();
  }
  for (const char* name : {"config.json", "generation_config.json"}) {
    const auto file = checkpoint_dir / name;
    if (const auto config = read_if_present(file)) {
      const JsonLocation location(file.string(), "");
      bos_statements.push_back(id_statement(tokenizer, *config, location, "bos_token_id"));
      eos_statements.push_back(id_statement(tokenizer, *config, location, "eos_token_id"));
    }
  }

  bool bos_stated = false;
  for (const Statement& statement : bos_statements) {
    if (!statement.present) continue;
    bos_stated = true;
    if (!statement.ids.empty()) resolved.bos = statement.ids.front();
    break;
  }
  if (!bos_stated) {
    resolved.bos = tokenizer.bos_id();
    for (auto name = kWellKnownBos.begin(); !resolved.bos && name != kWellKnownBos.end(); ++name) {
      resolved.bos = tokenizer.token_to_id(*name);
    }
  }

  for (const Statement& statement : eos_statements) append_unique(resolved.eos, statement.ids);
  if (resolved.eos.empty()) resolved.eos = tokenizer.eos_ids();
  if (resolved.eos.empty()) {
    for (const std::string_view name : kWellKnownEos) {
      if (const auto id = tokenizer.token_to_id(name)) append_unique(resolved.eos, {*id});
    }
  }
  return resolved;
}

}  // namespace aimicius::runtime

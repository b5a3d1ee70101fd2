#include "runtime/tokenizer/sentencepiece_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "common/errors.h"

#ifndef AIMICIUS_SPM_PLUGIN_PATH
#define AIMICIUS_SPM_PLUGIN_PATH "libaimicius_spm_plugin.so"
#endif

namespace aimicius::runtime {

struct SentencePieceModel::Api {
  void* (*load)(const std::string&, std::string*);
  void* (*load_proto)(const std::string&, std::string*);
  void (*destroy)(void*);
  bool (*encode)(const void*, std::string_view, std::vector<int>*, std::string*);
  bool (*decode)(const void*, const std::vector<int>&, std::string*, std::string*);
  int (*piece_size)(const void*);
  int (*bos_id)(const void*);
  int (*eos_id)(const void*);
  bool (*is_control)(const void*, int);
  int (*piece_to_id)(const void*, std::string_view);
  std::string (*id_to_piece)(const void*, int);
};

namespace {

template <typename Fn>
void bind(void* handle, const char* name, Fn*& out, const std::string& plugin) {
  out = reinterpret_cast<Fn*>(dlsym(handle, name));
  if (!out) throw InputError(fmt::format("{}: missing symbol {}", plugin, name));
}

std::string plugin_path() {
  const char* env = std::getenv("AIMICIUS_SPM_PLUGIN");
  return env && *env ? env : AIMICIUS_SPM_PLUGIN_PATH;
}

// AddressSanitizer refuses RTLD_DEEPBIND (it aborts the process: its interceptors would be
// bypassed). Sanitized builds (AIMICIUS_SANITIZE, AIMICIUS_FUZZ) never load LibTorch, whose
// protobuf is what deep binding keeps apart, so they load the plugin without it.
#if defined(__SANITIZE_ADDRESS__)
#define AIMICIUS_SPM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AIMICIUS_SPM_ASAN 1
#endif
#endif
#ifdef AIMICIUS_SPM_ASAN
constexpr int kPluginBinding = 0;
#else
constexpr int kPluginBinding = RTLD_DEEPBIND;
#endif

// dlopen of the plugin; `what` (the model file) names the error.
void* open_plugin(const std::string& plugin, const std::filesystem::path& what) {
  void* handle = dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL | kPluginBinding);
  if (!handle) {
    const char* why = dlerror();
    throw InputError(fmt::format("{}: cannot load the SentencePiece plugin {}: {}", what.string(), plugin,
                                 why ? why : "unknown error"));
  }
  return handle;
}

}  // namespace

void SentencePieceModel::bind_api(const std::string& plugin) {
  bind(handle_, "aimicius_spm_load", api_->load, plugin);
  bind(handle_, "aimicius_spm_load_proto", api_->load_proto, plugin);
  bind(handle_, "aimicius_spm_destroy", api_->destroy, plugin);
  bind(handle_, "aimicius_spm_encode", api_->encode, plugin);
  bind(handle_, "aimicius_spm_decode", api_->decode, plugin);
  bind(handle_, "aimicius_spm_piece_size", api_->piece_size, plugin);
  bind(handle_, "aimicius_spm_bos_id", api_->bos_id, plugin);
  bind(handle_, "aimicius_spm_eos_id", api_->eos_id, plugin);
  bind(handle_, "aimicius_spm_is_control", api_->is_control, plugin);
  bind(handle_, "aimicius_spm_piece_to_id", api_->piece_to_id, plugin);
  bind(handle_, "aimicius_spm_id_to_piece", api_->id_to_piece, plugin);
}

SentencePieceModel::SentencePieceModel(const std::filesystem::path& model_file)
    : model_file_(model_file), api_(std::make_unique<Api>()) {
  open_model(model_file.string(), false, "model");
}

SentencePieceModel::SentencePieceModel(const Serialized& model) : model_file_(model.name), api_(std::make_unique<Api>()) {
  open_model(model.bytes, true, "vocabulary");
}

void SentencePieceModel::open_model(const std::string& path_or_bytes, bool serialized, const char* what) {
  const std::string plugin = plugin_path();
  handle_ = open_plugin(plugin, model_file_);
  try {
    bind_api(plugin);
    std::string error;
    model_ = (serialized ? api_->load_proto : api_->load)(path_or_bytes, &error);
    if (!model_)
      throw InputError(fmt::format("{}: not a loadable SentencePiece {}: {}", model_file_.string(), what, error));
  } catch (...) {
    dlclose(handle_);
    throw;
  }
}

SentencePieceModel::~SentencePieceModel() {
  if (model_) api_->destroy(model_);
  if (handle_) dlclose(handle_);
}

std::vector<int> SentencePieceModel::encode(std::string_view text) const {
  std::vector<int> ids;
  std::string error;
  if (!api_->encode(model_, text, &ids, &error))
    throw InputError(fmt::format("{}: SentencePiece encode failed: {}", model_file_.string(), error));  // the model's fault
  return ids;
}

std::string SentencePieceModel::decode(const std::vector<int>& ids) const {
  std::string text, error;
  if (!api_->decode(model_, ids, &text, &error))
    throw InputError(fmt::format("{}: SentencePiece decode failed: {}", model_file_.string(), error));
  return text;
}

int SentencePieceModel::piece_size() const { return api_->piece_size(model_); }
int SentencePieceModel::bos_id() const { return api_->bos_id(model_); }
int SentencePieceModel::eos_id() const { return api_->eos_id(model_); }
bool SentencePieceModel::is_control(int id) const { return api_->is_control(model_, id); }
int SentencePieceModel::piece_to_id(std::string_view piece) const { return api_->piece_to_id(model_, piece); }
std::string SentencePieceModel::id_to_piece(int id) const { return api_->id_to_piece(model_, id); }

void train_sentencepiece_model(const std::vector<std::string>& sentences, const SentencePieceTrainSpec& spec) {
  if (spec.vocab_size < 260 || spec.threads < 1)
    throw InputError(fmt::format("{}: a SentencePiece vocabulary needs at least 260 pieces (259 specials and bytes), "
                                 "and threads >= 1",
                                 spec.model_prefix.string()));
  const std::string plugin = plugin_path();
  void* handle = open_plugin(plugin, spec.model_prefix);
  try {
    bool (*train)(const std::vector<std::string>&, const std::unordered_map<std::string, std::string>&,
                  std::string*) = nullptr;
    bind(handle, "aimicius_spm_train", train, plugin);
    // The trainer's flags; the header says why each is set.
    const std::unordered_map<std::string, std::string> args = {
        {"model_prefix", spec.model_prefix.string()},
        {"vocab_size", std::to_string(spec.vocab_size)},
        {"num_threads", std::to_string(spec.threads)},
        {"model_type", "bpe"},
        {"character_coverage", "1.0"},
        {"byte_fallback", "true"},
        {"normalization_rule_name", "identity"},
        {"remove_extra_whitespaces", "false"},
        {"add_dummy_prefix", "false"},
        {"allow_whitespace_only_pieces", "true"},
        {"split_digits", "false"},
        {"split_by_unicode_script", "false"},
        {"max_sentence_length", "65536"},
        {"user_defined_symbols", "\n"},
        {"unk_id", "0"},
        {"bos_id", "1"},
        {"eos_id", "2"},
        {"pad_id", "-1"},
        {"minloglevel", "2"}};
    std::string error;
    if (!train(sentences, args, &error))
      throw InputError(fmt::format("{}: SentencePiece training failed: {}", spec.model_prefix.string(), error));
  } catch (...) {
    dlclose(handle);
    throw;
  }
  dlclose(handle);
}

}  // namespace aimicius::runtime

#include "runtime/tokenizer/sentencepiece_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "common/errors.h"

#ifndef AIMICIUS_SPM_PLUGIN_PATH
#define AIMICIUS_SPM_PLUGIN_PATH "libaimicius_spm_plugin.so"
#endif

namespace aimicius::runtime {

struct SentencePieceModel::Api {
  void* (*load)(const std::string&, std::string*);
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

}  // namespace

SentencePieceModel::SentencePieceModel(const std::filesystem::path& model_file)
    : model_file_(model_file), api_(std::make_unique<Api>()) {
  const char* env = std::getenv("AIMICIUS_SPM_PLUGIN");
  const std::string plugin = env && *env ? env : AIMICIUS_SPM_PLUGIN_PATH;
  handle_ = dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (!handle_) {
    const char* why = dlerror();
    throw InputError(fmt::format("{}: cannot load the SentencePiece plugin {}: {}", model_file.string(), plugin,
                                 why ? why : "unknown error"));
  }
  try {
    bind(handle_, "aimicius_spm_load", api_->load, plugin);
    bind(handle_, "aimicius_spm_destroy", api_->destroy, plugin);
    bind(handle_, "aimicius_spm_encode", api_->encode, plugin);
    bind(handle_, "aimicius_spm_decode", api_->decode, plugin);
    bind(handle_, "aimicius_spm_piece_size", api_->piece_size, plugin);
    bind(handle_, "aimicius_spm_bos_id", api_->bos_id, plugin);
    bind(handle_, "aimicius_spm_eos_id", api_->eos_id, plugin);
    bind(handle_, "aimicius_spm_is_control", api_->is_control, plugin);
    bind(handle_, "aimicius_spm_piece_to_id", api_->piece_to_id, plugin);
    bind(handle_, "aimicius_spm_id_to_piece", api_->id_to_piece, plugin);
    std::string error;
    model_ = api_->load(model_file.string(), &error);
    if (!model_) throw InputError(fmt::format("{}: not a loadable SentencePiece model: {}", model_file.string(), error));
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
    throw std::runtime_error(fmt::format("{}: SentencePiece encode failed: {}", model_file_.string(), error));
  return ids;
}

std::string SentencePieceModel::decode(const std::vector<int>& ids) const {
  std::string text, error;
  if (!api_->decode(model_, ids, &text, &error))
    throw std::runtime_error(fmt::format("{}: SentencePiece decode failed: {}", model_file_.string(), error));
  return text;
}

int SentencePieceModel::piece_size() const { return api_->piece_size(model_); }
int SentencePieceModel::bos_id() const { return api_->bos_id(model_); }
int SentencePieceModel::eos_id() const { return api_->eos_id(model_); }
bool SentencePieceModel::is_control(int id) const { return api_->is_control(model_, id); }
int SentencePieceModel::piece_to_id(std::string_view piece) const { return api_->piece_to_id(model_, piece); }
std::string SentencePieceModel::id_to_piece(int id) const { return api_->id_to_piece(model_, id); }

}  // namespace aimicius::runtime

// libsentencepiece behind a plugin (see sentencepiece_shim.cpp for why): dlopen of the plugin and
// the typed entry points. Each SentencePieceModel owns one loaded model; the plugin's handle is
// reference-counted by the dynamic loader, so there is no process-wide state here.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aimicius::runtime {

class SentencePieceModel {
 public:
  // Loads the plugin (path: $AIMICIUS_SPM_PLUGIN, else the one this build made) and the model.
  // Throws InputError naming the model file, or the plugin when it cannot be loaded.
  explicit SentencePieceModel(const std::filesystem::path& model_file);
  ~SentencePieceModel();
  SentencePieceModel(const SentencePieceModel&) = delete;
  SentencePieceModel& operator=(const SentencePieceModel&) = delete;

  std::vector<int> encode(std::string_view text) const;
  std::string decode(const std::vector<int>& ids) const;
  int piece_size() const;
  int bos_id() const;  // -1: none
  int eos_id() const;  // -1: none
  bool is_control(int id) const;
  int piece_to_id(std::string_view piece) const;
  std::string id_to_piece(int id) const;

 private:
  struct Api;
  std::filesystem::path model_file_;
  void* handle_ = nullptr;  // dlopen handle of the plugin
  std::unique_ptr<Api> api_;
  void* model_ = nullptr;   // the plugin's processor
};

}  // namespace aimicius::runtime

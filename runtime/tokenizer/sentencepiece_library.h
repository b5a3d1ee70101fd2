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
  // A model from the bytes of a serialized ModelProto (sentencepiece_proto.h); `name` (the file
  // the vocabulary came from) names it in errors.
  struct Serialized {
    std::string bytes;
    std::string name;
  };
  explicit SentencePieceModel(const Serialized& model);
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
  void bind_api(const std::string& plugin);
  // Opens the plugin and loads the model (a file path, or the serialized bytes).
  void open_model(const std::string& path_or_bytes, bool serialized, const char* what);

  std::filesystem::path model_file_;  // or the name of a serialized model
  void* handle_ = nullptr;  // dlopen handle of the plugin
  std::unique_ptr<Api> api_;
  void* model_ = nullptr;   // the plugin's processor
};

// Trains a SentencePiece BPE model for the project's text on `sentences` (train documents or
// pieces of them; a sentence may hold newlines) and writes model_prefix.model / .vocab. The
// settings keep system text byte for byte: identity normalisation, no dummy prefix, whitespace
// kept, "\n" a piece of its own, byte fallback (every byte string encodes, nothing maps to unk),
// pieces free to cross script and number boundaries ("nvidia-smi", "gpu_metrics", "NV18");
// ids unk 0, bos 1, eos 2, no pad. Deterministic for given sentences and spec. Throws InputError
// naming model_prefix when the trainer fails (e.g. a vocabulary larger than the text allows).
struct SentencePieceTrainSpec {
  int vocab_size = 4096;
  std::filesystem::path model_prefix;
  int threads = 1;
};
void train_sentencepiece_model(const std::vector<std::string>& sentences, const SentencePieceTrainSpec& spec);

}  // namespace aimicius::runtime

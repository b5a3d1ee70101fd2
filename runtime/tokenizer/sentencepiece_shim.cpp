// The only code that links libsentencepiece, built as a plugin (MODULE) and loaded with
// dlopen(RTLD_LOCAL | RTLD_DEEPBIND) by sentencepiece_library.cpp.
//
// Why a plugin: Debian's libsentencepiece carries its own protobuf 3.14 and exports those symbols.
// Linked into a process that also loads libprotobuf 3.21 (Debian's LibTorch does), one library's
// protobuf symbols replace the other's and the process crashes at start-up or aborts on the
// version check. Loaded locally with deep binding, sentencepiece keeps to its own copies and
// nothing else sees them.
//
// The functions have C linkage so dlsym finds them by name; they take C++ types because the
// plugin is built by the same compiler and standard library as its only caller.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <exception>
#include <memory>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

namespace {
using Processor = sentencepiece::SentencePieceProcessor;

// Feeds the trainer from memory (the caller's sentences), so no temporary input file is needed.
class VectorSentences : public sentencepiece::SentenceIterator {
 public:
  explicit VectorSentences(const std::vector<std::string>& sentences) : sentences_(sentences) {}
  bool done() const override { return next_ >= sentences_.size(); }
  void Next() override { ++next_; }
  const std::string& value() const override { return sentences_[next_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& sentences_;
  size_t next_ = 0;
};

// A new processor loaded by `load`, or nullptr with the reason in *error. The library throws for
// some malformed models instead of answering a status (darts-clone's "zero-length key" for a piece
// that starts with a NUL byte: found by fuzz/sentencepiece_fuzz.cpp), and an exception must not
// leave a C-linkage function: it becomes the error too. Owned until returned, so a load that
// throws frees it.
template <typename Load>
void* loaded_or_null(Load load, std::string* error) {
  try {
    auto p = std::make_unique<Processor>();
    const auto status = load(*p);
    if (!status.ok()) {
      *error = status.ToString();
      return nullptr;
    }
    return p.release();
  } catch (const std::exception& e) {
    *error = std::string("libsentencepiece refused it: ") + e.what();
    return nullptr;
  }
}

// A status call of the library that may throw on a malformed model, as a bool and *error.
template <typename Call>
bool status_ok(Call call, std::string* error) {
  try {
    const auto status = call();
    if (!status.ok()) *error = status.ToString();
    return status.ok();
  } catch (const std::exception& e) {
    *error = std::string("libsentencepiece failed: ") + e.what();
    return false;
  }
}
}  // namespace

extern "C" {

void* aimicius_spm_load(const std::string& path, std::string* error) {
  return loaded_or_null([&](Processor& p) { return p.Load(path); }, error);
}

// The same from a serialized ModelProto (a model rebuilt from another file's vocabulary).
void* aimicius_spm_load_proto(const std::string& bytes, std::string* error) {
  return loaded_or_null([&](Processor& p) { return p.LoadFromSerializedProto(bytes); }, error);
}

void aimicius_spm_destroy(void* p) { delete static_cast<Processor*>(p); }

bool aimicius_spm_encode(const void* p, std::string_view text, std::vector<int>* ids, std::string* error) {
  return status_ok([&] { return static_cast<const Processor*>(p)->Encode(text, ids); }, error);
}

bool aimicius_spm_decode(const void* p, const std::vector<int>& ids, std::string* text, std::string* error) {
  return status_ok([&] { return static_cast<const Processor*>(p)->Decode(ids, text); }, error);
}

int aimicius_spm_piece_size(const void* p) { return static_cast<const Processor*>(p)->GetPieceSize(); }
int aimicius_spm_bos_id(const void* p) { return static_cast<const Processor*>(p)->bos_id(); }
int aimicius_spm_eos_id(const void* p) { return static_cast<const Processor*>(p)->eos_id(); }
bool aimicius_spm_is_control(const void* p, int id) { return static_cast<const Processor*>(p)->IsControl(id); }
int aimicius_spm_piece_to_id(const void* p, std::string_view piece) {
  return static_cast<const Processor*>(p)->PieceToId(piece);
}
// Trains a model from `sentences` with the trainer's flags as a map (which name model_prefix): a
// map, not a command line, so a path or a symbol may hold spaces or newlines.
bool aimicius_spm_train(const std::vector<std::string>& sentences,
                        const std::unordered_map<std::string, std::string>& args, std::string* error) {
  VectorSentences input(sentences);
  const auto status = sentencepiece::SentencePieceTrainer::Train(args, &input);
  if (!status.ok()) *error = status.ToString();
  return status.ok();
}

std::string aimicius_spm_id_to_piece(const void* p, int id) { return static_cast<const Processor*>(p)->IdToPiece(id); }

}  // extern "C"

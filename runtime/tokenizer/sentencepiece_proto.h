// A SentencePiece model (the ModelProto of a tokenizer.model) written from a vocabulary: for
// vocabularies that come without a tokenizer.model (a GGUF file's tokenizer.ggml.* metadata), so
// that libsentencepiece itself, the implementation the pieces and scores were made for, encodes
// with them (runtime/tokenizer/sentencepiece_library.h loads the bytes).
//
// Only the fields SentencePiece reads when encoding and decoding are written: the pieces (text,
// score, type), the trainer spec's model type, byte_fallback and special ids/pieces, and the
// normalizer spec's flags (name "identity", no precompiled character map: no normalisation).
// The bytes are the protobuf wire format of sentencepiece_model.proto (field numbers are facts of
// that format); serialize_sentencepiece_model is a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aimicius::runtime {

// SentencePiece's piece types (sentencepiece_model.proto; GGUF's tokenizer.ggml.token_type uses the
// same numbers).
enum class PieceType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct SentencePieceEntry {
  std::string piece;
  float score = 0.0f;
  PieceType type = PieceType::kNormal;
};

struct SentencePieceModelSpec {
  std::vector<SentencePieceEntry> pieces;  // id = index
  bool bpe = true;                         // BPE (merges by score); false: unigram
  bool byte_fallback = false;              // <0xXX> pieces stand for bytes not otherwise covered
  bool add_dummy_prefix = false;           // SentencePiece's own "▁" before the text
  bool remove_extra_whitespaces = false;
  int32_t unk_id = 0, bos_id = -1, eos_id = -1, pad_id = -1;  // -1: none
};

// The serialized ModelProto (what a tokenizer.model file holds).
std::string serialize_sentencepiece_model(const SentencePieceModelSpec& spec);

}  // namespace aimicius::runtime

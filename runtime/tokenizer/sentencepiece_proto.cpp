#include "runtime/tokenizer/sentencepiece_proto.h"

#include <cstring>

namespace aimicius::runtime {
namespace {

// Protobuf wire format: a key is (field number << 3) | wire type; 0 = varint, 2 = length-delimited,
// 5 = 32-bit.
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_key(std::string& out, uint32_t field, uint32_t wire_type) { put_varint(out, (uint64_t{field} << 3) | wire_type); }

// int32 fields are varints of the value sign-extended to 64 bits (-1 takes ten bytes).
void put_int(std::string& out, uint32_t field, int64_t v) {
  put_key(out, field, 0);
  put_varint(out, static_cast<uint64_t>(v));
}

void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, 2);
  put_varint(out, bytes.size());
  out += bytes;
}

void put_float(std::string& out, uint32_t field, float v) {
  put_key(out, field, 5);
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));  // little-endian
}

const std::string* piece_or_null(const SentencePieceModelSpec& spec, int32_t id) {
  return id >= 0 && static_cast<size_t>(id) < spec.pieces.size() ? &spec.pieces[id].piece : nullptr;
}

}  // namespace

std::string serialize_sentencepiece_model(const SentencePieceModelSpec& spec) {
  std::string out;
  for (const auto& p : spec.pieces) {  // ModelProto.pieces = 1: {piece = 1, score = 2, type = 3}
    std::string entry;
    put_bytes(entry, 1, p.piece);
    put_float(entry, 2, p.score);
    put_int(entry, 3, static_cast<int32_t>(p.type));
    put_bytes(out, 1, entry);
  }
  std::string trainer;  // ModelProto.trainer_spec = 2
  put_int(trainer, 3, spec.bpe ? 2 : 1);  // model_type: UNIGRAM = 1, BPE = 2
  put_int(trainer, 4, static_cast<int64_t>(spec.pieces.size()));  // vocab_size
  put_int(trainer, 35, spec.byte_fallback ? 1 : 0);
  put_int(trainer, 40, spec.unk_id);
  put_int(trainer, 41, spec.bos_id);
  put_int(trainer, 42, spec.eos_id);
  put_int(trainer, 43, spec.pad_id);
  // The special pieces' names (unk 45, bos 46, eos 47, pad 48): SentencePiece finds bos / eos by name.
  const std::pair<uint32_t, int32_t> named[] = {{45, spec.unk_id}, {46, spec.bos_id}, {47, spec.eos_id}, {48, spec.pad_id}};
  for (const auto& [field, id] : named)
    if (const std::string* piece = piece_or_null(spec, id)) put_bytes(trainer, field, *piece);
  put_bytes(out, 2, trainer);
  std::string normalizer;  // ModelProto.normalizer_spec = 3
  put_bytes(normalizer, 1, "identity");
  put_int(normalizer, 3, spec.add_dummy_prefix ? 1 : 0);
  put_int(normalizer, 4, spec.remove_extra_whitespaces ? 1 : 0);
  put_int(normalizer, 5, 1);  // escape_whitespaces: spaces are "▁" in pieces
  put_bytes(out, 3, normalizer);
  return out;
}

}  // namespace aimicius::runtime

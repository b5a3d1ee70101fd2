// A GGUF file (llama.cpp's checkpoint format, versions 2 and 3, little-endian), opened read-only
// and memory-mapped.
//
// Layout: "GGUF", uint32 version, uint64 tensor count, uint64 metadata count; metadata as
// (string key, uint32 value type, value); tensor infos as (string name, uint32 n_dims, uint64
// dims[n_dims] innermost first, uint32 ggml type, uint64 offset); padding to `general.alignment`
// (default 32); the data region, where each tensor's offset is relative to its start. A string is
// a uint64 length and that many bytes; an array is a uint32 element type, a uint64 count and the
// elements.
//
// Invariants after open(): every length, count, shape and offset was checked against the file
// size and fixed bounds before anything was allocated from it, so a hostile file is refused with an
// InputError naming the file, the key or tensor, and the byte offset. Every tensor has 1..4 dims,
// each >= 1, a type that type_info() knows, a row length that is a multiple of its block, its bytes
// wholly inside the data region at an aligned offset, and no two tensors overlap. Metadata keys
// and tensor names are unique. Metadata arrays hold at most 2^23 elements in all (each element is
// a Value in memory), strings at most 1 GiB. The mapping lives as long as the object; TensorInfo::data points
// into it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/gguf/ggml_types.h"

namespace aimicius::runtime::gguf {

enum class ValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

const char* value_type_name(ValueType t);

// One metadata value. Integers of every width are held in `i` (uint64 values above INT64_MAX are
// refused), floats in `f`; arrays hold their elements in `array` (all of type `element_type`).
struct Value {
  ValueType type = ValueType::kU8;
  int64_t i = 0;
  double f = 0.0;
  bool b = false;
  std::string s;
  ValueType element_type = ValueType::kU8;
  std::vector<Value> array;

  bool is_integer() const;
  bool is_float() const { return type == ValueType::kF32 || type == ValueType::kF64; }
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // innermost first, as the file writes them (ne[0] is the row length)
  GgmlType type = GgmlType::kF32;
  uint64_t offset = 0;        // within the data region
  uint64_t nbytes = 0;
  const std::byte* data = nullptr;
  int64_t numel() const;
  // The shape as row-major frameworks write it: dims reversed.
  std::vector<int64_t> shape() const;
};

class GgufFile {
 public:
  static std::unique_ptr<GgufFile> open(const std::filesystem::path& file);
  // Parses bytes already in memory (`bytes` must outlive the object); `name` is used in errors.
  static std::unique_ptr<GgufFile> parse(const std::byte* bytes, size_t size, const std::string& name);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  const std::string& name() const { return name_; }
  const std::map<std::string, Value>& metadata() const { return metadata_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }

  const Value* find(const std::string& key) const;
  const TensorInfo* find_tensor(const std::string& name) const;

  // Typed metadata lookups: InputError naming the file and key when the key is missing (require_*)
  // or of another type.
  std::string require_string(const std::string& key) const;
  int64_t require_int(const std::string& key) const;
  std::optional<int64_t> optional_int(const std::string& key) const;
  std::optional<double> optional_float(const std::string& key) const;  // floats and integers
  std::optional<std::string> optional_string(const std::string& key) const;
  std::optional<bool> optional_bool(const std::string& key) const;

  // The tensor's values as float32, row-major in shape() order.
  std::vector<float> to_float(const TensorInfo& tensor) const;

 private:
  GgufFile() = default;
  void parse_all();

  std::string name_;
  const std::byte* bytes_ = nullptr;
  size_t size_ = 0;
  void* map_ = nullptr;  // when open() mapped the file
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::map<std::string, Value> metadata_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

}  // namespace aimicius::runtime::gguf

// Safetensors checkpoints: read (memory-mapped, validated) and write.
//
// Format: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape,
// data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data region; offsets are
// relative to the data region.
//
// Invariants after open(): the file is mapped read-only for the lifetime of the object; every
// tensor's [begin, end) lies inside the data region, end - begin == numel * dtype size, shapes are
// non-negative, and no two tensors overlap. So a TensorView can be read without bounds checks and
// a file that lies (truncated, bad offsets) is refused up front with an InputError naming the file
// and tensor, never read out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/dtype.h"

namespace aimicius::runtime {

struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;  // inside the mapping; may be unaligned
  size_t nbytes = 0;
  int64_t numel() const;
};

std::string shape_string(const std::vector<int64_t>& shape);

class SafetensorsFile {
 public:
  static std::unique_ptr<SafetensorsFile> open(const std::filesystem::path& file);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// All the weights of a checkpoint folder: model.safetensors, or the shards named by
// model.safetensors.index.json ("weight_map": {tensor: file}).
class SafetensorsCheckpoint {
 public:
  static SafetensorsCheckpoint open(const std::filesystem::path& dir);

  const TensorView* find(const std::string& name) const;
  // Throws InputError naming the tensor (and the expected and actual shape) when it is missing or
  // mis-shaped.
  const TensorView& require(const std::string& name, const std::vector<int64_t>& shape) const;
  // require(), and a floating-point dtype (F32, F16, BF16, F64): a model weight.
  const TensorView& require_weight(const std::string& name, const std::vector<int64_t>& shape) const;
  std::vector<std::string> names() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorView*> index_;
};

struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::string_view bytes;  // numel * dtype size bytes, little-endian
};

// Writes one safetensors file (tensors in the given order, header padded to 8 bytes).
void write_safetensors(const std::filesystem::path& file, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Reads a tensor as float32 values (F32, F16, BF16, F64), whatever its storage dtype.
std::vector<float> to_float_vector(const TensorView& view);

}  // namespace aimicius::runtime

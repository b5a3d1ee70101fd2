#include "runtime/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/json_file.h"

namespace aimicius::runtime {
namespace fs = std::filesystem;

namespace {

// A header larger than this is not a real checkpoint (the format's own reference caps it at 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

uint64_t read_le_u64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_string(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const fs::path& file) {
  std::unique_ptr<SafetensorsFile> st(new SafetensorsFile());
  st->path_ = file;
  const std::string where = file.string();
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(fmt::format("cannot open {}", where));
  struct stat sb {};
  if (fstat(fd, &sb) != 0) {
    ::close(fd);
    throw InputError(fmt::format("cannot stat {}", where));
  }
  const auto size = static_cast<uint64_t>(sb.st_size);
  if (size < 8) {
    ::close(fd);
    throw InputError(fmt::format("{}: truncated ({} bytes, no header length)", where, size));
  }
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw InputError(fmt::format("cannot map {}", where));
  st->map_ = map;
  st->map_size_ = size;
  const auto* base = static_cast<const std::byte*>(map);

  const uint64_t header_len = read_le_u64(base);
  if (header_len > kMaxHeaderBytes || header_len > size - 8)
    throw InputError(fmt::format("{}: header length {} exceeds the file ({} bytes): truncated or not safetensors",
                                 where, header_len, size));
  // Not read_json_file: the header is part of a binary file, and its errors say "header".
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(reinterpret_cast<const char*>(base + 8),
                                   reinterpret_cast<const char*>(base + 8 + header_len));
  } catch (const nlohmann::json::exception& e) {  // syntax, and numbers past double's range
    throw InputError(fmt::format("{}: malformed header JSON: {}", where, e.what()));
  }
  if (!header.is_object()) throw InputError(fmt::format("{}: header is not a JSON object", where));

  const std::byte* data = base + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) throw InputError(fmt::format("{}: __metadata__ is not an object", where));
      for (const auto& [k, v] : info.items())
        st->metadata_[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    const std::string tw = fmt::format("{}: tensor \"{}\"", where, name);
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
      throw InputError(fmt::format("{}: needs dtype, shape and data_offsets", tw));
    TensorView v;
    v.name = name;
    try {
      v.dtype = parse_dtype(info["dtype"].get<std::string>());
      v.shape = info["shape"].get<std::vector<int64_t>>();
    } catch (const std::exception& e) {
      throw InputError(fmt::format("{}: {}", tw, e.what()));
    }
    uint64_t numel = 1;
    for (int64_t d : v.shape) {
      if (d < 0) throw InputError(fmt::format("{}: negative dimension in shape {}", tw, shape_string(v.shape)));
      if (d != 0 && numel > data_size / static_cast<uint64_t>(d))
        throw InputError(fmt::format("{}: shape {} is larger than the file", tw, shape_string(v.shape)));
      numel *= static_cast<uint64_t>(d);
    }
    const auto& off = info["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw InputError(fmt::format("{}: data_offsets must be two non-negative integers", tw));
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > data_size)
      throw InputError(fmt::format("{}: data_offsets [{}, {}] outside the data region of {} bytes (truncated file?)",
                                   tw, begin, end, data_size));
    if (end - begin != numel * dtype_size(v.dtype))
      throw InputError(fmt::format("{}: {} bytes for shape {} of {} (expected {})", tw, end - begin,
                                   shape_string(v.shape), dtype_name(v.dtype), numel * dtype_size(v.dtype)));
    v.data = data + begin;
    v.nbytes = end - begin;
    if (v.nbytes) ranges.emplace_back(begin, end);
    st->tensors_.emplace(name, std::move(v));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      throw InputError(fmt::format("{}: tensors overlap at data offset {}", where, ranges[i].first));
  return st;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) munmap(map_, map_size_);
}

SafetensorsCheckpoint SafetensorsCheckpoint::open(const fs::path& dir) {
  SafetensorsCheckpoint ckpt;
  ckpt.dir_ = dir;
  const fs::path index = dir / "model.safetensors.index.json";
  std::vector<fs::path> shard_files;
  std::map<std::string, std::string> weight_map;
  if (input_file_present(index)) {
    const nlohmann::json j = read_json_file(index);
    try {
      weight_map = j.at("weight_map").get<std::map<std::string, std::string>>();
    } catch (const std::exception& e) {
      throw InputError(fmt::format("{}: {}", index.string(), e.what()));
    }
    std::set<std::string> names;
    for (const auto& [_, file] : weight_map) names.insert(file);
    for (const auto& f : names) {
      if (fs::path(f).is_absolute() || f.find("..") != std::string::npos)
        throw InputError(fmt::format("{}: shard path must stay in the folder: {}", index.string(), f));
      shard_files.push_back(dir / f);
    }
  } else if (input_file_present(dir / "model.safetensors")) {
    shard_files.push_back(dir / "model.safetensors");
  } else {
    throw InputError(fmt::format("{}: no model.safetensors or model.safetensors.index.json", dir.string()));
  }
  for (const auto& f : shard_files) ckpt.files_.push_back(SafetensorsFile::open(f));
  for (const auto& file : ckpt.files_) {
    for (const auto& [name, view] : file->tensors()) {
      if (!weight_map.empty()) {
        auto it = weight_map.find(name);
        if (it == weight_map.end() || dir / it->second != file->path()) continue;  // index decides
      }
      if (!ckpt.index_.emplace(name, &view).second)
        throw InputError(fmt::format("{}: tensor \"{}\" appears twice", file->path().string(), name));
    }
  }
  for (const auto& [name, file] : weight_map)
    if (!ckpt.index_.count(name))
      throw InputError(fmt::format("{}: index names tensor \"{}\" in {}, which lacks it", index.string(), name, file));
  return ckpt;
}

const TensorView* SafetensorsCheckpoint::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

const TensorView& SafetensorsCheckpoint::require(const std::string& name, const std::vector<int64_t>& shape) const {
  const TensorView* v = find(name);
  if (!v) throw InputError(fmt::format("{}: missing tensor \"{}\" (expected shape {})", dir_.string(), name,
                                       shape_string(shape)));
  if (v->shape != shape)
    throw InputError(fmt::format("{}: tensor \"{}\" has shape {}, expected {}", dir_.string(), name,
                                 shape_string(v->shape), shape_string(shape)));
  return *v;
}

const TensorView& SafetensorsCheckpoint::require_weight(const std::string& name,
                                                        const std::vector<int64_t>& shape) const {
  const TensorView& v = require(name, shape);
  if (v.dtype != DType::kF32 && v.dtype != DType::kF16 && v.dtype != DType::kBF16 && v.dtype != DType::kF64)
    throw InputError(fmt::format("{}: tensor \"{}\" has dtype {}, expected a float type (F32, F16, BF16, F64)",
                                 dir_.string(), name, dtype_name(v.dtype)));
  return v;
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : index_) out.push_back(name);
  return out;
}

void write_safetensors(const fs::path& file, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    int64_t numel = 1;
    for (int64_t d : t.shape) numel *= d;
    if (t.bytes.size() != static_cast<uint64_t>(numel) * dtype_size(t.dtype))
      throw std::invalid_argument(fmt::format("write_safetensors: tensor \"{}\" has {} bytes for shape {} of {}",
                                              t.name, t.bytes.size(), shape_string(t.shape), dtype_name(t.dtype)));
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data region 8-byte aligned
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw InputError(fmt::format("cannot write {}", file.string()));
  const uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& t : tensors) out.write(t.bytes.data(), static_cast<std::streamsize>(t.bytes.size()));
  if (!out) throw InputError(fmt::format("write error on {}", file.string()));
}

std::vector<float> to_float_vector(const TensorView& v) {
  const auto n = static_cast<size_t>(v.numel());
  std::vector<float> out(n);
  switch (v.dtype) {
    case DType::kF32:
      // A tensor with a 0 in its shape has no bytes, and memcpy into an empty vector's null data()
      // is undefined even for 0 bytes (found by fuzz/safetensors_fuzz.cpp under UBSan).
      if (n > 0) std::memcpy(out.data(), v.data, n * 4);
      break;
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, v.data + 8 * i, 8);
        out[i] = static_cast<float>(d);
      }
      break;
    case DType::kBF16:
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, v.data + 2 * i, 2);
        out[i] = v.dtype == DType::kBF16 ? bf16_to_float(h) : f16_to_float(h);
      }
      break;
    default:
      throw InputError(fmt::format("tensor \"{}\" has dtype {}, expected a float type", v.name, dtype_name(v.dtype)));
  }
  return out;
}

}  // namespace aimicius::runtime

#include "runtime/gguf/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius::runtime::gguf {
namespace {

// Bounds no real checkpoint comes near; they keep a hostile count from sizing an allocation.
constexpr uint64_t kMaxStringBytes = uint64_t{1} << 30;
constexpr int kMaxArrayDepth = 4;
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMaxAlignment = uint64_t{1} << 20;
// Each array element becomes a Value (~90 bytes): without a cap, a file of 1-byte elements would
// cost ~90x its size in memory. Real files hold at most a few hundred thousand tokens and merges.
constexpr uint64_t kMaxArrayElements = uint64_t{1} << 23;

// Reads the header region front to back; every read checks the bytes left first.
class Cursor {
 public:
  Cursor(const std::byte* data, size_t size, const std::string& name) : data_(data), size_(size), name_(name) {}

  size_t pos() const { return pos_; }
  size_t left() const { return size_ - pos_; }

  [[noreturn]] void fail(const std::string& what, size_t at) const {
    throw InputError(fmt::format("{}: malformed GGUF at byte {}: {}", name_, at, what));
  }
  void need(uint64_t n, const std::string& what) const {
    if (n > left()) fail(fmt::format("{} needs {} bytes, {} left in the file", what, n, left()), pos_);
  }
  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));  // little-endian hosts only (x86-64, aarch64)
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(const std::string& what) {
    const size_t at = pos_;
    const uint64_t n = read<uint64_t>(what + " length");
    if (n > kMaxStringBytes) fail(fmt::format("{} claims {} bytes", what, n), at);
    need(n, what);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(n));
    pos_ += n;
    return s;
  }

 private:
  const std::byte* data_;
  size_t size_;
  size_t pos_ = 0;
  const std::string& name_;
};

// The fewest bytes one value of type t can take: bounds array counts before anything is sized.
uint64_t min_value_bytes(ValueType t) {
  switch (t) {
    case ValueType::kU8: case ValueType::kI8: case ValueType::kBool: return 1;
    case ValueType::kU16: case ValueType::kI16: return 2;
    case ValueType::kU32: case ValueType::kI32: case ValueType::kF32: return 4;
    case ValueType::kU64: case ValueType::kI64: case ValueType::kF64: case ValueType::kString: return 8;
    case ValueType::kArray: return 12;
  }
  return 1;
}

bool known_value_type(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::kF64); }

// `elements`: array elements read so far in the file, against kMaxArrayElements.
Value read_value(Cursor& c, ValueType type, const std::string& key, int depth, uint64_t& elements) {
  Value v;
  v.type = type;
  switch (type) {
    case ValueType::kU8: v.i = c.read<uint8_t>(key); break;
    case ValueType::kI8: v.i = c.read<int8_t>(key); break;
    case ValueType::kU16: v.i = c.read<uint16_t>(key); break;
    case ValueType::kI16: v.i = c.read<int16_t>(key); break;
    case ValueType::kU32: v.i = c.read<uint32_t>(key); break;
    case ValueType::kI32: v.i = c.read<int32_t>(key); break;
    case ValueType::kI64: v.i = c.read<int64_t>(key); break;
    case ValueType::kU64: {
      const size_t at = c.pos();
      const uint64_t u = c.read<uint64_t>(key);
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        c.fail(fmt::format("metadata \"{}\": uint64 value {} is out of range", key, u), at);
      v.i = static_cast<int64_t>(u);
      break;
    }
    case ValueType::kF32: v.f = c.read<float>(key); break;
    case ValueType::kF64: v.f = c.read<double>(key); break;
    case ValueType::kBool: {
      const size_t at = c.pos();
      const uint8_t b = c.read<uint8_t>(key);
      if (b > 1) c.fail(fmt::format("metadata \"{}\": bool byte {} is neither 0 nor 1", key, b), at);
      v.b = b == 1;
      break;
    }
    case ValueType::kString: v.s = c.read_string(fmt::format("metadata \"{}\"", key)); break;
    case ValueType::kArray: {
      const size_t at = c.pos();
      if (depth >= kMaxArrayDepth) c.fail(fmt::format("metadata \"{}\": arrays nested deeper than {}", key, kMaxArrayDepth), at);
      const uint32_t et = c.read<uint32_t>(key + " element type");
      if (!known_value_type(et)) c.fail(fmt::format("metadata \"{}\": unknown array element type {}", key, et), at);
      v.element_type = static_cast<ValueType>(et);
      const uint64_t n = c.read<uint64_t>(key + " array length");
      if (n > c.left() / min_value_bytes(v.element_type))
        c.fail(fmt::format("metadata \"{}\": array of {} {} values cannot fit in the {} bytes left", key, n,
                           value_type_name(v.element_type), c.left()),
               at);
      if (n > kMaxArrayElements - elements)
        c.fail(fmt::format("metadata \"{}\": array of {} elements takes the file past {} array elements in all", key,
                           n, kMaxArrayElements), at);
      elements += n;
      v.array.reserve(static_cast<size_t>(n));
      for (uint64_t k = 0; k < n; ++k) v.array.push_back(read_value(c, v.element_type, key, depth + 1, elements));
      break;
    }
  }
  return v;
}

}  // namespace

const char* value_type_name(ValueType t) {
  static constexpr const char* kNames[] = {"uint8", "int8",  "uint16", "int16",  "uint32", "int32", "float32",
                                           "bool",  "string", "array", "uint64", "int64",  "float64"};
  const auto i = static_cast<uint32_t>(t);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

bool Value::is_integer() const {
  switch (type) {
    case ValueType::kU8: case ValueType::kI8: case ValueType::kU16: case ValueType::kI16: case ValueType::kU32:
    case ValueType::kI32: case ValueType::kU64: case ValueType::kI64: return true;
    default: return false;
  }
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::vector<int64_t> TensorInfo::shape() const { return {dims.rbegin(), dims.rend()}; }

std::unique_ptr<GgufFile> GgufFile::open(const std::filesystem::path& file) {
  const std::string name = file.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(fmt::format("{}: cannot open the GGUF file: {}", name, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(fmt::format("{}: not a regular file", name));
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size < 24) {
    ::close(fd);
    throw InputError(fmt::format("{}: malformed GGUF: {} bytes, shorter than the 24-byte header", name, size));
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw InputError(fmt::format("{}: cannot map the file: {}", name, std::strerror(errno)));
  std::unique_ptr<GgufFile> g(new GgufFile());
  g->name_ = name;
  g->map_ = map;
  g->bytes_ = static_cast<const std::byte*>(map);
  g->size_ = size;
  g->parse_all();  // on a throw, the destructor unmaps
  return g;
}

std::unique_ptr<GgufFile> GgufFile::parse(const std::byte* bytes, size_t size, const std::string& name) {
  std::unique_ptr<GgufFile> g(new GgufFile());
  g->name_ = name;
  g->bytes_ = bytes;
  g->size_ = size;
  g->parse_all();
  return g;
}

GgufFile::~GgufFile() {
  if (map_) ::munmap(map_, size_);
}

void GgufFile::parse_all() {
  Cursor c(bytes_, size_, name_);
  if (size_ < 4 || std::memcmp(bytes_, "GGUF", 4) != 0) c.fail("not a GGUF file (the magic \"GGUF\" is missing)", 0);
  c.read<uint32_t>("magic");
  version_ = c.read<uint32_t>("version");
  if (version_ == 1) c.fail("GGUF version 1 is not supported (versions 2 and 3 are)", 4);
  if (version_ == 0x02000000u || version_ == 0x03000000u)
    c.fail("a big-endian GGUF file; only little-endian files are supported", 4);
  if (version_ != 2 && version_ != 3) c.fail(fmt::format("unknown GGUF version {} (2 and 3 are supported)", version_), 4);
  const uint64_t n_tensors = c.read<uint64_t>("tensor count");
  const uint64_t n_kv = c.read<uint64_t>("metadata count");
  // A key/value takes at least 8 + 4 + 1 bytes and a tensor info 8 + 4 + 8 + 4 + 8.
  if (n_kv > c.left() / 13) c.fail(fmt::format("metadata count {} cannot fit in the file", n_kv), 16);
  if (n_tensors > c.left() / 32) c.fail(fmt::format("tensor count {} cannot fit in the file", n_tensors), 8);

  uint64_t array_elements = 0;
  for (uint64_t k = 0; k < n_kv; ++k) {
    const size_t at = c.pos();
    std::string key = c.read_string(fmt::format("metadata key #{}", k));
    const size_t type_at = c.pos();
    const uint32_t type = c.read<uint32_t>(key + " type");
    if (!known_value_type(type)) c.fail(fmt::format("metadata \"{}\": unknown value type {}", key, type), type_at);
    Value v = read_value(c, static_cast<ValueType>(type), key, 0, array_elements);
    if (metadata_.count(key)) c.fail(fmt::format("metadata key \"{}\" appears twice", key), at);
    metadata_.emplace(std::move(key), std::move(v));
  }
  if (const Value* a = find("general.alignment")) {
    if (a->type != ValueType::kU32 || a->i == 0 || (a->i & (a->i - 1)) != 0 || static_cast<uint64_t>(a->i) > kMaxAlignment)
      throw InputError(fmt::format("{}: general.alignment must be a uint32 power of two up to {} (got {} {})", name_,
                                   kMaxAlignment, value_type_name(a->type), a->i));
    alignment_ = static_cast<uint64_t>(a->i);
  }

  std::vector<size_t> info_at;
  tensors_.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t t = 0; t < n_tensors; ++t) {
    const size_t at = c.pos();
    TensorInfo info;
    info.name = c.read_string(fmt::format("tensor name #{}", t));
    const auto where = [&] { return fmt::format("tensor \"{}\"", info.name); };
    const uint32_t n_dims = c.read<uint32_t>(where() + " n_dims");
    if (n_dims == 0 || n_dims > kMaxDims) c.fail(fmt::format("{}: {} dimensions (1 to {} allowed)", where(), n_dims, kMaxDims), at);
    uint64_t numel = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t dim = c.read<uint64_t>(where() + " dimension");
      if (dim == 0 || dim > (uint64_t{1} << 40) || numel > (uint64_t{1} << 40) / dim)
        c.fail(fmt::format("{}: dimension {} = {} is zero or makes the tensor absurdly large", where(), d, dim), at);
      numel *= dim;
      info.dims.push_back(static_cast<int64_t>(dim));
    }
    const size_t type_at = c.pos();
    const uint32_t type = c.read<uint32_t>(where() + " type");
    const auto ti = type_info(type);
    if (!ti) c.fail(fmt::format("{}: unsupported tensor type {} (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K)",
                                where(), type_name(type)), type_at);
    info.type = ti->type;
    if (info.dims[0] % ti->block_elements != 0)
      c.fail(fmt::format("{}: row length {} is not a multiple of the {} block of {}", where(), info.dims[0], ti->name,
                         ti->block_elements), at);
    info.nbytes = numel / ti->block_elements * ti->block_bytes;
    info.offset = c.read<uint64_t>(where() + " offset");
    if (tensor_index_.count(info.name)) c.fail(fmt::format("{} appears twice", where()), at);
    tensor_index_[info.name] = tensors_.size();
    tensors_.push_back(std::move(info));
    info_at.push_back(at);
  }
  data_offset_ = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
  if (n_tensors > 0 && data_offset_ > size_)
    c.fail(fmt::format("the data region (aligned to {}) starts past the end of the file", alignment_), c.pos());
  const uint64_t data_size = n_tensors > 0 ? size_ - data_offset_ : 0;

  std::vector<size_t> order(tensors_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i : order) {
    TensorInfo& info = tensors_[i];
    if (info.offset % alignment_ != 0)
      throw InputError(fmt::format("{}: malformed GGUF at byte {}: tensor \"{}\": offset {} is not a multiple of the "
                                   "alignment {}", name_, info_at[i], info.name, info.offset, alignment_));
    if (info.offset > data_size || info.nbytes > data_size - info.offset)
      throw InputError(fmt::format("{}: malformed GGUF at byte {}: tensor \"{}\": bytes [{}, {}) of the data region "
                                   "lie past its end ({} bytes, file offset {})", name_, info_at[i], info.name,
                                   info.offset, info.offset + info.nbytes, data_size, data_offset_));
    info.data = bytes_ + data_offset_ + info.offset;
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const TensorInfo& prev = tensors_[order[k - 1]];
    const TensorInfo& cur = tensors_[order[k]];
    if (cur.offset < prev.offset + prev.nbytes)
      throw InputError(fmt::format("{}: malformed GGUF at byte {}: tensors \"{}\" and \"{}\" overlap in the data "
                                   "region", name_, info_at[order[k]], prev.name, cur.name));
  }
}

const Value* GgufFile::find(const std::string& key) const {
  const auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

const TensorInfo* GgufFile::find_tensor(const std::string& name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

std::string GgufFile::require_string(const std::string& key) const {
  const auto s = optional_string(key);
  if (!s) throw InputError(fmt::format("{}: metadata \"{}\" is missing", name_, key));
  return *s;
}

int64_t GgufFile::require_int(const std::string& key) const {
  const auto v = optional_int(key);
  if (!v) throw InputError(fmt::format("{}: metadata \"{}\" is missing", name_, key));
  return *v;
}

std::optional<int64_t> GgufFile::optional_int(const std::string& key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_integer())
    throw InputError(fmt::format("{}: metadata \"{}\" is a {}, not an integer", name_, key, value_type_name(v->type)));
  return v->i;
}

std::optional<double> GgufFile::optional_float(const std::string& key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (v->is_float()) return v->f;
  if (v->is_integer()) return static_cast<double>(v->i);
  throw InputError(fmt::format("{}: metadata \"{}\" is a {}, not a number", name_, key, value_type_name(v->type)));
}

std::optional<std::string> GgufFile::optional_string(const std::string& key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != ValueType::kString)
    throw InputError(fmt::format("{}: metadata \"{}\" is a {}, not a string", name_, key, value_type_name(v->type)));
  return v->s;
}

std::optional<bool> GgufFile::optional_bool(const std::string& key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != ValueType::kBool)
    throw InputError(fmt::format("{}: metadata \"{}\" is a {}, not a bool", name_, key, value_type_name(v->type)));
  return v->b;
}

std::vector<float> GgufFile::to_float(const TensorInfo& tensor) const {
  std::vector<float> out(static_cast<size_t>(tensor.numel()));
  const int64_t row = tensor.dims[0];
  const int64_t rows = tensor.numel() / row;
  const int64_t row_bytes = static_cast<int64_t>(tensor.nbytes) / rows;
  for (int64_t r = 0; r < rows; ++r) dequantize_row(tensor.type, tensor.data + r * row_bytes, row, out.data() + r * row);
  return out;
}

}  // namespace aimicius::runtime::gguf

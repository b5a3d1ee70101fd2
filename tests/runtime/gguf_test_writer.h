// Writes small GGUF files for tests and the fuzz seed corpus, byte by byte from the format's
// definition (runtime/gguf/gguf_file.h describes the layout). Not a general writer: values are
// appended in call order, tensors are laid out in call order at aligned offsets.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace aimicius::test {

class GgufWriter {
 public:
  template <typename T>
  static void put(std::string& out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
  }
  static void put_string(std::string& out, const std::string& s) {
    put<uint64_t>(out, s.size());
    out += s;
  }

  void kv_u32(const std::string& key, uint32_t v) { header(key, 4); put(kv_, v); }
  void kv_i32(const std::string& key, int32_t v) { header(key, 5); put(kv_, v); }
  void kv_f32(const std::string& key, float v) { header(key, 6); put(kv_, v); }
  void kv_bool(const std::string& key, bool v) { header(key, 7); put<uint8_t>(kv_, v ? 1 : 0); }
  void kv_string(const std::string& key, const std::string& v) { header(key, 8); put_string(kv_, v); }
  void kv_u64(const std::string& key, uint64_t v) { header(key, 10); put(kv_, v); }
  void kv_f64(const std::string& key, double v) { header(key, 12); put(kv_, v); }
  void kv_strings(const std::string& key, const std::vector<std::string>& v) {
    header(key, 9);
    put<uint32_t>(kv_, 8);
    put<uint64_t>(kv_, v.size());
    for (const auto& s : v) put_string(kv_, s);
  }
  void kv_i32s(const std::string& key, const std::vector<int32_t>& v) {
    header(key, 9);
    put<uint32_t>(kv_, 5);
    put<uint64_t>(kv_, v.size());
    for (int32_t x : v) put(kv_, x);
  }
  void kv_f32s(const std::string& key, const std::vector<float>& v) {
    header(key, 9);
    put<uint32_t>(kv_, 6);
    put<uint64_t>(kv_, v.size());
    for (float x : v) put(kv_, x);
  }
  // A raw key/value (for hostile files): the key, then `value_bytes` as given.
  void kv_raw(const std::string& key, uint32_t type, const std::string& value_bytes) {
    header(key, type);
    kv_ += value_bytes;
  }

  // dims innermost first; `data` the tensor's bytes in the type's layout.
  void tensor(const std::string& name, const std::vector<uint64_t>& dims, uint32_t type, const std::string& data) {
    tensors_.push_back({name, dims, type, data});
  }
  void tensor_f32(const std::string& name, const std::vector<uint64_t>& dims, const std::vector<float>& v) {
    tensor(name, dims, 0, std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4));
  }

  std::string finish(uint32_t version = 3, uint64_t alignment = 32) const {
    std::string out = "GGUF";
    put(out, version);
    put<uint64_t>(out, tensors_.size());
    put<uint64_t>(out, n_kv_);
    out += kv_;
    uint64_t offset = 0;
    std::string data;
    for (const auto& t : tensors_) {
      put_string(out, t.name);
      put<uint32_t>(out, static_cast<uint32_t>(t.dims.size()));
      for (uint64_t d : t.dims) put(out, d);
      put(out, t.type);
      put(out, offset);
      data += t.data;
      offset += t.data.size();
      while (data.size() % alignment) data.push_back('\0');
      offset = data.size();
    }
    while (out.size() % alignment) out.push_back('\0');
    return out + data;
  }

 private:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    uint32_t type;
    std::string data;
  };
  void header(const std::string& key, uint32_t type) {
    put_string(kv_, key);
    put(kv_, type);
    ++n_kv_;
  }
  std::string kv_;
  uint64_t n_kv_ = 0;
  std::vector<Tensor> tensors_;
};

}  // namespace aimicius::test

// Dequantisation (runtime/gguf/ggml_types.h): for each type, blocks quantised in the test by the
// format's definition from chosen values (exact in float32) decode to exactly those values; and
// random blocks decode bit-exactly as llama.cpp's Python reference did
// (tests/data/gguf/dequant_fixtures.json, made by scripts/fixtures/gguf_dequant_fixtures.py).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/gguf/ggml_types.h"

namespace aimicius::runtime::gguf {
namespace {

// Halves used as scales below: exact powers of two.
constexpr uint16_t kHalfOne = 0x3C00, kHalfQuarter = 0x3400, kHalfHalf = 0x3800, kHalfMinusEighth = 0xB000;

void put16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>(v >> 8));
}

std::vector<float> decode(GgmlType t, const std::string& bytes, int64_t n) {
  std::vector<float> out(n);
  dequantize_row(t, reinterpret_cast<const std::byte*>(bytes.data()), n, out.data());
  return out;
}

TEST(GgufDequant, HalfAndBfloatConversions) {
  EXPECT_EQ(f16_to_float(kHalfOne), 1.0f);
  EXPECT_EQ(f16_to_float(kHalfMinusEighth), -0.125f);
  EXPECT_EQ(f16_to_float(0x0001), 5.9604644775390625e-08f);  // smallest subnormal
  EXPECT_EQ(f16_to_float(0x7BFF), 65504.0f);
  EXPECT_TRUE(std::isinf(f16_to_float(0x7C00)));
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_float(0xC040), -3.0f);
}

TEST(GgufDequant, Q8_0IsScaleTimesInt8) {
  std::string b;
  put16(b, kHalfQuarter);
  std::vector<float> want;
  for (int j = 0; j < 32; ++j) {
    const int8_t q = static_cast<int8_t>(j * 8 - 128);
    b.push_back(static_cast<char>(q));
    want.push_back(0.25f * q);
  }
  EXPECT_EQ(decode(GgmlType::kQ8_0, b, 32), want);
}

// Q4_0 / Q4_1: element j in the low nibble of byte j, element j + 16 in the high nibble.
std::string pack_nibbles(const std::vector<int>& q) {
  std::string s;
  for (int j = 0; j < 16; ++j) s.push_back(static_cast<char>(q[j] | (q[j + 16] << 4)));
  return s;
}

TEST(GgufDequant, Q4_0AndQ4_1) {
  std::vector<int> q(32);
  for (int j = 0; j < 32; ++j) q[j] = (j * 7) % 16;
  std::string b0;
  put16(b0, kHalfHalf);
  b0 += pack_nibbles(q);
  std::string b1;
  put16(b1, kHalfQuarter);
  put16(b1, kHalfMinusEighth);
  b1 += pack_nibbles(q);
  std::vector<float> want0, want1;
  for (int j = 0; j < 32; ++j) {
    want0.push_back(0.5f * (q[j] - 8));
    want1.push_back(0.25f * q[j] - 0.125f);
  }
  EXPECT_EQ(decode(GgmlType::kQ4_0, b0, 32), want0);
  EXPECT_EQ(decode(GgmlType::kQ4_1, b1, 32), want1);
}

// The 12 bytes holding eight 6-bit scales and eight 6-bit mins (k-quants): sub-blocks 0..3 in
// the low 6 bits of bytes 0..3 (scales) and 4..7 (mins); sub-blocks 4..7 split: low 4 bits in
// bytes 8..11 (scale low nibble, min high nibble), top 2 bits in the top bits of bytes 0..7.
std::string pack_k_scales(const int sc[8], const int mn[8]) {
  uint8_t s[12] = {};
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
    s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
  }
  return std::string(reinterpret_cast<const char*>(s), 12);
}

// Q4_K / Q5_K: 256 values in 8 sub-blocks of 32; the value of element e (sub-block e/32) is
// d*sc * q - dmin*mn. Sub-blocks 2i and 2i+1 share qs[32i .. 32i+31]: low nibbles, then high.
// Q5_K's fifth bit of element e is bit (e/32) of qh[e%32].
void k_quant_case(bool five_bits) {
  const int sc[8] = {1, 5, 17, 63, 32, 47, 8, 60}, mn[8] = {0, 63, 3, 20, 33, 16, 49, 2};
  std::vector<int> q(256);
  for (int e = 0; e < 256; ++e) q[e] = (e * 13 + 5) % (five_bits ? 32 : 16);
  std::string b;
  put16(b, kHalfQuarter);  // d
  put16(b, kHalfHalf);     // dmin
  b += pack_k_scales(sc, mn);
  if (five_bits) {
    std::string qh(32, '\0');
    for (int e = 0; e < 256; ++e)
      if (q[e] & 16) qh[e % 32] = static_cast<char>(qh[e % 32] | (1 << (e / 32)));
    b += qh;
  }
  std::string qs(128, '\0');
  for (int e = 0; e < 256; ++e) {
    const int pair = e / 64, within = e % 64, byte = pair * 32 + within % 32;
    qs[byte] = static_cast<char>(qs[byte] | ((q[e] & 0xF) << (within < 32 ? 0 : 4)));
  }
  b += qs;
  std::vector<float> want;
  for (int e = 0; e < 256; ++e) want.push_back(0.25f * sc[e / 32] * q[e] - 0.5f * mn[e / 32]);
  EXPECT_EQ(decode(five_bits ? GgmlType::kQ5_K : GgmlType::kQ4_K, b, 256), want);
}

TEST(GgufDequant, Q4_K) { k_quant_case(false); }
TEST(GgufDequant, Q5_K) { k_quant_case(true); }

// Q6_K: element e = 128h + 32k + l (h half, k quarter, l < 32) has 6-bit q: low 4 bits in
// ql[64h + l + 32(k&1)] (low nibble for k < 2, high for k >= 2), high 2 bits at bit 2k of
// qh[32h + l]; its scale is scales[8h + 2k + l/16]; value d * scale * (q - 32).
TEST(GgufDequant, Q6_K) {
  std::vector<int> q(256);
  for (int e = 0; e < 256; ++e) q[e] = (e * 29 + 3) % 64;
  int8_t scales[16];
  for (int i = 0; i < 16; ++i) scales[i] = static_cast<int8_t>(i * 9 - 70);
  std::string ql(128, '\0'), qh(64, '\0');
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, k = (e % 128) / 32, l = e % 32;
    const int lo = 64 * h + l + 32 * (k & 1);
    ql[lo] = static_cast<char>(ql[lo] | ((q[e] & 0xF) << (k < 2 ? 0 : 4)));
    qh[32 * h + l] = static_cast<char>(qh[32 * h + l] | ((q[e] >> 4) << (2 * k)));
  }
  std::string b = ql + qh + std::string(reinterpret_cast<const char*>(scales), 16);
  put16(b, kHalfQuarter);
  std::vector<float> want;
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, k = (e % 128) / 32, l = e % 32;
    want.push_back(0.25f * scales[8 * h + 2 * k + l / 16] * (q[e] - 32));
  }
  EXPECT_EQ(decode(GgmlType::kQ6_K, b, 256), want);
}

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(GgufDequant, BitEqualToLlamaCppPythonReference) {
  std::ifstream in(std::string(AIMICIUS_TEST_DATA_DIR) + "/gguf/dequant_fixtures.json");
  ASSERT_TRUE(in) << "tests/data/gguf/dequant_fixtures.json is missing";
  const auto fixtures = nlohmann::json::parse(in);
  const std::pair<const char*, GgmlType> types[] = {
      {"F32", GgmlType::kF32},   {"F16", GgmlType::kF16},   {"BF16", GgmlType::kBF16},
      {"Q8_0", GgmlType::kQ8_0}, {"Q4_0", GgmlType::kQ4_0}, {"Q4_1", GgmlType::kQ4_1},
      {"Q4_K", GgmlType::kQ4_K}, {"Q5_K", GgmlType::kQ5_K}, {"Q6_K", GgmlType::kQ6_K}};
  for (const auto& [name, type] : types) {
    ASSERT_TRUE(fixtures.contains(name)) << name;
    const auto& f = fixtures[name];
    const int64_t n = f["elements"].get<int64_t>();
    const std::vector<float> got = decode(type, unhex(f["bytes"].get<std::string>()), n);
    const std::string want = unhex(f["values"].get<std::string>());
    ASSERT_EQ(want.size(), static_cast<size_t>(n) * 4) << name;
    int mismatches = 0;
    for (int64_t i = 0; i < n; ++i) {
      uint32_t a, b;
      std::memcpy(&a, &got[i], 4);
      std::memcpy(&b, want.data() + 4 * i, 4);
      if (a != b && ++mismatches <= 3) ADD_FAILURE() << name << " element " << i << ": " << got[i] << " vs bits " << b;
    }
    EXPECT_EQ(mismatches, 0) << name;
  }
}

}  // namespace
}  // namespace aimicius::runtime::gguf

// The GGUF reader (runtime/gguf/gguf_file.h): valid v2/v3 files read back every metadata type and
// tensor; hostile files (truncations, huge counts, bad types, out-of-file or overlapping tensors,
// big-endian, v1) are InputErrors naming the file, the key or tensor, and the byte offset.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/errors.h"
#include "runtime/gguf/gguf_checkpoint.h"
#include "runtime/gguf/gguf_file.h"
#include "runtime/gguf/gguf_tokenizer.h"
#include "tests/runtime/gguf_test_writer.h"

namespace aimicius::runtime::gguf {
namespace {

using test::GgufWriter;

std::unique_ptr<GgufFile> parse(const std::string& bytes) {
  return GgufFile::parse(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), "t.gguf");
}

std::string error_of(const std::string& bytes) {
  try {
    parse(bytes);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

GgufWriter small_file() {
  GgufWriter w;
  w.kv_string("general.architecture", "llama");
  w.kv_u32("llama.block_count", 2);
  w.kv_f32("llama.rope.freq_base", 100000.0f);
  w.kv_bool("tokenizer.ggml.add_bos_token", true);
  w.kv_strings("tokenizer.ggml.tokens", {"a", "b", "<s>"});
  w.kv_i32s("tokenizer.ggml.token_type", {1, 1, 3});
  w.kv_u64("big", 1ull << 40);
  w.kv_f64("f64", 0.25);
  w.kv_i32("neg", -7);
  w.tensor_f32("x", {4, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  w.tensor_f32("y", {3}, {-1, -2, -3});
  return w;
}

TEST(GgufReader, ReadsEveryValueTypeAndTensorsInV2AndV3) {
  for (uint32_t version : {2u, 3u}) {
    const std::string bytes = small_file().finish(version);  // the parsed file views these bytes
    const auto g = parse(bytes);
    EXPECT_EQ(g->version(), version);
    EXPECT_EQ(g->require_string("general.architecture"), "llama");
    EXPECT_EQ(g->require_int("llama.block_count"), 2);
    EXPECT_DOUBLE_EQ(*g->optional_float("llama.rope.freq_base"), 100000.0);
    EXPECT_EQ(g->optional_bool("tokenizer.ggml.add_bos_token"), true);
    EXPECT_EQ(g->require_int("big"), 1ll << 40);
    EXPECT_DOUBLE_EQ(*g->optional_float("f64"), 0.25);
    EXPECT_EQ(g->require_int("neg"), -7);
    const Value* tokens = g->find("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens);
    ASSERT_EQ(tokens->array.size(), 3u);
    EXPECT_EQ(tokens->array[2].s, "<s>");
    ASSERT_EQ(g->tensors().size(), 2u);
    const TensorInfo* x = g->find_tensor("x");
    ASSERT_TRUE(x);
    EXPECT_EQ(x->shape(), (std::vector<int64_t>{2, 4}));
    EXPECT_EQ(g->to_float(*x), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(g->to_float(*g->find_tensor("y")), (std::vector<float>{-1, -2, -3}));
    EXPECT_EQ(g->data_offset() % 32, 0u);
  }
}

TEST(GgufReader, HonoursGeneralAlignment) {
  GgufWriter w = small_file();
  w.kv_u32("general.alignment", 64);
  const std::string bytes = w.finish(3, 64);  // the parsed file views these bytes
  const auto g = parse(bytes);
  EXPECT_EQ(g->alignment(), 64u);
  EXPECT_EQ(g->data_offset() % 64, 0u);
  EXPECT_EQ(g->to_float(*g->find_tensor("y")), (std::vector<float>{-1, -2, -3}));
  GgufWriter bad = small_file();
  bad.kv_u32("general.alignment", 48);
  EXPECT_NE(error_of(bad.finish(3, 48)).find("general.alignment"), std::string::npos);
}

TEST(GgufReader, EveryTruncationIsAnInputErrorNotACrash) {
  const std::string full = small_file().finish();
  // Every byte up to the end of the last tensor's data matters (the padding after it does not).
  size_t end = 0;
  const auto g = parse(full);
  for (const auto& t : g->tensors()) end = std::max<size_t>(end, g->data_offset() + t.offset + t.nbytes);
  ASSERT_LT(end, full.size() + 1);
  for (size_t n = 0; n < end; ++n) {
    const std::string cut = full.substr(0, n);
    EXPECT_THROW(parse(cut), InputError) << "truncated to " << n << " bytes";
  }
}

TEST(GgufReader, RefusesWrongMagicVersionsAndBigEndian) {
  std::string bytes = small_file().finish();
  EXPECT_NE(error_of("GGML" + bytes.substr(4)).find("magic"), std::string::npos);
  std::string v1 = bytes;
  v1[4] = 1;
  EXPECT_NE(error_of(v1).find("version 1"), std::string::npos);
  std::string be = bytes;
  be[4] = 0;
  be[7] = 3;
  EXPECT_NE(error_of(be).find("big-endian"), std::string::npos);
  std::string v9 = bytes;
  v9[4] = 9;
  EXPECT_NE(error_of(v9).find("unknown GGUF version 9"), std::string::npos);
}

TEST(GgufReader, HugeCountsAreRefusedBeforeAllocating) {
  std::string bytes = small_file().finish();
  std::string many_kv = bytes;
  const uint64_t huge = 1ull << 60;
  std::memcpy(&many_kv[16], &huge, 8);
  EXPECT_NE(error_of(many_kv).find("metadata count"), std::string::npos);
  std::string many_tensors = bytes;
  std::memcpy(&many_tensors[8], &huge, 8);
  EXPECT_NE(error_of(many_tensors).find("tensor count"), std::string::npos);

  GgufWriter w;
  std::string array;  // an array of strings claiming 2^50 elements
  GgufWriter::put<uint32_t>(array, 8);
  GgufWriter::put<uint64_t>(array, 1ull << 50);
  w.kv_raw("tokenizer.ggml.tokens", 9, array);
  const std::string e = error_of(w.finish());
  EXPECT_NE(e.find("tokenizer.ggml.tokens"), std::string::npos) << e;
  EXPECT_NE(e.find("at byte"), std::string::npos) << e;

  // 2^24 one-byte elements: a 16 MB file that would take ~1.5 GB as Values.
  GgufWriter bytes_array;
  std::string u8s;
  GgufWriter::put<uint32_t>(u8s, 0);
  GgufWriter::put<uint64_t>(u8s, 1ull << 24);
  u8s.append(1ull << 24, '\0');
  bytes_array.kv_raw("general.blob", 9, u8s);
  EXPECT_NE(error_of(bytes_array.finish()).find("array elements in all"), std::string::npos);

  GgufWriter s;
  std::string long_string;
  GgufWriter::put<uint64_t>(long_string, 1ull << 62);
  s.kv_raw("general.name", 8, long_string);
  EXPECT_NE(error_of(s.finish()).find("general.name"), std::string::npos);
}

TEST(GgufReader, BadValueAndTensorTypesNameTheKeyOrTensor) {
  GgufWriter w;
  w.kv_raw("weird", 13, "");
  EXPECT_NE(error_of(w.finish()).find("\"weird\": unknown value type 13"), std::string::npos);
  GgufWriter b;
  b.kv_raw("flag", 7, std::string(1, '\x05'));
  EXPECT_NE(error_of(b.finish()).find("flag"), std::string::npos);
  GgufWriter t;
  t.tensor("w", {32}, 6 /* Q5_0: not read */, std::string(22, '\0'));
  EXPECT_NE(error_of(t.finish()).find("tensor \"w\": unsupported tensor type"), std::string::npos);
  GgufWriter d;
  d.tensor("w5", {1, 1, 1, 1, 1}, 0, std::string(4, '\0'));
  EXPECT_NE(error_of(d.finish()).find("5 dimensions"), std::string::npos);
  GgufWriter z;
  z.tensor("zero", {0}, 0, "");
  EXPECT_NE(error_of(z.finish()).find("\"zero\""), std::string::npos);
  GgufWriter r;
  r.tensor("q", {16}, 8 /* Q8_0 blocks of 32 */, std::string(34, '\0'));
  EXPECT_NE(error_of(r.finish()).find("not a multiple"), std::string::npos);
}

TEST(GgufReader, OutOfFileOverlappingAndMisalignedTensorsAreRefused) {
  GgufWriter w;
  w.tensor_f32("a", {8}, std::vector<float>(8, 1.0f));
  w.tensor_f32("b", {8}, std::vector<float>(8, 2.0f));
  const std::string good = w.finish();
  parse(good);
  // The tensor infos follow the 24-byte header; "b"'s offset is its info's last 8 bytes.
  const size_t b_offset_at = good.find(std::string("\x01\0\0\0\0\0\0\0b", 9)) + 9 + 4 + 8 + 4;
  auto with_b_offset = [&](uint64_t off) {
    std::string s = good;
    std::memcpy(&s[b_offset_at], &off, 8);
    return error_of(s);
  };
  EXPECT_NE(with_b_offset(0).find("overlap"), std::string::npos) << with_b_offset(0);
  EXPECT_NE(with_b_offset(4096).find("past its end"), std::string::npos) << with_b_offset(4096);
  EXPECT_NE(with_b_offset(1ull << 63).find("tensor \"b\""), std::string::npos);
  EXPECT_NE(with_b_offset(33).find("alignment"), std::string::npos);
  GgufWriter dup;
  dup.tensor_f32("a", {8}, std::vector<float>(8, 1.0f));
  dup.tensor_f32("a", {8}, std::vector<float>(8, 1.0f));
  EXPECT_NE(error_of(dup.finish()).find("twice"), std::string::npos);
}

TEST(GgufReader, OpenNamesTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("gguf_reader_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "bad.gguf";
  std::ofstream(file, std::ios::binary) << "GGUF\x03";
  try {
    GgufFile::open(file);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
  const std::string good = small_file().finish();
  std::ofstream(file, std::ios::binary | std::ios::trunc).write(good.data(), static_cast<std::streamsize>(good.size()));
  EXPECT_EQ(GgufFile::open(file)->require_int("llama.block_count"), 2);
  std::filesystem::remove_all(dir);
}

// The fuzz target's seed corpus (fuzz/corpus/gguf/) through the fuzz target's calls: the valid
// seeds read whole, the truncated ones fail as InputError, never otherwise.
TEST(GgufReader, FuzzSeedsReadWholeOrFailAsInputError) {
  int valid = 0, refused = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(AIMICIUS_SOURCE_DIR) + "/fuzz/corpus/gguf")) {
    try {
      const auto g = GgufFile::open(entry.path());
      for (const auto& t : g->tensors()) (void)g->to_float(t);
      if (g->tensors().empty()) continue;
      EXPECT_EQ(gguf_model_config(*g).hidden_size, 8) << entry.path();
      EXPECT_EQ(gguf_tokenizer(*g)->encode("he1", false), (std::vector<int32_t>{3, 5})) << entry.path();
      ++valid;
    } catch (const InputError& e) {
      EXPECT_EQ(entry.path().filename().string().rfind("cut-", 0), 0u) << entry.path() << ": " << e.what();
      ++refused;
    }
  }
  EXPECT_EQ(valid, 3);
  EXPECT_EQ(refused, 5);
}

}  // namespace
}  // namespace aimicius::runtime::gguf

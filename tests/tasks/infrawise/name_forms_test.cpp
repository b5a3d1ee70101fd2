// The comparison forms of DCW names (scorers/dcw/name_forms.h): atoms, glued tokens, spelling rules,
// filler words, and the vocabulary that splits glued words.
#include "scorers/dcw/name_forms.h"

#include <gtest/gtest.h>

namespace aimicius {
namespace {

NameVocabulary vocabulary(std::initializer_list<const char*> texts) {
  NameVocabulary v;
  for (const char* text : texts) v.add(text);
  v.finish();
  return v;
}

const NameVocabulary& catalogue_like() {
  static const NameVocabulary v = vocabulary({"ND H100 v5", "DGX H100", "DGX A100", "NDm A100 v4", "ND MI300X v5",
                                              "H100 SXM5 80GB", "all reduce", "allreduce", "all to all", "alltoall",
                                              "bus bandwidth", "busbw", "tokens per second", "time to first token",
                                              "tokens/s", "llama2-70b lora fine-tuning"});
  return v;
}

std::string key(std::string_view name) { return name_forms(name, catalogue_like()).key; }
std::set<std::string> tokens(std::string_view name) { return name_forms(name, catalogue_like()).tokens; }

TEST(NameForms, CasePunctuationSpacingAndHyphensDoNotMatter) {
  EXPECT_EQ(key("DGX-A100"), key("dgx a100"));
  EXPECT_EQ(key("DGX_A100"), key(" DGX  A100 "));
  EXPECT_EQ(key("ND H100 v5"), "nd h100 v5");
  EXPECT_EQ(key("nd-h100-V5"), "nd h100 v5");
}

TEST(NameForms, DigitsAndLettersSplitAndGlueAlike) {
  EXPECT_EQ(key("H100SXM"), key("H100 SXM"));
  EXPECT_EQ(key("H100-SXM"), "h100 sxm");
  EXPECT_EQ(key("DGXH100"), key("DGX H100"));   // "dgxh" is split by the vocabulary: dgx + h
  EXPECT_EQ(key("NDH100v5"), key("ND H100 v5"));
  EXPECT_EQ(key("NDmA100v4"), key("NDm A100 v4"));
  EXPECT_EQ(key("MI300X"), "mi300x");           // a one-letter suffix stays with its model number
  EXPECT_EQ(key("MI300X-v5"), "mi300x v5");
  EXPECT_EQ(key("H200 SXM 141GB"), "h200 sxm 141 gb");  // nothing joins across words
  EXPECT_EQ(key("A100 v4"), "a100 v4");         // ...unless it starts the next model number
  EXPECT_EQ(key("llama2-70b"), key("Llama2 70B"));
  EXPECT_EQ(key("Llama 2 70B"), "llama 2 70b");
  EXPECT_NE(key("H100"), key("H200"));
  EXPECT_NE(key("A100"), key("H100"));
}

TEST(NameForms, CompoundsOfKnownWordsSplitLikeTheirSpacedSpelling) {
  // "allreduce" and "alltoall" are compounds of known words, so the vocabulary drops them.
  EXPECT_EQ(key("AllReduce"), key("all reduce"));
  EXPECT_EQ(key("alltoall"), key("all-to-all"));
  EXPECT_EQ(key("busbandwidth"), key("bus bandwidth"));
  EXPECT_EQ(key("timetofirsttoken"), key("time to first token"));
  EXPECT_FALSE(catalogue_like().knows("allreduce"));
  EXPECT_TRUE(catalogue_like().knows("dgx"));
  // ...unless a canonical name holds it as a word.
  NameVocabulary v;
  v.add("NCads H100 v5", /*canonical=*/true);
  v.add("NC A100 v4", true);
  v.add("NC96ads");
  v.add("all reduce");
  v.add("allreduce");
  v.finish();
  EXPECT_TRUE(v.knows("ncads"));
  EXPECT_FALSE(v.knows("allreduce"));
  EXPECT_EQ(name_forms("NCadsH100v5", v).key, "ncads h100 v5");
  // A word made of unknown letters stays whole.
  EXPECT_EQ(key("zzqx"), "zzqx");
}

// An answer's name may be one enormous run of letters: the split looks only at pieces as long as
// the vocabulary's longest word, so it ends at once (it once grew with the cube of the run: a
// 20,000-letter name took 51 s, a megabyte never ended). Runs of known words still split.
TEST(NameForms, AHugeRunOfLettersIsSplitInLinearWork) {
  const std::string unknown(1'000'000, 'q');  // no known word has a q
  EXPECT_EQ(key(unknown), unknown);
  std::string glued;
  for (int i = 0; i < 20'000; ++i) glued += i % 2 ? "reduce" : "all";
  const NameForms forms = name_forms(glued, catalogue_like());
  EXPECT_EQ(forms.tokens, (std::set<std::string>{"all", "reduce"}));
}

TEST(NameForms, MetricAbbreviationsUnitsAndPlurals) {
  EXPECT_EQ(tokens("busbw"), tokens("bus bandwidth"));
  EXPECT_EQ(tokens("bus bw"), tokens("bus bandwidths"));
  EXPECT_EQ(tokens("tokens/sec"), tokens("tokens per second"));
  EXPECT_EQ(tokens("tok/s"), tokens("token/s"));
  EXPECT_EQ(tokens("tps"), tokens("tokens per second"));
  EXPECT_EQ(tokens("TFLOPS"), (std::set<std::string>{"tflop"}));
  EXPECT_EQ(tokens("TFLOP/s"), (std::set<std::string>{"tflop", "s"}));
  EXPECT_EQ(tokens("TFLOPs"), tokens("teraflops"));
  EXPECT_EQ(tokens("\u00b5s"), tokens("usec"));    // micro sign
  EXPECT_EQ(tokens("\u03bcs"), tokens("us"));      // Greek mu
  EXPECT_EQ(tokens("lat"), tokens("latency"));
  EXPECT_EQ(tokens("tput"), tokens("throughput"));
  EXPECT_EQ(tokens("fine-tune"), tokens("finetuning"));
  EXPECT_EQ(tokens("training time"), (std::set<std::string>{"train", "time"}));
  // "bus", "ttft" and "us" keep their final letters.
  EXPECT_EQ(tokens("bus"), (std::set<std::string>{"bus"}));
  EXPECT_EQ(tokens("us"), (std::set<std::string>{"us"}));
  // algbw is another figure than busbw.
  EXPECT_NE(tokens("algbw"), tokens("busbw"));
}

TEST(NameForms, FillerWordsLeaveTheTokensButStayInTheKey) {
  EXPECT_EQ(tokens("NVIDIA DGX H100 server"), tokens("DGX H100"));
  EXPECT_EQ(tokens("Azure ND H100 v5 VMs"), tokens("ND H100 v5"));
  EXPECT_EQ(tokens("AMD Instinct MI300X nodes"), (std::set<std::string>{"mi300x"}));
  EXPECT_EQ(tokens("bandwidth of the bus"), tokens("bus bandwidth"));
  EXPECT_NE(key("H100 VM"), key("H100"));
  EXPECT_EQ(key("H100 VMs"), key("H100 VM"));
  EXPECT_TRUE(tokens("the NVIDIA").empty());
  EXPECT_TRUE(is_filler_token("sku"));
  EXPECT_FALSE(is_filler_token("dgx"));
}

TEST(NameForms, EmptyAndSymbolOnlyNames) {
  EXPECT_EQ(key(""), "");
  EXPECT_EQ(key("--//"), "");
  EXPECT_TRUE(tokens("").empty());
}

}  // namespace
}  // namespace aimicius

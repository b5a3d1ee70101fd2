// Published figures: the bundled file parses, and its tables carry the recorded values and say they
// are published. Values checked here are read from the file, in the test, by hand-picked keys.
#include <gtest/gtest.h>

#include <algorithm>

#include <fmt/format.h>

#include "common/errors.h"
#include "reports/published_tables.h"
#include "test_support.h"

namespace aimicius {
namespace {

TEST(PublishedTables, BundledSigmaFiguresRenderAsLabelledRows) {
  const auto doc = read_published_figures(testing::bundled_data_dir() / "published" / "sigma-2501.13629.json");
  // The figure for GPT-4's CMDGen-NVIDIA accuracy in Table 6, as recorded.
  double gpt4 = -1;
  for (const auto& f : doc["figures"])
    if (f["task"] == "cmdgen-nvidia" && f["model"] == "GPT-4" && f["metric"] == "accuracy" && f["table"] == "Table 6")
      gpt4 = f["value"];
  ASSERT_GE(gpt4, 0.0);
  const Table t = published_table(doc, "cmdgen");
  const auto metric_col = std::find(t.headers.begin(), t.headers.end(), "accuracy") - t.headers.begin();
  ASSERT_LT(static_cast<size_t>(metric_col), t.headers.size());
  bool found = false;
  for (const auto& row : t.rows)
    if (row[0] == "cmdgen-nvidia" && row[1] == "GPT-4" && row[2] == "Table 6 v2") {
      EXPECT_EQ(row[metric_col], fmt::format("{:.1f}", 100 * gpt4));
      found = true;
    }
  EXPECT_TRUE(found);
  for (const auto& row : t.rows) EXPECT_NE(row[0], "infrawise");  // filtered by suite
  ASSERT_FALSE(t.notes.empty());
  EXPECT_NE(t.notes[0].find("not reproduced"), std::string::npos);
  EXPECT_THROW(published_table(doc, "no-such-suite"), InputError);
}

TEST(PublishedTables, BadFilesAreNamed) {
  testing::ScratchDir dir;
  testing::write_file(dir / "p.json", R"({"figures": [{"task": "t", "suite": "s", "metric": "m", "model": "x"}]})");
  try {
    read_published_figures(dir / "p.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("figures[0] needs a string \"table\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aimicius

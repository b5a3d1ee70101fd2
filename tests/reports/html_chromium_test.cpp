// The HTML report rendered by a real browser: headless Chromium (Debian package `chromium`, a
// test-only dependency: scripts/install-deps.sh --tests) takes a screenshot, which must be a
// non-blank PNG of the requested size, and dumps the DOM after its script ran, which must hold the
// leaderboard and drill-down rows (and the failures filter, opened through "#only-failures").
// Skips, saying why, when Chromium (or python3, which decodes the PNG) is absent.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <sstream>

#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

int sh(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string find_chromium() {
  if (const char* env = std::getenv("AIMICIUS_CHROMIUM"); env && *env) return env;
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
    if (sh(std::string("command -v ") + name + " >/dev/null 2>&1") == 0) return name;
  return "";
}

class HtmlInChromium : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = find_chromium();
    if (chromium_.empty()) GTEST_SKIP() << "chromium not installed (scripts/install-deps.sh --tests installs it)";
    if (sh("command -v python3 >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 not installed (decodes the screenshot)";
    const std::string db = (dir_ / "c.db").string();
    const std::string base = std::string("'") + AIMICIUS_BIN + "' --db '" + db + "' --data-dir '" +
                             testing::fixture_data_dir().string() + "' ";
    const std::string replay = testing::fixture_file("replay_hand_counted.jsonl").string();
    ASSERT_EQ(sh(base + "run --model oracle >/dev/null 2>&1"), 0);
    ASSERT_EQ(sh(base + "run --model 'replay:" + replay + "' >/dev/null 2>&1"), 0);
    html_ = dir_ / "report.html";
    ASSERT_EQ(sh(base + "report 1 2 --format html --out '" + html_.string() + "'"), 0);
  }
  // Headless, no GPU, no sandbox (containers run tests as root), its own profile folder.
  std::string chromium_cmd(const std::string& args) const {
    return "timeout 180 " + chromium_ + " --headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars "
           "--user-data-dir='" + (dir_ / "profile").string() + "' " + args;
  }
  std::string chromium_;
  ScratchDir dir_;
  std::filesystem::path html_;
};

TEST_F(HtmlInChromium, ScreenshotIsADrawnPageOfTheRequestedSize) {
  const auto png = dir_ / "shot.png";
  const int rc = sh(chromium_cmd("--window-size=1024,768 --screenshot='" + png.string() + "' 'file://" + html_.string() +
                                 "' >'" + (dir_ / "chromium.log").string() + "' 2>&1"));
  ASSERT_EQ(rc, 0) << testing::read_file(dir_ / "chromium.log");
  ASSERT_TRUE(std::filesystem::exists(png)) << testing::read_file(dir_ / "chromium.log");
  const auto stats_file = dir_ / "stats.txt";
  const auto script = std::filesystem::path(AIMICIUS_TEST_DATA_DIR).parent_path() / "reports" / "png_stats.py";
  ASSERT_EQ(sh("python3 '" + script.string() + "' '" + png.string() + "' >'" +
               stats_file.string() + "' 2>&1"),
            0)
      << testing::read_file(stats_file);
  std::istringstream stats(testing::read_file(stats_file));
  int width = 0, height = 0, colours = 0;
  double non_white = 0;
  stats >> width >> height >> colours >> non_white;
  EXPECT_EQ(width, 1024);
  EXPECT_EQ(height, 768);
  // Text, table borders and shaded headers: many colours and a visible share of ink; a blank
  // page is one colour and 0% non-white.
  EXPECT_GT(colours, 20) << testing::read_file(stats_file);
  EXPECT_GT(non_white, 0.02) << testing::read_file(stats_file);
}

TEST_F(HtmlInChromium, DomHoldsTheTablesAndTheFilterWorks) {
  const auto dom_file = dir_ / "dom.html";
  ASSERT_EQ(sh(chromium_cmd("--dump-dom 'file://" + html_.string() + "#only-failures' >'" + dom_file.string() +
                            "' 2>'" + (dir_ / "chromium.log").string() + "'")),
            0)
      << testing::read_file(dir_ / "chromium.log");
  const std::string dom = testing::read_file(dom_file);
  ASSERT_NE(dom.find("<table class=\"leaderboard\">"), std::string::npos) << dom.substr(0, 2000);
  // The leaderboard's two runs, parsed by the browser (cells as it serialises them).
  EXPECT_NE(dom.find("<td class=\"num\">1</td><td>oracle (references, not a model)</td>"), std::string::npos);
  EXPECT_NE(dom.find("<td class=\"num\">2</td><td>replay:"), std::string::npos);
  size_t rows = 0;
  for (size_t at = 0; (at = dom.find("<tr class=\"example ", at)) != std::string::npos; ++at) ++rows;
  EXPECT_EQ(rows, 20u);
  EXPECT_NE(dom.find("<svg class=\"chart\""), std::string::npos);
  // The script ran: "#only-failures" ticked the box and filtered the body.
  EXPECT_NE(dom.find("<body class=\"only-failures\">"), std::string::npos) << dom.substr(0, 600);
}

}  // namespace
}  // namespace aimicius

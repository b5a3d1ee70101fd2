// tldr-pages style command lines (placeholders `{{...}}`, alternatives `{{a|b}}`, optional flags
// `{{[-v|--verbose]}}`) over many tools, generated here from templates (no tldr text copied):
// at least 99.9% must lex, and a `|` inside a placeholder never splits a segment, while a real
// pipe between placeholders does.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scorers/command/canonical_command.h"
#include "scorers/command/shell_words.h"

namespace aimicius {
namespace {

struct Generated {
  std::string line;
  std::size_t segments;                   // segments the line really has
  std::vector<std::string> placeholders;  // each must survive whole inside one word
};

// A small deterministic generator (linear congruential): the lines are the same on every run.
class Lines {
 public:
  std::size_t pick(std::size_t n) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>(state_ >> 33) % n;
  }
  template <typename T>
  const T& one(const std::vector<T>& items) { return items[pick(items.size())]; }

 private:
  unsigned long long state_ = 16;
};

std::vector<Generated> generate(std::size_t count) {
  const std::vector<std::string> tools = {
      "tar", "grep", "find", "ssh", "rsync", "curl", "git", "docker", "kubectl", "nvidia-smi", "rocm-smi", "amd-smi",
      "dcgmi", "nvcc", "hipcc", "nsys", "ncu", "mpirun", "all_reduce_perf", "ib_write_bw", "ibstat", "lspci",
      "numactl", "taskset", "watch", "free", "df", "dmesg", "ps", "sort", "head", "tail", "sed", "awk", "cp", "mv",
      "ln", "chmod", "chown", "systemctl", "journalctl", "ip", "ss", "tcpdump", "openssl", "gzip", "zstd", "xargs",
      "make", "cmake", "python3", "pip", "npm", "cargo", "go", "ffmpeg", "convert", "jq", "yq", "sb", "perfquery"};
  const std::vector<std::string> flags = {"-v", "-r", "-n", "--verbose", "--recursive", "-xf", "-czf", "--all",
                                          "-L", "-q", "--json", "-h"};
  const std::vector<std::string> placeholders = {
      "{{path/to/file}}", "{{path/to/directory}}", "{{cmd1|cmd2}}", "{{[-v|--verbose]}}", "{{[-r|--recursive]}}",
      "{{user@host}}", "{{1..10}}", "{{path/to/file1 path/to/file2 ...}}", "{{pattern}}", "{{gpu_index}}",
      "{{[-n|--lines]}} {{10}}", "{{MEMORY|UTILIZATION|ECC}}", "{{8|16|32}}", "{{name=value}}", "{{'quoted'}}",
      "{{\"double\"}}", "{{a;b}}", "{{x && y}}", "{{[-o|--output]}} {{path/to/out}}", "{{-}}"};
  const std::vector<std::string> tails = {"", " > {{path/to/output}}", " 2>&1", " &", " | less", " | grep {{pattern}}",
                                          " && echo {{done}}", " | sort {{[-u|--unique]}}"};
  Lines rng;
  std::vector<Generated> out;
  for (std::size_t i = 0; i < count; ++i) {
    Generated g;
    g.line = rng.one(tools);
    for (std::size_t k = 0, n = 1 + rng.pick(4); k < n; ++k) {
      if (rng.pick(3) == 0) {
        g.line += " " + rng.one(flags);
      } else {
        std::string p = rng.one(placeholders);
        const std::size_t style = rng.pick(6);
        if (style == 0) p = "--opt=" + p;
        if (style == 1 && p.find('"') == std::string::npos) p = "\"" + p + "\"";  // as a shell user would quote it
        g.line += " " + p;
        // The placeholder itself (first `{{...}}` of p) must appear intact in a word.
        const auto open = p.find("{{");
        g.placeholders.push_back(p.substr(open, p.find("}}", open) + 2 - open));
      }
    }
    const std::string& tail = rng.one(tails);
    g.line += tail;
    g.segments = tail.find(" | ") != std::string::npos || tail.find(" && ") != std::string::npos ? 2 : 1;
    out.push_back(std::move(g));
  }
  return out;
}

TEST(TldrPlaceholders, AlmostEveryGeneratedLineLexesAndPipesInsidePlaceholdersNeverSplit) {
  const auto lines = generate(5000);
  std::size_t lexed = 0, canonical = 0;
  for (const auto& g : lines) {
    ShellWords words;
    try {
      words = split_shell_words(g.line);
    } catch (const std::invalid_argument& e) {
      ADD_FAILURE() << g.line << ": " << e.what();
      continue;
    }
    ++lexed;
    EXPECT_EQ(words.segments.size(), g.segments) << g.line;
    for (const auto& placeholder : g.placeholders) {
      bool whole = false;
      for (const auto& segment : words.segments)
        for (const auto& word : segment) whole = whole || word.find(placeholder) != std::string::npos;
      EXPECT_TRUE(whole) << placeholder << " was split in: " << g.line;
    }
    try {
      canonical += !canonical_command(g.line).empty();
    } catch (const std::exception& e) {
      ADD_FAILURE() << g.line << ": " << e.what();
    }
  }
  EXPECT_GE(static_cast<double>(lexed) / static_cast<double>(lines.size()), 0.999);
  EXPECT_EQ(canonical, lexed);
}

}  // namespace
}  // namespace aimicius

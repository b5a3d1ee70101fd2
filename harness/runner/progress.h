// Progress of a run on stderr: a redrawn bar with rate and ETA on a terminal, plain lines
// (at most one every few seconds, plus start and end) when stderr is not a TTY, nothing when quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace aimicius {

class Progress {
 public:
  enum class Style { kBar, kLines, kQuiet };
  static Style style_for(std::FILE* stream);  // kBar on a TTY, kLines otherwise

  Progress(std::FILE* out, Style style) : out_(out), style_(style) {}
  void start(const std::string& label, int64_t total, int64_t already_done);
  // `tokens`: tokens the backend generated for these examples; `generating_seconds`: how long,
  // since start(), at least one backend call was running (its share of the wall time is shown).
  void advance(int64_t n = 1, int64_t tokens = 0, double generating_seconds = -1);
  void finish();

 private:
  void draw(bool final_line);

  std::FILE* out_;
  Style style_;
  std::string label_;
  int64_t total_ = 0;
  int64_t done_ = 0;
  int64_t resumed_ = 0;
  int64_t tokens_ = 0;
  double generating_seconds_ = -1;  // < 0: not reported
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace aimicius

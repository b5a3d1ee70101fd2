#include "harness/runner/progress.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

namespace aimicius {
namespace {

std::string format_duration(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--:--";
  const auto s = static_cast<int64_t>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
                   : fmt::format("{:02}:{:02}", s / 60, s % 60);
}

}  // namespace

Progress::Style Progress::style_for(std::FILE* stream) {
  return isatty(fileno(stream)) ? Style::kBar : Style::kLines;
}

void Progress::start(const std::string& label, int64_t total, int64_t already_done) {
  label_ = label;
  total_ = total;
  done_ = already_done;
  resumed_ = already_done;
  tokens_ = 0;
  generating_seconds_ = -1;
  started_ = last_draw_ = std::chrono::steady_clock::now();
  if (style_ == Style::kLines)
    fmt::print(out_, "{}: {} examples{}\n", label_, total_,
               already_done ? fmt::format(" ({} already stored, resuming)", already_done) : "");
  else if (style_ == Style::kBar)
    draw(false);
}

void Progress::advance(int64_t n, int64_t tokens, double generating_seconds) {
  done_ += n;
  tokens_ += tokens;
  if (generating_seconds >= 0) generating_seconds_ = generating_seconds;
  const auto now = std::chrono::steady_clock::now();
  const auto since = now - last_draw_;
  const bool due = style_ == Style::kBar ? since > std::chrono::milliseconds(100)
                                         : since > std::chrono::seconds(5);
  if (due && done_ < total_) draw(false);
}

void Progress::finish() { draw(true); }

void Progress::draw(bool final_line) {
  if (style_ == Style::kQuiet) return;
  last_draw_ = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(last_draw_ - started_).count();
  const int64_t fresh = done_ - resumed_;
  const double rate = elapsed > 0 ? fresh / elapsed : 0.0;
  const double eta = rate > 0 ? (total_ - done_) / rate : -1;
  std::string stats = fmt::format("{}/{} {:.1f} ex/s", done_, total_, rate);
  if (tokens_ > 0 && elapsed > 0) stats += fmt::format(" {:.0f} tok/s", tokens_ / elapsed);
  if (generating_seconds_ >= 0 && elapsed > 0)
    stats += fmt::format(" generating {:.0f}%", 100.0 * std::min(1.0, generating_seconds_ / elapsed));
  stats += fmt::format(" {} {}", final_line ? "in" : "ETA", format_duration(final_line ? elapsed : eta));
  if (style_ == Style::kLines) {
    fmt::print(out_, "{}: {}\n", label_, stats);
  } else {
    constexpr int kWidth = 30;
    const int filled = total_ > 0 ? static_cast<int>(kWidth * done_ / total_) : kWidth;
    fmt::print(out_, "\r{:<10} [{}{}] {}\x1b[K{}", label_, std::string(filled, '#'),
               std::string(kWidth - filled, '.'), stats, final_line ? "\n" : "");
  }
  std::fflush(out_);
}

}  // namespace aimicius

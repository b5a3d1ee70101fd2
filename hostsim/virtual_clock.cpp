// Implementation of virtual_clock.h: civil-date arithmetic (days from 1970-01-01, Hinnant's
// algorithms) for the timestamp, a splitmix64 hash of (profile, GPU, time) for the variation.
#include "hostsim/virtual_clock.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "hostsim/text_util.h"

namespace aimicius::hostsim {
namespace {

long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

void civil_from_days(long long z, long long& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<long long>(yoe) + era * 400 + (m <= 2);
}

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform draws in [-1, 1], a fresh one per call, from (profile, GPU, time).
class Draws {
 public:
  Draws(const std::string& profile, int gpu, long long elapsed_ms) {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a of the profile name
    for (unsigned char c : profile) h = (h ^ c) * 1099511628211ULL;
    state_ = mix(h ^ mix(static_cast<uint64_t>(gpu) + 1) ^ mix(static_cast<uint64_t>(elapsed_ms) * 0x100000001b3ULL));
  }
  double next() {
    state_ = mix(state_);
    return static_cast<double>(state_ >> 11) / static_cast<double>(1ULL << 52) - 1.0;
  }
  // An integer step in [-span, span] that is never 0 when span > 0 (so a sample always moves).
  int step(int span) {
    if (span <= 0) return 0;
    const int v = static_cast<int>(std::lround(next() * span));
    return v != 0 ? v : (next() < 0 ? -1 : 1);
  }

 private:
  uint64_t state_ = 0;
};

int clamp_int(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

void vary_gpu(const std::string& profile_name, long long elapsed_ms, Gpu& g) {
  Draws d(profile_name, g.index, elapsed_ms);
  const bool busy = g.utilization_gpu > 5;
  if (busy) {
    g.utilization_gpu = clamp_int(g.utilization_gpu + d.step(4), 1, 100);
    g.utilization_memory = clamp_int(g.utilization_memory + d.step(3), 0, 100);
  }
  // Power draw wanders around its level (more under load), under the limit.
  const double power_span = busy ? 0.03 : 0.015;
  const double limit = g.power_limit_w > 0 ? g.power_limit_w : g.power_draw_w * 2;
  g.power_draw_w = std::min(limit, std::round(g.power_draw_w * (1.0 + power_span * d.next()) * 100.0) / 100.0);
  g.temperature_gpu = clamp_int(g.temperature_gpu + d.step(busy ? 2 : 1), 20, std::max(21, g.temperature_slowdown));
  if (g.temperature_memory) *g.temperature_memory = clamp_int(*g.temperature_memory + d.step(busy ? 2 : 1), 20, 110);
  if (busy) {
    auto wander = [&](int& clock, int max) {
      clock = clamp_int(clock + 15 * d.step(2), 0, max > 0 ? max : clock + 30);
    };
    wander(g.clocks.graphics_mhz, g.max_clocks.graphics_mhz);
    g.clocks.sm_mhz = g.clocks.graphics_mhz;
    wander(g.clocks.video_mhz, g.max_clocks.video_mhz);
  }
  if (g.fan_percent) *g.fan_percent = clamp_int(*g.fan_percent + d.step(1), 0, 100);
  auto scale_bytes = [&](long& bytes) {
    if (bytes > 0) bytes = static_cast<long>(static_cast<double>(bytes) * (1.0 + 0.05 * d.next()));
  };
  scale_bytes(g.profiling.pcie_tx_bytes);
  scale_bytes(g.profiling.pcie_rx_bytes);
  scale_bytes(g.profiling.nvlink_tx_bytes);
  scale_bytes(g.profiling.nvlink_rx_bytes);
  if (busy) {
    auto jitter = [&](double& fraction) {
      if (fraction > 0) fraction = std::clamp(std::round(fraction * (1.0 + 0.04 * d.next()) * 1000.0) / 1000.0, 0.0, 1.0);
    };
    for (double* f : {&g.profiling.gr_engine_active, &g.profiling.sm_active, &g.profiling.sm_occupancy,
                      &g.profiling.tensor_active, &g.profiling.dram_active, &g.profiling.fp64_active,
                      &g.profiling.fp32_active, &g.profiling.fp16_active})
      jitter(*f);
  }
  if (g.amd) {
    auto& a = *g.amd;
    a.temp_edge_c = clamp_int(a.temp_edge_c + d.step(busy ? 2 : 1), 20, 110);
    a.temp_junction_c = std::max(a.temp_edge_c, clamp_int(a.temp_junction_c + d.step(busy ? 2 : 1), 20, 110));
    a.temp_memory_c = clamp_int(a.temp_memory_c + d.step(busy ? 2 : 1), 20, 110);
    g.temperature_gpu = a.temp_junction_c;
    if (a.socket_power_w)
      *a.socket_power_w =
          std::min(a.max_power_w, std::round(*a.socket_power_w * (1.0 + power_span * d.next())));
    // Energy accumulates: the power of the die (or its package's share) over the elapsed time,
    // in units of energy_resolution_uj.
    const double watts = a.socket_power_w ? *a.socket_power_w : (busy ? 200.0 : 45.0);
    if (a.energy_resolution_uj > 0)
      a.energy_counter += static_cast<long>(watts * static_cast<double>(elapsed_ms) * 1000.0 / a.energy_resolution_uj);
  }
}

}  // namespace

std::string advance_timestamp(const std::string& iso, long long ms) {
  const long long year = parse_long(iso.substr(0, 4)).value_or(1970);
  const unsigned month = static_cast<unsigned>(parse_long(iso.substr(5, 2)).value_or(1));
  const unsigned day = static_cast<unsigned>(parse_long(iso.substr(8, 2)).value_or(1));
  long long seconds = 0;
  if (iso.size() >= 19)
    seconds = parse_long(iso.substr(11, 2)).value_or(0) * 3600 + parse_long(iso.substr(14, 2)).value_or(0) * 60 +
              parse_long(iso.substr(17, 2)).value_or(0);
  const long long millis = iso.size() >= 23 && iso[19] == '.' ? parse_long(iso.substr(20, 3)).value_or(0) : 0;
  long long total = (days_from_civil(year, month, day) * 86400 + seconds) * 1000 + millis + ms;
  const long long days = (total >= 0 ? total : total - 86399999) / 86400000;
  total -= days * 86400000;
  long long y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  const long long s = total / 1000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}", y, m, d, s / 3600, s / 60 % 60, s % 60, total % 1000);
}

Profile profile_at(const Profile& profile, long long elapsed_ms) {
  Profile at = profile;
  if (elapsed_ms == 0) return at;
  at.timestamp = advance_timestamp(profile.timestamp, elapsed_ms);
  for (auto& gpu : at.gpus) vary_gpu(profile.name, elapsed_ms, gpu);
  return at;
}

std::string unbounded_loop_note(long samples) {
  return "# hostsim: stopped after " + std::to_string(samples) +
         " samples; without a count the command samples until it is interrupted\n";
}

}  // namespace aimicius::hostsim

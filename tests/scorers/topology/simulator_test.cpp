// Tests of the schedule format and the simulator's latency model, with hand-computed latencies,
// and of every kind of invalid schedule.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scorers/topology/schedule.h"
#include "scorers/topology/simulator.h"
#include "scorers/topology/sku_generators.h"
#include "scorers/topology/topology.h"

namespace aimicius::topology {
namespace {

constexpr double kMegabyte = 1e6;  // shard size used throughout: 1e6 bytes

// 4 GPUs on a ring of point-to-point links (undirected, per-direction bandwidths):
//   0-1: 100 GB/s, 1.0 us    1-2: 50 GB/s, 2.0 us    2-3: 100 GB/s, 1.0 us    3-0: 25 GB/s, 0.5 us
Topology four_gpu_ring() {
  return parse_topology(nlohmann::json::parse(R"({
    "name": "ring4",
    "nodes": [{"id": 0, "kind": "gpu"}, {"id": 1, "kind": "gpu"}, {"id": 2, "kind": "gpu"}, {"id": 3, "kind": "gpu"}],
    "links": [{"src": 0, "dst": 1, "type": "nvlink", "bandwidth_GBps": 100, "latency_us": 1.0},
              {"src": 1, "dst": 2, "type": "nvlink", "bandwidth_GBps": 50,  "latency_us": 2.0},
              {"src": 2, "dst": 3, "type": "nvlink", "bandwidth_GBps": 100, "latency_us": 1.0},
              {"src": 3, "dst": 0, "type": "nvlink", "bandwidth_GBps": 25,  "latency_us": 0.5}]
  })"));
}

// 3 GPUs (0, 1, 2) each linked to switch node 3 at 100 GB/s, 1.0 us.
Topology three_gpus_on_switch() {
  return parse_topology(nlohmann::json::parse(R"({
    "nodes": [{"id": 0, "kind": "gpu"}, {"id": 1, "kind": "gpu"}, {"id": 2, "kind": "gpu"}, {"id": 3, "kind": "nvswitch"}],
    "links": [{"src": 0, "dst": 3, "type": "nvswitch", "bandwidth_GBps": 100, "latency_us": 1.0},
              {"src": 1, "dst": 3, "type": "nvswitch", "bandwidth_GBps": 100, "latency_us": 1.0},
              {"src": 2, "dst": 3, "type": "nvswitch", "bandwidth_GBps": 100, "latency_us": 1.0}]
  })"));
}

Schedule parse_or_die(const std::string& text) {
  ScheduleParse parsed = parse_schedule_text(text);
  if (!parsed.schedule) throw std::runtime_error("test schedule does not parse: " + parsed.error);
  return *parsed.schedule;
}

// Ring all-gather 0 -> 1 -> 2 -> 3 -> 0, step s: GPU i sends chunk (i - s) mod 4.
const char* kRingSchedule = R"([
  [{"src":0,"dst":1,"chunk":0},{"src":1,"dst":2,"chunk":1},{"src":2,"dst":3,"chunk":2},{"src":3,"dst":0,"chunk":3}],
  [{"src":0,"dst":1,"chunk":3},{"src":1,"dst":2,"chunk":0},{"src":2,"dst":3,"chunk":1},{"src":3,"dst":0,"chunk":2}],
  [{"src":0,"dst":1,"chunk":2},{"src":1,"dst":2,"chunk":3},{"src":2,"dst":3,"chunk":0},{"src":3,"dst":0,"chunk":1}]
])";

TEST(Simulator, FourGpuRingLatencyByHand) {
  // Each step uses each ring channel once (load 1), so per transfer
  //   0->1: 1.0 + 1e6 / (100 * 1e3) = 11.0 us
  //   1->2: 2.0 + 1e6 / ( 50 * 1e3) = 22.0 us
  //   2->3: 1.0 + 1e6 / (100 * 1e3) = 11.0 us
  //   3->0: 0.5 + 1e6 / ( 25 * 1e3) = 40.5 us   <- slowest, so every step takes 40.5 us
  // total = 3 steps x 40.5 = 121.5 us.
  const SimulationResult r = simulate(four_gpu_ring(), parse_or_die(kRingSchedule), kMegabyte);
  ASSERT_TRUE(r.valid) << r.reason;
  ASSERT_EQ(r.step_times_us.size(), 3u);
  EXPECT_DOUBLE_EQ(r.step_times_us[0], 40.5);
  EXPECT_DOUBLE_EQ(r.latency_us, 121.5);
}

TEST(Simulator, ContentionOnOneLinkDoublesTheBandwidthTerm) {
  const Topology t = three_gpus_on_switch();
  // Alone: 0 -> 3 -> 1 = latency 1 + 1 = 2 us, plus 1e6 / (100e3) = 10 us -> 12 us.
  const Schedule alone = parse_or_die(R"([[{"src":0,"dst":1,"chunk":0}]])");
  // Two transfers leaving GPU 0 in one step share channel 0->3: 100/2 = 50 GB/s each
  // -> 2 + 1e6 / 50e3 = 22 us: the bandwidth term doubles (10 -> 20 us).
  const Schedule shared =
      parse_or_die(R"([[{"src":0,"dst":1,"chunk":0},{"src":0,"dst":2,"chunk":0}]])");
  // Opposite directions of a link do not share: 0->1 and 1->0 both take 12 us.
  const Schedule opposite =
      parse_or_die(R"([[{"src":0,"dst":1,"chunk":0},{"src":1,"dst":0,"chunk":1}]])");
  // Three transfers into GPU 2 would share 3->2 three ways; here two: 2 + 1e6/50e3 = 22 us.
  const Schedule fan_in =
      parse_or_die(R"([[{"src":0,"dst":2,"chunk":0},{"src":1,"dst":2,"chunk":1}]])");

  // These are partial schedules (not all-gathers), so read the step time of the first step by
  // completing them: append the remaining transfers in later steps and subtract their time.
  auto first_step_time = [&](const Schedule& partial) {
    Schedule complete = partial;
    // Finish the all-gather with one transfer per step (every owner to every other GPU).
    for (int src = 0; src < 3; ++src)
      for (int dst = 0; dst < 3; ++dst)
        if (src != dst) complete.steps.push_back({Transfer{src, dst, src, {}}});
    const SimulationResult r = simulate(t, complete, kMegabyte);
    EXPECT_TRUE(r.valid) << r.reason;
    return r.step_times_us.empty() ? -1.0 : r.step_times_us[0];
  };
  EXPECT_DOUBLE_EQ(first_step_time(alone), 12.0);
  EXPECT_DOUBLE_EQ(first_step_time(shared), 22.0);
  EXPECT_DOUBLE_EQ(first_step_time(opposite), 12.0);
  EXPECT_DOUBLE_EQ(first_step_time(fan_in), 22.0);
  EXPECT_DOUBLE_EQ(first_step_time(shared) - 2.0, 2 * (first_step_time(alone) - 2.0));
}

TEST(Simulator, DirectAllGatherOnDgxByHand) {
  // 8 GPUs on one NVSwitch, 450 GB/s, 0.5 us per link. One step, 56 transfers; every uplink and
  // every downlink carries 7 transfers: 0.5 + 0.5 + 1e6 / (450e3 / 7) = 1 + 140/9 us.
  Schedule direct;
  direct.steps.emplace_back();
  for (int s = 0; s < 8; ++s)
    for (int d = 0; d < 8; ++d)
      if (s != d) direct.steps[0].push_back(Transfer{s, d, s, {}});
  const SimulationResult r = simulate(dgx_h100_like(), direct, kMegabyte);
  ASSERT_TRUE(r.valid) << r.reason;
  EXPECT_NEAR(r.latency_us, 1.0 + 140.0 / 9.0, 1e-9);
}

TEST(Simulator, ExplicitPathIsUsed) {
  // Ring topology: send chunk 0 from 0 to 1 — only one path exists; an explicit path that
  // names it gives the same time as the default route.
  const Topology t = four_gpu_ring();
  Schedule with_path = parse_or_die(kRingSchedule);
  with_path.steps[0][0].path = {0, 1};
  const SimulationResult r = simulate(t, with_path, kMegabyte);
  ASSERT_TRUE(r.valid) << r.reason;
  EXPECT_DOUBLE_EQ(r.latency_us, 121.5);
}

struct Rejection {
  ScheduleError error;
  std::string reason;
};

Rejection reject(const Topology& t, const std::string& text) {
  const SimulationResult r = simulate(t, parse_or_die(text), kMegabyte);
  EXPECT_FALSE(r.valid);
  EXPECT_DOUBLE_EQ(r.latency_us, 0.0);
  return {r.error, r.reason};
}

TEST(Simulator, RejectsEachKindOfInvalidScheduleWithItsReason) {
  const Topology ring = four_gpu_ring();
  Rejection r = reject(ring, "[]");
  EXPECT_EQ(r.error, ScheduleError::empty_schedule);
  r = reject(ring, "[[], []]");
  EXPECT_EQ(r.error, ScheduleError::empty_schedule);

  r = reject(ring, R"([[{"src":0,"dst":1,"chunk":0}],[{"src":1,"dst":9,"chunk":0}]])");
  EXPECT_EQ(r.error, ScheduleError::unknown_gpu);
  EXPECT_EQ(r.reason, "step 1, transfer 0: dst 9 is not a GPU (GPUs are 0..3)");

  r = reject(ring, R"([[{"src":-1,"dst":1,"chunk":0}]])");
  EXPECT_EQ(r.error, ScheduleError::unknown_gpu);
  EXPECT_EQ(r.reason, "step 0, transfer 0: src -1 is not a GPU (GPUs are 0..3)");

  r = reject(ring, R"([[{"src":0,"dst":1,"chunk":0},{"src":2,"dst":2,"chunk":2}]])");
  EXPECT_EQ(r.error, ScheduleError::self_transfer);
  EXPECT_EQ(r.reason, "step 0, transfer 1: src and dst are both GPU 2");

  r = reject(ring, R"([[{"src":0,"dst":1,"chunk":4}]])");
  EXPECT_EQ(r.error, ScheduleError::unknown_chunk);
  EXPECT_EQ(r.reason, "step 0, transfer 0: chunk 4 does not exist (chunks are 0..3)");

  // Chunk 0 reaches GPU 1 in step 0 and cannot be forwarded in that same step.
  r = reject(ring, R"([[{"src":0,"dst":1,"chunk":0},{"src":1,"dst":2,"chunk":0}]])");
  EXPECT_EQ(r.error, ScheduleError::chunk_not_held);
  EXPECT_EQ(r.reason, "step 0, transfer 1: GPU 1 does not hold chunk 0 at the start of step 0");

  r = reject(ring, R"([[{"src":0,"dst":2,"chunk":0}]])");
  EXPECT_EQ(r.error, ScheduleError::no_route);
  EXPECT_NE(r.reason.find("step 0, transfer 0: no route from GPU 0 to GPU 2"), std::string::npos);

  r = reject(ring, R"([[{"src":0,"dst":2,"chunk":0,"path":[0,1,2]}]])");
  EXPECT_EQ(r.error, ScheduleError::bad_path);
  EXPECT_EQ(r.reason,
            "step 0, transfer 0: path passes through GPU 1 (GPUs do not forward; relay the chunk "
            "in a later step)");

  r = reject(three_gpus_on_switch(), R"([[{"src":0,"dst":1,"chunk":0,"path":[0,1]}]])");
  EXPECT_EQ(r.error, ScheduleError::bad_path);
  EXPECT_EQ(r.reason, "step 0, transfer 0: path hop 0 -> 1: no link in that direction");

  // A ring schedule with its last step dropped leaves chunks missing.
  nlohmann::json two_steps = nlohmann::json::parse(kRingSchedule);
  two_steps.erase(2);
  r = reject(ring, two_steps.dump());
  EXPECT_EQ(r.error, ScheduleError::incomplete);
  EXPECT_EQ(r.reason, "after the last step GPU 0 is missing chunk(s) 1");
}

TEST(ScheduleFormat, MalformedTextIsRejectedWithAReason) {
  EXPECT_NE(parse_schedule_text("not json").error.find("not a JSON schedule"), std::string::npos);
  EXPECT_EQ(parse_schedule_text("   ").error, "the plan printed nothing on stdout");
  EXPECT_EQ(parse_schedule_text(R"({"plan": []})").error, "schedule object has no \"steps\" key");
  EXPECT_EQ(parse_schedule_text("[1]").error, "step 0: must be a list of transfers");
  EXPECT_EQ(parse_schedule_text(R"([[{"src":0,"dst":1}]])").error,
            "step 0, transfer 0: \"chunk\" is missing");
  EXPECT_EQ(parse_schedule_text(R"([[{"src":0,"dst":1,"chunk":"0"}]])").error,
            "step 0, transfer 0: \"chunk\" must be an integer, got \"0\"");
  EXPECT_EQ(parse_schedule_text(R"([[{"src":0,"dst":1.5,"chunk":0}]])").error,
            "step 0, transfer 0: \"dst\" must be an integer, got 1.5");
  EXPECT_EQ(parse_schedule_text(R"([[{"src":0,"dst":1,"chunk":0,"path":"0-1"}]])").error,
            "step 0, transfer 0: \"path\" must be a list of node ids");
  // Issue 19, item 6: numbers past double's range threw out of the parser and aborted the run.
  for (const char* text : {"1e400", R"([[{"src":0,"dst":1e400,"chunk":0}]])", "-1e999\n[[]]x", "[1e400]"})
    EXPECT_NE(parse_schedule_text(text).error, "") << text;
}

TEST(ScheduleFormat, AcceptsObjectFormLogLinesAndRoundTrips) {
  const Schedule ring = parse_or_die(kRingSchedule);
  EXPECT_EQ(to_json(parse_or_die(nlohmann::json{{"steps", to_json(ring)}}.dump())), to_json(ring));
  EXPECT_EQ(to_json(parse_or_die("computing...\n" + to_json(ring).dump() + "\n")), to_json(ring));
  EXPECT_EQ(ring.transfer_count(), 12u);
}

TEST(Simulator, RejectsNonPositiveShardSize) {
  EXPECT_THROW(simulate(four_gpu_ring(), parse_or_die(kRingSchedule), 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace aimicius::topology

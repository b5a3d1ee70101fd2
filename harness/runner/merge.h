// `aimicius merge OUT.db SHARD.db...`: the shard runs of one run (`run --shard K/N`, each in its
// own database) joined into one run in OUT.db, which reports, compares and gates like a run that
// was never split.
//
// Invariants:
// - Each input database holds exactly one shard run, complete (a shard that stopped is resumed in
//   its own database first). Every shard run has the identity of the first one: model spec and
//   content hash, tool version, suites (version, prompt version, data checksum, generation
//   settings, unsharded example count) and run config less jobs/devices/data dir/shard
//   (run_identity_config); a difference is an InputError naming the database and the field.
// - All shards are of the same N; shard indices may repeat (the same shard given twice, or merged
//   again: examples already in OUT are checked equal and left, so merging is idempotent).
// - A missing shard index is refused, naming the missing ones, before OUT is written, unless
//   `allow_partial`: then the merged run is stored "failed" with the missing shards in its error
//   (the gate and the leaderboard skip it); merging the missing shards into OUT later completes it.
// - The merged run is found in OUT by its identity (one merged run per identity), so later merges
//   add to it; it is "complete" only when all N shards are in and every suite holds exactly its
//   unsharded example count.
// - OUT is written in one transaction per shard; nothing in a shard database is changed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aimicius {

struct MergeSummary {
  int64_t run_id = 0;            // the merged run in OUT
  bool created = false;          // a new run (else an earlier merge's run, added to)
  int64_t shard_count = 0;       // N
  std::vector<int64_t> merged;   // the shard indices now in the merged run, ascending
  std::vector<int64_t> missing;  // those not merged yet, ascending
  int64_t examples_added = 0;
  std::string status;            // the merged run's status after this merge
};

MergeSummary merge_shards(const std::string& out_path, const std::vector<std::string>& shard_paths,
                          bool allow_partial);

}  // namespace aimicius

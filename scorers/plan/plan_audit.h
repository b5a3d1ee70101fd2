// plan_audit: audit variants (scorers/audit_variant.h) of an optiflow reference plan, for the
// topology_plan scorer's audit_variants.
//
// Right variants print the reference's schedule itself, only written differently, so they have
// its latency exactly: "reordered-transfers" (each step's transfers in reverse order),
// "explicit-default-path" (every transfer without a path gets its default route as "path"),
// "json-reserialised" ({"steps": ...} object, keys sorted, compact separators), "loop-program" (a
// program that builds the list in a loop from flat rows), "logs-before-json" (log lines printed
// before the JSON line).
// Wrong variants change one thing and are kept only when the simulator shows them wrong (invalid,
// or slower than best_latency_us x (1 + kOptimalTolerance)); the first qualifying candidate in a
// fixed order is used: "transfer-dropped" (one transfer removed, last step first), "chunk-changed"
// (one transfer's chunk replaced by the next chunk id), "steps-merged" (two adjacent steps
// run as one), "step-split" (one step run as two halves), "id-order-ring" (a ring in GPU id order),
// "all-to-all" (one step, every GPU sends its chunk to every other).
// Deterministic. Every variant is a program (the answer after the python_program extractor).
#pragma once

#include <vector>

#include "scorers/audit_variant.h"
#include "scorers/topology/schedule.h"
#include "scorers/topology/topology.h"

namespace aimicius::topology {

std::vector<AuditVariant> plan_audit_variants(const Topology& topology, double shard_bytes,
                                              const Schedule& reference, double best_latency_us);

}  // namespace aimicius::topology

// Scorer type "command": a generated shell command against the reference command, by matching,
// by execution on a simulated host, and by the Sigma paper's embedding metrics (CMDGen, arXiv
// 2501.13629 §4 / Appendix C).
//
// suite.json parameters (all optional):
//   "reference": field holding the reference command (default "reference")
//   "hosts": {"nvidia": "dgx-h100", ...}: host profile by the example's "platform" (an example's
//            own "host" field wins); examples with "execute": false never run
//   "execute": run commands on the simulated hosts (default true)
//   "embedding": compute the paper's embedding metrics (default true; needs the encoder)
//   "calibration_threshold": default 0.9;  "success_threshold": default 0.99
//
// Metrics (each in [0, 1]; the execution ones only for examples that execute). Headline first;
// "paper" marks the Sigma paper's definitions, kept under their names for published figures:
//   strict_accuracy    headline: where the reference runs on a simulated host, 1 when the answer
//                      has the same effect there (execution_match) or is canonically equal;
//                      elsewhere 1 when canonically equal (canonical_command.h)
//   canonical_match    the answer is the reference's command in the tools' canonical form
//   exact_match        paper: answer equals the reference after normalisation (command_match.h)
//   command_score      NLC2CMD-style structure score over canonical forms (command_match.h)
//   execution_match    same exit status, stdout and work dir as the reference on the host
//   output_similarity  token F1 of the two stdouts (0 when the candidate fails)
//   cmd_score          paper: cosine of the embeddings of answer and reference, floored at 0
//   output_score       paper: cosine of the embeddings of the two stdouts (0 when the candidate
//                      fails; 1 when both are empty)
//   calibration        paper: 1 when cmd_score or output_score reaches calibration_threshold
//   success_ratio      paper: 1 when the candidate exits 0 and output_score reaches
//                      success_threshold
//   accuracy           paper (its headline, lenient): 1 when exact_match or success_ratio is 1 (exact_match
//                      alone where the example does not execute)
// A leading `sudo` is dropped before execution (the sandbox user is never root, and matching
// ignores sudo too), and absolute paths of simulated tools run as the simulated tool.
// audit_variants: scorers/command/command_audit.h. The thresholds are aimicius' parameters: the paper names the metrics, and
// the data card says how the values were chosen.
#pragma once

#include <memory>

#include "scorers/scorer.h"

namespace aimicius {

std::unique_ptr<Scorer> make_command_scorer(const ScorerSpec& spec);

}  // namespace aimicius

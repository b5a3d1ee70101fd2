// `aimicius answer-loss`: its options checked, then one answer-loss run (new or resumed; the run
// itself is harness/runner/answer_loss_run.h) and its summary printed from the store
// (reports/answer_loss_table.h). The model must be local: (the runtime), and builds without
// LibTorch say so.
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/cli/commands.h"
#include "harness/runner/answer_loss_run.h"
#include "reports/answer_loss_table.h"

namespace aimicius {

int command_answer_loss(const GlobalOptions& global, const AnswerLossOptions& o) {
  if (!o.resume && o.model_spec.empty()) throw InputError("answer-loss needs --model local:DIR (or --resume RUN)");
  if (!o.resume && o.model_spec.rfind("local:", 0) != 0)
    throw InputError(fmt::format("answer-loss scores with the local runtime: --model must be local:DIR (got \"{}\")",
                                 o.model_spec));
  check_answer_loss_format(o.format);  // a bad --format fails before the model loads
#ifndef AIMICIUS_HAVE_RUNTIME
  (void)global;
  throw InputError("answer-loss needs the local runtime, which this build lacks: LibTorch was not found at "
                   "configure time (configure with -DAIMICIUS_WITH_TORCH=ON where LibTorch is installed)");
#else
  Store store = Store::open_for_write(global.db_path);
  AnswerLossRequest request;
  request.run.suites = o.suites;
  request.run.model_spec = o.model_spec;
  request.run.device = o.device;
  request.run.split = o.split;
  request.run.limit = o.limit;
  request.run.data_dir = global.data_dir;
  request.resume = o.resume;
  request.out = o.out;
  request.log = global.verbosity > 0 ? stderr : nullptr;
  const int64_t run_id = run_answer_loss(store, request);
  const RunRecord run = *store.find_run(run_id);
  fmt::print("{}", render_answer_loss(answer_loss_summary(store, run), run, o.format));
  return 0;
#endif
}

}  // namespace aimicius

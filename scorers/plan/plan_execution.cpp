#include "scorers/plan/plan_execution.h"

namespace aimicius {

topology::PlanRunner sandboxed_plan_runner(const Sandbox& sandbox, const SandboxLimits& limits) {
  return [&sandbox, limits](const std::string& program) {
    SandboxRequest request;
    request.command = "python3 plan.py";
    request.files = {{"plan.py", program, false}};
    request.limits = limits;
    // The plan program needs the interpreter (with its standard library, under /usr/lib) and
    // the shell that starts it; no other program of the machine.
    request.host_executables = std::vector<std::string>{"sh", "python3"};
    const SandboxResult r = sandbox.run(request);
    topology::PlanRunResult out;
    out.exit_code = r.exit_code;
    out.term_signal = r.term_signal;
    out.timed_out = r.timed_out;
    out.stdout_truncated = r.stdout_truncated;
    out.stdout_text = r.stdout_text;
    out.stderr_text = r.stderr_text;
    return out;
  };
}

}  // namespace aimicius

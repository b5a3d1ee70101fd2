#include "harness/backends/device_pool_backend.h"

#include <algorithm>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "common/errors.h"
#include "harness/backends/spec_query.h"

namespace aimicius {

DevicePoolBackend::DevicePoolBackend(std::string spec, std::vector<std::unique_ptr<Backend>> replicas)
    : spec_(std::move(spec)), replicas_(std::move(replicas)) {
  if (replicas_.empty()) throw std::invalid_argument("DevicePoolBackend needs at least one replica");
  const Backend& first = *replicas_.front();
  for (const auto& r : replicas_) {
    if (r->content_hash() != first.content_hash())
      throw InputError(fmt::format("--devices: {} and {} load different models (content hash {} != {})", r->spec(),
                                   first.spec(), r->content_hash(), first.content_hash()));
    if (r->prompt_style().chat != first.prompt_style().chat || r->prompt_style().fewshot != first.prompt_style().fewshot)
      throw InputError(fmt::format("--devices: {} and {} build prompts differently", r->spec(), first.spec()));
    busy_.push_back(std::make_unique<std::mutex>());
  }
}

std::string DevicePoolBackend::engine() const {
  std::vector<std::string> seen;
  for (const auto& r : replicas_)
    if (const std::string e = r->engine(); !e.empty() && std::find(seen.begin(), seen.end(), e) == seen.end())
      seen.push_back(e);
  return fmt::format("{}", fmt::join(seen, "; "));
}

int64_t DevicePoolBackend::requests_per_call(int64_t batch_size) const {
  return replicas_.front()->requests_per_call(batch_size) * static_cast<int64_t>(replicas_.size());
}

std::vector<GenerationResult> DevicePoolBackend::generate(const std::vector<GenerationRequest>& batch,
                                                          const GenerationParams& params) {
  const size_t n = batch.size();
  const size_t replicas = replicas_.size();
  const size_t least = static_cast<size_t>(std::max<int64_t>(1, params.max_active > 0 ? params.max_active : 1));
  std::vector<GenerationResult> out(n);
  std::mutex mu;           // next, error
  std::mutex callback_mu;  // the caller's callbacks, one at a time
  size_t next = 0;
  std::exception_ptr error;

  auto work = [&](size_t replica) {
    try {
      while (true) {
        size_t begin = 0, end = 0;
        {
          std::lock_guard<std::mutex> lock(mu);
          if (error || next >= n) return;
          // Guided self-scheduling: a share of what is left, so the last chunks are small.
          const size_t chunk = std::max(least, (n - next + 2 * replicas - 1) / (2 * replicas));
          begin = next;
          end = std::min(n, next + chunk);
          next = end;
        }
        std::vector<GenerationRequest> part(batch.begin() + begin, batch.begin() + end);
        GenerationParams call = params;
        if (params.on_result)
          call.on_result = [&, begin](size_t i, const GenerationResult& r) {
            std::lock_guard<std::mutex> lock(callback_mu);
            params.on_result(begin + i, r);
          };
        if (params.on_text)
          call.on_text = [&, begin](size_t i, const std::string& piece) {
            std::lock_guard<std::mutex> lock(callback_mu);
            params.on_text(begin + i, piece);
          };
        std::vector<GenerationResult> results;
        {
          std::lock_guard<std::mutex> lock(*busy_[replica]);
          results = replicas_[replica]->generate(part, call);
        }
        if (results.size() != part.size())
          throw std::runtime_error(fmt::format("backend {} returned {} results for {} requests",
                                               replicas_[replica]->spec(), results.size(), part.size()));
        std::move(results.begin(), results.end(), out.begin() + static_cast<std::ptrdiff_t>(begin));
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (size_t r = 1; r < replicas; ++r) threads.emplace_back(work, r);
  work(0);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  return out;
}

std::vector<LoglikelihoodResult> DevicePoolBackend::loglikelihood(const std::vector<LoglikelihoodRequest>& batch) {
  std::lock_guard<std::mutex> lock(*busy_.front());
  return replicas_.front()->loglikelihood(batch);
}

std::vector<std::string> parse_device_list(const std::vector<std::string>& devices) {
  if (devices.empty()) throw InputError("--devices: no device given (e.g. --devices 0,1 or --devices cpu,cpu)");
  std::vector<std::string> out;
  for (const auto& d : devices) {
    const bool number = !d.empty() && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    const bool cuda_n = d.rfind("cuda:", 0) == 0 && d.size() > 5 &&
                        std::all_of(d.begin() + 5, d.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (number) out.push_back("cuda:" + d);
    else if (d == "cpu" || d == "cuda" || cuda_n) out.push_back(d);
    else throw InputError(fmt::format("--devices: unknown device \"{}\" (cpu, cuda, cuda:N, or N for cuda:N)", d));
  }
  return out;
}

std::vector<std::string> replica_specs(const std::string& spec, const std::vector<std::string>& devices) {
  double share = 0.9;  // LocalModelOptions::memory_share's default
  for (const auto& [key, value] : split_spec_options(spec, spec.substr(spec.find(':') + 1)).options)
    if (key == "memory_share") share = spec_double(spec, key, value);
  std::vector<std::string> out;
  for (const auto& device : devices) {
    const auto sharing = std::count(devices.begin(), devices.end(), device);
    std::string replica = with_spec_option(spec, "device", device);
    // A share the local: parser refuses stays as given, so each replica refuses it as one runtime
    // would (divided, 2 would pass as 1).
    if (sharing > 1 && share > 0.0 && share <= 1.0)
      replica = with_spec_option(replica, "memory_share", fmt::format("{:.6g}", share / static_cast<double>(sharing)));
    out.push_back(std::move(replica));
  }
  return out;
}

std::unique_ptr<Backend> make_backend_on_devices(const std::string& spec, const std::vector<std::string>& devices,
                                                 const std::vector<LoadedSuite>& suites, const BackendOptions& options) {
  const std::vector<std::string> names = parse_device_list(devices);
  if (spec.rfind("local:", 0) != 0)
    throw InputError(fmt::format("--devices runs one local: model per device; \"{}\" is not a local: model (an API "
                                 "model takes more requests in flight with --jobs instead)",
                                 spec));
  std::vector<std::unique_ptr<Backend>> replicas;
  for (const auto& replica : replica_specs(spec, names)) replicas.push_back(make_backend(replica, suites, options));
  return std::make_unique<DevicePoolBackend>(spec, std::move(replicas));
}

}  // namespace aimicius

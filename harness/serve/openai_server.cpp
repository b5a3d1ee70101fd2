#include "harness/serve/openai_server.h"

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius::serve {
namespace {

using nlohmann::json;

constexpr const char* kJson = "application/json";

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(error_body(e), kJson);
}

ApiError server_error(const std::string& message, int status = 500, const std::string& code = "") {
  ApiError e;
  e.status = status;
  e.type = "server_error";
  e.message = message;
  e.code = code;
  return e;
}

// A generation's error as the API answers it: a prompt beyond the model's context (400
// context_length_exceeded, as OpenAI answers it) or a conversation the chat template refuses (400
// invalid_request) is the client's, anything else the server's (500).
ApiError generation_error(size_t index, const GenerationResult& result) {
  const std::string message = fmt::format("generation failed for prompt {}: {}", index, result.error.value_or(""));
  if (!result.context_exceeded && !result.invalid_request) return server_error(message);
  ApiError e;
  e.status = 400;
  e.message = message;
  e.code = result.context_exceeded ? "context_length_exceeded" : "invalid_request";
  return e;
}

// The methods of each route, for 405 (a known path asked with another method).
const char* allowed_methods(const std::string& path) {
  if (path == "/v1/completions" || path == "/v1/chat/completions") return "POST";
  if (path == "/health" || path == "/v1/models" || path.rfind("/v1/models/", 0) == 0) return "GET";
  return nullptr;
}

// Events of one streamed HTTP response, from the batcher thread (producer) to the HTTP worker
// writing the response (consumer). Shared by both: a client that hangs up leaves it to the batcher.
struct StreamChannel {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> events;
  bool closed = false;  // the last event ([DONE]) is queued
  size_t remaining = 0;  // choices not finished yet
  std::vector<std::string> streamed;  // per choice: the text sent so far
  int64_t prompt_tokens = 0, completion_tokens = 0;

  void push(std::string event, bool last = false) {
    {
      std::lock_guard<std::mutex> lock(mu);
      events.push_back(std::move(event));
      closed = closed || last;
    }
    cv.notify_all();
  }
};

}  // namespace

std::string default_model_id(const std::string& spec) {
  namespace fs = std::filesystem;
  const auto colon = spec.find(':');
  if (colon == std::string::npos) return spec;
  const std::string kind = spec.substr(0, colon);
  std::string arg = spec.substr(colon + 1);
  arg = arg.substr(0, arg.find('?'));
  while (arg.size() > 1 && arg.back() == '/') arg.pop_back();
  if (kind == "local" && !fs::path(arg).filename().empty()) return fs::path(arg).filename().string();
  if (kind == "replay" && !fs::path(arg).stem().empty()) return fs::path(arg).stem().string();
  return spec;
}

struct OpenAiServer::Impl {
  Impl(Backend& backend, ServerOptions o)
      : options(std::move(o)),
        batcher(backend, options.batching),
        created(static_cast<int64_t>(std::time(nullptr))),
        http(with_default_caps(options)) {
    std::random_device rd;
    id_prefix = fmt::format("{:08x}", rd());
    const size_t threads = http.worker_threads();
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_payload_max_length(options.max_body_bytes);
    install_routes();
  }

  static ConnectionLimits with_default_caps(const ServerOptions& o) {
    ConnectionLimits c = o.connections;
    if (c.max_connections == 0)
      c.max_connections = std::max<size_t>({16, 2 * o.batching.max_batch + 8, c.max_connections_per_client});
    if (c.max_connections_per_client == 0) {
      const size_t reserve = std::max<size_t>(2, c.max_connections / 4);  // out of one client's reach
      c.max_connections_per_client = c.max_connections > reserve ? c.max_connections - reserve : 1;
    }
    return c;
  }

  ServerOptions options;
  RequestBatcher batcher;
  const int64_t created;
  std::string id_prefix;
  std::atomic<uint64_t> next_id{0};
  GuardedHttpServer http;

  mutable std::mutex mu;
  std::condition_variable idle;  // in_flight reached 0
  bool draining = false;
  int64_t in_flight = 0;
  bool serve_entered = false, serve_returned = false;

  // Counts a request in; false when shutting down (answer 503).
  bool enter() {
    std::lock_guard<std::mutex> lock(mu);
    if (draining) return false;
    ++in_flight;
    return true;
  }
  void leave() {
    std::lock_guard<std::mutex> lock(mu);
    if (--in_flight == 0) idle.notify_all();
  }

  void install_routes() {
    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu);
      if (draining) return send_error(res, server_error("the server is shutting down", 503, "shutting_down"));
      res.set_content(json{{"status", "ok"}, {"model", options.model_id}}.dump(), kJson);
    });
    http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(models_response(options.model_id, created).dump(), kJson);
    });
    http.Get(R"(/v1/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string id = req.matches[1];
      if (id != options.model_id) {
        ApiError e;
        e.status = 404;
        e.param = "model";
        e.code = "model_not_found";
        e.message = fmt::format("the model '{}' does not exist: this server serves '{}'", id, options.model_id);
        return send_error(res, e);
      }
      res.set_content(models_response(options.model_id, created)["data"][0].dump(), kJson);
    });
    http.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      handle_generate(Endpoint::kCompletions, req, res);
    });
    http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      handle_generate(Endpoint::kChatCompletions, req, res);
    });
    // Every status >= 400 passes here; routes that wrote their own error body keep it.
    http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                       httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Handled;
      ApiError e;
      e.status = res.status;
      if (res.status == 404) {
        if (const char* allowed = allowed_methods(req.path)) {
          e.status = 405;
          e.message = fmt::format("method {} is not allowed on {} (use {})", req.method, req.path, allowed);
          e.code = "method_not_allowed";
          res.set_header("Allow", allowed);
        } else {
          e.message = fmt::format("unknown route {} {} (routes: GET /health, GET /v1/models, POST /v1/completions, "
                                  "POST /v1/chat/completions)",
                                  req.method, req.path);
          e.code = "not_found";
        }
      } else if (res.status == 413) {
        e.message = fmt::format("the request body is larger than this server's limit of {} bytes", options.max_body_bytes);
        e.code = "payload_too_large";
      } else {
        e.message = fmt::format("the HTTP request could not be handled (status {})", res.status);
      }
      if (e.status >= 500) e.type = "server_error";
      send_error(res, e);
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      send_error(res, server_error(fmt::format("internal error: {}", what)));
    });
  }

  // One BatchItem per prompt (choice) of the request.
  std::vector<BatchItem> items_for(const ParsedRequest& r, const std::string& id) const {
    std::vector<BatchItem> items;
    for (size_t i = 0; i < r.prompts.size(); ++i) {
      BatchItem item;
      item.request.suite = r.suite.empty() ? "serve" : r.suite;
      // What a sampling backend seeds each sequence from, with the seed: a seeded request samples
      // the same answer every time (and in any batch); an unseeded one draws its own stream.
      std::string example = !r.example_id.empty() ? r.example_id : r.seeded ? "seeded" : id;
      if (r.prompts.size() > 1) example += fmt::format("#{}", i);
      item.request.example_id = example;
      item.request.prompt = r.prompts[i];
      item.request.messages = r.messages;
      item.params = r.params;
      items.push_back(std::move(item));
    }
    return items;
  }

  void handle_generate(Endpoint endpoint, const httplib::Request& req, httplib::Response& res) {
    if (!enter()) return send_error(res, server_error("the server is shutting down", 503, "shutting_down"));
    bool streaming = false;
    try {
      const ParsedRequest r = parse_request(endpoint, req.body, options.model_id, options.limits);
      const std::string id = fmt::format("{}-{}-{}", endpoint == Endpoint::kCompletions ? "cmpl" : "chatcmpl", id_prefix,
                                         next_id.fetch_add(1));
      const int64_t now = static_cast<int64_t>(std::time(nullptr));
      std::vector<BatchItem> items = items_for(r, id);
      if (r.stream) {
        start_stream(endpoint, r, id, now, std::move(items), res);
        streaming = true;  // the stream's releaser leaves
        return;
      }
      std::vector<std::future<GenerationResult>> futures;
      for (auto& item : items) futures.push_back(batcher.submit(std::move(item)));
      std::vector<GenerationResult> results;
      for (auto& f : futures) results.push_back(f.get());
      for (size_t i = 0; i < results.size(); ++i)
        if (results[i].error) {
          send_error(res, generation_error(i, results[i]));
          leave();
          return;
        }
      res.set_content(completion_response(endpoint, id, now, options.model_id, results).dump(), kJson);
    } catch (const ApiException& e) {
      send_error(res, e.error());
    } catch (const std::exception& e) {
      send_error(res, server_error(e.what()));
    }
    if (!streaming) leave();
  }

  void start_stream(Endpoint endpoint, const ParsedRequest& r, const std::string& id, int64_t now,
                    std::vector<BatchItem> items, httplib::Response& res) {
    auto ch = std::make_shared<StreamChannel>();
    ch->remaining = items.size();
    ch->streamed.assign(items.size(), "");
    const std::string model = options.model_id;
    if (endpoint == Endpoint::kChatCompletions)
      ch->push(sse_event(stream_chunk(endpoint, id, now, model, 0, "", "", true)));
    const bool include_usage = r.include_usage;
    for (size_t i = 0; i < items.size(); ++i) {
      items[i].on_text = [ch, endpoint, id, now, model, i](const std::string& piece) {
        {
          std::lock_guard<std::mutex> lock(ch->mu);
          ch->streamed[i] += piece;
        }
        ch->push(sse_event(stream_chunk(endpoint, id, now, model, i, piece, "")));
      };
      items[i].on_done = [ch, endpoint, id, now, model, i, include_usage](const GenerationResult& result) {
        std::vector<std::string> out;
        bool last = false;
        {
          std::lock_guard<std::mutex> lock(ch->mu);
          if (result.error) {
            out.push_back("data: " + error_body(generation_error(i, result)) + "\n\n");
          } else {
            const std::string& sent = ch->streamed[i];
            // Backends stream a prefix of the output (backend.h): send what is left of it.
            if (result.output.compare(0, sent.size(), sent) == 0 && result.output.size() > sent.size())
              out.push_back(sse_event(stream_chunk(endpoint, id, now, model, i, result.output.substr(sent.size()), "")));
            out.push_back(sse_event(stream_chunk(endpoint, id, now, model, i, "", api_finish_reason(result))));
            ch->prompt_tokens += result.tokens_in;
            ch->completion_tokens += result.tokens_out;
          }
          if (--ch->remaining == 0) {
            if (include_usage)
              out.push_back(sse_event(usage_chunk(endpoint, id, now, model, ch->prompt_tokens, ch->completion_tokens)));
            out.push_back(kSseDone);
            last = true;
          }
        }
        for (size_t k = 0; k < out.size(); ++k) ch->push(std::move(out[k]), last && k + 1 == out.size());
      };
    }
    for (auto& item : items) batcher.submit(std::move(item));
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [ch](size_t, httplib::DataSink& sink) {
          // Writes events as they come until the last one: one call for the whole stream, so the
          // stream is never cut between calls by a shutdown.
          for (;;) {
            std::deque<std::string> batch;
            bool done = false;
            {
              std::unique_lock<std::mutex> lock(ch->mu);
              ch->cv.wait(lock, [&] { return !ch->events.empty() || ch->closed; });
              batch.swap(ch->events);
              done = ch->closed;
            }
            for (const auto& event : batch)
              if (!sink.write(event.data(), event.size())) return false;  // the client hung up
            if (done) {
              sink.done();
              return true;
            }
          }
        },
        [this](bool) { leave(); });
  }
};

OpenAiServer::OpenAiServer(Backend& backend, ServerOptions options)
    : impl_(std::make_unique<Impl>(backend, std::move(options))) {}

OpenAiServer::~OpenAiServer() {
  shutdown();
  impl_->batcher.stop();
}

int OpenAiServer::bind() {
  auto& o = impl_->options;
  if (o.port == 0) {
    const int port = impl_->http.bind_to_any_port(o.host);
    if (port < 0) throw InputError(fmt::format("cannot listen on {}:any port", o.host));
    o.port = port;
  } else if (!impl_->http.bind_to_port(o.host, o.port)) {
    throw InputError(fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)", o.host, o.port));
  }
  return o.port;
}

bool OpenAiServer::serve() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->draining) return true;
    impl_->serve_entered = true;
  }
  impl_->http.listen_after_bind();
  bool stopped = false;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->serve_returned = true;
    stopped = impl_->draining;
  }
  impl_->batcher.stop();
  return stopped;
}

void OpenAiServer::shutdown() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->draining = true;
  impl_->idle.wait(lock, [&] { return impl_->in_flight == 0; });
  const bool entered = impl_->serve_entered;
  lock.unlock();
  if (!entered) return;
  // httplib's stop() only acts on a running listener: wait out the moment between serve() being
  // entered and the listener running.
  for (;;) {
    if (impl_->http.is_running()) break;
    {
      std::lock_guard<std::mutex> again(impl_->mu);
      if (impl_->serve_returned) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->http.stop();
}

bool OpenAiServer::draining() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->draining;
}

size_t OpenAiServer::pending_requests() const { return impl_->batcher.pending(); }

BatcherStats OpenAiServer::batcher_stats() const { return impl_->batcher.stats(); }

}  // namespace aimicius::serve

// `aimicius serve`'s HTTP server: the OpenAI API (harness/serve/openai_protocol.h) over one
// backend, with concurrent requests batched (harness/serve/request_batcher.h). cpp-httplib stays
// behind this header.
//
// Routes: GET /health, GET /v1/models, GET /v1/models/{id}, POST /v1/completions,
// POST /v1/chat/completions; any other path is 404 and a known path with another method is 405,
// all with OpenAI-style error bodies. `stream: true` answers with Server-Sent Events.
//
// Shutdown (shutdown(), e.g. on SIGTERM): from then on new requests are answered 503; requests
// already in flight (streams included) run to their end; then the listening socket closes, serve()
// returns, and the batcher stops. Nothing is cut off mid-answer.
//
// Slow clients (guarded_http_server.h): a request must arrive whole within a deadline, and
// connections are capped in total and per client, so /health stays reachable.
//
// Invariants: binds to 127.0.0.1 unless told otherwise; one backend call at a time (the batcher's
// thread); every accepted request is answered exactly once; no global state (the server object
// owns its threads and counters).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "harness/backends/backend.h"
#include "harness/serve/guarded_http_server.h"
#include "harness/serve/openai_protocol.h"
#include "harness/serve/request_batcher.h"

namespace aimicius::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port (bind() says which)
  std::string model_id;  // the one model id served
  BatcherOptions batching;
  RequestLimits limits;
  size_t max_body_bytes = 8u << 20;  // larger request bodies get 413
  // What slow or greedy clients may hold (guarded_http_server.h). A cap of 0 takes the default:
  // enough connections for two full batches and spares (max(16, 2 * max_batch + 8)), a quarter of
  // them (at least 2) out of any one client's reach, so that one client trickling bytes leaves
  // room for the others; the 30 s request deadline lets an 8 MB body arrive at 300 KB/s.
  ConnectionLimits connections{0, 0};
};

class OpenAiServer {
 public:
  OpenAiServer(Backend& backend, ServerOptions options);
  ~OpenAiServer();
  OpenAiServer(const OpenAiServer&) = delete;
  OpenAiServer& operator=(const OpenAiServer&) = delete;

  // Binds the listening socket and returns its port. Throws InputError naming host:port when it
  // cannot be bound.
  int bind();
  // Serves until shutdown(); returns once every in-flight request was answered: true, or false when
  // the listener failed without a shutdown.
  bool serve();
  // Graceful stop (see above). Blocks until in-flight requests are answered; any thread; idempotent.
  void shutdown();

  bool draining() const;
  size_t pending_requests() const;  // queued for the backend, not yet in a call
  BatcherStats batcher_stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The model id `serve` announces for a spec: --served-model-name if given, else the checkpoint
// folder's name (local:DIR?...), the replay file's stem, or the spec itself.
std::string default_model_id(const std::string& spec);

}  // namespace aimicius::serve

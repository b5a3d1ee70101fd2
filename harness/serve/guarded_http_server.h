// cpp-httplib's server with the connection handling that slow or greedy clients cannot starve:
// `serve` stays reachable (GET /health answers) while clients trickle bytes or hold connections.
//
// httplib 0.11 bounds only each single read (a client sending 1 byte per second never trips it),
// and queues connections without limit for a fixed pool of workers, each held by one connection
// for as long as its client likes. This class replaces the per-connection loop
// (process_and_close_socket, virtual in httplib for its TLS server) with one that keeps:
//   - a request deadline: a request's line, headers and body must all arrive within
//     `request_deadline` of the first byte being awaited (a read past it fails, the connection
//     closes); each single read still waits at most `read_timeout`, each write `write_timeout`;
//   - an idle bound: a connection with no request starting within `keep_alive_timeout` closes,
//     and one connection carries at most `keep_alive_max_count` requests;
//   - connection caps: at most `max_connections` connections are held at once and at most
//     `max_connections_per_client` from one remote address; a connection over a cap is answered
//     503 (429 for the per-client cap) and closed at once, without reading it.
// The handler's own time (a long generation, a stream) is not bounded here: only what the client
// sends. The worker pool must have more threads than `max_connections` (worker_threads() says
// how many) so that a free worker always exists to turn away a connection over a cap.
//
// Invariants: the counts of held connections are exact (taken and given back on the worker that
// serves the connection, under one mutex); no global state.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace aimicius::serve {

struct ConnectionLimits {
  size_t max_connections = 24;
  size_t max_connections_per_client = 18;
  std::chrono::milliseconds request_deadline{30'000};
  std::chrono::milliseconds read_timeout{5'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds keep_alive_timeout{2'000};
  size_t keep_alive_max_count = 100;
};

class GuardedHttpServer final : public httplib::Server {
 public:
  // Throws std::invalid_argument for caps of 0 or a per-client cap above the total.
  explicit GuardedHttpServer(ConnectionLimits limits);

  // Workers the task queue needs: the cap plus spares that turn away connections over it.
  size_t worker_threads() const { return limits_.max_connections + 4; }
  size_t held_connections() const;

 private:
  bool process_and_close_socket(socket_t sock) override;
  // Takes a place for `client`; false (and how to answer) when a cap is reached.
  bool admit(const std::string& client, int& status, std::string& reason);
  void release(const std::string& client);

  const ConnectionLimits limits_;
  mutable std::mutex mu_;
  size_t held_ = 0;
  std::map<std::string, size_t> held_by_client_;
};

}  // namespace aimicius::serve

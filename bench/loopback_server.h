// An in-process HTTP server (cpp-httplib) on 127.0.0.1 at a free port, with its listening thread:
// the instant server of `aimicius bench api` and the fault-injecting server of the API tests.
//
// Invariants: routes are added through http() before start(); start() returns once the server
// accepts; the destructor stops it and joins the thread. Responses are sent with TCP_NODELAY (else
// headers and body wait on delayed ACKs, ~40 ms each) and the listen backlog is raised above
// httplib's built-in 5, so many clients connecting at once are not left waiting for SYN retries.
#pragma once

#include <string>
#include <thread>

#include <httplib.h>

namespace aimicius {

class LoopbackServer {
 public:
  // `threads`: connections served at once (each keep-alive connection holds one thread).
  explicit LoopbackServer(int threads);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  httplib::Server& http() { return server_; }
  void start();
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace aimicius

#include "bench/loopback_server.h"

#include <sys/socket.h>

#include <chrono>
#include <stdexcept>

namespace aimicius {

LoopbackServer::LoopbackServer(int threads) {
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server_.set_tcp_nodelay(true);
  server_.set_socket_options([this](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_fd_ = sock;
  });
}

void LoopbackServer::start() {
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("cannot listen on 127.0.0.1");
  // Linux lets listen() on a listening socket change its backlog (httplib's library says 5).
  if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // stop() only ends a loop that has started.
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

LoopbackServer::~LoopbackServer() {
  if (!thread_.joinable()) return;
  server_.stop();
  thread_.join();
}

}  // namespace aimicius

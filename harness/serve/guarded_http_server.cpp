#include "harness/serve/guarded_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace aimicius::serve {
namespace {

using Clock = std::chrono::steady_clock;

// poll() for one event, restarted on EINTR; true when the socket is ready.
bool wait_for(int sock, short events, std::chrono::milliseconds timeout) {
  pollfd p{sock, events, 0};
  const auto end = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    const int r = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (r > 0) return true;
    if (r == 0 || errno != EINTR) return false;
  }
}

bool address_of(int sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int r = peer ? ::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len)
                     : ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len);
  if (r != 0) return false;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    if (!::inet_ntop(AF_INET, &a->sin_addr, text.data(), text.size())) return false;
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    if (!::inet_ntop(AF_INET6, &a->sin6_addr, text.data(), text.size())) return false;
    port = ntohs(a->sin6_port);
  } else {
    return false;
  }
  ip = text.data();
  return true;
}

// The socket as httplib's request parser reads and writes it, with every read failing once the
// request's deadline has passed: the deadline bounds the whole request however slowly its bytes
// come, where the read timeout bounds only the silence before each read. Buffered like httplib's
// own socket stream, whose line reader asks for one byte at a time.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(int sock, Clock::time_point deadline, const ConnectionLimits& limits)
      : sock_(sock), deadline_(deadline), limits_(limits) {}

  bool is_readable() const override { return offset_ < size_ || wait_readable(); }
  bool is_writable() const override { return wait_for(sock_, POLLOUT, limits_.write_timeout); }

  ssize_t read(char* ptr, size_t size) override {
    if (offset_ < size_) return take(ptr, size);
    if (!wait_readable()) return -1;
    if (size >= buffer_.size()) return ::recv(sock_, ptr, size, 0);
    const ssize_t n = ::recv(sock_, buffer_.data(), buffer_.size(), 0);
    if (n <= 0) return n;
    offset_ = 0;
    size_ = static_cast<size_t>(n);
    return take(ptr, size);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    return ::send(sock_, ptr, size, MSG_NOSIGNAL);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(sock_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(sock_, false, ip, port); }
  socket_t socket() const override { return sock_; }
  // Whether a read was refused for the deadline: the connection is then closed, whatever httplib
  // answered, so that a client cannot start over on the same connection.
  bool expired() const { return expired_; }

 private:
  bool wait_readable() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) {
      expired_ = true;
      return false;
    }
    return wait_for(sock_, POLLIN, std::min(left, limits_.read_timeout));
  }
  ssize_t take(char* ptr, size_t size) {
    const size_t n = std::min(size, size_ - offset_);
    std::memcpy(ptr, buffer_.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }

  const int sock_;
  const Clock::time_point deadline_;
  const ConnectionLimits& limits_;
  std::array<char, 4096> buffer_{};
  size_t offset_ = 0, size_ = 0;
  mutable bool expired_ = false;
};

// Best effort: the client over a cap may not be reading.
void refuse(int sock, int status, const std::string& reason) {
  const std::string body = fmt::format(R"({{"error":{{"message":"{}","type":"server_error","param":null,"code":"too_many_connections"}}}})", reason);
  const std::string response = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRetry-After: 1\r\n"
      "Connection: close\r\n\r\n{}",
      status, status == 429 ? "Too Many Requests" : "Service Unavailable", body.size(), body);
  (void)::send(sock, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

GuardedHttpServer::GuardedHttpServer(ConnectionLimits limits) : limits_(limits) {
  if (limits_.max_connections == 0 || limits_.max_connections_per_client == 0 || limits_.keep_alive_max_count == 0)
    throw std::invalid_argument("connection caps must be at least 1");
  if (limits_.max_connections_per_client > limits_.max_connections)
    throw std::invalid_argument("the per-client connection cap is above the total cap");
}

size_t GuardedHttpServer::held_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_;
}

bool GuardedHttpServer::admit(const std::string& client, int& status, std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (held_ >= limits_.max_connections) {
    status = 503;
    reason = fmt::format("the server holds its limit of {} connections; retry later", limits_.max_connections);
    return false;
  }
  size_t& mine = held_by_client_[client];
  if (mine >= limits_.max_connections_per_client) {
    status = 429;
    reason = fmt::format("{} holds this server's limit of {} connections per client; retry later", client,
                         limits_.max_connections_per_client);
    return false;
  }
  ++mine;
  ++held_;
  return true;
}

void GuardedHttpServer::release(const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  --held_;
  if (const auto it = held_by_client_.find(client); it != held_by_client_.end() && --it->second == 0)
    held_by_client_.erase(it);
}

bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
  std::string client;
  int port = 0;
  if (!address_of(sock, true, client, port)) client = "unknown";
  int status = 0;
  std::string reason;
  bool ok = false;
  if (!admit(client, status, reason)) {
    refuse(sock, status, reason);
  } else {
    // httplib's keep-alive loop, with the deadline per request: wait (in slices, so that stop()
    // is noticed) for a request to start, then parse and answer it.
    for (size_t count = limits_.keep_alive_max_count; count > 0; --count) {
      bool readable = false;
      const auto idle_end = Clock::now() + limits_.keep_alive_timeout;
      while (svr_sock_ != INVALID_SOCKET && Clock::now() < idle_end)
        if ((readable = wait_for(sock, POLLIN, std::chrono::milliseconds(50)))) break;
      if (!readable || svr_sock_ == INVALID_SOCKET) break;
      DeadlineStream stream(sock, Clock::now() + limits_.request_deadline, limits_);
      bool connection_closed = false;
      ok = process_request(stream, count == 1, connection_closed, nullptr);
      if (!ok || connection_closed || stream.expired()) break;
    }
    release(client);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace aimicius::serve

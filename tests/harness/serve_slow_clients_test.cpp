// `aimicius serve` under slow clients (issue 19 item 8): clients that open connections and send
// a byte now and then, or nothing, must not make GET /health unreachable, and are cut off once
// their request's deadline passes. Short limits set through ServerOptions keep each test to a
// couple of seconds; the slow clients are raw sockets, one thread trickling bytes to all of them.
#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "harness/serve/openai_server.h"
#include "serve_test_support.h"

namespace aimicius::serve {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// N connections from `source` (an address of this machine, e.g. 127.0.0.2), each sending the next
// byte of a never-ending request every `every`; a connection the server closed stops counting.
class SlowClients {
 public:
  SlowClients(int port, const char* source, size_t n, milliseconds every) {
    for (size_t i = 0; i < n; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in from{};
      from.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &from.sin_addr);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
        ::close(fd);
        bind_failed_ = true;
        return;
      }
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(static_cast<uint16_t>(port));
      ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        continue;
      }
      fds_.push_back(fd);
      open_.push_back(true);
    }
    trickler_ = std::thread([this, every] {
      const std::string request = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n";
      for (size_t at = 0; !stop_; at = (at + 1) % request.size()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          for (size_t i = 0; i < fds_.size(); ++i) {
            if (!open_[i]) continue;
            char probe;
            const ssize_t got = ::recv(fds_[i], &probe, 1, MSG_DONTWAIT | MSG_PEEK);
            const bool closed = got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
                                ::send(fds_[i], &request[at], 1, MSG_NOSIGNAL) != 1;
            // A refused connection has its answer waiting, and then its end.
            if (closed || got > 0) open_[i] = false;
          }
        }
        std::this_thread::sleep_for(every);
      }
    });
  }
  ~SlowClients() {
    stop_ = true;
    if (trickler_.joinable()) trickler_.join();
    for (int fd : fds_) ::close(fd);
  }
  bool bind_failed() const { return bind_failed_; }
  size_t connected() const { return fds_.size(); }
  size_t still_open() const {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (bool o : open_) n += o;
    return n;
  }

 private:
  std::vector<int> fds_;
  std::vector<bool> open_;
  bool bind_failed_ = false;
  mutable std::mutex mu_;
  std::atomic<bool> stop_{false};
  std::thread trickler_;
};

class ServeSlowClients : public ::testing::Test {
 protected:
  void start(ConnectionLimits limits) {
    ServerOptions options;
    options.port = 0;
    options.model_id = "tiny";
    options.connections = limits;
    server_ = std::make_unique<OpenAiServer>(backend_, options);
    port_ = server_->bind();
    serving_ = std::thread([this] { server_->serve(); });
  }
  void TearDown() override {
    if (server_) server_->shutdown();
    if (serving_.joinable()) serving_.join();
  }
  // GET /health from 127.0.0.1: its status, or 0 without an answer within 3 s.
  int health() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(3, 0);
    c.set_read_timeout(3, 0);
    auto res = c.Get("/health");
    return res ? res->status : 0;
  }

  static ConnectionLimits limits(milliseconds deadline) {
    ConnectionLimits l;
    l.max_connections = 8;
    l.max_connections_per_client = 4;
    l.request_deadline = deadline;
    l.read_timeout = milliseconds(500);
    return l;
  }

  aimicius::testing::CountingBackend backend_;
  std::unique_ptr<OpenAiServer> server_;
  int port_ = 0;
  std::thread serving_;
};

// Thirty clients from another address trickle bytes: they get at most the per-client cap of
// connections, and /health from this address answers at once while they are still connected.
TEST_F(ServeSlowClients, HealthAnswersWhileSlowClientsHoldConnections) {
  // Neither the deadline nor the read timeout is what protects here (and a loaded machine may
  // pause the trickler past a short read timeout).
  ConnectionLimits l = limits(milliseconds(60'000));
  l.read_timeout = milliseconds(30'000);
  start(l);
  SlowClients slow(port_, "127.0.0.2", 30, milliseconds(100));
  if (slow.bind_failed()) GTEST_SKIP() << "cannot bind a socket to 127.0.0.2 on this machine";
  ASSERT_EQ(slow.connected(), 30u);
  // The server has taken at most its four, and refused the rest (a loaded machine may take a while
  // to refuse them all).
  ASSERT_TRUE(aimicius::testing::eventually([&] { return slow.still_open() <= 4; })) << slow.still_open();
  for (int i = 0; i < 3; ++i) {
    const auto t0 = Clock::now();
    EXPECT_EQ(health(), 200);
    // Without the caps /health waits for a slow client's deadline (60 s here); a few seconds
    // leave room for a loaded machine.
    EXPECT_LT(Clock::now() - t0, milliseconds(5'000));
  }
  EXPECT_GT(slow.still_open(), 0u) << "the slow clients must still hold their connections";
}

// Slow clients from the same address as /health: their requests are cut at the deadline, however
// steadily the bytes come, and /health answers soon after.
TEST_F(ServeSlowClients, SlowRequestsAreCutAtTheirDeadline) {
  start(limits(milliseconds(1'000)));
  SlowClients slow(port_, "127.0.0.1", 30, milliseconds(100));
  ASSERT_EQ(slow.connected(), 30u);
  const auto t0 = Clock::now();
  ASSERT_TRUE(aimicius::testing::eventually([&] { return slow.still_open() == 0; })) << slow.still_open();
  // Deadline 1 s plus at most one read timeout and the trickler's step.
  EXPECT_LT(Clock::now() - t0, milliseconds(3'000));
  EXPECT_EQ(health(), 200);
}

// Clients that connect and send nothing are closed after the idle bound, and do not delay /health
// from another address meanwhile.
TEST_F(ServeSlowClients, SilentConnectionsCloseAfterTheIdleBound) {
  ConnectionLimits l = limits(milliseconds(60'000));
  l.keep_alive_timeout = milliseconds(500);
  start(l);
  std::vector<int> silent;
  for (int i = 0; i < 20; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port_));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    silent.push_back(fd);
  }
  // Every silent connection ends (refused at once, or closed when idle): recv sees its end.
  const auto t0 = Clock::now();
  for (int fd : silent) {
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[512];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
    }
    EXPECT_TRUE(n == 0 || errno == ECONNRESET) << "a silent connection was still open after 5 s";
  }
  EXPECT_LT(Clock::now() - t0, milliseconds(3'000));
  for (int fd : silent) ::close(fd);
  EXPECT_EQ(health(), 200);
}

}  // namespace
}  // namespace aimicius::serve

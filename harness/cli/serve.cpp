// `aimicius serve`: a model behind the OpenAI HTTP API (harness/serve/openai_server.h) until
// SIGINT or SIGTERM, then a graceful stop and exit 0; a second signal during the stop exits 1 at
// once (a request that would never end cannot hold the process).
//
// Signals: SIGINT and SIGTERM are blocked in every thread the command starts (the mask is set
// before it starts any, and threads inherit it) and read from a signalfd by one watcher thread
// owned by the command, which starts the server's graceful shutdown. Threads that libraries
// started before that hand such a signal back to the signalfd (reroute_to_signalfd). No global
// flag. The watcher also wakes on a pipe the command writes to when the server ended by itself.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/backends/backend.h"
#include "harness/cli/all_commands.h"
#include "harness/serve/openai_server.h"
#include "tasks/suite.h"

namespace aimicius {
namespace {

struct ServeOptions {
  std::string model_spec;
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string served_model_name;  // "" : the checkpoint folder's name (serve::default_model_id)
  int64_t max_batch = 8;
  int64_t batch_window_ms = 10;
  int64_t max_connections = 0;             // 0: serve's default (openai_server.h)
  int64_t max_connections_per_client = 0;  // 0: serve's default
};

// A file descriptor closed with its owner.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Runs on a thread that existed before the command blocked the stop signals: libraries start
// threads while they load (Debian's LibTorch pulls in OpenBLAS, whose thread pool starts before
// main), and the kernel hands a process-wide signal to any thread not blocking it. This thread
// blocks the signal from now on (the mask restored when the handler returns is the one in the
// context) and sends it again; with every thread blocking it, it waits for the signalfd.
// Async-signal-safe: sigaddset, getpid and kill only; no state outside its arguments.
void reroute_to_signalfd(int signo, siginfo_t*, void* context) {
  sigaddset(&static_cast<ucontext_t*>(context)->uc_sigmask, signo);
  kill(getpid(), signo);
}

// Blocks SIGINT and SIGTERM in the calling thread (and the threads it starts) for its lifetime,
// and reroutes them from threads started earlier (above). Restores both on destruction.
class BlockedStopSignals {
 public:
  BlockedStopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &set_, &old_mask_) != 0) throw std::runtime_error("pthread_sigmask failed");
    struct sigaction sa {};
    sa.sa_sigaction = reroute_to_signalfd;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~BlockedStopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  const sigset_t& set() const { return set_; }

 private:
  sigset_t set_{};
  sigset_t old_mask_{};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

std::vector<LoadedSuite> suites_for(const std::string& spec, const GlobalOptions& global) {
  std::vector<LoadedSuite> suites;
  if (spec != "oracle") return suites;
  // The oracle answers (metadata.suite, metadata.example_id) with that example's reference.
  for (const auto& name : known_suite_names(global.data_dir)) suites.push_back(load_suite(name, global.data_dir, ""));
  return suites;
}

// Far above what one process serves usefully; each connection is a worker thread (100M asked for
// 100M threads and hung the start).
constexpr int64_t kMaxBatch = 1024;
constexpr int64_t kMaxConnections = 4096;

// The watcher thread's handle: stop() wakes it (the pipe) and joins it; the destructor does so on
// the ways out of command_serve that did not.
class WatcherThread {
 public:
  WatcherThread(int wake_fd, std::thread thread) : wake_fd_(wake_fd), thread_(std::move(thread)) {}
  ~WatcherThread() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    const char byte = 0;
    if (write(wake_fd_, &byte, 1) != 1) fmt::print(stderr, "aimicius serve: could not wake the signal watcher\n");
    thread_.join();
  }
  WatcherThread(const WatcherThread&) = delete;
  WatcherThread& operator=(const WatcherThread&) = delete;

 private:
  int wake_fd_;
  std::thread thread_;
};

int command_serve(const GlobalOptions& global, const ServeOptions& o) {
  if (o.max_batch < 1 || o.max_batch > kMaxBatch)
    throw InputError(fmt::format("--max-batch must be between 1 and {} (got {})", kMaxBatch, o.max_batch));
  if (o.batch_window_ms < 0) throw InputError("--batch-window-ms must not be negative");
  if (o.port < 0 || o.port > 65535) throw InputError(fmt::format("--port {} is not a TCP port", o.port));
  if (o.max_connections < 0 || o.max_connections_per_client < 0)
    throw InputError("--max-connections and --max-connections-per-client must not be negative");
  if (o.max_connections > kMaxConnections || o.max_connections_per_client > kMaxConnections)
    throw InputError(fmt::format("--max-connections and --max-connections-per-client must be at most {} (each "
                                 "connection is a thread)",
                                 kMaxConnections));
  if (o.max_connections > 0 && o.max_connections_per_client > o.max_connections)
    throw InputError(fmt::format("--max-connections-per-client {} is above --max-connections {}",
                                 o.max_connections_per_client, o.max_connections));

  const BlockedStopSignals blocked;  // before any thread exists: every thread inherits the mask
  const Fd signals(signalfd(-1, &blocked.set(), SFD_CLOEXEC));
  if (signals.get() < 0) throw std::runtime_error(fmt::format("signalfd: {}", std::strerror(errno)));
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  const Fd wake_read(pipe_fds[0]), wake_write(pipe_fds[1]);

  // The server, once it serves; until then (loading a model can take minutes) a stop signal ends
  // the process at once: nothing is held yet.
  std::atomic<serve::OpenAiServer*> serving{nullptr};
  // First signal while serving: a graceful stop (on its own thread, so that the watcher keeps
  // watching); a second one while requests still run: exit at once, with status 1.
  WatcherThread watcher(wake_write.get(), std::thread([&] {
    std::thread stopper;
    pollfd fds[2] = {{signals.get(), POLLIN, 0}, {wake_read.get(), POLLIN, 0}};
    for (;;) {
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents) break;  // the command is leaving
      if (fds[0].revents) {
        signalfd_siginfo info{};
        if (read(signals.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
        const char* name = info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
        serve::OpenAiServer* server = serving.load();
        if (server == nullptr) {
          fmt::print(stderr, "aimicius serve: {} before serving: exiting\n", name);
          std::fflush(stdout);
          std::_Exit(128 + static_cast<int>(info.ssi_signo));
        }
        if (stopper.joinable()) {
          fmt::print(stderr, "aimicius serve: second {}: exiting without waiting for requests in flight\n", name);
          std::fflush(stdout);
          std::_Exit(1);
        }
        fmt::print(stderr, "aimicius serve: {}: finishing requests in flight, then stopping (again to force)\n", name);
        stopper = std::thread([server] { server->shutdown(); });
      }
    }
    if (stopper.joinable()) stopper.join();
  }));

  auto backend = make_backend(o.model_spec, suites_for(o.model_spec, global));
  serve::ServerOptions so;
  so.host = o.host;
  so.port = o.port;
  so.model_id = o.served_model_name.empty() ? serve::default_model_id(o.model_spec) : o.served_model_name;
  so.batching.max_batch = static_cast<size_t>(o.max_batch);
  so.batching.window = std::chrono::milliseconds(o.batch_window_ms);
  so.connections.max_connections = static_cast<size_t>(o.max_connections);
  so.connections.max_connections_per_client = static_cast<size_t>(o.max_connections_per_client);
  serve::OpenAiServer server(*backend, so);
  const int port = server.bind();
  fmt::print("aimicius serve: model \"{}\" ({}) on http://{}:{}/v1 (max batch {}, window {} ms); "
             "SIGINT/SIGTERM stops\n",
             so.model_id, backend->spec(), o.host, port, o.max_batch, o.batch_window_ms);
  std::fflush(stdout);
  serving.store(&server);  // (a bind() that throws leaves it null: the watcher never sees a dead server)
  const bool stopped = server.serve();
  watcher.stop();  // before `server` ends: the watcher's stopper thread holds a pointer to it
  if (!stopped) throw std::runtime_error(fmt::format("the server on {}:{} stopped listening", o.host, port));
  const auto stats = server.batcher_stats();
  fmt::print("aimicius serve: stopped after {} requests in {} backend calls (largest batch {})\n", stats.requests,
             stats.generate_calls, stats.largest_batch);
  return 0;
}

class ServeCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API (/v1/completions, "
                                               "/v1/chat/completions, /v1/models) until SIGINT/SIGTERM");
    cmd->add_option("--model", options_.model_spec, "Model spec, e.g. local:DIR?device=cuda, replay:FILE.jsonl, oracle")
        ->required();
    cmd->add_option("--host", options_.host, "Address to listen on")->capture_default_str();
    cmd->add_option("--port", options_.port, "TCP port (0: any free port, printed at start)")->capture_default_str();
    cmd->add_option("--served-model-name", options_.served_model_name,
                    "Model id clients use (default: the checkpoint folder's name)");
    cmd->add_option("--max-batch", options_.max_batch, "Requests generated together at most")->capture_default_str();
    cmd->add_option("--batch-window-ms", options_.batch_window_ms,
                    "How long a request waits for others to batch with")
        ->capture_default_str();
    cmd->add_option("--max-connections", options_.max_connections,
                    "Connections held at once; more are answered 503 (default: max(16, 2 * max-batch + 8))");
    cmd->add_option("--max-connections-per-client", options_.max_connections_per_client,
                    "Connections one client address may hold; more are answered 429 (default: three quarters "
                    "of --max-connections)");
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_serve(global, options_); }

 private:
  ServeOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_serve_command() { return std::make_unique<ServeCommand>(); }

}  // namespace aimicius

// sql_query_thread implementation (see sql_query_thread.h): one job slot guarded by a mutex; the
// thread sleeps until a job or the end, the caller until the job is done or its time is up.
#include "scorers/sql_engine/sql_query_thread.h"

#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>

namespace aimicius {

struct SqlQueryThread::State {
  State(SqliteDb db, Execute execute) : db(std::move(db)), execute(std::move(execute)) {}

  SqliteDb db;
  Execute execute;
  std::mutex mutex;
  std::condition_variable wake;  // the thread: a job or the end
  std::condition_variable done;  // the caller: the job ended
  // The job slot, guarded by `mutex`.
  bool has_job = false;
  bool finished = false;
  bool stop = false;       // the thread ends after the job it runs (if any)
  bool abandoned = false;  // a caller gave up on a job: this connection is spent
  pid_t tid = 0;           // the thread's kernel id once it runs (for setpriority)
  std::string query;
  SqlLimits limits;
  SqlResult result;
};

SqlQueryThread::SqlQueryThread(SqliteDb db, Execute execute)
    : state_(std::make_shared<State>(std::move(db), std::move(execute))),
      thread_([state = state_] { serve(state); }) {}

SqlQueryThread::~SqlQueryThread() {
  {
    const std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stop = true;
  }
  state_->wake.notify_all();
  if (thread_.joinable()) thread_.join();  // idle: it ends at once (an abandoned one was detached)
}

bool SqlQueryThread::spent() const {
  const std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->abandoned;
}

std::optional<SqlResult> SqlQueryThread::run(std::string_view query, const SqlLimits& limits,
                                             Clock::time_point give_up_at) {
  std::unique_lock<std::mutex> lock(state_->mutex);
  if (state_->abandoned) return std::nullopt;
  state_->query.assign(query.data(), query.size());
  state_->limits = limits;
  state_->finished = false;
  state_->has_job = true;
  state_->wake.notify_one();
  if (state_->done.wait_until(lock, give_up_at, [&] { return state_->finished; }))
    return std::exchange(state_->result, SqlResult{});
  // Still running past its time: stop it at SQLite's next check and leave the connection to it.
  // What it still does is work nobody waits for: at the lowest priority it takes only CPU time
  // that the scoring of other answers leaves (a statement of whole-value calls can run on for
  // minutes: docs/RELIABILITY.md). A refused setpriority leaves it at its priority, no worse.
  state_->abandoned = true;
  state_->stop = true;
  sqlite3_interrupt(state_->db.handle());
  if (state_->tid > 0) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(state_->tid), kAbandonedNice);
  lock.unlock();
  thread_.detach();
  return std::nullopt;
}

void SqlQueryThread::serve(const std::shared_ptr<State>& state) {
  std::unique_lock<std::mutex> lock(state->mutex);
  state->tid = gettid();
  while (true) {
    state->wake.wait(lock, [&] { return state->has_job || state->stop; });
    // A job given up on before this thread took it (it had not run yet) is not started at all.
    if (!state->has_job || state->abandoned) return;
    const std::string query = std::move(state->query);
    const SqlLimits limits = state->limits;
    lock.unlock();
    SqlResult result = state->execute(state->db.handle(), query, limits);
    lock.lock();
    state->result = std::move(result);
    state->has_job = false;
    state->finished = true;
    state->done.notify_all();
    if (state->stop) return;
  }
}

}  // namespace aimicius

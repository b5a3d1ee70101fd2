// sql_query_thread: one SQLite connection and the one thread that runs its queries, so that the
// caller has its answer by the deadline even where SQLite cannot stop in time (issue 19, item 5).
//
// SQLite checks the progress handler and sqlite3_interrupt only where its program jumps back,
// never inside one function call or along straight-line code: one statement of many calls over
// long values runs on past its time limit however the handler is set (300 nested hex / replace
// calls ran 45 s against a 2 s limit). The value and statement limits of SqlDatabase bound that
// work; this thread bounds what the caller waits for. run() hands the query to the thread and
// waits until `give_up_at`; a query still running then is interrupted and left to the thread,
// which ends at SQLite's next check or at the statement's end and closes the connection, and
// run() answers nullopt, and the thread goes to the lowest CPU priority for the rest of its work.
// The object is spent after that: the caller makes a new one (a new connection) for the next query.
//
// Invariants:
//   - the connection is used only by the thread (and by sqlite3_interrupt, which SQLite allows
//     from any thread while the connection is open);
//   - what the thread touches (connection, query, result) is owned jointly by the thread and this
//     object, so an abandoned thread never touches freed memory and frees it when it ends;
//   - the destructor ends and joins an idle thread; an abandoned one was detached and ends alone.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>

#include "common/sqlite_db.h"
#include "scorers/sql_engine/sql_execution.h"

namespace aimicius {

class SqlQueryThread {
 public:
  using Clock = std::chrono::steady_clock;
  // Runs one query on the connection (the thread calls it; it must not throw).
  using Execute = std::function<SqlResult(sqlite3*, std::string_view, const SqlLimits&)>;

  SqlQueryThread(SqliteDb db, Execute execute);
  ~SqlQueryThread();
  SqlQueryThread(const SqlQueryThread&) = delete;
  SqlQueryThread& operator=(const SqlQueryThread&) = delete;

  // The query's result, or nullopt when it had not ended by `give_up_at` (this object is then
  // spent: every later call answers nullopt at once).
  std::optional<SqlResult> run(std::string_view query, const SqlLimits& limits, Clock::time_point give_up_at);

  bool spent() const;

  // The nice value a given-up query's thread is set to (Linux threads have their own).
  static constexpr int kAbandonedNice = 19;

 private:
  struct State;
  static void serve(const std::shared_ptr<State>& state);  // the thread's loop

  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace aimicius

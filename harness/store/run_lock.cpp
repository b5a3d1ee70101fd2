#include "harness/store/run_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius {

RunLock::RunLock(const std::string& db_path, int64_t run_id) {
  fd_ = ::open(db_path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0)
    throw InputError(fmt::format("database {}: cannot open it to hold run {}: {}", db_path, run_id, std::strerror(errno)));
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = static_cast<off_t>(kRunLockBase + run_id);
  lock.l_len = 1;
  if (::fcntl(fd_, F_OFD_SETLK, &lock) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    if (error == EAGAIN || error == EACCES)
      throw InputError(fmt::format("run {} in {} is being run or resumed by another process; wait for it to end "
                                   "(or stop it) before resuming",
                                   run_id, db_path));
    throw InputError(fmt::format("database {}: cannot lock run {}: {}", db_path, run_id, std::strerror(error)));
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the description releases the lock
}

RunLock::RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

}  // namespace aimicius

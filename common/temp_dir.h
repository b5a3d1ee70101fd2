// TempDir: a private temporary folder that lives exactly as long as its owner.
//
// The constructor creates a new folder "<parent>/<prefix><pid>-XXXXXX" with mkdtemp: a name no
// other process holds at that moment, mode 0700, that says which process made it. The destructor removes the folder and everything in it
// and never throws (a folder that cannot be removed is left behind, silently: a destructor has no
// one to tell). Movable, not copyable; a moved-from TempDir owns nothing and removes nothing.
//
// Where LibTorch is linked, std::filesystem::remove_all must resolve to libstdc++'s copy, not the
// broken one libtorch.so exports: aimicius_use_torch (top CMakeLists.txt) puts libstdc++ first in
// the dynamic lookup order of every such target, which covers this file's call too.
#pragma once

#include <filesystem>
#include <string_view>

namespace aimicius {

class TempDir {
 public:
  // Throws std::runtime_error naming the parent and the system's reason when the folder cannot be
  // created (a missing or unwritable parent).
  explicit TempDir(std::string_view prefix,
                   const std::filesystem::path& parent = std::filesystem::temp_directory_path());
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Removes the folders "<parent>/<prefix><pid>-XXXXXX" whose process no longer exists: what a
  // killed process (SIGKILL runs no destructor) left. Folders of live processes, of processes
  // this one may not signal, and names of any other form are left alone. Returns how many went.
  static size_t remove_orphans(std::string_view prefix,
                               const std::filesystem::path& parent = std::filesystem::temp_directory_path());

 private:
  void remove() noexcept;

  std::filesystem::path path_;  // empty once moved from
};

}  // namespace aimicius

// SPDX-License-Identifier: Apache-2.0
// Output files are written to a temporary name in the same folder and renamed into place, so a
// reader never sees a half-written file under the final name.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace qf {

// The temporary is `.<file name>.tmp.<pid>.<n>`; a writer killed mid-write leaves it behind.
Status write_file_atomic(const std::string& path, const void* data, size_t size);
inline Status write_file_atomic(const std::string& path, std::string_view text) {
  return write_file_atomic(path, text.data(), text.size());
}
// Whether write_file_atomic could write `path` now (its folder must exist): creates and removes
// the temporary it would use. A bad_input naming the path when not, or when `path` is a folder.
Status check_writable(const std::string& path);
// Whether a file name is such a temporary (of any file name).
bool is_atomic_write_temporary(std::string_view file_name);
// Creates a folder and its parents; a clear error when that is impossible.
Status make_directories(const std::string& path);
// The folder a file is to be written in, created if missing (nothing for a bare file name).
Status make_parent_directories(const std::string& file_path);

// An exclusive advisory lock (flock) on a folder, held while writing files that belong together
// (a qgraph and its blob), so that concurrent writers of the same output take turns.
class FolderLock {
 public:
  static Result<FolderLock> acquire(const std::string& folder);
  FolderLock(FolderLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FolderLock& operator=(FolderLock&&) = delete;
  FolderLock(const FolderLock&) = delete;
  ~FolderLock();

 private:
  explicit FolderLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace qf {

namespace fs = std::filesystem;

namespace {
constexpr std::string_view kTemporaryMark = ".tmp.";

// `.<file name>.tmp.<pid>.<n>` beside the target: same folder, so the rename cannot cross devices.
fs::path temporary_path_for(const fs::path& target) {
  static std::atomic<unsigned> counter{0};
  return target.parent_path() /
         fmt::format(".{}{}{}.{}", target.filename().string(), kTemporaryMark, getpid(), counter++);
}
}  // namespace

Status write_file_atomic(const std::string& path, const void* data, size_t size) {
  const fs::path target(path);
  const fs::path tmp = temporary_path_for(target);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return bad_input("cannot write '{}': {}", path, std::strerror(errno));
  const char* p = static_cast<const char*>(data);
  size_t left = size;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return bad_input("cannot write '{}': {}", path, std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return bad_input("cannot write '{}': {}", path, std::strerror(err));
  }
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return bad_input("cannot write '{}': {}", path, std::strerror(err));
  }
  return Status::ok();
}

Status check_writable(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return bad_input("cannot write '{}': it is a folder", path);
  // The same temporary write_file_atomic would make: the folder's permissions, a read-only file
  // system and a name too long for it all show here, before the work that the file is the result of.
  const fs::path probe = temporary_path_for(fs::path(path));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return bad_input("cannot write '{}': {}", path, std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
  return Status::ok();
}

bool is_atomic_write_temporary(std::string_view name) {
  if (!name.starts_with('.')) return false;
  const size_t mark = name.rfind(kTemporaryMark);
  if (mark == std::string_view::npos || mark <= 1) return false;
  // <pid>.<n>: digits, one dot, digits.
  const std::string_view tail = name.substr(mark + kTemporaryMark.size());
  const size_t dot = tail.find('.');
  auto digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return dot != std::string_view::npos && digits(tail.substr(0, dot)) && digits(tail.substr(dot + 1));
}

Status make_directories(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec || !fs::is_directory(path)) return bad_input("cannot create folder '{}': {}", path, ec ? ec.message() : "not a folder");
  return Status::ok();
}

Status make_parent_directories(const std::string& file_path) {
  const fs::path parent = fs::path(file_path).parent_path();
  return parent.empty() ? Status::ok() : make_directories(parent.string());
}

Result<FolderLock> FolderLock::acquire(const std::string& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return bad_input("cannot open folder '{}': {}", folder, std::strerror(errno));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd);
    return bad_input("cannot lock folder '{}': {}", folder, std::strerror(err));
  }
  return FolderLock(fd);
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
// Output files are written to a temporary name in the same folder and renamed into place, so a
// reader never sees a half-written file under the final name.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace qf {

Status write_file_atomic(const std::string& path, const void* data, size_t size);
inline Status write_file_atomic(const std::string& path, std::string_view text) {
  return write_file_atomic(path, text.data(), text.size());
}
// Creates a folder and its parents; a clear error when that is impossible.
Status make_directories(const std::string& path);

}  // namespace qf

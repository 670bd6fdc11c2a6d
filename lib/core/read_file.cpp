// SPDX-License-Identifier: Apache-2.0
#include "core/read_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace qf {

namespace fs = std::filesystem;

Result<std::string> read_file_bytes(const std::string& path, std::string_view what) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) return bad_input("{} '{}' does not exist", what, path);
  if (fs::is_directory(status)) return bad_input("{} '{}' is a directory", what, path);
  if (!fs::is_regular_file(status)) return bad_input("{} '{}' is not a regular file", what, path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad_input("cannot open {} '{}'", what, path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return bad_input("cannot read {} '{}'", what, path);
  return bytes.str();
}

}  // namespace qf

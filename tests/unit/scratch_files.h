// SPDX-License-Identifier: Apache-2.0
// Scratch folders and files for unit tests. ctest runs test cases in parallel processes: give each
// case its own folder name.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace qf::testing {

inline std::filesystem::path scratch_dir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("qforge_test_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void write_text(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

// Headerless float32 (host order, little endian on every machine qforge supports); creates the folder.
inline void write_floats(const std::filesystem::path& p, const std::vector<float>& v) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
}

}  // namespace qf::testing

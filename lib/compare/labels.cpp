// SPDX-License-Identifier: Apache-2.0
#include "compare/labels.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace qf::compare {

namespace {

constexpr std::string_view kPackedSuffix = ".bin";
constexpr std::string_view kSpace = " \t\r";

Result<std::vector<int64_t>> read_packed(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return std::vector<int64_t>(bytes.begin(), bytes.end());
}

Result<std::vector<int64_t>> read_text(const std::string& path) {
  std::ifstream in(path);
  std::vector<int64_t> labels;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const size_t first = line.find_first_not_of(kSpace);
    if (first == std::string::npos) continue;
    const size_t last = line.find_last_not_of(kSpace);
    int64_t label = -1;
    const char* begin = line.data() + first;
    const char* end = line.data() + last + 1;
    const auto [stop, ec] = std::from_chars(begin, end, label);
    if (ec != std::errc() || stop != end || label < 0)
      return bad_input("{}:{}: '{}' is not a class index (one non-negative integer per line)", path, number,
                       std::string(begin, end));
    labels.push_back(label);
  }
  return labels;
}

}  // namespace

Result<std::vector<int64_t>> read_labels(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return bad_input("labels file '{}' does not exist", path);
  QF_ASSIGN_OR_RETURN(std::vector<int64_t> labels, path.ends_with(kPackedSuffix) ? read_packed(path) : read_text(path));
  if (labels.empty()) return bad_input("labels file '{}' has no labels", path);
  return labels;
}

}  // namespace qf::compare

// SPDX-License-Identifier: Apache-2.0
#include "core/json_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace qf {

int json_nesting_depth(const std::string& text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}') --depth;
    if (deepest > limit) break;
  }
  return deepest;
}

Result<nlohmann::json> parse_json_text(const std::string& text, const std::string& path, int max_depth) {
  if (json_nesting_depth(text, max_depth) > max_depth)
    return bad_input("{}: JSON nested deeper than {} levels", path, max_depth);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return bad_input("{}: not valid JSON: {}", path, e.what());
  }
}

Result<nlohmann::json> read_json_file(const std::string& path, const char* what, int max_depth) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return bad_input("{} '{}' does not exist", what, path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad_input("cannot open {} '{}'", what, path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_json_text(ss.str(), path, max_depth);
}

}  // namespace qf

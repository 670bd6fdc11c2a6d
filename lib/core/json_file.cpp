// SPDX-License-Identifier: Apache-2.0
#include "core/json_file.h"

#include "core/read_file.h"

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
  QF_ASSIGN_OR_RETURN(std::string text, read_file_bytes(path, what));
  return parse_json_text(text, path, max_depth);
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
// Reading the JSON files qforge takes from other tools (overrides, qgraphs, calibration states),
// with the guards every such reader needs: a clear error for a missing file or a syntax error, and
// a nesting limit checked before parsing, so that a hostile file cannot exhaust the stack.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace qf {

// The deepest nesting of [ and { outside strings; stops counting once past `limit`.
int json_nesting_depth(const std::string& text, int limit);

// Parses `text` (from `path`, named `what` in errors: "quantization overrides").
Result<nlohmann::json> parse_json_text(const std::string& text, const std::string& path, int max_depth);
Result<nlohmann::json> read_json_file(const std::string& path, const char* what, int max_depth);

}  // namespace qf

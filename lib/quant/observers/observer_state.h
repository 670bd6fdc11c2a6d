// SPDX-License-Identifier: Apache-2.0
// What every observer's state shares: exact float <-> JSON, the state header, running min/max/count.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "core/status.h"
#include "quant/observer.h"

namespace qf::observer_state {

inline constexpr int kStateVersion = 1;

// Floats travel as C99 hex strings ("0x1.8p+1"): exact, locale-free, and Python's float.fromhex
// reads them. Only finite values are stored.
nlohmann::json float_to_json(float v);
Result<float> float_from_json(const nlohmann::json& j, std::string_view what);
Result<uint64_t> uint_from_json(const nlohmann::json& j, std::string_view what);
Result<int64_t> int_from_json(const nlohmann::json& j, std::string_view what);
// j[key], or bad_input naming the key when j is not an object or lacks it.
Result<const nlohmann::json*> field(const nlohmann::json& j, std::string_view key);

// {"observer": name, "version": kStateVersion}
nlohmann::json make_header(std::string_view name);
// bad_input unless state is an object written by observer `name` at kStateVersion.
Status check_header(const nlohmann::json& state, std::string_view name);

// Runs f() and turns any nlohmann exception into bad_input (none may leave lib/).
template <typename F>
Status guard_json(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return bad_input("malformed observer state: {}", e.what());
  }
}

// -0.0 becomes +0.0, so that min and max do not depend on which zero came first.
inline float canonical_zero(float v) { return v + 0.0f; }

// Running count, non-finite count, min and max: the part of the state every observer keeps.
struct RangeStats {
  uint64_t count = 0;
  uint64_t nonfinite = 0;
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();

  // Adds the finite values of a batch and sets *batch to their range; false if there were none.
  bool add(std::span<const float> values, Range* batch);
  void merge(const RangeStats& other);
  bool empty() const { return count == 0; }
  nlohmann::json to_json() const;
  Status from_json(const nlohmann::json& j);
};

Status no_values_error(std::string_view observer);

}  // namespace qf::observer_state

// SPDX-License-Identifier: Apache-2.0
// Exact JSON for floats, the state header, and the running min/max/count shared by all observers.
#include "quant/observers/observer_state.h"

#include <charconv>
#include <cmath>
#include <string>

namespace qf::observer_state {

nlohmann::json float_to_json(float v) {
  char buf[64];
  bool negative = std::signbit(v);
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::hex);
  std::string s = negative ? "-0x" : "0x";
  s.append(buf, ec == std::errc() ? end : buf);
  return s;
}

Result<float> float_from_json(const nlohmann::json& j, std::string_view what) {
  if (!j.is_string()) return bad_input("{} must be a hex float string", what);
  const std::string& s = j.get_ref<const std::string&>();
  std::string_view body = s;
  bool negative = !body.empty() && body.front() == '-';
  if (negative) body.remove_prefix(1);
  if (body.size() < 3 || (body.substr(0, 2) != "0x" && body.substr(0, 2) != "0X")) {
    return bad_input("{} '{}' is not a hex float such as 0x1.8p+1", what, s);
  }
  body.remove_prefix(2);
  float v = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::hex);
  if (ec != std::errc() || end != body.data() + body.size() || !std::isfinite(v)) {
    return bad_input("{} '{}' is not a finite hex float", what, s);
  }
  return negative ? -v : v;
}

Result<uint64_t> uint_from_json(const nlohmann::json& j, std::string_view what) {
  if (!j.is_number_unsigned()) return bad_input("{} must be a non-negative integer", what);
  return j.get<uint64_t>();
}

Result<int64_t> int_from_json(const nlohmann::json& j, std::string_view what) {
  if (!j.is_number_integer()) return bad_input("{} must be an integer", what);
  if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return bad_input("{} is too large", what);
  }
  return j.get<int64_t>();
}

Result<const nlohmann::json*> field(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return bad_input("observer state: expected an object holding '{}'", key);
  auto it = j.find(key);
  if (it == j.end()) return bad_input("observer state: missing '{}'", key);
  return &*it;
}

nlohmann::json make_header(std::string_view name) {
  return nlohmann::json{{"observer", std::string(name)}, {"version", kStateVersion}};
}

Status check_header(const nlohmann::json& state, std::string_view name) {
  QF_ASSIGN_OR_RETURN(const nlohmann::json* observer, field(state, "observer"));
  if (!observer->is_string() || observer->get_ref<const std::string&>() != name) {
    return bad_input("observer state is for '{}', not '{}'", observer->dump(), name);
  }
  QF_ASSIGN_OR_RETURN(const nlohmann::json* version, field(state, "version"));
  if (!version->is_number_integer() || version->get<int64_t>() != kStateVersion) {
    return bad_input("observer state version {} is not {}", version->dump(), kStateVersion);
  }
  return Status::ok();
}

bool RangeStats::add(std::span<const float> values, Range* batch) {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -lo;
  uint64_t finite = 0;
  for (float v : values) {
    if (!std::isfinite(v)) {
      ++nonfinite;
      continue;
    }
    ++finite;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (finite == 0) return false;
  batch->min = canonical_zero(lo);
  batch->max = canonical_zero(hi);
  count += finite;
  min = std::min(min, batch->min);
  max = std::max(max, batch->max);
  return true;
}

void RangeStats::merge(const RangeStats& other) {
  count += other.count;
  nonfinite += other.nonfinite;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
}

nlohmann::json RangeStats::to_json() const {
  nlohmann::json j{{"count", count}, {"nonfinite", nonfinite}};
  if (count > 0) {
    j["min"] = float_to_json(min);
    j["max"] = float_to_json(max);
  }
  return j;
}

Status RangeStats::from_json(const nlohmann::json& j) {
  RangeStats s;
  QF_ASSIGN_OR_RETURN(const nlohmann::json* c, field(j, "count"));
  QF_ASSIGN_OR_RETURN(s.count, uint_from_json(*c, "count"));
  QF_ASSIGN_OR_RETURN(const nlohmann::json* n, field(j, "nonfinite"));
  QF_ASSIGN_OR_RETURN(s.nonfinite, uint_from_json(*n, "nonfinite"));
  if (s.count > 0) {
    QF_ASSIGN_OR_RETURN(const nlohmann::json* lo, field(j, "min"));
    QF_ASSIGN_OR_RETURN(s.min, float_from_json(*lo, "min"));
    QF_ASSIGN_OR_RETURN(const nlohmann::json* hi, field(j, "max"));
    QF_ASSIGN_OR_RETURN(s.max, float_from_json(*hi, "max"));
    if (s.min > s.max) return bad_input("observer state: min {} is above max {}", s.min, s.max);
  }
  *this = s;
  return Status::ok();
}

Status no_values_error(std::string_view observer) {
  return bad_input("observer '{}' saw no finite values", observer);
}

}  // namespace qf::observer_state

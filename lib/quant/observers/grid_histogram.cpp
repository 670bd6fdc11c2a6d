// SPDX-License-Identifier: Apache-2.0
// GridHistogram: exact power-of-two grid, pairwise coarsening, CDF resampling (see the header).
#include "quant/observers/grid_histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "quant/observers/observer_state.h"

namespace qf {
namespace {

using observer_state::field;

// floor(y) for |y| < 2^62 without a libm call (the binning loop runs it per observed value):
// truncation, moved down one for negative non-integers. Exactly std::floor on that range.
inline int64_t floor_to_int(double y) {
  const auto t = static_cast<int64_t>(y);
  return t - (y < static_cast<double>(t) ? 1 : 0);
}

int64_t grid_index(double x, int exponent) { return floor_to_int(std::ldexp(x, -exponent)); }

// Bins that [lo, hi] occupies at an exponent, computed in double so huge spans cannot overflow.
double grid_span(double lo, double hi, int exponent) {
  return std::floor(std::ldexp(hi, -exponent)) - std::floor(std::ldexp(lo, -exponent)) + 1;
}

// The smallest exponent >= floor_exponent that fits [lo, hi]. Both constraints only tighten as
// values are added, so the result is the same however the values were grouped into batches.
int fitting_exponent(double lo, double hi, int floor_exponent) {
  double absmax = std::max(std::fabs(lo), std::fabs(hi));
  int e = floor_exponent;
  if (absmax > 0) e = std::max(e, std::ilogb(absmax) - GridHistogram::kIndexBits);
  if (hi > lo) {
    // span >= (hi - lo) / 2^e, so no exponent below log2((hi - lo) / kGridBins) fits; one less for
    // safety against log2 rounding up.
    double bound = std::ceil(std::log2((hi - lo) / static_cast<double>(GridHistogram::kGridBins))) - 1;
    e = std::max(e, static_cast<int>(bound));
  }
  while (grid_span(lo, hi, e) > static_cast<double>(GridHistogram::kGridBins)) ++e;
  return e;
}

}  // namespace

void GridHistogram::coarsen_to(int exponent) {
  if (exponent <= exponent_) return;
  // |k| < 2^42, so shifting by 63 already maps every index to 0 or -1 (floor division).
  int shift = std::min(exponent - exponent_, 63);
  exponent_ = exponent;
  if (counts_.empty()) return;
  int64_t last = first_ + static_cast<int64_t>(counts_.size()) - 1;
  int64_t new_first = first_ >> shift;  // arithmetic shift: floor division by 2^shift
  std::vector<uint64_t> merged(static_cast<size_t>((last >> shift) - new_first + 1), 0);
  for (size_t i = 0; i < counts_.size(); ++i) {
    merged[static_cast<size_t>(((first_ + static_cast<int64_t>(i)) >> shift) - new_first)] += counts_[i];
  }
  first_ = new_first;
  counts_ = std::move(merged);
}

uint64_t GridHistogram::add(std::span<const float> values) {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -lo;
  uint64_t nonfinite = 0;
  for (float v : values) {
    if (!std::isfinite(v)) {
      ++nonfinite;
      continue;
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (lo > hi) return nonfinite;  // nothing finite
  lo = observer_state::canonical_zero(lo);
  hi = observer_state::canonical_zero(hi);
  float new_min = empty() ? lo : std::min(min_, lo);
  float new_max = empty() ? hi : std::max(max_, hi);
  int e = fitting_exponent(new_min, new_max, empty() ? kMinExponent : exponent_);
  coarsen_to(e);
  exponent_ = e;

  int64_t new_first = grid_index(new_min, e);
  int64_t new_last = grid_index(new_max, e);
  if (counts_.empty()) {
    counts_.assign(static_cast<size_t>(new_last - new_first + 1), 0);
  } else if (new_first != first_ || new_last != first_ + static_cast<int64_t>(counts_.size()) - 1) {
    std::vector<uint64_t> grown(static_cast<size_t>(new_last - new_first + 1), 0);
    std::copy(counts_.begin(), counts_.end(), grown.begin() + (first_ - new_first));
    counts_ = std::move(grown);
  }
  first_ = new_first;
  min_ = new_min;
  max_ = new_max;

  double inv_width = std::ldexp(1.0, -e);  // exact: x * 2^-e is x / w without rounding
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    const int64_t k = floor_to_int(static_cast<double>(v) * inv_width);
    ++counts_[static_cast<size_t>(k - first_)];
    ++total_;
  }
  return nonfinite;
}

void GridHistogram::merge(const GridHistogram& other) {
  if (other.empty()) return;
  if (empty()) {
    *this = other;
    return;
  }
  float new_min = std::min(min_, other.min_);
  float new_max = std::max(max_, other.max_);
  int e = fitting_exponent(new_min, new_max, std::max(exponent_, other.exponent_));
  GridHistogram rhs = other;
  coarsen_to(e);
  rhs.coarsen_to(e);
  int64_t new_first = std::min(first_, rhs.first_);
  int64_t new_last = std::max(first_ + static_cast<int64_t>(counts_.size()),
                              rhs.first_ + static_cast<int64_t>(rhs.counts_.size())) -
                     1;
  std::vector<uint64_t> sum(static_cast<size_t>(new_last - new_first + 1), 0);
  for (const GridHistogram* h :
       {static_cast<const GridHistogram*>(this), static_cast<const GridHistogram*>(&rhs)}) {
    size_t base = static_cast<size_t>(h->first_ - new_first);
    for (size_t i = 0; i < h->counts_.size(); ++i) sum[base + i] += h->counts_[i];
  }
  counts_ = std::move(sum);
  first_ = new_first;
  total_ += other.total_;
  min_ = new_min;
  max_ = new_max;
}

double GridHistogram::bin_left(size_t i) const {
  if (i == 0) return min_;
  return std::ldexp(static_cast<double>(first_ + static_cast<int64_t>(i)), exponent_);
}

double GridHistogram::bin_right(size_t i) const {
  if (i + 1 == counts_.size()) return max_;
  return std::ldexp(static_cast<double>(first_ + static_cast<int64_t>(i) + 1), exponent_);
}

std::vector<double> GridHistogram::cumulative() const {
  std::vector<double> cum(counts_.size() + 1, 0.0);  // cum[i]: values in bins before i (exact < 2^53)
  for (size_t i = 0; i < counts_.size(); ++i) cum[i + 1] = cum[i] + static_cast<double>(counts_[i]);
  return cum;
}

double GridHistogram::cdf(double x, const std::vector<double>& cum) const {
  if (x >= max_) return static_cast<double>(total_);
  if (x <= min_) return 0.0;
  int64_t k = grid_index(x, exponent_) - first_;
  size_t i = static_cast<size_t>(std::clamp<int64_t>(k, 0, static_cast<int64_t>(counts_.size()) - 1));
  double left = bin_left(i);
  double right = bin_right(i);
  return cum[i] + static_cast<double>(counts_[i]) * ((x - left) / (right - left));
}

std::vector<double> GridHistogram::rebin(double lo, double hi, int bins) const {
  std::vector<double> out(static_cast<size_t>(bins), 0.0);
  if (empty() || !(hi > lo) || bins <= 0) return out;
  std::vector<double> cum = cumulative();
  double step = (hi - lo) / bins;
  double prev = cdf(lo, cum);
  for (int j = 0; j < bins; ++j) {
    double edge = j + 1 == bins ? hi : lo + (j + 1) * step;
    double next = cdf(edge, cum);
    out[static_cast<size_t>(j)] = next - prev;
    prev = next;
  }
  return out;
}

double GridHistogram::quantile(double fraction) const {
  if (empty()) return 0.0;
  double target = fraction * static_cast<double>(total_);
  if (target <= 0) return min_;
  if (target >= static_cast<double>(total_)) return max_;
  std::vector<double> cum = cumulative();
  // First bin whose inclusive cumulative count reaches the target; it is never empty.
  size_t i = static_cast<size_t>(std::lower_bound(cum.begin() + 1, cum.end(), target) - (cum.begin() + 1));
  double left = bin_left(i);
  double right = bin_right(i);
  double x = left + (target - cum[i]) / static_cast<double>(counts_[i]) * (right - left);
  return std::clamp(x, static_cast<double>(min_), static_cast<double>(max_));
}

double GridHistogram::share_below(double x) const {
  return empty() ? 0.0 : cdf(x, cumulative()) / static_cast<double>(total_);
}

nlohmann::json GridHistogram::to_json() const {
  nlohmann::json counts = nlohmann::json::array();
  for (size_t i = 0; i < counts_.size();) {
    if (counts_[i] != 0) {
      counts.push_back(counts_[i++]);
      continue;
    }
    int64_t run = 0;
    while (i < counts_.size() && counts_[i] == 0) ++run, ++i;
    counts.push_back(-run);
  }
  nlohmann::json j{{"exponent", exponent_}, {"first", first_}, {"total", total_}, {"counts", counts}};
  if (!empty()) {
    j["min"] = observer_state::float_to_json(min_);
    j["max"] = observer_state::float_to_json(max_);
  }
  return j;
}

Status GridHistogram::from_json(const nlohmann::json& j) {
  using namespace observer_state;
  GridHistogram h;
  QF_ASSIGN_OR_RETURN(const nlohmann::json* e, field(j, "exponent"));
  QF_ASSIGN_OR_RETURN(int64_t exponent, int_from_json(*e, "exponent"));
  if (exponent < kMinExponent || exponent > 1024)
    return bad_input("histogram exponent {} is out of range", exponent);
  h.exponent_ = static_cast<int>(exponent);
  QF_ASSIGN_OR_RETURN(const nlohmann::json* f, field(j, "first"));
  QF_ASSIGN_OR_RETURN(h.first_, int_from_json(*f, "first"));
  QF_ASSIGN_OR_RETURN(const nlohmann::json* t, field(j, "total"));
  QF_ASSIGN_OR_RETURN(h.total_, uint_from_json(*t, "total"));
  QF_ASSIGN_OR_RETURN(const nlohmann::json* c, field(j, "counts"));
  if (!c->is_array()) return bad_input("histogram counts must be an array");
  uint64_t sum = 0;
  for (const nlohmann::json& v : *c) {
    QF_ASSIGN_OR_RETURN(int64_t n, int_from_json(v, "histogram count"));
    if (n < 0) {
      if (static_cast<uint64_t>(-n) > static_cast<uint64_t>(kGridBins))
        return bad_input("histogram is too wide");
      h.counts_.insert(h.counts_.end(), static_cast<size_t>(-n), 0);
    } else {
      h.counts_.push_back(static_cast<uint64_t>(n));
      sum += static_cast<uint64_t>(n);
    }
    if (static_cast<int64_t>(h.counts_.size()) > kGridBins)
      return bad_input("histogram has over {} bins", kGridBins);
  }
  if (sum != h.total_) return bad_input("histogram counts add up to {}, not total {}", sum, h.total_);
  if (h.total_ == 0) {
    if (!h.counts_.empty() || h.first_ != 0 || h.exponent_ != kMinExponent) {
      return bad_input("an empty histogram state must have no bins, first 0 and exponent {}", kMinExponent);
    }
    *this = h;
    return Status::ok();
  }
  QF_ASSIGN_OR_RETURN(const nlohmann::json* lo, field(j, "min"));
  QF_ASSIGN_OR_RETURN(h.min_, float_from_json(*lo, "histogram min"));
  QF_ASSIGN_OR_RETURN(const nlohmann::json* hi, field(j, "max"));
  QF_ASSIGN_OR_RETURN(h.max_, float_from_json(*hi, "histogram max"));
  // The canonical form: min and max lie in the first and last stored bins, the exponent is the one
  // add() would choose. Anything else would break the exact-merge guarantee.
  int64_t last = h.first_ + static_cast<int64_t>(h.counts_.size()) - 1;
  if (h.min_ > h.max_ || grid_index(h.min_, h.exponent_) != h.first_ ||
      grid_index(h.max_, h.exponent_) != last || h.counts_.front() == 0 || h.counts_.back() == 0 ||
      fitting_exponent(h.min_, h.max_, kMinExponent) != h.exponent_) {
    return bad_input("histogram state is not in canonical form (min, max, first, exponent disagree)");
  }
  *this = h;
  return Status::ok();
}

}  // namespace qf

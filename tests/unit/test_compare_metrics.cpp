// SPDX-License-Identifier: Apache-2.0
// qforge-diff metrics against hand-computed values, their edge cases (all-zero, identical,
// opposite, constant vectors), pooling over Result folders, and the verdicts.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "compare/metrics.h"
#include "compare/verdict.h"

using namespace qf;
using namespace qf::compare;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

MetricOptions with_reference(SqnrReference r) {
  MetricOptions o;
  o.sqnr_reference = r;
  return o;
}

ErrorAccumulator accumulate(const std::vector<float>& g, const std::vector<float>& c) {
  ErrorAccumulator acc;
  acc.add(g, c, MetricOptions{});
  return acc;
}

}  // namespace

TEST_CASE("metrics of a one-value error, by hand", "[compare][metrics]") {
  // e = [0, 0, 0, 1]; sum g^2 = 30, sum c^2 = 39, sum g*c = 34.
  const std::vector<float> g = {1, 2, 3, 4}, c = {1, 2, 3, 5};
  const TensorMetrics m = compare_vectors(g, c);
  CHECK(m.mse == Approx(0.25));
  CHECK(m.mae == Approx(0.25));
  CHECK(m.max_abs_error == Approx(1.0));
  CHECK(m.cosine == Approx(34.0 / std::sqrt(30.0 * 39.0)));
  CHECK(m.sqnr_db == Approx(10 * std::log10(30.0)));  // 14.77 dB: golden power / error power
  CHECK(compare_vectors(g, c, with_reference(SqnrReference::kCandidate)).sqnr_db == Approx(10 * std::log10(39.0)));
  // |e| <= atol + rtol * |g|: 1 > 0.01 + 0.01 * 4 fails, the three exact values pass.
  CHECK(m.pass_rate == Approx(0.75));
  MetricOptions loose;
  loose.rtol = 0.3;  // 0.01 + 0.3 * 4 = 1.21 >= 1
  CHECK(compare_vectors(g, c, loose).pass_rate == Approx(1.0));
}

TEST_CASE("metrics: identical vectors are +inf dB and cosine exactly 1", "[compare][metrics]") {
  const std::vector<float> v = {0.5f, -1.25f, 3.f, 1e-3f};
  const TensorMetrics m = compare_vectors(v, v);
  CHECK(m.sqnr_db == kInf);
  CHECK(m.cosine == 1.0);
  CHECK(m.mse == 0.0);
  CHECK(m.max_abs_error == 0.0);
  CHECK(m.pass_rate == 1.0);
}

TEST_CASE("metrics: all-zero vectors on one or both sides", "[compare][metrics]") {
  const std::vector<float> zeros = {0, 0, 0, 0}, one_hot = {0, 0, 1, 0};
  SECTION("both zero: identical") {
    const TensorMetrics m = compare_vectors(zeros, zeros);
    CHECK(m.cosine == 1.0);
    CHECK(m.sqnr_db == kInf);
    CHECK(m.mse == 0.0);
  }
  SECTION("golden zero: no direction in common, and no golden signal") {
    const TensorMetrics m = compare_vectors(zeros, one_hot);
    CHECK(m.cosine == 0.0);
    CHECK(m.sqnr_db == -kInf);
    CHECK(m.mse == Approx(0.25));
    // QNN's reference: the candidate's power equals the error's, 0 dB.
    CHECK(compare_vectors(zeros, one_hot, with_reference(SqnrReference::kCandidate)).sqnr_db == Approx(0.0));
  }
  SECTION("candidate zero") {
    const TensorMetrics m = compare_vectors(one_hot, zeros);
    CHECK(m.cosine == 0.0);
    CHECK(m.sqnr_db == Approx(0.0));  // the error is the whole signal
    CHECK(compare_vectors(one_hot, zeros, with_reference(SqnrReference::kCandidate)).sqnr_db == -kInf);
  }
}

TEST_CASE("metrics: opposite and constant vectors", "[compare][metrics]") {
  const std::vector<float> g = {1, -2, 3}, minus_g = {-1, 2, -3};
  const TensorMetrics opposite = compare_vectors(g, minus_g);
  CHECK(opposite.cosine == Approx(-1.0));
  CHECK(opposite.sqnr_db == Approx(10 * std::log10(1.0 / 4.0)));  // error = 2g
  // Two different constants point the same way: cosine says 1, which is why they are MISTRUSTED.
  const std::vector<float> twos = {2, 2, 2, 2}, threes = {3, 3, 3, 3};
  const TensorMetrics constant = compare_vectors(twos, threes);
  CHECK(constant.cosine == Approx(1.0));
  CHECK(constant.sqnr_db == Approx(10 * std::log10(4.0)));
  CHECK(is_mistrusted(accumulate(twos, threes)));
}

TEST_CASE("metrics: accumulating folder by folder equals the concatenated vectors", "[compare][metrics]") {
  ErrorAccumulator pooled;
  pooled.add(std::vector<float>{1, 2}, std::vector<float>{1, 2}, MetricOptions{});
  pooled.add(std::vector<float>{3, 4}, std::vector<float>{3, 5}, MetricOptions{});
  const TensorMetrics whole = compare_vectors(std::vector<float>{1, 2, 3, 4}, std::vector<float>{1, 2, 3, 5});
  const TensorMetrics m = compute_metrics(pooled, SqnrReference::kGolden);
  CHECK(pooled.count == 4);
  CHECK(m.sqnr_db == Approx(whole.sqnr_db));
  CHECK(m.cosine == Approx(whole.cosine));
  CHECK(m.mse == Approx(whole.mse));
  CHECK(m.pass_rate == Approx(whole.pass_rate));
  CHECK(pooled.golden_min == 1.f);
  CHECK(pooled.candidate_max == 5.f);
}

TEST_CASE("sqnr_reference: the two names", "[compare][metrics]") {
  CHECK(*parse_sqnr_reference("golden") == SqnrReference::kGolden);
  CHECK(*parse_sqnr_reference("candidate") == SqnrReference::kCandidate);
  auto bad = parse_sqnr_reference("inference");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().code() == StatusCode::kUsage);
  CHECK(bad.status().message().find("golden, candidate") != std::string::npos);
}

TEST_CASE("verdicts: MISTRUSTED at 99% zeros on both sides, FAILED below the threshold", "[compare][verdict]") {
  std::vector<float> mostly_zero(100, 0.f), other(100, 0.f);
  mostly_zero[7] = 1.f;
  other[7] = 2.f;
  CHECK(is_mistrusted(accumulate(mostly_zero, other)));  // 99 of 100 zeros
  other[8] = 3.f;                                         // 98 on the candidate side
  CHECK_FALSE(is_mistrusted(accumulate(mostly_zero, other)));
  CHECK_FALSE(is_mistrusted(accumulate(std::vector<float>(4, 0.f), std::vector<float>{0, 0, 1, 0})));

  const auto acc = accumulate({1, 2, 3, 4}, {1, 2, 3, 5});
  const TensorMetrics m = compute_metrics(acc, SqnrReference::kGolden);  // 14.77 dB
  CHECK(judge(acc, m, 20.0, std::nullopt) == Verdict::kFailed);
  CHECK(judge(acc, m, 10.0, std::nullopt) == Verdict::kPassed);
  CHECK(judge(acc, m, 10.0, true) == Verdict::kFailed);   // a gated output: the gate decides
  CHECK(judge(acc, m, 20.0, false) == Verdict::kPassed);
  const auto zeros = accumulate(std::vector<float>(4, 0.f), std::vector<float>(4, 0.f));
  CHECK(judge(zeros, compute_metrics(zeros, SqnrReference::kGolden), 20.0, std::nullopt) == Verdict::kMistrusted);
  CHECK(judge(zeros, compute_metrics(zeros, SqnrReference::kGolden), 20.0, true) == Verdict::kFailed);
  // Golden all zero, one candidate value: -inf dB, but too few values to trust.
  std::vector<float> blip(100, 0.f);
  blip[3] = 1.f;
  const auto noise = accumulate(std::vector<float>(100, 0.f), blip);
  CHECK(judge(noise, compute_metrics(noise, SqnrReference::kGolden), 20.0, std::nullopt) == Verdict::kMistrusted);
  CHECK(verdict_name(Verdict::kMistrusted) == "MISTRUSTED");
}

// SPDX-License-Identifier: Apache-2.0
// Observers: hand-computed small cases, the registry, the exact-merge and exact-JSON guarantees,
// and the grid histogram they rest on. tests/quant/observers_reference.py re-derives every
// algorithm in numpy on larger data.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "quant/observer_registry.h"
#include "quant/observers/grid_histogram.h"

using namespace qf;

namespace {

std::unique_ptr<Observer> make(std::string_view name, ObserverOptions options = {}) {
  Result<std::unique_ptr<Observer>> r = make_observer(name, options);
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  return std::move(r).value();
}

Range range_of(const Observer& o, QuantScheme scheme = {}) {
  Result<Range> r = o.compute(scheme);
  INFO(o.name() << ": " << r.status().message());
  REQUIRE(r.is_ok());
  return *r;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Ten batches whose range grows (so histograms coarsen), with a zero-only batch, a batch with no
// finite value and stray infinities; fixed seed.
std::vector<std::vector<float>> growing_batches() {
  std::mt19937 rng(2024);
  std::normal_distribution<float> normal(0.3f, 1.0f);
  std::vector<std::vector<float>> batches;
  for (int b = 0; b < 10; ++b) {
    std::vector<float> v(997 + 13 * b);
    float scale = std::ldexp(1.0f, b - 3);
    for (float& x : v) x = normal(rng) * scale + 0.1f * b;
    batches.push_back(std::move(v));
  }
  batches[2] = std::vector<float>(50, 0.0f);
  batches[4][7] = std::numeric_limits<float>::infinity();
  batches[6] = {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()};
  batches[8][0] = 1000.0f;  // a late outlier
  batches[9][3] = -0.0f;
  return batches;
}

std::unique_ptr<Observer> observe_all(std::string_view name, const std::vector<std::vector<float>>& batches,
                                      size_t begin, size_t end) {
  auto o = make(name);
  for (size_t i = begin; i < end; ++i) o->observe(std::span<const float>(batches[i]));
  return o;
}

// Through text, as --calibration_state_out / --calibration_state_in will do.
std::unique_ptr<Observer> reload(const Observer& o) {
  std::string text = o.to_json().dump();
  Result<std::unique_ptr<Observer>> r = observer_from_json(nlohmann::json::parse(text));
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  return std::move(r).value();
}

const QuantScheme kSchemes[] = {{QuantSchema::kAsymmetric, 8},
                                {QuantSchema::kSymmetric, 8},
                                {QuantSchema::kUnsignedSymmetric, 8},
                                {QuantSchema::kAsymmetric, 16}};

}  // namespace

TEST_CASE("the registry lists every observer once, with help", "[quant][observer]") {
  std::vector<std::string> names = observer_names();
  CHECK(names ==
        std::vector<std::string>{"min-max", "moving-average", "mse", "entropy", "percentile", "sqnr"});
  std::string help = observer_help();
  for (const std::string& n : names) {
    CHECK_THAT(help, Catch::Contains(n));
    CHECK(make(n)->name() == n);
  }
  CHECK(kDefaultObserver == "min-max");
  Result<std::unique_ptr<Observer>> unknown = make_observer("kl");
  CHECK(unknown.status().code() == StatusCode::kUsage);
  CHECK_THAT(unknown.status().message(), Catch::Contains("entropy") && Catch::Contains("sqnr"));
  CHECK(make_observer("percentile", {89.99}).status().code() == StatusCode::kUsage);
  CHECK(make_observer("percentile", {100.01}).status().code() == StatusCode::kUsage);
  CHECK(make_observer("percentile", {std::nan("")}).status().code() == StatusCode::kUsage);
  CHECK(make_observer("percentile", {90.0}).is_ok());
  CHECK(make_observer("percentile", {100.0}).is_ok());
  CHECK(ObserverOptions{}.percentile == 99.99);
}

TEST_CASE("min-max: running extremes, non-finite values skipped", "[quant][observer]") {
  auto o = make("min-max");
  CHECK(o->compute({}).status().code() == StatusCode::kBadInput);  // nothing seen yet
  std::vector<float> a = {0.5f, -1.25f, std::numeric_limits<float>::quiet_NaN(), 2.0f};
  std::vector<float> b = {3.5f, std::numeric_limits<float>::infinity(), -0.5f};
  o->observe(std::span<const float>(a));
  o->observe(std::span<const float>(b));
  Range r = range_of(*o);
  CHECK(r.min == -1.25f);
  CHECK(r.max == 3.5f);
  CHECK(o->count() == 5);
  CHECK(o->nonfinite_count() == 2);
  Result<Encoding> e = o->encoding({QuantSchema::kAsymmetric, 8});
  REQUIRE(e.is_ok());
  CHECK(e->scale[0] == Approx(4.75 / 255).epsilon(1e-7));

  // Tensors: float64 is converted, integers are refused.
  CHECK(o->observe(Tensor::from_vector<double>({2}, {-4.0, 1.0})).is_ok());
  CHECK(range_of(*o).min == -4.0f);
  CHECK(o->observe(Tensor::from_vector<int64_t>({1}, {7})).code() == StatusCode::kUnsupported);
}

TEST_CASE("moving-average: first batch, then m += 0.01 (batch - m)", "[quant][observer]") {
  auto o = make("moving-average");
  std::vector<std::vector<float>> batches = {{0.0f, 1.0f}, {-1.0f, 3.0f}, {-2.0f, 2.0f, 0.5f}};
  for (const auto& b : batches) o->observe(std::span<const float>(b));
  std::vector<float> nothing = {std::numeric_limits<float>::quiet_NaN()};
  o->observe(std::span<const float>(nothing));  // skipped, not averaged in
  Range r = range_of(*o);
  // min: 0 -> 0 + 0.01 (-1 - 0) = -0.01 -> -0.01 + 0.01 (-2 + 0.01) = -0.0299
  // max: 1 -> 1 + 0.01 (3 - 1) = 1.02 -> 1.02 + 0.01 (2 - 1.02) = 1.0298
  CHECK(r.min == Approx(-0.0299).epsilon(1e-5));
  CHECK(r.max == Approx(1.0298).epsilon(1e-6));
  CHECK(o->nonfinite_count() == 1);
}

TEST_CASE("percentile: exact extremes at 100, interpolated quantiles below", "[quant][observer]") {
  std::vector<float> uniform(100001);
  for (size_t i = 0; i < uniform.size(); ++i) uniform[i] = static_cast<float>(i) / 100000.0f;
  auto all = make("percentile", {100.0});
  all->observe(std::span<const float>(uniform));
  CHECK(range_of(*all).min == 0.0f);
  CHECK(range_of(*all).max == 1.0f);
  auto p90 = make("percentile", {90.0});
  p90->observe(std::span<const float>(uniform));
  Range r = range_of(*p90);
  CHECK(r.min == Approx(0.1).margin(5e-5));  // a tenth of the values lie below 0.1
  CHECK(r.max == Approx(0.9).margin(5e-5));
  // An outlier moves min-max but not the 99.99th percentile of 100002 values.
  uniform.push_back(50.0f);
  auto p = make("percentile");
  p->observe(std::span<const float>(uniform));
  CHECK(range_of(*p).max == Approx(0.9999).margin(1e-4));
}

TEST_CASE("entropy: a hand-computed threshold", "[quant][observer]") {
  // |x|: 1000 values at 0.5 and one at 8. The 2048 bins over [0, 8] are 1/256 wide, so all the
  // mass sits in bin 128 and bin 2047. Keeping i = 128 bins leaves bin 127 empty in Q but not
  // in P (the tail goes there): infinite KL. Keeping i = 129: P and Q both put everything in bin
  // 128: KL = 0, the first minimum. T = (129 + 0.5) / 256.
  std::vector<float> x(1000, 0.5f);
  x.push_back(8.0f);
  const double threshold = 129.5 / 256;
  for (QuantScheme s : {QuantScheme{QuantSchema::kAsymmetric, 8}, QuantScheme{QuantSchema::kSymmetric, 8}}) {
    auto o = make("entropy");
    o->observe(std::span<const float>(x));
    Range r = range_of(*o, s);
    CHECK(r.min == 0.5f);  // clamped to the observed range
    CHECK(r.max == static_cast<float>(threshold));
  }
  // Signed values: the same threshold on both sides.
  std::vector<float> y;
  for (int i = 0; i < 500; ++i) y.insert(y.end(), {0.5f, -0.5f});
  y.push_back(-8.0f);
  auto o = make("entropy");
  o->observe(std::span<const float>(y));
  Range r = range_of(*o, {QuantSchema::kSymmetric, 8});
  CHECK(r.min == static_cast<float>(-threshold));
  CHECK(r.max == 0.5f);  // T is above the largest positive value
  // Zeros are not in the |x| histogram; only zeros give [0, 0].
  std::vector<float> zeros(10, 0.0f);
  auto z = make("entropy");
  z->observe(std::span<const float>(zeros));
  CHECK(range_of(*z).min == 0.0f);
  CHECK(range_of(*z).max == 0.0f);
}

TEST_CASE("sqnr: hand cases on both grids", "[quant][observer]") {
  // Two point masses at +-1: their bins' midpoints are +-(1 - 1/2048). On the signed grid the
  // candidates are (1/127) k / 100; q * k / 12700 comes closest to 0.9995 at k = 100, q = 127,
  // so the encoding is min-max's: scale 1/127.
  std::vector<float> x;
  for (int i = 0; i < 100; ++i) x.insert(x.end(), {1.0f, -1.0f});
  auto o = make("sqnr");
  o->observe(std::span<const float>(x));
  Result<Encoding> e = o->encoding({QuantSchema::kSymmetric, 8});
  REQUIRE(e.is_ok());
  CHECK(e->scale[0] == Approx(1.0 / 127).epsilon(1e-6));
  // Dense uniform data: nothing is worth clipping, the range stays within a step of [0, 1].
  // (A lone outlier is kept: its squared error, weighted 3x, outweighs the rounding noise of
  // tens of thousands of values; the numpy cross-check covers the search on heavier tails.)
  std::vector<float> y(20000);
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(i) / 20000.0f;
  auto u = make("sqnr");
  u->observe(std::span<const float>(y));
  Range ru = range_of(*u, {QuantSchema::kAsymmetric, 8});
  CHECK(ru.min == Approx(0.0).margin(1.0 / 255));
  CHECK(ru.max == Approx(1.0).margin(1.0 / 255));
}

TEST_CASE("mse: the L2 search cuts a far outlier and keeps dense data", "[quant][observer]") {
  std::vector<float> y(100000);
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(i) / 100000.0f;
  auto dense = make("mse");
  dense->observe(std::span<const float>(y));
  Range rd = range_of(*dense);
  CHECK(rd.min == Approx(0.0).margin(0.01));
  CHECK(rd.max == Approx(1.0).margin(0.01));
  y.push_back(100.0f);
  auto o = make("mse");
  o->observe(std::span<const float>(y));
  Range r = range_of(*o);
  CHECK(r.min == Approx(0.0).margin(0.05));
  CHECK(r.max < 1.1f);  // 99.999% of the mass is below 1
  CHECK(r.max > 0.9f);
}

TEST_CASE("every observer: two halves merged equal one pass, bit for bit", "[quant][observer]") {
  auto batches = growing_batches();
  for (const std::string& name : observer_names()) {
    INFO("observer " << name);
    auto whole = observe_all(name, batches, 0, batches.size());
    for (size_t split : {size_t{1}, size_t{5}, size_t{9}}) {
      auto first = reload(*observe_all(name, batches, 0, split));
      auto second = reload(*observe_all(name, batches, split, batches.size()));
      REQUIRE(first->merge(*second).is_ok());
      CHECK(first->to_json() == whole->to_json());  // the state itself is canonical
      for (const QuantScheme& s : kSchemes) {
        Range a = range_of(*first, s), b = range_of(*whole, s);
        CHECK(same_bits(a.min, b.min));
        CHECK(same_bits(a.max, b.max));
      }
    }
    // Three parts, merged as (a + b) + c and a + (b + c).
    auto a = observe_all(name, batches, 0, 3), b = observe_all(name, batches, 3, 7);
    auto c = observe_all(name, batches, 7, 10);
    auto left = reload(*a);
    REQUIRE(left->merge(*b).is_ok());
    REQUIRE(left->merge(*c).is_ok());
    auto right = reload(*b);
    REQUIRE(right->merge(*c).is_ok());
    auto a2 = reload(*a);
    REQUIRE(a2->merge(*right).is_ok());
    CHECK(left->to_json() == whole->to_json());
    CHECK(a2->to_json() == whole->to_json());
    CHECK(whole->count() + whole->nonfinite_count() == [&] {
      size_t n = 0;
      for (const auto& v : batches) n += v.size();
      return n;
    }());
  }
}

TEST_CASE("histogram observers do not depend on batch order", "[quant][observer]") {
  auto batches = growing_batches();
  auto reversed = batches;
  std::reverse(reversed.begin(), reversed.end());
  for (std::string_view name : {"mse", "entropy", "percentile", "sqnr"}) {
    INFO("observer " << name);
    auto forward = observe_all(name, batches, 0, batches.size());
    auto backward = observe_all(name, reversed, 0, reversed.size());
    CHECK(forward->to_json() == backward->to_json());
    // One batch of everything, too.
    std::vector<float> all;
    for (const auto& v : batches) all.insert(all.end(), v.begin(), v.end());
    auto once = make(name);
    once->observe(std::span<const float>(all));
    CHECK(once->to_json() == forward->to_json());
  }
}

TEST_CASE("observer state JSON round-trips exactly and is checked", "[quant][observer]") {
  std::vector<float> odd = {-0.0f, std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::max(), -1.0f / 3.0f, 0.1f};
  for (const std::string& name : observer_names()) {
    INFO("observer " << name);
    auto o = make(name);
    o->observe(std::span<const float>(odd));
    auto back = reload(*o);
    CHECK(back->to_json() == o->to_json());
    for (const QuantScheme& s : kSchemes) {
      Range a = range_of(*o, s), b = range_of(*back, s);
      CHECK(same_bits(a.min, b.min));
      CHECK(same_bits(a.max, b.max));
    }
    nlohmann::json j = o->to_json();
    CHECK(j["observer"] == name);
    CHECK(j["version"] == 1);
    CHECK(j["stats"]["max"] == "0x1.fffffep+127");
    // Another kind's state, another version, broken fields: bad_input, never an exception.
    nlohmann::json wrong = j;
    wrong["observer"] = name == "min-max" ? "sqnr" : "min-max";
    CHECK(o->from_json(wrong).code() == StatusCode::kBadInput);
    nlohmann::json version = j;
    version["version"] = 2;
    CHECK(o->from_json(version).code() == StatusCode::kBadInput);
    nlohmann::json count = j;
    count["stats"]["count"] = "five";
    CHECK(o->from_json(count).code() == StatusCode::kBadInput);
    nlohmann::json hex = j;
    hex["stats"]["min"] = "-1.5";
    CHECK(o->from_json(hex).code() == StatusCode::kBadInput);
    CHECK(o->from_json(nlohmann::json::array()).code() == StatusCode::kBadInput);
    CHECK(o->to_json() == j);  // failed loads leave the state alone
    auto other = make(name == "mse" ? "sqnr" : "mse");
    CHECK(o->merge(*other).code() == StatusCode::kBadInput);
  }
  CHECK(observer_from_json(nlohmann::json{{"observer", "kl"}, {"version", 1}}).status().code() ==
        StatusCode::kBadInput);
  CHECK(observer_from_json(nlohmann::json(3)).status().code() == StatusCode::kBadInput);
}

TEST_CASE("histogram state that is not canonical is refused", "[quant][observer]") {
  auto o = make("percentile");
  std::vector<float> v = {0.25f, 0.5f, 1.0f};
  o->observe(std::span<const float>(v));
  nlohmann::json j = o->to_json();
  nlohmann::json shifted = j;
  shifted["histogram"]["first"] = j["histogram"]["first"].get<int64_t>() + 1;
  CHECK(o->from_json(shifted).code() == StatusCode::kBadInput);
  nlohmann::json coarse = j;
  coarse["histogram"]["exponent"] = j["histogram"]["exponent"].get<int>() + 1;
  CHECK(o->from_json(coarse).code() == StatusCode::kBadInput);
  nlohmann::json total = j;
  total["histogram"]["total"] = 4;
  CHECK(o->from_json(total).code() == StatusCode::kBadInput);
  CHECK(o->from_json(j).is_ok());
}

TEST_CASE("grid histogram: exponent, bins and coarsening by hand", "[quant][observer]") {
  GridHistogram h;
  std::vector<float> a = {0.25f, 0.5f, 0.75f, 1.0f};
  h.add(a);
  // Span 0.75 over at most 8192 bins: 2^-13 gives 8192 - 2048 + 1 = 6145 bins, 2^-14 would need 12289.
  CHECK(h.exponent() == -13);
  CHECK(h.first_index() == 2048);
  REQUIRE(h.counts().size() == 6145);
  CHECK(h.counts()[0] == 1);
  CHECK(h.counts()[2048] == 1);
  CHECK(h.counts()[4096] == 1);
  CHECK(h.counts()[6144] == 1);
  // -3 widens the span to 4: 2^-11 gives 2048 + 3 * 2048 + 1 = 8193 bins, so 2^-10.
  std::vector<float> b = {-3.0f};
  h.add(b);
  CHECK(h.exponent() == -10);
  CHECK(h.first_index() == -3072);
  CHECK(h.counts().size() == 4097);
  CHECK(h.counts()[256 + 3072] == 1);   // 0.25 * 1024
  CHECK(h.counts()[1024 + 3072] == 1);  // 1.0 * 1024
  GridHistogram once;
  std::vector<float> all = {0.25f, 0.5f, 0.75f, 1.0f, -3.0f};
  once.add(all);
  CHECK(once.to_json() == h.to_json());
  CHECK(h.total() == 5);
  // A constant tensor: the resolution floor ilogb(3) - 40 decides.
  GridHistogram c;
  std::vector<float> threes(4, 3.0f);
  c.add(threes);
  CHECK(c.exponent() == 1 - GridHistogram::kIndexBits);
  CHECK(c.counts() == std::vector<uint64_t>{4});
}

TEST_CASE("grid histogram: CDF resampling and quantiles", "[quant][observer]") {
  GridHistogram h;
  std::vector<float> v;
  for (int i = 0; i < 1000; ++i) v.push_back(static_cast<float>(i) / 1000.0f);  // 0 .. 0.999
  h.add(v);
  std::vector<double> r = h.rebin(h.min(), h.max(), 2048);
  double sum = 0;
  for (double x : r) sum += x;
  CHECK(sum == Approx(1000.0).epsilon(1e-12));  // all mass kept
  std::vector<double> half = h.rebin(0.0, 0.4995, 1);
  CHECK(half[0] == Approx(500.0).margin(1.0));
  CHECK(h.quantile(0.0) == 0.0);
  CHECK(h.quantile(1.0) == static_cast<double>(0.999f));
  CHECK(h.quantile(0.5) == Approx(0.4995).margin(1e-3));
  // Inside a grid bin the density is uniform: {0, 0.25 x4, 1} on the 2^-12 grid puts four values
  // in [0.25, 0.25 + 2^-12); its first quarter holds 1 of them, its first half 2.
  GridHistogram u;
  std::vector<float> w = {0.0f, 0.25f, 0.25f, 0.25f, 0.25f, 1.0f};
  u.add(w);
  REQUIRE(u.exponent() == -12);
  CHECK(u.rebin(0.0, 0.25 + std::ldexp(1.0, -14), 1)[0] == 2.0);
  CHECK(u.rebin(0.0, 0.25 + std::ldexp(1.0, -13), 1)[0] == 3.0);
  CHECK(u.rebin(0.25 + std::ldexp(1.0, -13), 1.0, 2) == std::vector<double>{2.0, 1.0});
  CHECK(u.quantile(2.0 / 6.0) == 0.25 + std::ldexp(1.0, -14));  // one of the four: a quarter in
  // Outside the data nothing is counted.
  CHECK(h.rebin(2.0, 3.0, 4) == std::vector<double>(4, 0.0));
}

TEST_CASE("calibrate_constant: weights per tensor and per channel", "[quant][observer]") {
  Tensor w = Tensor::from_vector<float>({2, 3}, {-1.0f, 0.0f, 0.5f, 0.0f, 2.0f, 4.0f});
  Result<Encoding> per_tensor = calibrate_constant(w, "min-max", {}, {QuantSchema::kSymmetric, 8});
  REQUIRE(per_tensor.is_ok());
  CHECK(per_tensor->scale == std::vector<float>{static_cast<float>(4.0 / 127)});
  Result<Encoding> per_channel = calibrate_constant(w, "min-max", {}, {QuantSchema::kSymmetric, 8}, 0);
  REQUIRE(per_channel.is_ok());
  CHECK(per_channel->axis == 0);
  CHECK(per_channel->scale[0] == static_cast<float>(1.0 / 127));
  CHECK(per_channel->scale[1] == static_cast<float>(4.0 / 127));
  Result<Encoding> per_row = calibrate_constant(w, "percentile", {100.0}, {QuantSchema::kSymmetric, 8}, 1);
  REQUIRE(per_row.is_ok());
  CHECK(per_row->scale[1] == static_cast<float>(2.0 / 127));
  CHECK(per_row->scale[2] == static_cast<float>(4.0 / 127));
  CHECK(calibrate_constant(w, "kl", {}, {}).status().code() == StatusCode::kUsage);
  CHECK(calibrate_constant(w, "min-max", {}, {}, 2).status().code() == StatusCode::kBadInput);
}

TEST_CASE("clipped share: what a range cuts off of the values an observer saw", "[quant][observer]") {
  // 0, 1, ..., 999 and as many exact zeros: the entropy histogram leaves the zeros out, yet they
  // count among the values a range keeps.
  std::vector<float> ramp(1000), zeros(1000, 0.f);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<float>(i);
  for (const char* name : {"mse", "percentile", "sqnr"}) {
    auto o = make(name);
    o->observe(ramp);
    INFO(name);
    REQUIRE(o->clipped_share(Range{0.f, 999.f}));
    CHECK(*o->clipped_share(Range{0.f, 999.f}) == Approx(0.0).margin(1e-12));
    CHECK(*o->clipped_share(Range{0.f, 499.5f}) == Approx(0.5).margin(2e-3));
    CHECK(*o->clipped_share(Range{249.75f, 749.25f}) == Approx(0.5).margin(2e-3));
  }
  auto entropy = make("entropy");
  entropy->observe(ramp);
  entropy->observe(zeros);
  CHECK(*entropy->clipped_share(Range{0.f, 999.f}) == Approx(0.0).margin(1e-12));
  // Half of the non-zero magnitudes lie above 499.5: a quarter of all values.
  CHECK(*entropy->clipped_share(Range{0.f, 499.5f}) == Approx(0.25).margin(2e-3));
  CHECK(*entropy->clipped_share(Range{-499.5f, 499.5f}) == Approx(0.25).margin(2e-3));
  // Running extremes and averages keep no distribution to tell.
  for (const char* name : {"min-max", "moving-average"}) {
    auto o = make(name);
    o->observe(ramp);
    CHECK_FALSE(o->clipped_share(Range{0.f, 10.f}));
  }
}

// SPDX-License-Identifier: Apache-2.0
// --fail_below: strict parsing, and which outputs fail which thresholds.
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "compare/gate.h"
#include "compare/report.h"

using namespace qf;
using namespace qf::compare;

namespace {

Status parse_failure(const std::string& text) {
  auto r = parse_fail_below(text);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == StatusCode::kUsage);
  return r.status();
}

bool says(const Status& s, const std::string& text) { return s.message().find(text) != std::string::npos; }

TensorReport output(double cosine, double sqnr_db) {
  TensorReport t;
  t.pair.golden_name = "prob";
  t.pair.is_output = true;
  t.metrics.cosine = cosine;
  t.metrics.sqnr_db = sqnr_db;
  return t;
}

}  // namespace

TEST_CASE("fail_below: parses name=value lists", "[compare][gate]") {
  auto r = parse_fail_below("cosine=0.99,sqnr=20,top1_agreement=0.98");
  REQUIRE(r.is_ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].metric == GateMetric::kCosine);
  CHECK((*r)[0].minimum == 0.99);
  CHECK((*r)[1].metric == GateMetric::kSqnr);
  CHECK((*r)[2].metric == GateMetric::kTop1Agreement);
  CHECK(format_fail_below(*r) == "cosine=0.99,sqnr=20,top1_agreement=0.98");
  CHECK(parse_fail_below("sqnr=-3.5e1")->front().minimum == -35.0);
  // Spaces as people type a list: after (and before) the commas.
  auto spaced = parse_fail_below(" cosine=0.99, sqnr=20 ,\ttop1_agreement=0.98 ");
  INFO(spaced.status().message());
  REQUIRE(spaced.is_ok());
  CHECK(format_fail_below(*spaced) == "cosine=0.99,sqnr=20,top1_agreement=0.98");
}

TEST_CASE("fail_below: rejects anything else with a usage error", "[compare][gate]") {
  const Status unknown = parse_failure("cosine=0.99,psnr=30");
  CHECK(says(unknown, "psnr"));
  for (GateMetric m : all_gate_metrics()) CHECK(says(unknown, std::string(gate_metric_name(m))));
  CHECK(says(parse_failure(""), "metric=value"));
  CHECK(says(parse_failure("cosine"), "metric=value"));
  CHECK(says(parse_failure("cosine="), "finite number"));
  CHECK(says(parse_failure("cosine=0.9x"), "0.9x"));
  CHECK(says(parse_failure("sqnr=inf"), "finite number"));
  CHECK(says(parse_failure("cosine=0.9,"), "metric=value"));
  CHECK(says(parse_failure("cosine=0.9, "), "metric=value"));
  CHECK(says(parse_failure("cosine=0 .9"), "'0 .9'"));
  CHECK(says(parse_failure("cosine = 0.9"), "unknown metric"));
  CHECK(says(parse_failure("sqnr=20,sqnr=30"), "twice"));
}

TEST_CASE("the gate: thresholds are minimums; a missing metric fails", "[compare][gate]") {
  const auto thresholds = *parse_fail_below("cosine=0.99,sqnr=20,top1_agreement=0.98");
  TensorReport good = output(0.995, 25);
  good.top_k = TopKAgreement{1.0, 1.0};
  CHECK(check_gate(thresholds, good).empty());

  TensorReport identical = output(1.0, std::numeric_limits<double>::infinity());
  identical.top_k = TopKAgreement{1.0, 1.0};
  CHECK(check_gate(thresholds, identical).empty());

  TensorReport bad = output(0.95, 25);  // no top_k: a one-value output
  const auto failures = check_gate(thresholds, bad);
  REQUIRE(failures.size() == 2);
  CHECK(failures[0].metric == GateMetric::kCosine);
  CHECK(*failures[0].value == 0.95);
  CHECK(failures[1].metric == GateMetric::kTop1Agreement);
  CHECK_FALSE(failures[1].value);
  CHECK(describe(failures) == "output 'prob': cosine 0.95 < 0.99; output 'prob': has no top1_agreement (needs >= 0.98)");
  CHECK(needs_labels(GateMetric::kTop1Accuracy));
  CHECK_FALSE(needs_labels(GateMetric::kTop1Agreement));
}

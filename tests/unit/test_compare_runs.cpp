// SPDX-License-Identifier: Apache-2.0
// check_runs: what two runs' manifests say about their inputs, Result by Result.
#include <catch2/catch.hpp>

#include "compare/runs.h"

using namespace qf;
using namespace qf::compare;

namespace {

RunManifest run_of(const std::string& list, int64_t lines, const std::vector<std::string>& files) {
  RunManifest m;
  m.model = "/m/model.onnx";
  m.input_list = list;
  m.input_list_lines = lines;
  m.results = static_cast<int64_t>(files.size());
  m.inferences = m.results;
  m.backend = "onednn";
  for (const std::string& f : files) m.result_inputs.push_back({f});
  return m;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("runs: same input files in every compared Result", "[compare][runs]") {
  const RunManifest a = run_of("/l/list.txt", 3, {"/r/0.raw", "/r/1.raw", "/r/2.raw"});
  const RunsCheck c = check_runs(a, a, {0, 1, 2}, "fp32", "int8");
  CHECK(c.same_inputs == SameInputs::kYes);
  CHECK(c.inputs_differ_in.empty());
  CHECK(c.inputs == "same input files in Result_0..2 (both ran /l/list.txt, 3 lines)");
  CHECK(has(c.runs, "golden: 3 Result folders of model.onnx (onednn, float outputs)"));
  CHECK(c.warnings.empty());
}

TEST_CASE("runs: a shorter run of the same list has the same inputs; the counts are named", "[compare][runs]") {
  const RunManifest golden = run_of("/l/list.txt", 20, {"/r/0.raw", "/r/1.raw", "/r/2.raw", "/r/3.raw"});
  const RunManifest candidate = run_of("/l/first3.txt", 3, {"/r/0.raw", "/r/1.raw", "/r/2.raw"});
  const RunsCheck c = check_runs(golden, candidate, {0, 1, 2}, "fp32", "int8");
  CHECK(c.same_inputs == SameInputs::kYes);
  CHECK(has(c.inputs, "golden ran /l/list.txt, 20 lines; candidate /l/first3.txt, 3 lines"));
  REQUIRE(c.warnings.size() == 1);
  CHECK(has(c.warnings[0], "the golden run 'fp32' wrote 4 Result folders, the candidate 'int8' 3"));
}

TEST_CASE("runs: different input files are named, Result by Result", "[compare][runs]") {
  const RunManifest golden = run_of("/l/a.txt", 3, {"/r/0.raw", "/r/1.raw", "/r/2.raw"});
  const RunManifest candidate = run_of("/l/b.txt", 3, {"/r/0.raw", "/r/7.raw", "/r/8.raw"});
  const RunsCheck c = check_runs(golden, candidate, {0, 1, 2}, "fp32", "int8");
  CHECK(c.same_inputs == SameInputs::kNo);
  CHECK(c.inputs_differ_in == std::vector<int>{1, 2});
  CHECK(has(c.inputs, "DIFFERENT in Result_1..2"));
  CHECK(has(c.inputs, "Result_1: golden ran /r/1.raw, candidate /r/7.raw"));
  REQUIRE(c.warnings.size() == 1);
  CHECK(has(c.warnings[0], "different inputs"));
}

TEST_CASE("runs: a Result folder its run's manifest does not describe is not of that run", "[compare][runs]") {
  // A folder left by an older qforge (no stale-folder cleanup) beside a 2-result run.
  const RunManifest golden = run_of("/l/a.txt", 3, {"/r/0.raw", "/r/1.raw", "/r/2.raw"});
  const RunManifest candidate = run_of("/l/a.txt", 3, {"/r/0.raw", "/r/1.raw"});
  const RunsCheck c = check_runs(golden, candidate, {0, 1, 2}, "fp32", "int8");
  CHECK(c.same_inputs == SameInputs::kNo);
  CHECK(c.inputs_differ_in == std::vector<int>{2});
  CHECK(has(c.inputs, "Result_2 is not of the candidate run its manifest describes (2 Result folders)"));
}

TEST_CASE("runs: without both manifests nothing is checked, and a missing one is said", "[compare][runs]") {
  const RunManifest a = run_of("/l/a.txt", 1, {"/r/0.raw"});
  const RunsCheck none = check_runs(std::nullopt, std::nullopt, {0}, "fp32", "int8");
  CHECK(none.same_inputs == SameInputs::kUnknown);
  CHECK(none.inputs == "unknown: neither run has a qforge_run.json");
  CHECK(none.warnings.empty());
  const RunsCheck one = check_runs(a, std::nullopt, {0}, "fp32", "int8");
  CHECK(one.same_inputs == SameInputs::kUnknown);
  CHECK(one.inputs == "unknown: the candidate run 'int8' has no qforge_run.json");
  REQUIRE(one.warnings.size() == 1);
  CHECK(has(one.warnings[0], "cannot check that both runs had the same inputs"));
}

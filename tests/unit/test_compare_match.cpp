// SPDX-License-Identifier: Apache-2.0
// Finding Result_N folders and tensor files, and matching tensors by name: through the model's
// tensor_map (BatchNorm folding), in layer order, and the graph outputs.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "compare/match.h"
#include "scratch_files.h"

using namespace qf;
using namespace qf::compare;
namespace fs = std::filesystem;
using testing::scratch_dir;
using testing::write_floats;

namespace {

const std::string kFixture = std::string(QF_SOURCE_DIR) + "/tests/data/diff/model.qgraph.json";

RunFiles must_scan(const fs::path& p) {
  auto r = scan_run(p.string());
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  return std::move(r).value();
}

void write_run(const fs::path& root, int result, const std::vector<std::string>& names) {
  for (const std::string& n : names) write_floats(root / ("Result_" + std::to_string(result)) / (n + ".raw"), {1, 2});
}

std::vector<std::string> golden_names(const Matching& m) {
  std::vector<std::string> v;
  for (const TensorPair& p : m.pairs) v.push_back(p.golden_name);
  return v;
}

std::vector<std::string> outputs(const Matching& m) {
  std::vector<std::string> v;
  for (const TensorPair& p : m.pairs)
    if (p.is_output) v.push_back(p.golden_name);
  return v;
}

// The golden side has the original names of the fixture model, the candidate side the qgraph's.
struct Runs {
  RunFiles golden, candidate;
};

Runs folded_runs(const std::string& name) {
  const fs::path dir = scratch_dir(name);
  write_run(dir / "golden", 0, {"conv_out", "bn_out", "relu_out", "prob", "aux"});
  write_run(dir / "golden", 1, {"conv_out", "bn_out", "relu_out", "prob", "aux"});
  write_run(dir / "candidate", 0, {"conv_bn_out", "relu_out", "prob", "aux", "extra"});
  write_run(dir / "candidate", 2, {"conv_bn_out", "relu_out", "prob", "aux", "extra"});
  return {must_scan(dir / "golden"), must_scan(dir / "candidate")};
}

}  // namespace

TEST_CASE("scan_run: Result_N folders, a bare folder, a single file", "[compare][match]") {
  const fs::path dir = scratch_dir("compare_scan");
  write_floats(dir / "run" / "Result_0" / "conv1%2Fout%3A0.raw", {1});
  write_floats(dir / "run" / "Result_12" / "prob.raw", {1});
  write_floats(dir / "run" / "Result_x" / "prob.raw", {1});  // not a Result_N folder
  write_floats(dir / "run" / "Result_0" / "notes.txt", {1});
  const RunFiles run = must_scan(dir / "run");
  REQUIRE(run.results.size() == 2);
  CHECK(run.results.at(0).count("conv1/out:0"));  // names are decoded from the file names
  CHECK(run.results.at(0).size() == 1);
  CHECK(run.results.at(12).count("prob"));

  write_floats(dir / "bare" / "prob.raw", {1});
  const RunFiles bare = must_scan(dir / "bare");
  CHECK(bare.results.size() == 1);
  CHECK(bare.results.at(0).count("prob"));
  CHECK_FALSE(bare.single_file);

  const RunFiles single = must_scan(dir / "bare" / "prob.raw");
  CHECK(single.single_file);

  auto missing = scan_run((dir / "nowhere").string());
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().code() == StatusCode::kBadInput);
  CHECK(missing.status().message().find("nowhere") != std::string::npos);
  fs::create_directories(dir / "empty");
  auto empty = scan_run((dir / "empty").string());
  REQUIRE_FALSE(empty.is_ok());
  CHECK(empty.status().message().find("no Result_N") != std::string::npos);
}

TEST_CASE("matching through tensor_map: BN folding, layer order, graph outputs", "[compare][match]") {
  const Runs runs = folded_runs("compare_match_folded");
  auto model = read_qgraph_info(kFixture);
  REQUIRE(model.is_ok());
  auto m = match_runs(runs.golden, runs.candidate, &*model);
  REQUIRE(m.is_ok());
  CHECK(m->results == std::vector<int>{0});
  CHECK(m->missing_in_candidate == std::vector<int>{1});
  CHECK(m->missing_in_golden == std::vector<int>{2});
  // Topological: conv_bn (node 0), relu (1), softmax (4); aux is unknown to the model: last.
  CHECK(golden_names(*m) == std::vector<std::string>{"bn_out", "relu_out", "prob", "aux"});
  CHECK(m->pairs[0].candidate_name == "conv_bn_out");
  CHECK(m->pairs[0].op == "Conv");
  CHECK(m->pairs[3].op.empty());
  REQUIRE(m->unmatched.size() == 2);
  CHECK(m->unmatched[0].name == "conv_out");
  CHECK(m->unmatched[0].why == Unmatched::kFolded);
  CHECK(m->unmatched[1].name == "extra");
  CHECK(m->unmatched[1].why == Unmatched::kOnlyInCandidate);

  REQUIRE(mark_outputs(*m, runs.golden, runs.candidate, &*model, {}).is_ok());
  CHECK(outputs(*m) == std::vector<std::string>{"prob"});
  REQUIRE(mark_outputs(*m, runs.golden, runs.candidate, &*model, {"conv_bn_out"}).is_ok());  // a candidate name
  CHECK(outputs(*m) == std::vector<std::string>{"bn_out", "prob"});
  const Status unknown = mark_outputs(*m, runs.golden, runs.candidate, &*model, {"logits"});
  CHECK(unknown.code() == StatusCode::kUsage);
  CHECK(unknown.message().find("logits") != std::string::npos);
}

TEST_CASE("matching without a model: same names, name order, outputs in every result", "[compare][match]") {
  const Runs runs = folded_runs("compare_match_plain");
  auto m = match_runs(runs.golden, runs.candidate, nullptr);
  REQUIRE(m.is_ok());
  CHECK(golden_names(*m) == std::vector<std::string>{"aux", "prob", "relu_out"});
  CHECK(m->unmatched.size() == 4);  // bn_out, conv_out; conv_bn_out, extra
  REQUIRE(mark_outputs(*m, runs.golden, runs.candidate, nullptr, {}).is_ok());
  CHECK(outputs(*m) == std::vector<std::string>{"aux", "prob", "relu_out"});
}

TEST_CASE("matching: no common Result folder, or a file against a folder", "[compare][match]") {
  const fs::path dir = scratch_dir("compare_match_errors");
  write_run(dir / "a", 0, {"prob"});
  write_run(dir / "b", 1, {"prob"});
  auto disjoint = match_runs(must_scan(dir / "a"), must_scan(dir / "b"), nullptr);
  REQUIRE_FALSE(disjoint.is_ok());
  CHECK(disjoint.status().code() == StatusCode::kBadInput);
  CHECK(disjoint.status().message().find("Result_0") != std::string::npos);
  CHECK(disjoint.status().message().find("Result_1") != std::string::npos);
  auto mixed = match_runs(must_scan(dir / "a" / "Result_0" / "prob.raw"), must_scan(dir / "b"), nullptr);
  REQUIRE_FALSE(mixed.is_ok());
  CHECK(mixed.status().code() == StatusCode::kUsage);
}

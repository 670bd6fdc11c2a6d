// SPDX-License-Identifier: Apache-2.0
// run_diff end to end on small hand-made runs: bad files are errors naming them, metrics pool over
// Result folders, verdicts, the layer diagnosis, labels and the gate.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "compare/diff.h"
#include "io/run_folder.h"
#include "scratch_files.h"

using namespace qf;
using namespace qf::compare;
namespace fs = std::filesystem;
using testing::scratch_dir;
using testing::write_floats;
using testing::write_text;

namespace {

DiffOptions options_for(const fs::path& dir) {
  DiffOptions o;
  o.golden = (dir / "golden").string();
  o.candidate = (dir / "candidate").string();
  return o;
}

void write_pair(const fs::path& dir, int result, const std::string& name, const std::vector<float>& golden,
                const std::vector<float>& candidate) {
  const std::string folder = "Result_" + std::to_string(result);
  write_floats(dir / "golden" / folder / (name + ".raw"), golden);
  write_floats(dir / "candidate" / folder / (name + ".raw"), candidate);
}

Status diff_error(const DiffOptions& o) {
  auto r = run_diff(o);
  REQUIRE_FALSE(r.is_ok());
  return r.status();
}

bool says(const Status& s, const std::string& text) { return s.message().find(text) != std::string::npos; }

const TensorReport& tensor(const DiffReport& r, const std::string& name) {
  for (const TensorReport& t : r.tensors)
    if (t.pair.golden_name == name) return t;
  FAIL("no tensor " << name);
  return r.tensors.front();
}

}  // namespace

TEST_CASE("diff: a NaN or an Inf in an input file is an error naming it", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_nan");
  write_pair(dir, 0, "prob", {0.1f, 0.9f}, {0.1f, std::nanf("")});
  const Status nan = diff_error(options_for(dir));
  CHECK(nan.code() == StatusCode::kBadInput);
  CHECK(says(nan, "candidate/Result_0/prob.raw"));
  CHECK(says(nan, "NaN"));
  write_pair(dir, 0, "prob", {std::numeric_limits<float>::infinity(), 0.9f}, {0.1f, 0.9f});
  const Status inf = diff_error(options_for(dir));
  CHECK(says(inf, "golden/Result_0/prob.raw"));
  CHECK(says(inf, "Inf"));
}

TEST_CASE("diff: sizes must agree; the error names both files and sizes", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_size");
  write_pair(dir, 0, "prob", std::vector<float>(10, 0.1f), std::vector<float>(9, 0.1f));
  const Status s = diff_error(options_for(dir));
  CHECK(s.code() == StatusCode::kBadInput);
  CHECK(says(s, "golden/Result_0/prob.raw' has 10 float32 values (40 bytes)"));
  CHECK(says(s, "candidate/Result_0/prob.raw' has 9 (36 bytes)"));
}

TEST_CASE("diff: missing folders are errors naming the flag", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_missing");
  write_pair(dir, 0, "prob", {1}, {1});
  DiffOptions o = options_for(dir);
  o.candidate = (dir / "nope").string();
  const Status s = diff_error(o);
  CHECK(s.code() == StatusCode::kBadInput);
  CHECK(says(s, "--candidate"));
  CHECK(says(s, "nope"));
}

TEST_CASE("diff: pooled metrics, verdicts, first divergent and worst layers", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_layers");
  // a: identical; b: e = [0, 0, 0, 1] over two folders (14.77 dB); c: zeros; d: 2.5 % error power.
  for (int r = 0; r < 2; ++r) {
    write_pair(dir, r, "a", {1, 2}, {1, 2});
    write_pair(dir, r, "b", {1.f + 2 * r, 2.f + 2 * r}, {1.f + 2 * r, 2.f + 3 * r});
    write_pair(dir, r, "c", {0, 0}, {0, 0});
    write_pair(dir, r, "d", {2, 2.f + r}, {2, 2.f + r + 0.5f});
  }
  DiffOptions o = options_for(dir);
  o.outputs = {"d"};
  o.layer_sqnr_threshold_db = 15;
  auto r = run_diff(o);
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  CHECK(r->results == std::vector<int>{0, 1});
  const TensorReport& b = tensor(*r, "b");
  CHECK(b.inferences == 2);
  CHECK(b.values == 4);
  CHECK(b.metrics.sqnr_db == Approx(10 * std::log10(30.0)));
  CHECK(b.verdict == Verdict::kFailed);
  CHECK(tensor(*r, "a").verdict == Verdict::kPassed);
  CHECK(tensor(*r, "a").metrics.sqnr_db == std::numeric_limits<double>::infinity());
  CHECK(tensor(*r, "c").verdict == Verdict::kMistrusted);
  const TensorReport& d = tensor(*r, "d");  // power (4 + 4 + 4 + 9) / 4, error (0.25 + 0.25) / 4
  CHECK(d.metrics.sqnr_db == Approx(10 * std::log10(21.0 / 0.5)));
  CHECK(d.verdict == Verdict::kPassed);
  CHECK(d.pair.is_output);
  CHECK_FALSE(b.pair.is_output);
  CHECK(r->outputs().size() == 1);
  REQUIRE(r->first_divergent);
  CHECK(r->tensors[*r->first_divergent].pair.golden_name == "b");
  // Worst first, mistrusted ones left out: b (14.8 dB), d (16.2 dB), a (inf).
  std::vector<std::string> worst;
  for (size_t i : r->worst) worst.push_back(r->tensors[i].pair.golden_name);
  CHECK(worst == std::vector<std::string>{"b", "d", "a"});
  CHECK(r->count(Verdict::kFailed) == 1);
  CHECK(gate_status(*r).is_ok());
}

TEST_CASE("diff: the gate fails on an output below a threshold", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_gate");
  write_pair(dir, 0, "prob", {0.7f, 0.2f, 0.1f}, {0.6f, 0.3f, 0.1f});
  DiffOptions o = options_for(dir);
  o.fail_below = *parse_fail_below("top1_agreement=1,sqnr=40");
  auto r = run_diff(o);
  REQUIRE(r.is_ok());
  REQUIRE(r->gate_failures.size() == 1);
  CHECK(r->gate_failures[0].metric == GateMetric::kSqnr);
  CHECK(r->tensors[0].verdict == Verdict::kFailed);
  const Status s = gate_status(*r);
  CHECK(s.code() == StatusCode::kCompareFailed);
  CHECK(says(s, "output 'prob': sqnr"));

  o.fail_below = *parse_fail_below("top1_accuracy=0.5");
  CHECK(diff_error(o).code() == StatusCode::kUsage);  // needs --labels
}

TEST_CASE("diff: labels give top-1 / top-5 accuracy of both sides", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_labels");
  write_pair(dir, 0, "prob", {0.7f, 0.2f, 0.1f}, {0.7f, 0.2f, 0.1f});
  write_pair(dir, 1, "prob", {0.2f, 0.7f, 0.1f}, {0.7f, 0.2f, 0.1f});
  write_text(dir / "labels.txt", "0\n\n1\n");
  DiffOptions o = options_for(dir);
  o.labels = (dir / "labels.txt").string();
  auto r = run_diff(o);
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  REQUIRE(r->tensors[0].accuracy);
  const Accuracy& a = *r->tensors[0].accuracy;
  CHECK(a.samples == 2);
  CHECK(a.golden_top1 == 1.0);
  CHECK(a.candidate_top1 == 0.5);
  CHECK(a.candidate_top5 == 1.0);
  REQUIRE(r->tensors[0].top_k);
  CHECK(r->tensors[0].top_k->top1 == 0.5);

  write_text(dir / "labels.txt", "0\n");
  CHECK(says(diff_error(o), "1 labels, but there is a Result_1"));
  write_text(dir / "labels.txt", "0\nseven\n");
  CHECK(says(diff_error(o), "labels.txt:2"));
  write_text(dir / "labels.txt", "0\n3\n");
  CHECK(says(diff_error(o), "label 3 of Result_1"));
}

TEST_CASE("diff: with the model, names go through tensor_map and errors into LSBs", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_model");
  // The fixture's relu_out: u8, scale 0.48, [0, 122.4].
  write_floats(dir / "golden" / "Result_0" / "bn_out.raw", std::vector<float>(64, 1.f));
  write_floats(dir / "candidate" / "Result_0" / "conv_bn_out.raw", std::vector<float>(64, 1.f));
  std::vector<float> g(64, 0.f), c(64, 0.f);
  for (size_t i = 0; i < g.size(); ++i) g[i] = c[i] = static_cast<float>(i);
  g[0] = -1.f;    // clipped: 1 of 64 values, error 1
  c[5] += 0.24f;  // half an LSB
  write_floats(dir / "golden" / "Result_0" / "relu_out.raw", g);
  write_floats(dir / "candidate" / "Result_0" / "relu_out.raw", c);
  const std::vector<float> prob = {0.1f, 0.2f, 0.3f, 0.4f, 0, 0, 0, 0, 0, 0};  // [1, 10] in the model
  write_floats(dir / "golden" / "Result_0" / "prob.raw", prob);
  write_floats(dir / "candidate" / "Result_0" / "prob.raw", prob);
  DiffOptions o = options_for(dir);
  o.model = std::string(QF_SOURCE_DIR) + "/tests/data/diff/model.qgraph.json";
  auto r = run_diff(o);
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  REQUIRE(r->tensors.size() == 3);
  CHECK(r->tensors[0].pair.candidate_name == "conv_bn_out");
  const TensorReport& relu = r->tensors[1];
  REQUIRE(relu.encoding);
  CHECK(relu.encoding->source == "override");
  CHECK(relu.encoding->error.clipped_share == Approx(1.0 / 64));
  CHECK(relu.encoding->error.clipping_mse == Approx(1.0 / 64));
  CHECK(relu.encoding->error.rounding_mse == Approx(0.24 * 0.24 / 64).epsilon(1e-5));
  CHECK(relu.encoding->error.max_error_lsb == Approx(1.0 / 0.48).epsilon(1e-6));
  CHECK(r->tensors[2].pair.is_output);  // the model's graph output
  CHECK(r->tensors[2].top_k);
  CHECK_FALSE(relu.pair.is_output);
}

TEST_CASE("diff: classifier rows come from the model's last dim", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_rows");
  // prob is [1, 10] in the model: 20 values are two rows, 15 values are no whole number of rows.
  std::vector<float> two_rows(20, 0.f);
  two_rows[3] = two_rows[17] = 1.f;
  write_pair(dir, 0, "prob", two_rows, two_rows);
  DiffOptions o = options_for(dir);
  o.model = std::string(QF_SOURCE_DIR) + "/tests/data/diff/model.qgraph.json";
  auto r = run_diff(o);
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  REQUIRE(r->tensors[0].top_k);
  CHECK(r->tensors[0].top_k->top1 == 1.0);
  testing::write_text(dir / "labels.txt", "3\n");
  o.labels = (dir / "labels.txt").string();
  const Status rows = diff_error(o);
  CHECK(rows.code() == StatusCode::kUnsupported);
  CHECK(says(rows, "2 rows of 10 classes"));
  o.labels.clear();
  write_pair(dir, 0, "prob", std::vector<float>(15, 0.1f), std::vector<float>(15, 0.1f));
  CHECK(says(diff_error(o), "not rows of 10"));
}

namespace {

const std::string kDiffModel = std::string(QF_SOURCE_DIR) + "/tests/data/diff/model.qgraph.json";

void write_codes(const fs::path& p, const std::vector<uint8_t>& codes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(codes.data()), static_cast<std::streamsize>(codes.size()));
}

RunManifest manifest_of(const std::vector<std::string>& files) {
  RunManifest m;
  m.model = "/m/model.onnx";
  m.model_sha256 = std::string(64, '0');
  m.input_list = "/l/list.txt";
  m.input_list_lines = static_cast<int64_t>(files.size());
  m.inferences = m.results = static_cast<int64_t>(files.size());
  m.backend = "onednn";
  for (const std::string& f : files) m.result_inputs.push_back({f});
  return m;
}

}  // namespace

TEST_CASE("diff: runs with no tensor in common are an error, not an empty pass", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_nothing");
  write_floats(dir / "golden" / "Result_0" / "output.raw", {1, 2});
  write_floats(dir / "candidate" / "Result_0" / "logits.raw", {1, 2});
  DiffOptions o = options_for(dir);
  o.fail_below = *parse_fail_below("cosine=0.99");
  const Status s = diff_error(o);
  CHECK(s.code() == StatusCode::kBadInput);
  CHECK(says(s, "nothing to compare"));
  CHECK(says(s, "(output)"));
  CHECK(says(s, "(logits)"));
}

TEST_CASE("diff: native codes need the model; without it the error names the file", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_native_no_model");
  write_floats(dir / "golden" / "Result_0" / "prob.raw", std::vector<float>(10, 0.1f));
  write_codes(dir / "candidate" / "Result_0" / "prob_native.raw", std::vector<uint8_t>(10, 26));
  DiffOptions o = options_for(dir);
  o.fail_below = *parse_fail_below("cosine=0.99");
  const Status s = diff_error(o);
  CHECK(s.code() == StatusCode::kUsage);
  CHECK(says(s, "candidate/Result_0/prob_native.raw"));
  CHECK(says(s, "--model"));
}

TEST_CASE("diff: native codes are read through the model's encodings, as net-run's float files", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_native");
  // conv_bn_out: u8, scale 0.02, offset -100 (zero point 100); prob: u8, scale 1/256, offset 0.
  std::vector<uint8_t> bn_codes(64), prob_codes(10);
  std::vector<float> bn_golden(64), prob_golden(10);
  for (size_t i = 0; i < bn_codes.size(); ++i) {
    bn_codes[i] = static_cast<uint8_t>((i * 37) % 256);
    bn_golden[i] = (static_cast<float>(bn_codes[i]) - 100.f) * 0.02f + 0.003f * static_cast<float>(i % 5);
  }
  for (size_t i = 0; i < prob_codes.size(); ++i) {
    prob_codes[i] = static_cast<uint8_t>(5 + 20 * i);
    prob_golden[i] = static_cast<float>(prob_codes[i]) / 256.f + (i == 3 ? 0.01f : 0.f);
  }
  auto dequantized = [](const std::vector<uint8_t>& q, float scale, float offset) {
    std::vector<float> v;
    for (uint8_t c : q) v.push_back(static_cast<float>((c + static_cast<double>(offset)) * scale));
    return v;
  };
  for (int r = 0; r < 2; ++r) {
    const fs::path g = dir / "golden" / result_folder_name(r);
    write_floats(g / "bn_out.raw", bn_golden);
    write_floats(g / "prob.raw", prob_golden);
    write_codes(dir / "native" / result_folder_name(r) / "conv_bn_out_native.raw", bn_codes);
    write_codes(dir / "native" / result_folder_name(r) / "prob_native.raw", prob_codes);
    write_floats(dir / "float" / result_folder_name(r) / "conv_bn_out.raw", dequantized(bn_codes, 0.02f, -100));
    write_floats(dir / "float" / result_folder_name(r) / "prob.raw", dequantized(prob_codes, 1 / 256.f, 0));
  }
  DiffOptions o = options_for(dir);
  o.model = kDiffModel;
  o.candidate = (dir / "native").string();
  auto native = run_diff(o);
  INFO(native.status().message());
  REQUIRE(native.is_ok());
  o.candidate = (dir / "float").string();
  auto floats = run_diff(o);
  REQUIRE(floats.is_ok());
  REQUIRE(native->tensors.size() == 2);
  REQUIRE(floats->tensors.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const TensorReport& n = native->tensors[i];
    const TensorReport& f = floats->tensors[i];
    CHECK(n.pair.candidate_name == f.pair.candidate_name);
    CHECK(n.values == f.values);
    CHECK(n.metrics.cosine == Approx(f.metrics.cosine).epsilon(1e-12));
    CHECK(n.metrics.sqnr_db == Approx(f.metrics.sqnr_db).epsilon(1e-9));
    CHECK(n.metrics.mse == Approx(f.metrics.mse).epsilon(1e-9));
    CHECK(n.metrics.max_abs_error == Approx(f.metrics.max_abs_error).epsilon(1e-9));
  }
  CHECK(native->tensors[1].pair.is_output);
  CHECK(native->tensors[1].metrics.max_abs_error == Approx(0.01).epsilon(1e-4));

  // A native file of another length than the golden one, and one beside a float file.
  o.candidate = (dir / "native").string();
  write_codes(dir / "native" / "Result_1" / "prob_native.raw", std::vector<uint8_t>(7, 1));
  const std::string short_file = (dir / "native" / "Result_1" / "prob_native.raw").string();
  CHECK(says(diff_error(o), "has 10 float32 values (40 bytes), '" + short_file + "' has 7 codes (7 bytes)"));
  write_codes(dir / "native" / "Result_1" / "prob_native.raw", prob_codes);
  write_floats(dir / "native" / "Result_1" / "prob.raw", prob_golden);
  const Status both = diff_error(o);
  CHECK(both.code() == StatusCode::kBadInput);
  CHECK(says(both, "holds both"));
}

TEST_CASE("diff: native codes of another qgraph than the run's manifest names are refused", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_native_other_model");
  write_floats(dir / "golden" / "Result_0" / "prob.raw", std::vector<float>(10, 0.1f));
  write_codes(dir / "candidate" / "Result_0" / "prob_native.raw", std::vector<uint8_t>(10, 26));
  RunManifest m = manifest_of({"/r/0.raw"});
  m.native_outputs = true;  // its model_sha256 is not the fixture's
  REQUIRE(write_run_manifest((dir / "candidate").string(), m).is_ok());
  DiffOptions o = options_for(dir);
  o.model = kDiffModel;
  const Status s = diff_error(o);
  CHECK(s.code() == StatusCode::kUsage);
  CHECK(says(s, "another file"));
  m.native_outputs = false;  // then prob_native.raw is a float tensor's file, of another name
  REQUIRE(write_run_manifest((dir / "candidate").string(), m).is_ok());
  CHECK(says(diff_error(o), "nothing to compare"));
}

TEST_CASE("diff: an output missing on one side fails the gate", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_missing_output");
  const std::vector<float> prob = {0.1f, 0.2f, 0.3f, 0.4f, 0, 0, 0, 0, 0, 0};
  for (int r = 0; r < 2; ++r) {
    write_floats(dir / "golden" / result_folder_name(r) / "prob.raw", prob);
    write_floats(dir / "golden" / result_folder_name(r) / "relu_out.raw", std::vector<float>(64, 1.f));
    write_floats(dir / "candidate" / result_folder_name(r) / "relu_out.raw", std::vector<float>(64, 1.f));
  }
  write_floats(dir / "candidate" / "Result_0" / "prob.raw", prob);  // not in Result_1
  DiffOptions o = options_for(dir);
  o.model = kDiffModel;
  auto ungated = run_diff(o);
  INFO(ungated.status().message());
  REQUIRE(ungated.is_ok());
  REQUIRE(ungated->missing_outputs.size() == 1);
  CHECK(ungated->missing_outputs[0].missing_in_candidate == std::vector<int>{1});
  CHECK(gate_status(*ungated).is_ok());

  o.fail_below = *parse_fail_below("cosine=0.5");
  auto gated = run_diff(o);
  REQUIRE(gated.is_ok());
  REQUIRE(gated->gate_failures.size() == 1);
  CHECK(gated->gate_failures[0].kind == GateFailureKind::kMissingOutput);
  const Status s = gate_status(*gated);
  CHECK(s.code() == StatusCode::kCompareFailed);
  CHECK(says(s, "output 'prob': missing in the candidate run's Result_1"));
  for (const TensorReport& t : gated->tensors)
    if (t.pair.golden_name == "prob") CHECK(t.verdict == Verdict::kFailed);

  // Without a model, a tensor one run wrote in every Result folder is an output; the other lacks it.
  o.model.clear();
  fs::remove(dir / "candidate" / "Result_0" / "prob.raw");
  auto plain = run_diff(o);
  REQUIRE(plain.is_ok());
  CHECK(says(gate_status(*plain), "output 'prob': missing in the candidate run's Result_0..1"));
}

TEST_CASE("diff: the manifests say whether the runs had the same inputs; a gate fails when not", "[compare][diff]") {
  const fs::path dir = scratch_dir("compare_diff_manifests");
  for (int r = 0; r < 2; ++r) write_pair(dir, r, "prob", {0.7f, 0.2f, 0.1f}, {0.7f, 0.2f, 0.1f});
  REQUIRE(write_run_manifest((dir / "golden").string(), manifest_of({"/r/0.raw", "/r/1.raw"})).is_ok());
  REQUIRE(write_run_manifest((dir / "candidate").string(), manifest_of({"/r/0.raw", "/r/1.raw"})).is_ok());
  DiffOptions o = options_for(dir);
  o.fail_below = *parse_fail_below("cosine=0.99");
  auto same = run_diff(o);
  INFO(same.status().message());
  REQUIRE(same.is_ok());
  CHECK(same->runs.same_inputs == SameInputs::kYes);
  CHECK(gate_status(*same).is_ok());

  REQUIRE(write_run_manifest((dir / "candidate").string(), manifest_of({"/r/0.raw", "/r/9.raw"})).is_ok());
  auto differ = run_diff(o);
  REQUIRE(differ.is_ok());
  CHECK(differ->runs.same_inputs == SameInputs::kNo);
  CHECK(differ->runs.inputs_differ_in == std::vector<int>{1});
  const Status s = gate_status(*differ);
  CHECK(s.code() == StatusCode::kCompareFailed);
  CHECK(says(s, "the runs had different inputs: DIFFERENT in Result_1"));
  CHECK(says(s, "golden ran /r/1.raw, candidate /r/9.raw"));
  o.fail_below.clear();
  auto ungated = run_diff(o);
  REQUIRE(ungated.is_ok());
  CHECK(gate_status(*ungated).is_ok());  // said, not failed: no gate
  CHECK(ungated->runs.same_inputs == SameInputs::kNo);
}

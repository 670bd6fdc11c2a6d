// SPDX-License-Identifier: Apache-2.0
// The JSON report; schemas/diff_report.schema.json describes every field. JSON has no infinity:
// an infinite SQNR is the string "inf" (identical tensors) or "-inf" (nothing but error).
#include <cmath>
#include <nlohmann/json.hpp>

#include "compare/render.h"
#include "compare/report_format.h"

namespace qf::compare {

namespace {

using Json = nlohmann::ordered_json;
constexpr int kJsonIndent = 2;

Json number(double v) {
  if (std::isinf(v)) return std::string(v > 0 ? kPlusInfinity : kMinusInfinity);
  return v;
}

Json optional_path(const std::string& path) { return path.empty() ? Json(nullptr) : Json(path); }

Json fail_below(const std::vector<GateThreshold>& thresholds) {
  Json j = Json::object();
  for (const GateThreshold& t : thresholds) j[std::string(gate_metric_name(t.metric))] = t.minimum;
  return j;
}

Json encoding_json(const EncodingReport& r) {
  const Encoding& e = r.encoding;
  Json mins = Json::array(), maxs = Json::array();
  for (size_t c = 0; c < e.channels(); ++c) {
    mins.push_back(e.min(c));
    maxs.push_back(e.max(c));
  }
  return {{"bitwidth", e.bitwidth},
          {"signed", e.is_signed},
          {"symmetric", e.symmetric},
          {"axis", e.axis},
          {"scale", e.scale},
          {"offset", e.offset},
          {"min", mins},
          {"max", maxs},
          {"source", r.source},
          {"clipped_share", r.error.clipped_share},
          {"clipping_mse", r.error.clipping_mse},
          {"rounding_mse", r.error.rounding_mse},
          {"max_error_lsb", r.error.max_error_lsb},
          {"range_use", r.error.range_use}};
}

Json accuracy_json(const Accuracy& a) {
  return {{"samples", a.samples},
          {"golden_top1", a.golden_top1},
          {"candidate_top1", a.candidate_top1},
          {"top1_drop", a.golden_top1 - a.candidate_top1},
          {"golden_top5", a.golden_top5},
          {"candidate_top5", a.candidate_top5},
          {"top5_drop", a.golden_top5 - a.candidate_top5}};
}

Json tensor_json(size_t index, const TensorReport& t, size_t k) {
  const TensorMetrics& m = t.metrics;
  Json j = {{"index", index},
            {"name", t.pair.golden_name},
            {"candidate_name", t.pair.candidate_name},
            {"op", t.pair.op.empty() ? Json(nullptr) : Json(t.pair.op)},
            {"output", t.pair.is_output},
            {"verdict", verdict_name(t.verdict)},
            {"inferences", t.inferences},
            {"values", t.values},
            {"cosine", m.cosine},
            {"sqnr_db", number(m.sqnr_db)},
            {"mse", m.mse},
            {"mae", m.mae},
            {"max_abs_error", m.max_abs_error},
            {"pass_rate", m.pass_rate}};
  j["encoding"] = t.encoding ? encoding_json(*t.encoding) : Json(nullptr);
  j["top_k"] = t.top_k ? Json{{"k", k}, {"top1_agreement", t.top_k->top1}, {"topk_agreement", t.top_k->topk}}
                       : Json(nullptr);
  j["accuracy"] = t.accuracy ? accuracy_json(*t.accuracy) : Json(nullptr);
  return j;
}

Json gate_json(const DiffReport& r) {
  if (!r.gated()) return nullptr;
  Json failures = Json::array();
  for (const GateFailure& f : r.gate_failures) {
    Json j = {{"reason", gate_failure_kind_name(f.kind)}};
    switch (f.kind) {
      case GateFailureKind::kBelowMinimum:
        j.update({{"tensor", f.tensor},
                  {"metric", gate_metric_name(f.metric)},
                  {"value", f.value ? number(*f.value) : Json(nullptr)},
                  {"minimum", f.minimum}});
        break;
      case GateFailureKind::kMissingOutput: j.update({{"tensor", f.tensor}, {"detail", f.detail}}); break;
      case GateFailureKind::kInputsDiffer: j["detail"] = f.detail; break;
    }
    failures.push_back(std::move(j));
  }
  return {{"passed", r.gate_failures.empty()}, {"fail_below", fail_below(r.options.fail_below)}, {"failures", failures}};
}

Json run_json(const std::optional<RunManifest>& m) {
  if (!m) return nullptr;
  return {{"tool", m->tool},
          {"model", m->model},
          {"model_sha256", m->model_sha256},
          {"input_list", m->input_list},
          {"input_list_lines", m->input_list_lines},
          {"inferences", m->inferences},
          {"results", m->results},
          {"backend", m->backend},
          {"outputs", m->native_outputs ? "native" : "float"}};
}

Json runs_json(const RunsCheck& runs) {
  Json same = nullptr;
  if (runs.same_inputs != SameInputs::kUnknown) same = runs.same_inputs == SameInputs::kYes;
  return {{"golden", run_json(runs.golden)},
          {"candidate", run_json(runs.candidate)},
          {"same_inputs", same},
          {"inputs_differ_in", runs.inputs_differ_in},
          {"inputs", runs.inputs}};
}

Json missing_outputs_json(const std::vector<MissingOutput>& missing) {
  Json out = Json::array();
  for (const MissingOutput& m : missing)
    out.push_back({{"name", m.golden_name},
                   {"candidate_name", m.candidate_name},
                   {"missing_in_golden", m.missing_in_golden},
                   {"missing_in_candidate", m.missing_in_candidate}});
  return out;
}

Json summary_json(const DiffReport& r) {
  Json outputs = Json::array(), worst = Json::array();
  for (size_t i : r.outputs()) outputs.push_back(r.tensors[i].pair.golden_name);
  for (size_t i : r.worst) worst.push_back(r.tensors[i].pair.golden_name);
  return {{"tensors", r.tensors.size()},
          {"passed", r.count(Verdict::kPassed)},
          {"failed", r.count(Verdict::kFailed)},
          {"mistrusted", r.count(Verdict::kMistrusted)},
          {"outputs", outputs},
          {"first_divergent_layer",
           r.first_divergent ? Json(r.tensors[*r.first_divergent].pair.golden_name) : Json(nullptr)},
          {"worst_layers", worst}};
}

}  // namespace

std::string render_json(const DiffReport& r) {
  const DiffOptions& o = r.options;
  Json tensors = Json::array(), unmatched = Json::array();
  for (size_t i = 0; i < r.tensors.size(); ++i) tensors.push_back(tensor_json(i, r.tensors[i], o.top_k));
  for (const UnmatchedTensor& u : r.unmatched) unmatched.push_back({{"name", u.name}, {"reason", unmatched_name(u.why)}});
  Json j = {{"format", kDiffReportFormat},
            {"version", kDiffReportVersion},
            {"inputs",
             {{"golden", o.golden},
              {"candidate", o.candidate},
              {"model", optional_path(o.model)},
              {"labels", optional_path(o.labels)}}},
            {"settings",
             {{"sqnr_reference", sqnr_reference_name(o.metrics.sqnr_reference)},
              {"rtol", o.metrics.rtol},
              {"atol", o.metrics.atol},
              {"top_k", o.top_k},
              {"layer_sqnr_threshold_db", o.layer_sqnr_threshold_db},
              {"worst", o.worst},
              {"mistrust_zero_share", kMistrustZeroShare}}},
            {"results",
             {{"compared", r.results},
              {"only_in_golden", r.missing_in_candidate},
              {"only_in_candidate", r.missing_in_golden},
              {"missing_outputs", missing_outputs_json(r.missing_outputs)}}},
            {"runs", runs_json(r.runs)},
            {"summary", summary_json(r)},
            {"gate", gate_json(r)},
            {"tensors", tensors},
            {"not_compared", unmatched}};
  return j.dump(kJsonIndent) + "\n";
}

}  // namespace qf::compare

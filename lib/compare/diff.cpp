// SPDX-License-Identifier: Apache-2.0
#include "compare/diff.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "compare/labels.h"
#include "io/input_list.h"

namespace qf::compare {

namespace {

struct Inputs {
  std::optional<QGraphInfo> model;
  RunFiles golden;
  RunFiles candidate;
  Matching matching;
  std::vector<int64_t> labels;  // empty without --labels

  const QGraphInfo* model_ptr() const { return model ? &*model : nullptr; }
};

Result<std::vector<float>> read_finite(const std::string& path) {
  QF_ASSIGN_OR_RETURN(std::vector<float> values, read_raw_float_values(path));
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      return bad_input("'{}': value {} is {} (inputs must be finite)", path, i, std::isnan(values[i]) ? "NaN" : "Inf");
  return values;
}

// The files of one pair in one Result folder, read and checked against each other.
struct ValuePair {
  std::vector<float> golden;
  std::vector<float> candidate;
};

Result<ValuePair> read_pair(const std::string& golden_path, const std::string& candidate_path) {
  ValuePair v;
  QF_ASSIGN_OR_RETURN(v.golden, read_finite(golden_path));
  QF_ASSIGN_OR_RETURN(v.candidate, read_finite(candidate_path));
  if (v.golden.size() != v.candidate.size())
    return bad_input("sizes differ: '{}' has {} float32 values ({} bytes), '{}' has {} ({} bytes)", golden_path,
                     v.golden.size(), v.golden.size() * sizeof(float), candidate_path, v.candidate.size(),
                     v.candidate.size() * sizeof(float));
  return v;
}

// Rows of class scores: the model's last dim, else the whole file is one row.
Result<size_t> class_count(const TensorPair& pair, const QGraphInfo* model, size_t values, const std::string& path) {
  const QGraphTensor* t = model ? model->tensor(pair.candidate_name) : nullptr;
  if (!t || t->shape.empty() || t->shape.back() <= 0) return values;
  const auto classes = static_cast<size_t>(t->shape.back());
  if (values % classes != 0)
    return bad_input("'{}' has {} values, not rows of {} (the last dim of '{}' in {})", path, values, classes,
                     pair.candidate_name, model->path);
  return classes;
}

// Everything gathered about one pair over the compared Result folders.
class PairAccumulator {
 public:
  PairAccumulator(const TensorPair& pair, const Inputs& in, const DiffOptions& options)
      : pair_(pair), in_(in), options_(options) {
    const QGraphTensor* t = in.model ? in.model->tensor(pair.candidate_name) : nullptr;
    if (t && t->encoding) tensor_ = t;
  }

  // Once, before the first add: where each value's encoding channel is.
  Status prepare() {
    if (tensor_) {
      QF_ASSIGN_OR_RETURN(layout_, channel_layout(*tensor_->encoding, tensor_->shape, pair_.candidate_name));
    }
    return Status::ok();
  }

  Status add(int result, const std::string& golden_path, const std::string& candidate_path) {
    QF_ASSIGN_OR_RETURN(ValuePair v, read_pair(golden_path, candidate_path));
    ++inferences_;
    error_.add(v.golden, v.candidate, options_.metrics);
    if (tensor_) QF_RETURN_IF_ERROR(add_encoding_error(v, candidate_path));
    if (pair_.is_output) QF_RETURN_IF_ERROR(add_classes(result, v, candidate_path));
    return Status::ok();
  }

  TensorReport finish() const {
    TensorReport r;
    r.pair = pair_;
    r.inferences = inferences_;
    r.values = error_.count;
    r.metrics = compute_metrics(error_, options_.metrics.sqnr_reference);
    if (tensor_) {
      const Encoding& e = *tensor_->encoding;
      r.encoding = EncodingReport{e, tensor_->encoding_source, split_encoding_error(encoding_error_, e)};
    }
    if (top_k_.rows > 0) r.top_k = top_k_agreement(top_k_);
    if (accuracy_.samples > 0) {
      const double n = static_cast<double>(accuracy_.samples);
      r.accuracy = Accuracy{accuracy_.samples, accuracy_.golden_top1 / n, accuracy_.golden_top5 / n,
                            accuracy_.candidate_top1 / n, accuracy_.candidate_top5 / n};
    }
    return r;
  }

  const ErrorAccumulator& error() const { return error_; }

 private:
  Status add_encoding_error(const ValuePair& v, const std::string& path) {
    if (v.golden.size() % static_cast<size_t>(layout_.block()) != 0)
      return bad_input("'{}' has {} values, which do not fit the shape {} of '{}' in {}", path, v.golden.size(),
                       shape_to_string(tensor_->shape), pair_.candidate_name, in_.model->path);
    encoding_error_.add(v.golden, v.candidate, *tensor_->encoding, layout_);
    return Status::ok();
  }

  Status add_classes(int result, const ValuePair& v, const std::string& path) {
    QF_ASSIGN_OR_RETURN(size_t classes, class_count(pair_, in_.model_ptr(), v.golden.size(), path));
    if (classes < 2) return Status::ok();
    top_k_.add(v.golden, v.candidate, classes, options_.top_k);
    if (in_.labels.empty()) return Status::ok();
    if (v.golden.size() != classes)
      return unsupported("--labels: '{}' holds {} rows of {} classes; accuracy needs one row per Result folder", path,
                         v.golden.size() / classes, classes);
    const int64_t label = in_.labels[static_cast<size_t>(result)];
    if (label >= static_cast<int64_t>(classes))
      return bad_input("{}: label {} of Result_{} is not one of the {} classes of '{}'", options_.labels, label, result,
                       classes, pair_.golden_name);
    accuracy_.add(v.golden, v.candidate, label);
    return Status::ok();
  }

  const TensorPair& pair_;
  const Inputs& in_;
  const DiffOptions& options_;
  const QGraphTensor* tensor_ = nullptr;  // the candidate tensor, when it has an encoding
  ChannelLayout layout_;
  int inferences_ = 0;
  ErrorAccumulator error_;
  EncodingErrorAccumulator encoding_error_;
  TopKAccumulator top_k_;  // rows stay 0 unless the tensor is a classifier output
  AccuracyAccumulator accuracy_;
};

Result<RunFiles> scan_side(std::string_view flag, const std::string& path) {
  auto run = scan_run(path);
  if (!run.is_ok()) return run.status().with_context(std::string(flag));
  return run;
}

Result<Inputs> load_inputs(const DiffOptions& options) {
  Inputs in;
  if (!options.model.empty()) {
    QF_ASSIGN_OR_RETURN(in.model, read_qgraph_info(options.model));
  }
  QF_ASSIGN_OR_RETURN(in.golden, scan_side("--golden", options.golden));
  QF_ASSIGN_OR_RETURN(in.candidate, scan_side("--candidate", options.candidate));
  QF_ASSIGN_OR_RETURN(in.matching, match_runs(in.golden, in.candidate, in.model_ptr()));
  QF_RETURN_IF_ERROR(mark_outputs(in.matching, in.golden, in.candidate, in.model_ptr(), options.outputs));
  if (!options.labels.empty()) {
    QF_ASSIGN_OR_RETURN(in.labels, read_labels(options.labels));
    const int last = in.matching.results.back();
    if (static_cast<size_t>(last) >= in.labels.size())
      return bad_input("{}: {} labels, but there is a Result_{} (label i belongs to Result_i)", options.labels,
                       in.labels.size(), last);
  }
  return in;
}

void log_missing(const Inputs& in) {
  const Matching& m = in.matching;
  if (!m.missing_in_candidate.empty())
    spdlog::warn("Result_{} only in the golden run '{}': not compared", fmt::join(m.missing_in_candidate, ", Result_"),
                 in.golden.root);
  if (!m.missing_in_golden.empty())
    spdlog::warn("Result_{} only in the candidate run '{}': not compared", fmt::join(m.missing_in_golden, ", Result_"),
                 in.candidate.root);
  for (const UnmatchedTensor& u : m.unmatched) spdlog::debug("tensor '{}' not compared: {}", u.name, unmatched_name(u.why));
}

// The first layer below the SQNR threshold and the worst layers; mistrusted tensors say too little
// to be either.
void diagnose_layers(DiffReport& report) {
  std::vector<size_t> trusted;
  for (size_t i = 0; i < report.tensors.size(); ++i)
    if (report.tensors[i].verdict != Verdict::kMistrusted) trusted.push_back(i);
  for (size_t i : trusted) {
    if (report.tensors[i].metrics.sqnr_db < report.options.layer_sqnr_threshold_db) {
      report.first_divergent = i;
      break;
    }
  }
  trusted = worst_first(report.tensors, std::move(trusted));
  trusted.resize(std::min(trusted.size(), report.options.worst));
  report.worst = std::move(trusted);
}

Result<TensorReport> compare_pair(const TensorPair& pair, const Inputs& in, const DiffOptions& options,
                                  std::vector<GateFailure>& gate_failures) {
  PairAccumulator acc(pair, in, options);
  QF_RETURN_IF_ERROR(acc.prepare());
  for (int r : in.matching.results) {
    const auto& golden_files = in.golden.results.at(r);
    const auto& candidate_files = in.candidate.results.at(r);
    auto g = golden_files.find(pair.golden_name);
    auto c = candidate_files.find(pair.candidate_name);
    if (g != golden_files.end() && c != candidate_files.end()) QF_RETURN_IF_ERROR(acc.add(r, g->second, c->second));
  }
  TensorReport t = acc.finish();
  const bool gated = pair.is_output && !options.fail_below.empty();
  std::vector<GateFailure> failures;
  if (gated) failures = check_gate(options.fail_below, t);
  t.verdict = judge(acc.error(), t.metrics, options.layer_sqnr_threshold_db,
                    gated ? std::optional<bool>(!failures.empty()) : std::nullopt);
  gate_failures.insert(gate_failures.end(), failures.begin(), failures.end());
  spdlog::debug("{}: {} over {} values, sqnr {:.2f} dB, cosine {:.6f}", pair.golden_name, verdict_name(t.verdict),
                t.values, t.metrics.sqnr_db, t.metrics.cosine);
  return t;
}

}  // namespace

Result<DiffReport> run_diff(const DiffOptions& options) {
  for (const GateThreshold& t : options.fail_below)
    if (needs_labels(t.metric) && options.labels.empty())
      return usage_error("--fail_below {}: needs --labels", gate_metric_name(t.metric));
  QF_ASSIGN_OR_RETURN(Inputs in, load_inputs(options));
  log_missing(in);
  DiffReport report;
  report.options = options;
  report.results = in.matching.results;
  report.missing_in_golden = in.matching.missing_in_golden;
  report.missing_in_candidate = in.matching.missing_in_candidate;
  report.unmatched = in.matching.unmatched;
  spdlog::info("comparing {} tensors over {} Result folders", in.matching.pairs.size(), report.results.size());
  for (const TensorPair& pair : in.matching.pairs) {
    QF_ASSIGN_OR_RETURN(TensorReport t, compare_pair(pair, in, options, report.gate_failures));
    report.tensors.push_back(std::move(t));
  }
  diagnose_layers(report);
  return report;
}

Status gate_status(const DiffReport& report) {
  if (report.gate_failures.empty()) return Status::ok();
  return {StatusCode::kCompareFailed, "gate failed: " + describe(report.gate_failures)};
}

}  // namespace qf::compare

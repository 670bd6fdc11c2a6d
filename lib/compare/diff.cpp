// SPDX-License-Identifier: Apache-2.0
#include "compare/diff.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "compare/labels.h"
#include "compare/report_format.h"
#include "core/read_file.h"
#include "core/sha256.h"
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

// A <tensor>_native.raw file: one 8-bit code per value, read through the tensor's encoding in the
// model, as net-run dequantizes its float outputs.
Result<std::vector<float>> read_native(const std::string& path, const std::string& tensor, const QGraphInfo* model) {
  if (!model)
    return usage_error("'{}' holds the integer codes of '{}': pass --model (the qgraph that wrote them) to read them "
                       "through its encoding",
                       path, tensor);
  const QGraphTensor* t = model->tensor(tensor);
  if (!t || !t->encoding)
    return bad_input("'{}' holds integer codes, but '{}' has no encoding in {}", path, tensor, model->path);
  const Encoding& e = *t->encoding;
  if (e.storage_dtype() != DType::kS8 && e.storage_dtype() != DType::kU8)
    return bad_input("'{}' holds 8-bit codes, but '{}' is {}-bit in {}", path, tensor, e.bitwidth, model->path);
  QF_ASSIGN_OR_RETURN(std::string codes, read_file_bytes(path, "native output file"));
  QF_ASSIGN_OR_RETURN(ChannelLayout layout, channel_layout(e, t->shape, tensor));
  if (codes.size() % static_cast<size_t>(layout.block()) != 0)
    return bad_input("'{}' has {} codes, which do not fit the shape {} of '{}' in {}", path, codes.size(),
                     shape_to_string(t->shape), tensor, model->path);
  std::vector<float> values(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    const int64_t q = e.is_signed ? static_cast<int64_t>(static_cast<int8_t>(codes[i]))
                                  : static_cast<int64_t>(static_cast<uint8_t>(codes[i]));
    if (q < e.qmin() || q > e.qmax())
      return bad_input("'{}': code {} of value {} is outside the {}-bit grid of '{}'", path, q, i, e.bitwidth, tensor);
    values[i] = dequantize_value(q, e, layout.channel(static_cast<int64_t>(i)));
  }
  return values;
}

Result<std::vector<float>> read_values(const RawFile& file, const TensorPair& pair, const QGraphInfo* model) {
  if (file.native) return read_native(file.path, pair.candidate_name, model);
  return read_finite(file.path);
}

// The files of one pair in one Result folder, read and checked against each other.
struct ValuePair {
  std::vector<float> golden;
  std::vector<float> candidate;
};

Result<ValuePair> read_pair(const RawFile& golden, const RawFile& candidate, const TensorPair& pair,
                            const QGraphInfo* model) {
  ValuePair v;
  QF_ASSIGN_OR_RETURN(v.golden, read_values(golden, pair, model));
  QF_ASSIGN_OR_RETURN(v.candidate, read_values(candidate, pair, model));
  if (v.golden.size() == v.candidate.size()) return v;
  // "10 float32 values (40 bytes)"; the second file's unit only when it is another one.
  auto size = [](const RawFile& f, size_t n, bool unit) {
    const size_t bytes = f.native ? n : n * sizeof(float);
    if (!unit) return fmt::format("{} ({} bytes)", n, bytes);
    return fmt::format("{} {} ({} bytes)", n, f.native ? "codes" : "float32 values", bytes);
  };
  return bad_input("sizes differ: '{}' has {}, '{}' has {}", golden.path, size(golden, v.golden.size(), true),
                   candidate.path, size(candidate, v.candidate.size(), golden.native != candidate.native));
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

  Status add(int result, const RawFile& golden, const RawFile& candidate) {
    QF_ASSIGN_OR_RETURN(ValuePair v, read_pair(golden, candidate, pair_, in_.model_ptr()));
    ++inferences_;
    error_.add(v.golden, v.candidate, options_.metrics);
    if (tensor_) QF_RETURN_IF_ERROR(add_encoding_error(v, candidate.path));
    if (pair_.is_output) QF_RETURN_IF_ERROR(add_classes(result, v, candidate.path));
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

bool has_native_files(const RunFiles& run) {
  for (const auto& [index, files] : run.results)
    for (const auto& [name, file] : files)
      if (file.native) return true;
  return false;
}

// Codes read through another qgraph's encodings would be wrong values without a word: when a run's
// manifest names the model that wrote its native files, --model must be that file.
Status check_native_model(const RunFiles& run, std::string_view flag, const QGraphInfo* model) {
  if (!model || !run.manifest || !has_native_files(run)) return Status::ok();
  QF_ASSIGN_OR_RETURN(std::string sha256, sha256_file(model->path));
  if (sha256 == run.manifest->model_sha256) return Status::ok();
  return usage_error("{} '{}' holds the native codes of {}, and --model '{}' is another file (sha256 differs): "
                     "pass the qgraph that ran",
                     flag, run.root, run.manifest->model, model->path);
}

Result<Inputs> load_inputs(const DiffOptions& options) {
  Inputs in;
  if (!options.model.empty()) {
    QF_ASSIGN_OR_RETURN(in.model, read_qgraph_info(options.model));
  }
  QF_ASSIGN_OR_RETURN(in.golden, scan_side("--golden", options.golden));
  QF_ASSIGN_OR_RETURN(in.candidate, scan_side("--candidate", options.candidate));
  QF_RETURN_IF_ERROR(check_native_model(in.golden, "--golden", in.model_ptr()));
  QF_RETURN_IF_ERROR(check_native_model(in.candidate, "--candidate", in.model_ptr()));
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

GateFailure missing_output_failure(const MissingOutput& missing) {
  GateFailure f;
  f.kind = GateFailureKind::kMissingOutput;
  f.tensor = missing.golden_name;
  f.detail = missing_text(missing);
  return f;
}

const MissingOutput* find_missing(const Matching& m, const std::string& golden_name) {
  for (const MissingOutput& missing : m.missing_outputs)
    if (missing.golden_name == golden_name) return &missing;
  return nullptr;
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
  if (gated) {
    failures = check_gate(options.fail_below, t);
    // Metrics over the folders that have it say nothing of those that do not.
    if (const MissingOutput* missing = find_missing(in.matching, pair.golden_name))
      failures.insert(failures.begin(), missing_output_failure(*missing));
  }
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
  report.missing_outputs = in.matching.missing_outputs;
  for (const MissingOutput& missing : report.missing_outputs)
    spdlog::warn("output '{}' is {}", missing.golden_name, missing_text(missing));
  report.runs =
      check_runs(in.golden.manifest, in.candidate.manifest, report.results, options.golden, options.candidate);
  for (const std::string& warning : report.runs.warnings) spdlog::warn("{}", warning);
  if (report.gated() && report.runs.same_inputs == SameInputs::kNo) {
    GateFailure f;
    f.kind = GateFailureKind::kInputsDiffer;
    f.detail = report.runs.inputs;
    report.gate_failures.push_back(std::move(f));
  }
  spdlog::info("comparing {} tensors over {} Result folders", in.matching.pairs.size(), report.results.size());
  for (const TensorPair& pair : in.matching.pairs) {
    QF_ASSIGN_OR_RETURN(TensorReport t, compare_pair(pair, in, options, report.gate_failures));
    report.tensors.push_back(std::move(t));
  }
  // Outputs that are in no pair at all: only in one run.
  if (report.gated())
    for (const MissingOutput& missing : report.missing_outputs)
      if (std::none_of(in.matching.pairs.begin(), in.matching.pairs.end(),
                       [&](const TensorPair& p) { return p.golden_name == missing.golden_name; }))
        report.gate_failures.push_back(missing_output_failure(missing));
  diagnose_layers(report);
  return report;
}

Status gate_status(const DiffReport& report) {
  if (report.gate_failures.empty()) return Status::ok();
  return {StatusCode::kCompareFailed, "gate failed: " + describe(report.gate_failures)};
}

}  // namespace qf::compare

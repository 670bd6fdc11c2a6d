// SPDX-License-Identifier: Apache-2.0
// qforge-diff: compares two qforge-net-run output folders (golden fp32 vs candidate int8) per tensor
// and per layer, in the manner of QNN's accuracy debugger, and gates CI on the graph outputs.
#include <cstdio>

#include "common/cli.h"
#include "compare/diff.h"
#include "compare/render.h"
#include "core/log.h"

using qf::cli::fail;

int main(int argc, char** argv) {
  qf::init_logging();
  qf::compare::DiffOptions options;
  qf::compare::ReportFiles files;
  std::string sqnr_reference{qf::compare::sqnr_reference_name(options.metrics.sqnr_reference)};
  std::string fail_below;
  qf::cli::CommonFlags common;
  bool no_text_report = false;

  CLI::App app{"qforge-diff: compare a candidate run (int8) with a golden one (fp32), per output and per layer"};
  constexpr const char* kInput = "Input";
  constexpr const char* kMetrics = "Metrics";
  constexpr const char* kGate = "Gate";
  constexpr const char* kReports = "Reports";
  app.add_option("--golden", options.golden, "Golden run: a folder of Result_N/*.raw (or one .raw file)")
      ->required()
      ->group(kInput);
  app.add_option("--candidate", options.candidate, "Candidate run, laid out like the golden one")
      ->required()
      ->group(kInput);
  app.add_option("--model", options.model,
                 "The converter's model.qgraph.json: layer order, names across fusion, errors in LSBs, and the "
                 "encodings that *_native.raw codes are read through")
      ->group(kInput);
  app.add_option("--labels", options.labels, "One class index per input-list line (or packed uint8 *.bin)")
      ->group(kInput);
  app.add_option("--output", options.outputs, "A graph output to judge (repeatable; default: the model's outputs)")
      ->group(kInput);
  app.add_option("--sqnr_reference", sqnr_reference, "Signal power of the SQNR: golden, or candidate (QNN's)")
      ->check(CLI::IsMember({"golden", "candidate"}))
      ->capture_default_str()
      ->group(kMetrics);
  app.add_option("--rtol", options.metrics.rtol, "Relative tolerance of the pass rate")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(kMetrics);
  app.add_option("--atol", options.metrics.atol, "Absolute tolerance of the pass rate")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(kMetrics);
  app.add_option("--top_k", options.top_k, "k of the top-k agreement")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(kMetrics);
  app.add_option("--layer_sqnr_threshold", options.layer_sqnr_threshold_db,
                 "A layer below this SQNR (dB) is FAILED; the first one is reported")
      ->capture_default_str()
      ->group(kMetrics);
  app.add_option("--worst", options.worst, "How many worst layers to list")->capture_default_str()->group(kReports);
  app.add_option("--fail_below", fail_below,
                 "CI gate on the graph outputs, e.g. \"cosine=0.99, sqnr=20, top1_agreement=0.98\" (exit 1 below)")
      ->group(kGate);
  app.add_option("--json", files.json, "Write the report as JSON (schemas/diff_report.schema.json)")->group(kReports);
  app.add_option("--csv", files.csv, "Write one CSV row per compared tensor")->group(kReports);
  app.add_option("--html", files.html, "Write a self-contained HTML report with per-layer charts")->group(kReports);
  qf::cli::add_bool_flag(app, "--no_text_report", &no_text_report,
                         "Print nothing on stdout (the exit code and any --json / --csv / --html file still tell)")
      ->group(kReports);
  qf::cli::add_common_flags(app, "qforge-diff", &common);
  using qf::StatusCode;
  app.footer(qf::cli::help_footer(
      {
          {StatusCode::kOk, "compared; every --fail_below threshold held"},
          {StatusCode::kCompareFailed,
           "the gate failed: an output below a threshold, an output missing in a compared Result_N of either run, or "
           "runs of different inputs (their qforge_run.json manifests)"},
          {StatusCode::kUsage,
           "usage error; also *_native.raw codes without --model, or with another qgraph than the run's manifest "
           "names"},
          {StatusCode::kBadInput,
           "missing or malformed file (a size mismatch, a NaN, a bad qgraph or manifest), or nothing to compare: no "
           "Result_N or no tensor in both runs"},
          {StatusCode::kUnsupported, "--labels on outputs of several rows per Result folder"},
          {StatusCode::kInternal, "internal error"},
      },
      "qforge-diff --golden fp32 --candidate int8 --model out/resnet18.qgraph.json --fail_below \"cosine=0.99, "
      "sqnr=20\""));

  if (auto code = qf::cli::parse(app, argc, argv, "qforge-diff")) return *code;

  if (auto s = common.apply_log_level(); !s.is_ok()) return fail(s);
  if (auto r = qf::compare::parse_sqnr_reference(sqnr_reference); r.is_ok()) {
    options.metrics.sqnr_reference = *r;
  } else {
    return fail(r.status());
  }
  if (!fail_below.empty()) {
    auto thresholds = qf::compare::parse_fail_below(fail_below);
    if (!thresholds.is_ok()) return fail(thresholds.status());
    options.fail_below = *thresholds;
  }

  auto report = qf::compare::run_diff(options);
  if (!report.is_ok()) return fail(report.status());
  if (auto s = qf::compare::write_report_files(*report, files); !s.is_ok()) return fail(s);
  if (!no_text_report) std::fputs(qf::compare::render_text(*report).c_str(), stdout);
  if (auto s = qf::compare::gate_status(*report); !s.is_ok()) return fail(s);
  return 0;
}

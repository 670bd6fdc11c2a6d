// SPDX-License-Identifier: Apache-2.0
// smooth_quant_probe: runs --smooth_quant's measurement and choice on an ONNX model over an input
// list and prints, as JSON on stdout, each site with what it measured (channel ranges, the sampled
// rows) and what it chose (α, scales, errors, auto's candidates), for smooth_quant_reference.py to
// re-derive with numpy.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "driver/load_model.h"
#include "io/input_list.h"
#include "quant/smooth_quant.h"

using namespace qf;

namespace {

int fail(const Status& s) {
  std::fprintf(stderr, "smooth_quant_probe: %s\n", s.message().c_str());
  return exit_code(s.code());
}

}  // namespace

int main(int argc, char** argv) {
  init_logging();
  std::string model, list_path, alpha_text = "auto";
  SmoothQuantOptions options;
  CLI::App app{"smooth_quant_probe"};
  app.add_option("--model", model)->required();
  app.add_option("--input_list", list_path)->required();
  app.add_option("--alpha", alpha_text);
  app.add_flag("--per_row", options.per_column_weights);
  app.add_option("--max_rows", options.max_rows);
  app.add_option("--max_columns", options.max_columns);
  CLI11_PARSE(app, argc, argv);

  auto alpha = parse_smooth_quant_alpha(alpha_text);
  if (!alpha.is_ok()) return fail(alpha.status());
  options.alpha = *alpha;
  auto graph = load_onnx_file(model);
  if (!graph.is_ok()) return fail(graph.status());
  auto list = read_input_list(list_path);
  if (!list.is_ok()) return fail(list.status());
  auto measured = measure_smoothing_sites(**graph, *list, CalibrationOptions{}, options);
  if (!measured.is_ok()) return fail(measured.status());
  // The sites' descriptions before the rewrite moves their inputs.
  nlohmann::json sites = nlohmann::json::array();
  for (size_t i = 0; i < measured->sites.size(); ++i) {
    const SmoothingSite& site = measured->sites[i];
    const SiteStatistics& s = measured->statistics.site(i);
    std::vector<std::string> layers;
    for (const Node* n : site.layers) layers.push_back(n->name);
    sites.push_back({{"input", site.input->name},
                     {"fold", smoothing_fold_name(site.fold)},
                     {"fold_into", site.fold_into ? site.fold_into->name : ""},
                     {"layers", layers},
                     {"channel_min", s.channel_min},
                     {"channel_max", s.channel_max},
                     {"channel_absmax", s.channel_absmax},
                     {"rows", s.rows}});
  }
  auto report = smooth_sites(**graph, *measured, options);
  if (!report.is_ok()) return fail(report.status());
  for (size_t i = 0; i < report->sites.size(); ++i) {
    const SmoothingChoice& c = report->sites[i];
    nlohmann::json& j = sites[i];
    j["alpha"] = c.alpha ? nlohmann::json(*c.alpha) : nlohmann::json();
    j["scales"] = c.scales;
    j["error_unsmoothed"] = c.error_unsmoothed;
    j["error"] = c.error;
    j["candidates"] = c.candidates;
  }
  std::cout << nlohmann::json{{"sites", sites}}.dump() << "\n";
  return 0;
}

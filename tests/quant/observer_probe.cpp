// SPDX-License-Identifier: Apache-2.0
// observer_probe: runs every registered observer over a float32 .raw file and prints, as JSON on
// stdout, each observer's state, proposed range and encoding under several schemes, for
// observers_reference.py to re-derive with numpy. It also saves and merges states
// (--state-out / --state-in) the way the converter's --calibration_state_out/_in will.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "quant/observer_registry.h"
#include "quant/observers/grid_histogram.h"
#include "quant/observers/histogram_observer.h"
#include "quant/observers/observer_state.h"

using namespace qf;

namespace {

struct NamedScheme {
  const char* name;
  QuantScheme scheme;
};

constexpr NamedScheme kSchemes[] = {
    {"asymmetric8", {QuantSchema::kAsymmetric, 8}},
    {"symmetric8", {QuantSchema::kSymmetric, 8}},
    {"unsignedsymmetric8", {QuantSchema::kUnsignedSymmetric, 8}},
    {"asymmetric16", {QuantSchema::kAsymmetric, 16}},
    {"symmetric4", {QuantSchema::kSymmetric, 4}},
};

int fail(const Status& s) {
  std::fprintf(stderr, "observer_probe: %s\n", s.message().c_str());
  return exit_code(s.code());
}

Result<std::vector<float>> read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad_input("cannot open '{}'", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() % sizeof(float) != 0) return bad_input("'{}' is not a whole number of float32", path);
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

Result<nlohmann::json> read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return bad_input("cannot open '{}'", path);
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    return bad_input("'{}': {}", path, e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Run every observer over a float32 raw file and print states, ranges and encodings"};
  std::string raw;
  std::vector<size_t> batches;
  double percentile = kDefaultPercentile;
  std::string state_out;
  std::vector<std::string> state_in;
  app.add_option("--raw", raw, "float32 little-endian values");
  app.add_option("--batches", batches, "batch sizes, in order (default: one batch)")->delimiter(',');
  app.add_option("--percentile", percentile, "--percentile_calibration_value");
  app.add_option("--state-out", state_out, "write every observer's state to this JSON file");
  app.add_option("--state-in", state_in, "merge these states (in order) before observing --raw");
  CLI11_PARSE(app, argc, argv);

  std::vector<float> values;
  if (!raw.empty()) {
    Result<std::vector<float>> r = read_raw(raw);
    if (!r.is_ok()) return fail(r.status());
    values = std::move(r).value();
  }
  if (batches.empty() && !values.empty()) batches.push_back(values.size());
  size_t total = 0;
  for (size_t b : batches) total += b;
  if (total != values.size()) return fail(usage_error("batches add up to {}, not {}", total, values.size()));

  ObserverOptions options{percentile};
  std::vector<nlohmann::json> inputs;
  for (const std::string& path : state_in) {
    Result<nlohmann::json> j = read_json(path);
    if (!j.is_ok()) return fail(j.status());
    inputs.push_back(std::move(j).value());
  }

  nlohmann::json out = nlohmann::json::object();
  nlohmann::json states = nlohmann::json::object();
  for (const std::string& name : observer_names()) {
    Result<std::unique_ptr<Observer>> made = make_observer(name, options);
    if (!made.is_ok()) return fail(made.status());
    std::unique_ptr<Observer> observer = std::move(made).value();
    for (const nlohmann::json& in : inputs) {
      if (!in.contains(name)) return fail(bad_input("a state file has no '{}' observer", name));
      Result<std::unique_ptr<Observer>> loaded = observer_from_json(in[name], options);
      if (!loaded.is_ok()) return fail(loaded.status());
      Status merged = observer->merge(**loaded);
      if (!merged.is_ok()) return fail(merged);
    }
    size_t at = 0;
    for (size_t b : batches) {
      observer->observe(std::span<const float>(values.data() + at, b));
      at += b;
    }
    nlohmann::json entry{{"state", observer->to_json()}};
    for (const NamedScheme& s : kSchemes) {
      Result<Range> r = observer->compute(s.scheme);
      if (!r.is_ok()) return fail(r.status().with_context(name));
      Result<Encoding> e = compute_encoding(r->min, r->max, s.scheme);
      if (!e.is_ok()) return fail(e.status().with_context(name));
      entry["ranges"][s.name] = {observer_state::float_to_json(r->min),
                                 observer_state::float_to_json(r->max)};
      entry["encodings"][s.name] = {{"scale", observer_state::float_to_json(e->scale[0])},
                                    {"offset", e->offset[0]},
                                    {"signed", e->is_signed}};
    }
    states[name] = entry["state"];
    out[name] = std::move(entry);
  }
  // The grid histograms' own outputs: the 2048-bin resampling of x over [min, max] and of |x|
  // (x != 0) over [0, max |x|], and a few quantiles of x.
  if (!values.empty()) {
    std::vector<float> magnitudes;
    for (float v : values) {
      if (std::isfinite(v) && v != 0.0f) magnitudes.push_back(std::fabs(v));
    }
    GridHistogram x, abs;
    x.add(values);
    abs.add(magnitudes);
    nlohmann::json grid;
    if (x.max() > x.min()) grid["x"] = x.rebin(x.min(), x.max(), kHistogramBins);
    if (!abs.empty()) grid["abs"] = abs.rebin(0.0, abs.max(), kHistogramBins);
    for (double f : {0.0, 0.001, 0.1, 0.5, 0.9, 0.9999, 1.0}) grid["quantiles"].push_back({f, x.quantile(f)});
    out["grid"] = std::move(grid);
  }
  if (!state_out.empty()) {
    std::ofstream f(state_out);
    f << states.dump() << "\n";
    if (!f) return fail(bad_input("cannot write '{}'", state_out));
  }
  std::cout << out.dump() << "\n";
  return 0;
}

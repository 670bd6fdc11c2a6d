// SPDX-License-Identifier: Apache-2.0
// Runs the ONNX backend node tests (libonnx-testdata) for one op of ops.def through one backend.
// A test belongs to op X when its model uses X and only ops that ops.def knows. Expected
// deviations are listed with a reason in skips.txt; anything else that fails is a failure.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/log.h"
#include "ir/op_kind.h"
#include "driver/load_model.h"
#include "runtime/executor.h"

namespace fs = std::filesystem;
using namespace qf;

namespace {

// numpy.testing.assert_allclose defaults used by ONNX's backend test runner.
constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;
constexpr int kSkipExitCode = 77;

std::map<std::string, std::string> read_skips(const std::string& path) {
  std::map<std::string, std::string> skips;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string name, reason;
    ss >> name;
    std::getline(ss, reason);
    reason.erase(0, reason.find_first_not_of(" \t"));
    skips[name] = reason;
  }
  return skips;
}

Status compare(const std::string& what, const Tensor& expected, const Tensor& actual) {
  if (expected.shape() != actual.shape())
    return bad_input("{}: shape {} expected, got {}", what, shape_to_string(expected.shape()),
                     shape_to_string(actual.shape()));
  if (expected.dtype() != actual.dtype())
    return bad_input("{}: dtype {} expected, got {}", what, dtype_name(expected.dtype()), dtype_name(actual.dtype()));
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const double e = expected.element_as_double(i), a = actual.element_as_double(i);
    const bool ok = (std::isnan(e) && std::isnan(a)) || (e == a) || std::fabs(e - a) <= kAtol + kRtol * std::fabs(e);
    if (!ok && bad++ == 0) first = i;
  }
  if (bad)
    return bad_input("{}: {} of {} elements differ; first at {}: expected {}, got {}", what, bad, expected.numel(),
                     first, expected.element_as_double(first), actual.element_as_double(first));
  return Status::ok();
}

std::vector<fs::path> sorted_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) files.push_back(e.path());
  // input_10.pb must come after input_9.pb.
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    auto num = [&](const fs::path& p) { return std::stoi(p.stem().string().substr(prefix.size())); };
    return num(a) < num(b);
  });
  return files;
}

// qforge needs parameters (Reshape's shape, Slice's starts, Resize's scales...) at load time;
// these tests feed them as graph inputs, so such inputs are frozen to the data set's values.
Result<std::unique_ptr<Graph>> import_freezing_parameters(const fs::path& model, const std::vector<Tensor>& inputs) {
  ImportOptions options;
  auto names = onnx_input_names(model.string());
  if (!names.is_ok()) return names.status();
  for (int attempt = 0; attempt <= static_cast<int>(names->size()); ++attempt) {
    auto graph = load_onnx_file(model.string(), options);
    if (graph.is_ok() || graph.status().code() != StatusCode::kUnsupported) return graph;
    const std::string& m = graph.status().message();
    const auto pos = m.find("' must be a constant");
    const auto start = m.rfind("input '", pos);
    if (pos == std::string::npos || start == std::string::npos) return graph;
    const std::string name = m.substr(start + 7, pos - start - 7);
    auto it = std::find(names->begin(), names->end(), name);
    if (it == names->end() || static_cast<size_t>(it - names->begin()) >= inputs.size()) return graph;
    options.frozen_inputs[name] = inputs[static_cast<size_t>(it - names->begin())];
  }
  return unsupported("{}: could not freeze parameter inputs", model.string());
}

Status run_test(const fs::path& dir, const std::string& backend) {
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  for (const fs::path& set : sets) {
    std::vector<Tensor> all_inputs;
    for (const fs::path& f : sorted_files(set, "input_")) {
      QF_ASSIGN_OR_RETURN(Tensor t, read_tensor_proto_file(f.string()));
      all_inputs.push_back(std::move(t));
    }
    QF_ASSIGN_OR_RETURN(auto names, onnx_input_names((dir / "model.onnx").string()));
    QF_ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, import_freezing_parameters(dir / "model.onnx", all_inputs));
    std::vector<Tensor> inputs;
    for (const Value* in : graph->inputs()) {
      auto it = std::find(names.begin(), names.end(), in->name);
      inputs.push_back(all_inputs.at(static_cast<size_t>(it - names.begin())));
    }
    ExecutorOptions options;
    options.backend = backend;
    options.threads = 1;
    QF_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor, Executor::create(*graph, options));
    QF_RETURN_IF_ERROR(executor->run(inputs));
    const auto outputs = sorted_files(set, "output_");
    if (outputs.size() != graph->outputs().size())
      return bad_input("{} expected outputs, the graph has {}", outputs.size(), graph->outputs().size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      QF_ASSIGN_OR_RETURN(Tensor expected, read_tensor_proto_file(outputs[i].string()));
      QF_ASSIGN_OR_RETURN(Tensor actual, executor->fetch(graph->outputs()[i]));
      QF_RETURN_IF_ERROR(compare(set.filename().string() + " output '" + graph->outputs()[i]->name + "'", expected, actual));
    }
  }
  return Status::ok();
}

// Whether the test exercises `op`, using only ops qforge knows.
bool belongs_to(const std::vector<std::string>& types, OpKind op) {
  bool uses = false;
  for (const std::string& t : types) {
    auto lookup = op_from_onnx(t);
    if (!lookup) return false;
    uses |= lookup->kind == op;
  }
  return uses;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir, op_name_arg, backend = "reference", skips_path;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--data") data_dir = next();
    else if (a == "--op") op_name_arg = next();
    else if (a == "--backend") backend = next();
    else if (a == "--skips") skips_path = next();
    else if (a == "--verbose") verbose = true;
    else {
      std::fprintf(stderr,
                   "usage: qforge_conformance --data DIR/node --op OpKind --backend onednn|reference "
                   "[--skips FILE] [--verbose]\n");
      return 2;
    }
  }
  init_logging();
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::off);
  if (!fs::is_directory(data_dir)) {
    std::printf("SKIP: ONNX backend test data not found at '%s' (Debian package libonnx-testdata)\n", data_dir.c_str());
    return kSkipExitCode;
  }
  std::optional<OpKind> op;
  for (int k = 0; k < kNumOpKinds; ++k)
    if (op_name(static_cast<OpKind>(k)) == op_name_arg) op = static_cast<OpKind>(k);
  if (!op) {
    std::fprintf(stderr, "unknown op '%s'\n", op_name_arg.c_str());
    return 2;
  }
  const auto skips = read_skips(skips_path);
  std::vector<fs::path> tests;
  for (const auto& e : fs::directory_iterator(data_dir))
    if (e.is_directory()) tests.push_back(e.path());
  std::sort(tests.begin(), tests.end());

  int passed = 0, failed = 0, skipped = 0;
  for (const fs::path& dir : tests) {
    auto types = onnx_op_types((dir / "model.onnx").string());
    if (!types.is_ok() || !belongs_to(*types, *op)) continue;
    const std::string name = dir.filename().string();
    if (auto it = skips.find(name); it != skips.end()) {
      std::printf("SKIP %s: %s\n", name.c_str(), it->second.c_str());
      ++skipped;
      continue;
    }
    Status s = run_test(dir, backend);
    if (s.is_ok()) {
      std::printf("PASS %s\n", name.c_str());
      ++passed;
    } else {
      std::printf("FAIL %s: %s\n", name.c_str(), s.message().c_str());
      ++failed;
    }
  }
  std::printf("%s on %s: %d passed, %d failed, %d skipped\n", op_name_arg.c_str(), backend.c_str(), passed, failed,
              skipped);
  return failed ? 1 : 0;
}

// SPDX-License-Identifier: Apache-2.0
#include "compare/match.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <tuple>

#include "io/input_list.h"

namespace qf::compare {

namespace fs = std::filesystem;

namespace {

bool is_raw_file(const fs::directory_entry& entry) {
  std::error_code ec;
  return entry.is_regular_file(ec) && entry.path().extension() == kRawExtension;
}

// The tensor a file holds, and whether as codes (<tensor>_native.raw, when the run may have
// written such files).
std::pair<std::string, RawFile> tensor_file(const fs::path& file, bool natives) {
  std::string stem = file.stem().string();
  const bool native = natives && stem.size() > kNativeSuffix.size() && stem.ends_with(kNativeSuffix);
  if (native) stem.resize(stem.size() - kNativeSuffix.size());
  return {tensor_name_from_file(stem), RawFile{file.string(), native}};
}

Result<std::map<std::string, RawFile>> raw_files(const fs::path& dir, bool natives) {
  std::map<std::string, RawFile> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!is_raw_file(entry)) continue;
    auto [name, file] = tensor_file(entry.path(), natives);
    auto [it, fresh] = files.try_emplace(name, file);
    if (!fresh)
      return bad_input("'{}' holds both '{}' and '{}' for tensor '{}' (outputs of two runs?)", dir.string(),
                       fs::path(it->second.path).filename().string(), entry.path().filename().string(), name);
  }
  return files;
}

std::vector<int> indices_of(const RunFiles& run) {
  std::vector<int> out;
  for (const auto& [index, files] : run.results) out.push_back(index);
  return out;
}

TensorPair located_pair(std::string golden_name, std::string candidate_name, const QGraphInfo* model) {
  TensorPair pair;
  pair.golden_name = std::move(golden_name);
  pair.candidate_name = std::move(candidate_name);
  if (model) pair.producer = model->producer(pair.candidate_name);
  if (pair.producer) pair.op = model->nodes[*pair.producer].op;
  return pair;
}

// Graph inputs and constants, then computed tensors by node and output slot, then unknown ones.
auto layer_key(const TensorPair& pair, const QGraphInfo* model) {
  enum Rank { kSource, kComputed, kUnknown };
  Rank rank = kUnknown;
  size_t node = 0, slot = 0;
  if (pair.producer) {
    rank = kComputed;
    node = *pair.producer;
    const auto& outputs = model->nodes[node].outputs;
    slot = static_cast<size_t>(std::find(outputs.begin(), outputs.end(), pair.candidate_name) - outputs.begin());
  } else if (model && model->tensor(pair.candidate_name)) {
    rank = kSource;
  }
  return std::make_tuple(rank, node, slot, pair.golden_name);
}

std::set<std::string> names_in(const RunFiles& run, const std::vector<int>& results) {
  std::set<std::string> names;
  for (int r : results)
    for (const auto& [name, file] : run.results.at(r)) names.insert(name);
  return names;
}

std::set<std::string> names_in_every_result(const RunFiles& run, const std::vector<int>& results) {
  std::set<std::string> names;
  for (const auto& entry : run.results.at(results.front())) {
    // Not the structured binding itself: clang 14 cannot capture one in a lambda.
    const std::string& name = entry.first;
    if (std::all_of(results.begin(), results.end(), [&](int r) { return run.results.at(r).count(name) > 0; }))
      names.insert(name);
  }
  return names;
}

// The golden (original model) name of a tensor of the model: the name in the golden run that
// tensor_map maps to it, else its own.
std::string golden_name_of(const std::string& candidate_name, const RunFiles& golden, const Matching& m,
                           const QGraphInfo& model) {
  for (const std::string& g : names_in(golden, m.results))
    if (model.surviving_name(g) == candidate_name) return g;
  return candidate_name;
}

}  // namespace

std::string_view unmatched_name(Unmatched why) {
  switch (why) {
    case Unmatched::kFolded: return "folded";
    case Unmatched::kOnlyInGolden: return "only_in_golden";
    case Unmatched::kOnlyInCandidate: return "only_in_candidate";
  }
  return "?";
}

Result<RunFiles> scan_run(const std::string& path) {
  std::error_code ec;
  RunFiles run;
  run.root = path;
  if (fs::is_regular_file(path, ec)) {
    if (fs::path(path).extension() != kRawExtension) return bad_input("'{}' is not a .raw file", path);
    run.single_file = true;
    run.results[0].insert(tensor_file(path, true));
    return run;
  }
  if (!fs::is_directory(path, ec)) return bad_input("'{}' does not exist", path);
  QF_ASSIGN_OR_RETURN(run.manifest, read_run_manifest(path));
  const bool natives = !run.manifest || run.manifest->native_outputs;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const auto index = result_index(entry.path().filename().string());
    if (index && entry.is_directory(ec)) {
      QF_ASSIGN_OR_RETURN(run.results[*index], raw_files(entry.path(), natives));
    }
  }
  if (run.results.empty()) {
    QF_ASSIGN_OR_RETURN(auto files, raw_files(path, natives));
    if (files.empty()) return bad_input("'{}' holds no Result_N folders and no .raw files", path);
    run.results[0] = std::move(files);
  }
  return run;
}

Result<Matching> match_runs(const RunFiles& golden, const RunFiles& candidate, const QGraphInfo* model) {
  if (golden.single_file != candidate.single_file)
    return usage_error("--golden '{}' and --candidate '{}' must both be .raw files or both folders", golden.root,
                       candidate.root);
  Matching m;
  for (const auto& [index, files] : golden.results)
    (candidate.results.count(index) ? m.results : m.missing_in_candidate).push_back(index);
  for (const auto& [index, files] : candidate.results)
    if (!golden.results.count(index)) m.missing_in_golden.push_back(index);
  if (m.results.empty())
    return bad_input("no Result_N folder is in both '{}' (Result_{}) and '{}' (Result_{})", golden.root,
                     fmt::join(indices_of(golden), ", Result_"), candidate.root,
                     fmt::join(indices_of(candidate), ", Result_"));

  if (golden.single_file) {
    m.pairs.push_back(located_pair(golden.results.begin()->second.begin()->first,
                                   candidate.results.begin()->second.begin()->first, model));
    return m;
  }

  const std::set<std::string> golden_names = names_in(golden, m.results);
  const std::set<std::string> candidate_names = names_in(candidate, m.results);
  std::set<std::string> paired;
  for (const std::string& g : golden_names) {
    const std::optional<std::string> c = model ? model->surviving_name(g) : g;
    if (!c) {
      m.unmatched.push_back({g, Unmatched::kFolded});
    } else if (!candidate_names.count(*c)) {
      m.unmatched.push_back({g, Unmatched::kOnlyInGolden});
    } else {
      m.pairs.push_back(located_pair(g, *c, model));
      paired.insert(*c);
    }
  }
  for (const std::string& c : candidate_names)
    if (!paired.count(c)) m.unmatched.push_back({c, Unmatched::kOnlyInCandidate});
  if (m.pairs.empty())
    return bad_input("nothing to compare: no tensor is in both '{}' ({}) and '{}' ({})", golden.root,
                     fmt::join(golden_names, ", "), candidate.root, fmt::join(candidate_names, ", "));
  std::stable_sort(m.pairs.begin(), m.pairs.end(), [&](const TensorPair& a, const TensorPair& b) {
    return layer_key(a, model) < layer_key(b, model);
  });
  return m;
}

Status mark_outputs(Matching& m, const RunFiles& golden, const RunFiles& candidate, const QGraphInfo* model,
                    const std::vector<std::string>& requested) {
  // The outputs by (golden, candidate) name: each is checked for the Result folders that lack it.
  std::vector<std::pair<std::string, std::string>> outputs;
  if (!requested.empty()) {
    for (const std::string& name : requested) {
      bool found = false;
      for (TensorPair& p : m.pairs) {
        if (p.golden_name == name || p.candidate_name == name) {
          if (!p.is_output) outputs.emplace_back(p.golden_name, p.candidate_name);
          p.is_output = found = true;
        }
      }
      if (!found) {
        std::vector<std::string> names;
        for (const TensorPair& p : m.pairs) names.push_back(p.golden_name);
        return usage_error("--output: no tensor '{}' in both runs (compared: {})", name, fmt::join(names, ", "));
      }
    }
  } else if (model && !golden.single_file) {
    const auto graph_outputs = model->graph_outputs();
    bool any = false;
    for (TensorPair& p : m.pairs) {
      p.is_output = std::find(graph_outputs.begin(), graph_outputs.end(), p.candidate_name) != graph_outputs.end();
      any = any || p.is_output;
    }
    if (!any)
      return bad_input("none of the graph outputs of '{}' ({}) is in both runs", model->path,
                       fmt::join(graph_outputs, ", "));
    for (const std::string& c : graph_outputs) outputs.emplace_back(golden_name_of(c, golden, m, *model), c);
  } else if (golden.single_file) {
    m.pairs.front().is_output = true;
  } else {
    // Without a model, what a run wrote in every compared Result folder is taken for an output.
    std::set<std::string> names = names_in_every_result(golden, m.results);
    names.merge(names_in_every_result(candidate, m.results));
    for (TensorPair& p : m.pairs) p.is_output = names.count(p.golden_name) > 0;
    for (const std::string& name : names) outputs.emplace_back(name, name);
  }
  for (const auto& [g, c] : outputs) {
    MissingOutput missing{g, c, {}, {}};
    for (int r : m.results) {
      if (!golden.results.at(r).count(g)) missing.missing_in_golden.push_back(r);
      if (!candidate.results.at(r).count(c)) missing.missing_in_candidate.push_back(r);
    }
    if (!missing.missing_in_golden.empty() || !missing.missing_in_candidate.empty())
      m.missing_outputs.push_back(std::move(missing));
  }
  return Status::ok();
}

}  // namespace qf::compare

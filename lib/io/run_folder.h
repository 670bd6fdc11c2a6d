// SPDX-License-Identifier: Apache-2.0
// The output folder of a run, decided once: qforge-net-run writes it, qforge-diff reads it.
//
//   DIR/qforge_run.json                  the manifest of the run that wrote DIR (RunManifest)
//   DIR/Result_<i>/<tensor>.raw          inference i's tensors, float32 (names: tensor_file_name)
//   DIR/Result_<i>/<tensor>_native.raw   an encoded tensor's integer codes (--use_native_output_files)
//
// A run owns its folder: before writing, net-run removes the manifest and every Result_<i> an
// earlier run left there (clear_run_folder), so that one folder never holds two runs' outputs, and
// writes the new manifest last, once every Result_<i> is complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace qf {

inline constexpr std::string_view kResultPrefix = "Result_";
inline constexpr std::string_view kRawExtension = ".raw";
inline constexpr std::string_view kNativeSuffix = "_native";  // before .raw, as QNN names them
inline constexpr std::string_view kRunManifestFile = "qforge_run.json";
inline constexpr std::string_view kRunManifestFormat = "qforge.run";
inline constexpr int kRunManifestVersion = 1;

// "Result_7".
std::string result_folder_name(int64_t index);
// 7 for "Result_7"; nullopt for any name that is not Result_ and decimal digits.
std::optional<int> result_index(std::string_view folder_name);

// What a run was: enough for qforge-diff to tell whether two output folders hold runs of the same
// inputs, and for a person to tell what made a folder.
struct RunManifest {
  std::string tool;          // the --version line of the tool that wrote the run
  std::string model;         // absolute path
  std::string model_sha256;  // of the model file (a qgraph's JSON names its blob's sha256)
  std::string input_list;    // absolute path
  int64_t input_list_lines = 0;  // inference lines (blank and '#' / '%' lines are not counted)
  int64_t inferences = 0;        // inferences run (--num_inferences cycles through the list)
  int64_t results = 0;           // Result_0 .. Result_<results - 1> were written
  std::string backend;
  bool native_outputs = false;  // --use_native_output_files: encoded tensors as <tensor>_native.raw
  bool debug = false;           // every intermediate tensor was written
  // The input files Result_i ran (absolute, in the list line's order), one entry per Result.
  std::vector<std::vector<std::string>> result_inputs;
};

std::string render_run_manifest(const RunManifest& manifest);
// A bad_input naming the file when the text is not a manifest of this format and version.
Result<RunManifest> parse_run_manifest(const std::string& text, const std::string& path);
// DIR/qforge_run.json, written atomically.
Status write_run_manifest(const std::string& dir, const RunManifest& manifest);
// DIR/qforge_run.json, or nullopt when DIR has none (made by hand, or by a qforge before manifests).
Result<std::optional<RunManifest>> read_run_manifest(const std::string& dir);

// Before a run writes into DIR: removes DIR/qforge_run.json and every DIR/Result_<i>, and returns
// how many Result folders went. Only what net-run writes is removed: a Result_<i> that is not a
// folder, or that holds anything but .raw files (and temporaries of interrupted atomic writes), is
// refused with a bad_input naming it, before anything is removed. Nothing else in DIR is touched.
Result<int64_t> clear_run_folder(const std::string& dir);

}  // namespace qf

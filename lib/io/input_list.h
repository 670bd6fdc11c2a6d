// SPDX-License-Identifier: Apache-2.0
// QNN input lists: one inference per line, space-separated `name:=path` entries or positional
// paths; lines starting with '#' or '%' name extra tensors to write; blank lines are ignored.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "io/input_layout.h"
#include "ir/graph.h"

namespace qf {

struct InputEntry {
  std::string name;  // empty for a positional entry
  std::string path;  // resolved against the list file's folder
};

struct InputList {
  std::string path;
  std::vector<std::vector<InputEntry>> inferences;
  std::vector<int> line_numbers;               // 1-based source line of each inference
  std::vector<std::string> requested_tensors;  // from '#' / '%' lines
  // --input_layout: inputs whose raw files are not in the model's layout (set by the tool, not
  // the list's text); load_inference_inputs transposes them.
  std::map<std::string, InputLayout> layouts;
};

Result<InputList> read_input_list(const std::string& path);
// The same from the list's text (read_input_list reads the file and calls this); `path` is named
// in errors and relative entries are resolved against its folder.
Result<InputList> parse_input_list(const std::string& text, const std::string& path);

// Checks the first `lines` lines of the list against the graph's inputs without reading a raw
// file: each line names every input once, and each file exists and has its input's size (a hint
// at the dtype when the size fits another one: 2x float64, 1/2 float16, 1/4 8-bit). Run before
// the first inference, so that a bad line 11 fails before 10 inferences are spent on the lines
// above it. Errors name the list's line and the file. Also checks that every input `layouts`
// names is a 4-D input of the graph (a usage error otherwise).
Status check_input_files(const InputList& list, const Graph& graph, size_t lines);

// The tensors of inference `index`, in graph.inputs() order, read from float32 raw files,
// transposed to NCHW where `layouts` says NHWC, and converted to each input's dtype. A file of the wrong size is an error naming both sizes.
Result<std::vector<Tensor>> load_inference_inputs(const InputList& list, size_t index, const Graph& graph);

// Headerless float32 little-endian, ONNX layout, converted to `dtype` (an input's dtype) as ONNX's
// Cast converts (NaN to 0 for integers, out-of-range values saturated to int64 and then wrapped).
Result<Tensor> read_raw_float(const std::string& path, const Shape& shape, const std::string& tensor_name,
                              DType dtype = DType::kF32);
// The same from the file's bytes (read_raw_float checks the file's size, reads it and calls this).
Result<Tensor> parse_raw_float(const std::string& bytes, const Shape& shape, const std::string& path,
                               const std::string& tensor_name, DType dtype = DType::kF32);
Status write_raw_float(const std::string& path, const Tensor& t);
// A whole raw file of unknown shape (an output written by qforge-net-run), as flat float32 values;
// a bad_input naming the file when it is missing or its size is not a multiple of 4 bytes.
Result<std::vector<float>> read_raw_float_values(const std::string& path);

// Tensor names become file names: '%' '/' ':' '\\' and control characters are percent-encoded
// ("conv1/out:0" -> "conv1%2Fout%3A0"), which is reversible and keeps one file per tensor.
std::string tensor_file_name(const std::string& tensor_name);
std::string tensor_name_from_file(const std::string& file_stem);

}  // namespace qf

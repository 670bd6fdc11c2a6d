// SPDX-License-Identifier: Apache-2.0
#include "io/input_list.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/cast.h"
#include "core/read_file.h"
#include "io/atomic_file.h"

namespace qf {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kNameSeparator = ":=";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::vector<std::string> split_ws(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream ss(line);
  std::string tok;
  while (ss >> tok) out.push_back(tok);
  return out;
}

// What a raw file of the wrong size most likely holds: the same values in another dtype. Only
// the ratios of the float32 size that a dtype explains get a hint.
std::string dtype_hint(uintmax_t actual, uintmax_t needed, const Shape& shape) {
  if (needed == 0) return "";
  const std::string of = fmt::format("of float32 {}", shape_to_string(shape));
  if (actual == 2 * needed) return fmt::format(" (it holds 2x the bytes {}: float64?)", of);
  if (2 * actual == needed) return fmt::format(" (it holds 1/2 the bytes {}: float16?)", of);
  if (4 * actual == needed) return fmt::format(" (it holds 1/4 the bytes {}: uint8 or int8?)", of);
  return "";
}

// A raw file holds exactly the float32 values of its tensor's shape.
Status check_raw_size(uintmax_t actual, const Shape& shape, const std::string& path, const std::string& tensor_name) {
  const uintmax_t needed = static_cast<uintmax_t>(shape_numel(shape)) * sizeof(float);
  if (actual == needed) return Status::ok();
  return bad_input("raw file '{}' has {} bytes; input '{}' {} float32 needs {}{}", path, actual, tensor_name,
                   shape_to_string(shape), needed, dtype_hint(actual, needed, shape));
}

// The file exists and has the size of `shape` in float32, checked without reading it.
Status check_raw_file(const std::string& path, const Shape& shape, const std::string& tensor_name) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return bad_input("raw file '{}' for input '{}' does not exist", path, tensor_name);
  const auto actual = fs::file_size(path, ec);
  if (ec) return bad_input("cannot read raw file '{}': {}", path, ec.message());
  return check_raw_size(actual, shape, path, tensor_name);
}

// The entry of line `index` that feeds each graph input, in graph.inputs() order.
Result<std::vector<const InputEntry*>> entries_by_input(const InputList& list, size_t index, const Graph& graph) {
  const auto& entries = list.inferences.at(index);
  const int line = list.line_numbers.at(index);
  const auto& inputs = graph.inputs();
  std::vector<const InputEntry*> by_input(inputs.size(), nullptr);
  const bool named = !entries.empty() && !entries[0].name.empty();
  if (named) {
    for (const auto& e : entries) {
      if (e.name.empty())
        return bad_input("{}:{}: mixes named (name:=path) and positional entries", list.path, line);
      size_t k = 0;
      while (k < inputs.size() && inputs[k]->name != e.name) ++k;
      if (k == inputs.size()) {
        std::vector<std::string> names;
        for (const Value* v : inputs) names.push_back(v->name);
        return bad_input("{}:{}: the model has no input '{}' (its inputs: {})", list.path, line, e.name,
                         fmt::join(names, ", "));
      }
      by_input[k] = &e;
    }
    for (size_t k = 0; k < inputs.size(); ++k)
      if (!by_input[k]) return bad_input("{}:{}: no file for input '{}'", list.path, line, inputs[k]->name);
  } else {
    if (entries.size() != inputs.size())
      return bad_input("{}:{}: {} paths given, the model has {} inputs", list.path, line, entries.size(), inputs.size());
    for (size_t k = 0; k < inputs.size(); ++k) by_input[k] = &entries[k];
  }
  return by_input;
}

}  // namespace

Result<InputList> parse_input_list(const std::string& text, const std::string& path) {
  InputList list;
  list.path = path;
  const fs::path base = fs::path(path).parent_path();
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    size_t start = 0;
    while (start < line.size() && is_space(line[start])) ++start;
    if (start == line.size()) continue;
    if (line[start] == '#' || line[start] == '%') {
      std::string names = line.substr(start + 1);
      for (char& c : names)
        if (c == ',') c = ' ';
      for (auto& name : split_ws(names)) list.requested_tensors.push_back(name);
      continue;
    }
    std::vector<InputEntry> entries;
    for (const std::string& tok : split_ws(line)) {
      InputEntry e;
      std::string p = tok;
      if (auto sep = tok.find(kNameSeparator); sep != std::string::npos) {
        e.name = tok.substr(0, sep);
        p = tok.substr(sep + kNameSeparator.size());
        if (e.name.empty() || p.empty())
          return bad_input("{}:{}: malformed entry '{}' (expected name:=path)", path, number, tok);
      }
      e.path = fs::path(p).is_absolute() ? p : (base / p).string();
      entries.push_back(std::move(e));
    }
    list.inferences.push_back(std::move(entries));
    list.line_numbers.push_back(number);
  }
  if (list.inferences.empty()) return bad_input("input list '{}' has no inputs", path);
  return list;
}

Result<InputList> read_input_list(const std::string& path) {
  QF_ASSIGN_OR_RETURN(std::string text, read_file_bytes(path, "input list"));
  return parse_input_list(text, path);
}

Result<Tensor> parse_raw_float(const std::string& bytes, const Shape& shape, const std::string& path,
                               const std::string& tensor_name, DType dtype) {
  QF_RETURN_IF_ERROR(check_raw_size(bytes.size(), shape, path, tensor_name));
  Tensor t(DType::kF32, shape);
  if (!bytes.empty()) std::memcpy(t.bytes(), bytes.data(), bytes.size());
  if (dtype == DType::kF32) return t;
  // As ONNX's Cast: a plain static_cast is undefined for NaN and out-of-range values.
  Tensor converted(dtype, shape);
  QF_RETURN_IF_ERROR(cast_tensor(t, converted));
  return converted;
}

Result<Tensor> read_raw_float(const std::string& path, const Shape& shape, const std::string& tensor_name,
                              DType dtype) {
  // The size first, so that a wrong (perhaps huge) file is refused before it is read.
  QF_RETURN_IF_ERROR(check_raw_file(path, shape, tensor_name));
  QF_ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path, "raw file"));
  return parse_raw_float(bytes, shape, path, tensor_name, dtype);
}

Result<std::vector<float>> read_raw_float_values(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return bad_input("raw file '{}' does not exist", path);
  const auto size = fs::file_size(path, ec);
  if (ec) return bad_input("cannot read raw file '{}': {}", path, ec.message());
  if (size % sizeof(float) != 0)
    return bad_input("raw file '{}' has {} bytes, not a whole number of float32 values", path, size);
  std::vector<float> values(size / sizeof(float));
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(size)))
    return bad_input("cannot read raw file '{}'", path);
  return values;
}

Status write_raw_float(const std::string& path, const Tensor& t) {
  if (t.dtype() == DType::kF32) return write_file_atomic(path, t.bytes(), t.nbytes());
  std::vector<float> f = t.to_float_vector();
  return write_file_atomic(path, f.data(), f.size() * sizeof(float));
}

Status check_input_files(const InputList& list, const Graph& graph, size_t lines) {
  const auto& inputs = graph.inputs();
  for (const auto& named_layout : list.layouts) {
    // Named, not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
    const std::string& name = named_layout.first;
    const auto input = std::find_if(inputs.begin(), inputs.end(), [&](const Value* v) { return v->name == name; });
    if (input == inputs.end()) {
      std::vector<std::string> names;
      for (const Value* v : inputs) names.push_back(v->name);
      return usage_error("--input_layout: the model has no input '{}' (its inputs: {})", name, fmt::join(names, ", "));
    }
    if ((*input)->type.shape.size() != 4)
      return usage_error("--input_layout {}: the input is {}, not 4-D (N,C,H,W)", name,
                         shape_to_string((*input)->type.shape));
  }
  for (size_t index = 0; index < std::min(lines, list.inferences.size()); ++index) {
    QF_ASSIGN_OR_RETURN(std::vector<const InputEntry*> by_input, entries_by_input(list, index, graph));
    for (size_t k = 0; k < inputs.size(); ++k)
      QF_RETURN_IF_ERROR(check_raw_file(by_input[k]->path, inputs[k]->type.shape, inputs[k]->name)
                             .with_context(fmt::format("{}:{}", list.path, list.line_numbers[index])));
  }
  return Status::ok();
}

Result<std::vector<Tensor>> load_inference_inputs(const InputList& list, size_t index, const Graph& graph) {
  QF_ASSIGN_OR_RETURN(std::vector<const InputEntry*> by_input, entries_by_input(list, index, graph));
  const auto& inputs = graph.inputs();
  std::vector<Tensor> tensors;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Value& input = *inputs[k];
    const auto layout = list.layouts.find(input.name);
    if (layout == list.layouts.end() || layout->second == InputLayout::kNCHW) {
      QF_ASSIGN_OR_RETURN(Tensor t, read_raw_float(by_input[k]->path, input.type.shape, input.name, input.type.dtype));
      tensors.push_back(std::move(t));
      continue;
    }
    const Shape& s = input.type.shape;
    if (s.size() != 4) return usage_error("--input_layout {}: the input is {}, not 4-D (N,C,H,W)", input.name,
                                          shape_to_string(s));
    QF_ASSIGN_OR_RETURN(Tensor nhwc, read_raw_float(by_input[k]->path, {s[0], s[2], s[3], s[1]}, input.name));
    Tensor nchw = nhwc_to_nchw(nhwc);
    if (input.type.dtype == DType::kF32) {
      tensors.push_back(std::move(nchw));
      continue;
    }
    Tensor converted(input.type.dtype, s);
    QF_RETURN_IF_ERROR(cast_tensor(nchw, converted));
    tensors.push_back(std::move(converted));
  }
  return tensors;
}

std::string tensor_file_name(const std::string& tensor_name) {
  std::string out;
  for (unsigned char c : tensor_name) {
    if (c == '%' || c == '/' || c == ':' || c == '\\' || c < 0x20) {
      out += fmt::format("%{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.empty() || out == "." || out == "..") out = fmt::format("%2E{}", out.substr(std::min<size_t>(1, out.size())));
  return out;
}

std::string tensor_name_from_file(const std::string& file_stem) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < file_stem.size(); ++i) {
    if (file_stem[i] == '%' && i + 2 < file_stem.size() && hex(file_stem[i + 1]) >= 0 && hex(file_stem[i + 2]) >= 0) {
      out += static_cast<char>(hex(file_stem[i + 1]) * 16 + hex(file_stem[i + 2]));
      i += 2;
    } else {
      out += file_stem[i];
    }
  }
  return out;
}

}  // namespace qf

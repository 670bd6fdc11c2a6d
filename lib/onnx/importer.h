// SPDX-License-Identifier: Apache-2.0
// ONNX -> ir::Graph. The only part of qforge that sees ONNX protobuf types.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace qf {

inline constexpr int64_t kMaxIrVersion = 10;

struct ImportOptions {
  // --input_dim NAME DIMS: fixes an input's shape (free dims such as a dynamic batch).
  std::map<std::string, Shape> input_dims;
  // Inputs that become constants with these values (parameters such as a Resize's scales that a
  // model feeds as inputs; qforge needs them known at load time).
  std::map<std::string, Tensor> frozen_inputs;
  // Appended to the error for bytes that are no ONNX model, by a tool that reads another format
  // too (qforge-net-run: a qgraph), so that the error says what was expected.
  std::string also_expected;
};

// Reads and canonicalizes (every supported opset into one form per op). The graph is not verified
// yet: only graph inputs and constants have types. driver/load_model.h's load_onnx_file infers
// the shapes, folds constants (which runs reference kernels, a layer above this one) and
// verifies; tools and tests load models through it. Errors are one line naming the file and the
// node or tensor.
Result<std::unique_ptr<Graph>> import_onnx_file(const std::string& path, const ImportOptions& options = {});
// The same from a model's bytes already in memory (import_onnx_file reads the file and calls
// this; the fuzz target tests/fuzz/onnx_import.cpp feeds it directly). `path` is where the bytes
// came from: errors name it and external data files are looked up in its folder.
Result<std::unique_ptr<Graph>> import_onnx_bytes(const std::string& bytes, const std::string& path,
                                                 const ImportOptions& options = {});

// A serialized TensorProto (the ONNX backend test data's input_N.pb / output_N.pb).
Result<Tensor> read_tensor_proto_file(const std::string& path);

}  // namespace qf

namespace qf {

// The op types a model uses (domain-qualified outside the default domain), without importing it.
Result<std::vector<std::string>> onnx_op_types(const std::string& path);

}  // namespace qf

namespace qf {

// The names of a model's graph inputs that are not initializers, in order.
Result<std::vector<std::string>> onnx_input_names(const std::string& path);

}  // namespace qf

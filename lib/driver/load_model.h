// SPDX-License-Identifier: Apache-2.0
// An ONNX model as every tool needs it: imported (onnx/importer.h), its shapes inferred and its
// constant subgraphs folded (passes/propagate_shapes.h: Shape -> Gather -> Concat -> Reshape of a
// dynamic-batch export becomes a constant shape), dead values dropped, verified.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "ir/graph.h"
#include "onnx/importer.h"

namespace qf {

Result<std::unique_ptr<Graph>> load_onnx_file(const std::string& path, const ImportOptions& options = {});
// The same from a model's bytes in memory; `path` is where they came from (errors name it, and
// external data files are looked up in its folder).
Result<std::unique_ptr<Graph>> load_onnx_bytes(const std::string& bytes, const std::string& path,
                                               const ImportOptions& options = {});

}  // namespace qf

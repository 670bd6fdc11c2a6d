// SPDX-License-Identifier: Apache-2.0
#include "driver/load_model.h"

#include "ir/verify.h"
#include "passes/propagate_shapes.h"

namespace qf {
namespace {

Result<std::unique_ptr<Graph>> complete(Result<std::unique_ptr<Graph>> imported) {
  if (!imported.is_ok()) return imported.status();
  std::unique_ptr<Graph> graph = std::move(*imported);
  const std::string& path = graph->source_path;
  QF_RETURN_IF_ERROR(propagate_shapes(*graph).status().with_context(path));
  graph->remove_dead_values();
  QF_RETURN_IF_ERROR(verify_graph(*graph).with_context(path));
  return graph;
}

}  // namespace

Result<std::unique_ptr<Graph>> load_onnx_file(const std::string& path, const ImportOptions& options) {
  return complete(import_onnx_file(path, options));
}

Result<std::unique_ptr<Graph>> load_onnx_bytes(const std::string& bytes, const std::string& path,
                                               const ImportOptions& options) {
  return complete(import_onnx_bytes(bytes, path, options));
}

}  // namespace qf

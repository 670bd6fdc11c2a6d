// SPDX-License-Identifier: Apache-2.0
// What qforge-diff reads from the converter's model.qgraph.json: only these fields, so that the
// package format may grow without breaking the diff.
//   "format": "qforge.qgraph", "version": 1
//   "tensors": [{"name", "shape": [int], "dtype", "encoding"?: {"bitwidth", "signed", "symmetric",
//                "axis" (-1: per tensor), "scale": [float], "offset": [int], "source"}}]
//   "nodes": [{"name", "op", "inputs": [str], "outputs": [str]}]   in topological order
//   "tensor_map": {"<original ONNX tensor name>": "<surviving tensor name>" | null}
//   "outputs": [str]                  the graph outputs; optional (when absent: node outputs no node reads)
// null in tensor_map: the tensor no longer exists (a conv output folded into BatchNorm, say).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/encoding.h"

namespace qf::compare {

inline constexpr std::string_view kQGraphFormat = "qforge.qgraph";
inline constexpr int kQGraphVersion = 1;

struct QGraphTensor {
  Shape shape;
  std::string dtype;
  std::optional<Encoding> encoding;
  std::string encoding_source;  // "calibration", "override", "qdq" or "propagated"
};

struct QGraphNode {
  std::string name;
  std::string op;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
};

struct QGraphInfo {
  std::string path;
  std::map<std::string, QGraphTensor> tensors;
  std::vector<QGraphNode> nodes;  // topological order
  std::map<std::string, std::optional<std::string>> tensor_map;
  std::vector<std::string> outputs;  // the file's "outputs"; empty when it has none

  const QGraphTensor* tensor(const std::string& name) const;
  // The node that computes a tensor, by index into nodes; nullopt for graph inputs and constants.
  std::optional<size_t> producer(const std::string& tensor_name) const;
  // The graph outputs: the file's "outputs", else the node outputs that no node reads, in node
  // order (a node output nobody reads, such as an unused second output, is no graph output when
  // the file says which are).
  std::vector<std::string> graph_outputs() const;
  // The name a tensor of the original model has in this graph: tensor_map's entry (nullopt when
  // it maps to null), or the same name when tensor_map does not mention it.
  std::optional<std::string> surviving_name(const std::string& original_name) const;

 private:
  friend Result<QGraphInfo> parse_qgraph_info(const std::string& json_text, const std::string& path);
  std::map<std::string, size_t> producers_;
};

// A bad_input naming the file (and the tensor or node) when it is missing, not JSON, of another
// format or version, or a field above has the wrong type.
Result<QGraphInfo> read_qgraph_info(const std::string& path);
Result<QGraphInfo> parse_qgraph_info(const std::string& json_text, const std::string& path);

}  // namespace qf::compare

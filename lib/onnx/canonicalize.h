// SPDX-License-Identifier: Apache-2.0
// Rewrites a freshly imported node into the one form per op that inference and kernels read,
// whatever opset (7..21) the model was written for.
#pragma once

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

// Attribute name under which the importer records the node's ONNX op type (for aliases such as
// Upsample -> Resize); canonicalize_node consumes and removes it.
inline constexpr const char* kOnnxOpTypeAttr = "onnx_op_type";

Status canonicalize_node(Graph& graph, Node& node);

}  // namespace qf

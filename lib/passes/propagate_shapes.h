// SPDX-License-Identifier: Apache-2.0
// Shape propagation with constant folding, in one topological sweep.
//
//   Shape(x:[1,3,224,224]) -> Gather(idx=0) -> Unsqueeze -> Concat(.., [-1]) -> Reshape(y, .)
//   becomes
//   Reshape(y, const [1,-1])
//
// Every node's output types are inferred; a node whose inputs are all constant (or whose result
// follows from shapes alone, like Shape) is evaluated with the reference kernel and removed, its
// outputs becoming constants. PyTorch exports with a dynamic batch rely on this.
#pragma once

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

// QuantizeLinear / DequantizeLinear nodes are folded only when fold_quantization is set: at import
// they stay, because the converter reads the encodings they carry (passes/absorb_qdq.cpp).
Result<bool> propagate_shapes(Graph& graph, bool fold_quantization = false);

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
// A readable text form of a Graph, one line per node, for --dump_ir_after and for debugging:
//
//   graph opset 13: inputs x:f32[1,3,32,32]
//     y:f32[1,6,28,28] = Conv(x, w:const f32[6,3,5,5], b:const f32[6]) {group=1, fused_min=0}  # conv1
//   outputs y
#pragma once

#include <string>

#include "ir/graph.h"

namespace qf {

std::string dump_graph(const Graph& graph);

}  // namespace qf

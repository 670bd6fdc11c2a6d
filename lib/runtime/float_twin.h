// SPDX-License-Identifier: Apache-2.0
// A quantized graph's float twin: the same nodes over dequantized constants and without
// encodings. The executor builds fp32 kernels from it for the nodes of a quantized graph that run
// in float (between a dequantize and a quantize), so that every fp32 kernel keeps reading plain
// float constants.
#pragma once

#include <memory>
#include <unordered_map>

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

struct FloatTwin {
  std::unique_ptr<Graph> graph;
  std::unordered_map<const Node*, Node*> node;  // original -> twin
};

Result<FloatTwin> make_float_twin(const Graph& quantized);

}  // namespace qf

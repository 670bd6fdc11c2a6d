// SPDX-License-Identifier: Apache-2.0
// A quantized graph's float twin: the nodes that run in float, over dequantized constants and
// without encodings. The executor builds fp32 kernels from it, so that every fp32 kernel keeps
// reading plain float constants. It is filled node by node, as the executor needs them: only the
// constants of float nodes are ever dequantized (memory stays close to the blob's size).
#pragma once

#include <memory>
#include <unordered_map>

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

// A constant's value as the float path reads it: its payload, dequantized when it holds codes.
Result<Tensor> float_payload(const Value& constant);

class FloatTwin {
 public:
  // The twin of `node` (created on first call), its inputs and outputs twinned as well.
  Result<const Node*> node_for(const Node& node);

 private:
  Result<Value*> value_for(const Value& v);

  Graph graph_;
  std::unordered_map<const Node*, const Node*> nodes_;
  std::unordered_map<const Value*, Value*> values_;
};

}  // namespace qf

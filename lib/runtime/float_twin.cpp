// SPDX-License-Identifier: Apache-2.0
#include "runtime/float_twin.h"

namespace qf {

Result<FloatTwin> make_float_twin(const Graph& quantized) {
  FloatTwin twin;
  twin.graph = std::make_unique<Graph>();
  Graph& g = *twin.graph;
  g.opset = quantized.opset;
  g.ir_version = quantized.ir_version;
  g.source_path = quantized.source_path;
  std::unordered_map<const Value*, Value*> value;
  for (const auto& v : quantized.values()) {
    Value* copy = nullptr;
    if (v->is_constant()) {
      Tensor payload = *v->constant;
      if (v->encoding && payload.dtype() != DType::kF32) {
        QF_ASSIGN_OR_RETURN(payload, dequantize(payload, *v->encoding));
      }
      copy = g.add_constant(v->name, std::move(payload));
    } else {
      QF_ASSIGN_OR_RETURN(copy, g.add_value(v->name));
    }
    copy->type = v->type;
    value[v.get()] = copy;
  }
  auto map = [&](const std::vector<Value*>& vs) {
    std::vector<Value*> out;
    for (const Value* v : vs) out.push_back(v ? value.at(v) : nullptr);
    return out;
  };
  for (const auto& n : quantized.nodes()) {
    QF_ASSIGN_OR_RETURN(Node* copy, g.add_node(n->kind, n->name, map(n->inputs), map(n->outputs)));
    copy->attrs = n->attrs;
    twin.node[n.get()] = copy;
  }
  g.inputs() = map(quantized.inputs());
  g.outputs() = map(quantized.outputs());
  return twin;
}

}  // namespace qf

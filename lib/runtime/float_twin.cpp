// SPDX-License-Identifier: Apache-2.0
#include "runtime/float_twin.h"

namespace qf {

Result<Tensor> float_payload(const Value& constant) {
  const Tensor& payload = *constant.constant;
  if (constant.encoding && payload.dtype() != DType::kF32) return dequantize(payload, *constant.encoding);
  return payload;
}

Result<Value*> FloatTwin::value_for(const Value& v) {
  if (auto it = values_.find(&v); it != values_.end()) return it->second;
  Value* copy = nullptr;
  if (v.is_constant()) {
    QF_ASSIGN_OR_RETURN(Tensor payload, float_payload(v));
    copy = graph_.add_constant(v.name, std::move(payload));
  } else {
    QF_ASSIGN_OR_RETURN(copy, graph_.add_value(v.name));
  }
  copy->type = v.type;
  values_[&v] = copy;
  return copy;
}

Result<const Node*> FloatTwin::node_for(const Node& node) {
  if (auto it = nodes_.find(&node); it != nodes_.end()) return it->second;
  std::vector<Value*> ins, outs;
  for (const Value* v : node.inputs) {
    if (!v) {
      ins.push_back(nullptr);
      continue;
    }
    QF_ASSIGN_OR_RETURN(Value* copy, value_for(*v));
    ins.push_back(copy);
  }
  for (const Value* v : node.outputs) {
    if (!v) {
      outs.push_back(nullptr);
      continue;
    }
    QF_ASSIGN_OR_RETURN(Value* copy, value_for(*v));
    outs.push_back(copy);
  }
  QF_ASSIGN_OR_RETURN(Node* copy, graph_.add_node(node.kind, node.name, std::move(ins), std::move(outs)));
  copy->attrs = node.attrs;
  nodes_[&node] = copy;
  return copy;
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
#include "ir/verify.h"

#include <algorithm>
#include <unordered_set>

namespace qf {

Status verify_graph(const Graph& graph) {
  std::unordered_set<const Node*> nodes;
  for (const auto& n : graph.nodes()) nodes.insert(n.get());
  std::unordered_set<const Value*> graph_inputs(graph.inputs().begin(), graph.inputs().end());

  auto check_defined = [&](const Value* v, const std::string& user) -> Status {
    if (v->producer) {
      if (!nodes.count(v->producer))
        return internal_error("verifier: '{}' (read by {}) is produced by a node no longer in the graph", v->name, user);
      return Status::ok();
    }
    if (v->is_constant() || graph_inputs.count(v)) return Status::ok();
    return bad_input("tensor '{}' (read by {}) is never produced", v->name, user);
  };

  for (const auto& n : graph.nodes()) {
    for (const Value* in : n->inputs) {
      if (!in) continue;
      QF_RETURN_IF_ERROR(check_defined(in, n->describe()));
      if (std::find(in->consumers.begin(), in->consumers.end(), n.get()) == in->consumers.end())
        return internal_error("verifier: {} reads '{}' but is not among its consumers", n->describe(), in->name);
    }
    for (const Value* out : n->outputs) {
      if (!out) continue;
      if (out->producer != n.get())
        return internal_error("verifier: {} lists output '{}' produced by another node", n->describe(), out->name);
      if (!out->type.is_static())
        return unsupported("{}: the shape of output '{}' could not be determined", n->describe(), out->name);
      if (!checked_numel(out->type.shape))
        return bad_input("{}: output '{}' would have the shape {}, too large to hold", n->describe(), out->name,
                         shape_to_string(out->type.shape));
    }
  }
  for (const Value* out : graph.outputs()) QF_RETURN_IF_ERROR(check_defined(out, "the graph outputs"));
  auto order = graph.topo_order();
  if (!order.is_ok()) return order.status();
  return Status::ok();
}

}  // namespace qf

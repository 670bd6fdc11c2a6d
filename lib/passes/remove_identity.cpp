// SPDX-License-Identifier: Apache-2.0
// Identity, inference-mode Dropout and a Cast to the dtype its input already has copy their input:
//
//   P -> a -> Identity -> b -> ...      becomes      P -> b -> ...
//
// The producer takes over the output's name, so graph outputs keep theirs. When the input has
// other readers (or is a graph input), the Identity's readers read the input instead; an Identity
// between a graph input and a graph output stays.
#include "passes/passes.h"

#include "passes/rewrite.h"

namespace qf {

Result<bool> remove_identity(Graph& graph) {
  constexpr std::string_view kPass = "remove_identity";
  std::vector<Node*> candidates;
  for (const auto& n : graph.nodes()) {
    const bool noop_cast = n->kind == OpKind::kCast && n->input(0) && !n->outputs.empty() && n->outputs[0] &&
                           n->input(0)->type.dtype == n->outputs[0]->type.dtype;
    if (n->kind == OpKind::kIdentity || n->kind == OpKind::kDropout || noop_cast) candidates.push_back(n.get());
  }
  bool changed = false;
  for (Node* node : candidates) {
    Value* in = node->input(0);
    Value* out = node->outputs.empty() ? nullptr : node->outputs[0];
    if (!in || !out) continue;
    if (absorb_into_producer(graph, node, kPass, /*same_values=*/true)) {
      changed = true;
    } else if (!graph.is_output(out)) {
      graph.replace_all_uses_with(out, in);
      graph.erase_node(node);
      graph.record_removed(out->name, in->name, kPass, /*same_values=*/true);
      changed = true;
    }
  }
  if (changed) graph.remove_dead_values();
  return changed;
}

}  // namespace qf

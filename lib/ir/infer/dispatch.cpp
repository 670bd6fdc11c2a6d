// SPDX-License-Identifier: Apache-2.0
#include "ir/infer.h"

namespace qf {
namespace {

Status infer_by_kind(Node& node) {
  switch (node.kind) {
#define QF_OP(kind, ...) \
  case OpKind::k##kind:                    \
    return infer_##kind(node);
#include "ir/ops.def"
  }
  return internal_error("{}: no shape inference", node.describe());
}

// Every inferred shape is bounded (each dim -1 or known, the known dims' product at most
// kMaxTensorElements), so that element counts computed from it never overflow and neither
// folding nor running the graph asks for an absurd allocation. The per-op functions can then
// compute with dims of at most 2^40 without checking each sum.
Status check_output_shapes(const Node& node) {
  for (const Value* out : node.outputs) {
    if (!out || !out->type.has_shape) continue;
    Shape known = out->type.shape;
    for (int64_t& d : known) d = d == -1 ? 1 : d;
    if (!checked_numel(known))
      return bad_input("{}: output '{}' would have shape {} (a negative dimension, or more than 2^40 elements)",
                       node.describe(), out->name, shape_to_string(out->type.shape));
  }
  return Status::ok();
}

}  // namespace

Status infer_node(Node& node) {
  QF_RETURN_IF_ERROR(infer_by_kind(node));
  return check_output_shapes(node);
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
#include "ir/infer.h"

namespace qf {

Status infer_node(Node& node) {
  switch (node.kind) {
#define QF_OP(kind, onnx_name, quant_rule, input_roles) \
  case OpKind::k##kind:                    \
    return infer_##kind(node);
#include "ir/ops.def"
  }
  return internal_error("{}: no shape inference", node.describe());
}

}  // namespace qf

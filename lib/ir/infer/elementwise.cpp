// SPDX-License-Identifier: Apache-2.0
// Shape inference for elementwise ops: activations, broadcasting arithmetic, Clip, PRelu and Cast.
#include "ir/infer.h"
#include "ir/infer/infer_util.h"

namespace qf {
namespace {

Status same_as_input(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  set_output_type(node, 0, x->dtype, x->shape);
  return Status::ok();
}

// Multidirectional broadcasting; the output takes input 0's dtype (Pow's exponent may differ).
Status broadcast_binary(Node& node, bool same_dtype) {
  QF_ASSIGN_OR_RETURN(const TensorType* a, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(const TensorType* b, input_type(node, 1));
  if (same_dtype && a->dtype != b->dtype)
    return bad_input("{}: inputs have different dtypes ({} and {})", node.describe(), dtype_name(a->dtype),
                     dtype_name(b->dtype));
  QF_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(node, a->shape, b->shape));
  set_output_type(node, 0, a->dtype, std::move(out));
  return Status::ok();
}

// Equal / Less / Greater (and And): broadcasting, same dtypes, a bool result.
Status compare_binary(Node& node) {
  QF_RETURN_IF_ERROR(broadcast_binary(node, true));
  if (!node.outputs.empty() && node.outputs[0]) node.outputs[0]->type.dtype = DType::kBool;
  return Status::ok();
}

}  // namespace

Status infer_Relu(Node& node) { return same_as_input(node); }
Status infer_LeakyRelu(Node& node) { return same_as_input(node); }
Status infer_Sigmoid(Node& node) { return same_as_input(node); }
Status infer_HardSigmoid(Node& node) { return same_as_input(node); }
Status infer_HardSwish(Node& node) { return same_as_input(node); }
Status infer_Tanh(Node& node) { return same_as_input(node); }
Status infer_Erf(Node& node) { return same_as_input(node); }
Status infer_Exp(Node& node) { return same_as_input(node); }
Status infer_Sqrt(Node& node) { return same_as_input(node); }
Status infer_Neg(Node& node) { return same_as_input(node); }
Status infer_Reciprocal(Node& node) { return same_as_input(node); }

Status infer_Gelu(Node& node) {
  const std::string approximate = node.attr_string("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return bad_input("{}: unknown approximate '{}' (none, tanh)", node.describe(), approximate);
  return same_as_input(node);
}

Status infer_Clip(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  for (size_t i = 1; i <= 2; ++i) {
    const Value* bound = node.input(i);
    if (!bound) continue;
    if (bound->type.dtype != x->dtype)
      return bad_input("{}: {} has dtype {}, the input {}", node.describe(), i == 1 ? "min" : "max",
                       dtype_name(bound->type.dtype), dtype_name(x->dtype));
    if (bound->type.has_shape && shape_numel(bound->type.shape) > 1)
      return bad_input("{}: {} must be a scalar", node.describe(), i == 1 ? "min" : "max");
  }
  set_output_type(node, 0, x->dtype, x->shape);
  return Status::ok();
}

Status infer_Add(Node& node) { return broadcast_binary(node, true); }
Status infer_Sub(Node& node) { return broadcast_binary(node, true); }
Status infer_Mul(Node& node) { return broadcast_binary(node, true); }
Status infer_Div(Node& node) { return broadcast_binary(node, true); }
Status infer_Pow(Node& node) { return broadcast_binary(node, false); }

Status infer_Equal(Node& node) { return compare_binary(node); }
Status infer_Less(Node& node) { return compare_binary(node); }
Status infer_Greater(Node& node) { return compare_binary(node); }

Status infer_And(Node& node) {
  QF_RETURN_IF_ERROR(compare_binary(node));
  QF_ASSIGN_OR_RETURN(const TensorType* a, input_type(node, 0));
  if (a->dtype != DType::kBool) return bad_input("{}: inputs must be bool, not {}", node.describe(), dtype_name(a->dtype));
  return Status::ok();
}

Status infer_Not(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  if (x->dtype != DType::kBool) return bad_input("{}: the input must be bool, not {}", node.describe(), dtype_name(x->dtype));
  set_output_type(node, 0, DType::kBool, x->shape);
  return Status::ok();
}

Status infer_Where(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* cond, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 1));
  QF_ASSIGN_OR_RETURN(const TensorType* y, input_type(node, 2));
  if (cond->dtype != DType::kBool)
    return bad_input("{}: the condition must be bool, not {}", node.describe(), dtype_name(cond->dtype));
  if (x->dtype != y->dtype)
    return bad_input("{}: X and Y have different dtypes ({} and {})", node.describe(), dtype_name(x->dtype),
                     dtype_name(y->dtype));
  QF_ASSIGN_OR_RETURN(Shape xy, broadcast_shapes(node, x->shape, y->shape));
  QF_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(node, cond->shape, xy));
  set_output_type(node, 0, x->dtype, std::move(out));
  return Status::ok();
}

Status infer_PRelu(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(const TensorType* slope, input_type(node, 1));
  if (slope->dtype != x->dtype)
    return bad_input("{}: slope has dtype {}, the input {}", node.describe(), dtype_name(slope->dtype),
                     dtype_name(x->dtype));
  // The slope broadcasts to X (unidirectionally): X's shape must survive broadcasting unchanged.
  QF_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(node, x->shape, slope->shape));
  bool ok = out.size() == x->shape.size();
  for (size_t i = 0; ok && i < out.size(); ++i) ok = x->shape[i] < 0 || out[i] < 0 || out[i] == x->shape[i];
  if (!ok)
    return bad_input("{}: slope {} does not broadcast to input {}", node.describe(),
                     shape_to_string(slope->shape), shape_to_string(x->shape));
  set_output_type(node, 0, x->dtype, x->shape);
  return Status::ok();
}

Status infer_Cast(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  if (!node.has_attr("to")) return bad_input("{}: attribute 'to' is missing", node.describe());
  const int64_t to = node.attr_int("to", 0);
  const std::optional<DType> dtype = dtype_from_onnx(static_cast<int>(to));
  if (!dtype) return unsupported("{}: casting to ONNX data type {} is not supported", node.describe(), to);
  set_output_type(node, 0, *dtype, x->shape);
  return Status::ok();
}

}  // namespace qf

namespace qf {
namespace {

// QuantizeLinear / DequantizeLinear: the scale (and zero point) is a scalar, or 1-D along `axis`.
Status check_quantization_params(const Node& node, const TensorType& x) {
  const Value* scale = node.input(1);
  if (!scale) return bad_input("{}: the scale input is missing", node.describe());
  if (node.attr_int("block_size", 0) != 0) return unsupported("{}: blocked quantization is not supported", node.describe());
  const Shape& s = scale->type.shape;
  if (s.size() > 1) return bad_input("{}: the scale must be a scalar or 1-D", node.describe());
  if (shape_numel(s) != 1) {
    QF_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(node, node.attr_int("axis", 1), static_cast<int64_t>(x.shape.size())));
    if (x.shape[static_cast<size_t>(axis)] != s[0])
      return bad_input("{}: {} scales for axis {} of size {}", node.describe(), s[0], axis,
                       x.shape[static_cast<size_t>(axis)]);
  }
  const Value* zp = node.input(2);
  if (zp && zp->type.shape != s && shape_numel(zp->type.shape) != shape_numel(s))
    return bad_input("{}: the zero point's shape differs from the scale's", node.describe());
  return Status::ok();
}

}  // namespace

Status infer_QuantizeLinear(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_RETURN_IF_ERROR(check_quantization_params(node, *x));
  const Value* zp = node.input(2);
  const DType out = zp ? zp->type.dtype : DType::kU8;
  if (out != DType::kU8 && out != DType::kS8)
    return unsupported("{}: quantizing to {} is not supported (uint8, int8)", node.describe(), dtype_name(out));
  set_output_type(node, 0, out, x->shape);
  return Status::ok();
}

Status infer_DequantizeLinear(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_RETURN_IF_ERROR(check_quantization_params(node, *x));
  if (x->dtype != DType::kU8 && x->dtype != DType::kS8 && x->dtype != DType::kS32)
    return unsupported("{}: dequantizing {} is not supported (uint8, int8, int32)", node.describe(), dtype_name(x->dtype));
  set_output_type(node, 0, DType::kF32, x->shape);
  return Status::ok();
}

}  // namespace qf

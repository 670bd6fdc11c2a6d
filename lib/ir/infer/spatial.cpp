// SPDX-License-Identifier: Apache-2.0
// Shape inference for convolutions, pools, normalization, matrix products, Resize, Pad, Softmax
// and ReduceMean. Window arithmetic lives in spatial_util so that the kernels share it.
#include <algorithm>

#include "ir/einsum.h"
#include "ir/infer.h"
#include "ir/infer/infer_util.h"
#include "ir/infer/spatial_util.h"

namespace qf {
namespace {

std::vector<int64_t> spatial_dims(const Shape& s) { return {s.begin() + 2, s.end()}; }

Status check_rank_at_least(const Node& node, const TensorType& t, size_t rank, const char* what) {
  if (t.shape.size() < rank)
    return bad_input("{}: {} has rank {}, expected at least {}", node.describe(), what, t.shape.size(), rank);
  return Status::ok();
}

bool known_and_differ(int64_t a, int64_t b) { return a >= 0 && b >= 0 && a != b; }

// Only the first output is computed; training-only outputs must not be requested.
Status only_first_output(const Node& node) {
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (node.outputs[i]) return unsupported("{}: output {} is not supported", node.describe(), i);
  return Status::ok();
}

Status check_bias(const Node& node, size_t index, int64_t channels) {
  const Value* b = node.input(index);
  if (!b || !b->type.has_shape) return Status::ok();
  if (b->type.shape.size() != 1 || known_and_differ(b->type.shape[0], channels))
    return bad_input("{}: bias shape {} does not match {} output channels", node.describe(),
                     shape_to_string(b->type.shape), channels);
  return Status::ok();
}

Status infer_pool(Node& node) {
  QF_RETURN_IF_ERROR(only_first_output(node));
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_RETURN_IF_ERROR(check_rank_at_least(node, *x, 3, "input"));
  QF_ASSIGN_OR_RETURN(const WindowGeometry g, window_geometry(node, spatial_dims(x->shape), {}, true));
  Shape out = {x->shape[0], x->shape[1]};
  out.insert(out.end(), g.out.begin(), g.out.end());
  set_output_type(node, 0, x->dtype, out);
  return Status::ok();
}

Status infer_global_pool(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_RETURN_IF_ERROR(check_rank_at_least(node, *x, 2, "input"));
  Shape out = x->shape;
  std::fill(out.begin() + 2, out.end(), 1);
  set_output_type(node, 0, x->dtype, out);
  return Status::ok();
}

Status infer_softmax_like(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  if (rank == 0) return bad_input("{}: input must have rank >= 1", node.describe());
  QF_RETURN_IF_ERROR(normalize_axis(node, node.attr_int("axis", -1), rank).status());
  set_output_type(node, 0, x->dtype, x->shape);
  return Status::ok();
}

Status infer_reduce(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(const std::optional<std::vector<int64_t>> axes, constant_ints(node, 1));
  QF_ASSIGN_OR_RETURN(const std::optional<std::vector<bool>> mask,
                      reduced_axes(node, static_cast<int64_t>(x->shape.size()), axes));
  if (!mask) {
    set_output_type(node, 0, x->dtype, x->shape);
    return Status::ok();
  }
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  Shape out;
  for (size_t i = 0; i < x->shape.size(); ++i) {
    if (!(*mask)[i]) {
      out.push_back(x->shape[i]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  set_output_type(node, 0, x->dtype, out);
  return Status::ok();
}

}  // namespace

Status infer_Conv(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(const TensorType* w, input_type(node, 1));
  QF_RETURN_IF_ERROR(check_rank_at_least(node, *x, 3, "input"));
  if (w->shape.size() != x->shape.size())
    return bad_input("{}: weights {} and input {} differ in rank", node.describe(), shape_to_string(w->shape),
                     shape_to_string(x->shape));
  const int64_t group = node.attr_int("group", 1);
  if (group < 1) return bad_input("{}: group {} must be positive", node.describe(), group);
  const int64_t m = w->shape[0];
  if (x->shape[1] >= 0 && w->shape[1] >= 0 && x->shape[1] != w->shape[1] * group)
    return bad_input("{}: input has {} channels, weights expect {} x {} groups", node.describe(), x->shape[1],
                     w->shape[1], group);
  if (m >= 0 && m % group != 0)
    return bad_input("{}: {} output channels are not divisible by {} groups", node.describe(), m, group);
  QF_RETURN_IF_ERROR(check_bias(node, 2, m));
  QF_ASSIGN_OR_RETURN(const WindowGeometry g,
                      window_geometry(node, spatial_dims(x->shape), spatial_dims(w->shape), false));
  Shape out = {x->shape[0], m};
  out.insert(out.end(), g.out.begin(), g.out.end());
  if (node.input(3)) {
    QF_ASSIGN_OR_RETURN(const TensorType* residual, input_type(node, 3));
    if (residual->shape != out)
      return bad_input("{}: the residual {} differs from the output {}", node.describe(),
                       shape_to_string(residual->shape), shape_to_string(out));
  }
  set_output_type(node, 0, x->dtype, out);
  return Status::ok();
}

Status infer_ConvTranspose(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(const TensorType* w, input_type(node, 1));
  QF_RETURN_IF_ERROR(check_rank_at_least(node, *x, 3, "input"));
  if (w->shape.size() != x->shape.size())
    return bad_input("{}: weights {} and input {} differ in rank", node.describe(), shape_to_string(w->shape),
                     shape_to_string(x->shape));
  const int64_t group = node.attr_int("group", 1);
  if (group < 1) return bad_input("{}: group {} must be positive", node.describe(), group);
  if (known_and_differ(x->shape[1], w->shape[0]))
    return bad_input("{}: input has {} channels, weights have {}", node.describe(), x->shape[1], w->shape[0]);
  if (w->shape[0] >= 0 && w->shape[0] % group != 0)
    return bad_input("{}: {} input channels are not divisible by {} groups", node.describe(), w->shape[0],
                     group);
  const int64_t m = w->shape[1] < 0 ? -1 : w->shape[1] * group;
  QF_RETURN_IF_ERROR(check_bias(node, 2, m));
  QF_ASSIGN_OR_RETURN(const WindowGeometry g,
                      conv_transpose_geometry(node, spatial_dims(x->shape), spatial_dims(w->shape)));
  Shape out = {x->shape[0], m};
  out.insert(out.end(), g.out.begin(), g.out.end());
  set_output_type(node, 0, x->dtype, out);
  return Status::ok();
}

Status infer_BatchNormalization(Node& node) {
  if (node.attr_int("training_mode", 0) != 0)
    return unsupported("{}: training_mode=1 is not supported (inference only)", node.describe());
  QF_RETURN_IF_ERROR(only_first_output(node));
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_RETURN_IF_ERROR(check_rank_at_least(node, *x, 2, "input"));
  for (size_t i = 1; i <= 4; ++i) {
    QF_ASSIGN_OR_RETURN(const TensorType* p, input_type(node, i));
    if (p->shape.size() != 1 || known_and_differ(p->shape[0], x->shape[1]))
      return bad_input("{}: input {} has shape {}, expected [{}]", node.describe(), i,
                       shape_to_string(p->shape), x->shape[1]);
  }
  set_output_type(node, 0, x->dtype, x->shape);
  return Status::ok();
}

Status infer_MaxPool(Node& node) { return infer_pool(node); }

Status infer_AveragePool(Node& node) { return infer_pool(node); }

Status infer_GlobalAveragePool(Node& node) { return infer_global_pool(node); }

Status infer_GlobalMaxPool(Node& node) { return infer_global_pool(node); }

Status infer_Gemm(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* a, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(const TensorType* b, input_type(node, 1));
  if (a->shape.size() != 2 || b->shape.size() != 2)
    return bad_input("{}: A {} and B {} must be 2-D", node.describe(), shape_to_string(a->shape),
                     shape_to_string(b->shape));
  const bool ta = node.attr_int("transA", 0) != 0, tb = node.attr_int("transB", 0) != 0;
  const int64_t m = a->shape[ta ? 1 : 0], k = a->shape[ta ? 0 : 1];
  const int64_t kb = b->shape[tb ? 1 : 0], n = b->shape[tb ? 0 : 1];
  if (known_and_differ(k, kb)) return bad_input("{}: inner dims differ ({} vs {})", node.describe(), k, kb);
  if (const Value* c = node.input(2); c && c->type.has_shape) {
    const Shape& cs = c->type.shape;
    const Shape target = {m, n};
    bool ok = cs.size() <= 2;
    for (size_t i = 0; ok && i < cs.size(); ++i) {
      const int64_t t = target[2 - cs.size() + i];
      ok = cs[i] == 1 || !known_and_differ(cs[i], t);
    }
    if (!ok)
      return bad_input("{}: C {} cannot be broadcast to {}", node.describe(), shape_to_string(cs),
                       shape_to_string(target));
  }
  set_output_type(node, 0, a->dtype, {m, n});
  return Status::ok();
}

Status infer_MatMul(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* ta, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(const TensorType* tb, input_type(node, 1));
  Shape a = ta->shape, b = tb->shape;
  if (a.empty() || b.empty()) return bad_input("{}: operands must have rank >= 1", node.describe());
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  if (known_and_differ(a.back(), b[b.size() - 2]))
    return bad_input("{}: inner dims differ ({} vs {})", node.describe(), shape_to_string(ta->shape),
                     shape_to_string(tb->shape));
  QF_ASSIGN_OR_RETURN(Shape out,
                      broadcast_shapes(node, Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2)));
  if (!a_vec) out.push_back(a[a.size() - 2]);
  if (!b_vec) out.push_back(b.back());
  // qforge's bias (passes/fold_bias_add.cpp): one value per output column, or one for all.
  if (node.input(2)) {
    QF_ASSIGN_OR_RETURN(const TensorType* tc, input_type(node, 2));
    const int64_t n = shape_numel(tc->shape);
    if (b_vec || tc->dtype != ta->dtype || (n != 1 && n != b.back()))
      return bad_input("{}: a bias of shape {} for {} output columns", node.describe(), shape_to_string(tc->shape),
                       b.back());
  }
  set_output_type(node, 0, ta->dtype, out);
  return Status::ok();
}

Status infer_Einsum(Node& node) {
  if (!node.has_attr("equation")) return bad_input("{}: attribute 'equation' is missing", node.describe());
  if (node.inputs.empty()) return bad_input("{}: no inputs", node.describe());
  std::vector<Shape> shapes;
  DType dtype = DType::kF32;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    QF_ASSIGN_OR_RETURN(const TensorType* t, input_type(node, i));
    if (i == 0) dtype = t->dtype;
    if (t->dtype != dtype) return bad_input("{}: inputs have different dtypes", node.describe());
    shapes.push_back(t->shape);
  }
  QF_ASSIGN_OR_RETURN(const EinsumEquation eq, parse_einsum(node, node.attr_string("equation", ""), shapes));
  set_output_type(node, 0, dtype, einsum_output_shape(eq, shapes));
  return Status::ok();
}

Status infer_Resize(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  const std::string mode = node.attr_string("mode", "nearest");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return bad_input("{}: unknown mode '{}'", node.describe(), mode);
  if (node.attr_int("antialias", 0) != 0)
    return unsupported("{}: antialias=1 is not supported", node.describe());
  std::optional<std::vector<float>> roi;
  if (node.attr_string("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize") {
    QF_ASSIGN_OR_RETURN(roi, constant_floats(node, 1));
  }
  QF_ASSIGN_OR_RETURN(const std::optional<std::vector<float>> scales, constant_floats(node, 2));
  QF_ASSIGN_OR_RETURN(const std::optional<std::vector<int64_t>> sizes, constant_ints(node, 3));
  QF_ASSIGN_OR_RETURN(const ResizePlan plan, resize_plan(node, x->shape, roi, scales, sizes));
  set_output_type(node, 0, x->dtype, plan.out);
  return Status::ok();
}

Status infer_Pad(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  const std::string mode = node.attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap")
    return bad_input("{}: unknown mode '{}'", node.describe(), mode);
  QF_ASSIGN_OR_RETURN(const std::optional<std::vector<int64_t>> pads, constant_ints(node, 1));
  if (!pads) return bad_input("{}: pads input is missing", node.describe());
  QF_ASSIGN_OR_RETURN(const std::optional<std::vector<int64_t>> axes, constant_ints(node, 3));
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  QF_ASSIGN_OR_RETURN(const auto amounts, pad_amounts(node, rank, *pads, axes));
  Shape out = x->shape;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] < 0) continue;
    out[i] += amounts[i].first + amounts[i].second;
    if (out[i] < 0)
      return bad_input("{}: pads {}+{} remove more than dim {}", node.describe(), amounts[i].first,
                       amounts[i].second, x->shape[i]);
  }
  set_output_type(node, 0, x->dtype, out);
  return Status::ok();
}

Status infer_Softmax(Node& node) {
  QF_RETURN_IF_ERROR(infer_softmax_like(node));
  // qforge's mask (passes/fuse_masked_softmax.cpp): bool, onto the input's shape, last axis only.
  if (const Value* mask = node.input(1)) {
    const Shape& x = node.input(0)->type.shape;
    if (mask->type.dtype != DType::kBool || !x.size() || !broadcasts_to(mask->type.shape, x) ||
        (node.attr_int("axis", -1) != -1 && node.attr_int("axis", -1) != static_cast<int64_t>(x.size()) - 1))
      return bad_input("{}: a mask of {} {} for an input of {} (axis {})", node.describe(),
                       dtype_name(mask->type.dtype), shape_to_string(mask->type.shape), shape_to_string(x),
                       node.attr_int("axis", -1));
  }
  return Status::ok();
}

Status infer_LogSoftmax(Node& node) { return infer_softmax_like(node); }

Status infer_ReduceMean(Node& node) { return infer_reduce(node); }
Status infer_ReduceSum(Node& node) { return infer_reduce(node); }
Status infer_ReduceMax(Node& node) { return infer_reduce(node); }

Status infer_LayerNormalization(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_RETURN_IF_ERROR(input_type(node, 1).status());  // Scale is required
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  if (rank == 0) return bad_input("{}: input must have rank >= 1", node.describe());
  QF_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(node, node.attr_int("axis", -1), rank));
  const Shape normalized(x->shape.begin() + axis, x->shape.end());
  // Scale and B broadcast to the normalized dims (unidirectionally: they may not widen them).
  for (size_t i = 1; i <= 2; ++i) {
    const Value* p = node.input(i);
    if (!p) continue;
    if (p->type.dtype != x->dtype)
      return bad_input("{}: {} has dtype {}, the input {}", node.describe(), i == 1 ? "Scale" : "B",
                       dtype_name(p->type.dtype), dtype_name(x->dtype));
    QF_ASSIGN_OR_RETURN(const Shape b, broadcast_shapes(node, normalized, p->type.shape));
    if (b != normalized)
      return bad_input("{}: {} {} does not broadcast to the normalized dims {}", node.describe(),
                       i == 1 ? "Scale" : "B", shape_to_string(p->type.shape), shape_to_string(normalized));
  }
  set_output_type(node, 0, x->dtype, x->shape);
  // Mean and InvStdDev keep the reduced dims as 1.
  Shape stats = x->shape;
  for (size_t i = static_cast<size_t>(axis); i < stats.size(); ++i) stats[i] = 1;
  set_output_type(node, 1, DType::kF32, stats);
  set_output_type(node, 2, DType::kF32, stats);
  return Status::ok();
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
// Shape inference for ops that move or reinterpret data without arithmetic (Concat, Slice, Reshape...)
// and for the ops that produce constants (Constant, Shape).
#include <algorithm>
#include <numeric>

#include "ir/infer.h"
#include "ir/infer/infer_util.h"
#include "ir/infer/slice_util.h"

namespace qf {
namespace {

// Product of dims, -1 when any is unknown.
int64_t known_product(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) {
    if (shape[i] < 0) return -1;
    p *= shape[i];
  }
  return p;
}

// Normalizes and sorts a list of axes, refusing duplicates.
Result<std::vector<int64_t>> normalize_axes(const Node& node, std::vector<int64_t> axes, int64_t rank) {
  for (int64_t& a : axes) {
    QF_ASSIGN_OR_RETURN(a, normalize_axis(node, a, rank));
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return bad_input("{}: axes contain duplicates", node.describe());
  return axes;
}

}  // namespace

Status infer_Identity(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  set_output_type(node, 0, x->dtype, x->shape);
  return Status::ok();
}

Status infer_Dropout(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  set_output_type(node, 0, x->dtype, x->shape);
  set_output_type(node, 1, DType::kBool, x->shape);  // the mask, when someone asked for it
  return Status::ok();
}

Status infer_Constant(Node& node) {
  const Tensor* value = node.attr_tensor("value");
  if (!value) return bad_input("{}: attribute 'value' is missing", node.describe());
  set_output_type(node, 0, value->dtype(), value->shape());
  if (!node.outputs.empty() && node.outputs[0]) node.outputs[0]->constant = *value;
  return Status::ok();
}

Status infer_Shape(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  const auto rank = static_cast<int64_t>(x->shape.size());
  // Shape-15: negative start/end count from the end, then both clamp to [0, rank].
  auto clamp_index = [rank](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
  const int64_t start = clamp_index(node.attr_int("start", 0));
  const int64_t end = clamp_index(node.attr_int("end", rank));
  const int64_t count = std::max<int64_t>(0, end - start);
  set_output_type(node, 0, DType::kS64, {count});
  const Shape dims(x->shape.begin() + start, x->shape.begin() + start + count);
  if (!node.outputs.empty() && node.outputs[0] &&
      std::all_of(dims.begin(), dims.end(), [](int64_t d) { return d >= 0; }))
    node.outputs[0]->constant = Tensor::from_vector<int64_t>({count}, dims);
  return Status::ok();
}

Status infer_ConstantOfShape(Node& node) {
  QF_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> dims, constant_ints(node, 0));
  if (!dims) return bad_input("{}: the shape input is missing", node.describe());
  for (int64_t d : *dims)
    if (d < 0) return bad_input("{}: negative dimension {} in the shape", node.describe(), d);
  const Tensor* value = node.attr_tensor("value");
  if (value && value->numel() != 1) return bad_input("{}: 'value' must hold one element", node.describe());
  set_output_type(node, 0, value ? value->dtype() : DType::kF32, Shape(dims->begin(), dims->end()));
  return Status::ok();
}

Status infer_Concat(Node& node) {
  if (node.inputs.empty()) return bad_input("{}: no inputs", node.describe());
  QF_ASSIGN_OR_RETURN(const TensorType* first, input_type(node, 0));
  const auto rank = static_cast<int64_t>(first->shape.size());
  if (rank == 0) return bad_input("{}: inputs must not be scalars", node.describe());
  if (!node.has_attr("axis")) return bad_input("{}: attribute 'axis' is missing", node.describe());
  QF_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(node, node.attr_int("axis", 0), rank));
  Shape out = first->shape;
  out[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    QF_ASSIGN_OR_RETURN(const TensorType* t, input_type(node, i));
    if (t->dtype != first->dtype)
      return bad_input("{}: input {} has dtype {}, input 0 {}", node.describe(), i, dtype_name(t->dtype),
                       dtype_name(first->dtype));
    if (static_cast<int64_t>(t->shape.size()) != rank)
      return bad_input("{}: input {} has rank {}, input 0 rank {}", node.describe(), i, t->shape.size(),
                       rank);
    for (size_t d = 0; d < out.size(); ++d) {
      const int64_t dim = t->shape[d];
      if (static_cast<int64_t>(d) == axis) {
        out[d] = (out[d] < 0 || dim < 0) ? -1 : out[d] + dim;
      } else if (out[d] < 0) {
        out[d] = dim;
      } else if (dim >= 0 && dim != out[d]) {
        return bad_input("{}: input {} has shape {}, which does not match {} outside axis {}",
                         node.describe(), i, shape_to_string(t->shape), shape_to_string(first->shape), axis);
      }
    }
  }
  set_output_type(node, 0, first->dtype, std::move(out));
  return Status::ok();
}

Status infer_Split(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  const auto rank = static_cast<int64_t>(x->shape.size());
  QF_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(node, node.attr_int("axis", 0), rank));
  const int64_t dim = x->shape[static_cast<size_t>(axis)];
  const size_t n = node.outputs.size();
  if (n == 0) return bad_input("{}: no outputs", node.describe());
  QF_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> split, constant_ints(node, 1));
  std::vector<int64_t> sizes;
  if (split) {
    if (split->size() != n)
      return bad_input("{}: 'split' has {} entries for {} outputs", node.describe(), split->size(), n);
    const int64_t total = std::accumulate(split->begin(), split->end(), int64_t{0});
    if (std::any_of(split->begin(), split->end(), [](int64_t s) { return s < 0; }) ||
        (dim >= 0 && total != dim))
      return bad_input("{}: 'split' sums to {} but the axis has {} elements", node.describe(), total, dim);
    sizes = *split;
  } else {
    const int64_t parts = node.attr_int("num_outputs", static_cast<int64_t>(n));
    if (parts != static_cast<int64_t>(n))
      return bad_input("{}: num_outputs is {} but the node has {} outputs", node.describe(), parts, n);
    // Split-18: chunks of ceil(dim / n), the last one smaller when dim does not divide evenly.
    sizes.assign(n, -1);
    if (dim >= 0) {
      const int64_t chunk = (dim + parts - 1) / parts;
      for (size_t i = 0; i < n; ++i)
        sizes[i] = std::clamp<int64_t>(dim - chunk * static_cast<int64_t>(i), 0, chunk);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    Shape s = x->shape;
    s[static_cast<size_t>(axis)] = sizes[i];
    set_output_type(node, i, x->dtype, std::move(s));
  }
  return Status::ok();
}

Status infer_Slice(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> starts, constant_ints(node, 1));
  QF_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> ends, constant_ints(node, 2));
  QF_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> axes, constant_ints(node, 3));
  QF_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> steps, constant_ints(node, 4));
  if (!starts || !ends) return bad_input("{}: starts and ends are required", node.describe());
  QF_ASSIGN_OR_RETURN(std::vector<SliceAxis> resolved,
                      resolve_slice(node, x->shape, *starts, *ends, axes, steps));
  Shape out(resolved.size());
  for (size_t d = 0; d < resolved.size(); ++d) out[d] = resolved[d].count;
  set_output_type(node, 0, x->dtype, std::move(out));
  return Status::ok();
}

Status infer_Flatten(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  const auto rank = static_cast<int64_t>(x->shape.size());
  int64_t axis = node.attr_int("axis", 1);
  // Unlike most ops, axis == rank is allowed (the output is [numel, 1]).
  if (axis < -rank || axis > rank)
    return bad_input("{}: axis {} is out of range for rank {}", node.describe(), axis, rank);
  if (axis < 0) axis += rank;
  const auto split = static_cast<size_t>(axis);
  set_output_type(node, 0, x->dtype,
                  {known_product(x->shape, 0, split), known_product(x->shape, split, x->shape.size())});
  return Status::ok();
}

Status infer_Reshape(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> target, constant_ints(node, 1));
  if (!target) return bad_input("{}: the target shape is missing", node.describe());
  const bool allow_zero = node.attr_int("allowzero", 0) != 0;
  Shape out = *target;
  // The input elements not accounted for by dims copied through a 0; when those copied dims are the
  // unknown ones (a dynamic batch), -1 can still be resolved.
  std::vector<bool> copied(x->shape.size(), false);
  int64_t explicit_product = 1;
  int64_t infer_at = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !allow_zero) {
      if (i >= x->shape.size())
        return bad_input("{}: shape entry {} is 0 but the input has rank {}", node.describe(), i,
                         x->shape.size());
      out[i] = x->shape[i];
      copied[i] = true;
    } else if (out[i] == -1) {
      if (infer_at >= 0) return bad_input("{}: the target shape has more than one -1", node.describe());
      infer_at = static_cast<int64_t>(i);
    } else if (out[i] < 0) {
      return bad_input("{}: invalid target shape entry {}", node.describe(), out[i]);
    } else {
      explicit_product *= out[i];
    }
  }
  if (allow_zero && infer_at >= 0 && std::find(out.begin(), out.end(), 0) != out.end())
    return bad_input("{}: with allowzero, the target shape cannot hold both 0 and -1", node.describe());
  int64_t remaining = 1;  // input elements outside copied dims; -1 when unknown
  for (size_t i = 0; i < x->shape.size(); ++i) {
    if (copied[i]) continue;
    if (x->shape[i] < 0) {
      remaining = -1;
      break;
    }
    remaining *= x->shape[i];
  }
  if (infer_at >= 0) {
    int64_t inferred = -1;
    if (remaining >= 0) {
      if (explicit_product == 0 || remaining % explicit_product != 0)
        return bad_input("{}: cannot reshape {} into {}", node.describe(), shape_to_string(x->shape),
                         shape_to_string(*target));
      inferred = remaining / explicit_product;
    }
    out[static_cast<size_t>(infer_at)] = inferred;
  } else if (remaining >= 0 && remaining != explicit_product) {
    return bad_input("{}: cannot reshape {} into {}", node.describe(), shape_to_string(x->shape),
                     shape_to_string(*target));
  }
  set_output_type(node, 0, x->dtype, std::move(out));
  return Status::ok();
}

Status infer_Transpose(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  const size_t rank = x->shape.size();
  std::vector<int64_t> perm(rank);
  for (size_t i = 0; i < rank; ++i) perm[i] = static_cast<int64_t>(rank - 1 - i);
  perm = node.attr_ints("perm", perm);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  bool valid = perm.size() == rank;
  for (size_t i = 0; valid && i < rank; ++i) valid = sorted[i] == static_cast<int64_t>(i);
  if (!valid) return bad_input("{}: perm is not a permutation of the {} input axes", node.describe(), rank);
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) out[i] = x->shape[static_cast<size_t>(perm[i])];
  set_output_type(node, 0, x->dtype, std::move(out));
  return Status::ok();
}

Status infer_Squeeze(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  const auto rank = static_cast<int64_t>(x->shape.size());
  QF_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> axes_in, constant_ints(node, 1));
  std::vector<bool> drop(x->shape.size(), false);
  if (axes_in) {
    QF_ASSIGN_OR_RETURN(std::vector<int64_t> axes, normalize_axes(node, *axes_in, rank));
    for (int64_t a : axes) {
      const int64_t dim = x->shape[static_cast<size_t>(a)];
      if (dim >= 0 && dim != 1) return bad_input("{}: axis {} has size {}, not 1", node.describe(), a, dim);
      drop[static_cast<size_t>(a)] = true;
    }
  } else {
    for (size_t i = 0; i < x->shape.size(); ++i) {
      if (x->shape[i] < 0)
        return unsupported("{}: without axes, every dim must be known (input is {})", node.describe(),
                           shape_to_string(x->shape));
      drop[i] = x->shape[i] == 1;
    }
  }
  Shape out;
  for (size_t i = 0; i < x->shape.size(); ++i)
    if (!drop[i]) out.push_back(x->shape[i]);
  set_output_type(node, 0, x->dtype, std::move(out));
  return Status::ok();
}

Status infer_Unsqueeze(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> axes_in, constant_ints(node, 1));
  if (!axes_in) return bad_input("{}: axes are required", node.describe());
  const auto out_rank = static_cast<int64_t>(x->shape.size() + axes_in->size());
  QF_ASSIGN_OR_RETURN(std::vector<int64_t> axes, normalize_axes(node, *axes_in, out_rank));
  Shape out;
  size_t next_in = 0, next_axis = 0;
  for (int64_t i = 0; i < out_rank; ++i) {
    if (next_axis < axes.size() && axes[next_axis] == i) {
      out.push_back(1);
      ++next_axis;
    } else {
      out.push_back(x->shape[next_in++]);
    }
  }
  set_output_type(node, 0, x->dtype, std::move(out));
  return Status::ok();
}

Status infer_Gather(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* data, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(const TensorType* indices, input_type(node, 1));
  if (indices->dtype != DType::kS64 && indices->dtype != DType::kS32)
    return bad_input("{}: indices must be int32 or int64, not {}", node.describe(),
                     dtype_name(indices->dtype));
  const auto rank = static_cast<int64_t>(data->shape.size());
  if (rank == 0) return bad_input("{}: data must not be a scalar", node.describe());
  QF_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(node, node.attr_int("axis", 0), rank));
  Shape out(data->shape.begin(), data->shape.begin() + axis);
  out.insert(out.end(), indices->shape.begin(), indices->shape.end());
  out.insert(out.end(), data->shape.begin() + axis + 1, data->shape.end());
  set_output_type(node, 0, data->dtype, std::move(out));
  return Status::ok();
}

}  // namespace qf

namespace qf {

Status infer_Expand(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  QF_ASSIGN_OR_RETURN(const std::optional<std::vector<int64_t>> shape, constant_ints(node, 1));
  if (!shape) return bad_input("{}: the shape input is missing", node.describe());
  for (int64_t d : *shape)
    if (d < 0) return bad_input("{}: negative dimension {} in the shape", node.describe(), d);
  QF_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(node, x->shape, Shape(shape->begin(), shape->end())));
  set_output_type(node, 0, x->dtype, std::move(out));
  return Status::ok();
}

Status infer_Trilu(Node& node) {
  QF_ASSIGN_OR_RETURN(const TensorType* x, input_type(node, 0));
  if (x->shape.size() < 2) return bad_input("{}: the input must have rank >= 2", node.describe());
  QF_ASSIGN_OR_RETURN(const std::optional<std::vector<int64_t>> k, constant_ints(node, 1));
  if (k && k->size() != 1) return bad_input("{}: k must be a scalar", node.describe());
  set_output_type(node, 0, x->dtype, x->shape);
  return Status::ok();
}

Status infer_Range(Node& node) {
  const TensorType* parts[3];
  for (size_t i = 0; i < 3; ++i) {
    QF_ASSIGN_OR_RETURN(parts[i], input_type(node, i));
    if (shape_numel(parts[i]->shape) != 1 || parts[i]->shape.size() > 1)
      return bad_input("{}: {} must be a scalar", node.describe(), i == 0 ? "start" : i == 1 ? "limit" : "delta");
    if (parts[i]->dtype != parts[0]->dtype)
      return bad_input("{}: start, limit and delta have different dtypes", node.describe());
  }
  const DType dtype = parts[0]->dtype;
  if (dtype != DType::kF32 && dtype != DType::kF64 && dtype != DType::kS64 && dtype != DType::kS32)
    return unsupported("{}: dtype {} is not supported", node.describe(), dtype_name(dtype));
  // The length is the output's shape, which qforge needs at load time.
  for (size_t i = 0; i < 3; ++i) QF_RETURN_IF_ERROR(require_constant(node, i));
  QF_ASSIGN_OR_RETURN(const int64_t count, range_length(node, node.input(0)->constant->element_as_double(0),
                                                        node.input(1)->constant->element_as_double(0),
                                                        node.input(2)->constant->element_as_double(0)));
  set_output_type(node, 0, dtype, {count});
  return Status::ok();
}

}  // namespace qf

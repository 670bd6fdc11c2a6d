// SPDX-License-Identifier: Apache-2.0
#include "ir/infer/infer_util.h"

#include <algorithm>
#include <cmath>

namespace qf {

Result<const TensorType*> input_type(const Node& node, size_t i) {
  const Value* v = node.input(i);
  if (!v) return bad_input("{}: input {} is missing", node.describe(), i);
  if (!v->type.has_shape) return unsupported("{}: the shape of input '{}' is not known", node.describe(), v->name);
  return &v->type;
}

void set_output_type(Node& node, size_t i, DType dtype, Shape shape) {
  if (i >= node.outputs.size() || !node.outputs[i]) return;
  node.outputs[i]->type = TensorType{dtype, std::move(shape), true};
}

Result<int64_t> normalize_axis(const Node& node, int64_t axis, int64_t rank) {
  const int64_t lo = -rank, hi = rank - 1;
  if (axis < lo || axis > hi) return bad_input("{}: axis {} is out of range for rank {}", node.describe(), axis, rank);
  return axis < 0 ? axis + rank : axis;
}

Result<int64_t> dimension_from_double(const Node& node, double value) {
  if (!(value >= 0) || value > static_cast<double>(kMaxTensorElements))
    return bad_input("{}: an output dimension of {} is out of range", node.describe(), value);
  return static_cast<int64_t>(value);
}

Result<int64_t> range_length(const Node& node, double start, double limit, double delta) {
  if (delta == 0 || !std::isfinite(delta) || !std::isfinite(start) || !std::isfinite(limit))
    return bad_input("{}: start {}, limit {}, delta {} give no finite range", node.describe(), start, limit, delta);
  return dimension_from_double(node, std::max(std::ceil((limit - start) / delta), 0.0));
}

Status require_constant(const Node& node, size_t i) {
  const Value* v = node.input(i);
  if (!v) return bad_input("{}: input {} is missing", node.describe(), i);
  if (!v->is_constant())
    return unsupported("{}: input '{}' must be a constant (dynamic values are not supported)", node.describe(), v->name);
  return Status::ok();
}

Result<std::optional<std::vector<int64_t>>> constant_ints(const Node& node, size_t i) {
  const Value* v = node.input(i);
  if (!v) return std::optional<std::vector<int64_t>>{};
  QF_RETURN_IF_ERROR(require_constant(node, i));
  return std::optional<std::vector<int64_t>>{v->constant->to_int_vector()};
}

Result<std::optional<std::vector<float>>> constant_floats(const Node& node, size_t i) {
  const Value* v = node.input(i);
  if (!v) return std::optional<std::vector<float>>{};
  QF_RETURN_IF_ERROR(require_constant(node, i));
  return std::optional<std::vector<float>>{v->constant->to_float_vector()};
}

Result<Shape> broadcast_shapes(const Node& node, const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else if (da < 0 || db < 0) {
      out[i] = std::max(da, db) > 1 ? std::max(da, db) : -1;
    } else {
      return bad_input("{}: shapes {} and {} cannot be broadcast", node.describe(), shape_to_string(a),
                       shape_to_string(b));
    }
  }
  return out;
}

}  // namespace qf

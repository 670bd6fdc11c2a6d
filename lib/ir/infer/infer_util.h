// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the per-op shape inference functions.
#pragma once

#include <optional>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

// Input i's type; fails naming the node when the input is absent or its shape is unknown.
Result<const TensorType*> input_type(const Node& node, size_t i);
// Sets output i's type (no-op when the output slot is absent).
void set_output_type(Node& node, size_t i, DType dtype, Shape shape);
// Normalizes a possibly negative axis against `rank`; fails naming the node when out of range.
Result<int64_t> normalize_axis(const Node& node, int64_t axis, int64_t rank);
// Fails naming the node and the input unless input i is present and constant (qforge needs the
// values at load time; the conformance tests freeze such inputs by this message).
Status require_constant(const Node& node, size_t i);
// Constant input i as integers; nullopt when the input is absent. Fails if present but not constant.
Result<std::optional<std::vector<int64_t>>> constant_ints(const Node& node, size_t i);
Result<std::optional<std::vector<float>>> constant_floats(const Node& node, size_t i);
// A dimension computed in floating point (Resize's size times its scale): a bad_input naming the
// node unless finite, non-negative and at most kMaxTensorElements, so that its conversion to
// int64 is defined.
Result<int64_t> dimension_from_double(const Node& node, double value);
// Range's element count, max(ceil((limit - start) / delta), 0): a bad_input naming the node for a
// zero or non-finite delta or a count past kMaxTensorElements.
Result<int64_t> range_length(const Node& node, double start, double limit, double delta);
// Numpy-style multidirectional broadcasting of two shapes (unknown dims stay unknown).
Result<Shape> broadcast_shapes(const Node& node, const Shape& a, const Shape& b);

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
// Einsum equations: parsed once here for shape inference, the reference kernel and the pass that
// turns attention's batched products into MatMul (passes/rewrite_einsum.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace qf {

// An equation with every operand's labels spelled out: an ellipsis becomes one label per dim it
// covers (digits '0'..'9', right-aligned as numpy broadcasts them), an implicit output becomes the
// labels that occur once, in alphabetical order, after the ellipsis dims.
struct EinsumEquation {
  std::vector<std::string> inputs;  // labels of each operand, one char per dim
  std::string output;
};

// Parses `equation` for operands of the given shapes; a bad_input naming the node when the
// equation is malformed or does not fit the shapes (a label with two sizes, a rank that differs
// from the operand's). Labels of ellipsis dims may broadcast (size 1 against N); named labels may not.
Result<EinsumEquation> parse_einsum(const Node& node, std::string_view equation, const std::vector<Shape>& shapes);

// The size of every label (indexed by the label's char), from the operands' shapes.
struct EinsumSizes {
  int64_t size[128] = {};
};
EinsumSizes einsum_label_sizes(const EinsumEquation& eq, const std::vector<Shape>& shapes);

// The output shape of a parsed equation.
Shape einsum_output_shape(const EinsumEquation& eq, const std::vector<Shape>& shapes);

}  // namespace qf

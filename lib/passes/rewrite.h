// SPDX-License-Identifier: Apache-2.0
// Small graph rewrites that several passes share.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/status.h"

#include "ir/graph.h"

namespace qf {

// The producer of `v` when `v` feeds nothing but `consumer` and is not a graph output: the
// condition for merging consumer into that producer. nullptr otherwise.
Node* sole_producer(const Graph& graph, const Value* v, const Node* consumer);

// sole_producer, when that producer is of `kind`.
Node* sole_producer_of(const Graph& graph, const Value* v, const Node* consumer, OpKind kind);

// A two-input op with a scalar float constant for one operand: the other operand and the scalar.
// The constant may be either operand of a commutative op (ops.def), only input 1 otherwise.
struct ScalarOperand {
  Value* value = nullptr;
  float scalar = 0;
};
std::optional<ScalarOperand> scalar_operand(const Node* node, OpKind kind);

// Replaces the chain `removed` (in producer order, the last one producing the result) by one node
// of `kind` that reads `inputs` and produces the last node's output under the last node's name;
// the other nodes' outputs are recorded as removed by `pass`.
Result<Node*> replace_chain(Graph& graph, const std::vector<Node*>& removed, OpKind kind,
                            std::vector<Value*> inputs, std::string_view pass);

// Removes `node` (one input, one output) by letting the producer of its input produce its output
// directly: P -> a -> node -> b becomes P -> b, and `a` is recorded as removed in favour of `b`.
// Requires sole_producer(a, node); returns false (and changes nothing) otherwise.
bool absorb_into_producer(Graph& graph, Node* node, std::string_view pass, bool same_values);

// The constant payload of input i, or nullptr when it is absent or not constant.
const Tensor* constant_input(const Node& node, size_t i);
// A constant input holding a single float (any float dtype, one element).
std::optional<float> scalar_input(const Node& node, size_t i);

}  // namespace qf

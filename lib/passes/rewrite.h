// SPDX-License-Identifier: Apache-2.0
// Small graph rewrites that several passes share.
#pragma once

#include <optional>
#include <string_view>

#include "ir/graph.h"

namespace qf {

// True when `v` is one of the graph's outputs.
bool is_graph_output(const Graph& graph, const Value* v);

// The producer of `v` when `v` feeds nothing but `consumer` and is not a graph output: the
// condition for merging consumer into that producer. nullptr otherwise.
Node* sole_producer(const Graph& graph, const Value* v, const Node* consumer);

// Removes `node` (one input, one output) by letting the producer of its input produce its output
// directly: P -> a -> node -> b becomes P -> b, and `a` is recorded as removed in favour of `b`.
// Requires sole_producer(a, node); returns false (and changes nothing) otherwise.
bool absorb_into_producer(Graph& graph, Node* node, std::string_view pass, bool same_values);

// The constant payload of input i, or nullptr when it is absent or not constant.
const Tensor* constant_input(const Node& node, size_t i);
// A constant input holding a single float (any float dtype, one element).
std::optional<float> scalar_input(const Node& node, size_t i);

}  // namespace qf

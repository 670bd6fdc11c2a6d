// SPDX-License-Identifier: Apache-2.0
// Structural verifier: run after import and after every pass.
#pragma once

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

// Checks edges (every input is a graph input, a constant or produced by a node of this graph;
// producer/consumer links agree), acyclicity, that graph outputs exist, and that every value has a
// static shape.
Status verify_graph(const Graph& graph);

}  // namespace qf

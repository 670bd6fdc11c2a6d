// SPDX-License-Identifier: Apache-2.0
// Shape and type inference: one function per op (lib/ir/infer/*.cpp), dispatched through ops.def.
#pragma once

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

// Sets the type (dtype + shape) of every output of `node` from its inputs' types and, where the
// op needs them (Reshape's shape, Slice's starts...), its constant inputs. May also set an
// output's constant when it follows from shapes alone (Shape). Unknown dims stay -1.
Status infer_node(Node& node);

// Declarations of the per-op functions; each lives in lib/ir/infer/<group>.cpp.
#define QF_OP(kind, ...) Status infer_##kind(Node& node);
#include "ir/ops.def"

}  // namespace qf

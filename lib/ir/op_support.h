// SPDX-License-Identifier: Apache-2.0
// The operator support matrix users look for (docs/operators.md), rendered from the op table:
// each op's opsets, its kernels per backend and precision, its integer form and its encoding rule.
#pragma once

#include <string>

namespace qf {

std::string operator_support_markdown();

}  // namespace qf

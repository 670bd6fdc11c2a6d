// SPDX-License-Identifier: Apache-2.0
// Shapes given on a command line: "1,3,224,224", and --input_dim's NAME DIMS pairs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace qf {

// "1,3,224,224" -> {1,3,224,224}; a usage error for anything else (an empty text, an empty or
// non-numeric dimension, zero).
Result<Shape> parse_dims(const std::string& text);

// --input_dim's values as the command line collects them, NAME DIMS NAME DIMS ..., as input name
// -> shape. Errors are usage errors that name the flag and the input.
Result<std::map<std::string, Shape>> parse_input_dims(const std::vector<std::string>& name_dims_pairs);

}  // namespace qf

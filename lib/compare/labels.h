// SPDX-License-Identifier: Apache-2.0
// Ground-truth labels for --labels: label i belongs to input-list line i, hence to Result_i.
// Two forms, as scripts/accuracy.py reads them: text, one class index per line (blank lines are
// ignored, like the input list's), or packed uint8 labels in a file ending in ".bin".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace qf::compare {

// A bad_input naming the file (and line) when it is missing, empty or holds anything but
// non-negative integers.
Result<std::vector<int64_t>> read_labels(const std::string& path);

}  // namespace qf::compare

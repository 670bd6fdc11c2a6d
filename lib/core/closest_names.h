// SPDX-License-Identifier: Apache-2.0
// "Did you mean": the known names nearest to a mistyped one (a flag, a tensor in an overrides
// file), by edit distance, so that one error line can name what the user most likely meant.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qf {

// Levenshtein distance: insertions, deletions and substitutions of one byte each cost 1.
size_t edit_distance(std::string_view a, std::string_view b);

// Up to `max_count` of `known`, nearest first (ties in `known`'s order), among those close enough
// to be a typo of `name`: at most a quarter of the longer name's length apart (2 edits are always
// allowed: a swapped pair of letters). Empty when nothing is that close.
std::vector<std::string> closest_names(std::string_view name, const std::vector<std::string>& known,
                                       size_t max_count = 3);

}  // namespace qf

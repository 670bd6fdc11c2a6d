// SPDX-License-Identifier: Apache-2.0
#include "ir/einsum.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace qf {
namespace {

bool is_label(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

std::string strip_spaces(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ') out += c;
  return out;
}

// One operand's term with its ellipsis (if any) replaced by `ellipsis_rank` digit labels.
Result<std::string> expand_term(const Node& node, const std::string& term, int64_t rank, int64_t* ellipsis_rank) {
  const size_t dots = term.find("...");
  std::string named = term;
  if (dots != std::string::npos) named.erase(dots, 3);
  for (char c : named)
    if (!is_label(c))
      return bad_input("{}: Einsum term '{}' has '{}', not a letter or one '...'", node.describe(), term, c);
  const int64_t named_rank = static_cast<int64_t>(named.size());
  if (dots == std::string::npos) {
    if (rank >= 0 && named_rank != rank)
      return bad_input("{}: Einsum term '{}' names {} dims of an operand of rank {}", node.describe(), term,
                       named_rank, rank);
    return named;
  }
  const int64_t covered = rank - named_rank;
  if (covered < 0 || covered > 10)
    return bad_input("{}: Einsum term '{}' does not fit an operand of rank {}", node.describe(), term, rank);
  *ellipsis_rank = std::max(*ellipsis_rank, covered);
  std::string digits;
  // Right-aligned: the last ellipsis dim is always '9', as numpy aligns broadcast dims.
  for (int64_t i = 0; i < covered; ++i) digits += static_cast<char>('0' + 10 - covered + i);
  return term.substr(0, dots) + digits + term.substr(dots + 3);
}

}  // namespace

Result<EinsumEquation> parse_einsum(const Node& node, std::string_view equation, const std::vector<Shape>& shapes) {
  const std::string eq = strip_spaces(equation);
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != shapes.size())
    return bad_input("{}: Einsum equation '{}' has {} operand terms for {} inputs", node.describe(), equation,
                     terms.size(), shapes.size());
  EinsumEquation out;
  int64_t ellipsis_rank = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (terms[i].find("...") != terms[i].rfind("..."))
      return bad_input("{}: Einsum term '{}' has more than one '...'", node.describe(), terms[i]);
    QF_ASSIGN_OR_RETURN(std::string labels,
                        expand_term(node, terms[i], static_cast<int64_t>(shapes[i].size()), &ellipsis_rank));
    out.inputs.push_back(std::move(labels));
  }
  std::string ellipsis;
  for (int64_t i = 0; i < ellipsis_rank; ++i) ellipsis += static_cast<char>('0' + 10 - ellipsis_rank + i);
  if (arrow == std::string::npos) {
    std::array<int, 128> count{};
    for (const std::string& t : out.inputs)
      for (char c : t) ++count[static_cast<unsigned char>(c)];
    out.output = ellipsis;
    for (int c = 'A'; c <= 'z'; ++c)
      if (is_label(static_cast<char>(c)) && count[static_cast<size_t>(c)] == 1) out.output += static_cast<char>(c);
  } else {
    const std::string rhs = eq.substr(arrow + 2);
    if (rhs.find("->") != std::string::npos)
      return bad_input("{}: Einsum equation '{}' has two '->'", node.describe(), equation);
    if (rhs.find("...") != rhs.rfind("..."))
      return bad_input("{}: Einsum output '{}' has more than one '...'", node.describe(), rhs);
    std::string named = rhs;
    const size_t dots = named.find("...");
    if (dots != std::string::npos) named.replace(dots, 3, ellipsis);
    else if (ellipsis_rank > 0)
      return bad_input("{}: Einsum equation '{}' drops the '...' dims from its output", node.describe(), equation);
    for (char c : named) {
      if (!is_label(c) && !std::isdigit(static_cast<unsigned char>(c)))
        return bad_input("{}: Einsum output '{}' has '{}', not a letter", node.describe(), rhs, c);
      if (std::count(named.begin(), named.end(), c) > 1)
        return bad_input("{}: Einsum output '{}' repeats '{}'", node.describe(), rhs, c);
      bool found = false;
      for (const std::string& t : out.inputs) found = found || t.find(c) != std::string::npos;
      if (!found) return bad_input("{}: Einsum output label '{}' is in no operand", node.describe(), c);
    }
    out.output = named;
  }
  // Every label has one size; ellipsis labels (digits) may broadcast from 1.
  std::array<int64_t, 128> size{};
  size.fill(-2);
  for (size_t i = 0; i < out.inputs.size(); ++i) {
    for (size_t d = 0; d < out.inputs[i].size(); ++d) {
      const char c = out.inputs[i][d];
      const int64_t dim = shapes[i][d];
      int64_t& s = size[static_cast<unsigned char>(c)];
      const bool broadcastable = std::isdigit(static_cast<unsigned char>(c)) != 0;
      if (s == -2 || (broadcastable && s == 1)) {
        s = dim;
      } else if (dim != s && !(broadcastable && dim == 1) && dim >= 0 && s >= 0) {
        return bad_input("{}: Einsum label '{}' has sizes {} and {}", node.describe(), c, s, dim);
      }
    }
  }
  return out;
}

EinsumSizes einsum_label_sizes(const EinsumEquation& eq, const std::vector<Shape>& shapes) {
  EinsumSizes sizes;
  for (size_t i = 0; i < eq.inputs.size(); ++i)
    for (size_t d = 0; d < eq.inputs[i].size(); ++d) {
      int64_t& s = sizes.size[static_cast<unsigned char>(eq.inputs[i][d])];
      if (s <= 1 || shapes[i][d] < 0) s = shapes[i][d];
    }
  return sizes;
}

Shape einsum_output_shape(const EinsumEquation& eq, const std::vector<Shape>& shapes) {
  const EinsumSizes sizes = einsum_label_sizes(eq, shapes);
  Shape out;
  for (char c : eq.output) out.push_back(sizes.size[static_cast<unsigned char>(c)]);
  return out;
}

}  // namespace qf

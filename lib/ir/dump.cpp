// SPDX-License-Identifier: Apache-2.0
#include "ir/dump.h"

#include <fmt/ranges.h>

namespace qf {
namespace {

std::string type_string(const Value& v) {
  std::string s = fmt::format("{}{}", dtype_name(v.type.dtype), shape_to_string(v.type.shape));
  if (v.encoding) s += fmt::format(" @{}", to_string(*v.encoding));
  return s;
}

std::string attr_string(const AttrValue& a) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Tensor>) {
          return fmt::format("tensor {}{}", dtype_name(v.dtype()), shape_to_string(v.shape()));
        } else if constexpr (std::is_same_v<T, std::string>) {
          return fmt::format("\"{}\"", v);
        } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, float>) {
          return fmt::format("{}", v);
        } else {
          return fmt::format("[{}]", fmt::join(v, ","));
        }
      },
      a);
}

}  // namespace

std::string dump_graph(const Graph& graph) {
  std::vector<std::string> inputs;
  for (const Value* v : graph.inputs()) inputs.push_back(fmt::format("{}:{}", v->name, type_string(*v)));
  std::string out = fmt::format("graph opset {}: inputs {}\n", graph.opset, fmt::join(inputs, ", "));
  auto order = graph.topo_order();
  if (!order.is_ok()) return out + "  (" + order.status().message() + ")\n";
  for (const Node* n : *order) {
    std::vector<std::string> outs, ins, attrs;
    for (const Value* v : n->outputs) outs.push_back(v ? fmt::format("{}:{}", v->name, type_string(*v)) : "_");
    for (const Value* v : n->inputs) {
      if (!v) {
        ins.push_back("_");
      } else if (v->is_constant()) {
        ins.push_back(fmt::format("{}:const {}", v->name, type_string(*v)));
      } else {
        ins.push_back(v->name);
      }
    }
    for (const auto& [key, value] : n->attrs) attrs.push_back(fmt::format("{}={}", key, attr_string(value)));
    out += fmt::format("  {} = {}({}){}  # {}\n", fmt::join(outs, ", "), op_name(n->kind), fmt::join(ins, ", "),
                       attrs.empty() ? "" : fmt::format(" {{{}}}", fmt::join(attrs, ", ")), n->name);
  }
  std::vector<std::string> outputs;
  for (const Value* v : graph.outputs()) outputs.push_back(v->name);
  return out + fmt::format("outputs {}\n", fmt::join(outputs, ", "));
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
#include "compare/qgraph_info.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <type_traits>

#include "compare/encoding_error.h"
#include "core/json_file.h"
#include "package/qgraph.h"

namespace qf::compare {

namespace {

using nlohmann::json;

// Where a field is, for error messages: the file and the object ("tensor 'conv1'").
struct Where {
  const std::string& path;
  std::string what;
};

template <typename T>
bool has_type(const json& v) {
  if constexpr (std::is_same_v<T, std::string>) return v.is_string();
  else if constexpr (std::is_same_v<T, bool>) return v.is_boolean();
  else if constexpr (std::is_integral_v<T>) return v.is_number_integer();
  else return v.is_number();
}

template <typename T>
std::string_view type_name() {
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else return "a number";
}

Result<const json*> member(const json& obj, const char* key, const Where& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return bad_input("{}: {} has no \"{}\"", where.path, where.what, key);
  return &*it;
}

template <typename T>
Result<T> field(const json& obj, const char* key, const Where& where) {
  QF_ASSIGN_OR_RETURN(const json* v, member(obj, key, where));
  if (!has_type<T>(*v)) return bad_input("{}: {}: \"{}\" must be {}", where.path, where.what, key, type_name<T>());
  return v->get<T>();
}

template <typename T>
Result<std::vector<T>> list_field(const json& obj, const char* key, const Where& where) {
  QF_ASSIGN_OR_RETURN(const json* v, member(obj, key, where));
  if (!v->is_array()) return bad_input("{}: {}: \"{}\" must be a list", where.path, where.what, key);
  std::vector<T> out;
  for (const json& item : *v) {
    if (!has_type<T>(item))
      return bad_input("{}: {}: every entry of \"{}\" must be {}", where.path, where.what, key, type_name<T>());
    out.push_back(item.get<T>());
  }
  return out;
}

Result<const json*> list_of_objects(const json& root, const char* key, const Where& where) {
  QF_ASSIGN_OR_RETURN(const json* v, member(root, key, where));
  if (!v->is_array()) return bad_input("{}: \"{}\" must be a list", where.path, key);
  for (const json& item : *v)
    if (!item.is_object()) return bad_input("{}: every entry of \"{}\" must be an object", where.path, key);
  return v;
}

Result<Encoding> parse_encoding(const json& j, const std::string& name, const Shape& shape, const Where& where) {
  Encoding e;
  QF_ASSIGN_OR_RETURN(e.bitwidth, field<int>(j, "bitwidth", where));
  QF_ASSIGN_OR_RETURN(e.is_signed, field<bool>(j, "signed", where));
  QF_ASSIGN_OR_RETURN(e.symmetric, field<bool>(j, "symmetric", where));
  QF_ASSIGN_OR_RETURN(e.axis, field<int>(j, "axis", where));
  QF_ASSIGN_OR_RETURN(e.scale, list_field<float>(j, "scale", where));
  QF_ASSIGN_OR_RETURN(e.offset, list_field<int64_t>(j, "offset", where));
  if (e.bitwidth < kMinBitwidth || e.bitwidth > kMaxBitwidth)
    return bad_input("{}: {}: bitwidth {} is outside [{}, {}]", where.path, where.what, e.bitwidth, kMinBitwidth,
                     kMaxBitwidth);
  if (e.scale.empty() || e.scale.size() != e.offset.size())
    return bad_input("{}: {}: {} scales and {} offsets (need as many, at least one)", where.path, where.what,
                     e.scale.size(), e.offset.size());
  for (float s : e.scale)
    if (!std::isfinite(s) || s <= 0) return bad_input("{}: {}: scale {} is not positive", where.path, where.what, s);
  if (e.axis < -1) return bad_input("{}: {}: encoding axis {} (-1 is per tensor)", where.path, where.what, e.axis);
  if (!e.per_channel() && e.scale.size() != 1)
    return bad_input("{}: {}: {} scales for a per-tensor encoding", where.path, where.what, e.scale.size());
  auto layout = channel_layout(e, shape, name);  // the axis and channel count must fit the shape
  if (!layout.is_ok()) return layout.status().with_context(where.path);
  return e;
}

Status parse_tensors(const json& root, QGraphInfo& info) {
  QF_ASSIGN_OR_RETURN(const json* tensors, list_of_objects(root, "tensors", {info.path, "the graph"}));
  for (const json& t : *tensors) {
    QF_ASSIGN_OR_RETURN(std::string name, field<std::string>(t, "name", {info.path, "a tensor"}));
    const Where where{info.path, fmt::format("tensor '{}'", name)};
    QGraphTensor tensor;
    QF_ASSIGN_OR_RETURN(tensor.shape, list_field<int64_t>(t, "shape", where));
    QF_ASSIGN_OR_RETURN(tensor.dtype, field<std::string>(t, "dtype", where));
    if (auto enc = t.find("encoding"); enc != t.end() && !enc->is_null()) {
      if (!enc->is_object()) return bad_input("{}: {}: \"encoding\" must be an object", info.path, where.what);
      QF_ASSIGN_OR_RETURN(tensor.encoding, parse_encoding(*enc, name, tensor.shape, where));
      QF_ASSIGN_OR_RETURN(tensor.encoding_source, field<std::string>(*enc, "source", where));
    }
    if (!info.tensors.emplace(name, std::move(tensor)).second)
      return bad_input("{}: tensor '{}' is listed twice", info.path, name);
  }
  return Status::ok();
}

Status parse_nodes(const json& root, QGraphInfo& info) {
  QF_ASSIGN_OR_RETURN(const json* nodes, list_of_objects(root, "nodes", {info.path, "the graph"}));
  for (const json& n : *nodes) {
    QGraphNode node;
    QF_ASSIGN_OR_RETURN(node.name, field<std::string>(n, "name", {info.path, "a node"}));
    const Where where{info.path, fmt::format("node '{}'", node.name)};
    QF_ASSIGN_OR_RETURN(node.op, field<std::string>(n, "op", where));
    QF_ASSIGN_OR_RETURN(node.inputs, list_field<std::string>(n, "inputs", where));
    QF_ASSIGN_OR_RETURN(node.outputs, list_field<std::string>(n, "outputs", where));
    info.nodes.push_back(std::move(node));
  }
  return Status::ok();
}

Status parse_tensor_map(const json& root, QGraphInfo& info) {
  QF_ASSIGN_OR_RETURN(const json* map, member(root, "tensor_map", {info.path, "the graph"}));
  if (!map->is_object()) return bad_input("{}: \"tensor_map\" must be an object", info.path);
  for (const auto& [original, surviving] : map->items()) {
    if (surviving.is_null()) {
      info.tensor_map[original] = std::nullopt;
    } else if (surviving.is_string()) {
      info.tensor_map[original] = surviving.get<std::string>();
    } else {
      return bad_input("{}: tensor_map['{}'] must be a tensor name or null", info.path, original);
    }
  }
  return Status::ok();
}

}  // namespace

const QGraphTensor* QGraphInfo::tensor(const std::string& name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

std::optional<size_t> QGraphInfo::producer(const std::string& tensor_name) const {
  auto it = producers_.find(tensor_name);
  if (it == producers_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> QGraphInfo::graph_outputs() const {
  if (!outputs.empty()) return outputs;
  std::set<std::string> consumed;
  for (const QGraphNode& n : nodes) consumed.insert(n.inputs.begin(), n.inputs.end());
  std::vector<std::string> outputs;
  for (const QGraphNode& n : nodes)
    for (const std::string& out : n.outputs)
      if (!consumed.count(out)) outputs.push_back(out);
  return outputs;
}

std::optional<std::string> QGraphInfo::surviving_name(const std::string& original_name) const {
  auto it = tensor_map.find(original_name);
  if (it == tensor_map.end()) return original_name;
  return it->second;
}

Result<QGraphInfo> parse_qgraph_info(const std::string& json_text, const std::string& path) {
  // The shared guards: every nlohmann exception (a number too large is out_of_range, not a
  // parse_error) becomes a bad_input, and nesting is limited before parsing.
  QF_ASSIGN_OR_RETURN(json root, parse_json_text(json_text, path, kMaxQgraphJsonDepth));
  if (!root.is_object()) return bad_input("{}: not a qgraph (the top level is not an object)", path);
  QGraphInfo info;
  info.path = path;
  const Where top{path, "the graph"};
  QF_ASSIGN_OR_RETURN(std::string format, field<std::string>(root, "format", top));
  if (format != kQGraphFormat) return bad_input("{}: format is '{}', not '{}'", path, format, kQGraphFormat);
  QF_ASSIGN_OR_RETURN(int version, field<int>(root, "version", top));
  if (version != kQGraphVersion)
    return bad_input("{}: qgraph version {} is not supported (qforge-diff reads version {})", path, version,
                     kQGraphVersion);
  QF_RETURN_IF_ERROR(parse_tensors(root, info));
  QF_RETURN_IF_ERROR(parse_nodes(root, info));
  QF_RETURN_IF_ERROR(parse_tensor_map(root, info));
  if (root.contains("outputs")) {
    QF_ASSIGN_OR_RETURN(info.outputs, list_field<std::string>(root, "outputs", {info.path, "the graph"}));
  }
  for (size_t i = 0; i < info.nodes.size(); ++i)
    for (const std::string& out : info.nodes[i].outputs) info.producers_.emplace(out, i);
  return info;
}

Result<QGraphInfo> read_qgraph_info(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return bad_input("model '{}' does not exist", path);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return bad_input("cannot read model '{}'", path);
  return parse_qgraph_info(text.str(), path);
}

}  // namespace qf::compare

// SPDX-License-Identifier: Apache-2.0
#include "ir/graph.h"

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <unordered_set>

namespace qf {

bool TensorType::is_static() const {
  return has_shape && std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d >= 0; });
}

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<int64_t>(&it->second)) return *v;
  if (auto* f = std::get_if<float>(&it->second)) return float_to_int64(*f);
  return fallback;
}

float Node::attr_float(const std::string& key, float fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<float>(&it->second)) return *v;
  if (auto* i = std::get_if<int64_t>(&it->second)) return static_cast<float>(*i);
  return fallback;
}

std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<std::string>(&it->second)) return *v;
  return fallback;
}

std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  if (auto* i = std::get_if<int64_t>(&it->second)) return {*i};
  return fallback;
}

std::vector<float> Node::attr_floats(const std::string& key, std::vector<float> fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<std::vector<float>>(&it->second)) return *v;
  if (auto* f = std::get_if<float>(&it->second)) return {*f};
  return fallback;
}

const Tensor* Node::attr_tensor(const std::string& key) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return nullptr;
  return std::get_if<Tensor>(&it->second);
}

int weight_channel_axis(const Node& node) {
  switch (op_weight_axis(node.kind)) {
    case WeightAxis::kNone: return -1;
    case WeightAxis::kConvOutput: return 0;
    case WeightAxis::kConvTransposeOutput: return 1;
    case WeightAxis::kGemmOutput: return node.attr_int("transB", 0) != 0 ? 0 : 1;
    case WeightAxis::kMatMulOutput: {
      const Value* b = node.input(1);
      return b ? static_cast<int>(b->type.shape.size()) - 1 : -1;
    }
  }
  return -1;
}

std::string Node::describe() const { return fmt::format("{} node '{}'", op_name(kind), name); }

Result<Value*> Graph::add_value(const std::string& name) {
  if (by_name_.count(name)) return bad_input("tensor '{}' is defined twice", name);
  auto v = std::make_unique<Value>();
  v->name = name;
  Value* raw = v.get();
  values_.push_back(std::move(v));
  by_name_[name] = raw;
  return raw;
}

Value* Graph::add_constant(const std::string& name, Tensor t) {
  auto v = std::make_unique<Value>();
  v->name = by_name_.count(name) ? unique_name(name) : name;
  v->type = TensorType{t.dtype(), t.shape(), true};
  v->constant = std::move(t);
  Value* raw = v.get();
  by_name_[raw->name] = raw;
  values_.push_back(std::move(v));
  return raw;
}

Result<Node*> Graph::add_node(OpKind kind, const std::string& name, std::vector<Value*> inputs,
                              std::vector<Value*> outputs) {
  for (Value* out : outputs) {
    if (out && out->producer)
      return bad_input("tensor '{}' is produced by both '{}' and '{}'", out->name, out->producer->name, name);
  }
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->name = name;
  n->inputs = std::move(inputs);
  n->outputs = std::move(outputs);
  Node* raw = n.get();
  for (Value* in : raw->inputs)
    if (in) in->consumers.push_back(raw);
  for (Value* out : raw->outputs)
    if (out) out->producer = raw;
  nodes_.push_back(std::move(n));
  return raw;
}

void Graph::erase_node(Node* node) {
  for (Value* in : node->inputs) {
    if (!in) continue;
    auto& c = in->consumers;
    auto it = std::find(c.begin(), c.end(), node);
    if (it != c.end()) c.erase(it);  // one edge per input slot
  }
  for (Value* out : node->outputs)
    if (out && out->producer == node) out->producer = nullptr;
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& p) { return p.get() == node; });
  if (it != nodes_.end()) nodes_.erase(it);
}

void Graph::set_input(Node* node, size_t index, Value* value) {
  Value* old = node->inputs[index];
  if (old == value) return;
  if (old) {
    auto& c = old->consumers;
    auto it = std::find(c.begin(), c.end(), node);
    if (it != c.end()) c.erase(it);
  }
  node->inputs[index] = value;
  if (value) value->consumers.push_back(node);
}

void Graph::set_output(Node* node, size_t index, Value* value) {
  Value* old = node->outputs[index];
  if (old == value) return;
  if (old && old->producer == node) old->producer = nullptr;
  node->outputs[index] = value;
  if (value) value->producer = node;
}

void Graph::record_removed(const std::string& name, const std::string& survivor, std::string_view pass,
                           bool same_values) {
  removed_[name] = RemovedTensor{survivor, std::string(pass), same_values};
}

std::optional<RemovedTensor> Graph::resolve_removed(const std::string& name) const {
  auto it = removed_.find(name);
  if (it == removed_.end()) return std::nullopt;
  RemovedTensor result = it->second;
  // Chains are short (a tensor is removed once); the bound only guards against a cycle.
  for (size_t step = 0; step < removed_.size(); ++step) {
    auto next = removed_.find(result.survivor);
    if (next == removed_.end() || by_name_.count(result.survivor)) break;
    result.same_values = result.same_values && next->second.same_values;
    result.survivor = next->second.survivor;
    result.pass = next->second.pass;
  }
  return result;
}

void Graph::replace_all_uses_with(Value* from, Value* to) {
  if (from == to) return;
  std::vector<Node*> users = from->consumers;
  for (Node* user : users) {
    for (size_t i = 0; i < user->inputs.size(); ++i)
      if (user->inputs[i] == from) set_input(user, i, to);
  }
  for (Value*& out : outputs_)
    if (out == from) out = to;
}

void Graph::remove_dead_values() {
  std::unordered_set<const Value*> keep(inputs_.begin(), inputs_.end());
  keep.insert(outputs_.begin(), outputs_.end());
  std::vector<std::unique_ptr<Value>> kept;
  for (auto& v : values_) {
    if (v->producer || !v->consumers.empty() || keep.count(v.get())) {
      kept.push_back(std::move(v));
    } else {
      by_name_.erase(v->name);
    }
  }
  values_ = std::move(kept);
}

std::vector<Node*> Graph::nodes_of(OpKind kind) const {
  std::vector<Node*> out;
  for (const auto& n : nodes_)
    if (n->kind == kind) out.push_back(n.get());
  return out;
}

bool Graph::is_output(const Value* v) const {
  return std::find(outputs_.begin(), outputs_.end(), v) != outputs_.end();
}

Value* Graph::find_value(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::string Graph::unique_name(const std::string& base) const {
  if (!by_name_.count(base)) return base;
  for (int i = 1;; ++i) {
    std::string candidate = fmt::format("{}_{}", base, i);
    if (!by_name_.count(candidate)) return candidate;
  }
}

Result<std::vector<Node*>> Graph::topo_order() const {
  std::unordered_map<const Node*, size_t> pending;
  pending.reserve(nodes_.size());
  for (const auto& n : nodes_) {
    size_t count = 0;
    for (Value* in : n->inputs)
      if (in && in->producer) ++count;
    pending[n.get()] = count;
  }
  std::deque<Node*> ready;
  for (const auto& n : nodes_)
    if (pending[n.get()] == 0) ready.push_back(n.get());
  std::vector<Node*> order;
  order.reserve(nodes_.size());
  while (!ready.empty()) {
    Node* n = ready.front();
    ready.pop_front();
    order.push_back(n);
    for (Value* out : n->outputs) {
      if (!out) continue;
      // consumers lists a node once per input slot that reads `out`, matching how it was counted.
      for (Node* user : out->consumers)
        if (--pending[user] == 0) ready.push_back(user);
    }
  }
  if (order.size() != nodes_.size()) {
    for (const auto& n : nodes_)
      if (pending[n.get()] != 0) return bad_input("the graph has a cycle through {}", n->describe());
  }
  return order;
}

}  // namespace qf

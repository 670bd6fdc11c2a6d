// SPDX-License-Identifier: Apache-2.0
#include "quant/plan.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace qf {
namespace {

bool is_float(const Value* v) { return v && (v->type.dtype == DType::kF32 || v->type.dtype == DType::kF16); }

// Union-find over activation indices.
class Groups {
 public:
  size_t add() {
    parent_.push_back(parent_.size());
    return parent_.size() - 1;
  }
  size_t find(size_t i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }
  void join(size_t a, size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);  // the earlier tensor names the group
  }

 private:
  std::vector<size_t> parent_;
};

}  // namespace

bool has_non_finite(const Tensor& t) {
  if (t.dtype() != DType::kF32 && t.dtype() != DType::kF64 && t.dtype() != DType::kF16) return false;
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(t.element_as_double(i))) return true;
  return false;
}

Result<QuantPlan> plan_quantization(const Graph& graph, const PlanOptions& options) {
  QF_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topo_order());
  QuantPlan plan;

  // Activations, numbered in topological order (graph inputs first).
  std::vector<Value*> activations;
  std::unordered_map<const Value*, size_t> index;
  auto add_activation = [&](Value* v) {
    if (!is_float(v) || v->is_constant() || index.count(v)) return;
    index[v] = activations.size();
    activations.push_back(v);
  };
  for (Value* in : graph.inputs()) add_activation(in);
  for (Node* n : order) {
    if (op_quant_rule(n->kind) == QuantRule::kNone) continue;
    for (Value* out : n->outputs) add_activation(out);
  }

  Groups groups;
  for (size_t i = 0; i < activations.size(); ++i) groups.add();
  std::map<size_t, std::vector<Value*>> shared_constants;  // by the output's index
  for (Node* n : order) {
    const QuantRule rule = op_quant_rule(n->kind);
    if (rule != QuantRule::kSameAsIn && rule != QuantRule::kShared) continue;
    for (Value* out : n->outputs) {
      if (!index.count(out)) continue;
      for (size_t i = 0; i < n->inputs.size(); ++i) {
        Value* in = n->inputs[i];
        if (!in || op_input_role(n->kind, i) != InputRole::kData) continue;
        if (rule == QuantRule::kSameAsIn && i != 0) continue;
        if (index.count(in)) {
          groups.join(index[in], index[out]);
        } else if (in->is_constant() && is_float(in)) {
          shared_constants[index[out]].push_back(in);
        }
      }
    }
  }

  std::map<size_t, size_t> group_number;  // union-find root -> position in plan.groups
  for (size_t i = 0; i < activations.size(); ++i) {
    const size_t root = groups.find(i);
    auto [it, fresh] = group_number.emplace(root, plan.groups.size());
    if (fresh) plan.groups.emplace_back();
    ActivationGroup& g = plan.groups[it->second];
    Value* v = activations[i];
    g.members.push_back(v);
    plan.group_of[v] = it->second;
    // Data movement only rearranges or selects its input's values: the input's observer covers it.
    const QuantRule rule = v->producer ? op_quant_rule(v->producer->kind) : QuantRule::kOwn;
    if (rule == QuantRule::kOwn || rule == QuantRule::kWithinInput || rule == QuantRule::kUnitInterval)
      g.observed.push_back(v);
    if (rule == QuantRule::kWithinInput && g.members.size() == 1 && index.count(v->producer->input(0)))
      g.fallback = v->producer->input(0);
    if (auto c = shared_constants.find(i); c != shared_constants.end())
      g.constant_inputs.insert(g.constant_inputs.end(), c->second.begin(), c->second.end());
  }
  for (ActivationGroup& g : plan.groups) {
    // A group of data movement over a constant-only source still needs a watched member.
    if (g.observed.empty()) g.observed.push_back(g.members.front());
    // Probabilities only: a Concat mixing a Softmax with anything else is calibrated as a whole.
    g.unit_interval = std::all_of(g.observed.begin(), g.observed.end(), [](const Value* v) {
      return v->producer && op_quant_rule(v->producer->kind) == QuantRule::kUnitInterval;
    });
  }

  for (Node* n : order) {
    const Value* second = n->kind == OpKind::kMatMul ? n->input(1) : nullptr;
    if (second && !second->is_constant() && n->input(0) && !n->input(0)->is_constant())
      if (auto it = plan.group_of.find(second); it != plan.group_of.end()) plan.groups[it->second].symmetric = true;
  }

  // Constants, by the role of the slot that reads them (the first reader decides).
  std::unordered_map<const Value*, bool> seen;
  std::vector<ConstantUse> weights, data, biases;
  for (Node* n : order) {
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      Value* c = n->inputs[i];
      if (!c || !c->is_constant() || !is_float(c) || seen[c]) continue;
      switch (op_input_role(n->kind, i)) {
        case InputRole::kWeight: {
          seen[c] = true;
          const int axis = weight_channel_axis(*n);
          const WeightAxis kind = op_weight_axis(n->kind);
          const bool per_row = kind == WeightAxis::kGemmOutput || kind == WeightAxis::kMatMulOutput;
          const bool per_channel = per_row ? options.per_row : options.per_channel;
          weights.push_back({ConstantUse::Kind::kWeight, c, n, per_channel ? axis : -1});
          break;
        }
        case InputRole::kBias:
          seen[c] = true;
          biases.push_back({ConstantUse::Kind::kBias, c, n, -1, n->input(0), n->input(1)});
          break;
        case InputRole::kData:
          // A data source of the output's group takes the group's encoding (ActivationGroup).
          if (op_quant_rule(n->kind) == QuantRule::kShared || (op_quant_rule(n->kind) == QuantRule::kSameAsIn && i == 0))
            break;
          seen[c] = true;
          if (has_non_finite(*c->constant)) break;  // an attention mask's -inf has no grid: it stays float
          data.push_back({ConstantUse::Kind::kData, c, n, -1});
          break;
        case InputRole::kParam:
          break;
      }
    }
  }
  plan.constants = std::move(weights);
  plan.constants.insert(plan.constants.end(), data.begin(), data.end());
  plan.constants.insert(plan.constants.end(), biases.begin(), biases.end());
  return plan;
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
#include "runtime/executor.h"

#include <chrono>
#include <cstring>

#include "core/log.h"
#include "runtime/layout.h"

namespace qf {

Executor::~Executor() = default;

Result<std::unique_ptr<Executor>> Executor::create(const Graph& graph, const ExecutorOptions& options) {
  std::unique_ptr<Executor> ex(new Executor(graph));
  QF_RETURN_IF_ERROR(ex->build(options));
  return ex;
}

Tensor* Executor::storage_in_layout(const Value* v, Layout layout) {
  Tensor* base = nullptr;
  if (auto it = constants_.find(v); it != constants_.end()) base = &it->second;
  if (auto it = produced_.find(v); it != produced_.end()) base = &it->second;
  if (!base) return nullptr;
  if (base->layout() == layout || base->rank() < 3) return base;
  auto key = std::make_pair(v, layout);
  auto it = converted_.find(key);
  if (it != converted_.end()) return &it->second;
  Tensor& copy = converted_[key] = Tensor(base->dtype(), base->shape(), layout);
  Step step;
  step.convert_src = base;
  step.convert_dst = &copy;
  steps_.push_back(std::move(step));
  profile_.push_back({"reorder:" + v->name, "Reorder", "layout", 0});
  return &copy;
}

Status Executor::build(const ExecutorOptions& options) {
  reference_ = make_reference_backend();
  if (options.backend == "reference") {
    backend_ = make_reference_backend();
  } else if (options.backend == "onednn") {
    backend_ = make_onednn_backend(options.threads);
  } else {
    return usage_error("unknown backend '{}' (onednn, reference)", options.backend);
  }

  for (const Value* in : graph_.inputs()) produced_[in] = Tensor(in->type.dtype, in->type.shape);
  for (const auto& v : graph_.values())
    if (v->is_constant()) constants_[v.get()] = *v->constant;

  QF_ASSIGN_OR_RETURN(std::vector<Node*> order, graph_.topo_order());
  for (const Node* node : order) {
    KernelConfig config;
    for (const Value* in : node->inputs) {
      auto it = in ? produced_.find(in) : produced_.end();
      config.input_layouts.push_back(it != produced_.end() ? it->second.layout() : Layout::kPlain);
    }
    std::string why;
    QF_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, backend_->create_kernel(*node, config, &why));
    if (!kernel) {
      spdlog::debug("{}: {} backend declined ({}); running the reference kernel", node->describe(), backend_->name(),
                    why);
      fallbacks_.emplace_back(node->name, why);
      QF_ASSIGN_OR_RETURN(kernel, reference_->create_kernel(*node, config, &why));
    }
    Step step;
    step.node = node;
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      const Value* in = node->inputs[i];
      if (!in) {
        step.inputs.push_back(nullptr);
        continue;
      }
      Tensor* t = storage_in_layout(in, kernel->input_layout(i));
      if (!t) return internal_error("{}: input '{}' has no storage", node->describe(), in->name);
      step.inputs.push_back(t);
    }
    for (size_t i = 0; i < node->outputs.size(); ++i) {
      const Value* out = node->outputs[i];
      if (!out) {
        step.outputs.push_back(nullptr);
        continue;
      }
      Tensor& t = produced_[out] = Tensor(out->type.dtype, out->type.shape, kernel->output_layout(i));
      step.outputs.push_back(&t);
    }
    profile_.push_back({node->name, std::string(op_name(node->kind)), kernel->impl_name(), 0});
    step.kernel = std::move(kernel);
    steps_.push_back(std::move(step));
  }
  return Status::ok();
}

Status Executor::run(std::span<const Tensor> inputs, bool profile) {
  const auto& graph_inputs = graph_.inputs();
  if (inputs.size() != graph_inputs.size())
    return bad_input("the model has {} inputs, {} given", graph_inputs.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value* v = graph_inputs[i];
    if (inputs[i].dtype() != v->type.dtype || inputs[i].shape() != v->type.shape)
      return bad_input("input '{}' must be {} {}, got {} {}", v->name, dtype_name(v->type.dtype),
                       shape_to_string(v->type.shape), dtype_name(inputs[i].dtype()), shape_to_string(inputs[i].shape()));
    std::memcpy(produced_[v].bytes(), inputs[i].bytes(), inputs[i].nbytes());
  }
  using Clock = std::chrono::steady_clock;
  for (size_t s = 0; s < steps_.size(); ++s) {
    Step& step = steps_[s];
    const auto start = profile ? Clock::now() : Clock::time_point{};
    if (!step.node) {
      convert_layout(*step.convert_src, *step.convert_dst);
    } else {
      QF_RETURN_IF_ERROR(step.kernel->run(step.inputs, step.outputs));
    }
    if (profile) profile_[s].total_ms += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  return Status::ok();
}

const Tensor* Executor::computed(const Value* value) const {
  auto it = produced_.find(value);
  return it == produced_.end() ? nullptr : &it->second;
}

Result<Tensor> Executor::fetch(const Value* value) const {
  const Tensor* t = nullptr;
  if (auto it = produced_.find(value); it != produced_.end()) t = &it->second;
  if (auto it = constants_.find(value); !t && it != constants_.end()) t = &it->second;
  if (!t) return bad_input("tensor '{}' is not computed by this graph", value->name);
  if (t->layout() == Layout::kPlain || t->rank() < 3) return t->clone();
  Tensor plain(t->dtype(), t->shape());
  convert_layout(*t, plain);
  return plain;
}

}  // namespace qf

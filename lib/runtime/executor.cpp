// SPDX-License-Identifier: Apache-2.0
#include "runtime/executor.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/log.h"
#include "runtime/int8.h"
#include "runtime/layout.h"

namespace qf {

Executor::~Executor() = default;

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// The bytes of every tensor a run computes (each at least as float32, which its conversions may
// need): refusing a model that cannot fit beats failing halfway through allocating it.
Status check_memory(const Graph& graph) {
  double bytes = 0;
  for (const auto& v : graph.values()) {
    if (v->is_constant()) continue;
    const auto n = checked_numel(v->type.shape);
    if (!n) return bad_input("tensor '{}' has the shape {}, too large to hold", v->name, shape_to_string(v->type.shape));
    bytes += static_cast<double>(*n) * static_cast<double>(std::max<size_t>(dtype_size(v->type.dtype), sizeof(float)));
  }
  const double physical = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (physical > 0 && bytes > physical)
    return bad_input("running this model needs {:.1f} GiB for its tensors; this machine has {:.1f} GiB", bytes / kGiB,
                     physical / kGiB);
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Executor>> Executor::create(const Graph& graph, const ExecutorOptions& options) {
  QF_RETURN_IF_ERROR(check_memory(graph));
  std::unique_ptr<Executor> ex(new Executor(graph));
  try {
    QF_RETURN_IF_ERROR(ex->build(options));
  } catch (const std::bad_alloc&) {
    return bad_input("out of memory while preparing the model's tensors and kernels");
  }
  return ex;
}

Executor::Form Executor::home_form(const Value* v) const {
  return quantized() && v->encoding ? Form::kCodes : Form::kFloat;
}

void Executor::add_conversion(Step::Kind kind, const Value* v, const Tensor* src, Tensor* dst) {
  Step step;
  step.kind = kind;
  step.src = src;
  step.dst = dst;
  step.encoding = v->encoding ? &*v->encoding : nullptr;
  steps_.push_back(std::move(step));
  const char* what = kind == Step::Kind::kLayout ? "reorder" : kind == Step::Kind::kQuantize ? "quantize" : "dequantize";
  profile_.push_back({fmt::format("{}:{}", what, v->name), kind == Step::Kind::kLayout ? "Reorder" : what,
                      kind == Step::Kind::kLayout ? "layout" : "qforge", 0});
}

// An image input (up to 4 channels) read only by convs is quantized straight into channels-last
// codes on oneDNN: its convs then read it as it is, instead of each reordering the plain codes (a
// 3x224x224 image: 41 us of oneDNN's reorder, against nothing extra in the quantize loop).
Layout Executor::input_codes_layout(const Value& input) const {
  const bool image = quantizes_straight_to_channels_last(input.type.shape, input.encoding->storage_dtype());
  const bool only_convs = !input.consumers.empty() && std::all_of(input.consumers.begin(), input.consumers.end(),
                                                                  [](const Node* n) { return n->kind == OpKind::kConv; });
  return image && only_convs && backend_->name() != reference_->name() ? Layout::kChannelsLast : Layout::kPlain;
}

Tensor* Executor::view(const Value* v, Form form, Layout layout) {
  if (v->is_constant()) {
    // Constants exist in their stored form in ONNX layout; the float view of codes is
    // dequantized once, here; layout copies are made like any other.
    const bool codes = tensors_.count({v, Form::kCodes, Layout::kPlain}) != 0;
    const Form stored = codes ? form : Form::kFloat;
    const Key plain{v, stored, Layout::kPlain};
    if (!tensors_.count(plain)) {
      auto dequantized = dequantize(tensors_.at({v, Form::kCodes, Layout::kPlain}), *v->encoding);
      if (!dequantized.is_ok()) return nullptr;
      tensors_[plain] = std::move(*dequantized);
    }
    Tensor& base = tensors_.at(plain);
    if (layout == Layout::kPlain || base.rank() < 3) return &base;
    const Key key{v, stored, layout};
    if (auto it = tensors_.find(key); it != tensors_.end()) return &it->second;
    Tensor& copy = tensors_[key] = Tensor(base.dtype(), base.shape(), layout);
    add_conversion(Step::Kind::kLayout, v, &base, &copy);
    return &copy;
  }
  auto home_it = home_.find(v);
  if (home_it == home_.end()) return nullptr;
  const Key home = home_it->second;
  Tensor& base = tensors_.at(home);
  // Tensors of rank < 3 are the same bytes in both layouts.
  if (base.rank() < 3) layout = std::get<2>(home);
  if (std::get<1>(home) == form && std::get<2>(home) == layout) return &base;
  const Key key{v, form, layout};
  if (auto it = tensors_.find(key); it != tensors_.end()) return &it->second;
  if (std::get<1>(home) == form) {
    Tensor& copy = tensors_[key] = Tensor(base.dtype(), base.shape(), layout);
    add_conversion(Step::Kind::kLayout, v, &base, &copy);
    return &copy;
  }
  // Another form: converted elementwise in the home layout, then moved to `layout` if need be.
  const Key same_layout{v, form, std::get<2>(home)};
  auto it = tensors_.find(same_layout);
  if (it == tensors_.end()) {
    const DType dtype = form == Form::kCodes ? v->encoding->storage_dtype() : DType::kF32;
    Tensor& converted = tensors_[same_layout] = Tensor(dtype, base.shape(), std::get<2>(home));
    add_conversion(form == Form::kCodes ? Step::Kind::kQuantize : Step::Kind::kDequantize, v, &base, &converted);
    it = tensors_.find(same_layout);
  }
  if (std::get<2>(home) == layout) return &it->second;
  Tensor& moved = tensors_[key] = Tensor(it->second.dtype(), base.shape(), layout);
  add_conversion(Step::Kind::kLayout, v, &it->second, &moved);
  return &moved;
}

KernelConfig Executor::config_for(const Node& node) const {
  KernelConfig config;
  for (const Value* in : node.inputs) {
    auto it = in ? home_.find(in) : home_.end();
    config.input_layouts.push_back(it != home_.end() ? std::get<2>(it->second) : Layout::kPlain);
  }
  return config;
}

Result<std::unique_ptr<Kernel>> Executor::float_kernel(const Node& node, const KernelConfig& config) {
  std::string why;
  QF_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, backend_->create_kernel(node, config, &why));
  if (kernel) return kernel;
  spdlog::debug("{}: {} backend declined ({}); running the reference kernel", node.describe(), backend_->name(), why);
  fallbacks_.emplace_back(node.name, why);
  return reference_->create_kernel(node, config, &why);
}

Status Executor::add_node_step(const Node& node, std::unique_ptr<Kernel> kernel, const std::vector<Form>& input_forms,
                               const std::vector<Form>& output_forms, const std::string& impl_suffix) {
  Step step;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Value* in = node.inputs[i];
    if (!in) {
      step.inputs.push_back(nullptr);
      continue;
    }
    Tensor* t = view(in, input_forms[i], kernel->input_layout(i));
    if (!t) return internal_error("{}: input '{}' has no storage", node.describe(), in->name);
    step.inputs.push_back(t);
  }
  std::vector<const Value*> to_quantize;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    const Value* out = node.outputs[i];
    if (!out) {
      step.outputs.push_back(nullptr);
      continue;
    }
    const Layout layout = kernel->output_layout(i);
    if (output_forms[i] == Form::kFloat && home_form(out) == Form::kCodes) {
      // A float kernel computing an encoded value: its result is quantized before anyone reads it.
      Tensor& raw = raw_outputs_[out] = Tensor(DType::kF32, out->type.shape, layout);
      step.outputs.push_back(&raw);
      to_quantize.push_back(out);
      continue;
    }
    const Key key{out, output_forms[i], layout};
    const DType dtype = output_forms[i] == Form::kCodes ? out->encoding->storage_dtype() : out->type.dtype;
    Tensor& t = tensors_[key] = Tensor(dtype, out->type.shape, layout);
    home_[out] = key;
    step.outputs.push_back(&t);
  }
  profile_.push_back({node.name, std::string(op_name(node.kind)), kernel->impl_name() + impl_suffix, 0});
  step.kernel = std::move(kernel);
  steps_.push_back(std::move(step));
  for (const Value* out : to_quantize) {
    const Tensor& raw = raw_outputs_.at(out);
    const Key key{out, Form::kCodes, raw.layout()};
    Tensor& codes = tensors_[key] = Tensor(out->encoding->storage_dtype(), out->type.shape, raw.layout());
    home_[out] = key;
    add_conversion(Step::Kind::kQuantize, out, &raw, &codes);
  }
  return Status::ok();
}

Status Executor::build_float_node(const Node& node, const std::string& why) {
  QF_ASSIGN_OR_RETURN(const Node* twin, twin_.node_for(node));
  QF_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, float_kernel(*twin, config_for(node)));
  placements_.push_back({node.name, "float", why});
  spdlog::debug("{} runs in float: {}", node.describe(), why);
  return add_node_step(node, std::move(kernel), std::vector<Form>(node.inputs.size(), Form::kFloat),
                       std::vector<Form>(node.outputs.size(), Form::kFloat));
}

Status Executor::build_node(const Node& node) {
  const KernelConfig config = config_for(node);
  if (!quantized()) {
    QF_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, float_kernel(node, config));
    return add_node_step(node, std::move(kernel), std::vector<Form>(node.inputs.size(), Form::kFloat),
                         std::vector<Form>(node.outputs.size(), Form::kFloat));
  }
  // Integer kernels read codes wherever an input has them and write codes for encoded outputs.
  std::vector<Form> in_forms, out_forms;
  for (const Value* in : node.inputs) {
    const bool codes = in && in->encoding &&
                       (in->is_constant() ? in->constant->dtype() != DType::kF32 : home_form(in) == Form::kCodes);
    in_forms.push_back(codes ? Form::kCodes : Form::kFloat);
  }
  for (const Value* out : node.outputs) out_forms.push_back(out ? home_form(out) : Form::kFloat);
  std::string why;
  QF_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, backend_->create_int8_kernel(node, config, &why));
  if (kernel) {
    placements_.push_back({node.name, "int8", ""});
    return add_node_step(node, std::move(kernel), in_forms, out_forms);
  }
  std::string why_reference;
  QF_ASSIGN_OR_RETURN(kernel, reference_->create_int8_kernel(node, config, &why_reference));
  if (kernel) {
    // Integer semantics the backend has no kernel for: the naive loops keep the results exact.
    // (Ops that only move codes are no fallback: the reference kernel is a copy.)
    if (backend_->name() != reference_->name() && !moves_codes(node)) {
      fallbacks_.emplace_back(node.name, why);
      placements_.push_back({node.name, "int8 (reference)", why});
    } else {
      placements_.push_back({node.name, "int8", ""});
    }
    return add_node_step(node, std::move(kernel), in_forms, out_forms);
  }
  return build_float_node(node, why_reference);
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
  if (options.use_encodings)
    for (const auto& v : graph_.values()) quantized_ = quantized_ || v->encoding.has_value();
  for (const Value* in : graph_.inputs()) {
    Tensor& given = raw_outputs_[in] = Tensor(in->type.dtype, in->type.shape);
    if (home_form(in) == Form::kCodes) {
      // An encoded input is quantized first: every reader, float or integer, sees its codes.
      const Layout layout = input_codes_layout(*in);
      const Key key{in, Form::kCodes, layout};
      tensors_[key] = Tensor(in->encoding->storage_dtype(), in->type.shape, layout);
      home_[in] = key;
      add_conversion(Step::Kind::kQuantize, in, &given, &tensors_.at(key));
    } else {
      const Key key{in, Form::kFloat, Layout::kPlain};
      tensors_[key] = given;  // the same buffer
      home_[in] = key;
    }
  }
  for (const auto& v : graph_.values()) {
    if (!v->is_constant()) continue;
    // Stored as they are (the graph's buffer, not a copy); a float view of codes is made only
    // if a float kernel reads it.
    const Tensor& stored = *v->constant;
    const bool codes = v->encoding && stored.dtype() != DType::kF32;
    tensors_[{v.get(), codes ? Form::kCodes : Form::kFloat, Layout::kPlain}] = stored;
  }
  QF_ASSIGN_OR_RETURN(std::vector<Node*> order, graph_.topo_order());
  for (const Node* node : order) QF_RETURN_IF_ERROR(build_node(*node));
  plan_band_chains();
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
    std::memcpy(raw_outputs_.at(v).bytes(), inputs[i].bytes(), inputs[i].nbytes());
  }
  using Clock = std::chrono::steady_clock;
  for (size_t s = 0; s < steps_.size(); ++s) {
    Step& step = steps_[s];
    if (step.chain_end > s) {
      QF_RETURN_IF_ERROR(run_band_chain(s, profile));
      s = step.chain_end - 1;
      continue;
    }
    const auto start = profile ? Clock::now() : Clock::time_point{};
    switch (step.kind) {
      case Step::Kind::kNode: QF_RETURN_IF_ERROR(step.kernel->run(step.inputs, step.outputs)); break;
      case Step::Kind::kLayout: convert_layout(*step.src, *step.dst); break;
      case Step::Kind::kQuantize: quantize_into(*step.src, *step.encoding, *step.dst); break;
      case Step::Kind::kDequantize: dequantize_into(*step.src, *step.encoding, *step.dst); break;
    }
    if (profile) profile_[s].total_ms += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  return Status::ok();
}

const Tensor* Executor::computed(const Value* value) const {
  auto it = home_.find(value);
  return it == home_.end() ? nullptr : &tensors_.at(it->second);
}

namespace {

Tensor plain_copy(const Tensor& t) {
  if (t.layout() == Layout::kPlain || t.rank() < 3) return t.clone();
  Tensor plain(t.dtype(), t.shape());
  convert_layout(t, plain);
  return plain;
}

}  // namespace

Result<Tensor> Executor::fetch(const Value* value) const {
  const Tensor* t = computed(value);
  if (!t && value->is_constant()) {
    auto it = tensors_.find({value, Form::kFloat, Layout::kPlain});
    if (it == tensors_.end()) it = tensors_.find({value, Form::kCodes, Layout::kPlain});
    if (it != tensors_.end()) t = &it->second;
  }
  if (!t) return bad_input("tensor '{}' is not computed by this graph", value->name);
  Tensor plain = plain_copy(*t);
  if (plain.dtype() == DType::kF32 || !value->encoding) return plain;
  Tensor x(DType::kF32, plain.shape());
  dequantize_into(plain, *value->encoding, x);
  return x;
}

Result<Tensor> Executor::fetch_codes(const Value* value) const {
  const Tensor* t = computed(value);
  if (!t || !value->encoding || t->dtype() == DType::kF32)
    return bad_input("tensor '{}' has no integer codes in this graph", value->name);
  return plain_copy(*t);
}

}  // namespace qf

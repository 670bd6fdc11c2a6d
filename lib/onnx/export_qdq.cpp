// SPDX-License-Identifier: Apache-2.0
#include "onnx/export_qdq.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "io/atomic_file.h"
#include "ir/fused_activation.h"

namespace qf {
namespace {

// Per-axis QuantizeLinear / DequantizeLinear (per-channel weights) arrived in opset 13; a graph
// whose ops are all older is exported at 13, so CNN exports stay readable by older runtimes.
constexpr int64_t kMinExportOpset = 13;
// Reduce ops other than ReduceSum take their axes as an input instead of an attribute from here on.
constexpr int64_t kReduceAxesInputOpset = 18;
// Split without a `split` input must say how many outputs it has (num_outputs) from here on.
constexpr int64_t kSplitNumOutputsOpset = 18;
// Attributes that exist only inside qforge.
constexpr const char* kInternalAttrs[] = {kFusedMinAttr, kFusedMaxAttr, "legacy_2d"};

void set_tensor(onnx::TensorProto* t, const std::string& name, const Tensor& value) {
  t->set_name(name);
  t->set_data_type(dtype_to_onnx(value.dtype()));
  for (int64_t d : value.shape()) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(value.bytes()), value.nbytes()));
}

void set_attribute(onnx::NodeProto* n, const std::string& key, const AttrValue& value) {
  auto* a = n->add_attribute();
  a->set_name(key);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          a->set_type(onnx::AttributeProto::INT);
          a->set_i(v);
        } else if constexpr (std::is_same_v<T, float>) {
          a->set_type(onnx::AttributeProto::FLOAT);
          a->set_f(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          a->set_type(onnx::AttributeProto::STRING);
          a->set_s(v);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          a->set_type(onnx::AttributeProto::INTS);
          for (int64_t x : v) a->add_ints(x);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          a->set_type(onnx::AttributeProto::FLOATS);
          for (float x : v) a->add_floats(x);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          a->set_type(onnx::AttributeProto::STRINGS);
          for (const auto& x : v) a->add_strings(x);
        } else {
          a->set_type(onnx::AttributeProto::TENSOR);
          set_tensor(a->mutable_t(), key, v);
        }
      },
      value);
}

// The IR version that came with an opset (onnx/helper.py's VERSION_TABLE): a runtime checks that
// the model's IR version is one that knows the opset's ops.
int64_t ir_version_for(int64_t opset) {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

// The ONNX op a node is written as when it is not written under its own name (see export_node).
bool exported_as_older_ops(const Node& n) { return n.kind == OpKind::kHardSwish; }

// The opset of the export: at least the source model's, whose nodes carry attributes of their own
// opset (an opset-17 Reshape's `allowzero` is no attribute at 13, and onnxruntime refuses the
// model), and at least the opset in which each op exists in the default domain (LayerNormalization
// 17, Gelu 20: qforge fuses an opset-17 model's erf form into Gelu). One opset serves the whole
// model; export_node writes the inputs whose form changed in between (Reduce axes, Split).
int64_t export_opset(const Graph& graph, const std::vector<Node*>& order) {
  int64_t opset = std::max(kMinExportOpset, graph.opset);
  for (const Node* n : order)
    if (!exported_as_older_ops(*n)) opset = std::max<int64_t>(opset, op_since_opset(n->kind));
  return opset;
}

class Exporter {
 public:
  explicit Exporter(const Graph& graph) : graph_(graph) {}

  Result<std::string> run() {
    QF_ASSIGN_OR_RETURN(std::vector<Node*> order, graph_.topo_order());
    opset_ = export_opset(graph_, order);
    model_.set_ir_version(ir_version_for(opset_));
    model_.set_producer_name("qforge");
    model_.set_producer_version(QFORGE_VERSION);
    auto* opset = model_.add_opset_import();
    opset->set_domain("");
    opset->set_version(opset_);
    g_ = model_.mutable_graph();
    g_->set_name("qforge_qdq");
    for (const Value* in : graph_.inputs()) {
      add_value_info(g_->add_input(), *in);
      QF_RETURN_IF_ERROR(publish(*in, in->name));
    }
    for (const Node* n : order) QF_RETURN_IF_ERROR(export_node(*n));
    for (const Value* out : graph_.outputs()) {
      QF_ASSIGN_OR_RETURN(std::string name, reader_name(*out));
      if (name != out->name) {
        // The graph output's name must survive: an Identity gives it back.
        add_node("Identity", {name}, {out->name}, out->name + "_output");
      }
      add_value_info(g_->add_output(), *out);
    }
    return model_.SerializeAsString();
  }

 private:
  void add_value_info(onnx::ValueInfoProto* vi, const Value& v) {
    vi->set_name(v.name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(dtype_to_onnx(v.type.dtype));
    for (int64_t d : v.type.shape) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }

  onnx::NodeProto* add_node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                            const std::string& name) {
    auto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : ins) n->add_input(i);
    for (auto& o : outs) n->add_output(o);
    return n;
  }

  std::string add_initializer(const std::string& name, const Tensor& t) {
    set_tensor(g_->add_initializer(), name, t);
    return name;
  }

  // The scale and zero-point initializers of an encoding (ONNX zero point = -offset).
  Result<std::pair<std::string, std::string>> qdq_params(const Encoding& e, const std::string& base) {
    if (e.bitwidth > 8 && !(e.bitwidth == 32 && e.is_signed))
      return unsupported("tensor '{}': a {}-bit encoding has no opset-{} QuantizeLinear form", base, e.bitwidth,
                         opset_);
    const auto n = static_cast<int64_t>(e.channels());
    const Shape shape = e.per_channel() ? Shape{n} : Shape{};
    Tensor scale(DType::kF32, shape);
    const DType zp_type = e.bitwidth == 32 ? DType::kS32 : (e.is_signed ? DType::kS8 : DType::kU8);
    Tensor zp(zp_type, shape);
    for (int64_t c = 0; c < n; ++c) {
      scale.data<float>()[c] = e.scale[static_cast<size_t>(c)];
      const int64_t z = -e.offset[static_cast<size_t>(c)];
      switch (zp_type) {
        case DType::kS32: zp.data<int32_t>()[c] = static_cast<int32_t>(z); break;
        case DType::kS8: zp.data<int8_t>()[c] = static_cast<int8_t>(z); break;
        default: zp.data<uint8_t>()[c] = static_cast<uint8_t>(z); break;
      }
    }
    return std::make_pair(add_initializer(base + "_scale", scale), add_initializer(base + "_zero_point", zp));
  }

  void set_axis(onnx::NodeProto* n, const Encoding& e) {
    if (e.per_channel()) set_attribute(n, "axis", AttrValue(static_cast<int64_t>(e.axis)));
  }

  // `v` computed under ONNX name `computed`: with an encoding, through Q -> DQ, so that its
  // readers see the quantized values.
  Status publish(const Value& v, const std::string& computed) {
    if (!v.encoding || v.type.dtype != DType::kF32) {
      names_[&v] = computed;
      return Status::ok();
    }
    QF_ASSIGN_OR_RETURN(auto params, qdq_params(*v.encoding, v.name));
    const std::string q = v.name + "_quantized", dq = v.name + "_dequantized";
    set_axis(add_node("QuantizeLinear", {computed, params.first, params.second}, {q}, q), *v.encoding);
    set_axis(add_node("DequantizeLinear", {q, params.first, params.second}, {dq}, dq), *v.encoding);
    names_[&v] = dq;
    return Status::ok();
  }

  // The ONNX name a reader of `v` uses; constants are emitted on first use.
  Result<std::string> reader_name(const Value& v) {
    if (auto it = names_.find(&v); it != names_.end()) return it->second;
    if (!v.is_constant()) return internal_error("QDQ export: '{}' is read before it is computed", v.name);
    if (!v.encoding) {
      names_[&v] = add_initializer(v.name, *v.constant);
      return names_[&v];
    }
    // Integer codes through a DequantizeLinear.
    QF_ASSIGN_OR_RETURN(auto params, qdq_params(*v.encoding, v.name));
    const std::string codes = add_initializer(v.name + "_quantized", *v.constant);
    const std::string dq = v.name + "_dequantized";
    set_axis(add_node("DequantizeLinear", {codes, params.first, params.second}, {dq}, dq), *v.encoding);
    names_[&v] = dq;
    return dq;
  }

  Status export_node(const Node& n) {
    std::vector<std::string> ins;
    for (const Value* v : n.inputs) {
      if (!v) {
        ins.emplace_back();
        continue;
      }
      QF_ASSIGN_OR_RETURN(std::string name, reader_name(*v));
      ins.push_back(name);
    }
    const auto act = fused_activation(n);
    std::vector<std::string> outs;
    for (const Value* v : n.outputs) outs.push_back(v->name + (act ? "_preact" : "") + (v->encoding ? "_float" : ""));
    const std::string op(op_name(n.kind));
    onnx::NodeProto* node = nullptr;
    if (n.kind == OpKind::kHardSwish) {
      // HardSwish arrived in opset 14: x * HardSigmoid(x; 1/6, 1/2) is the same function.
      const std::string sig = n.name + "_hardsigmoid";
      auto* hs = add_node("HardSigmoid", {ins[0]}, {sig}, sig);
      set_attribute(hs, "alpha", AttrValue(1.f / 6.f));
      set_attribute(hs, "beta", AttrValue(0.5f));
      node = add_node("Mul", {ins[0], sig}, outs, n.name);
    } else if ((n.kind == OpKind::kReduceMean || n.kind == OpKind::kReduceMax) && opset_ < kReduceAxesInputOpset) {
      // qforge holds the opset-18 form (axes as an input); older opsets take them as an attribute.
      std::vector<std::string> data_only{ins[0]};
      node = add_node(op, data_only, outs, n.name);
      if (n.input(1)) set_attribute(node, "axes", AttrValue(n.input(1)->constant->to_int_vector()));
    } else if (n.kind == OpKind::kMatMul && n.input(2)) {
      // qforge's MatMul bias (passes/fold_bias_add.cpp) is a plain Add after ONNX's MatMul.
      const std::string product = n.outputs[0]->name + "_product";
      node = add_node(op, {ins[0], ins[1]}, {product}, n.name);
      add_node("Add", {product, ins[2]}, outs, n.name + "_bias");
    } else if (n.kind == OpKind::kSoftmax && n.input(1)) {
      // qforge's masked Softmax (passes/fuse_masked_softmax.cpp) is Where(mask, -inf, x) first.
      const std::string filled = n.outputs[0]->name + "_masked_scores";
      const std::string fill = add_initializer(n.name + "_fill", Tensor::scalar(-INFINITY));
      add_node("Where", {ins[1], fill, ins[0]}, {filled}, n.name + "_mask");
      node = add_node(op, {filled}, outs, n.name);
    } else if (n.kind == OpKind::kSplit && !n.input(1) && opset_ >= kSplitNumOutputsOpset) {
      // An even split: from opset 18 the count of parts must be stated.
      node = add_node(op, {ins[0]}, outs, n.name);
      set_attribute(node, "num_outputs", AttrValue(static_cast<int64_t>(n.outputs.size())));
    } else if (n.kind == OpKind::kConv && n.input(3)) {
      // qforge's residual input is a plain Add after the Conv.
      const std::string conv_out = n.outputs[0]->name + "_conv";
      node = add_node(op, {ins[0], ins[1], ins[2]}, {conv_out}, n.name);
      add_node("Add", {conv_out, ins[3]}, outs, n.name + "_residual");
    } else {
      if ((n.kind == OpKind::kSoftmax || n.kind == OpKind::kLogSoftmax) && n.attr_int("legacy_2d", 0) != 0 &&
          n.attr_int("axis", 1) != static_cast<int64_t>(n.input(0)->type.shape.size()) - 1)
        return unsupported("QDQ export: {} flattens from axis {} (opset < 13 semantics)", n.describe(),
                           n.attr_int("axis", 1));
      node = add_node(op, ins, outs, n.name);
    }
    for (const auto& [key, value] : n.attrs) {
      if (std::find(std::begin(kInternalAttrs), std::end(kInternalAttrs), key) != std::end(kInternalAttrs)) continue;
      // A legacy (opset < 13) softmax over the last axis is the opset-13 softmax over axis -1.
      if (key == "axis" && n.attr_int("legacy_2d", 0) != 0) {
        set_attribute(node, key, AttrValue(static_cast<int64_t>(-1)));
        continue;
      }
      set_attribute(node, key, value);
    }
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      const Value& v = *n.outputs[i];
      std::string computed = outs[i];
      if (act) {
        const std::string activated = v.name + (v.encoding ? "_float" : "");
        if (act->is_relu()) {
          add_node("Relu", {computed}, {activated}, n.name + "_relu");
        } else {
          const std::string lo = add_initializer(n.name + "_clip_min", Tensor::scalar(act->min));
          const std::string hi = add_initializer(n.name + "_clip_max", Tensor::scalar(act->max));
          add_node("Clip", {computed, std::isinf(act->min) ? std::string() : lo, std::isinf(act->max) ? std::string() : hi},
                   {activated}, n.name + "_clip");
        }
        computed = activated;
      }
      QF_RETURN_IF_ERROR(publish(v, computed));
    }
    return Status::ok();
  }

  const Graph& graph_;
  onnx::ModelProto model_;
  onnx::GraphProto* g_ = nullptr;
  int64_t opset_ = kMinExportOpset;
  std::unordered_map<const Value*, std::string> names_;
};

}  // namespace

Status export_qdq_onnx(const Graph& graph, const std::string& path) {
  QF_ASSIGN_OR_RETURN(std::string bytes, Exporter(graph).run());
  return write_file_atomic(path, bytes);
}

}  // namespace qf

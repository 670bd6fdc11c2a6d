// SPDX-License-Identifier: Apache-2.0
// Opset normalization. The canonical form of an op is its newest input signature: attributes that
// older opsets used instead of inputs become constant inputs, and defaults that changed between
// opsets are written out explicitly. See lib/ir/ops.def for the list of ops.
#include "onnx/canonicalize.h"

#include <algorithm>
#include <limits>

namespace qf {
namespace {

void set_input_at(Graph& graph, Node& node, size_t index, Value* value) {
  if (node.inputs.size() <= index) node.inputs.resize(index + 1, nullptr);
  graph.set_input(&node, index, value);
}

// Moves an int-list attribute into input `index` as a constant int64 tensor.
void ints_attr_to_input(Graph& graph, Node& node, const std::string& attr, size_t index) {
  if (!node.has_attr(attr)) return;
  const std::vector<int64_t> v = node.attr_ints(attr);
  node.attrs.erase(attr);
  Value* c = graph.add_constant(node.name + "_" + attr,
                                Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v));
  set_input_at(graph, node, index, c);
}

void float_attr_to_input(Graph& graph, Node& node, const std::string& attr, size_t index) {
  if (!node.has_attr(attr)) return;
  const float v = node.attr_float(attr, 0.f);
  node.attrs.erase(attr);
  set_input_at(graph, node, index, graph.add_constant(node.name + "_" + attr, Tensor::scalar(v)));
}

// Optional inputs given as empty tensors (Resize's scales/roi in opset 11-12) mean "absent".
// The value may come from an initializer or from a Constant node that is not folded yet.
void drop_empty_constant_input(Graph& graph, Node& node, size_t index) {
  Value* v = node.input(index);
  if (!v) return;
  const Tensor* payload = v->is_constant() ? &*v->constant : nullptr;
  if (!payload && v->producer && v->producer->kind == OpKind::kConstant) payload = v->producer->attr_tensor("value");
  if (payload && payload->numel() == 0) graph.set_input(&node, index, nullptr);
}

// Extra outputs that only training uses (BatchNormalization's running stats, MaxPool's indices)
// are dropped when nothing reads them; when something does, the model is unsupported.
Status drop_unused_outputs(Graph& graph, Node& node, size_t keep) {
  for (size_t i = keep; i < node.outputs.size(); ++i) {
    Value* out = node.outputs[i];
    if (!out) continue;
    if (!out->consumers.empty() || graph.is_output(out))
      return unsupported("{}: output {} ('{}') is not supported", node.describe(), i, out->name);
  }
  for (size_t i = keep; i < node.outputs.size(); ++i)
    if (node.outputs[i]) node.outputs[i]->producer = nullptr;
  node.outputs.resize(std::min(node.outputs.size(), keep));
  return Status::ok();
}

// Drops the outputs after the first that nothing reads or exports, keeping the slots of used ones.
void trim_unused_outputs(Graph& graph, Node& node) {
  for (size_t i = 1; i < node.outputs.size(); ++i) {
    Value* out = node.outputs[i];
    if (!out || !out->consumers.empty() || graph.is_output(out)) continue;
    out->producer = nullptr;
    node.outputs[i] = nullptr;
  }
  while (node.outputs.size() > 1 && !node.outputs.back()) node.outputs.pop_back();
}

Status canonicalize_constant(Node& node) {
  if (node.attr_tensor("value")) return Status::ok();
  Tensor t;
  if (node.has_attr("value_float")) {
    t = Tensor::scalar(node.attr_float("value_float", 0.f));
  } else if (node.has_attr("value_floats")) {
    auto v = node.attr_floats("value_floats");
    t = Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v);
  } else if (node.has_attr("value_int")) {
    t = Tensor::from_vector<int64_t>({}, {node.attr_int("value_int", 0)});
  } else if (node.has_attr("value_ints")) {
    auto v = node.attr_ints("value_ints");
    t = Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v);
  } else {
    return unsupported("{}: only tensor, float(s) and int(s) values are supported", node.describe());
  }
  for (const char* key : {"value_float", "value_floats", "value_int", "value_ints"}) node.attrs.erase(key);
  node.attrs["value"] = std::move(t);
  return Status::ok();
}

Status canonicalize_resize(Graph& graph, Node& node, bool from_upsample) {
  const int64_t opset = graph.opset;
  const bool legacy = from_upsample || opset < 11;
  if (legacy) {
    // Upsample-7 had scales as an attribute; Upsample-9 and Resize-10 take (X, scales).
    if (from_upsample && node.has_attr("scales")) {
      const auto s = node.attr_floats("scales");
      node.attrs.erase("scales");
      set_input_at(graph, node, 2, graph.add_constant(node.name + "_scales",
                                                      Tensor::from_vector<float>({static_cast<int64_t>(s.size())}, s)));
    } else if (node.inputs.size() >= 2) {
      Value* scales = node.inputs[1];
      graph.set_input(&node, 1, nullptr);
      set_input_at(graph, node, 2, scales);
    }
    std::string mode = node.attr_string("mode", "nearest");
    if (mode == "bilinear") mode = "linear";
    node.attrs["mode"] = mode;
    node.attrs["coordinate_transformation_mode"] = std::string("asymmetric");
    node.attrs["nearest_mode"] = std::string("floor");
  }
  drop_empty_constant_input(graph, node, 1);
  drop_empty_constant_input(graph, node, 2);
  drop_empty_constant_input(graph, node, 3);
  return Status::ok();
}

}  // namespace

Status canonicalize_node(Graph& graph, Node& node) {
  const std::string onnx_type = node.attr_string(kOnnxOpTypeAttr, std::string(op_name(node.kind)));
  node.attrs.erase(kOnnxOpTypeAttr);
  const int64_t opset = graph.opset;

  switch (node.kind) {
    case OpKind::kClip:
      if (opset < 11) {
        float_attr_to_input(graph, node, "min", 1);
        float_attr_to_input(graph, node, "max", 2);
      }
      break;
    case OpKind::kSoftmax:
    case OpKind::kLogSoftmax:
      node.attrs["axis"] = node.attr_int("axis", opset < 13 ? 1 : -1);
      if (opset < 13) node.attrs["legacy_2d"] = int64_t{1};
      break;
    case OpKind::kSqueeze:
    case OpKind::kUnsqueeze:
      if (opset < 13) ints_attr_to_input(graph, node, "axes", 1);
      break;
    case OpKind::kSplit:
      if (opset < 13) ints_attr_to_input(graph, node, "split", 1);
      break;
    case OpKind::kReduceMean:
    case OpKind::kReduceMax:
      if (opset < 18) ints_attr_to_input(graph, node, "axes", 1);
      break;
    case OpKind::kReduceSum:
      if (opset < 13) ints_attr_to_input(graph, node, "axes", 1);
      break;
    case OpKind::kPad:
      if (opset < 11) {
        ints_attr_to_input(graph, node, "pads", 1);
        float_attr_to_input(graph, node, "value", 2);
      }
      break;
    case OpKind::kSlice:
      if (opset < 10) {
        ints_attr_to_input(graph, node, "starts", 1);
        ints_attr_to_input(graph, node, "ends", 2);
        ints_attr_to_input(graph, node, "axes", 3);
      }
      break;
    case OpKind::kResize:
      QF_RETURN_IF_ERROR(canonicalize_resize(graph, node, onnx_type != op_name(OpKind::kResize)));
      break;
    case OpKind::kConstant:
      QF_RETURN_IF_ERROR(canonicalize_constant(node));
      break;
    case OpKind::kBatchNormalization:
      QF_RETURN_IF_ERROR(drop_unused_outputs(graph, node, 1));
      break;
    case OpKind::kLayerNormalization:
      // Mean and InvStdDev are cheap by-products the reference writes when something reads them.
      trim_unused_outputs(graph, node);
      break;
    case OpKind::kMaxPool:
    case OpKind::kDropout:
      QF_RETURN_IF_ERROR(drop_unused_outputs(graph, node, 1));
      break;
    default:
      break;
  }
  return Status::ok();
}

}  // namespace qf

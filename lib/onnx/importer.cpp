// SPDX-License-Identifier: Apache-2.0
// ONNX ModelProto -> Graph: tensors, value types, nodes and attributes, then canonicalization,
// shape propagation with constant folding, and the verifier.
#include "onnx/importer.h"

#include <fmt/ranges.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/log.h"
#include "core/read_file.h"
#include "onnx/canonicalize.h"

namespace qf {
namespace {

namespace fs = std::filesystem;

Result<Shape> checked_dims(const google::protobuf::RepeatedField<int64_t>& dims, const std::string& where) {
  Shape shape(dims.begin(), dims.end());
  for (int64_t d : shape)
    if (d < 0) return bad_input("{}: negative dimension in shape {}", where, shape_to_string(shape));
  if (!checked_numel(shape)) return bad_input("{}: shape {} is too large", where, shape_to_string(shape));
  return shape;
}

// An external_data offset or length: decimal digits, as ONNX writes them (std::stoll would throw
// on anything else and accept signs and trailing junk).
std::optional<int64_t> external_data_size(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || text[0] == '-' || ec != std::errc() || stop != end) return std::nullopt;
  return value;
}

Result<std::string> external_bytes(const onnx::TensorProto& t, const fs::path& base_dir, const std::string& where) {
  std::string location;
  int64_t offset = 0;
  std::optional<int64_t> length;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") location = kv.value();
    if (kv.key() != "offset" && kv.key() != "length") continue;
    const auto value = external_data_size(kv.value());
    if (!value) return bad_input("{}: external data {} '{}' is not a byte count", where, kv.key(), kv.value());
    if (kv.key() == "offset") {
      offset = *value;
    } else {
      length = *value;
    }
  }
  if (location.empty()) return bad_input("{}: external data without a location", where);
  // ONNX: a path relative to the model's folder, without "..": a model must not make qforge read
  // files elsewhere on the machine.
  const fs::path relative(location);
  if (relative.is_absolute() || std::find(relative.begin(), relative.end(), "..") != relative.end())
    return bad_input("{}: external data location '{}' is not a path inside the model's folder", where, location);
  const fs::path file = base_dir / relative;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    return bad_input("{}: external data file '{}' is missing (or not a regular file)", where, file.string());
  const auto size = static_cast<int64_t>(fs::file_size(file, ec));
  if (ec) return bad_input("{}: cannot read external data file '{}': {}", where, file.string(), ec.message());
  if (offset > size || (length && *length > size - offset))
    return bad_input("{}: external data file '{}' has {} bytes, offset {} and length {} reach past it", where,
                     file.string(), size, offset, length ? fmt::to_string(*length) : "(rest of the file)");
  const int64_t count = length.value_or(size - offset);
  std::ifstream in(file, std::ios::binary);
  std::string bytes(static_cast<size_t>(count), '\0');
  in.seekg(offset);
  if (!in.read(bytes.data(), count)) return bad_input("{}: cannot read external data file '{}'", where, file.string());
  return bytes;
}

// How many values the typed field of `dtype` holds (ONNX keeps int8, uint8, bool and float16 in
// int32_data).
int64_t typed_value_count(const onnx::TensorProto& t, DType dtype) {
  switch (dtype) {
    case DType::kF32: return t.float_data_size();
    case DType::kF64: return t.double_data_size();
    case DType::kS64: return t.int64_data_size();
    default: return t.int32_data_size();
  }
}

template <typename Src, typename Dst>
void copy_typed(const Src& field, Dst* dst) {
  for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<Dst>(field.Get(i));
}

Result<Tensor> tensor_from_proto(const onnx::TensorProto& t, const fs::path& base_dir, const std::string& where) {
  auto dtype = dtype_from_onnx(t.data_type());
  if (!dtype) return unsupported("{}: ONNX data type {} is not supported", where, t.data_type());
  QF_ASSIGN_OR_RETURN(Shape shape, checked_dims(t.dims(), where));
  const int64_t numel = shape_numel(shape);
  const size_t nbytes = static_cast<size_t>(numel) * dtype_size(*dtype);

  std::string external;
  const std::string* raw = nullptr;
  if (t.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    QF_ASSIGN_OR_RETURN(external, external_bytes(t, base_dir, where));
    raw = &external;
  } else if (t.has_raw_data()) {
    raw = &t.raw_data();
  }
  // The data must be there before the tensor is allocated: dims alone may ask for terabytes.
  if (raw && raw->size() != nbytes)
    return bad_input("{}: holds {} bytes, its shape {} of {} needs {}", where, raw->size(), shape_to_string(shape),
                     dtype_name(*dtype), nbytes);
  if (!raw && typed_value_count(t, *dtype) != numel)
    return bad_input("{}: has {} values, its shape needs {}", where, typed_value_count(t, *dtype), numel);

  Tensor out(*dtype, shape);
  if (raw) {
    if (!raw->empty()) std::memcpy(out.bytes(), raw->data(), raw->size());
    return out;
  }
  switch (*dtype) {
    case DType::kF32: copy_typed(t.float_data(), out.data<float>()); break;
    case DType::kF64: copy_typed(t.double_data(), out.data<double>()); break;
    case DType::kS64: copy_typed(t.int64_data(), out.data<int64_t>()); break;
    case DType::kS32: copy_typed(t.int32_data(), out.data<int32_t>()); break;
    case DType::kS8: copy_typed(t.int32_data(), out.data<int8_t>()); break;
    case DType::kU8:
    case DType::kBool: copy_typed(t.int32_data(), out.data<uint8_t>()); break;
    case DType::kF16: copy_typed(t.int32_data(), out.data<uint16_t>()); break;
  }
  return out;
}

// Weights are computed in float32; float16 weights are widened once here.
Tensor widen_half(Tensor t) {
  if (t.dtype() != DType::kF16) return t;
  Tensor wide(DType::kF32, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) wide.data<float>()[i] = half_to_float(t.data<uint16_t>()[i]);
  return wide;
}

Result<AttrValue> convert_attribute(const onnx::AttributeProto& a, const fs::path& base_dir, const std::string& where) {
  switch (a.type()) {
    case onnx::AttributeProto::FLOAT: return AttrValue{a.f()};
    case onnx::AttributeProto::INT: return AttrValue{static_cast<int64_t>(a.i())};
    case onnx::AttributeProto::STRING: return AttrValue{a.s()};
    case onnx::AttributeProto::FLOATS: return AttrValue{std::vector<float>(a.floats().begin(), a.floats().end())};
    case onnx::AttributeProto::INTS: return AttrValue{std::vector<int64_t>(a.ints().begin(), a.ints().end())};
    case onnx::AttributeProto::STRINGS:
      return AttrValue{std::vector<std::string>(a.strings().begin(), a.strings().end())};
    case onnx::AttributeProto::TENSOR: {
      QF_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(a.t(), base_dir, where + " attribute '" + a.name() + "'"));
      return AttrValue{std::move(t)};
    }
    default:
      return unsupported("{}: attribute '{}' has a type qforge does not support ({})", where, a.name(),
                         static_cast<int>(a.type()));
  }
}

Result<TensorType> type_from_proto(const onnx::ValueInfoProto& vi, const std::string& file) {
  const auto& tp = vi.type();
  if (!tp.has_tensor_type()) return unsupported("{}: input '{}' is not a tensor", file, vi.name());
  auto dtype = dtype_from_onnx(tp.tensor_type().elem_type());
  if (!dtype)
    return unsupported("{}: input '{}' has ONNX data type {}, not supported", file, vi.name(),
                       tp.tensor_type().elem_type());
  TensorType type;
  type.dtype = *dtype;
  if (tp.tensor_type().has_shape()) {
    type.has_shape = true;
    for (const auto& d : tp.tensor_type().shape().dim()) type.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  return type;
}

class Importer {
 public:
  Importer(std::string path, const ImportOptions& options) : path_(std::move(path)), options_(options) {
    base_dir_ = fs::path(path_).parent_path();
  }

  Result<std::unique_ptr<Graph>> run(const std::string& bytes) {
    onnx::ModelProto model;
    if (bytes.empty() || !model.ParseFromString(bytes) || !model.has_graph())
      return bad_input("'{}' is not an ONNX model (protobuf parse failed; truncated or not ONNX?){}", path_,
                       options_.also_expected);
    if (model.ir_version() < 3 || model.ir_version() > kMaxIrVersion)
      return unsupported("{}: IR version {} is not supported (3..{})", path_, model.ir_version(), kMaxIrVersion);
    graph_ = std::make_unique<Graph>();
    graph_->ir_version = model.ir_version();
    graph_->source_path = path_;
    QF_RETURN_IF_ERROR(read_opset(model));
    const auto& g = model.graph();
    QF_RETURN_IF_ERROR(read_initializers(g));
    QF_RETURN_IF_ERROR(read_inputs(g));
    QF_RETURN_IF_ERROR(read_nodes(g));
    QF_RETURN_IF_ERROR(read_outputs(g));
    for (const auto& n : graph_->nodes()) QF_RETURN_IF_ERROR(canonicalize_node(*graph_, *n).with_context(path_));
    return std::move(graph_);
  }

 private:
  Status read_opset(const onnx::ModelProto& model) {
    for (const auto& op : model.opset_import()) {
      if (op.domain().empty() || op.domain() == "ai.onnx") graph_->opset = op.version();
    }
    if (graph_->opset == 0) return bad_input("{}: the model imports no default-domain opset", path_);
    if (graph_->opset < kMinOpset || graph_->opset > kMaxOpset)
      return unsupported("{}: opset {} is not supported ({}..{})", path_, graph_->opset, kMinOpset, kMaxOpset);
    return Status::ok();
  }

  Status read_initializers(const onnx::GraphProto& g) {
    for (const auto& init : g.initializer()) {
      const std::string where = fmt::format("{}: initializer '{}'", path_, init.name());
      QF_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(init, base_dir_, where));
      if (graph_->find_value(init.name())) return bad_input("{} is defined twice", where);
      graph_->add_constant(init.name(), widen_half(std::move(t)));
    }
    return Status::ok();
  }

  Status read_inputs(const onnx::GraphProto& g) {
    std::set<std::string> used_dims;
    for (const auto& vi : g.input()) {
      if (Value* existing = graph_->find_value(vi.name())) {
        if (existing->is_constant()) continue;  // IR < 4 lists initializers as inputs too
        return bad_input("{}: graph input '{}' is listed twice", path_, vi.name());
      }
      if (auto frozen = options_.frozen_inputs.find(vi.name()); frozen != options_.frozen_inputs.end()) {
        graph_->add_constant(vi.name(), frozen->second);
        used_dims.insert(vi.name());
        continue;
      }
      QF_ASSIGN_OR_RETURN(TensorType type, type_from_proto(vi, path_));
      auto fixed = options_.input_dims.find(vi.name());
      if (fixed != options_.input_dims.end()) {
        if (type.has_shape && type.shape.size() != fixed->second.size())
          return usage_error("--input_dim {}: rank {} given, the model's input has rank {}", vi.name(),
                             fixed->second.size(), type.shape.size());
        type.shape = fixed->second;
        type.has_shape = true;
        used_dims.insert(vi.name());
      }
      if (!type.has_shape) return unsupported("{}: input '{}' has no shape; give it with --input_dim", path_, vi.name());
      // A free batch dimension defaults to 1, as QNN's converter does; any other free dimension
      // would be a guess, so it must be given.
      for (size_t k = 0; k < type.shape.size(); ++k) {
        if (type.shape[k] >= 0) continue;
        if (k != 0)
          return usage_error("{}: input '{}' has free dimensions {}; give them with --input_dim {} DIMS", path_,
                             vi.name(), shape_to_string(type.shape), vi.name());
        type.shape[k] = 1;
        spdlog::info("input '{}': free batch dimension set to 1 (change it with --input_dim)", vi.name());
      }
      if (!checked_numel(type.shape))
        return bad_input("{}: input '{}' has the shape {}, too large to hold", path_, vi.name(), shape_to_string(type.shape));
      QF_ASSIGN_OR_RETURN(Value * v, graph_->add_value(vi.name()));
      v->type = type;
      graph_->inputs().push_back(v);
    }
    for (const auto& [name, dims] : options_.input_dims)
      if (!used_dims.count(name)) return usage_error("--input_dim: the model has no input named '{}'", name);
    for (const auto& [name, value] : options_.frozen_inputs)
      if (!used_dims.count(name)) return usage_error("the model has no input named '{}' to freeze", name);
    return Status::ok();
  }

  Result<Value*> value_for_input(const std::string& name, const std::string& where) {
    if (name.empty()) return static_cast<Value*>(nullptr);
    Value* v = graph_->find_value(name);
    if (!v) return bad_input("{}: reads tensor '{}', which nothing produces", where, name);
    return v;
  }

  Status read_nodes(const onnx::GraphProto& g) {
    // Every unsupported op is listed at once so that a user sees the whole gap in one run.
    std::vector<std::string> unknown;
    for (int i = 0; i < g.node_size(); ++i) {
      const auto& n = g.node(i);
      const bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
      auto lookup = default_domain ? op_from_onnx(n.op_type()) : std::nullopt;
      if (!lookup) {
        std::string op = default_domain ? n.op_type() : n.domain() + "::" + n.op_type();
        unknown.push_back(fmt::format("{} (node '{}')", op, n.name().empty() ? fmt::format("#{}", i) : n.name()));
      }
    }
    if (!unknown.empty())
      return unsupported("{}: {} unsupported op{}: {}", path_, unknown.size(), unknown.size() > 1 ? "s" : "",
                         fmt::join(unknown, ", "));

    // Values are created in node order; ONNX requires topological order but some exporters do not
    // comply, so outputs are created for all nodes before inputs are resolved.
    std::set<std::string> node_names;
    std::vector<std::vector<Value*>> outputs(static_cast<size_t>(g.node_size()));
    for (int i = 0; i < g.node_size(); ++i) {
      for (const auto& out : g.node(i).output()) {
        if (out.empty()) {
          outputs[static_cast<size_t>(i)].push_back(nullptr);
          continue;
        }
        if (Value* existing = graph_->find_value(out))
          return bad_input("{}: tensor '{}' is produced twice (node '{}')", path_, existing->name, g.node(i).name());
        QF_ASSIGN_OR_RETURN(Value * v, graph_->add_value(out));
        outputs[static_cast<size_t>(i)].push_back(v);
      }
    }
    for (int i = 0; i < g.node_size(); ++i) {
      const auto& n = g.node(i);
      const OpKind kind = op_from_onnx(n.op_type())->kind;
      std::string name = n.name().empty() ? fmt::format("{}_{}", n.op_type(), i) : n.name();
      while (node_names.count(name)) name += "_";
      node_names.insert(name);
      const std::string where = fmt::format("{}: {} node '{}'", path_, n.op_type(), name);
      // qforge's own inputs (MatMul's bias, Softmax's mask) come from passes, never from a file.
      if (auto limit = onnx_input_limit(kind); limit && static_cast<size_t>(n.input_size()) > *limit)
        return bad_input("{}: {} takes {} input(s), this one has {}", where, n.op_type(), *limit, n.input_size());
      std::vector<Value*> inputs;
      for (const auto& in : n.input()) {
        QF_ASSIGN_OR_RETURN(Value * v, value_for_input(in, where));
        inputs.push_back(v);
      }
      QF_ASSIGN_OR_RETURN(Node * node, graph_->add_node(kind, name, inputs, outputs[static_cast<size_t>(i)]));
      node->attrs[kOnnxOpTypeAttr] = n.op_type();
      for (const auto& a : n.attribute()) {
        QF_ASSIGN_OR_RETURN(AttrValue v, convert_attribute(a, base_dir_, where));
        node->attrs[a.name()] = std::move(v);
      }
    }
    return Status::ok();
  }

  Status read_outputs(const onnx::GraphProto& g) {
    for (const auto& vi : g.output()) {
      Value* v = graph_->find_value(vi.name());
      if (!v) return bad_input("{}: graph output '{}' is not produced by any node", path_, vi.name());
      graph_->outputs().push_back(v);
    }
    if (graph_->outputs().empty()) return bad_input("{}: the graph has no outputs", path_);
    return Status::ok();
  }

  std::string path_;
  const ImportOptions& options_;
  fs::path base_dir_;
  std::unique_ptr<Graph> graph_;
};

}  // namespace

Result<std::unique_ptr<Graph>> import_onnx_bytes(const std::string& bytes, const std::string& path,
                                                 const ImportOptions& options) {
  return Importer(path, options).run(bytes);
}

Result<std::unique_ptr<Graph>> import_onnx_file(const std::string& path, const ImportOptions& options) {
  QF_ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path, "model"));
  return import_onnx_bytes(bytes, path, options);
}

Result<Tensor> read_tensor_proto_file(const std::string& path) {
  QF_ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path, "tensor file"));
  onnx::TensorProto t;
  if (!t.ParseFromString(bytes)) return bad_input("'{}' is not a serialized ONNX TensorProto", path);
  return tensor_from_proto(t, fs::path(path).parent_path(), path);
}

}  // namespace qf

namespace qf {

Result<std::vector<std::string>> onnx_op_types(const std::string& path) {
  QF_ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path, "model"));
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return bad_input("'{}' is not an ONNX model", path);
  std::vector<std::string> types;
  for (const auto& n : model.graph().node()) {
    const bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
    types.push_back(default_domain ? n.op_type() : n.domain() + "::" + n.op_type());
  }
  return types;
}

}  // namespace qf

namespace qf {

Result<std::vector<std::string>> onnx_input_names(const std::string& path) {
  QF_ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path, "model"));
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return bad_input("'{}' is not an ONNX model", path);
  std::set<std::string> initializers;
  for (const auto& t : model.graph().initializer()) initializers.insert(t.name());
  std::vector<std::string> names;
  for (const auto& vi : model.graph().input())
    if (!initializers.count(vi.name())) names.push_back(vi.name());
  return names;
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
// Graph / Node / Value: the IR every pass, backend and tool works on.
// A Value is a tensor edge (name, type, optional constant payload); a Node is one op application.
// Mutation goes through Graph's methods so that producer/consumer links stay consistent.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/op_kind.h"
#include "ir/encoding.h"

namespace qf {

class Node;

struct TensorType {
  DType dtype = DType::kF32;
  Shape shape;             // -1 for a dimension that is not known (yet)
  bool has_shape = false;  // false: not even the rank is known

  bool is_static() const;  // has_shape and every dim >= 0
};

struct Value {
  std::string name;
  TensorType type;
  std::optional<Tensor> constant;  // set for weights and anything constant folding produced
  Node* producer = nullptr;
  std::vector<Node*> consumers;
  // Set by the quantizer (or read from a quantized graph): the grid this tensor lives on.
  std::optional<Encoding> encoding;
  EncodingSource encoding_source = EncodingSource::kCalibration;

  bool is_constant() const { return constant.has_value(); }
};

// What became of a tensor that a pass removed: `survivor` now carries its role. same_values:
// the survivor holds exactly the removed tensor's values (an Identity's input); otherwise the
// removed tensor was an intermediate of a fused pattern (a conv output before its BN or Relu).
struct RemovedTensor {
  std::string survivor;
  std::string pass;
  bool same_values = false;
};

using AttrValue = std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>,
                               std::vector<std::string>, Tensor>;

class Node {
 public:
  OpKind kind;
  std::string name;                // unique within the graph (the importer makes it so)
  std::vector<Value*> inputs;      // nullptr for an optional input that is absent
  std::vector<Value*> outputs;
  std::map<std::string, AttrValue> attrs;

  bool has_attr(const std::string& key) const { return attrs.count(key) != 0; }
  int64_t attr_int(const std::string& key, int64_t fallback) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attr_floats(const std::string& key, std::vector<float> fallback = {}) const;
  const Tensor* attr_tensor(const std::string& key) const;

  // Input i, or nullptr when the node has fewer inputs or the input is absent.
  Value* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  // "Conv node 'conv1'": how errors name a node.
  std::string describe() const;
};

// The output-channel axis of the weights `node` reads (ops.def's WeightAxis resolved for this
// node: Gemm's by transB, MatMul's by B's rank), or -1 when the op has no weights.
int weight_channel_axis(const Node& node);

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // Creates a value; the name must not exist yet (names are the IR's identity, as in ONNX).
  Result<Value*> add_value(const std::string& name);
  Value* add_constant(const std::string& name, Tensor t);
  // Creates a node and links producer/consumer edges. Output values must have no producer yet.
  Result<Node*> add_node(OpKind kind, const std::string& name, std::vector<Value*> inputs,
                         std::vector<Value*> outputs);
  // Removes a node and unlinks its edges. Its output values stay (without a producer).
  void erase_node(Node* node);
  // Every use of `from` (node inputs, graph outputs) now reads `to`.
  void replace_all_uses_with(Value* from, Value* to);
  // Points input `index` of `node` at `value`, keeping consumer lists right.
  void set_input(Node* node, size_t index, Value* value);
  // Makes `node` produce `value` as output `index` (which must have no producer); the old output
  // loses its producer.
  void set_output(Node* node, size_t index, Value* value);
  // Drops values that nobody produces, consumes or exports and that are not graph inputs.
  void remove_dead_values();

  Value* find_value(const std::string& name) const;
  // Whether `v` is one of the graph's outputs.
  bool is_output(const Value* v) const;
  // The nodes of one kind, in creation order (a snapshot: safe to erase them while walking it).
  std::vector<Node*> nodes_of(OpKind kind) const;
  std::string unique_name(const std::string& base) const;

  // Kahn's algorithm, stable with respect to node creation order. Fails on a cycle.
  Result<std::vector<Node*>> topo_order() const;

  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const std::vector<std::unique_ptr<Value>>& values() const { return values_; }
  std::vector<Value*>& inputs() { return inputs_; }
  const std::vector<Value*>& inputs() const { return inputs_; }
  std::vector<Value*>& outputs() { return outputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }

  // Passes record every tensor they remove, so that overrides and the diff tool can follow an
  // original ONNX name to the tensor that replaced it.
  void record_removed(const std::string& name, const std::string& survivor, std::string_view pass,
                      bool same_values);
  const std::map<std::string, RemovedTensor>& removed_tensors() const { return removed_; }
  // Follows removals to a tensor that exists: the last survivor in the chain, with same_values
  // true only if every step kept the values. nullopt when `name` was never removed.
  std::optional<RemovedTensor> resolve_removed(const std::string& name) const;

  int64_t opset = 0;       // default-domain opset the model was written for
  int64_t ir_version = 0;
  std::string source_path;

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value*> by_name_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::map<std::string, RemovedTensor> removed_;
};

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
// A few lines to write small ONNX models from tests without Python.
#pragma once

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace qf::test {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int64_t opset, int64_t ir_version = 7) {
    model_.set_ir_version(ir_version);
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    model_.set_producer_name("qforge-tests");
  }

  OnnxBuilder& input(const std::string& name, std::vector<int64_t> dims, int elem_type = 1) {
    add_value_info(model_.mutable_graph()->add_input(), name, dims, elem_type);
    return *this;
  }
  OnnxBuilder& output(const std::string& name, int elem_type = 1) {
    auto* vi = model_.mutable_graph()->add_output();
    vi->set_name(name);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(elem_type);
    return *this;
  }
  OnnxBuilder& initializer(const std::string& name, std::vector<int64_t> dims, const std::vector<float>& values) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
    return *this;
  }
  // An initializer with a name, a type and dims but no data yet: the caller fills it (typed
  // fields, external data) as the case under test needs.
  onnx::TensorProto& empty_initializer(const std::string& name, int data_type, std::vector<int64_t> dims) {
    auto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(data_type);
    for (int64_t d : dims) t->add_dims(d);
    return *t;
  }
  onnx::NodeProto& node(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                        const std::string& name = "") {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : inputs) n->add_input(i);
    for (auto& o : outputs) n->add_output(o);
    return *n;
  }
  static void attr(onnx::NodeProto& n, const std::string& name, std::vector<int64_t> ints) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : ints) a->add_ints(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, float v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, const std::string& s) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(s);
  }

  onnx::ModelProto& model() { return model_; }
  std::string bytes() const { return model_.SerializeAsString(); }
  std::string write(const std::string& file_name) const {
    auto dir = std::filesystem::temp_directory_path() / "qforge_test_models";
    std::filesystem::create_directories(dir);
    auto path = (dir / file_name).string();
    std::ofstream(path, std::ios::binary) << bytes();
    return path;
  }

 private:
  static void add_value_info(onnx::ValueInfoProto* vi, const std::string& name, const std::vector<int64_t>& dims,
                             int elem_type) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    auto* shape = tt->mutable_shape();
    for (int64_t d : dims) {
      auto* dim = shape->add_dim();
      if (d < 0) dim->set_dim_param("N");
      else dim->set_dim_value(d);
    }
  }

  onnx::ModelProto model_;
};

}  // namespace qf::test

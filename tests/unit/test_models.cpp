// SPDX-License-Identifier: Apache-2.0
// The real models in ../shared/models: oneDNN and the reference backend agree on every
// intermediate tensor. Skipped when the shared folder is absent.
#include <catch2/catch.hpp>

#include "driver/load_model.h"
#include "runtime/executor.h"
#include "test_support.h"

using namespace qf;
using namespace qf::test;

TEST_CASE("real models: oneDNN matches the reference on every tensor", "[models]") {
  const auto models = real_models();
  if (models.empty()) {
    WARN("shared models not found: skipped");
    return;
  }
  for (const RealModel& model : models) {
    ImportOptions options;
    options.input_dims[model.input_name] = model.input.shape();
    auto graph = load_onnx_file(model.path.string(), options);
    REQUIRE(graph.is_ok());
    auto ref = Executor::create(**graph, ExecutorOptions{"reference", 1});
    auto dnn = Executor::create(**graph, ExecutorOptions{"onednn", 1});
    REQUIRE(ref.is_ok());
    REQUIRE(dnn.is_ok());
    std::vector<Tensor> inputs{model.input};
    REQUIRE((*ref)->run(inputs).is_ok());
    REQUIRE((*dnn)->run(inputs).is_ok());
    int compared = 0;
    for (const auto& node : (*graph)->nodes()) {
      for (const Value* v : node->outputs) {
        if (!v) continue;
        auto expected = (*ref)->fetch(v);
        auto actual = (*dnn)->fetch(v);
        REQUIRE(expected.is_ok());
        REQUIRE(actual.is_ok());
        INFO(model.label << " tensor '" << v->name << "' of " << node->describe());
        CHECK(max_relative_error(*expected, *actual) <= 1e-4);
        ++compared;
      }
    }
    CHECK(compared == static_cast<int>((*graph)->nodes().size()));
  }
}

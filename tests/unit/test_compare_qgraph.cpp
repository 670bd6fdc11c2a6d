// SPDX-License-Identifier: Apache-2.0
// Reading the qgraph fields qforge-diff relies on, from the hand-made fixture and broken variants.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "compare/qgraph_info.h"

using namespace qf;
using namespace qf::compare;

namespace {

const std::string kFixture = std::string(QF_SOURCE_DIR) + "/tests/data/diff/model.qgraph.json";

nlohmann::json fixture_json() {
  std::ifstream in(kFixture);
  return nlohmann::json::parse(in);
}

Status parse_error(const nlohmann::json& j) {
  auto r = parse_qgraph_info(j.dump(), "broken.qgraph.json");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == StatusCode::kBadInput);
  CHECK(r.status().message().find("broken.qgraph.json") != std::string::npos);
  return r.status();
}

bool says(const Status& s, const std::string& text) { return s.message().find(text) != std::string::npos; }

}  // namespace

TEST_CASE("qgraph: the fixture's tensors, encodings, nodes and tensor_map", "[compare][qgraph]") {
  auto info = read_qgraph_info(kFixture);
  INFO(info.status().message());
  REQUIRE(info.is_ok());
  CHECK(info->tensors.size() == 10);
  const QGraphTensor* relu = info->tensor("relu_out");
  REQUIRE(relu);
  REQUIRE(relu->encoding);
  CHECK(relu->encoding->scale[0] == Approx(0.48));
  CHECK(relu->encoding->min() == 0.f);
  CHECK(relu->encoding->max() == Approx(0.48 * 255));
  CHECK(relu->encoding_source == "override");
  const QGraphTensor* w = info->tensor("conv_w");
  REQUIRE(w);
  REQUIRE(w->encoding);
  CHECK(w->encoding->per_channel());
  CHECK(w->encoding->channels() == 4);
  CHECK(w->encoding->is_signed);
  CHECK_FALSE(info->tensor("conv_b")->encoding);
  CHECK(info->tensor("no_such") == nullptr);

  REQUIRE(info->nodes.size() == 5);
  CHECK(info->producer("relu_out") == size_t{1});
  CHECK(info->producer("input") == std::nullopt);
  CHECK(info->nodes[*info->producer("prob")].op == "Softmax");
  CHECK(info->graph_outputs() == std::vector<std::string>{"prob"});
  CHECK(info->surviving_name("conv_out") == std::nullopt);  // folded into conv_bn
  CHECK(info->surviving_name("bn_out") == "conv_bn_out");
  CHECK(info->surviving_name("not_in_the_map") == "not_in_the_map");
}

TEST_CASE("qgraph: the graph outputs are the file's \"outputs\" when it lists them", "[compare][qgraph]") {
  nlohmann::json j = fixture_json();
  // A second output of the Softmax node that nothing reads and net-run never writes.
  j["nodes"][4]["outputs"].push_back("unused");
  auto computed = parse_qgraph_info(j.dump(), "model.qgraph.json");
  REQUIRE(computed.is_ok());
  CHECK(computed->graph_outputs() == std::vector<std::string>{"prob", "unused"});
  j["outputs"] = {"prob"};
  auto listed = parse_qgraph_info(j.dump(), "model.qgraph.json");
  REQUIRE(listed.is_ok());
  CHECK(listed->graph_outputs() == std::vector<std::string>{"prob"});
  j["outputs"] = {"prob", 3};
  CHECK(says(parse_error(j), "\"outputs\""));
}

TEST_CASE("qgraph: format, version and JSON errors name the file", "[compare][qgraph]") {
  auto j = fixture_json();
  j["version"] = 2;
  CHECK(says(parse_error(j), "version 2"));
  j = fixture_json();
  j["format"] = "onnx";
  CHECK(says(parse_error(j), "qforge.qgraph"));
  auto bad_json = parse_qgraph_info("{\"format\": ", "broken.qgraph.json");
  REQUIRE_FALSE(bad_json.is_ok());
  CHECK(says(bad_json.status(), "not valid JSON"));
  // A number past double's range is nlohmann's out_of_range, not a parse_error: still bad input.
  auto overflow = parse_qgraph_info(R"({"format": "qforge.qgraph", "version": 1e999})", "big.qgraph.json");
  CHECK(overflow.status().code() == StatusCode::kBadInput);
  CHECK(says(overflow.status(), "not valid JSON"));
  auto deep = parse_qgraph_info(std::string(100000, '[') + std::string(100000, ']'), "deep.qgraph.json");
  CHECK(says(deep.status(), "nested deeper than"));
  auto missing = read_qgraph_info("/no/such/model.qgraph.json");
  REQUIRE_FALSE(missing.is_ok());
  CHECK(says(missing.status(), "/no/such/model.qgraph.json"));
}

TEST_CASE("qgraph: malformed fields name the tensor or node", "[compare][qgraph]") {
  auto j = fixture_json();
  j.erase("tensor_map");
  CHECK(says(parse_error(j), "tensor_map"));

  j = fixture_json();
  j["tensors"][4]["shape"] = "1x4x4x4";
  CHECK(says(parse_error(j), "tensor 'relu_out'"));

  j = fixture_json();
  j["tensors"][4]["encoding"]["offset"] = nlohmann::json::array({0, 0});
  CHECK(says(parse_error(j), "1 scales and 2 offsets"));

  j = fixture_json();
  j["tensors"][1]["encoding"]["scale"] = nlohmann::json::array({0.1, 0.2});  // conv_w has 4 channels
  j["tensors"][1]["encoding"]["offset"] = nlohmann::json::array({0, 0});
  CHECK(says(parse_error(j), "tensor 'conv_w': 2 encoding channels for dim 0 of shape [4,2,3,3]"));

  j = fixture_json();
  j["tensors"][4]["encoding"]["axis"] = 4;  // relu_out is [1, 4, 4, 4]
  CHECK(says(parse_error(j), "axis 4 is outside its shape"));

  j = fixture_json();
  j["tensors"][4]["encoding"]["scale"][0] = 0;
  CHECK(says(parse_error(j), "not positive"));

  j = fixture_json();
  j["nodes"][2]["outputs"] = nlohmann::json::array({1});
  CHECK(says(parse_error(j), "node 'flatten'"));

  j = fixture_json();
  j["tensor_map"]["flat"] = 3;
  CHECK(says(parse_error(j), "tensor_map['flat']"));
}

// SPDX-License-Identifier: Apache-2.0
// The AIMET encodings reader and writer: both formats, the offset conventions (hand-worked), and
// errors that name the JSON path.
#include <catch2/catch.hpp>

#include "quant/overrides.h"

namespace qf {
namespace {

Result<QuantizationOverrides> parse(const std::string& text) { return parse_quantization_overrides(text, "o.json"); }

std::string error_of(const std::string& text) {
  auto r = parse(text);
  REQUIRE_FALSE(r.is_ok());
  return r.status().message();
}

}  // namespace

TEST_CASE("legacy overrides: AIMET's offset = round(min / scale) on the unsigned grid", "[quant][overrides]") {
  // The spec's own example: min -2.109, scale 0.0185 -> offset -114 (zero point 114).
  auto r = parse(R"({"version": "0.6.1",
    "activation_encodings": {"act": [{"bitwidth": 8, "dtype": "int", "is_symmetric": "False",
                                      "min": -2.109, "max": 2.6087, "offset": -114, "scale": 0.0185}]},
    "param_encodings": {"w": [{"bitwidth": 8, "dtype": "int", "is_symmetric": "True", "offset": -128, "scale": 0.5},
                              {"bitwidth": 8, "dtype": "int", "is_symmetric": "True", "offset": -128, "scale": 0.25}],
                        "kept": [{"bitwidth": 16, "dtype": "float"}]}})");
  REQUIRE(r.is_ok());
  const Encoding& act = r->activations.at("act").encoding;
  CHECK_FALSE(act.is_signed);
  CHECK(act.offset == std::vector<int64_t>{-114});
  CHECK(act.zero_point() == 114);
  CHECK(act.scale[0] == Approx(0.0185f));
  // Symmetric int8 written as offset -128 is qforge's signed grid with offset 0.
  const Encoding& w = r->params.at("w").encoding;
  CHECK(w.is_signed);
  CHECK(w.symmetric);
  CHECK(w.offset == std::vector<int64_t>{0, 0});
  CHECK(w.channels() == 2);
  CHECK(w.min(1) == -32.f);  // -128 * 0.25
  CHECK(r->params.at("kept").keep_float);
  CHECK(r->params.at("w").json_path == R"(param_encodings["w"])");
}

TEST_CASE("legacy overrides given only as min and max get the encoding qforge computes", "[quant][overrides]") {
  auto r = parse(R"({"activation_encodings": {"x": [{"bitwidth": 8, "min": -1.8, "max": 0.5}]}})");
  REQUIRE(r.is_ok());
  const Encoding& e = r->activations.at("x").encoding;
  // The DESIGN worked example: scale 0.009019607843, zero point 200.
  CHECK(e.scale[0] == Approx(0.009019607843).epsilon(1e-7));
  CHECK(e.zero_point() == 200);
}

TEST_CASE("1.0.0 overrides: named entries with scale and offset lists", "[quant][overrides]") {
  auto r = parse(R"({"version": "1.0.0",
    "activation_encodings": [{"name": "x", "enc_type": "PER_TENSOR", "dtype": "INT", "bw": 8, "is_sym": false,
                              "scale": [0.1], "offset": [-10]}],
    "param_encodings": [{"name": "w", "enc_type": "PER_CHANNEL", "dtype": "INT", "bw": 4, "is_sym": true,
                         "scale": [0.1, 0.2, 0.3], "offset": [-8, -8, -8]},
                        {"name": "f", "dtype": "FLOAT", "bw": 16}]})");
  REQUIRE(r.is_ok());
  CHECK(r->version == "1.0.0");
  CHECK(r->activations.at("x").encoding.offset == std::vector<int64_t>{-10});
  const Encoding& w = r->params.at("w").encoding;
  CHECK(w.bitwidth == 4);
  CHECK(w.is_signed);
  CHECK(w.qmin() == -8);
  CHECK(w.offset == std::vector<int64_t>{0, 0, 0});
  CHECK(r->params.at("f").keep_float);
}

TEST_CASE("bad overrides are refused with the JSON path", "[quant][overrides]") {
  CHECK(error_of("{").find("not valid JSON") != std::string::npos);
  CHECK(error_of(R"({"version": "0.6.1"})").find("neither activation_encodings nor param_encodings") !=
        std::string::npos);
  CHECK(error_of(R"({"version": "2.0.0", "encodings": []})").find("'2.0.0' is not a supported") != std::string::npos);
  CHECK(error_of(R"({"activation_encodings": {"x": [{"bitwidth": 8, "scale": "tiny", "offset": 0}]}})") ==
        R"(o.json: activation_encodings["x"][0].scale: must be a number)");
  CHECK(error_of(R"({"activation_encodings": {"x": [{"bitwidth": 8, "scale": 0.1, "offset": 3}]}})")
            .find(R"(activation_encodings["x"][0].offset: 3 is outside [-255, 0])") != std::string::npos);
  CHECK(error_of(R"({"param_encodings": {"w": [{"bitwidth": 33, "scale": 0.1, "offset": 0}]}})")
            .find("33 is not a bitwidth in [4, 32]") != std::string::npos);
  CHECK(error_of(R"({"param_encodings": {"w": [{"bitwidth": 8, "scale": 0.1}]}})")
            .find("scale and offset must be given together") != std::string::npos);
  CHECK(error_of(R"({"param_encodings": {"w": [{"bitwidth": 8, "is_symmetric": "True", "scale": 0.1, "offset": -7}]}})")
            .find("is_symmetric encodings need offset -128") != std::string::npos);
  CHECK(error_of(R"({"param_encodings": {"w": [{"bitwidth": 8, "scale": 0.1, "offset": 0},
                                               {"bitwidth": 4, "scale": 0.1, "offset": 0}]}})")
            .find(R"(param_encodings["w"][1]: channels differ)") != std::string::npos);
  CHECK(error_of(R"({"version": "1.0.0", "param_encodings": [{"name": "w", "bw": 8, "scale": [0.1], "offset": [0, 0]}]})")
            .find(R"(param_encodings[0] ("w").offset)") != std::string::npos);
  // Members of another type than the format's are errors, not nlohmann exceptions.
  CHECK(error_of(R"({"version": "1.0.0", "activation_encodings": [{"name": "x", "dtype": 8, "bw": 8}]})") ==
        R"(o.json: activation_encodings[0] ("x").dtype: must be a string)");
  CHECK(error_of(R"({"version": "1.0.0", "param_encodings": [{"name": "w", "enc_type": [], "bw": 8}]})")
            .find(R"(param_encodings[0] ("w").enc_type: must be a string)") != std::string::npos);
  auto blocked = parse(R"({"version": "1.0.0", "param_encodings": [{"name": "w", "enc_type": "LPBQ", "bw": 8,
                           "scale": [0.1], "offset": [0]}]})");
  REQUIRE_FALSE(blocked.is_ok());
  CHECK(blocked.status().code() == StatusCode::kUnsupported);
  std::string deep(kMaxOverridesJsonDepth + 1, '[');
  deep += std::string(kMaxOverridesJsonDepth + 1, ']');
  CHECK(error_of(deep).find("nested deeper than") != std::string::npos);
}

TEST_CASE("write_aimet_encodings reads back to the same encodings", "[quant][overrides]") {
  Graph g;
  Value* act = *g.add_value("act");
  act->type = TensorType{DType::kF32, {1, 4}, true};
  act->encoding = *compute_encoding(-1.8f, 0.5f, {QuantSchema::kAsymmetric, 8});
  Value* w = g.add_constant("w", Tensor(DType::kF32, {2, 3}));
  const std::vector<float> mins{-1.f, -0.25f}, maxs{0.5f, 2.f};
  w->encoding = *compute_encoding_per_channel(mins, maxs, 0, {QuantSchema::kSymmetric, 8});
  Value* b = g.add_constant("b", Tensor(DType::kF32, {2}));
  b->encoding = *bias_encoding(32, *act->encoding, *w->encoding, *b->constant, QuantSchema::kSymmetric);
  auto r = parse(write_aimet_encodings(g));
  REQUIRE(r.is_ok());
  auto same = [](const Encoding& a, const Encoding& b) {
    CHECK(a.bitwidth == b.bitwidth);
    CHECK(a.is_signed == b.is_signed);
    CHECK(a.symmetric == b.symmetric);
    CHECK(a.scale == b.scale);  // exact: floats travel with enough digits
    CHECK(a.offset == b.offset);
  };
  same(r->activations.at("act").encoding, *act->encoding);
  same(r->params.at("w").encoding, *w->encoding);
  same(r->params.at("b").encoding, *b->encoding);
}

}  // namespace qf

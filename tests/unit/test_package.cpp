// SPDX-License-Identifier: Apache-2.0
// The qgraph + blob package: a write / read round trip keeps every tensor, code and encoding, and
// every kind of damage to the files is refused with a clear error. SHA-256 against FIPS 180-4's
// test vectors.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/sha256.h"
#include "driver/load_model.h"
#include "package/qgraph.h"
#include "passes/passes.h"
#include "quant/plan.h"
#include "quant/quantizer.h"
#include "scratch_files.h"

namespace qf {
namespace {

namespace fs = std::filesystem;

// calib/mnist quantized with 4-bit weights (packed in the blob) and an override on its input.
std::unique_ptr<Graph> quantized_mnist() {
  auto g = load_onnx_file(std::string(QF_SOURCE_DIR) + "/calib/mnist/mnist.onnx");
  REQUIRE(g.is_ok());
  REQUIRE(run_optimization_passes(**g).is_ok());
  auto plan = plan_quantization(**g, PlanOptions{true, false});
  REQUIRE(plan.is_ok());
  auto overrides = parse_quantization_overrides(
      R"({"activation_encodings": {"Input3": [{"bitwidth": 8, "scale": 0.00392156862745098, "offset": 0}]}})", "o.json");
  REQUIRE(overrides.is_ok());
  QuantizerOptions options;
  options.param.bitwidth = 4;
  options.float_fallback = true;
  REQUIRE(assign_encodings(**g, *plan, options, &*overrides, nullptr).is_ok());
  REQUIRE(quantize_constants(**g).is_ok());
  return std::move(*g);
}

struct Written {
  fs::path qgraph, blob;
};

Written write(const Graph& g, const std::string& name) {
  const fs::path dir = testing::scratch_dir(name);
  Written w{dir / "model.qgraph.json", dir / "model.bin"};
  PackageProvenance provenance{{"qforge-onnx-converter", "--input_network", "mnist.onnx"}, "mnist.onnx",
                               std::string(64, 'a'), nlohmann::json::object()};
  REQUIRE(write_package(g, provenance, w.qgraph.string()).is_ok());
  return w;
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

void write_json(const fs::path& p, const nlohmann::json& j) { std::ofstream(p) << j.dump(1); }

std::string error_reading(const fs::path& qgraph) {
  auto r = read_package(qgraph.string());
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == StatusCode::kBadInput);
  return r.status().message();
}

// The first tensor of the document that has data in the blob.
nlohmann::json& first_constant(nlohmann::json& doc) {
  for (auto& t : doc["tensors"])
    if (t.contains("data")) return t;
  FAIL("no constant");
  return doc;
}

}  // namespace

TEST_CASE("SHA-256 matches the FIPS 180-4 examples", "[package]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 chunked;  // one million 'a', fed in uneven pieces
  const std::string piece(997, 'a');
  size_t left = 1000000;
  while (left > 0) {
    const size_t n = std::min(left, piece.size());
    chunked.update(piece.data(), n);
    left -= n;
  }
  CHECK(chunked.hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("a package reads back as the graph that was written", "[package]") {
  auto g = quantized_mnist();
  const Written w = write(*g, "package_round_trip");
  CHECK(blob_path_for(w.qgraph.string()) == w.blob.string());
  auto back = read_package(w.qgraph.string());
  INFO(back.status().message());
  REQUIRE(back.is_ok());
  const Graph& r = **back;
  REQUIRE(r.nodes().size() == g->nodes().size());
  CHECK(r.inputs().front()->name == "Input3");
  CHECK(r.outputs().front()->name == g->outputs().front()->name);
  int compared = 0;
  for (const auto& v : g->values()) {
    const Value* u = r.find_value(v->name);
    INFO(v->name);
    REQUIRE(u);
    CHECK(u->type.shape == v->type.shape);
    CHECK(u->type.dtype == v->type.dtype);
    REQUIRE(u->encoding.has_value() == v->encoding.has_value());
    if (v->encoding) {
      CHECK(u->encoding->scale == v->encoding->scale);
      CHECK(u->encoding->offset == v->encoding->offset);
      CHECK(u->encoding->bitwidth == v->encoding->bitwidth);
      CHECK(u->encoding_source == v->encoding_source);
    }
    REQUIRE(u->is_constant() == v->is_constant());
    if (v->is_constant()) {
      REQUIRE(u->constant->dtype() == v->constant->dtype());
      REQUIRE(u->constant->nbytes() == v->constant->nbytes());
      CHECK(std::equal(v->constant->bytes(), v->constant->bytes() + v->constant->nbytes(), u->constant->bytes()));
      ++compared;
    }
  }
  CHECK(compared >= 6);
  // 4-bit weights are packed two per byte: the first conv's 200 codes take 100 bytes.
  const auto doc = read_json(w.qgraph);
  for (const auto& t : doc["tensors"])
    if (t["name"] == "Parameter5") CHECK(t["data"] == nlohmann::json({{"offset", 0}, {"size", 100}, {"dtype", "int4"}}));
  // Node attributes survive, fused activations included.
  for (const auto& n : r.nodes())
    if (n->name == "Convolution28") CHECK(n->attr_float("fused_min", -1.f) == 0.f);
}

TEST_CASE("a package in memory loads as its files do, with the same checks", "[package]") {
  auto g = quantized_mnist();
  auto pkg = build_package(*g, PackageProvenance{}, "model.bin");
  REQUIRE(pkg.is_ok());
  auto back = read_package_from_memory(pkg->document.dump(), pkg->blob, "mem/model.qgraph.json");
  INFO(back.status().message());
  REQUIRE(back.is_ok());
  CHECK((*back)->nodes().size() == g->nodes().size());
  std::string corrupt = pkg->blob;
  corrupt[10] = static_cast<char>(corrupt[10] ^ 0x55);
  auto bad = read_package_from_memory(pkg->document.dump(), corrupt, "mem/model.qgraph.json");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("mem/model.bin: blob checksum does not match") != std::string::npos);
  auto short_blob = read_package_from_memory(pkg->document.dump(), pkg->blob.substr(1), "mem/model.qgraph.json");
  CHECK(short_blob.status().message().find("bytes, the qgraph says") != std::string::npos);
  auto not_json = read_package_from_memory("{\"format\": ", pkg->blob, "mem/model.qgraph.json");
  CHECK(not_json.status().message().find("mem/model.qgraph.json: not valid JSON") != std::string::npos);
}

TEST_CASE("a package's fields of the wrong type or range are bad input, not exceptions", "[package]") {
  auto g = quantized_mnist();
  auto pkg = build_package(*g, PackageProvenance{}, "model.bin");
  REQUIRE(pkg.is_ok());
  const auto error_loading = [&](const std::function<void(nlohmann::json&)>& damage) {
    nlohmann::json doc = pkg->document;
    damage(doc);
    auto r = read_package_from_memory(doc.dump(), pkg->blob, "m.qgraph.json");
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == StatusCode::kBadInput);
    return r.status().message();
  };
  const auto encoded = [](nlohmann::json& doc) -> nlohmann::json& {
    for (auto& t : doc["tensors"])
      if (t.contains("encoding")) return t["encoding"];
    FAIL("no encoding");
    return doc;
  };
  CHECK(error_loading([](auto& doc) { doc["format"] = 7; }).find("not a qforge quantized graph") != std::string::npos);
  CHECK(error_loading([](auto& doc) { doc["source"]["opset"] = 1e30; }).find("source.opset: must be an integer") !=
        std::string::npos);
  CHECK(error_loading([](auto& doc) { doc["tensors"][0]["dtype"] = 5; }).find(".dtype: is not a known dtype") !=
        std::string::npos);
  CHECK(error_loading([&](auto& doc) { encoded(doc)["axis"] = "0"; }).find(".axis: must be an integer") !=
        std::string::npos);
  CHECK(error_loading([&](auto& doc) { encoded(doc)["axis"] = -1.5e62; }).find(".axis: must be an integer") !=
        std::string::npos);
  CHECK(error_loading([&](auto& doc) { encoded(doc)["source"] = 1; }).find(".source: must be calibration") !=
        std::string::npos);
  CHECK(error_loading([&](auto& doc) { encoded(doc)["offset"][0] = INT64_MIN; }).find("outside the grid") !=
        std::string::npos);
  // 1e-300 would be a zero float scale, 1e300 an infinite one.
  CHECK(error_loading([&](auto& doc) { encoded(doc)["scale"][0] = 1e-300; }).find("must be a positive number") !=
        std::string::npos);
  CHECK(error_loading([&](auto& doc) { encoded(doc)["scale"][0] = 1e300; }).find("must be a positive number") !=
        std::string::npos);
}

TEST_CASE("a damaged package is refused with the documented error", "[package]") {
  auto g = quantized_mnist();
  SECTION("a corrupted blob") {
    const Written w = write(*g, "package_corrupt");
    std::fstream f(w.blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('\x55');
    f.close();
    CHECK(error_reading(w.qgraph).find("checksum does not match") != std::string::npos);
  }
  SECTION("a truncated blob") {
    const Written w = write(*g, "package_truncated");
    fs::resize_file(w.blob, fs::file_size(w.blob) - 1);
    CHECK(error_reading(w.qgraph).find("bytes, the qgraph says") != std::string::npos);
  }
  SECTION("a missing blob") {
    const Written w = write(*g, "package_no_blob");
    fs::remove(w.blob);
    CHECK(error_reading(w.qgraph).find("weights blob") != std::string::npos);
  }
  SECTION("an unknown version") {
    const Written w = write(*g, "package_version");
    auto doc = read_json(w.qgraph);
    doc["version"] = 2;
    write_json(w.qgraph, doc);
    CHECK(error_reading(w.qgraph).find("qgraph version 2 is not supported") != std::string::npos);
  }
  SECTION("a tensor outside the blob, misaligned, or overlapping another") {
    const Written w = write(*g, "package_index");
    const auto original = read_json(w.qgraph);
    auto doc = original;
    first_constant(doc)["data"]["offset"] = 1 << 20;
    write_json(w.qgraph, doc);
    CHECK(error_reading(w.qgraph).find("outside the") != std::string::npos);
    doc = original;
    first_constant(doc)["data"]["offset"] = 8;
    write_json(w.qgraph, doc);
    CHECK(error_reading(w.qgraph).find("is not 64-byte aligned") != std::string::npos);
    doc = original;
    // Point every constant at the first one's bytes.
    for (auto& t : doc["tensors"])
      if (t.contains("data")) t["data"]["offset"] = 0;
    write_json(w.qgraph, doc);
    const std::string e = error_reading(w.qgraph);
    CHECK((e.find("overlap") != std::string::npos || e.find("bytes, its shape") != std::string::npos));
    doc = original;
    first_constant(doc)["data"]["size"] = first_constant(doc)["data"]["size"].get<int64_t>() - 1;
    write_json(w.qgraph, doc);
    CHECK(error_reading(w.qgraph).find("its shape and dtype need") != std::string::npos);
  }
  SECTION("not a qgraph at all") {
    const fs::path dir = testing::scratch_dir("package_not_qgraph");
    testing::write_text(dir / "x.qgraph.json", R"({"format": "something else"})");
    CHECK(error_reading(dir / "x.qgraph.json").find("not a qforge quantized graph") != std::string::npos);
    testing::write_text(dir / "y.qgraph.json", "{\"format\": ");
    CHECK(error_reading(dir / "y.qgraph.json").find("not valid JSON") != std::string::npos);
    CHECK(error_reading(dir / "missing.qgraph.json").find("does not exist") != std::string::npos);
  }
}


TEST_CASE("the output path may be a folder: the model's stem names the package in it", "[package]") {
  const fs::path dir = testing::scratch_dir("package_output_folder");
  CHECK(qgraph_output_path((dir / "m.qgraph.json").string(), "/models/resnet18.onnx") ==
        (dir / "m.qgraph.json").string());
  CHECK(qgraph_output_path(dir.string(), "/models/resnet18.onnx") == (dir / "resnet18.qgraph.json").string());
  CHECK(qgraph_output_path("new_folder/", "resnet18.onnx") == "new_folder/resnet18.qgraph.json");
  // A QNN-style name is a file name like any other.
  CHECK(qgraph_output_path("out/resnet18.cpp", "resnet18.onnx") == "out/resnet18.cpp");
}

TEST_CASE("a qgraph is told from an ONNX model by its content, not its name", "[package]") {
  auto g = quantized_mnist();
  const fs::path dir = testing::scratch_dir("package_by_content");
  // QNN's converter writes model.cpp; a user keeps the habit.
  const fs::path qgraph = dir / "model.cpp";
  PackageProvenance provenance{{"qforge-onnx-converter"}, "mnist.onnx", std::string(64, 'a'), nlohmann::json::object()};
  REQUIRE(write_package(*g, provenance, qgraph.string()).is_ok());
  CHECK(fs::exists(dir / "model.cpp.bin"));
  CHECK(starts_like_json(qgraph.string()));
  CHECK(read_package(qgraph.string()).is_ok());
  CHECK_FALSE(starts_like_json(std::string(QF_SOURCE_DIR) + "/calib/mnist/mnist.onnx"));
  CHECK_FALSE(starts_like_json((dir / "no_such_file").string()));
  testing::write_text(dir / "spaced.json", " \n\t{\"format\": \"something else\"}");
  CHECK(starts_like_json((dir / "spaced.json").string()));
  CHECK(error_reading(dir / "spaced.json").find("not a qforge quantized graph") != std::string::npos);
}

TEST_CASE("a qgraph that cannot be written leaves no blob behind", "[package]") {
  auto g = quantized_mnist();
  const fs::path dir = testing::scratch_dir("package_failed_write");
  // A folder (not empty) where the qgraph goes: the blob is written, then renaming the qgraph fails.
  const fs::path qgraph = dir / "model.qgraph.json";
  fs::create_directories(qgraph / "occupied");
  PackageProvenance provenance{{"qforge-onnx-converter"}, "mnist.onnx", std::string(64, 'a'), nlohmann::json::object()};
  const Status s = write_package(*g, provenance, qgraph.string());
  CHECK(s.code() == StatusCode::kBadInput);
  CHECK(s.message().find("model.qgraph.json") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "model.bin"));
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
}

}  // namespace qf

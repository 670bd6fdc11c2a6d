// SPDX-License-Identifier: Apache-2.0
// The real models in ../shared/models: oneDNN and the reference backend agree on every
// intermediate tensor. Skipped when the shared folder is absent.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "onnx/importer.h"
#include "runtime/executor.h"

using namespace qf;
namespace fs = std::filesystem;

namespace {

// Error relative to the tensor's largest magnitude: elementwise relative error is meaningless for
// values that are zero up to rounding.
double max_relative_error(const Tensor& expected, const Tensor& actual) {
  double max_abs = 0, max_diff = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const double e = expected.element_as_double(i), a = actual.element_as_double(i);
    max_abs = std::max(max_abs, std::fabs(e));
    max_diff = std::max(max_diff, std::fabs(e - a));
  }
  return max_abs > 0 ? max_diff / max_abs : max_diff;
}

std::vector<uint8_t> read_bytes(const fs::path& p, size_t offset, size_t count) {
  std::vector<uint8_t> bytes(count);
  std::ifstream in(p, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(count));
  return bytes;
}

std::string_view input_name(const fs::path& model) {
  const std::string file = model.filename().string();
  if (file == "mnist.onnx") return "Input3";
  if (file == "ImageClassifier.onnx") return "modelInput";
  return "x";
}

fs::path models_dir() {
  if (const char* env = std::getenv("QFORGE_SHARED_DIR")) return fs::path(env) / "models";
  return fs::path(QF_SHARED_DIR) / "models";
}

void compare_backends(const fs::path& model, const Tensor& input) {
  ImportOptions options;
  options.input_dims[std::string(input_name(model))] = input.shape();
  auto graph = import_onnx_file(model.string(), options);
  REQUIRE(graph.is_ok());
  ExecutorOptions ref_options{"reference", 1};
  ExecutorOptions dnn_options{"onednn", 1};
  auto ref = Executor::create(**graph, ref_options);
  auto dnn = Executor::create(**graph, dnn_options);
  REQUIRE(ref.is_ok());
  REQUIRE(dnn.is_ok());
  std::vector<Tensor> inputs{input};
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
      INFO(model.filename().string() << " tensor '" << v->name << "' of " << node->describe());
      CHECK(max_relative_error(*expected, *actual) <= 1e-4);
      ++compared;
    }
  }
  CHECK(compared == static_cast<int>((*graph)->nodes().size()));
}

}  // namespace

TEST_CASE("mnist: oneDNN matches the reference on every tensor", "[models]") {
  const fs::path dir = models_dir() / "mnist";
  if (!fs::exists(dir / "mnist.onnx")) { WARN("shared models not found: skipped"); return; }
  auto pixels = read_bytes(dir / "images_u8_N28x28.bin", 0, 28 * 28);
  Tensor x(DType::kF32, {1, 1, 28, 28});
  for (int i = 0; i < 28 * 28; ++i) x.data<float>()[i] = pixels[static_cast<size_t>(i)] / 255.f;
  compare_backends(dir / "mnist.onnx", x);
}

TEST_CASE("cifar10: oneDNN matches the reference on every tensor", "[models]") {
  const fs::path dir = models_dir() / "cifar10";
  if (!fs::exists(dir / "ImageClassifier.onnx")) { WARN("shared models not found: skipped"); return; }
  auto hwc = read_bytes(dir / "images_u8_N32x32x3.bin", 0, 32 * 32 * 3);
  Tensor x(DType::kF32, {1, 3, 32, 32});
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 32 * 32; ++p)
      x.data<float>()[c * 1024 + p] = (hwc[static_cast<size_t>(p * 3 + c)] / 255.f - 0.5f) / 0.5f;
  compare_backends(dir / "ImageClassifier.onnx", x);
}

TEST_CASE("ppocr_cls: oneDNN matches the reference on every tensor", "[models]") {
  const fs::path dir = models_dir() / "ppocr_cls";
  if (!fs::exists(dir / "ch_ppocr_mobile_v2.0_cls_infer.onnx")) { WARN("shared models not found: skipped"); return; }
  // A real CIFAR image stretched (nearest) to the classifier's 48x192 input.
  auto hwc = read_bytes(models_dir() / "cifar10" / "images_u8_N32x32x3.bin", 0, 32 * 32 * 3);
  Tensor x(DType::kF32, {1, 3, 48, 192});
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 48; ++y)
      for (int xx = 0; xx < 192; ++xx) {
        const int sy = y * 32 / 48, sx = xx * 32 / 192;
        x.data<float>()[(c * 48 + y) * 192 + xx] = (hwc[static_cast<size_t>((sy * 32 + sx) * 3 + c)] / 255.f - 0.5f) / 0.5f;
      }
  compare_backends(dir / "ch_ppocr_mobile_v2.0_cls_infer.onnx", x);
}

// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the unit tests: the real models of ../shared/models with one real input
// each, random tensors, and the error measure the model tests use.
#pragma once

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace qf::test {

namespace fs = std::filesystem;

inline fs::path models_dir() {
  if (const char* env = std::getenv("QFORGE_SHARED_DIR")) return fs::path(env) / "models";
  return fs::path(QF_SHARED_DIR) / "models";
}

inline std::vector<uint8_t> read_bytes(const fs::path& p, size_t offset, size_t count) {
  std::vector<uint8_t> bytes(count);
  std::ifstream in(p, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(count));
  return bytes;
}

// Error relative to the tensor's largest magnitude: elementwise relative error is meaningless for
// values that are zero up to rounding.
inline double max_relative_error(const Tensor& expected, const Tensor& actual) {
  double max_abs = 0, max_diff = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const double e = expected.element_as_double(i), a = actual.element_as_double(i);
    max_abs = std::max(max_abs, std::fabs(e));
    max_diff = std::max(max_diff, std::fabs(e - a));
  }
  return max_abs > 0 ? max_diff / max_abs : max_diff;
}

inline Tensor random_tensor(Shape shape, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(DType::kF32, std::move(shape));
  for (float& v : t.span<float>()) v = dist(gen);
  return t;
}

// The same values as a flat vector (initializers of generated models).
inline std::vector<float> random_values(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  return random_tensor({static_cast<int64_t>(n)}, seed, lo, hi).to_float_vector();
}

// A real model with its input name and one real input (image `index` of its data set, as the
// models' README prescribes); nullopt when the shared folder is absent.
struct RealModel {
  std::string label;
  fs::path path;
  std::string input_name;
  Tensor input;
};

inline std::optional<RealModel> mnist_model(size_t index = 0) {
  const fs::path dir = models_dir() / "mnist";
  if (!fs::exists(dir / "mnist.onnx")) return std::nullopt;
  auto pixels = read_bytes(dir / "images_u8_N28x28.bin", index * 28 * 28, 28 * 28);
  Tensor x(DType::kF32, {1, 1, 28, 28});
  for (int i = 0; i < 28 * 28; ++i) x.data<float>()[i] = pixels[static_cast<size_t>(i)] / 255.f;
  return RealModel{"mnist", dir / "mnist.onnx", "Input3", x};
}

inline std::optional<RealModel> cifar10_model(size_t index = 0) {
  const fs::path dir = models_dir() / "cifar10";
  if (!fs::exists(dir / "ImageClassifier.onnx")) return std::nullopt;
  auto hwc = read_bytes(dir / "images_u8_N32x32x3.bin", index * 32 * 32 * 3, 32 * 32 * 3);
  Tensor x(DType::kF32, {1, 3, 32, 32});
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 32 * 32; ++p)
      x.data<float>()[c * 1024 + p] = (hwc[static_cast<size_t>(p * 3 + c)] / 255.f - 0.5f) / 0.5f;
  return RealModel{"cifar10", dir / "ImageClassifier.onnx", "modelInput", x};
}

// A real CIFAR image stretched (nearest) to the text-direction classifier's 48x192 input.
inline std::optional<RealModel> ppocr_model(size_t index = 0) {
  const fs::path model = models_dir() / "ppocr_cls" / "ch_ppocr_mobile_v2.0_cls_infer.onnx";
  if (!fs::exists(model)) return std::nullopt;
  auto hwc = read_bytes(models_dir() / "cifar10" / "images_u8_N32x32x3.bin", index * 32 * 32 * 3, 32 * 32 * 3);
  Tensor x(DType::kF32, {1, 3, 48, 192});
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 48; ++y)
      for (int xx = 0; xx < 192; ++xx) {
        const int sy = y * 32 / 48, sx = xx * 32 / 192;
        x.data<float>()[(c * 48 + y) * 192 + xx] =
            (hwc[static_cast<size_t>((sy * 32 + sx) * 3 + c)] / 255.f - 0.5f) / 0.5f;
      }
  return RealModel{"ppocr_cls", model, "x", x};
}

inline std::vector<RealModel> real_models(size_t index = 0) {
  std::vector<RealModel> models;
  for (auto m : {mnist_model(index), cifar10_model(index), ppocr_model(index)})
    if (m) models.push_back(std::move(*m));
  return models;
}

}  // namespace qf::test

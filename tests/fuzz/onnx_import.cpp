// SPDX-License-Identifier: Apache-2.0
// Fuzz target: ONNX model bytes -> Graph, through everything that runs at import (protobuf
// parsing, canonicalization of every opset, shape propagation with constant folding, the
// verifier), then the optimization passes on the graphs that import.
//
// The model is named as a file in a scratch folder holding one small external data file,
// `weights.bin`, so that external-data references (offsets, lengths, locations) are exercised on
// a real file and never reach anything else on the machine.
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "driver/load_model.h"
#include "passes/passes.h"
#include "support/fuzz_support.h"

namespace {

namespace fs = std::filesystem;

// 256 bytes: room for a few small float tensors at various offsets.
constexpr size_t kWeightsBytes = 256;

class ScratchModelFolder {
 public:
  ScratchModelFolder()
      : dir_(fs::temp_directory_path() / ("qforge_fuzz_onnx_import_" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    std::ofstream weights(dir_ / "weights.bin", std::ios::binary);
    for (size_t i = 0; i < kWeightsBytes; ++i) weights.put(static_cast<char>(i));
  }
  ~ScratchModelFolder() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string model_path() const { return (dir_ / "model.onnx").string(); }

 private:
  fs::path dir_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ScratchModelFolder folder;
  auto graph = qf::load_onnx_bytes(qf::fuzz::as_string(data, size), folder.model_path());
  qf::fuzz::require_clean(graph.status(), "load_onnx_bytes");
  if (graph.is_ok()) qf::fuzz::require_clean(qf::run_optimization_passes(**graph), "run_optimization_passes");
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a raw input file -> Tensor, against the shape of calib/mnist's input (so that its
// .raw files are valid seeds), converted to every dtype a model input may have, as
// load_inference_inputs does for each input.
#include "io/input_list.h"
#include "support/fuzz_support.h"

namespace {

const qf::Shape kMnistInputShape{1, 1, 28, 28};
constexpr qf::DType kInputDtypes[] = {qf::DType::kF32, qf::DType::kF16, qf::DType::kF64, qf::DType::kS64,
                                      qf::DType::kS32, qf::DType::kS8,  qf::DType::kU8,  qf::DType::kBool};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes = qf::fuzz::as_string(data, size);
  for (qf::DType dtype : kInputDtypes) {
    auto tensor = qf::parse_raw_float(bytes, kMnistInputShape, "fuzz.raw", "Input3", dtype);
    qf::fuzz::require_clean(tensor.status(), "parse_raw_float");
  }
  return 0;
}

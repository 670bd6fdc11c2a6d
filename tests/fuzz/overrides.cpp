// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a quantization overrides file (AIMET encodings JSON, legacy 0.4 - 0.6.1 or 1.0.0)
// -> QuantizationOverrides, as --quantization_overrides reads it.
#include "quant/overrides.h"
#include "support/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto overrides = qf::parse_quantization_overrides(qf::fuzz::as_string(data, size), "fuzz.encodings.json");
  qf::fuzz::require_clean(overrides.status(), "parse_quantization_overrides");
  return 0;
}

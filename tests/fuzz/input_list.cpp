// SPDX-License-Identifier: Apache-2.0
// Fuzz target: an input list (QNN syntax) -> InputList, as qforge-net-run and the converter's
// --input_list read it.
#include "io/input_list.h"
#include "support/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto list = qf::parse_input_list(qf::fuzz::as_string(data, size), "/fuzz/lists/input_list.txt");
  qf::fuzz::require_clean(list.status(), "parse_input_list");
  return 0;
}

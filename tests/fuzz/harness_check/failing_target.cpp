// SPDX-License-Identifier: Apache-2.0
// A fuzz target that fails on purpose, so that a test can hold run_fuzzer.sh (and with it
// scripts/fuzz.sh and CI's smoke runs) to failing when a target crashes or leaks: it aborts on
// an input that starts with "CRASH" and leaks 64 bytes on one that starts with "LEAK".
// Not in tests/fuzz/*.cpp, so `scripts/fuzz.sh all` never runs it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {
bool starts_with(const uint8_t* data, size_t size, const char* marker) {
  const size_t n = std::strlen(marker);
  return size >= n && std::memcmp(data, marker, n) == 0;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (starts_with(data, size, "CRASH")) std::abort();
  if (starts_with(data, size, "LEAK")) {
    volatile char* lost = new char[64];
    lost[0] = 1;
  }
  return 0;
}

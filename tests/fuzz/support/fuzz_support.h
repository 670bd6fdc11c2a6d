// SPDX-License-Identifier: Apache-2.0
// What the fuzz targets of tests/fuzz/ share. Each target is one LLVMFuzzerTestOneInput that
// feeds its input to a production entry point of lib/ (the same function the tools call on a
// file's content) and checks the outcome: a crash, a sanitizer report, an exception escaping
// lib/ or a leak is a bug, and so is an internal error, because every input a file can hold must
// be either accepted or refused as bad input or unsupported.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/status.h"

namespace qf::fuzz {

// Logs would flood the fuzzer's output and slow it down; what matters comes back as a Status.
inline const bool kLogsOff = [] {
  spdlog::set_level(spdlog::level::off);
  return true;
}();

inline std::string as_string(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Aborts (a crash libFuzzer reports, with the input saved) when a refusal is not one a user can
// act on: an internal error, or an error without a message. QF_FUZZ_VERBOSE=1 prints every
// outcome, to see what a corpus exercises.
inline void require_clean(const Status& status, const char* what) {
  static const bool verbose = std::getenv("QF_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "%s: %s %s\n", what, status_code_name(status.code()), status.message().c_str());
  if (status.is_ok()) return;
  if (status.code() != StatusCode::kInternal && !status.message().empty()) return;
  std::fprintf(stderr, "%s: %s error on a fuzzed input: '%s'\n", what, status_code_name(status.code()),
               status.message().c_str());
  std::abort();
}

}  // namespace qf::fuzz

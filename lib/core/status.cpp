// SPDX-License-Identifier: Apache-2.0
#include "core/status.h"

namespace qf {

int exit_code(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 0;
    case StatusCode::kCompareFailed: return 1;
    case StatusCode::kUsage: return 2;
    case StatusCode::kBadInput: return 3;
    case StatusCode::kUnsupported: return 4;
    case StatusCode::kInternal: return 5;
  }
  return 5;
}

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kCompareFailed: return "comparison failed";
    case StatusCode::kUsage: return "usage error";
    case StatusCode::kBadInput: return "bad input";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kInternal: return "internal error";
  }
  return "internal error";
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
// net-run's one-line account of where a quantized graph's nodes run.
#include <catch2/catch.hpp>

#include "driver/net_run.h"

namespace qf {

TEST_CASE("the placement summary counts int8, reference and float nodes, reasons by frequency", "[net_run]") {
  const std::vector<NodePlacement> placements{
      {"conv", "int8", ""},
      {"ln1", "int8 (reference)", "no integer kernel for this op"},
      {"add", "int8 (reference)", "codes of mixed signedness"},
      {"ln2", "int8 (reference)", "no integer kernel for this op"},
      {"topk", "float", "no integer kernel for this op"},
      {"mm", "int8", ""},
  };
  CHECK(placement_summary(placements) ==
        "int8: 5 nodes (3 on the reference integer kernel: no integer kernel for this op x2, codes of mixed "
        "signedness x1), float: 1 nodes (no integer kernel for this op x1)");
  const std::vector<NodePlacement> all_int8{{"conv", "int8", ""}, {"fc", "int8", ""}};
  CHECK(placement_summary(all_int8) == "int8: 2 nodes, float: 0 nodes");
}

}  // namespace qf

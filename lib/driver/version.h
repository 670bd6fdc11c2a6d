// SPDX-License-Identifier: Apache-2.0
// What a binary is: qforge's version, the commit it was built from, and the oneDNN it runs on.
#pragma once

#include <string>
#include <string_view>

namespace qf {

// One line for --version: "qforge-net-run 0.1.0 (git 83356cc) oneDNN 2.6.3 cpu-isa avx512_core_vnni".
// The ISA is the one oneDNN dispatches to on this machine (after ONEDNN_MAX_CPU_ISA), so a bug
// report carries what actually ran, not just what was compiled.
std::string version_line(std::string_view tool);

}  // namespace qf

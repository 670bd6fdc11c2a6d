// SPDX-License-Identifier: Apache-2.0
// What every tool main does at its two boundaries: CLI11 errors become exit code 2 with a one-line
// message, and a failed Status becomes its exit code after one error line on stderr. Also the
// flags every tool has, so that they mean the same in each.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/status.h"
#include "driver/version.h"

namespace qf::cli {

inline void add_version_flag(CLI::App& app, const char* tool) {
  app.set_version_flag(
      "--version", [tool] { return version_line(tool); },
      "Print the version, the git commit, oneDNN's version and the CPU ISA it uses, and exit");
}

// nullopt when the flags parsed; otherwise the code to exit with (0 after --help or --version).
inline std::optional<int> parse(CLI::App& app, int argc, char** argv, const char* tool) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version: print to stdout, exit 0
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s (see --help)\n", tool, e.what());
    return exit_code(StatusCode::kUsage);
  }
  return std::nullopt;
}

// --input_dim NAME DIMS (repeatable), the same in every tool that loads an ONNX model; the values
// are NAME DIMS NAME DIMS ..., for qf::parse_input_dims (io/dims.h).
inline CLI::Option* add_input_dim_option(CLI::App& app, std::vector<std::string>* values,
                                         const std::string& names = "--input_dim") {
  return app.add_option(names, *values, "Fix an input's shape: --input_dim NAME 1,3,224,224 (repeatable)")
      ->expected(2)
      ->take_all();
}

inline int fail(const Status& status) {
  spdlog::error("{}", status.message());
  return exit_code(status.code());
}

}  // namespace qf::cli

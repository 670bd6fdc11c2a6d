// SPDX-License-Identifier: Apache-2.0
// What every tool main does at its two boundaries: CLI11 errors become exit code 2 with a one-line
// message, and a failed Status becomes its exit code after one error line on stderr. Also the
// flags every tool has (--version, --quiet, --log_level), so that they mean the same in each.
#pragma once

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/status.h"
#include "driver/version.h"

namespace qf::cli {

struct CommonFlags {
  std::string log_level = "info";
  bool quiet = false;

  // --quiet overrides --log_level: a script that asks for quiet gets it whatever else it passes.
  Status apply_log_level() const { return set_log_level(quiet ? "error" : log_level); }
  // The \r progress line is for a person watching a terminal; it would litter a log file.
  bool show_progress() const { return !quiet && isatty(STDERR_FILENO) != 0; }
};

inline void add_common_flags(CLI::App& app, const char* tool, CommonFlags* flags) {
  app.set_version_flag(
      "--version", [tool] { return version_line(tool); },
      "Print the version, the git commit, oneDNN's version and the CPU ISA it uses, and exit");
  app.add_option("--log_level", flags->log_level, "trace, debug, info, warn, error, off")->capture_default_str();
  app.add_flag("--quiet,-q", flags->quiet, "Only errors on stderr (--log_level error) and no progress line");
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

// The end of a tool's --help: its exit codes, each with what it means for this tool (the codes are
// the same in every tool: core/status.h).
inline std::string exit_codes_footer(std::initializer_list<std::pair<StatusCode, std::string_view>> meanings) {
  std::string text = "Exit codes:";
  for (const auto& [code, meaning] : meanings) text += fmt::format("\n  {}  {}", exit_code(code), meaning);
  return text;
}

inline int fail(const Status& status) {
  spdlog::error("{}", status.message());
  return exit_code(status.code());
}

}  // namespace qf::cli

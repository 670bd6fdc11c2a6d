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
#include <thread>
#include <utility>
#include <vector>

#include "core/closest_names.h"
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

// The --help group of --help, --version, --log_level and --quiet.
inline constexpr const char* kGeneralGroup = "General";

// A boolean flag that also takes an explicit value, as QNN's scripts write them:
// `--use_per_channel_quantization`, `... True`, `... false`, `...=1`, `... 0` (CLI11 reads
// true/false, yes/no, on/off and 1/0 in any case; another word is a usage error).
inline CLI::Option* add_bool_flag(CLI::App& app, const std::string& names, bool* flag, const std::string& help) {
  return app.add_flag(names, *flag, help + " [=true|false]")->expected(0, 1);
}

inline void add_common_flags(CLI::App& app, const char* tool, CommonFlags* flags) {
  app.set_version_flag(
         "--version", [tool] { return version_line(tool); },
         "Print the version, the git commit, oneDNN's version and the CPU ISA it uses, and exit")
      ->group(kGeneralGroup);
  app.add_option("--log_level", flags->log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str()
      ->group(kGeneralGroup);
  add_bool_flag(app, "--quiet,-q", &flags->quiet, "Only errors on stderr (--log_level error) and no progress line")
      ->group(kGeneralGroup);
  // Made again so that it comes after the tool's own options: CLI11 lists groups in order.
  app.set_help_flag("-h,--help", "Print this help message and exit")->group(kGeneralGroup);
}

// Every name the app's options answer to, with their dashes: --input_list, -l, ...
inline std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& n : opt->get_lnames()) names.push_back("--" + n);
    for (const std::string& n : opt->get_snames()) names.push_back("-" + n);
  }
  return names;
}

// The first argument CLI11 left unparsed that looks like an option ("--input-list" or
// "--input-list=x"), without its value; empty when there is none.
inline std::string first_unknown_option(const CLI::App& app) {
  for (const std::string& arg : app.remaining()) {
    if (arg.size() > 1 && arg[0] == '-') return arg.substr(0, arg.find('='));
  }
  return "";
}

// nullopt when the flags parsed; otherwise the code to exit with (0 after --help or --version).
// An unknown option is reported before anything else (a required option "missing" because its
// name was mistyped, say), with the known flag it most likely meant.
inline std::optional<int> parse(CLI::App& app, int argc, char** argv, const char* tool) {
  app.name(tool);  // the usage line names the tool, not argv[0]'s path
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version: print to stdout, exit 0
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (const std::string unknown = first_unknown_option(app); !unknown.empty()) {
      const std::vector<std::string> near = closest_names(unknown, option_names(app), 1);
      const std::string suggestion = near.empty() ? "" : fmt::format(", did you mean {}?", near.front());
      std::fprintf(stderr, "%s: %s: unknown option%s (see --help)\n", tool, unknown.c_str(), suggestion.c_str());
    } else {
      std::fprintf(stderr, "%s: %s (see --help)\n", tool, e.what());
    }
    return exit_code(StatusCode::kUsage);
  }
  return std::nullopt;
}

// More threads than cores only makes them take turns (and oneDNN's OpenMP threads spin while
// they wait): say so, since the run still works.
inline void warn_if_more_threads_than_cores(int threads) {
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores > 0 && threads > static_cast<int>(cores))
    spdlog::warn("--threads {} is more than the {} cores of this machine: the threads will take turns on them",
                 threads, cores);
}

// --input_dim NAME DIMS (repeatable), the same in every tool that loads an ONNX model; the values
// are NAME DIMS NAME DIMS ..., for qf::parse_input_dims (io/dims.h).
inline CLI::Option* add_input_dim_option(CLI::App& app, std::vector<std::string>* values,
                                         const std::string& names = "--input_dim") {
  return app.add_option(names, *values, "Fix an input's shape: --input_dim NAME 1,3,224,224 (repeatable)")
      ->expected(2)
      ->take_all();
}

// --input_layout NAME LAYOUT (QNN's flag; repeatable), the same in the converter and net-run;
// the values are NAME LAYOUT NAME LAYOUT ..., for qf::parse_input_layouts (io/input_layout.h).
inline CLI::Option* add_input_layout_option(CLI::App& app, std::vector<std::string>* values) {
  return app
      .add_option("--input_layout", *values,
                  "The layout of an input's raw files: --input_layout NAME NHWC for channels-last raws, transposed "
                  "to the model's NCHW at load (repeatable). Without it, raws must be NCHW, as the model's input")
      ->expected(2)
      ->take_all();
}

// The end of a tool's --help: its exit codes, each with what it means for this tool (the codes are
// the same in every tool: core/status.h), and an example command line.
inline std::string help_footer(std::initializer_list<std::pair<StatusCode, std::string_view>> meanings,
                               std::string_view example) {
  std::string text = "Exit codes:";
  for (const auto& [code, meaning] : meanings) text += fmt::format("\n  {}  {}", exit_code(code), meaning);
  return text + fmt::format("\n\nExample:\n  {}", example);
}

inline int fail(const Status& status) {
  spdlog::error("{}", status.message());
  return exit_code(status.code());
}

}  // namespace qf::cli

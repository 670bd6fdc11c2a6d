// SPDX-License-Identifier: Apache-2.0
#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace qf {

void init_logging() {
  static bool done = false;
  if (done) return;
  done = true;
  auto logger = spdlog::stderr_color_mt("qforge");
  logger->set_pattern("[%^%l%$] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);
}

Status set_log_level(std::string_view level) {
  init_logging();
  auto lvl = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; only accept "off" when asked for.
  if (lvl == spdlog::level::off && level != "off") {
    return usage_error("--log_level: unknown level '{}' (trace, debug, info, warn, error, off)", level);
  }
  spdlog::set_level(lvl);
  return Status::ok();
}

}  // namespace qf

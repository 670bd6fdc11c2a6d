// SPDX-License-Identifier: Apache-2.0
// Logging: spdlog to stderr, one logger for the whole process; stdout is kept for results.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "core/status.h"

namespace qf {

// Levels: trace, debug, info, warn, error, off. Returns a usage error for anything else.
Status set_log_level(std::string_view level);
void init_logging();

}  // namespace qf

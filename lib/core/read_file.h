// SPDX-License-Identifier: Apache-2.0
// Reading a whole input file, with the errors every reader of outside files needs: the parsers
// take the bytes (so that tests and fuzz targets feed them the same way), this gets them.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace qf {

// The whole content of a regular file. A bad_input naming `what` ("model", "input list") and the
// path when it is missing, a folder or another non-regular file (a FIFO or a device would block or
// never end), or unreadable.
Result<std::string> read_file_bytes(const std::string& path, std::string_view what);

}  // namespace qf

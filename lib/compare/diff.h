// SPDX-License-Identifier: Apache-2.0
// What qforge-diff does, as a library call: match the two runs, read every pair of .raw files
// once, and gather metrics, verdicts, the layer diagnosis, accuracy and the gate into a DiffReport.
#pragma once

#include "compare/report.h"
#include "core/status.h"

namespace qf::compare {

// Errors: bad_input for missing or malformed files (sizes that disagree, NaN or Inf values, a bad
// qgraph or labels file), usage errors for options that do not fit the inputs. A failing gate is
// not an error: see DiffReport::gate_failures.
Result<DiffReport> run_diff(const DiffOptions& options);

// ok, or kCompareFailed (exit code 1) saying which outputs failed which thresholds.
Status gate_status(const DiffReport& report);

}  // namespace qf::compare

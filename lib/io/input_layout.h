// SPDX-License-Identifier: Apache-2.0
// --input_layout NAME LAYOUT (QNN's flag): the layout an input's raw files are written in. Raw
// files hold the model input's own layout (NCHW for an image model) unless told otherwise; with
// NHWC (channels last, as image libraries hand out pixels) they are transposed to NCHW at load.
// An NHWC file has the NCHW file's size, so without the flag it would run, wrongly, without a word.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace qf {

enum class InputLayout {
  kNCHW,  // the model's own: read as is
  kNHWC,  // channels last: transposed to NCHW at load
};

// --input_layout's values as the command line collects them, NAME LAYOUT NAME LAYOUT ..., as
// input name -> layout. Usage errors name the flag and the input (an unknown layout lists the two).
Result<std::map<std::string, InputLayout>> parse_input_layouts(const std::vector<std::string>& name_layout_pairs);

// A 4-D float tensor [N,H,W,C] as [N,C,H,W].
Tensor nhwc_to_nchw(const Tensor& nhwc);

}  // namespace qf

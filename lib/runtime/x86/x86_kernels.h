// SPDX-License-Identifier: Apache-2.0
// qforge's own integer kernels for x86 (AVX-512, VNNI), hand-written where oneDNN 2.6 has nothing
// as fast (each file says what it measured). They use no oneDNN: the oneDNN backend lists them in
// its int8 kernel list (onednn/int8_dispatch.cpp), ahead of or instead of its primitives. Each
// factory declines, with the reason, what it does not cover.
#pragma once

#include "runtime/int8.h"
#include "runtime/kernel.h"
#include "runtime/layout.h"
#include "runtime/window.h"

namespace qf::x86 {

// A depthwise 3x3 Conv of codes (depthwise_int8.cpp), or nullptr with the reason when it does not
// fit (oneDNN's convolution then runs it).
Created create_int8_depthwise(const KernelRequest& request, const Int8Linear& form);
// GlobalAveragePool of codes: exact integer sums, one requantize per channel.
Created create_int8_global_average(const KernelRequest& request, const Int8Linear& form);
// One-input elementwise ops as a 256-entry table of codes.
Created create_int8_table(const KernelRequest& request, const CodeTable& table);
// Add / Sub / Mul of two code tensors, elementwise, scalar or per-channel broadcast.
Created create_int8_binary(const KernelRequest& request, const Int8Binary& form);

}  // namespace qf::x86

// SPDX-License-Identifier: Apache-2.0
// QF_VECTOR_CLONES: builds a loop-heavy function for AVX-512 and AVX2 besides the x86-64 baseline;
// the CPU picks one when the program loads (an ifunc). qforge is built for any x86-64, whose
// baseline vectors (SSE2) are a quarter of AVX-512's: a 224x224x3 input quantizes 5x faster with
// 16 lanes. A function so marked must give the same results on every path: no multiply-add the
// compiler could contract into an FMA (GCC contracts by default), no reassociated float sums.
// Multiversioned functions cannot be templates (clang 14), so they are written per type.
#pragma once

#if defined(__clang__)
#define QF_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
// GCC's plain "avx512f" clone keeps 256-bit vectors; x86-64-v4 uses all 512 bits.
#define QF_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif

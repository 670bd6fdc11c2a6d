// SPDX-License-Identifier: Apache-2.0
// The one oneDNN CPU engine every kernel shares, a stream per thread, and the thread-count knob.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace qf::onednn {

// Created on first use; lives until exit. Primitives built on it may be used from any thread.
dnnl::engine& cpu_engine();
// One in-order stream per calling thread: streams are not safe to share between threads.
dnnl::stream& cpu_stream();

// threads <= 0 leaves OpenMP's default (OMP_NUM_THREADS or all cores). The setting is per calling
// thread in OpenMP, so kernels re-apply it at run time when they run on another thread.
void apply_threads(int threads);

// Primitives created while one lives are planned for one thread (oneDNN sizes its work split at
// creation): the row bands, which each run on one thread of the executor's parallel region.
class SingleThreadedCreation {
 public:
  SingleThreadedCreation();
  ~SingleThreadedCreation();
  SingleThreadedCreation(const SingleThreadedCreation&) = delete;
  SingleThreadedCreation& operator=(const SingleThreadedCreation&) = delete;

 private:
  int before_;
};

}  // namespace qf::onednn

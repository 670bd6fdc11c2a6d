// SPDX-License-Identifier: Apache-2.0
// Engine/stream singletons for the oneDNN backend.
#include "runtime/onednn/engine.h"

#include <omp.h>

namespace qf::onednn {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

void apply_threads(int threads) {
  if (threads > 0 && omp_get_max_threads() != threads) omp_set_num_threads(threads);
}

SingleThreadedCreation::SingleThreadedCreation() : before_(omp_get_max_threads()) { omp_set_num_threads(1); }

SingleThreadedCreation::~SingleThreadedCreation() { omp_set_num_threads(before_); }

}  // namespace qf::onednn

// SPDX-License-Identifier: Apache-2.0
// The executor's row-band scheduling (runtime/row_bands.h): which steps run as one chain of
// bands, and running such a chain in one parallel region.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "core/log.h"
#include "runtime/executor.h"

namespace qf {

// Why row bands. On two threads, oneDNN splits each layer's work its own way and forks and joins
// its threads once per layer. mobilenet_v2's late layers take 10-40 us each, so the 3 us of an
// OpenMP fork/join, and each thread reading what the other core wrote the layer before, ate the
// second thread's gain: its 14x14 blocks ran no faster on two threads than on one. Run as bands,
// thread b computes band b of every layer in a chain, inside one parallel region; it reads the
// rows it wrote itself, and waits for the other threads only where a window reaches into their
// rows (3x3 and strided convs), a barrier of about 1 us. Measured on a 2-core Zen 5, int8, chains
// of inverted-residual blocks: 14x14x384 190 -> 125 us, 7x7x960 175 -> 130 us; the whole
// mobilenet_v2 10-12 % faster in int8, 4-5 % in fp32.
// A step that waits computes first the rows of its band that read only rows its own thread wrote
// (RowBands::rows_from: qforge's depthwise kernel), so that a thread done early with the step before
// works instead of idling at the barrier: mobilenet_v2 int8 on two threads 1-4 % faster (four sets
// of A B B A runs, median of per-run minima 1.031 -> 0.997, 1.064 -> 1.026, 0.852 -> 0.845 and
// 0.896 -> 0.874 ms; most where the box was noisiest).
void Executor::plan_band_chains() {
  for (size_t first = 0; first < steps_.size();) {
    const auto bands_of = [&](size_t s) {
      RowBands* banded = steps_[s].kind == Step::Kind::kNode ? steps_[s].kernel->row_bands() : nullptr;
      return banded ? banded->bands() : size_t{0};
    };
    const size_t n = bands_of(first);
    if (n < 2) {
      ++first;
      continue;
    }
    size_t end = first;
    // Who wrote each tensor in this chain; a band may read rows its own thread wrote without waiting.
    std::map<const Tensor*, const RowBands*> writers;
    for (; end < steps_.size() && bands_of(end) == n; ++end) {
      Step& step = steps_[end];
      RowBands& banded = *step.kernel->row_bands();
      bool only_input0_waits = true;
      for (size_t i = 0; i < step.inputs.size(); ++i) {
        auto w = writers.find(step.inputs[i]);
        if (w == writers.end()) continue;
        for (size_t b = 0; b < n; ++b)
          if (!banded.input_rows(b, i).within(w->second->output_rows(b))) {
            step.waits_for_all_bands = true;
            only_input0_waits = only_input0_waits && i == 0;
          }
      }
      if (step.waits_for_all_bands && only_input0_waits) {
        const RowBands* writer = writers.at(step.inputs[0]);
        for (size_t b = 0; b < n; ++b) {
          step.before_waiting.push_back(banded.rows_from(b, writer->output_rows(b)));
          profile_[end].rows_before_waiting += step.before_waiting.back().end - step.before_waiting.back().begin;
        }
      }
      profile_[end].waits_for_other_bands = step.waits_for_all_bands;
      for (const Tensor* out : step.outputs) writers[out] = &banded;
    }
    steps_[first].chain_end = end;
    spdlog::debug("row bands: steps {} to {} run as one chain of {} bands, waiting before {} of them", first, end - 1,
                  n, std::count_if(steps_.begin() + first, steps_.begin() + end,
                                   [](const Step& s) { return s.waits_for_all_bands; }));
    first = end;
  }
}

Status Executor::run_band_chain(size_t first, bool profile) {
  using Clock = std::chrono::steady_clock;
  const size_t end = steps_[first].chain_end;
  const size_t n = steps_[first].kernel->row_bands()->bands();
  std::vector<Status> results(n);
#pragma omp parallel num_threads(static_cast<int>(n))
  {
    // OpenMP may grant fewer threads than asked: each thread then takes several bands.
    const size_t team = static_cast<size_t>(omp_get_num_threads());
    const size_t thread = static_cast<size_t>(omp_get_thread_num());
    for (size_t s = first; s < end; ++s) {
      Step& step = steps_[s];
      RowBands& banded = *step.kernel->row_bands();
      // Thread 0's time stands for the step's (the bands are even shares); waiting is not counted.
      double ms = 0;
      const auto timed = [&](auto&& work) {
        const auto start = profile ? Clock::now() : Clock::time_point{};
        work();
        if (profile) ms += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      };
      const auto rows_of = [&](Rows rows) {
        if (rows.end > rows.begin && results[thread].is_ok())
          results[thread] = banded.run_band_rows(thread, rows, step.inputs, step.outputs);
      };
      // Rows that read only what this thread wrote go before the wait (one band per thread only).
      const Rows early = team == n && !step.before_waiting.empty() ? step.before_waiting[thread] : Rows{};
      if (early.end > early.begin) timed([&] { rows_of(early); });
      if (step.waits_for_all_bands) {
#pragma omp barrier
      }
      timed([&] {
        if (early.end > early.begin) {
          const Rows band = banded.output_rows(thread);
          rows_of({band.begin, early.begin});
          rows_of({early.end, band.end});
          return;
        }
        for (size_t b = thread; b < n; b += team)
          if (results[b].is_ok()) results[b] = banded.run_band(b, step.inputs, step.outputs);
      });
      if (profile && thread == 0) profile_[s].total_ms += ms;
    }
  }
  for (Status& s : results)
    if (!s.is_ok()) return s;
  return Status::ok();
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
#include "runtime/onednn/common.h"

namespace qf::onednn {

BandedKernel::BandedKernel(std::vector<Band> bands) : bands_(std::move(bands)) {}

std::string BandedKernel::impl_name() const {
  return fmt::format("{} in {} row bands", bands_[0].kernel->impl_name(), bands_.size());
}

Status BandedKernel::run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  return run_bands_in_parallel(*this, inputs, outputs);
}

}  // namespace qf::onednn

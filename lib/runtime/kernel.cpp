// SPDX-License-Identifier: Apache-2.0
#include "runtime/kernel.h"

namespace qf {

Layout KernelRequest::incoming(size_t i) const {
  const Value* v = node.input(i);
  if (!v || v->type.shape.size() < 3 || i >= config.input_layouts.size()) return Layout::kPlain;
  return config.input_layouts[i];
}

Created decline(const KernelRequest& request, std::string reason) {
  if (request.why) *request.why = std::move(reason);
  return std::unique_ptr<Kernel>();
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
// Reference Pad: constant, reflect, edge and wrap modes; negative pads crop. Pure data movement,
// so it works on raw elements of any dtype.
#include <cstring>
#include <optional>

#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

std::optional<PadMode> parse_mode(const std::string& name) {
  if (name == "constant") return PadMode::kConstant;
  if (name == "reflect") return PadMode::kReflect;
  if (name == "edge") return PadMode::kEdge;
  if (name == "wrap") return PadMode::kWrap;
  return std::nullopt;
}

int64_t positive_mod(int64_t a, int64_t n) { return ((a % n) + n) % n; }

// Input index read by output index `o` along one axis, or -1 for the constant value.
int64_t source_index(PadMode mode, int64_t o, int64_t pad_begin, int64_t in) {
  const int64_t i = o - pad_begin;
  if (i >= 0 && i < in) return i;
  switch (mode) {
    case PadMode::kConstant:
      return -1;
    case PadMode::kEdge:
      return i < 0 ? 0 : in - 1;
    case PadMode::kWrap:
      return positive_mod(i, in);
    case PadMode::kReflect: {
      // Mirror without repeating the edge; numpy keeps reflecting when the pad exceeds the dim.
      if (in == 1) return 0;
      const int64_t period = 2 * (in - 1);
      const int64_t r = positive_mod(i, period);
      return r < in ? r : period - r;
    }
  }
  return -1;
}

}  // namespace

Status ref_Pad(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  const Tensor& x = *inputs[0];
  const Tensor* pads_t = opt_input(inputs, 1);
  const Tensor* value_t = opt_input(inputs, 2);
  const Tensor* axes_t = opt_input(inputs, 3);
  Tensor& y = *outputs[0];
  if (!pads_t) return bad_input("{}: pads input is missing", node.describe());
  if (y.dtype() != x.dtype()) return internal_error("{}: output dtype differs from input", node.describe());

  const std::string mode_name = node.attr_string("mode", "constant");
  const std::optional<PadMode> mode = parse_mode(mode_name);
  if (!mode) return unsupported("{}: mode '{}' is not supported", node.describe(), mode_name);

  const int64_t rank = x.rank();
  std::optional<std::vector<int64_t>> axes;
  if (axes_t) axes = axes_t->to_int_vector();
  QF_ASSIGN_OR_RETURN(const auto amounts, pad_amounts(node, rank, pads_t->to_int_vector(), axes));
  Shape expected = x.shape();
  for (size_t a = 0; a < expected.size(); ++a) expected[a] += amounts[a].first + amounts[a].second;
  QF_RETURN_IF_ERROR(check_output_shape(node, y, expected));

  const size_t esize = dtype_size(x.dtype());
  std::vector<std::byte> fill(esize, std::byte{0});
  if (value_t && value_t->numel() > 0) {
    if (value_t->dtype() != x.dtype())
      return bad_input("{}: constant_value is {}, data is {}", node.describe(), dtype_name(value_t->dtype()),
                       dtype_name(x.dtype()));
    std::memcpy(fill.data(), value_t->bytes(), esize);
  }
  if (y.numel() == 0) return Status::ok();

  std::vector<std::vector<int64_t>> source(static_cast<size_t>(rank));
  std::vector<int64_t> in_stride(static_cast<size_t>(rank), 1);
  for (int64_t a = rank; a-- > 1;)
    in_stride[static_cast<size_t>(a - 1)] = in_stride[static_cast<size_t>(a)] * x.dim(a);
  for (int64_t a = 0; a < rank; ++a) {
    const int64_t in = x.dim(a);
    if (in == 0 && *mode != PadMode::kConstant)
      return bad_input("{}: mode '{}' cannot pad an empty axis", node.describe(), mode_name);
    for (int64_t o = 0; o < y.dim(a); ++o)
      source[static_cast<size_t>(a)].push_back(
          source_index(*mode, o, amounts[static_cast<size_t>(a)].first, in));
  }

  std::vector<int64_t> oc(static_cast<size_t>(rank), 0);
  std::byte* dst = y.bytes();
  for (int64_t e = 0; e < y.numel(); ++e, dst += esize) {
    int64_t offset = 0;
    for (size_t a = 0; a < oc.size() && offset >= 0; ++a) {
      const int64_t i = source[a][static_cast<size_t>(oc[a])];
      offset = i < 0 ? -1 : offset + i * in_stride[a];
    }
    std::memcpy(dst, offset < 0 ? fill.data() : x.bytes() + offset * static_cast<int64_t>(esize), esize);
    for (size_t a = oc.size(); a-- > 0;) {
      if (++oc[a] < y.dim(static_cast<int64_t>(a))) break;
      oc[a] = 0;
    }
  }
  return Status::ok();
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
// Sliding-window geometry and Resize/Pad/ReduceMean parameter resolution (see spatial_util.h).
#include "ir/infer/spatial_util.h"

#include <algorithm>
#include <cmath>

#include "ir/infer/infer_util.h"

namespace qf {
namespace {


// Window sizes, strides, dilations and pads are at most this, like dims (kMaxTensorElements), so
// that sums of a few of them cannot overflow; products go through window_product.
constexpr int64_t kMaxWindowValue = kMaxTensorElements;

Status check_window_value(const Node& node, const std::string& key, int64_t value, int64_t min_value) {
  if (value < min_value || value > kMaxWindowValue)
    return bad_input("{}: attribute {} value {} is out of range", node.describe(), key, value);
  return Status::ok();
}

// a * b of window quantities (span = (kernel - 1) * dilation + 1, stride * (in - 1)), refused when
// past kMaxWindowValue, which also keeps it clear of int64 overflow.
Result<int64_t> window_product(const Node& node, int64_t a, int64_t b) {
  if (a != 0 && b > kMaxWindowValue / a)
    return bad_input("{}: a window of {} x {} elements is out of range", node.describe(), a, b);
  return a * b;
}

// An int-list attribute with one entry per spatial axis (or `fallback` for each when absent).
Result<std::vector<int64_t>> per_axis_attr(const Node& node, const std::string& key, size_t n,
                                           int64_t fallback, int64_t min_value) {
  std::vector<int64_t> v = node.attr_ints(key, std::vector<int64_t>(n, fallback));
  if (v.size() != n)
    return bad_input("{}: attribute {} has {} values, expected {}", node.describe(), key, v.size(), n);
  for (int64_t x : v) QF_RETURN_IF_ERROR(check_window_value(node, key, x, min_value));
  return v;
}

// kernel_shape, strides and dilations, common to every windowed op.
Status read_window_basics(const Node& node, size_t n, const std::vector<int64_t>& kernel, WindowGeometry& g) {
  if (node.has_attr("kernel_shape")) {
    g.kernel = node.attr_ints("kernel_shape");
    if (g.kernel.size() != n)
      return bad_input("{}: kernel_shape has {} values for {} spatial axes", node.describe(), g.kernel.size(),
                       n);
    for (size_t i = 0; i < n && i < kernel.size(); ++i)
      if (kernel[i] >= 0 && kernel[i] != g.kernel[i])
        return bad_input("{}: kernel_shape {} does not match the weights' spatial dims {}", node.describe(),
                         shape_to_string(g.kernel), shape_to_string(kernel));
  } else if (kernel.size() == n) {
    g.kernel = kernel;
  } else {
    return bad_input("{}: kernel_shape is required", node.describe());
  }
  for (int64_t k : g.kernel) {
    if (k < 1)
      return unsupported("{}: kernel shape {} must be known and positive", node.describe(),
                         shape_to_string(g.kernel));
    QF_RETURN_IF_ERROR(check_window_value(node, "kernel_shape", k, 1));
  }
  QF_ASSIGN_OR_RETURN(g.strides, per_axis_attr(node, "strides", n, 1, 1));
  QF_ASSIGN_OR_RETURN(g.dilations, per_axis_attr(node, "dilations", n, 1, 1));
  return Status::ok();
}

// Splits a total padding between begin and end; SAME_UPPER puts the odd element at the end.
void split_padding(int64_t total, bool extra_at_end, int64_t& begin, int64_t& end) {
  const int64_t half = floor_div(total, 2);
  begin = extra_at_end ? half : total - half;
  end = total - begin;
}

}  // namespace

Result<AutoPad> parse_auto_pad(const Node& node) {
  const std::string s = node.attr_string("auto_pad", "NOTSET");
  if (s == "NOTSET" || s.empty()) return AutoPad::kNotSet;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  if (s == "VALID") return AutoPad::kValid;
  return bad_input("{}: unknown auto_pad '{}'", node.describe(), s);
}

Result<WindowGeometry> window_geometry(const Node& node, const std::vector<int64_t>& in_spatial,
                                       const std::vector<int64_t>& kernel, bool allow_ceil) {
  const size_t n = in_spatial.size();
  WindowGeometry g;
  QF_RETURN_IF_ERROR(read_window_basics(node, n, kernel, g));
  QF_ASSIGN_OR_RETURN(const AutoPad auto_pad, parse_auto_pad(node));
  QF_ASSIGN_OR_RETURN(const std::vector<int64_t> pads, per_axis_attr(node, "pads", 2 * n, 0, 0));
  const bool ceil_mode = allow_ceil && node.attr_int("ceil_mode", 0) != 0;
  g.pads_begin.assign(n, 0);
  g.pads_end.assign(n, 0);
  g.out.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t in = in_spatial[i], s = g.strides[i];
    QF_ASSIGN_OR_RETURN(const int64_t dilated, window_product(node, g.kernel[i] - 1, g.dilations[i]));
    const int64_t span = dilated + 1;
    switch (auto_pad) {
      case AutoPad::kNotSet: {
        g.pads_begin[i] = pads[i];
        g.pads_end[i] = pads[i + n];
        if (in < 0) break;
        const int64_t room = in + g.pads_begin[i] + g.pads_end[i] - span;
        if (room < 0)
          return bad_input("{}: window of {} does not fit input dim {} with pads {}+{}", node.describe(),
                           span, in, g.pads_begin[i], g.pads_end[i]);
        g.out[i] = (ceil_mode ? ceil_div(room, s) : room / s) + 1;
        // As in PyTorch: a window that would start in the end padding is dropped.
        if (ceil_mode && (g.out[i] - 1) * s >= in + g.pads_begin[i]) --g.out[i];
        break;
      }
      case AutoPad::kValid:
        if (in < 0) break;
        if (in < span)
          return bad_input("{}: window of {} does not fit input dim {}", node.describe(), span, in);
        g.out[i] = (in - span) / s + 1;
        break;
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        if (in < 0) break;
        g.out[i] = ceil_div(in, s);
        const int64_t total = std::max<int64_t>(0, (g.out[i] - 1) * s + span - in);
        split_padding(total, auto_pad == AutoPad::kSameUpper, g.pads_begin[i], g.pads_end[i]);
        break;
      }
    }
  }
  return g;
}

Result<WindowGeometry> conv_transpose_geometry(const Node& node, const std::vector<int64_t>& in_spatial,
                                               const std::vector<int64_t>& kernel) {
  const size_t n = in_spatial.size();
  WindowGeometry g;
  QF_RETURN_IF_ERROR(read_window_basics(node, n, kernel, g));
  QF_ASSIGN_OR_RETURN(const AutoPad auto_pad, parse_auto_pad(node));
  QF_ASSIGN_OR_RETURN(const std::vector<int64_t> pads, per_axis_attr(node, "pads", 2 * n, 0, 0));
  QF_ASSIGN_OR_RETURN(const std::vector<int64_t> out_pad, per_axis_attr(node, "output_padding", n, 0, 0));
  std::vector<int64_t> output_shape = node.attr_ints("output_shape");
  // Some exporters write the full output shape (N, C, spatial...); only the spatial part matters.
  if (output_shape.size() == n + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  if (!output_shape.empty() && output_shape.size() != n)
    return bad_input("{}: output_shape has {} values for {} spatial axes", node.describe(),
                     output_shape.size(), n);

  g.pads_begin.assign(n, 0);
  g.pads_end.assign(n, 0);
  g.out.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t in = in_spatial[i], s = g.strides[i];
    QF_ASSIGN_OR_RETURN(const int64_t dilated, window_product(node, g.kernel[i] - 1, g.dilations[i]));
    int64_t full = -1;
    if (in >= 0) {
      QF_ASSIGN_OR_RETURN(const int64_t strided, window_product(node, s, in - 1));
      full = strided + out_pad[i] + dilated + 1;
    }
    int64_t target = -1;
    if (!output_shape.empty()) {
      target = output_shape[i];
      QF_RETURN_IF_ERROR(check_window_value(node, "output_shape", target, 0));
    } else if ((auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower) && in >= 0) {
      QF_ASSIGN_OR_RETURN(target, window_product(node, in, s));
    }
    if (!output_shape.empty() || auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower) {
      // The pads are derived from the requested size; a negative total pads the end with zeros.
      g.out[i] = target;
      if (full >= 0 && target >= 0)
        split_padding(full - target, auto_pad == AutoPad::kSameUpper, g.pads_begin[i], g.pads_end[i]);
    } else {
      if (auto_pad == AutoPad::kNotSet) {
        g.pads_begin[i] = pads[i];
        g.pads_end[i] = pads[i + n];
      }
      if (full >= 0) g.out[i] = full - g.pads_begin[i] - g.pads_end[i];
      if (full >= 0 && g.out[i] <= 0)
        return bad_input("{}: pads {}+{} leave no output along spatial axis {}", node.describe(),
                         g.pads_begin[i], g.pads_end[i], i);
    }
  }
  return g;
}

Result<ResizePlan> resize_plan(const Node& node, const std::vector<int64_t>& in_shape,
                               const std::optional<std::vector<float>>& roi,
                               const std::optional<std::vector<float>>& scales,
                               const std::optional<std::vector<int64_t>>& sizes) {
  const int64_t rank = static_cast<int64_t>(in_shape.size());
  std::vector<int64_t> axes;
  if (node.has_attr("axes")) {
    for (int64_t a : node.attr_ints("axes")) {
      QF_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(node, a, rank));
      if (std::find(axes.begin(), axes.end(), axis) != axes.end())
        return bad_input("{}: axis {} is repeated", node.describe(), a);
      axes.push_back(axis);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  const size_t na = axes.size();
  if (scales.has_value() == sizes.has_value())
    return bad_input("{}: exactly one of scales and sizes must be given", node.describe());

  ResizePlan plan;
  plan.scales.assign(static_cast<size_t>(rank), 1.0);
  plan.out = in_shape;
  plan.roi_start.assign(static_cast<size_t>(rank), 0.0);
  plan.roi_end.assign(static_cast<size_t>(rank), 1.0);
  if (roi && !roi->empty()) {
    if (roi->size() != 2 * na)
      return bad_input("{}: roi has {} values, expected {}", node.describe(), roi->size(), 2 * na);
    for (size_t j = 0; j < na; ++j) {
      plan.roi_start[static_cast<size_t>(axes[j])] = (*roi)[j];
      plan.roi_end[static_cast<size_t>(axes[j])] = (*roi)[j + na];
    }
  }
  const bool crop = node.attr_string("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize";

  if (scales) {
    if (scales->size() != na)
      return bad_input("{}: scales has {} values, expected {}", node.describe(), scales->size(), na);
    for (size_t j = 0; j < na; ++j) {
      const size_t a = static_cast<size_t>(axes[j]);
      const double s = (*scales)[j];
      if (!(s > 0)) return bad_input("{}: scale {} must be positive", node.describe(), s);
      plan.scales[a] = s;
      const double extent = crop ? plan.roi_end[a] - plan.roi_start[a] : 1.0;
      if (in_shape[a] < 0) {
        plan.out[a] = -1;
      } else {
        QF_ASSIGN_OR_RETURN(plan.out[a], dimension_from_double(node, std::floor(in_shape[a] * extent * s)));
      }
    }
    return plan;
  }

  if (sizes->size() != na)
    return bad_input("{}: sizes has {} values, expected {}", node.describe(), sizes->size(), na);
  for (int64_t s : *sizes)
    if (s <= 0) return bad_input("{}: size {} must be positive", node.describe(), s);
  const std::string policy = node.attr_string("keep_aspect_ratio_policy", "stretch");
  if (policy == "stretch") {
    for (size_t j = 0; j < na; ++j) {
      const size_t a = static_cast<size_t>(axes[j]);
      plan.out[a] = (*sizes)[j];
      if (in_shape[a] > 0)
        plan.scales[a] = static_cast<double>((*sizes)[j]) / static_cast<double>(in_shape[a]);
    }
    return plan;
  }
  if (policy != "not_larger" && policy != "not_smaller")
    return bad_input("{}: unknown keep_aspect_ratio_policy '{}'", node.describe(), policy);
  // One common scale keeps the aspect ratio; sizes only bound it.
  std::optional<double> common;
  for (size_t j = 0; j < na; ++j) {
    const int64_t in = in_shape[static_cast<size_t>(axes[j])];
    if (in <= 0) {
      common.reset();
      break;
    }
    const double s = static_cast<double>((*sizes)[j]) / static_cast<double>(in);
    common = !common ? s : (policy == "not_larger" ? std::min(*common, s) : std::max(*common, s));
  }
  for (size_t j = 0; j < na; ++j) {
    const size_t a = static_cast<size_t>(axes[j]);
    plan.scales[a] = common.value_or(1.0);
    plan.out[a] = -1;
    if (common) {
      QF_ASSIGN_OR_RETURN(plan.out[a], dimension_from_double(node, std::round(*common * static_cast<double>(in_shape[a]))));
    }
  }
  return plan;
}

Result<std::vector<std::pair<int64_t, int64_t>>> pad_amounts(
    const Node& node, int64_t rank, const std::vector<int64_t>& pads,
    const std::optional<std::vector<int64_t>>& axes) {
  std::vector<int64_t> ax;
  if (axes) {
    for (int64_t a : *axes) {
      QF_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(node, a, rank));
      ax.push_back(axis);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i) ax.push_back(i);
  }
  if (pads.size() != 2 * ax.size())
    return bad_input("{}: pads has {} values, expected {}", node.describe(), pads.size(), 2 * ax.size());
  // Bounded like dims, so that dim + begin + end cannot overflow (negative pads crop).
  for (int64_t p : pads)
    if (p < -kMaxTensorElements || p > kMaxTensorElements)
      return bad_input("{}: pad {} is out of range", node.describe(), p);
  std::vector<std::pair<int64_t, int64_t>> out(static_cast<size_t>(rank), {0, 0});
  for (size_t j = 0; j < ax.size(); ++j) out[static_cast<size_t>(ax[j])] = {pads[j], pads[j + ax.size()]};
  return out;
}

Result<std::optional<std::vector<bool>>> reduced_axes(const Node& node, int64_t rank,
                                                      const std::optional<std::vector<int64_t>>& axes) {
  std::vector<bool> mask(static_cast<size_t>(rank), false);
  if (!axes || axes->empty()) {
    if (node.attr_int("noop_with_empty_axes", 0) != 0) return std::optional<std::vector<bool>>{};
    mask.assign(static_cast<size_t>(rank), true);
    return std::optional<std::vector<bool>>{mask};
  }
  for (int64_t a : *axes) {
    QF_ASSIGN_OR_RETURN(const int64_t axis, normalize_axis(node, a, rank));
    mask[static_cast<size_t>(axis)] = true;
  }
  return std::optional<std::vector<bool>>{mask};
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
// Reference Resize: nearest, linear and cubic over any number of axes. Each output coordinate of
// each axis gets a short list of (input index, weight) taps, applied one axis at a time.
// Coordinates are computed in double, as the ONNX reference does, so that nearest rounding at
// exact halves agrees with the test data.
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

#include "runtime/reference/reference_kernels.h"
#include "runtime/reference/spatial_kernel_util.h"

namespace qf {

using namespace spatial;

namespace {

enum class Coord {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize
};
enum class Mode { kNearest, kLinear, kCubic };
enum class Nearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

struct Params {
  Coord coord;
  Mode mode;
  Nearest nearest;
  double cubic_a;
  bool exclude_outside;
  double extrapolation;
};

template <typename E, size_t N>
std::optional<E> lookup(const std::string& name, const std::pair<const char*, E> (&table)[N]) {
  for (const auto& [key, value] : table)
    if (name == key) return value;
  return std::nullopt;
}

constexpr std::pair<const char*, Coord> kCoords[] = {
    {"half_pixel", Coord::kHalfPixel},
    {"half_pixel_symmetric", Coord::kHalfPixelSymmetric},
    {"pytorch_half_pixel", Coord::kPytorchHalfPixel},
    {"align_corners", Coord::kAlignCorners},
    {"asymmetric", Coord::kAsymmetric},
    {"tf_half_pixel_for_nn", Coord::kTfHalfPixelForNn},
    {"tf_crop_and_resize", Coord::kTfCropAndResize},
};
constexpr std::pair<const char*, Mode> kModes[] = {
    {"nearest", Mode::kNearest}, {"linear", Mode::kLinear}, {"cubic", Mode::kCubic}};
constexpr std::pair<const char*, Nearest> kNearestModes[] = {
    {"round_prefer_floor", Nearest::kRoundPreferFloor},
    {"round_prefer_ceil", Nearest::kRoundPreferCeil},
    {"floor", Nearest::kFloor},
    {"ceil", Nearest::kCeil},
};

Result<Params> read_params(const Node& node) {
  Params p{};
  const std::string coord = node.attr_string("coordinate_transformation_mode", "half_pixel");
  const std::string mode = node.attr_string("mode", "nearest");
  const std::string nearest = node.attr_string("nearest_mode", "round_prefer_floor");
  const auto c = lookup(coord, kCoords);
  const auto m = lookup(mode, kModes);
  const auto n = lookup(nearest, kNearestModes);
  if (!c)
    return unsupported("{}: coordinate_transformation_mode '{}' is not supported", node.describe(), coord);
  if (!m) return unsupported("{}: mode '{}' is not supported", node.describe(), mode);
  if (!n) return unsupported("{}: nearest_mode '{}' is not supported", node.describe(), nearest);
  p.coord = *c;
  p.mode = *m;
  p.nearest = *n;
  if (node.attr_int("antialias", 0) != 0)
    return unsupported("{}: antialias=1 is not supported", node.describe());
  p.cubic_a = node.attr_float("cubic_coeff_a", -0.75f);
  p.exclude_outside = node.attr_int("exclude_outside", 0) != 0;
  p.extrapolation = node.attr_float("extrapolation_value", 0.f);
  return p;
}

// Output coordinate -> input coordinate. Like the ONNX reference, the "resized length" in these
// formulas is scale * input length, which differs from the integer output length when the scale
// does not divide evenly (that matters for align_corners with scales).
double original_coordinate(const Params& p, double x, double scale, int64_t in, int64_t out, double roi_start,
                           double roi_end) {
  const double resized = scale * static_cast<double>(in);
  const double last = static_cast<double>(in - 1);
  switch (p.coord) {
    case Coord::kHalfPixel:
      return (x + 0.5) / scale - 0.5;
    case Coord::kHalfPixelSymmetric: {
      const double adjustment = static_cast<double>(out) / resized;
      const double offset = static_cast<double>(in) / 2 * (1 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    // The spec says 0 for a length-1 output; the reference implementation (and its test data) use -0.5.
    case Coord::kPytorchHalfPixel:
      return resized == 1.0 ? -0.5 : (x + 0.5) / scale - 0.5;
    case Coord::kAlignCorners:
      return resized == 1.0 ? 0.0 : x * last / (resized - 1);
    case Coord::kAsymmetric:
      return x / scale;
    case Coord::kTfHalfPixelForNn:
      return (x + 0.5) / scale;
    case Coord::kTfCropAndResize: {
      const double pos = resized == 1.0 ? (roi_end - roi_start) * last / 2
                                        : x * (roi_end - roi_start) * last / (resized - 1);
      return pos + roi_start * last;
    }
  }
  return 0.0;
}

struct Tap {
  int64_t index;
  double weight;
};

// Taps for one output coordinate along one axis; empty with `outside` set when tf_crop_and_resize
// falls off the input.
std::vector<Tap> taps_for(const Params& p, double x, int64_t in, bool& outside) {
  outside = p.coord == Coord::kTfCropAndResize && (x < 0 || x > static_cast<double>(in - 1));
  if (outside) return {};
  const double fl = std::floor(x);
  const int64_t base = static_cast<int64_t>(fl);
  const double r = x - fl;
  std::vector<Tap> taps;
  switch (p.mode) {
    case Mode::kNearest: {
      bool up = false;
      if (r > 0) {
        switch (p.nearest) {
          case Nearest::kRoundPreferFloor:
            up = r > 0.5;
            break;
          case Nearest::kRoundPreferCeil:
            up = r >= 0.5;
            break;
          case Nearest::kFloor:
            up = false;
            break;
          case Nearest::kCeil:
            up = true;
            break;
        }
      }
      taps.push_back({base + (up ? 1 : 0), 1.0});
      break;
    }
    case Mode::kLinear:
      taps = {{base, 1 - r}, {base + 1, r}};
      break;
    case Mode::kCubic: {
      const double a = p.cubic_a, s = 1 - r;
      taps = {{base - 1, ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a},
              {base, ((a + 2) * r - (a + 3)) * r * r + 1},
              {base + 1, ((a + 2) * s - (a + 3)) * s * s + 1},
              {base + 2, ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a}};
      break;
    }
  }
  if (p.exclude_outside) {
    double sum = 0;
    for (Tap& t : taps) {
      if (t.index < 0 || t.index >= in) t.weight = 0;
      sum += t.weight;
    }
    if (sum != 0)
      for (Tap& t : taps) t.weight /= sum;
  }
  // Out-of-range taps read the edge value (the reference pads with mode='edge').
  std::vector<Tap> kept;
  for (const Tap& t : taps)
    if (t.weight != 0) kept.push_back({std::clamp<int64_t>(t.index, 0, in - 1), t.weight});
  if (kept.empty()) kept.push_back({std::clamp<int64_t>(base, 0, in - 1), 0.0});
  return kept;
}

bool is_identity(const std::vector<std::vector<Tap>>& axis_taps, int64_t in) {
  if (static_cast<int64_t>(axis_taps.size()) != in) return false;
  for (size_t o = 0; o < axis_taps.size(); ++o)
    if (axis_taps[o].size() != 1 || axis_taps[o][0].index != static_cast<int64_t>(o) ||
        axis_taps[o][0].weight != 1.0)
      return false;
  return true;
}

// Separable: interpolates one axis at a time (in double), which equals summing over the product
// of all axes' taps but touches each tap once per pass instead of once per output element.
template <typename T>
void resample(const Tensor& x, Tensor& y, const std::vector<std::vector<std::vector<Tap>>>& taps,
              const std::vector<std::vector<bool>>& outside, double extrapolation) {
  const size_t rank = static_cast<size_t>(x.rank());
  Shape shape = x.shape();
  std::vector<double> cur(static_cast<size_t>(x.numel()));
  for (int64_t i = 0; i < x.numel(); ++i) cur[static_cast<size_t>(i)] = static_cast<double>(x.data<T>()[i]);
  for (size_t a = 0; a < rank; ++a) {
    if (is_identity(taps[a], shape[a])) continue;
    int64_t outer = 1, inner = 1;
    for (size_t b = 0; b < a; ++b) outer *= shape[b];
    for (size_t b = a + 1; b < rank; ++b) inner *= shape[b];
    const int64_t in_len = shape[a], out_len = static_cast<int64_t>(taps[a].size());
    std::vector<double> next(static_cast<size_t>(outer * out_len * inner), 0.0);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < out_len; ++k) {
        double* dst = next.data() + (o * out_len + k) * inner;
        for (const Tap& t : taps[a][static_cast<size_t>(k)]) {
          const double* src = cur.data() + (o * in_len + t.index) * inner;
          for (int64_t i = 0; i < inner; ++i) dst[i] += t.weight * src[i];
        }
      }
    cur = std::move(next);
    shape[a] = out_len;
  }
  // tf_crop_and_resize: any coordinate off the input makes the element the extrapolation value.
  std::vector<int64_t> oc(rank, 0);
  T* yd = y.data<T>();
  for (int64_t e = 0; e < y.numel(); ++e) {
    bool off = false;
    for (size_t a = 0; a < rank; ++a) off = off || outside[a][static_cast<size_t>(oc[a])];
    yd[e] = static_cast<T>(off ? extrapolation : cur[static_cast<size_t>(e)]);
    for (size_t a = rank; a-- > 0;) {
      if (++oc[a] < y.dim(static_cast<int64_t>(a))) break;
      oc[a] = 0;
    }
  }
}

std::optional<std::vector<float>> floats_or_none(const Tensor* t) {
  if (!t || t->numel() == 0) return std::nullopt;
  return t->to_float_vector();
}

}  // namespace

Status ref_Resize(const Node& node, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  const Tensor& x = *inputs[0];
  Tensor& y = *outputs[0];
  QF_ASSIGN_OR_RETURN(const Params p, read_params(node));
  if (x.dtype() != y.dtype()) return internal_error("{}: output dtype differs from input", node.describe());
  const bool integer = x.dtype() == DType::kU8 || x.dtype() == DType::kS8;
  if (x.dtype() != DType::kF32 && !(integer && p.mode == Mode::kNearest))
    return unsupported("{}: dtype {} is not supported in this mode", node.describe(), dtype_name(x.dtype()));

  const Tensor* sizes_t = opt_input(inputs, 3);
  std::optional<std::vector<int64_t>> sizes;
  if (sizes_t && sizes_t->numel() > 0) sizes = sizes_t->to_int_vector();
  QF_ASSIGN_OR_RETURN(const ResizePlan plan,
                      resize_plan(node, x.shape(), floats_or_none(opt_input(inputs, 1)),
                                  floats_or_none(opt_input(inputs, 2)), sizes));
  QF_RETURN_IF_ERROR(check_output_shape(node, y, plan.out));
  if (x.numel() == 0 || y.numel() == 0) return Status::ok();

  const size_t rank = static_cast<size_t>(x.rank());
  std::vector<std::vector<std::vector<Tap>>> taps(rank);
  std::vector<std::vector<bool>> outside(rank);
  for (size_t a = 0; a < rank; ++a) {
    const int64_t in = x.dim(static_cast<int64_t>(a)), out = y.dim(static_cast<int64_t>(a));
    taps[a].resize(static_cast<size_t>(out));
    outside[a].assign(static_cast<size_t>(out), false);
    for (int64_t o = 0; o < out; ++o) {
      const double xo = original_coordinate(p, static_cast<double>(o), plan.scales[a], in, out,
                                            plan.roi_start[a], plan.roi_end[a]);
      bool off = false;
      taps[a][static_cast<size_t>(o)] = taps_for(p, xo, in, off);
      outside[a][static_cast<size_t>(o)] = off;
    }
  }
  switch (x.dtype()) {
    case DType::kF32:
      resample<float>(x, y, taps, outside, p.extrapolation);
      break;
    case DType::kU8:
      resample<uint8_t>(x, y, taps, outside, p.extrapolation);
      break;
    case DType::kS8:
      resample<int8_t>(x, y, taps, outside, p.extrapolation);
      break;
    default:
      break;
  }
  return Status::ok();
}

}  // namespace qf

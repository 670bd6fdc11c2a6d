// SPDX-License-Identifier: Apache-2.0
// Depthwise 3x3 convs of 8-bit codes (runtime/int8.h's linear form), a loop of ours on AVX-512
// VNNI. oneDNN 2.6's int8 depthwise kernel (jit_int8 on avx512_core_vnni, which beats its
// brdgmm_dw) widens codes to 32 bits and multiplies 16 at a time: in mobilenet_v2 on Zen 5 its
// depthwise layers ran only 1.1-2.0x faster than the fp32 ones, while the 1x1 convs ran 3-4.5x
// faster, and they took 31 % of the int8 time at one thread.
//
// VPDPBUSD multiplies four unsigned bytes by four signed bytes and adds the four products into
// a 32-bit lane. A depthwise conv sums over no channels, so a lane's four bytes are taken down
// the window instead: the three input rows of one window column (and a zero), interleaved by two
// rounds of unpacks. One interleaved column serves every output pixel whose window covers it
// (three at stride 1). Channel counts that divide 64 (16, 32) fill a vector with the channels of
// several neighbouring pixels instead, at stride 1, where those pixels' windows are neighbours
// too. The unpacks work within 128-bit lanes and so permute the channels; the
// packs that narrow the 32-bit results back to bytes work the same way and undo exactly that
// permutation, so the weights, bias and multipliers are stored in the permuted order once, here.
//
// Signed input codes are flipped to unsigned (x + 128, an XOR of the top bit); the bias absorbs
// that and the input zero point: sum (q - z) w = sum u w - u_z sum w, with u the flipped code and
// u_z the flipped zero point. Padding reads u_z, so it adds nothing, as in the formula. The
// requantize steps are int8.h's in the same float32 operations; the fused activation and the
// saturation become one clamp of the rounded codes, which is the same because rounding is
// monotonic (clamp(f(v), f(lo), f(hi)) = f(clamp(v, lo, hi))).
// GCC 12 warns that the _round_ intrinsics' _mm512_undefined_*() placeholders "may be used
// uninitialized" wherever they inline; they are never read (no mask).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "runtime/int8.h"
#include "runtime/x86/x86_kernels.h"

namespace qf::x86 {
namespace {

#define QF_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define QF_VNNI_INLINE QF_VNNI inline __attribute__((always_inline))

constexpr int64_t kBlock = 64;  // channels per vector: 64 bytes of codes, 4 x 16 lanes of sums
constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

bool has_vnni() {
  static const bool vnni = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vnni");
  return vnni;
}

// The channel in 32-bit lane `lane` of sum vector `k` after the unpacks: within 128-bit lane L,
// vector k holds channels 16 L + 4 k .. 16 L + 4 k + 3.
constexpr int64_t permuted_channel(int64_t k, int64_t lane) { return 16 * (lane / 4) + 4 * k + lane % 4; }

// The constants of one block of 64 channels, in the unpacks' order.
struct alignas(64) BlockConstants {
  int8_t weights[3][4][kBlock];  // [window column][k]: each lane's bytes are window rows 0, 1, 2 and a 0
  int32_t bias[4][16];           // the bias with the flipped zero point's sum folded in
  float multiplier[4][16];
};

struct Geometry {
  int64_t channels, height, width, out_height, out_width, stride, pad_top, pad_left;
  int64_t pixels;  // per vector: 64 / channels when that divides at stride 1, else 1
};

// What every output row needs: the constants, the codes padding reads, the clamp of the codes.
struct Plan {
  Geometry g;
  std::vector<BlockConstants> blocks;
  float output_zero;
  uint8_t pad;                     // the input zero point's code, which padding reads
  uint8_t low, high;               // the clamp of the output codes, as bytes of their type
  std::vector<uint8_t> pad_row;    // a row of input zero points, for windows above or below the image
  __mmask64 last_mask;             // the channels of the last block
};

// The bytes of a vector that hold pixels [first, end) of its p.g.pixels.
inline __mmask64 pixel_bytes(const Plan& p, int64_t first, int64_t end) {
  const auto below = [&](int64_t pixel) {
    const int64_t bytes = pixel * p.g.channels;
    return bytes >= 64 ? ~__mmask64{0} : (__mmask64{1} << bytes) - 1;
  };
  return below(end) & ~below(first);
}

using Sums = __m512i[4];

// Window column x (the vector's first pixel) of the three rows as four vectors of (row 0, row 1,
// row 2, 0) byte quadruples; pixels left or right of the image read the zero point.
template <bool kSignedIn>
QF_VNNI_INLINE void interleave_column(const Plan& p, const uint8_t* const rows[3], int64_t x, int64_t offset,
                                      __mmask64 mask, __m512i* column) {
  const __m512i pad = _mm512_set1_epi8(static_cast<char>(p.pad));
  __m512i r0 = pad, r1 = pad, r2 = pad;
  const int64_t first = std::max<int64_t>(0, -x), end = std::min(p.g.pixels, p.g.width - x);
  const int64_t at = x * p.g.channels + offset;
  if (first == 0 && end == p.g.pixels) {
    // Lanes past the last channel read 0; their weights are 0.
    r0 = _mm512_maskz_loadu_epi8(mask, rows[0] + at);
    r1 = _mm512_maskz_loadu_epi8(mask, rows[1] + at);
    r2 = _mm512_maskz_loadu_epi8(mask, rows[2] + at);
  } else if (first < end) {
    // Pixels left of the image are masked off: the address before the row is never read.
    mask &= pixel_bytes(p, first, end);
    r0 = _mm512_mask_loadu_epi8(pad, mask, rows[0] + at);
    r1 = _mm512_mask_loadu_epi8(pad, mask, rows[1] + at);
    r2 = _mm512_mask_loadu_epi8(pad, mask, rows[2] + at);
  }
  if (kSignedIn) {
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    r0 = _mm512_xor_si512(r0, flip);
    r1 = _mm512_xor_si512(r1, flip);
    r2 = _mm512_xor_si512(r2, flip);
  }
  const __m512i zero = _mm512_setzero_si512();
  const __m512i r01_lo = _mm512_unpacklo_epi8(r0, r1), r01_hi = _mm512_unpackhi_epi8(r0, r1);
  const __m512i r2_lo = _mm512_unpacklo_epi8(r2, zero), r2_hi = _mm512_unpackhi_epi8(r2, zero);
  column[0] = _mm512_unpacklo_epi16(r01_lo, r2_lo);
  column[1] = _mm512_unpackhi_epi16(r01_lo, r2_lo);
  column[2] = _mm512_unpacklo_epi16(r01_hi, r2_hi);
  column[3] = _mm512_unpackhi_epi16(r01_hi, r2_hi);
}

// Requantizes four sum vectors and stores their 64 (or, masked, fewer) output codes.
template <bool kSignedOut>
QF_VNNI_INLINE void store_codes(const Plan& p, const BlockConstants& k, const Sums sums, __mmask64 mask,
                                uint8_t* out) {
  const __m512i zero_point = _mm512_set1_epi32(static_cast<int32_t>(p.output_zero));
  __m512i codes[4];
  for (int i = 0; i < 4; ++i) {
    __m512 v = _mm512_cvt_roundepi32_ps(sums[i], kRound);
    // Separate roundings, as the reference's float32 steps: the _round_ forms are never fused.
    v = _mm512_mul_round_ps(v, _mm512_load_ps(k.multiplier[i]), kRound);
    // Rounded, then the zero point added as an integer (int8.h's code_of).
    codes[i] = _mm512_add_epi32(_mm512_cvt_roundps_epi32(v, kRound), zero_point);
  }
  const __m512i low_half = _mm512_packs_epi32(codes[0], codes[1]);
  const __m512i high_half = _mm512_packs_epi32(codes[2], codes[3]);
  const __m512i low = _mm512_set1_epi8(static_cast<char>(p.low)), high = _mm512_set1_epi8(static_cast<char>(p.high));
  __m512i bytes;
  if (kSignedOut) {
    bytes = _mm512_packs_epi16(low_half, high_half);
    bytes = _mm512_min_epi8(_mm512_max_epi8(bytes, low), high);
  } else {
    bytes = _mm512_packus_epi16(low_half, high_half);
    bytes = _mm512_min_epu8(_mm512_max_epu8(bytes, low), high);
  }
  _mm512_mask_storeu_epi8(out, mask, bytes);
}

// One output row: rows[] are the input rows of the window (the pad row where it leaves the image).
// From one vector of output pixels to the next the window moves kAdvance columns: the stride, or
// the pixels per vector.
template <int kAdvance, bool kSignedIn, bool kSignedOut>
QF_VNNI void depthwise_row(const Plan& p, const uint8_t* const rows[3], uint8_t* out) {
  const int64_t channels = p.g.channels, pixels = p.g.pixels;
  for (size_t b = 0; b < p.blocks.size(); ++b) {
    const BlockConstants& k = p.blocks[b];
    const int64_t offset = static_cast<int64_t>(b) * kBlock;
    const __mmask64 mask = b + 1 == p.blocks.size() ? p.last_mask : ~__mmask64{0};
    __m512i w[3][4];
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < 4; ++i) w[c][i] = _mm512_load_si512(k.weights[c][i]);
    // The window's three columns; left and middle carry over from the previous pixel.
    __m512i left[4], middle[4], right[4];
    const int64_t first = -p.g.pad_left;
    interleave_column<kSignedIn>(p, rows, first, offset, mask, left);
    interleave_column<kSignedIn>(p, rows, first + 1, offset, mask, middle);
    for (int64_t ow = 0, x = first; ow < p.g.out_width; ow += pixels, x += kAdvance) {
      interleave_column<kSignedIn>(p, rows, x + 2, offset, mask, right);
      Sums sums;
      for (int i = 0; i < 4; ++i) {
        __m512i s = _mm512_load_si512(k.bias[i]);
        s = _mm512_dpbusd_epi32(s, left[i], w[0][i]);
        s = _mm512_dpbusd_epi32(s, middle[i], w[1][i]);
        sums[i] = _mm512_dpbusd_epi32(s, right[i], w[2][i]);
      }
      const __mmask64 written = ow + pixels <= p.g.out_width ? mask : mask & pixel_bytes(p, 0, p.g.out_width - ow);
      store_codes<kSignedOut>(p, k, sums, written, out + ow * channels + offset);
      if (kAdvance == 1) {
        std::copy(middle, middle + 4, left);
        std::copy(right, right + 4, middle);
      } else if (kAdvance == 2) {
        std::copy(right, right + 4, left);
        interleave_column<kSignedIn>(p, rows, x + 3, offset, mask, middle);
      } else {
        interleave_column<kSignedIn>(p, rows, x + kAdvance, offset, mask, left);
        interleave_column<kSignedIn>(p, rows, x + kAdvance + 1, offset, mask, middle);
      }
    }
  }
}

using RowFunction = void (*)(const Plan&, const uint8_t* const[3], uint8_t*);

template <int kAdvance>
RowFunction row_function_for(bool signed_in, bool signed_out) {
  if (signed_in) return signed_out ? depthwise_row<kAdvance, true, true> : depthwise_row<kAdvance, true, false>;
  return signed_out ? depthwise_row<kAdvance, false, true> : depthwise_row<kAdvance, false, false>;
}

RowFunction row_function(int64_t advance, bool signed_in, bool signed_out) {
  switch (advance) {
    case 1: return row_function_for<1>(signed_in, signed_out);
    case 2: return row_function_for<2>(signed_in, signed_out);
    default: return row_function_for<4>(signed_in, signed_out);
  }
}

class DepthwiseKernel final : public Kernel, public RowBands {
 public:
  // `bands`: the row bands (row_bands.h) to run as, none to run whole.
  DepthwiseKernel(Plan plan, RowFunction row, Window window, std::vector<ConvBand> bands, Layout out_layout)
      : p_(std::move(plan)), row_(row), window_(std::move(window)), bands_(std::move(bands)), out_layout_(out_layout) {}

  Status run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    if (!bands_.empty()) return run_bands_in_parallel(*this, inputs, outputs);
    const Tensor& x = *inputs[0];
    Tensor& y = *outputs[0];
    for (int64_t n = 0; n < x.dim(0); ++n) compute_rows(x, y, n, {0, p_.g.out_height});
    return Status::ok();
  }
  Status run_band(size_t band, std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) override {
    compute_rows(*inputs[0], *outputs[0], 0, bands_[band].out);
    return Status::ok();
  }
  Rows rows_from(size_t band, Rows written) const override {
    const auto reads_only = [&](int64_t r) { return conv_rows(window_, p_.g.height, {r, r + 1}).in.within(written); };
    Rows rows = bands_[band].out;
    while (rows.begin < rows.end && !reads_only(rows.begin)) ++rows.begin;
    while (rows.end > rows.begin && !reads_only(rows.end - 1)) --rows.end;
    return rows;
  }
  Status run_band_rows(size_t, Rows rows, std::span<const Tensor* const> inputs,
                       std::span<Tensor* const> outputs) override {
    compute_rows(*inputs[0], *outputs[0], 0, rows);
    return Status::ok();
  }
  RowBands* row_bands() override { return bands_.empty() ? nullptr : this; }
  size_t bands() const override { return bands_.size(); }
  Rows output_rows(size_t band) const override { return bands_[band].out; }
  Rows input_rows(size_t band, size_t i) const override { return i == 0 ? bands_[band].in : Rows{}; }
  Layout input_layout(size_t i) const override { return i == 0 ? Layout::kChannelsLast : Layout::kPlain; }
  Layout output_layout(size_t) const override { return out_layout_; }
  std::string impl_name() const override {
    const std::string name = "qforge:int8_depthwise_3x3:avx512_vnni";
    return bands_.empty() ? name : fmt::format("{} in {} row bands", name, bands_.size());
  }

 private:
  void compute_rows(const Tensor& x, Tensor& y, int64_t image, Rows rows) const {
    const Geometry& g = p_.g;
    const auto* in = static_cast<const uint8_t*>(static_cast<const void*>(x.bytes())) +
                     image * g.height * g.width * g.channels;
    auto* out = static_cast<uint8_t*>(static_cast<void*>(y.bytes())) + image * g.out_height * g.out_width * g.channels;
    for (int64_t oh = rows.begin; oh < rows.end; ++oh) {
      const uint8_t* window_rows[3];
      for (int64_t r = 0; r < 3; ++r) {
        const int64_t at = oh * g.stride - g.pad_top + r;
        window_rows[r] = at >= 0 && at < g.height ? in + at * g.width * g.channels : p_.pad_row.data();
      }
      row_(p_, window_rows, out + oh * g.out_width * g.channels);
    }
  }

  Plan p_;
  RowFunction row_;
  Window window_;  // for rows_from, at load
  std::vector<ConvBand> bands_;
  Layout out_layout_;
};

// The clamp of the output codes. int8.h clamps v to the activation's bounds, then v + z to the
// grid, then rounds; as codes that is the rounded bounds, each clamped to the grid.
void output_clamp(const Int8Linear& f, Plan* p) {
  const float qmin = static_cast<float>(f.output->qmin()), qmax = static_cast<float>(f.output->qmax());
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const float act_min = f.relu ? 0.f : f.act_min;
  const int32_t low = act_min > -kInf ? f.code_of(act_min, qmin, qmax) : static_cast<int32_t>(qmin);
  const int32_t high = !f.relu && f.act_max < kInf ? f.code_of(f.act_max, qmin, qmax) : static_cast<int32_t>(qmax);
  const auto byte = [](int32_t code) { return static_cast<uint8_t>(code & 0xFF); };  // its 8-bit pattern
  p->low = byte(low);
  p->high = byte(high);
}

}  // namespace

Created create_int8_depthwise(const KernelRequest& ctx, const Int8Linear& f) {
  const Node& node = ctx.node;
  if (!has_vnni()) return decline(ctx, "the CPU has no AVX-512 VNNI");
  if (f.residual) return decline(ctx, "a residual input");
  const Shape& in = ctx.in_shape(0);
  const Shape& out = ctx.out_shape();
  const Shape& w = node.input(1)->type.shape;
  if (in.size() != 4 || out.size() != 4 || w.size() != 4) return decline(ctx, "not a 2-D conv");
  const int64_t channels = in[1];
  if (node.attr_int("group", 1) != channels || w[0] != channels || w[1] != 1 || out[1] != channels)
    return decline(ctx, "not depthwise with one output channel per input channel");
  if (w[2] != 3 || w[3] != 3) return decline(ctx, "a window other than 3x3");
  Window window;
  if (std::string bad = read_window(node, in, out, {3, 3}, &window); !bad.empty()) return decline(ctx, bad);
  if (window.dilates[0] != 0 || window.dilates[1] != 0) return decline(ctx, "dilation");
  if (window.strides[0] != window.strides[1] || (window.strides[0] != 1 && window.strides[0] != 2))
    return decline(ctx, "strides other than 1x1 or 2x2");
  const bool signed_in = f.input->is_signed, signed_out = f.output->is_signed;

  Plan p;
  const int64_t stride = window.strides[0];
  const int64_t pixels = stride == 1 && (channels == 16 || channels == 32) ? kBlock / channels : 1;
  p.g = {channels, in[2], in[3], out[2], out[3], stride, window.pad_l[0], window.pad_l[1], pixels};
  p.pad = static_cast<uint8_t>(f.input_zero & 0xFF);
  const uint8_t flipped_pad = static_cast<uint8_t>(p.pad ^ (signed_in ? 0x80 : 0));
  p.pad_row.assign(static_cast<size_t>(p.g.width * channels), p.pad);
  p.output_zero = static_cast<float>(f.output_zero);
  output_clamp(f, &p);
  const int64_t tail = channels % kBlock;
  p.last_mask = tail == 0 || pixels > 1 ? ~__mmask64{0} : (__mmask64{1} << tail) - 1;

  // Each sum must reach the float conversion as an int32, and leave it (times the multiplier,
  // plus the zero point) within int32 too: the kernel clamps only after rounding.
  constexpr double kLargestSum = 1 << 30;
  const int8_t* codes = node.input(1)->constant->data<int8_t>();
  const int32_t* bias = node.input(2) ? node.input(2)->constant->data<int32_t>() : nullptr;
  p.blocks.resize(static_cast<size_t>((channels + kBlock - 1) / kBlock));
  for (size_t b = 0; b < p.blocks.size(); ++b) {
    BlockConstants& k = p.blocks[b];
    std::memset(&k, 0, sizeof k);
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t lane = 0; lane < 16; ++lane) {
        int64_t c = static_cast<int64_t>(b) * kBlock + permuted_channel(i, lane);
        if (pixels > 1) c %= channels;
        if (c >= channels) continue;
        int64_t sum = 0, magnitude = 0;
        for (int64_t col = 0; col < 3; ++col)
          for (int64_t row = 0; row < 3; ++row) {
            const int8_t code = codes[c * 9 + row * 3 + col];
            k.weights[col][i][lane * 4 + row] = code;
            sum += code;
            magnitude += std::abs(code);
          }
        const int64_t folded = (bias ? bias[c] : 0) - int64_t{flipped_pad} * sum;
        const float m = f.multiplier_of(c);
        const double largest = static_cast<double>(std::abs(folded) + 255 * magnitude);
        if (largest > kLargestSum || largest * std::abs(m) + std::abs(p.output_zero) > kLargestSum)
          return decline(ctx, fmt::format("channel {}'s sums could leave int32", c));
        k.bias[i][lane] = static_cast<int32_t>(folded);
        k.multiplier[i][lane] = m;
      }
  }

  std::vector<ConvBand> bands;
  if (const size_t n = conv_row_bands(ctx); n > 1)
    for (size_t b = 0; b < n; ++b) bands.push_back(conv_band(window, p.g.height, p.g.out_height, b, n));
  const RowFunction row = row_function(stride * pixels, signed_in, signed_out);
  const Layout out_layout = output_layout_for(out, Layout::kChannelsLast);
  return std::unique_ptr<Kernel>(std::make_unique<DepthwiseKernel>(std::move(p), row, std::move(window), std::move(bands), out_layout));
}

}  // namespace qf::x86

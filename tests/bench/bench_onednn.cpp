// SPDX-License-Identifier: Apache-2.0
// Micro benchmark: fp32 convs through qforge's oneDNN kernels (channels-last) against the same
// problems with oneDNN free to pick the activation layout (any) and forced to blocked nChw16c.
// Not a test; prints a table. Times in ms.
//
//   bench_onednn [threads=1] [repeats=7]
// Each figure is the best over `repeats` batches of timed runs (best-of filters out a busy core).
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>

#include "ir/graph.h"
#include "ir/infer.h"
#include "runtime/kernel.h"

namespace {

using Clock = std::chrono::steady_clock;
using Tag = dnnl::memory::format_tag;

int g_repeats = 7;

double best_ms(const std::function<void()>& fn) {
  fn();  // warm-up (first-touch, JIT)
  const auto t0 = Clock::now();
  fn();
  const double once = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  const int iters = std::clamp(static_cast<int>(200.0 / std::max(once, 1e-3)), 1, 200);
  double best = 1e30;
  for (int r = 0; r < g_repeats; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < iters; ++i) fn();
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - start).count() / iters);
  }
  return best;
}

qf::Tensor random_tensor(qf::Shape shape, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  qf::Tensor t(qf::DType::kF32, std::move(shape));
  for (float& v : t.span<float>()) v = dist(gen);
  return t;
}

struct ConvProblem {
  const char* name;
  int64_t n, ic, h, w, oc, k, stride, pad, group;
  qf::Layout input_layout;  // what the producer delivers to our kernel
};

// Our kernel: executor-style, with input in `p.input_layout`, output channels-last.
double run_qforge(const ConvProblem& p, std::string* impl) {
  qf::Graph g;
  qf::Value* x = *g.add_value("x");
  x->type = qf::TensorType{qf::DType::kF32, {p.n, p.ic, p.h, p.w}, true};
  qf::Value* y = *g.add_value("y");
  qf::Value* w = g.add_constant("w", random_tensor({p.oc, p.ic / p.group, p.k, p.k}, 1));
  qf::Value* b = g.add_constant("b", random_tensor({p.oc}, 2));
  qf::Node* node = *g.add_node(qf::OpKind::kConv, "conv", {x, w, b}, {y});
  node->attrs["pads"] = std::vector<int64_t>{p.pad, p.pad, p.pad, p.pad};
  node->attrs["strides"] = std::vector<int64_t>{p.stride, p.stride};
  node->attrs["group"] = p.group;
  if (!qf::infer_node(*node).is_ok()) return -1;
  qf::KernelConfig config{{p.input_layout, qf::Layout::kPlain, qf::Layout::kPlain}};
  auto backend = qf::make_onednn_backend(0);
  std::string why;
  auto kernel = backend->create_kernel(*node, config, &why);
  if (!kernel.is_ok() || !*kernel) {
    std::fprintf(stderr, "%s: declined: %s\n", p.name, why.c_str());
    return -1;
  }
  qf::Tensor in = random_tensor(x->type.shape, 3);
  qf::Tensor out(qf::DType::kF32, y->type.shape, (*kernel)->output_layout(0));
  const qf::Tensor* ins[] = {&in, &*w->constant, &*b->constant};
  qf::Tensor* outs[] = {&out};
  *impl = (*kernel)->impl_name();
  return best_ms([&] { (void)(*kernel)->run(ins, outs); });
}

void fill_random(dnnl::memory& m) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  float* p = static_cast<float*>(m.get_data_handle());
  for (size_t i = 0; i < m.get_desc().get_size() / sizeof(float); ++i) p[i] = dist(gen);
}

// "nhwc", "nChw16c"...: enough of the blocking description to tell the layouts apart.
std::string format_of(const dnnl::memory::desc& md) {
  const auto& blk = md.data.format_desc.blocking;
  if (blk.inner_nblks) return "nC" + std::to_string(blk.inner_blks[0]) + "c";
  return blk.strides[1] == 1 ? "nhwc" : "nchw";
}

// Raw oneDNN with activations in `src_tag` -> `dst_tag` (any = let the primitive choose).
double run_raw(const ConvProblem& p, Tag src_tag, Tag dst_tag, std::string* impl) {
  using namespace dnnl;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  const int64_t oh = (p.h + 2 * p.pad - p.k) / p.stride + 1, ow = (p.w + 2 * p.pad - p.k) / p.stride + 1;
  memory::dims wdims = p.group > 1 ? memory::dims{p.group, p.oc / p.group, p.ic / p.group, p.k, p.k}
                                   : memory::dims{p.oc, p.ic, p.k, p.k};
  auto desc = convolution_forward::desc(
      prop_kind::forward_inference, algorithm::convolution_direct,
      memory::desc({p.n, p.ic, p.h, p.w}, memory::data_type::f32, src_tag),
      memory::desc(wdims, memory::data_type::f32, Tag::any), memory::desc({p.oc}, memory::data_type::f32, Tag::a),
      memory::desc({p.n, p.oc, oh, ow}, memory::data_type::f32, dst_tag), {p.stride, p.stride}, {p.pad, p.pad},
      {p.pad, p.pad});
  convolution_forward::primitive_desc pd(desc, eng);
  memory src(pd.src_desc(), eng), wei(pd.weights_desc(), eng), bias(pd.bias_desc(), eng), dst(pd.dst_desc(), eng);
  // Real numbers everywhere: recycled heap garbage can hold denormals, which skew timings badly.
  for (memory* m : {&src, &wei, &bias, &dst}) fill_random(*m);
  convolution_forward conv(pd);
  *impl = std::string(pd.impl_info_str()) + " " + format_of(pd.src_desc()) + "->" + format_of(pd.dst_desc());
  return best_ms([&] {
    conv.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
    s.wait();
  });
}

// A reorder between activation layouts, to price a layout change at a network boundary.
double run_reorder(const qf::Shape& shape, Tag from, Tag to) {
  using namespace dnnl;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  memory::dims dims(shape.begin(), shape.end());
  memory a({dims, memory::data_type::f32, from}, eng), b({dims, memory::data_type::f32, to}, eng);
  fill_random(a);
  reorder r(a, b);
  return best_ms([&] {
    r.execute(s, a, b);
    s.wait();
  });
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  if (argc > 2) g_repeats = std::max(1, std::atoi(argv[2]));
  (void)qf::make_onednn_backend(threads);  // sets the OpenMP thread count for this thread

  const ConvProblem problems[] = {
      {"resnet 64x56x56 3x3 64->64", 1, 64, 56, 56, 64, 3, 1, 1, 1, qf::Layout::kChannelsLast},
      {"resnet 512x7x7 3x3 512->512", 1, 512, 7, 7, 512, 3, 1, 1, 1, qf::Layout::kChannelsLast},
      {"resnet 256x14x14 1x1 s2 256->512", 1, 256, 14, 14, 512, 1, 2, 0, 1, qf::Layout::kChannelsLast},
      {"mbv2 dw 144x56x56 3x3", 1, 144, 56, 56, 144, 3, 1, 1, 144, qf::Layout::kChannelsLast},
      {"mbv2 1x1 144x56x56 -> 24", 1, 144, 56, 56, 24, 1, 1, 0, 1, qf::Layout::kChannelsLast},
      {"resnet stem 3x224x224 7x7 s2 (plain in)", 1, 3, 224, 224, 64, 7, 2, 3, 1, qf::Layout::kPlain},
      {"mbv2 stem 3x224x224 3x3 s2 (plain in)", 1, 3, 224, 224, 32, 3, 2, 1, 1, qf::Layout::kPlain},
  };
  std::printf("threads %d, best of %d\n", threads, g_repeats);
  std::printf("%-40s %9s %-30s | %9s %-38s | %9s %-38s\n", "problem", "qforge", "impl", "any", "impl (src->dst)",
              "nChw16c", "impl (src->dst)");
  for (const ConvProblem& p : problems) {
    std::string ours, any_impl, blocked_impl;
    const double q = run_qforge(p, &ours);
    // The stem takes plain input in every variant (as any network's first layer would).
    const bool stem = p.input_layout == qf::Layout::kPlain;
    const double any = run_raw(p, stem ? Tag::nchw : Tag::any, Tag::any, &any_impl);
    const double blocked = run_raw(p, stem ? Tag::nchw : Tag::nChw16c, Tag::nChw16c, &blocked_impl);
    std::printf("%-40s %9.3f %-30s | %9.3f %-38s | %9.3f %-38s\n", p.name, q, ours.c_str(), any, any_impl.c_str(),
                blocked, blocked_impl.c_str());
  }
  std::printf("\nlayout changes (reorders) for 1x64x112x112: nchw->nhwc %.3f ms, nChw16c->nhwc %.3f ms\n",
              run_reorder({1, 64, 112, 112}, Tag::nchw, Tag::nhwc),
              run_reorder({1, 64, 112, 112}, Tag::nChw16c, Tag::nhwc));
  return 0;
}

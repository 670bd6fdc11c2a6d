// SPDX-License-Identifier: Apache-2.0
// Layout helpers and the generic one-primitive kernel of the oneDNN backend.
#include "runtime/onednn/common.h"

#include <cstring>

#include "ir/fused_activation.h"
#include "runtime/onednn/engine.h"

namespace qf::onednn {

void append_fused_activation(const Node& node, dnnl::post_ops& po) {
  const auto act = fused_activation(node);
  if (!act) return;
  if (act->is_relu()) {
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  } else {
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, act->min, act->max);
  }
}

dnnl::primitive_attr fused_activation_attr(const Node& node) {
  dnnl::post_ops po;
  append_fused_activation(node, po);
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);
  return attr;
}

std::optional<std::string> check_f32_static(const Node& node, std::initializer_list<size_t> non_float) {
  auto is_non_float = [&](size_t i) {
    for (size_t j : non_float)
      if (i == j) return true;
    return false;
  };
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Value* v = node.inputs[i];
    if (!v || is_non_float(i)) continue;
    if (v->type.dtype != DType::kF32) return fmt::format("input {} is {}, not f32", i, dtype_name(v->type.dtype));
    if (!v->type.is_static()) return fmt::format("input {} has no static shape", i);
  }
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    const Value* v = node.outputs[i];
    if (!v) continue;
    if (v->type.dtype != DType::kF32) return fmt::format("output {} is {}, not f32", i, dtype_name(v->type.dtype));
    if (!v->type.is_static()) return fmt::format("output {} has no static shape", i);
    // oneDNN refuses zero-sized memories in most primitives; the reference handles them trivially.
    if (shape_numel(v->type.shape) == 0) return fmt::format("output {} is empty", i);
  }
  return std::nullopt;
}

Tag plain_tag(size_t rank) {
  static constexpr Tag kTags[] = {Tag::a,      Tag::a,       Tag::ab,        Tag::abc,
                                  Tag::abcd,   Tag::abcde,   Tag::abcdef,    Tag::abcdefg,
                                  Tag::abcdefgh, Tag::abcdefghi, Tag::abcdefghij, Tag::abcdefghijk,
                                  Tag::abcdefghijkl};
  return rank < std::size(kTags) ? kTags[rank] : Tag::undef;
}

Tag channels_last_tag(size_t rank) {
  switch (rank) {
    case 3: return Tag::acb;
    case 4: return Tag::acdb;
    case 5: return Tag::acdeb;
    default: return Tag::undef;
  }
}

Tag tag_for(size_t rank, Layout layout) {
  return layout == Layout::kChannelsLast && rank >= 3 ? channels_last_tag(rank) : plain_tag(rank);
}

dnnl::memory::desc desc_for(const Shape& shape, Layout layout, DataType dtype) {
  // A scalar is a one-element 1-D tensor to oneDNN.
  Dims dims = shape.empty() ? Dims{1} : Dims(shape.begin(), shape.end());
  return {dims, dtype, tag_for(dims.size(), layout)};
}

DataType onednn_dtype(DType t) {
  switch (t) {
    case DType::kF32: return DataType::f32;
    case DType::kU8: return DataType::u8;
    case DType::kS8: return DataType::s8;
    case DType::kS32: return DataType::s32;
    default: return DataType::undef;
  }
}

Dims padded_dims(const Shape& shape, size_t rank) {
  Dims dims(rank, 1);
  const size_t offset = rank - std::min(rank, shape.size());
  for (size_t i = 0; i < shape.size() && i < rank; ++i) dims[offset + i] = shape[i];
  return dims;
}

Result<dnnl::memory> reorder_constant(const Tensor& t, const dnnl::memory::desc& user,
                                      const dnnl::memory::desc& target) {
  if (user.get_size() != t.nbytes())
    return internal_error("constant of {} bytes described as {} bytes", t.nbytes(), user.get_size());
  dnnl::engine& eng = cpu_engine();
  dnnl::memory src(user, eng, const_cast<std::byte*>(t.bytes()));
  dnnl::memory dst(target, eng);
  dnnl::stream& s = cpu_stream();
  dnnl::reorder(src, dst).execute(s, src, dst);
  s.wait();
  return dst;
}

dnnl::memory owned_memory(const dnnl::memory::desc& md, const void* values) {
  dnnl::memory mem(md, cpu_engine());
  std::memcpy(mem.get_data_handle(), values, md.get_size());
  return mem;
}

PrimitiveKernel::PrimitiveKernel(dnnl::primitive primitive, const char* impl_info, int threads, size_t num_inputs,
                                 size_t num_outputs)
    : primitive_(std::move(primitive)),
      impl_(std::string("onednn:") + impl_info),
      threads_(threads),
      in_layouts_(num_inputs, Layout::kPlain),
      out_layouts_(num_outputs, Layout::kPlain) {}

namespace {

// The region over the whole of a memory of `bytes` when none is given.
Region whole_if_unset(Region region, size_t bytes) {
  if (region.tensor_bytes == 0) region = {0, bytes, bytes};
  return region;
}

// The bytes of `t` a region starts at, or nullptr when `t` is not the tensor the region was
// made for.
std::byte* at_region(const Tensor* t, const Region& region) {
  if (!t || t->nbytes() != region.tensor_bytes || region.offset + region.span > t->nbytes()) return nullptr;
  return const_cast<std::byte*>(t->bytes()) + region.offset;
}

}  // namespace

void PrimitiveKernel::bind_input(int arg, size_t index, const dnnl::memory::desc& md, Layout layout, Region region) {
  dnnl::memory mem(md, cpu_engine(), DNNL_MEMORY_NONE);
  bindings_.push_back({index, false, mem, whole_if_unset(region, md.get_size())});
  args_[arg] = mem;
  in_layouts_[index] = layout;
}

void PrimitiveKernel::bind_output(int arg, size_t index, const dnnl::memory::desc& md, Layout layout, Region region) {
  dnnl::memory mem(md, cpu_engine(), DNNL_MEMORY_NONE);
  bindings_.push_back({index, true, mem, whole_if_unset(region, md.get_size())});
  args_[arg] = mem;
  out_layouts_[index] = layout;
}

void PrimitiveKernel::bind_constant(int arg, dnnl::memory mem) { args_[arg] = std::move(mem); }

void PrimitiveKernel::accumulate_into_output(size_t input, size_t output, Layout layout) {
  for (const Binding& b : bindings_)
    if (b.output && b.index == output) accumulate_ = Accumulate{input, output, b.region};
  in_layouts_[input] = layout;
}

void PrimitiveKernel::add_pre_reorder(size_t index, const dnnl::memory::desc& from, dnnl::memory into, Layout layout,
                                      Region region) {
  dnnl::memory from_mem(from, cpu_engine(), DNNL_MEMORY_NONE);
  dnnl::reorder prim(dnnl::reorder::primitive_desc(cpu_engine(), from, cpu_engine(), into.get_desc()));
  pre_reorders_.push_back({index, prim, from_mem, std::move(into), whole_if_unset(region, from.get_size())});
  in_layouts_[index] = layout;
}

Status PrimitiveKernel::run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
  apply_threads(threads_);
  const auto tensor = [&](bool output, size_t index) -> const Tensor* {
    if (output) return index < outputs.size() ? outputs[index] : nullptr;
    return index < inputs.size() ? inputs[index] : nullptr;
  };
  // The executor's buffers are stable, but rebinding is a pointer store; it keeps us correct if
  // they ever move.
  for (Binding& b : bindings_) {
    const Tensor* t = tensor(b.output, b.index);
    if (!t) return internal_error("{} {} of {} is missing", b.output ? "output" : "input", b.index, impl_);
    std::byte* at = at_region(t, b.region);
    if (!at)
      return internal_error("{} {} has {} bytes, {} expects {}", b.output ? "output" : "input", b.index, t->nbytes(),
                            impl_, b.region.tensor_bytes);
    b.mem.set_data_handle(at);
  }
  try {
    dnnl::stream& s = cpu_stream();
    for (PreReorder& r : pre_reorders_) {
      std::byte* at = at_region(tensor(false, r.index), r.region);
      if (!at) return internal_error("input {} of {} is missing or has the wrong size", r.index, impl_);
      r.from.set_data_handle(at);
      r.prim.execute(s, r.from, r.into);
    }
    if (accumulate_) {
      const std::byte* from = at_region(tensor(false, accumulate_->input), accumulate_->region);
      std::byte* to = at_region(tensor(true, accumulate_->output), accumulate_->region);
      if (!from || !to) return internal_error("{}: the accumulated input does not match the output", impl_);
      std::memcpy(to, from, accumulate_->region.span);
    }
    primitive_.execute(s, args_);
    s.wait();
  } catch (const dnnl::error& e) {
    return internal_error("{} failed: {}", impl_, e.what());
  }
  return Status::ok();
}

}  // namespace qf::onednn

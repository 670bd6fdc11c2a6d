// SPDX-License-Identifier: Apache-2.0
// The op table (lib/ir/ops.def) against what the code does: every backend's kernel list says what
// the table's Kernels column says, every op has a reference kernel, and docs/operators.md is the
// matrix the table renders.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "ir/op_kind.h"
#include "ir/op_support.h"
#include "runtime/kernel.h"
#include "runtime/reference/reference_kernels.h"

using namespace qf;

namespace {

std::string family_name(uint32_t family) {
  switch (family) {
    case kOnednnFp32: return "kOnednnFp32";
    case kReferenceInt8: return "kReferenceInt8";
    case kOnednnInt8: return "kOnednnInt8";
    case kX86Int8: return "kX86Int8";
    default: return "?";
  }
}

// Each op whose kernel families in the lists differ from ops.def's Kernels column, one line each.
std::vector<std::string> mismatches(const std::vector<KernelListing>& listed) {
  std::map<OpKind, uint32_t> found;
  for (const KernelListing& entry : listed) found[entry.kind] |= entry.family;
  std::vector<std::string> out;
  for (int k = 0; k < kNumOpKinds; ++k) {
    const auto kind = static_cast<OpKind>(k);
    const uint32_t table = op_kernels(kind), lists = found[kind];
    for (uint32_t family : {kOnednnFp32, kReferenceInt8, kOnednnInt8, kX86Int8}) {
      if ((table & family) && !(lists & family))
        out.push_back(fmt::format("{}: ops.def lists {} but no kernel list has it", op_name(kind), family_name(family)));
      if (!(table & family) && (lists & family))
        out.push_back(fmt::format("{}: a kernel list has {} but ops.def does not say so", op_name(kind),
                                  family_name(family)));
    }
  }
  return out;
}

std::vector<KernelListing> all_listings() {
  std::vector<KernelListing> listed = make_reference_backend()->kernels();
  for (const KernelListing& entry : make_onednn_backend(1)->kernels()) listed.push_back(entry);
  return listed;
}

}  // namespace

TEST_CASE("every backend's kernel list says what the op table says", "[op_table]") {
  const std::vector<std::string> found = mismatches(all_listings());
  for (const std::string& line : found) UNSCOPED_INFO(line);
  CHECK(found.empty());
}

TEST_CASE("a kernel the op table does not know is caught", "[op_table]") {
  std::vector<KernelListing> listed = all_listings();
  listed.push_back({OpKind::kSoftmax, kOnednnInt8});
  const std::vector<std::string> found = mismatches(listed);
  REQUIRE(found.size() == 1);
  CHECK(found[0] == "Softmax: a kernel list has kOnednnInt8 but ops.def does not say so");

  std::vector<KernelListing> without_depthwise;
  for (const KernelListing& entry : all_listings())
    if (!(entry.kind == OpKind::kConv && entry.family == kX86Int8)) without_depthwise.push_back(entry);
  const std::vector<std::string> missing = mismatches(without_depthwise);
  REQUIRE(missing.size() == 1);
  CHECK(missing[0] == "Conv: ops.def lists kX86Int8 but no kernel list has it");
}

TEST_CASE("every op has a reference kernel and a name the importer finds", "[op_table]") {
  for (int k = 0; k < kNumOpKinds; ++k) {
    const auto kind = static_cast<OpKind>(k);
    INFO(op_name(kind));
    CHECK(reference_kernel(kind) != nullptr);
    auto lookup = op_from_onnx(op_name(kind));
    REQUIRE(lookup);
    CHECK(lookup->kind == kind);
    CHECK_FALSE(lookup->is_alias);
  }
}

TEST_CASE("the facts code once kept in lists of its own come from the op table", "[op_table]") {
  // squash_activations and the oneDNN post-ops (were two different lists).
  for (OpKind kind : {OpKind::kConv, OpKind::kConvTranspose, OpKind::kGemm, OpKind::kMatMul, OpKind::kAdd})
    CHECK(op_has_trait(kind, kFusesActivation));
  CHECK_FALSE(op_has_trait(OpKind::kMul, kFusesActivation));
  CHECK(op_has_trait(OpKind::kMul, kCommutative));
  CHECK_FALSE(op_has_trait(OpKind::kSub, kCommutative));
  CHECK(op_int8_form(OpKind::kReshape) == Int8Form::kMoveCodes);
  CHECK(op_int8_form(OpKind::kMaxPool) == Int8Form::kPoolCodes);
  CHECK(op_int8_form(OpKind::kSoftmax) == Int8Form::kRowwise);
  CHECK(op_int8_form(OpKind::kResize) == Int8Form::kFloat);
  CHECK(op_weight_axis(OpKind::kConvTranspose) == WeightAxis::kConvTransposeOutput);
}

TEST_CASE("docs/operators.md is the matrix the op table renders", "[op_table]") {
  const std::filesystem::path doc = std::filesystem::path(QF_SOURCE_DIR) / "docs" / "operators.md";
  std::ifstream in(doc);
  std::stringstream committed;
  committed << in.rdbuf();
  const std::string current = operator_support_markdown();
  if (committed.str() != current) {
    std::ofstream("operators.md") << current;
    FAIL_CHECK("docs/operators.md differs from lib/ir/ops.def: copy " +
               (std::filesystem::current_path() / "operators.md").string() + " over it");
  }
  CHECK(current.find("| Conv | 7–21 | reference, oneDNN | linear | reference, oneDNN, x86 |") != std::string::npos);
}

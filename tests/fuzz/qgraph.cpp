// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a quantized graph (model.qgraph.json + model.bin) -> Graph, as qforge-net-run loads
// it, and the same JSON through qforge-diff's reader of it (compare/qgraph_info.h).
//
// Framing (tests/fuzz/README.md): the input is the JSON text, then the line `--qforge-blob--`,
// then the blob's bytes (no marker: all JSON, an empty blob). Before loading, the placeholders
// @BLOB_SIZE@ and @BLOB_SHA256@ in the JSON are replaced by the blob part's size and sha256, so
// that mutated blobs get past the checksum and reach the index checks behind it (a real file
// with a wrong checksum is refused, tests/unit/test_package.cpp).
#include "compare/qgraph_info.h"
#include "core/sha256.h"
#include "package/qgraph.h"
#include "support/fuzz_support.h"

namespace {

constexpr std::string_view kBlobMarker = "\n--qforge-blob--\n";
constexpr std::string_view kSizePlaceholder = "@BLOB_SIZE@";
constexpr std::string_view kShaPlaceholder = "@BLOB_SHA256@";

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = qf::fuzz::as_string(data, size);
  const size_t marker = input.find(kBlobMarker);
  std::string json = input.substr(0, marker);
  const std::string blob = marker == std::string::npos ? std::string() : input.substr(marker + kBlobMarker.size());
  replace_all(json, kSizePlaceholder, std::to_string(blob.size()));
  replace_all(json, kShaPlaceholder, qf::sha256_hex(blob));

  auto graph = qf::read_package_from_memory(json, blob, "/fuzz/model.qgraph.json");
  qf::fuzz::require_clean(graph.status(), "read_package_from_memory");
  auto info = qf::compare::parse_qgraph_info(json, "/fuzz/model.qgraph.json");
  qf::fuzz::require_clean(info.status(), "parse_qgraph_info");
  return 0;
}

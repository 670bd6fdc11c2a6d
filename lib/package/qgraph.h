// SPDX-License-Identifier: Apache-2.0
// The converter's output: a quantized graph as JSON (`*.qgraph.json`, schemas/qgraph.schema.json)
// and a weights blob beside it (`*.bin`), versioned and checksummed.
//
//   {"format": "qforge.qgraph", "version": 1, "producer": {...}, "source": {...}, "options": {...},
//    "inputs": [...], "outputs": [...], "tensors": [...], "nodes": [...], "tensor_map": {...},
//    "blob": {"file": "model.bin", "size": N, "sha256": "...", "alignment": 64}}
//
// Tensors carry their logical dtype and shape, their encoding (with its source) and, for
// constants, where their stored codes are in the blob (64-byte aligned sections; int8 / int32
// codes, 4-bit codes two per byte, float tensors as float). Both files are written atomically
// while the output folder is locked, so that two converters writing the same path leave one
// complete result.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"

namespace qf {

inline constexpr std::string_view kQgraphFormat = "qforge.qgraph";
inline constexpr int kQgraphVersion = 1;
inline constexpr size_t kBlobAlignment = 64;
// Nesting a qgraph JSON may have (it needs a handful of levels); deeper files are refused unparsed.
inline constexpr int kMaxQgraphJsonDepth = 32;

// What the package records about how it was made.
struct PackageProvenance {
  std::vector<std::string> command_line;
  std::string source_path;
  std::string source_sha256;
  nlohmann::json options = nlohmann::json::object();  // the quantization settings used
};

// out/model.qgraph.json -> out/model.bin (a path not ending in .qgraph.json gets .bin appended
// to its stem).
std::string blob_path_for(const std::string& qgraph_path);

// Where the converter writes for --output_path: the path itself, or, for a folder (one that
// exists, or a path ending in '/'), <folder>/<model stem>.qgraph.json.
std::string qgraph_output_path(const std::string& output_path, const std::string& model_path);

// The JSON document and the blob bytes (no files touched).
struct Package {
  nlohmann::json document;
  std::string blob;
};
Result<Package> build_package(const Graph& graph, const PackageProvenance& provenance, const std::string& blob_file);

// Writes the blob, then the qgraph; when the qgraph cannot be written the blob is removed again.
Status write_package(const Graph& graph, const PackageProvenance& provenance, const std::string& qgraph_path);

// Whether the file at `path` is JSON, and so no ONNX model, by its first non-blank byte ('{'): how
// a qgraph is told from an ONNX model whatever its name (a QNN habit names it model.cpp). A
// protobuf never starts so: 0x7B would open field 15 as a group, which ONNX does not have.
// read_package checks the rest ("format": "qforge.qgraph"). False for a file that cannot be read.
bool starts_like_json(const std::string& path);

// Loads a package written by write_package: checks the format and version, the blob's size and
// sha256, and every tensor's place in the blob, then builds and verifies the graph. Constants
// hold their stored codes (Value::constant of the storage dtype) with their encodings.
Result<std::unique_ptr<Graph>> read_package(const std::string& qgraph_path);
// The same from the qgraph's JSON text and its blob's bytes already in memory (read_package reads
// both files and runs the same checks; the fuzz target tests/fuzz/qgraph.cpp feeds this).
// `qgraph_path` is named in errors.
Result<std::unique_ptr<Graph>> read_package_from_memory(const std::string& qgraph_json, const std::string& blob,
                                                        const std::string& qgraph_path);

}  // namespace qf

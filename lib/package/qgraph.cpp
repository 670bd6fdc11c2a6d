// SPDX-License-Identifier: Apache-2.0
#include "package/qgraph.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "core/json_file.h"
#include "core/read_file.h"
#include "core/sha256.h"
#include "io/atomic_file.h"
#include "ir/verify.h"

namespace qf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kQgraphSuffix = ".qgraph.json";
// Storage dtype names of packed sub-byte codes (Tensor has no 4-bit dtype).
constexpr std::string_view kPackedSigned = "int4";
constexpr std::string_view kPackedUnsigned = "uint4";

bool packs_nibbles(const Value& v) { return v.encoding && v.encoding->bitwidth <= 4; }

// ---- writing ----

Result<json> float_json(double v, const std::string& where) {
  if (!std::isfinite(v)) return internal_error("{}: {} cannot be written to JSON", where, v);
  return json(v);
}

Result<json> attribute_json(const AttrValue& a, const std::string& where) {
  if (const auto* i = std::get_if<int64_t>(&a)) return json{{"int", *i}};
  if (const auto* f = std::get_if<float>(&a)) {
    QF_ASSIGN_OR_RETURN(json v, float_json(*f, where));
    return json{{"float", v}};
  }
  if (const auto* s = std::get_if<std::string>(&a)) return json{{"string", *s}};
  if (const auto* is = std::get_if<std::vector<int64_t>>(&a)) return json{{"ints", *is}};
  if (const auto* fs = std::get_if<std::vector<float>>(&a)) {
    json list = json::array();
    for (float f : *fs) {
      QF_ASSIGN_OR_RETURN(json v, float_json(f, where));
      list.push_back(v);
    }
    return json{{"floats", list}};
  }
  if (const auto* ss = std::get_if<std::vector<std::string>>(&a)) return json{{"strings", *ss}};
  return internal_error("{}: tensor attributes are not stored in a qgraph", where);
}

json encoding_json(const Encoding& e, EncodingSource source) {
  json scales = json::array();
  for (float s : e.scale) scales.push_back(static_cast<double>(s));
  return {{"bitwidth", e.bitwidth}, {"signed", e.is_signed}, {"symmetric", e.symmetric}, {"axis", e.axis},
          {"scale", scales},        {"offset", e.offset},   {"source", encoding_source_name(source)}};
}

// The stored bytes of a constant: its payload as is, or 4-bit codes two per byte (low nibble first).
std::string stored_bytes(const Value& v) {
  const Tensor& t = *v.constant;
  if (!packs_nibbles(v)) return std::string(reinterpret_cast<const char*>(t.bytes()), t.nbytes());
  std::string packed(static_cast<size_t>((t.numel() + 1) / 2), '\0');
  for (int64_t i = 0; i < t.numel(); ++i) {
    const auto nibble = static_cast<uint8_t>(t.element_as_int(i) & 0xf);
    packed[static_cast<size_t>(i / 2)] = static_cast<char>(packed[static_cast<size_t>(i / 2)] | (nibble << (4 * (i % 2))));
  }
  return packed;
}

std::string stored_dtype_name(const Value& v) {
  if (packs_nibbles(v)) return std::string(v.encoding->is_signed ? kPackedSigned : kPackedUnsigned);
  return std::string(dtype_name(v.constant->dtype()));
}

// Tensors in order of first use along the topological order: a stable, readable order.
std::vector<const Value*> tensor_order(const Graph& graph, const std::vector<Node*>& order) {
  std::vector<const Value*> out;
  std::unordered_set<const Value*> seen;
  auto add = [&](const Value* v) {
    if (v && seen.insert(v).second) out.push_back(v);
  };
  for (const Value* v : graph.inputs()) add(v);
  for (const Node* n : order) {
    for (const Value* v : n->inputs) add(v);
    for (const Value* v : n->outputs) add(v);
  }
  for (const Value* v : graph.outputs()) add(v);
  return out;
}

// ---- reading ----

// Members read with a type check first: json::value(key, default) throws when the member has
// another type than the default, and get<int64_t>() of a float is undefined past int64's range.
std::string string_member(const json& object, const char* key) {
  const json& v = object.value(key, json());
  return v.is_string() ? v.get<std::string>() : std::string();
}

Status blob_size_error(const std::string& blob_path, uintmax_t size, uint64_t expected) {
  return bad_input("{}: blob has {} bytes, the qgraph says {} (truncated or replaced?)", blob_path, size, expected);
}

class Loader {
 public:
  explicit Loader(std::string path) : path_(std::move(path)) {}

  Status error(const std::string& where, const std::string& what) const {
    return bad_input("{}: {}: {}", path_, where, what);
  }

  // Where the blob's bytes come from: given its file name (checked to lie beside the qgraph) and
  // the size the qgraph records; the loader then checks that size and the sha256 itself.
  using BlobSource = std::function<Result<std::string>(const std::string& blob_path, uint64_t expected_size)>;

  Result<std::unique_ptr<Graph>> load(const json& doc, const BlobSource& blob_source) {
    if (!doc.is_object() || string_member(doc, "format") != kQgraphFormat)
      return bad_input("{}: not a qforge quantized graph (no \"format\": \"{}\")", path_, kQgraphFormat);
    if (!doc.contains("version") || !doc["version"].is_number_integer() || doc["version"].get<int64_t>() != kQgraphVersion)
      return bad_input("{}: qgraph version {} is not supported (this qforge reads version {})", path_,
                       doc.contains("version") ? doc["version"].dump() : "(missing)", kQgraphVersion);
    for (const char* key : {"tensors", "nodes", "inputs", "outputs"})
      if (!doc.contains(key) || !doc[key].is_array()) return error(key, "must be a list");
    QF_ASSIGN_OR_RETURN(std::string blob, read_blob(doc, blob_source));
    auto graph = std::make_unique<Graph>();
    if (doc.contains("source") && doc["source"].is_object()) {
      QF_ASSIGN_OR_RETURN(graph->opset, int_member(doc["source"], "opset", 0, "source"));
      QF_ASSIGN_OR_RETURN(graph->ir_version, int_member(doc["source"], "ir_version", 0, "source"));
    }
    graph->source_path = path_;
    QF_RETURN_IF_ERROR(read_tensors(doc["tensors"], blob, *graph));
    QF_RETURN_IF_ERROR(read_nodes(doc["nodes"], *graph));
    for (const char* key : {"inputs", "outputs"}) {
      for (size_t i = 0; i < doc[key].size(); ++i) {
        const json& name = doc[key][i];
        Value* v = name.is_string() ? graph->find_value(name.get<std::string>()) : nullptr;
        if (!v) return error(fmt::format("{}[{}]", key, i), "names no tensor of the graph");
        (std::string_view(key) == "inputs" ? graph->inputs() : graph->outputs()).push_back(v);
      }
    }
    QF_RETURN_IF_ERROR(verify_graph(*graph).with_context(path_));
    return graph;
  }

 private:
  Result<std::string> read_blob(const json& doc, const BlobSource& blob_source) {
    if (!doc.contains("blob") || !doc["blob"].is_object()) return error("blob", "is missing");
    const json& b = doc["blob"];
    if (!b.contains("file") || !b["file"].is_string() || !b.contains("size") || !b["size"].is_number_unsigned() ||
        !b.contains("sha256") || !b["sha256"].is_string())
      return error("blob", "needs file, size and sha256");
    const std::string file = b["file"].get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
      return error("blob.file", "must be a file name beside the qgraph");
    const std::string blob_path = (fs::path(path_).parent_path() / file).string();
    const auto expected = b["size"].get<uint64_t>();
    QF_ASSIGN_OR_RETURN(std::string bytes, blob_source(blob_path, expected));
    if (bytes.size() != expected) return blob_size_error(blob_path, bytes.size(), expected);
    if (sha256_hex(bytes) != b["sha256"].get<std::string>())
      return bad_input("{}: blob checksum does not match the qgraph (corrupted or from another conversion)", blob_path);
    return bytes;
  }

  // An optional integer member: `fallback` when absent, an error naming it when not an integer.
  Result<int64_t> int_member(const json& object, const char* key, int64_t fallback, const std::string& where) {
    const json& v = object.value(key, json());
    if (v.is_null()) return fallback;
    if (!v.is_number_integer()) return error(fmt::format("{}.{}", where, key), "must be an integer");
    return v.get<int64_t>();
  }

  Result<Encoding> read_encoding(const json& e, const std::string& where, EncodingSource* source) {
    if (!e.is_object()) return error(where, "must be an object");
    Encoding enc;
    if (!e.contains("bitwidth") || !e["bitwidth"].is_number_integer() || e["bitwidth"].get<int64_t>() < kMinBitwidth ||
        e["bitwidth"].get<int64_t>() > kMaxBitwidth)
      return error(where + ".bitwidth", fmt::format("must be an integer in [{}, {}]", kMinBitwidth, kMaxBitwidth));
    enc.bitwidth = static_cast<int>(e["bitwidth"].get<int64_t>());
    if (!e.value("signed", json()).is_boolean() || !e.value("symmetric", json()).is_boolean())
      return error(where, "needs boolean signed and symmetric");
    enc.is_signed = e["signed"].get<bool>();
    enc.symmetric = e["symmetric"].get<bool>();
    QF_ASSIGN_OR_RETURN(const int64_t axis, int_member(e, "axis", -1, where));
    if (axis < -1 || axis > std::numeric_limits<int>::max())
      return error(where + ".axis", fmt::format("{} is neither -1 nor a dimension", axis));
    enc.axis = static_cast<int>(axis);
    const json& scales = e.value("scale", json());
    const json& offsets = e.value("offset", json());
    if (!scales.is_array() || scales.empty() || !offsets.is_array() || offsets.size() != scales.size())
      return error(where, "needs scale and offset lists of one length");
    for (size_t c = 0; c < scales.size(); ++c) {
      // A normal float: a double past float's range or below its smallest normal would become an
      // infinite or zero scale.
      const double scale = scales[c].is_number() ? scales[c].get<double>() : 0.0;
      if (!(scale > 0) || scale > std::numeric_limits<float>::max() || !std::isnormal(static_cast<float>(scale)))
        return error(fmt::format("{}.scale[{}]", where, c), "must be a positive number");
      if (!offsets[c].is_number_integer()) return error(fmt::format("{}.offset[{}]", where, c), "must be an integer");
      enc.scale.push_back(static_cast<float>(scale));
      enc.offset.push_back(offsets[c].get<int64_t>());
      // The zero point -offset in [qmin, qmax], without negating (offset may be int64's minimum).
      if (enc.offset.back() < -enc.qmax() || enc.offset.back() > -enc.qmin())
        return error(fmt::format("{}.offset[{}]", where, c), "puts the zero point outside the grid");
    }
    if ((enc.axis < 0) != (scales.size() == 1)) return error(where, "axis -1 needs one scale, an axis several");
    const auto s = encoding_source_from_name(string_member(e, "source"));
    if (!s) return error(where + ".source", "must be calibration, override, qdq, propagated or op_range");
    *source = *s;
    return enc;
  }

  Status read_tensors(const json& tensors, const std::string& blob, Graph& graph) {
    std::vector<std::pair<uint64_t, uint64_t>> sections;
    for (size_t i = 0; i < tensors.size(); ++i) {
      const json& t = tensors[i];
      const std::string where = fmt::format("tensors[{}]", i);
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) return error(where, "needs a name");
      const std::string name = t["name"].get<std::string>();
      const std::string at = fmt::format("{} ('{}')", where, name);
      auto dtype = dtype_from_name(string_member(t, "dtype"));
      if (!dtype) return error(at + ".dtype", "is not a known dtype");
      if (!t.contains("shape") || !t["shape"].is_array()) return error(at + ".shape", "must be a list");
      Shape shape;
      for (const json& d : t["shape"]) {
        if (!d.is_number_integer()) return error(at + ".shape", "must be a list of integers");
        shape.push_back(d.get<int64_t>());
      }
      const std::optional<int64_t> numel = checked_numel(shape);
      if (!numel) return error(at + ".shape", "must hold non-negative dimensions of a tensor that fits in memory");
      auto added = graph.add_value(name);
      if (!added.is_ok()) return error(at, added.status().message());
      Value* v = *added;
      v->type = TensorType{*dtype, shape, true};
      if (t.contains("encoding")) {
        EncodingSource source;
        QF_ASSIGN_OR_RETURN(Encoding e, read_encoding(t["encoding"], at + ".encoding", &source));
        if (e.per_channel() && (e.axis >= static_cast<int>(shape.size()) ||
                                shape[static_cast<size_t>(e.axis)] != static_cast<int64_t>(e.channels())))
          return error(at + ".encoding", "its channel count does not match the shape");
        v->encoding = e;
        v->encoding_source = source;
      }
      if (t.contains("data")) QF_RETURN_IF_ERROR(read_data(t["data"], at + ".data", blob, *numel, *v, sections));
    }
    std::sort(sections.begin(), sections.end());
    for (size_t i = 1; i < sections.size(); ++i)
      if (sections[i].first < sections[i - 1].first + sections[i - 1].second)
        return bad_input("{}: two tensors overlap in the blob at offset {}", path_, sections[i].first);
    return Status::ok();
  }

  Status read_data(const json& d, const std::string& where, const std::string& blob, int64_t numel, Value& v,
                   std::vector<std::pair<uint64_t, uint64_t>>& sections) {
    if (!d.is_object() || !d.value("offset", json()).is_number_unsigned() || !d.value("size", json()).is_number_unsigned())
      return error(where, "needs offset and size");
    const uint64_t offset = d["offset"].get<uint64_t>(), size = d["size"].get<uint64_t>();
    const std::string stored = string_member(d, "dtype");
    if (offset % kBlobAlignment != 0) return error(where + ".offset", fmt::format("{} is not {}-byte aligned", offset, kBlobAlignment));
    if (offset > blob.size() || size > blob.size() - offset)
      return error(where, fmt::format("bytes [{}, {}) lie outside the {}-byte blob", offset, offset + size, blob.size()));
    const bool packed = stored == kPackedSigned || stored == kPackedUnsigned;
    const auto dtype = packed ? std::optional<DType>(stored == kPackedSigned ? DType::kS8 : DType::kU8) : dtype_from_name(stored);
    if (!dtype) return error(where + ".dtype", fmt::format("'{}' is not a stored dtype", stored));
    const uint64_t expected = packed ? static_cast<uint64_t>((numel + 1) / 2) : static_cast<uint64_t>(numel) * dtype_size(*dtype);
    if (size != expected) return error(where + ".size", fmt::format("{} bytes, its shape and dtype need {}", size, expected));
    if (packed != (v.encoding && v.encoding->bitwidth <= 4))
      return error(where + ".dtype", "packed 4-bit storage goes with an encoding of at most 4 bits");
    Tensor t(*dtype, v.type.shape);
    const auto* src = reinterpret_cast<const uint8_t*>(blob.data() + offset);
    if (packed) {
      for (int64_t i = 0; i < numel; ++i) {
        const int nibble = (src[i / 2] >> (4 * (i % 2))) & 0xf;
        const int value = *dtype == DType::kS8 && nibble >= 8 ? nibble - 16 : nibble;
        t.data<uint8_t>()[i] = static_cast<uint8_t>(value);
      }
    } else if (size > 0) {
      std::memcpy(t.bytes(), src, size);
    }
    v.constant = std::move(t);
    sections.emplace_back(offset, size);
    return Status::ok();
  }

  Result<AttrValue> read_attribute(const json& a, const std::string& where) {
    if (!a.is_object() || a.size() != 1) return error(where, "must be an object with one typed value");
    // Not `*a.items().begin()`: that dereferences a temporary iteration proxy, gone at the ';'.
    const auto entry = a.begin();
    const std::string& type = entry.key();
    const json& v = entry.value();
    if (type == "int" && v.is_number_integer()) return AttrValue(v.get<int64_t>());
    if (type == "float" && v.is_number()) return AttrValue(v.get<float>());
    if (type == "string" && v.is_string()) return AttrValue(v.get<std::string>());
    if (type == "ints" && v.is_array() && std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_number_integer(); }))
      return AttrValue(v.get<std::vector<int64_t>>());
    if (type == "floats" && v.is_array() && std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_number(); }))
      return AttrValue(v.get<std::vector<float>>());
    if (type == "strings" && v.is_array() && std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_string(); }))
      return AttrValue(v.get<std::vector<std::string>>());
    return error(where, fmt::format("'{}' is not an attribute type of this value", type));
  }

  Status read_nodes(const json& nodes, Graph& graph) {
    std::unordered_set<std::string> names;
    for (size_t i = 0; i < nodes.size(); ++i) {
      const json& n = nodes[i];
      const std::string where = fmt::format("nodes[{}]", i);
      if (!n.is_object() || !n.value("name", json()).is_string() || !n.value("op", json()).is_string())
        return error(where, "needs a name and an op");
      const std::string name = n["name"].get<std::string>();
      const std::string at = fmt::format("{} ('{}')", where, name);
      if (!names.insert(name).second) return error(at, "a node of this name exists already");
      auto op = op_from_onnx(n["op"].get<std::string>());
      if (!op || op->is_alias) return unsupported("{}: {}: op '{}' is not one qforge runs", path_, at, n["op"].get<std::string>());
      std::vector<Value*> ins, outs;
      for (const char* key : {"inputs", "outputs"}) {
        if (!n.contains(key) || !n[key].is_array()) return error(at + "." + key, "must be a list");
        for (const json& t : n[key]) {
          if (t.is_null() && std::string_view(key) == "inputs") {
            ins.push_back(nullptr);
            continue;
          }
          Value* v = t.is_string() ? graph.find_value(t.get<std::string>()) : nullptr;
          if (!v) return error(at + "." + key, fmt::format("{} names no tensor of the graph", t.dump()));
          (std::string_view(key) == "inputs" ? ins : outs).push_back(v);
        }
      }
      auto node = graph.add_node(op->kind, name, ins, outs);
      if (!node.is_ok()) return error(at, node.status().message());
      if (n.contains("attributes")) {
        if (!n["attributes"].is_object()) return error(at + ".attributes", "must be an object");
        for (const auto& [key, value] : n["attributes"].items()) {
          QF_ASSIGN_OR_RETURN(AttrValue attr, read_attribute(value, fmt::format("{}.attributes.{}", at, key)));
          (*node)->attrs[key] = std::move(attr);
        }
      }
    }
    return Status::ok();
  }

  std::string path_;
};

// The blob file beside the qgraph, its size checked before it is read (a replaced, huge file is
// refused without reading it).
Result<std::string> read_blob_file(const std::string& qgraph_path, const std::string& blob_path,
                                   uint64_t expected_size) {
  std::error_code ec;
  if (!fs::is_regular_file(blob_path, ec))
    return bad_input("{}: its weights blob '{}' is missing", qgraph_path, blob_path);
  const auto size = fs::file_size(blob_path, ec);
  if (ec || size != expected_size) return blob_size_error(blob_path, ec ? 0 : size, expected_size);
  return read_file_bytes(blob_path, "weights blob");
}

}  // namespace

std::string blob_path_for(const std::string& qgraph_path) {
  std::string stem = qgraph_path;
  if (stem.size() > kQgraphSuffix.size() && stem.compare(stem.size() - kQgraphSuffix.size(), kQgraphSuffix.size(), kQgraphSuffix) == 0) {
    stem.resize(stem.size() - kQgraphSuffix.size());
  } else if (fs::path(stem).extension() == ".json") {
    stem = (fs::path(stem).parent_path() / fs::path(stem).stem()).string();
  }
  return stem + ".bin";
}

std::string qgraph_output_path(const std::string& output_path, const std::string& model_path) {
  std::error_code ec;
  const bool folder = output_path.ends_with('/') || fs::is_directory(output_path, ec);
  if (!folder) return output_path;
  return (fs::path(output_path) / (fs::path(model_path).stem().string() + std::string(kQgraphSuffix))).string();
}

Result<Package> build_package(const Graph& graph, const PackageProvenance& provenance, const std::string& blob_file) {
  QF_ASSIGN_OR_RETURN(std::vector<Node*> order, graph.topo_order());
  Package pkg;
  json tensors = json::array();
  for (const Value* v : tensor_order(graph, order)) {
    json t = {{"name", v->name}, {"dtype", dtype_name(v->type.dtype)}, {"shape", v->type.shape}};
    if (v->encoding) t["encoding"] = encoding_json(*v->encoding, v->encoding_source);
    if (v->is_constant()) {
      const std::string bytes = stored_bytes(*v);
      pkg.blob.resize((pkg.blob.size() + kBlobAlignment - 1) / kBlobAlignment * kBlobAlignment, '\0');
      t["data"] = {{"offset", pkg.blob.size()}, {"size", bytes.size()}, {"dtype", stored_dtype_name(*v)}};
      pkg.blob += bytes;
    }
    tensors.push_back(std::move(t));
  }
  json nodes = json::array();
  for (const Node* n : order) {
    json ins = json::array(), outs = json::array(), attrs = json::object();
    for (const Value* v : n->inputs) ins.push_back(v ? json(v->name) : json());
    for (const Value* v : n->outputs) {
      if (!v) return internal_error("{}: an absent output cannot be stored", n->describe());
      outs.push_back(v->name);
    }
    for (const auto& [key, value] : n->attrs) {
      QF_ASSIGN_OR_RETURN(attrs[key], attribute_json(value, fmt::format("{} attribute {}", n->describe(), key)));
    }
    nodes.push_back({{"name", n->name}, {"op", op_name(n->kind)}, {"inputs", ins}, {"outputs", outs}, {"attributes", attrs}});
  }
  // Original names -> the tensor now holding their values (null: folded or fused away).
  json tensor_map = json::object();
  for (const auto& v : graph.values())
    if (!v->is_constant()) tensor_map[v->name] = v->name;
  for (const auto& [name, _] : graph.removed_tensors()) {
    const auto r = graph.resolve_removed(name);
    const bool exists = r && graph.find_value(r->survivor);
    tensor_map[name] = exists && r->same_values ? json(r->survivor) : json();
  }
  json inputs = json::array(), outputs = json::array();
  for (const Value* v : graph.inputs()) inputs.push_back(v->name);
  for (const Value* v : graph.outputs()) outputs.push_back(v->name);
  pkg.document = {
      {"format", kQgraphFormat},
      {"version", kQgraphVersion},
      {"producer", {{"name", "qforge-onnx-converter"}, {"version", QFORGE_VERSION}, {"command_line", provenance.command_line}}},
      {"source", {{"file", fs::path(provenance.source_path).filename().string()},
                  {"sha256", provenance.source_sha256},
                  {"opset", graph.opset},
                  {"ir_version", graph.ir_version}}},
      {"options", provenance.options},
      {"inputs", inputs},
      {"outputs", outputs},
      {"tensors", tensors},
      {"nodes", nodes},
      {"tensor_map", tensor_map},
      {"blob", {{"file", blob_file}, {"size", pkg.blob.size()}, {"sha256", sha256_hex(pkg.blob)}, {"alignment", kBlobAlignment}}},
  };
  return pkg;
}

Status write_package(const Graph& graph, const PackageProvenance& provenance, const std::string& qgraph_path) {
  const std::string blob_path = blob_path_for(qgraph_path);
  QF_ASSIGN_OR_RETURN(Package pkg, build_package(graph, provenance, fs::path(blob_path).filename().string()));
  QF_RETURN_IF_ERROR(make_parent_directories(qgraph_path));
  QF_ASSIGN_OR_RETURN(FolderLock lock, FolderLock::acquire(fs::path(qgraph_path).parent_path().string()));
  // The blob first: a qgraph on disk always finds the blob it names.
  QF_RETURN_IF_ERROR(write_file_atomic(blob_path, pkg.blob.data(), pkg.blob.size()));
  Status written = write_file_atomic(qgraph_path, pkg.document.dump(1) + "\n");
  if (!written.is_ok()) {
    // A blob without its qgraph is no package: leave nothing rather than a file nothing reads.
    std::error_code ignored;
    fs::remove(blob_path, ignored);
  }
  return written;
}

bool starts_like_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c))
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return c == '{';
  return false;
}

Result<std::unique_ptr<Graph>> read_package(const std::string& qgraph_path) {
  std::error_code ec;
  if (!fs::is_regular_file(qgraph_path, ec)) return bad_input("quantized graph '{}' does not exist", qgraph_path);
  // Readers hold the folder lock too, so they never pair a new qgraph with an old blob.
  QF_ASSIGN_OR_RETURN(FolderLock lock, FolderLock::acquire(fs::path(qgraph_path).parent_path().string()));
  QF_ASSIGN_OR_RETURN(json doc, read_json_file(qgraph_path, "quantized graph", kMaxQgraphJsonDepth));
  return Loader(qgraph_path).load(doc, [&](const std::string& blob_path, uint64_t expected_size) {
    return read_blob_file(qgraph_path, blob_path, expected_size);
  });
}

Result<std::unique_ptr<Graph>> read_package_from_memory(const std::string& qgraph_json, const std::string& blob,
                                                        const std::string& qgraph_path) {
  QF_ASSIGN_OR_RETURN(json doc, parse_json_text(qgraph_json, qgraph_path, kMaxQgraphJsonDepth));
  return Loader(qgraph_path).load(doc, [&](const std::string&, uint64_t) -> Result<std::string> { return blob; });
}

}  // namespace qf

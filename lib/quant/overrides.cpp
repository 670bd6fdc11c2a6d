// SPDX-License-Identifier: Apache-2.0
#include "quant/overrides.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/json_file.h"

namespace qf {
namespace {

using nlohmann::json;

// AIMET's encoding spec allows 4 to 32 bits.
constexpr int kMinOverrideBitwidth = 4;
constexpr int kMaxOverrideBitwidth = 32;
constexpr std::string_view kLegacyVersion = "0.6.1";

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  Status error(const std::string& where, const std::string& what) const {
    return bad_input("{}: {}: {}", path_, where, what);
  }

  Result<QuantizationOverrides> read(const json& root) {
    QuantizationOverrides out;
    out.path = path_;
    if (!root.is_object()) return error("(top level)", "must be an object");
    if (root.contains("version")) {
      if (!root["version"].is_string()) return error("version", "must be a string such as \"0.6.1\" or \"1.0.0\"");
      out.version = root["version"].get<std::string>();
    }
    const bool v1 = out.version.rfind("1.", 0) == 0;
    if (!out.version.empty() && !v1 && out.version.rfind("0.", 0) != 0)
      return error("version", fmt::format("'{}' is not a supported encodings version (0.4 - 0.6.1, 1.0.0)", out.version));
    for (const auto& [key, target] : {std::pair{"activation_encodings", &out.activations},
                                      std::pair{"param_encodings", &out.params}}) {
      if (!root.contains(key)) continue;
      const json& section = root[key];
      if (v1) {
        QF_RETURN_IF_ERROR(read_v1_section(section, key, *target));
      } else {
        QF_RETURN_IF_ERROR(read_legacy_section(section, key, *target));
      }
    }
    if (!root.contains("activation_encodings") && !root.contains("param_encodings"))
      return error("(top level)", "has neither activation_encodings nor param_encodings");
    return out;
  }

 private:
  // Legacy: {"tensor": [ {bitwidth, dtype, is_symmetric, min, max, offset, scale}, ... ]}.
  Status read_legacy_section(const json& section, const std::string& key, std::map<std::string, EncodingOverride>& out) {
    if (!section.is_object()) return error(key, "must be an object mapping tensor names to lists of encodings");
    for (const auto& [name, entries] : section.items()) {
      const std::string where = fmt::format("{}[\"{}\"]", key, name);
      if (!entries.is_array() || entries.empty()) return error(where, "must be a non-empty list of encodings");
      EncodingOverride o;
      o.json_path = where;
      std::vector<ChannelSpec> channels;
      for (size_t i = 0; i < entries.size(); ++i) {
        const std::string at = fmt::format("{}[{}]", where, i);
        QF_ASSIGN_OR_RETURN(ChannelSpec c, legacy_channel(entries[i], at));
        c.path = at;
        channels.push_back(c);
      }
      QF_RETURN_IF_ERROR(combine(channels, where, &o));
      out[name] = std::move(o);
    }
    return Status::ok();
  }

  // 1.0.0: [ {name, enc_type, dtype, bw, is_sym, scale: [], offset: []}, ... ].
  Status read_v1_section(const json& section, const std::string& key, std::map<std::string, EncodingOverride>& out) {
    if (!section.is_array()) return error(key, "must be a list of encodings (version 1.0.0)");
    for (size_t i = 0; i < section.size(); ++i) {
      const std::string where = fmt::format("{}[{}]", key, i);
      const json& e = section[i];
      if (!e.is_object()) return error(where, "must be an object");
      if (!e.contains("name") || !e["name"].is_string()) return error(where + ".name", "must be a string");
      const std::string name = e["name"].get<std::string>();
      const std::string named = fmt::format("{} (\"{}\")", where, name);
      EncodingOverride o;
      o.json_path = named;
      QF_ASSIGN_OR_RETURN(const std::string dtype, string_member(e, "dtype", "INT", named));
      if (dtype == "FLOAT" || dtype == "FP") {
        o.keep_float = true;
        out[name] = std::move(o);
        continue;
      }
      if (dtype != "INT") return error(named + ".dtype", fmt::format("'{}' is not INT, FLOAT or FP", dtype));
      QF_ASSIGN_OR_RETURN(const std::string enc_type, string_member(e, "enc_type", "PER_TENSOR", named));
      if (enc_type != "PER_TENSOR" && enc_type != "PER_CHANNEL")
        return unsupported("{}: {}.enc_type: {} encodings are not supported (PER_TENSOR, PER_CHANNEL)", path_, named,
                           enc_type);
      QF_ASSIGN_OR_RETURN(int bw, bitwidth(e, "bw", named));
      bool sym = false;
      if (e.contains("is_sym")) {
        if (!e["is_sym"].is_boolean()) return error(named + ".is_sym", "must be true or false");
        sym = e["is_sym"].get<bool>();
      }
      if (!e.contains("scale") || !e["scale"].is_array() || e["scale"].empty())
        return error(named + ".scale", "must be a non-empty list of numbers");
      if (!e.contains("offset") || !e["offset"].is_array() || e["offset"].size() != e["scale"].size())
        return error(named + ".offset", "must be a list of integers as long as scale");
      if (enc_type == "PER_TENSOR" && e["scale"].size() != 1)
        return error(named + ".scale", "a PER_TENSOR encoding has exactly one scale");
      std::vector<ChannelSpec> channels;
      for (size_t c = 0; c < e["scale"].size(); ++c) {
        ChannelSpec spec;
        spec.bitwidth = bw;
        spec.symmetric = sym;
        spec.path = e["scale"].size() == 1 ? named : fmt::format("{} channel {}", named, c);
        QF_ASSIGN_OR_RETURN(spec.scale, positive_number(e["scale"][c], fmt::format("{}.scale[{}]", named, c)));
        QF_ASSIGN_OR_RETURN(spec.offset, integer(e["offset"][c], fmt::format("{}.offset[{}]", named, c)));
        channels.push_back(spec);
      }
      QF_RETURN_IF_ERROR(combine(channels, named, &o));
      out[name] = std::move(o);
    }
    return Status::ok();
  }

  // One channel as written; either scale + offset or min + max must be present.
  struct ChannelSpec {
    int bitwidth = 8;
    bool symmetric = false;
    std::optional<float> scale, min, max;
    std::optional<int64_t> offset;
    bool keep_float = false;
    std::string path;  // where this channel is in the file
  };

  Result<ChannelSpec> legacy_channel(const json& e, const std::string& where) {
    if (!e.is_object()) return error(where, "must be an object");
    ChannelSpec c;
    if (e.contains("dtype")) {
      if (!e["dtype"].is_string()) return error(where + ".dtype", "must be \"int\" or \"float\"");
      const std::string dtype = e["dtype"].get<std::string>();
      if (dtype == "float") {
        c.keep_float = true;
        return c;
      }
      if (dtype != "int") return error(where + ".dtype", fmt::format("'{}' is not \"int\" or \"float\"", dtype));
    }
    QF_ASSIGN_OR_RETURN(c.bitwidth, bitwidth(e, "bitwidth", where));
    if (e.contains("is_symmetric")) {
      const json& s = e["is_symmetric"];
      if (s.is_boolean()) {
        c.symmetric = s.get<bool>();
      } else if (s.is_string() && (s == "True" || s == "False")) {
        c.symmetric = s == "True";
      } else {
        return error(where + ".is_symmetric", "must be \"True\" or \"False\"");
      }
    }
    if (e.contains("scale")) {
      QF_ASSIGN_OR_RETURN(c.scale, positive_number(e["scale"], where + ".scale"));
    }
    if (e.contains("offset")) {
      QF_ASSIGN_OR_RETURN(c.offset, integer(e["offset"], where + ".offset"));
    }
    if (e.contains("min")) {
      QF_ASSIGN_OR_RETURN(c.min, finite_number(e["min"], where + ".min"));
    }
    if (e.contains("max")) {
      QF_ASSIGN_OR_RETURN(c.max, finite_number(e["max"], where + ".max"));
    }
    if (c.scale.has_value() != c.offset.has_value())
      return error(where, "scale and offset must be given together");
    if (!c.scale && !(c.min && c.max)) return error(where, "needs scale and offset (or min and max)");
    return c;
  }

  // Channels -> one override: same bitwidth, symmetry and dtype on every channel.
  Status combine(const std::vector<ChannelSpec>& channels, const std::string& where, EncodingOverride* o) {
    const ChannelSpec& first = channels.front();
    for (const ChannelSpec& c : channels) {
      if (c.keep_float != first.keep_float || c.bitwidth != first.bitwidth || c.symmetric != first.symmetric)
        return error(c.path, "channels differ in dtype, bitwidth or is_symmetric");
    }
    if (first.keep_float) {
      o->keep_float = true;
      return Status::ok();
    }
    Encoding e;
    e.bitwidth = first.bitwidth;
    e.is_signed = false;  // AIMET's view; turned signed below for symmetric -2^(bw-1) offsets
    e.symmetric = first.symmetric;
    const int64_t steps = (int64_t{1} << e.bitwidth) - 1;
    for (const ChannelSpec& c : channels) {
      const std::string& at = c.path;
      if (c.scale) {
        if (*c.offset < -steps || *c.offset > 0)
          return error(at + ".offset", fmt::format("{} is outside [{}, 0] for {} bits", *c.offset, -steps, e.bitwidth));
        e.scale.push_back(*c.scale);
        e.offset.push_back(*c.offset);
      } else {
        if (*c.min > *c.max) return error(at, "min is greater than max");
        const QuantScheme scheme{c.symmetric ? QuantSchema::kSymmetric : QuantSchema::kAsymmetric, e.bitwidth};
        auto computed = compute_encoding(*c.min, *c.max, scheme);
        if (!computed.is_ok()) return error(at, computed.status().message());
        const Encoding unsigned_view = computed->with_signedness(false);
        e.scale.push_back(unsigned_view.scale[0]);
        e.offset.push_back(unsigned_view.offset[0]);
      }
    }
    const int64_t half = int64_t{1} << (e.bitwidth - 1);
    const bool signed_symmetric =
        e.symmetric && std::all_of(e.offset.begin(), e.offset.end(), [&](int64_t off) { return off == -half; });
    if (e.symmetric && !signed_symmetric &&
        !std::all_of(e.offset.begin(), e.offset.end(), [](int64_t off) { return off == 0; }))
      return error(where, fmt::format("is_symmetric encodings need offset {} (signed) or 0 (unsigned)", -half));
    o->encoding = signed_symmetric ? e.with_signedness(true) : e;
    return Status::ok();
  }

  // An optional string member, `fallback` when absent (json::value throws on another type).
  Result<std::string> string_member(const json& e, const char* key, const char* fallback, const std::string& where) {
    if (!e.contains(key)) return std::string(fallback);
    if (!e[key].is_string()) return error(fmt::format("{}.{}", where, key), "must be a string");
    return e[key].get<std::string>();
  }

  Result<int> bitwidth(const json& e, const char* key, const std::string& where) {
    if (!e.contains(key)) return error(where, fmt::format("'{}' is missing", key));
    const json& b = e[key];
    if (!b.is_number_integer() || b.get<int64_t>() < kMinOverrideBitwidth || b.get<int64_t>() > kMaxOverrideBitwidth)
      return error(fmt::format("{}.{}", where, key),
                   fmt::format("{} is not a bitwidth in [{}, {}]", b.dump(), kMinOverrideBitwidth, kMaxOverrideBitwidth));
    return static_cast<int>(b.get<int64_t>());
  }

  Result<float> finite_number(const json& v, const std::string& where) {
    if (!v.is_number()) return error(where, "must be a number");
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max())
      return error(where, "must be a finite float");
    return static_cast<float>(d);
  }

  Result<float> positive_number(const json& v, const std::string& where) {
    QF_ASSIGN_OR_RETURN(float f, finite_number(v, where));
    if (!(f > 0) || !std::isnormal(f)) return error(where, fmt::format("{} is not a positive number", v.dump()));
    return f;
  }

  Result<int64_t> integer(const json& v, const std::string& where) {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number_float() && std::isfinite(v.get<double>()) && v.get<double>() == std::floor(v.get<double>()) &&
        std::fabs(v.get<double>()) < 1e15)
      return static_cast<int64_t>(v.get<double>());
    return error(where, "must be an integer");
  }

  std::string path_;
};

json channel_json(const Encoding& e, size_t c) {
  const Encoding view = e.with_signedness(false);
  return {{"bitwidth", e.bitwidth},
          {"dtype", "int"},
          {"is_symmetric", e.symmetric ? "True" : "False"},
          {"max", static_cast<double>(e.max(c))},
          {"min", static_cast<double>(e.min(c))},
          {"offset", view.offset[c]},
          {"scale", static_cast<double>(e.scale[c])}};
}

}  // namespace

Result<QuantizationOverrides> parse_quantization_overrides(const std::string& text, const std::string& path) {
  QF_ASSIGN_OR_RETURN(json root, parse_json_text(text, path, kMaxOverridesJsonDepth));
  return Reader(path).read(root);
}

Result<QuantizationOverrides> read_quantization_overrides(const std::string& path) {
  QF_ASSIGN_OR_RETURN(json root, read_json_file(path, "quantization overrides", kMaxOverridesJsonDepth));
  return Reader(path).read(root);
}

std::string write_aimet_encodings(const Graph& graph) {
  json activations = json::object(), params = json::object();
  for (const auto& v : graph.values()) {
    if (!v->encoding) continue;
    json channels = json::array();
    for (size_t c = 0; c < v->encoding->channels(); ++c) channels.push_back(channel_json(*v->encoding, c));
    (v->is_constant() ? params : activations)[v->name] = std::move(channels);
  }
  json root = {{"version", kLegacyVersion}, {"activation_encodings", activations}, {"param_encodings", params}};
  return root.dump(2) + "\n";
}

}  // namespace qf

// SPDX-License-Identifier: Apache-2.0
#include "io/run_folder.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/json_file.h"
#include "core/read_file.h"
#include "io/atomic_file.h"

namespace qf {

namespace fs = std::filesystem;

namespace {

using Json = nlohmann::ordered_json;
constexpr int kJsonIndent = 2;
// The manifest is flat: an object of fields, one list of lists.
constexpr int kManifestMaxDepth = 4;

// What net-run may have left in a Result folder: its .raw files, and the temporaries of atomic
// writes that a killed run did not rename.
bool written_by_net_run(const fs::directory_entry& entry) {
  std::error_code ec;
  if (!entry.is_regular_file(ec) || entry.is_symlink(ec)) return false;
  const std::string name = entry.path().filename().string();
  return entry.path().extension() == kRawExtension || is_atomic_write_temporary(name);
}

// Why a Result_<i> entry may not be removed, or "" when it may.
std::string foreign_content(const fs::directory_entry& result) {
  std::error_code ec;
  if (result.is_symlink(ec) || !result.is_directory(ec)) return "is not a folder";
  for (const auto& entry : fs::directory_iterator(result.path(), ec))
    if (!written_by_net_run(entry))
      return fmt::format("holds '{}', which qforge-net-run does not write", entry.path().filename().string());
  if (ec) return fmt::format("cannot be listed: {}", ec.message());
  return "";
}

}  // namespace

std::string result_folder_name(int64_t index) { return fmt::format("{}{}", kResultPrefix, index); }

std::optional<int> result_index(std::string_view name) {
  if (!name.starts_with(kResultPrefix)) return std::nullopt;
  const std::string_view digits = name.substr(kResultPrefix.size());
  // Unsigned: from_chars takes no sign then, so only decimal digits pass.
  unsigned index = 0;
  const auto [stop, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (digits.empty() || ec != std::errc() || stop != digits.data() + digits.size() ||
      index > static_cast<unsigned>(std::numeric_limits<int>::max()))
    return std::nullopt;
  return static_cast<int>(index);
}

std::string render_run_manifest(const RunManifest& m) {
  Json j = {{"format", kRunManifestFormat},
            {"version", kRunManifestVersion},
            {"tool", m.tool},
            {"model", {{"path", m.model}, {"sha256", m.model_sha256}}},
            {"input_list", {{"path", m.input_list}, {"lines", m.input_list_lines}}},
            {"inferences", m.inferences},
            {"results", m.results},
            {"backend", m.backend},
            {"outputs", m.native_outputs ? "native" : "float"},
            {"debug", m.debug}};
  // One line per Result folder: a run of 10 000 inputs stays a file a person can read.
  std::string text = j.dump(kJsonIndent);
  text.erase(text.rfind('}'));
  while (text.back() == '\n') text.pop_back();
  text += ",\n  \"result_inputs\": [";
  for (size_t i = 0; i < m.result_inputs.size(); ++i)
    text += (i ? ",\n    " : "\n    ") + Json(m.result_inputs[i]).dump();
  text += m.result_inputs.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return text;
}

Result<RunManifest> parse_run_manifest(const std::string& text, const std::string& path) {
  QF_ASSIGN_OR_RETURN(nlohmann::json j, parse_json_text(text, path, kManifestMaxDepth));
  RunManifest m;
  // The manifest is ours; a field of the wrong type means another file or a damaged one, and
  // nlohmann's message names the field.
  try {
    if (j.at("format").get<std::string>() != kRunManifestFormat)
      return bad_input("{}: not a qforge run manifest (format '{}')", path, j.at("format").get<std::string>());
    if (const int version = j.at("version").get<int>(); version != kRunManifestVersion)
      return bad_input("{}: run manifest version {} is not supported (this qforge reads {})", path, version,
                       kRunManifestVersion);
    m.tool = j.at("tool").get<std::string>();
    m.model = j.at("model").at("path").get<std::string>();
    m.model_sha256 = j.at("model").at("sha256").get<std::string>();
    m.input_list = j.at("input_list").at("path").get<std::string>();
    m.input_list_lines = j.at("input_list").at("lines").get<int64_t>();
    m.inferences = j.at("inferences").get<int64_t>();
    m.results = j.at("results").get<int64_t>();
    m.backend = j.at("backend").get<std::string>();
    const std::string outputs = j.at("outputs").get<std::string>();
    if (outputs != "native" && outputs != "float")
      return bad_input("{}: \"outputs\" is '{}', not 'native' or 'float'", path, outputs);
    m.native_outputs = outputs == "native";
    m.debug = j.at("debug").get<bool>();
    m.result_inputs = j.at("result_inputs").get<std::vector<std::vector<std::string>>>();
  } catch (const nlohmann::json::exception& e) {
    return bad_input("{}: not a valid run manifest: {}", path, e.what());
  }
  if (m.results < 0 || static_cast<size_t>(m.results) != m.result_inputs.size())
    return bad_input("{}: {} results but {} entries in \"result_inputs\"", path, m.results, m.result_inputs.size());
  return m;
}

Status write_run_manifest(const std::string& dir, const RunManifest& manifest) {
  return write_file_atomic((fs::path(dir) / kRunManifestFile).string(), render_run_manifest(manifest));
}

Result<std::optional<RunManifest>> read_run_manifest(const std::string& dir) {
  const std::string path = (fs::path(dir) / kRunManifestFile).string();
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return std::optional<RunManifest>();
  QF_ASSIGN_OR_RETURN(std::string text, read_file_bytes(path, "run manifest"));
  QF_ASSIGN_OR_RETURN(RunManifest m, parse_run_manifest(text, path));
  return std::optional<RunManifest>(std::move(m));
}

Result<int64_t> clear_run_folder(const std::string& dir) {
  std::error_code ec;
  std::vector<fs::path> results;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!result_index(entry.path().filename().string())) continue;
    if (const std::string why = foreign_content(entry); !why.empty())
      return bad_input("'{}' {}: refusing to replace it with this run's outputs (move it away, or choose another "
                       "--output_dir)",
                       entry.path().string(), why);
    results.push_back(entry.path());
  }
  if (ec) return bad_input("cannot list folder '{}': {}", dir, ec.message());
  const fs::path manifest = fs::path(dir) / kRunManifestFile;
  if (fs::remove(manifest, ec); ec) return bad_input("cannot remove '{}': {}", manifest.string(), ec.message());
  for (const fs::path& p : results)
    if (fs::remove_all(p, ec); ec) return bad_input("cannot remove '{}': {}", p.string(), ec.message());
  return static_cast<int64_t>(results.size());
}

}  // namespace qf

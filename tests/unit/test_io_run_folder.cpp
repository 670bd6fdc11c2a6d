// SPDX-License-Identifier: Apache-2.0
// The output folder of a run: Result_N names, the manifest (qforge_run.json), and what net-run may
// remove before it writes (an earlier run's Result_N) and must refuse to (anything else).
#include <catch2/catch.hpp>

#include <filesystem>

#include "io/run_folder.h"
#include "scratch_files.h"

using namespace qf;
namespace fs = std::filesystem;
using testing::scratch_dir;
using testing::write_floats;
using testing::write_text;

namespace {

RunManifest sample_manifest() {
  RunManifest m;
  m.tool = "qforge-net-run 0.1.0 (git 1234567) oneDNN 2.6.3 cpu-isa avx512_core_vnni";
  m.model = "/models/mnist.qgraph.json";
  m.model_sha256 = std::string(64, 'a');
  m.input_list = "/data/list.txt";
  m.input_list_lines = 2;
  m.inferences = 3;
  m.results = 3;
  m.backend = "onednn";
  m.native_outputs = true;
  m.debug = false;
  m.result_inputs = {{"/data/0.raw"}, {"/data/1.raw"}, {"/data/0.raw"}};
  return m;
}

}  // namespace

TEST_CASE("run folder: Result_<digits> and nothing else is a Result folder", "[io][run_folder]") {
  CHECK(result_folder_name(7) == "Result_7");
  CHECK(result_index("Result_0") == 0);
  CHECK(result_index("Result_12") == 12);
  CHECK_FALSE(result_index("Result_"));
  CHECK_FALSE(result_index("Result_-1"));
  CHECK_FALSE(result_index("Result_+1"));
  CHECK_FALSE(result_index("Result_1a"));
  CHECK_FALSE(result_index("Result_1.bak"));
  CHECK_FALSE(result_index("result_1"));
  CHECK_FALSE(result_index("Result_99999999999"));
}

TEST_CASE("run folder: the manifest round-trips; a damaged one is an error naming the file", "[io][run_folder]") {
  const fs::path dir = scratch_dir("io_run_manifest");
  CHECK_FALSE(*read_run_manifest(dir.string()));  // none yet: not an error
  const RunManifest m = sample_manifest();
  REQUIRE(write_run_manifest(dir.string(), m).is_ok());
  auto back = read_run_manifest(dir.string());
  INFO(back.status().message());
  REQUIRE(back.is_ok());
  REQUIRE(*back);
  const RunManifest& r = **back;
  CHECK(r.tool == m.tool);
  CHECK(r.model == m.model);
  CHECK(r.model_sha256 == m.model_sha256);
  CHECK(r.input_list == m.input_list);
  CHECK(r.input_list_lines == 2);
  CHECK(r.inferences == 3);
  CHECK(r.results == 3);
  CHECK(r.backend == "onednn");
  CHECK(r.native_outputs);
  CHECK_FALSE(r.debug);
  CHECK(r.result_inputs == m.result_inputs);

  const std::string path = (dir / kRunManifestFile).string();
  write_text(path, R"({"format": "qforge.run", "version": 9})");
  CHECK(read_run_manifest(dir.string()).status().message().find("version 9") != std::string::npos);
  write_text(path, R"({"format": "qforge.run", "version": 1, "tool": 3})");
  const Status wrong_type = read_run_manifest(dir.string()).status();
  CHECK(wrong_type.code() == StatusCode::kBadInput);
  CHECK(wrong_type.message().find(path) != std::string::npos);
  RunManifest short_list = m;
  short_list.result_inputs.pop_back();
  CHECK(parse_run_manifest(render_run_manifest(short_list), path).status().message().find("3 results but 2") !=
        std::string::npos);
}

TEST_CASE("run folder: clearing removes an earlier run's Result folders and manifest, nothing else",
          "[io][run_folder]") {
  const fs::path dir = scratch_dir("io_run_clear");
  for (int r = 0; r < 5; ++r) write_floats(dir / result_folder_name(r) / "prob.raw", {1, 2});
  write_floats(dir / "Result_3" / "prob_native.raw", {1});
  write_text(dir / "Result_4" / ".prob.raw.tmp.1234.0", "half a file");  // a killed run's temporary
  fs::create_directories(dir / "Result_empty");
  write_text(dir / "notes.txt", "mine");
  write_floats(dir / "loose.raw", {1});
  REQUIRE(write_run_manifest(dir.string(), sample_manifest()).is_ok());

  auto cleared = clear_run_folder(dir.string());
  INFO(cleared.status().message());
  REQUIRE(cleared.is_ok());
  CHECK(*cleared == 5);
  for (int r = 0; r < 5; ++r) CHECK_FALSE(fs::exists(dir / result_folder_name(r)));
  CHECK_FALSE(fs::exists(dir / kRunManifestFile));
  CHECK(fs::exists(dir / "Result_empty"));  // not Result_<digits>
  CHECK(fs::exists(dir / "notes.txt"));
  CHECK(fs::exists(dir / "loose.raw"));
  CHECK(*clear_run_folder(dir.string()) == 0);
}

TEST_CASE("run folder: a Result folder holding anything net-run does not write is refused, nothing removed",
          "[io][run_folder]") {
  const fs::path dir = scratch_dir("io_run_foreign");
  write_floats(dir / "Result_0" / "prob.raw", {1});
  write_floats(dir / "Result_1" / "prob.raw", {1});
  write_text(dir / "Result_1" / "labels.txt", "3\n");
  REQUIRE(write_run_manifest(dir.string(), sample_manifest()).is_ok());
  Status s = clear_run_folder(dir.string()).status();
  CHECK(s.code() == StatusCode::kBadInput);
  CHECK(s.message().find((dir / "Result_1").string()) != std::string::npos);
  CHECK(s.message().find("labels.txt") != std::string::npos);
  CHECK(fs::exists(dir / "Result_0" / "prob.raw"));
  CHECK(fs::exists(dir / kRunManifestFile));

  fs::remove(dir / "Result_1" / "labels.txt");
  fs::create_directories(dir / "Result_1" / "sub");
  CHECK(clear_run_folder(dir.string()).status().message().find("'sub'") != std::string::npos);
  fs::remove(dir / "Result_1" / "sub");
  write_text(dir / "Result_2", "a file, not a folder");
  CHECK(clear_run_folder(dir.string()).status().message().find("is not a folder") != std::string::npos);
  fs::remove(dir / "Result_2");
  fs::create_directory_symlink(dir / "Result_0", dir / "Result_3");
  CHECK(clear_run_folder(dir.string()).status().message().find("is not a folder") != std::string::npos);
  CHECK(fs::exists(dir / "Result_0" / "prob.raw"));
}

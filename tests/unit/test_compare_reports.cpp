// SPDX-License-Identifier: Apache-2.0
// The reports: the text table is aligned and worst first, CSV quotes, JSON keeps infinities as
// strings, HTML escapes names and draws one SVG per chart. (The JSON schema and an HTML parser
// check the files end to end: tests/e2e/check_diff_report.py.)
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "compare/diff.h"
#include "compare/render.h"
#include "scratch_files.h"

using namespace qf;
using namespace qf::compare;
namespace fs = std::filesystem;
using testing::scratch_dir;
using testing::write_floats;

namespace {

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Three outputs with awkward names: identical, 14.77 dB, and 26.0 dB.
DiffReport sample_report(const std::string& name) {
  const fs::path dir = scratch_dir(name);
  auto pair = [&](const std::string& file, const std::vector<float>& g, const std::vector<float>& c) {
    write_floats(dir / "golden" / "Result_0" / file, g);
    write_floats(dir / "candidate" / "Result_0" / file, c);
  };
  pair("same.raw", {1, 2, 3, 4}, {1, 2, 3, 4});
  pair("a,b.raw", {1, 2, 3, 4}, {1, 2, 3, 5});
  pair("x<y.raw", {10, 2, 3, 4}, {10, 2, 3, 4.5});
  DiffOptions o;
  o.golden = (dir / "golden").string();
  o.candidate = (dir / "candidate").string();
  o.fail_below = *parse_fail_below("sqnr=20");
  auto r = run_diff(o);
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  return std::move(r).value();
}

}  // namespace

TEST_CASE("text report: aligned columns, worst first, inf for identical tensors", "[compare][report]") {
  const DiffReport r = sample_report("compare_report_text");
  const std::string text = render_text(r);
  const auto lines = lines_of(text);
  auto header = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.find("  tensor  verdict") == 0; });
  REQUIRE(header != lines.end());
  const size_t sqnr_end = header->find("sqnr_db") + std::string("sqnr_db").size();
  const std::vector<std::string> rows(header + 1, header + 4);
  CHECK(rows[0].find("a,b") == 2);  // 14.77 dB first
  CHECK(rows[1].find("x<y") == 2);
  CHECK(rows[2].find("same") == 2);
  for (const std::string& row : rows) {
    INFO(row);
    CHECK(row.size() >= sqnr_end);
    CHECK(row[sqnr_end] == ' ');  // numbers end where their header ends
    CHECK(row[sqnr_end - 1] != ' ');
  }
  CHECK(rows[0].find("14.77") != std::string::npos);
  CHECK(rows[2].find(" inf ") != std::string::npos);
  CHECK(text.find("sqnr=20: FAILED: output 'a,b': sqnr 14.7712 < 20") != std::string::npos);
  CHECK(text.find("\n  inputs           unknown: neither run has a qforge_run.json\n") != std::string::npos);
}

TEST_CASE("CSV report: a header, one row per tensor, RFC 4180 quoting", "[compare][report]") {
  const DiffReport r = sample_report("compare_report_csv");
  const auto lines = lines_of(render_csv(r));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].rfind("index,tensor,candidate,op,output,verdict,", 0) == 0);
  CHECK(lines[1].rfind("0,\"a,b\",\"a,b\",,yes,FAILED,1,4,14.7712125,", 0) == 0);
  CHECK(lines[2].rfind("1,same,same,,yes,PASSED,1,4,inf,1,0,0,0,1,", 0) == 0);  // layer order: by name
}

TEST_CASE("JSON report: structure, infinities as strings, the gate", "[compare][report]") {
  const DiffReport r = sample_report("compare_report_json");
  const auto j = nlohmann::json::parse(render_json(r));
  CHECK(j["format"] == "qforge.diff_report");
  CHECK(j["version"] == 2);
  CHECK(j["settings"]["sqnr_reference"] == "golden");
  REQUIRE(j["tensors"].size() == 3);
  CHECK(j["tensors"][1]["name"] == "same");
  CHECK(j["tensors"][1]["sqnr_db"] == "inf");
  CHECK(j["tensors"][0]["sqnr_db"].get<double>() == Approx(14.7712125));
  CHECK(j["tensors"][0]["encoding"].is_null());
  CHECK(j["tensors"][0]["top_k"]["k"] == 5);
  CHECK(j["gate"]["passed"] == false);
  CHECK(j["gate"]["fail_below"]["sqnr"] == 20.0);
  CHECK(j["gate"]["failures"][0]["reason"] == "below_minimum");
  CHECK(j["gate"]["failures"][0]["tensor"] == "a,b");
  CHECK(j["results"]["missing_outputs"].empty());
  CHECK(j["runs"]["same_inputs"].is_null());  // hand-made runs: no manifests
  CHECK(j["runs"]["golden"].is_null());
  CHECK(j["summary"]["first_divergent_layer"] == "a,b");
  CHECK(j["results"]["compared"] == nlohmann::json::array({0}));
}

TEST_CASE("HTML report: self-contained, escaped, one SVG per chart", "[compare][report]") {
  const DiffReport r = sample_report("compare_report_html");
  const std::string html = render_html(r);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(occurrences(html, "<svg ") == 2);
  CHECK(occurrences(html, "<rect ") == 2 * r.tensors.size());
  CHECK(html.find("x&lt;y") != std::string::npos);
  CHECK(html.find("x<y") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("href=") == std::string::npos);
  CHECK(html.find("threshold 20 dB") != std::string::npos);
  CHECK(html.find("gate failed") != std::string::npos);
}

TEST_CASE("HTML report: long layer names are cut in the middle on the chart axis, whole in the tooltip",
          "[compare][report]") {
  DiffReport r = sample_report("compare_report_html_long_names");
  const std::string long_name = "/features/features.2/conv/conv.0/Conv_output_0";  // 46 characters
  const std::string utf8_name = "layer_\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9_end";
  r.tensors[0].pair.golden_name = long_name;
  r.tensors[1].pair.golden_name = utf8_name;
  const std::string html = render_html(r);
  // 10 characters, the ellipsis, the last 11: what fits under the plot.
  CHECK(occurrences(html, ">/features/\u2026nv_output_0</text>") == 2);  // one per chart
  CHECK(occurrences(html, "<title>" + long_name + ": ") == 2);
  // A cut never splits a UTF-8 sequence: the head and the tail are whole characters.
  CHECK(html.find(">layer_\u00e9\u00e9\u2026\u00e9\u00e9\u00e9_end</text>") != std::string::npos);
}

TEST_CASE("report files are written only when asked, atomically, folders created", "[compare][report]") {
  const DiffReport r = sample_report("compare_report_files");
  const fs::path dir = scratch_dir("compare_report_files_out");
  ReportFiles files;
  files.json = (dir / "r.json").string();
  files.html = (dir / "r.html").string();
  REQUIRE(write_report_files(r, files).is_ok());
  CHECK(fs::exists(files.json));
  CHECK(fs::exists(files.html));
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 2);  // no CSV, no temporaries
  files.csv = (dir / "new" / "r.csv").string();
  REQUIRE(write_report_files(r, files).is_ok());
  CHECK(fs::exists(files.csv));
  testing::write_text(dir / "file", "");
  files.csv = (dir / "file" / "r.csv").string();  // a file where the folder should be
  const Status s = write_report_files(r, files);
  CHECK(s.code() == StatusCode::kBadInput);
  CHECK(s.message().find("file") != std::string::npos);
}

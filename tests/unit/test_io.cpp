// SPDX-License-Identifier: Apache-2.0
// Input lists (QNN syntax), raw tensors and tensor file names.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <fstream>
#include <memory>

#include "io/atomic_file.h"
#include "io/dims.h"
#include "io/input_layout.h"
#include "io/input_list.h"
#include "scratch_files.h"

using namespace qf;
namespace fs = std::filesystem;

using testing::scratch_dir;
using testing::write_floats;
using testing::write_text;

TEST_CASE("input list: named, positional, comments and output requests", "[io]") {
  fs::path dir = scratch_dir("io_list");
  write_text(dir / "list.txt",
             "#out1 out2\n"
             "%conv1/out:0\n"
             "\n"
             "a:=x0.raw b:=/abs/y0.raw\n"
             "   \n"
             "x1.raw y1.raw\n");
  auto list = read_input_list((dir / "list.txt").string());
  REQUIRE(list.is_ok());
  REQUIRE(list->inferences.size() == 2);
  CHECK(list->line_numbers == std::vector<int>{4, 6});
  CHECK(list->requested_tensors == std::vector<std::string>{"out1", "out2", "conv1/out:0"});
  CHECK(list->inferences[0][0].name == "a");
  CHECK(list->inferences[0][0].path == (dir / "x0.raw").string());
  CHECK(list->inferences[0][1].path == "/abs/y0.raw");
  CHECK(list->inferences[1][1].name.empty());
  CHECK(list->inferences[1][1].path == (dir / "y1.raw").string());
}

TEST_CASE("input list errors name the file", "[io]") {
  fs::path dir = scratch_dir("io_list_errors");
  write_text(dir / "empty.txt", "# only a comment\n\n");
  auto empty = read_input_list((dir / "empty.txt").string());
  REQUIRE_FALSE(empty.is_ok());
  CHECK(empty.status().message().find("empty.txt") != std::string::npos);
  auto missing = read_input_list((dir / "nope.txt").string());
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().code() == StatusCode::kBadInput);
  write_text(dir / "bad.txt", "a:= b.raw\n");
  auto bad = read_input_list((dir / "bad.txt").string());
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("bad.txt:1") != std::string::npos);
}

TEST_CASE("raw files must match the input's size exactly", "[io]") {
  fs::path dir = scratch_dir("io_raw");
  write_floats(dir / "ok.raw", {1, 2, 3, 4, 5, 6});
  write_floats(dir / "short.raw", {1, 2, 3});
  auto ok = read_raw_float((dir / "ok.raw").string(), {2, 3}, "x");
  REQUIRE(ok.is_ok());
  CHECK(ok->data<float>()[5] == 6.f);
  auto bad = read_raw_float((dir / "short.raw").string(), {2, 3}, "x");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().code() == StatusCode::kBadInput);
  CHECK(bad.status().message().find("12 bytes") != std::string::npos);
  CHECK(bad.status().message().find("needs 24") != std::string::npos);
  CHECK(bad.status().message().find("short.raw") != std::string::npos);
}

TEST_CASE("input lists and raw tensors parse from memory as from their files", "[io]") {
  auto list = parse_input_list("a:=x0.raw b:=/abs/y0.raw\n#out\n\nx1.raw\n", "/lists/list.txt");
  REQUIRE(list.is_ok());
  CHECK(list->path == "/lists/list.txt");
  CHECK(list->line_numbers == std::vector<int>{1, 4});
  CHECK(list->inferences[0][0].path == "/lists/x0.raw");
  CHECK(list->inferences[0][1].path == "/abs/y0.raw");
  CHECK(list->requested_tensors == std::vector<std::string>{"out"});
  CHECK(parse_input_list("x:=\n", "l.txt").status().message().find("l.txt:1") != std::string::npos);

  const std::vector<float> values{1.5f, -2.f, 300.f, 4.f};
  const std::string bytes(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  auto t = parse_raw_float(bytes, {2, 2}, "in.raw", "x");
  REQUIRE(t.is_ok());
  CHECK(t->data<float>()[2] == 300.f);
  auto codes = parse_raw_float(bytes, {4}, "in.raw", "x", DType::kS64);
  REQUIRE(codes.is_ok());
  CHECK(codes->to_int_vector() == std::vector<int64_t>{1, -2, 300, 4});
  // NaN and out-of-range values convert as ONNX's Cast does, not as an undefined static_cast.
  const std::vector<float> odd{std::nanf(""), 3e38f, -2.5f, 1e10f};
  const std::string odd_bytes(reinterpret_cast<const char*>(odd.data()), odd.size() * sizeof(float));
  auto s64 = parse_raw_float(odd_bytes, {4}, "odd.raw", "x", DType::kS64);
  REQUIRE(s64.is_ok());
  CHECK(s64->to_int_vector() ==
        std::vector<int64_t>{0, std::numeric_limits<int64_t>::max(), -2, int64_t{10000000000}});
  auto wrong = parse_raw_float(bytes, {3}, "in.raw", "x");
  REQUIRE_FALSE(wrong.is_ok());
  CHECK(wrong.status().message().find("'in.raw' has 16 bytes") != std::string::npos);
  CHECK(wrong.status().message().find("needs 12") != std::string::npos);
}

TEST_CASE("tensor file names are reversible and contain no path separators", "[io]") {
  for (std::string name : {"conv1/out:0", "plain", "100%", "a\\b", ".", "..", "x%2Fy"}) {
    const std::string file = tensor_file_name(name);
    CHECK(file.find('/') == std::string::npos);
    CHECK(file.find(':') == std::string::npos);
    CHECK(file != ".");
    CHECK(file != "..");
    CHECK(tensor_name_from_file(file) == name);
  }
  CHECK(tensor_file_name("conv1/out:0") == "conv1%2Fout%3A0");
}

TEST_CASE("raw files of unknown shape are read whole, in float32 units", "[io]") {
  fs::path dir = scratch_dir("io_raw_values");
  write_floats(dir / "v.raw", {1.5f, -2.f, 3.f});
  write_text(dir / "odd.raw", "12345");
  auto v = read_raw_float_values((dir / "v.raw").string());
  REQUIRE(v.is_ok());
  CHECK(*v == std::vector<float>{1.5f, -2.f, 3.f});
  auto odd = read_raw_float_values((dir / "odd.raw").string());
  REQUIRE_FALSE(odd.is_ok());
  CHECK(odd.status().code() == StatusCode::kBadInput);
  CHECK(odd.status().message().find("5 bytes") != std::string::npos);
  auto missing = read_raw_float_values((dir / "none.raw").string());
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().message().find("none.raw") != std::string::npos);
}

TEST_CASE("atomic writes leave only the final file", "[io]") {
  fs::path dir = scratch_dir("io_atomic");
  const std::string path = (dir / "out.bin").string();
  REQUIRE(write_file_atomic(path, "hello").is_ok());
  REQUIRE(write_file_atomic(path, "bye").is_ok());
  std::ifstream in(path);
  std::string content;
  in >> content;
  CHECK(content == "bye");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  CHECK_FALSE(write_file_atomic((dir / "no_such_dir" / "x").string(), "x").is_ok());
}

TEST_CASE("dims: comma-separated positive integers, anything else a usage error", "[io]") {
  auto ok = parse_dims("1,3,224,224");
  REQUIRE(ok.is_ok());
  CHECK(*ok == Shape{1, 3, 224, 224});
  for (const char* bad : {"", "1,x,3", "1,,3", "1,3,", ",1", "0", "1,-2", " 1", "1 ,2", "1234567890123"}) {
    INFO(bad);
    auto r = parse_dims(bad);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == StatusCode::kUsage);
    CHECK(r.status().message().find('\n') == std::string::npos);
  }
  CHECK(parse_dims("1,0").status().message() == "dimension 0 in '1,0' must be positive");
}

TEST_CASE("input_dim pairs: name -> shape; errors name the flag and the input", "[io]") {
  auto ok = parse_input_dims({"x", "2,4", "y", "1"});
  REQUIRE(ok.is_ok());
  CHECK(ok->size() == 2);
  CHECK(ok->at("x") == Shape{2, 4});
  CHECK(ok->at("y") == Shape{1});
  CHECK(parse_input_dims({})->empty());

  auto message = [](const std::vector<std::string>& pairs) {
    auto r = parse_input_dims(pairs);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == StatusCode::kUsage);
    return r.status().message();
  };
  CHECK(message({"x", "1,x,3"}) == "--input_dim x: '1,x,3' is not a comma-separated list of positive dimensions");
  CHECK(message({"x", ""}) == "--input_dim x: '' is not a comma-separated list of positive dimensions");
  CHECK(message({"x", "2,4", "y"}) == "--input_dim y: DIMS missing after the name");
  CHECK(message({"", "2,4"}) == "--input_dim: the input name is empty");
  CHECK(message({"x", "2,4", "x", "3,4"}) == "--input_dim x is given twice");
}

namespace {

// A graph of one input `x` of `shape` (float32), enough for the input-list checks.
std::unique_ptr<Graph> graph_with_input(const Shape& shape) {
  auto g = std::make_unique<Graph>();
  Value* x = *g->add_value("x");
  x->type = {DType::kF32, shape, true};
  g->inputs().push_back(x);
  return g;
}

}  // namespace

TEST_CASE("every input file of a list is checked before any is read, with a dtype hint", "[io]") {
  fs::path dir = scratch_dir("io_check_inputs");
  const auto g = graph_with_input({2, 4});
  write_floats(dir / "ok.raw", std::vector<float>(8));
  write_floats(dir / "float64.raw", std::vector<float>(16));
  write_floats(dir / "float16.raw", std::vector<float>(4));
  write_floats(dir / "uint8.raw", std::vector<float>(2));
  write_floats(dir / "odd.raw", std::vector<float>(3));
  auto check = [&](const std::string& text, size_t lines) {
    write_text(dir / "list.txt", text);
    auto list = read_input_list((dir / "list.txt").string());
    REQUIRE(list.is_ok());
    return check_input_files(*list, *g, lines);
  };
  CHECK(check("ok.raw\nok.raw\n", 2).is_ok());
  // Line 3 is missing: found before anything runs, the line named.
  const Status missing = check("ok.raw\nok.raw\nno_such.raw\n", 3);
  CHECK(missing.code() == StatusCode::kBadInput);
  CHECK(missing.message().find("list.txt:3: raw file") != std::string::npos);
  CHECK(missing.message().find("no_such.raw' for input 'x' does not exist") != std::string::npos);
  // Only the lines that will run are checked (--num_inferences, --max_calibration_samples).
  CHECK(check("ok.raw\nok.raw\nno_such.raw\n", 2).is_ok());
  CHECK(check("x:=ok.raw\ny:=ok.raw\n", 2).message().find("list.txt:2: the model has no input 'y'") !=
        std::string::npos);
  CHECK(check("ok.raw\nfloat64.raw\n", 2).message().find("(it holds 2x the bytes of float32 [2,4]: float64?)") !=
        std::string::npos);
  CHECK(check("float16.raw\n", 1).message().find("1/2 the bytes of float32 [2,4]: float16?") != std::string::npos);
  CHECK(check("uint8.raw\n", 1).message().find("1/4 the bytes of float32 [2,4]: uint8 or int8?") != std::string::npos);
  const Status odd = check("odd.raw\n", 1);
  CHECK(odd.message().find("has 12 bytes; input 'x' [2,4] float32 needs 32") != std::string::npos);
  CHECK(odd.message().find("holds") == std::string::npos);
}

TEST_CASE("check_writable tries the temporary a write would make, and leaves nothing", "[io]") {
  fs::path dir = scratch_dir("io_check_writable");
  CHECK(check_writable((dir / "out.bin").string()).is_ok());
  CHECK(fs::is_empty(dir));
  fs::create_directories(dir / "folder");
  CHECK(check_writable((dir / "folder").string()).message() == fmt::format("cannot write '{}': it is a folder",
                                                                           (dir / "folder").string()));
  const Status no_folder = check_writable((dir / "no_such_folder" / "out.bin").string());
  CHECK(no_folder.code() == StatusCode::kBadInput);
  CHECK(no_folder.message().find("No such file or directory") != std::string::npos);
  // A name the file system takes, whose temporary it does not (NAME_MAX is 255 on Linux).
  const std::string long_name(250, 'n');
  CHECK(check_writable((dir / long_name).string()).message().find("File name too long") != std::string::npos);
  write_text(dir / "a_file", "x");
  CHECK_FALSE(check_writable((dir / "a_file" / "out.bin").string()).is_ok());
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 2);
}

TEST_CASE("input layouts: NAME NCHW|NHWC pairs, errors that name the flag and the input", "[io]") {
  auto ok = parse_input_layouts({"image", "NHWC", "mask", "NCHW"});
  REQUIRE(ok.is_ok());
  CHECK(ok->at("image") == InputLayout::kNHWC);
  CHECK(ok->at("mask") == InputLayout::kNCHW);
  CHECK(parse_input_layouts({"image", "nhwc"}).status().message() ==
        "--input_layout image: 'nhwc' is not a layout qforge reads (NCHW, NHWC)");
  CHECK(parse_input_layouts({"image"}).status().message() ==
        "--input_layout image: LAYOUT missing after the name (NCHW or NHWC)");
  CHECK(parse_input_layouts({"image", "NHWC", "image", "NCHW"}).status().message() ==
        "--input_layout image is given twice");
  CHECK(parse_input_layouts({"", "NHWC"}).status().code() == StatusCode::kUsage);
}

TEST_CASE("NHWC raw files are transposed to the model's NCHW at load", "[io]") {
  fs::path dir = scratch_dir("io_nhwc");
  const auto g = graph_with_input({1, 2, 2, 3});  // N=1 C=2 H=2 W=3
  std::vector<float> nchw(12);
  for (size_t i = 0; i < nchw.size(); ++i) nchw[i] = static_cast<float>(i);
  // The same values channels last: element (h, w, c) of NHWC is element (c, h, w) of NCHW.
  std::vector<float> nhwc(12);
  for (int c = 0; c < 2; ++c)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 3; ++w)
        nhwc[static_cast<size_t>((h * 3 + w) * 2 + c)] = nchw[static_cast<size_t>((c * 2 + h) * 3 + w)];
  write_floats(dir / "nhwc.raw", nhwc);
  write_text(dir / "list.txt", "x:=nhwc.raw\n");
  auto list = read_input_list((dir / "list.txt").string());
  REQUIRE(list.is_ok());
  auto plain = load_inference_inputs(*list, 0, *g);
  REQUIRE(plain.is_ok());
  CHECK(plain->front().to_float_vector() == nhwc);  // without the flag: read as is (the silent mistake)
  list->layouts = {{"x", InputLayout::kNHWC}};
  REQUIRE(check_input_files(*list, *g, 1).is_ok());
  auto transposed = load_inference_inputs(*list, 0, *g);
  REQUIRE(transposed.is_ok());
  CHECK(transposed->front().shape() == Shape{1, 2, 2, 3});
  CHECK(transposed->front().to_float_vector() == nchw);
  list->layouts = {{"y", InputLayout::kNHWC}};
  CHECK(check_input_files(*list, *g, 1).message() == "--input_layout: the model has no input 'y' (its inputs: x)");
  const auto flat = graph_with_input({2, 6});
  list->layouts = {{"x", InputLayout::kNHWC}};
  const Status not_4d = check_input_files(*list, *flat, 1);
  CHECK(not_4d.code() == StatusCode::kUsage);
  CHECK(not_4d.message() == "--input_layout x: the input is [2,6], not 4-D (N,C,H,W)");
}

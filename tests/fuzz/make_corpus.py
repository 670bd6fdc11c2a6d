#!/usr/bin/python3
"""Write the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/ (committed).

usage: make_corpus.py BUILD_DIR

BUILD_DIR is the normal build (scripts/setup.sh): its qforge-onnx-converter makes the packages and
its tests/e2e/data holds the tiny models of scripts/make_test_models.py. Also reads calib/, the
ONNX backend node tests of libonnx-testdata and tests/data/. Deterministic; run it with Debian's
/usr/bin/python3 (python3-onnx, numpy). tests/fuzz/README.md says what each seed is for.
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests/fuzz/corpus"
NODE_TESTS = Path("/usr/share/libonnx-testdata/data/node")
OPS_DEF = REPO / "lib/ir/ops.def"
MIN_OPSET = 7  # kMinOpset, lib/ir/op_kind.h
# The qgraph target's framing (tests/fuzz/qgraph.cpp).
BLOB_MARKER = b"\n--qforge-blob--\n"
SIZE_PLACEHOLDER = "@BLOB_SIZE@"
SHA_PLACEHOLDER = "@BLOB_SHA256@"
# The onnx_import target's scratch folder holds weights.bin: bytes 0..255.
FUZZ_WEIGHTS_FILE = "weights.bin"


def fresh(target: str) -> Path:
    d = CORPUS / target
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def node_test_dir(op: str) -> Path | None:
    """The smallest backend node test of an op: test_<op> itself when it exists."""
    stem = {"BatchNormalization": "batchnorm", "ReduceMean": "reduce_mean"}.get(op, op.lower())
    exact = NODE_TESTS / f"test_{stem}"
    if (exact / "model.onnx").exists():
        return exact
    pattern = re.compile(rf"^test_{stem}_(?!.*(expanded|training|FLOAT16|BFLOAT16|STRING|uint8|int8))")
    candidates = [d for d in NODE_TESTS.iterdir() if pattern.match(d.name) and (d / "model.onnx").exists()]
    return min(candidates, key=lambda d: ((d / "model.onnx").stat().st_size, d.name), default=None)


def node_test_seed(d: Path) -> bytes:
    """A node test's model as qforge takes it: shape-like inputs (int64, or Resize's scales) become
    initializers holding the test's values, and an opset below qforge's oldest is raised to it (the
    ops picked mean the same there)."""
    model = onnx.load(d / "model.onnx")
    graph = model.graph
    op = graph.node[0].op_type
    for i, vi in reversed(list(enumerate(graph.input))):
        frozen = vi.type.tensor_type.elem_type == TensorProto.INT64 or (op in ("Resize", "Upsample") and i > 0)
        if not frozen:
            continue
        value = TensorProto()
        value.ParseFromString((d / f"test_data_set_0/input_{i}.pb").read_bytes())
        value.name = vi.name
        graph.initializer.append(value)
        del graph.input[i]
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = max(opset.version, MIN_OPSET)
    return model.SerializeToString()


def external_data_model() -> bytes:
    """MatMul by a 4x4 float initializer stored in weights.bin at offset 64."""
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4, 4])
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", FUZZ_WEIGHTS_FILE), ("offset", "64"), ("length", "64")):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "external",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def onnx_import(e2e: Path) -> None:
    out = fresh("onnx_import")
    shutil.copy(REPO / "calib/mnist/mnist.onnx", out / "mnist.onnx")
    for name in ("small", "dynamic", "opset18", "unsupported"):
        shutil.copy(e2e / f"{name}.onnx", out / f"e2e_{name}.onnx")
    (out / "external_weights.onnx").write_bytes(external_data_model())
    ops = re.findall(r'^QF_(?:OP|ALIAS)\(\w+, "(\w+)"', OPS_DEF.read_text(), re.M)
    for op in ops:
        d = node_test_dir(op)
        if d is not None:
            (out / f"node_{d.name[len('test_'):]}.onnx").write_bytes(node_test_seed(d))


def overrides(converter_dump: Path) -> None:
    out = fresh("overrides")
    # The QAT encodings of calib/fashion (AIMET 0.6.1, legacy), cut to two of its weights.
    fashion = json.loads((REPO / "calib/fashion/model_fp32.encodings.json").read_text())
    fashion["param_encodings"] = {k: fashion["param_encodings"][k] for k in ("stem.0.weight", "fc.weight")}
    (out / "fashion_legacy_0.6.1.json").write_text(json.dumps(fashion, indent=1) + "\n")
    # What qforge itself writes (--dump_encoding_json), per-channel weights included.
    shutil.copy(converter_dump, out / "mnist_dump_encoding_json.json")
    legacy = {
        "version": "0.6.1",
        "activation_encodings": {
            "x": [{"bitwidth": 8, "dtype": "int", "is_symmetric": "False", "min": -1.0, "max": 2.0}],
            "kept_float": [{"dtype": "float"}],
            "sym16": [{"bitwidth": 16, "is_symmetric": "True", "scale": 0.001, "offset": -32768}],
        },
        "param_encodings": {
            "w": [{"bitwidth": 4, "is_symmetric": True, "scale": 0.5, "offset": -8},
                  {"bitwidth": 4, "is_symmetric": True, "scale": 0.25, "offset": -8}],
        },
    }
    (out / "legacy_min_max_float_sym.json").write_text(json.dumps(legacy, indent=1) + "\n")
    (out / "legacy_no_version.json").write_text(
        '{"activation_encodings": {"a": [{"bitwidth": 8, "scale": 0.1, "offset": -3}]}}\n')
    v1 = {
        "version": "1.0.0",
        "activation_encodings": [
            {"name": "x", "enc_type": "PER_TENSOR", "dtype": "INT", "bw": 8, "is_sym": False,
             "scale": [0.0078125], "offset": [-128]},
            {"name": "kept_float", "dtype": "FLOAT", "bw": 16},
        ],
        "param_encodings": [
            {"name": "conv.weight", "enc_type": "PER_CHANNEL", "dtype": "INT", "bw": 8, "is_sym": True,
             "scale": [0.01, 0.02, 0.03], "offset": [-128, -128, -128]},
            {"name": "fc.bias", "enc_type": "PER_TENSOR", "dtype": "INT", "bw": 32, "is_sym": True,
             "scale": [1e-05], "offset": [-2147483648]},
        ],
    }
    (out / "aimet_1.0.0.json").write_text(json.dumps(v1, indent=1) + "\n")


def input_list(e2e: Path, mnist_list: Path) -> None:
    out = fresh("input_list")
    for name in ("small_list", "dynamic_b1_list", "list_unknown_input"):
        shutil.copy(e2e / f"{name}.txt", out / f"e2e_{name}.txt")
    lines = mnist_list.read_text().splitlines()
    (out / "mnist_input_list.txt").write_text("\n".join(lines[:4]) + "\n")
    (out / "outputs_and_comments.txt").write_text(
        "#Plus214_Output_0,Convolution28_Output_0\n%conv1/out:0 pool\n\n"
        "Input3:=raw/00000.raw\n   \t\nInput3:=/abs/raw/00001.raw\n")
    (out / "multi_input_positional.txt").write_text("a.raw b.raw\r\nx:=../up/c.raw y:=d.raw\r\n\tz.raw\n")
    (out / "malformed_entry.txt").write_text("a:= b.raw\n:=c.raw\n")


def raw_tensor(mnist_raw: Path) -> None:
    out = fresh("raw_tensor")
    for i in range(3):
        shutil.copy(mnist_raw / f"{i:05d}.raw", out / f"mnist_{i:05d}.raw")
    # Values the conversions to integer and half dtypes must survive.
    special = np.array([np.nan, np.inf, -np.inf, 3e38, -3e38, 1e10, -1e10, 65520.0, 2.5, -0.5, 0.0, -0.0,
                        1e-45, 255.5, -129.0, 2147483648.0], dtype="<f4")
    np.resize(special, 28 * 28).astype("<f4").tofile(out / "special_values.raw")
    np.zeros(27 * 28, dtype="<f4").tofile(out / "wrong_size.raw")


def framed_package(qgraph: Path) -> bytes:
    doc = json.loads(qgraph.read_text())
    doc["blob"]["size"] = SIZE_PLACEHOLDER
    doc["blob"]["sha256"] = SHA_PLACEHOLDER
    text = json.dumps(doc, separators=(",", ":")).replace(f'"{SIZE_PLACEHOLDER}"', SIZE_PLACEHOLDER)
    return text.encode() + BLOB_MARKER + (qgraph.parent / doc["blob"]["file"]).read_bytes()


def qgraph(packages: dict[str, Path]) -> None:
    out = fresh("qgraph")
    for name, path in packages.items():
        (out / f"{name}.qgraph").write_bytes(framed_package(path))
    # qforge-diff's hand-made qgraph (no blob): the JSON-only framing.
    shutil.copy(REPO / "tests/data/diff/model.qgraph.json", out / "diff_fixture_no_blob.qgraph")


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build = Path(sys.argv[1]).resolve()
    converter = build / "tools/qforge-onnx-converter"
    e2e = build / "tests/e2e/data"
    with tempfile.TemporaryDirectory(prefix="qforge_fuzz_corpus_") as tmp_name:
        tmp = Path(tmp_name)
        subprocess.run([sys.executable, REPO / "scripts/prepare_images.py", "--dataset", "mnist", "--count", "8",
                        "--src", REPO / "calib/mnist", "--out", tmp / "mnist"], check=True, stdout=subprocess.DEVNULL)
        shutil.copy(REPO / "calib/mnist/mnist.onnx", tmp / "mnist.onnx")
        # Relative paths: the qgraph records its command line, which must not name this machine's folders.
        variants = {
            "mnist_int8": [],
            "mnist_per_channel_w4": ["--use_per_channel_quantization", "--weight_bw", "4",
                                     "--dump_encoding_json", "per_channel_w4/encodings.json"],
            "mnist_a16_per_row": ["--act_bw", "16", "--use_per_row_quantization", "--bias_bw", "8"],
        }
        packages = {}
        for name, flags in variants.items():
            folder = name.removeprefix("mnist_")
            subprocess.run([converter, "--input_network", "mnist.onnx", "--input_list", "mnist/input_list.txt",
                            "--output_path", f"{folder}/model.qgraph.json", "--quiet", *flags],
                           cwd=tmp, check=True)
            packages[name] = tmp / folder / "model.qgraph.json"
        onnx_import(e2e)
        overrides(tmp / "per_channel_w4/encodings.json")
        input_list(e2e, tmp / "mnist/input_list.txt")
        raw_tensor(tmp / "mnist/raw")
        qgraph(packages)
    for d in sorted(CORPUS.iterdir()):
        files = list(d.iterdir())
        print(f"{d.name}: {len(files)} files, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Write the tiny models, inputs and input lists that the end-to-end tests (tests/e2e) use.

usage: make_test_models.py OUTDIR

Every model that runs comes with its inputs and the outputs numpy computes for them
(<model>_expected/Result_N/<output>.raw), so a test can compare qforge-net-run with them.
Deterministic: the same files every run. Needs Debian's python3-onnx (1.12) and numpy; run it
with /usr/bin/python3. The build runs it (tests/e2e/CMakeLists.txt); nothing it writes is committed.

  small.onnx            Conv 3x3 + Relu + GlobalAveragePool + Flatten + Gemm, data [1,3,8,8] -> logits [1,5]
  opset18.onnx          IR 9 / opset 18 forms: Pad (axes input), Resize (scales input), Split (num_outputs),
                        ReduceMean (axes input); not checked (the 1.12 checker rejects IR 9)
  unsupported.onnx      a valid model with two ops qforge does not support: TopK and NonMaxSuppression
  external.onnx         an initializer in external.bin (at an offset)
  external_missing.onnx the same initializer in missing_weights.bin, which does not exist
  dynamic.onnx          x [N,4] -> MatMul + Add -> y [N,3]; inputs for N = 1 and N = 2
  random.onnx           random bytes;  truncated.onnx: the first half of small.onnx
  list_*.txt, bad_size.raw, not_a_folder: inputs for the bad-input tests
"""

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20240601
OPSET = 13


def f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def save_raw(path: Path, a) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.ascontiguousarray(a, dtype="<f4").tofile(path)


def save_model(out: Path, name: str, graph, opset=OPSET, ir_version=None, check=True) -> onnx.ModelProto:
    model = helper.make_model(graph, producer_name="qforge make_test_models.py",
                              opset_imports=[helper.make_opsetid("", opset)])
    if ir_version is not None:
        model.ir_version = ir_version
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, str(out / name))
    return model


def write_case(out: Path, stem: str, input_name: str, inputs, expected) -> None:
    """inputs: list of arrays (one per inference); expected: list of {output name: array}."""
    lines = []
    for i, x in enumerate(inputs):
        save_raw(out / f"{stem}_in{i}.raw", x)
        lines.append(f"{input_name}:={stem}_in{i}.raw\n")
    (out / f"{stem}_list.txt").write_text("".join(lines))
    for i, outputs in enumerate(expected):
        for name, value in outputs.items():
            save_raw(out / f"{stem}_expected" / f"Result_{i}" / f"{name}.raw", value)


def conv2d(x, w, b, pad):
    """NCHW convolution, stride 1, symmetric zero padding (float64 accumulation)."""
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, o, oh, ow))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + oh, j:j + ow], w[:, :, i, j])
    return y + b[None, :, None, None]


def make_small(out: Path, rng) -> None:
    w = f32(rng.normal(0, 0.5, (4, 3, 3, 3)))
    b = f32(rng.normal(0, 0.1, 4))
    gw = f32(rng.normal(0, 0.5, (5, 4)))
    gb = f32(rng.normal(0, 0.1, 5))
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["data", "conv_w", "conv_b"], ["conv"], name="conv",
                             kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
            helper.make_node("GlobalAveragePool", ["relu"], ["pool"], name="pool"),
            helper.make_node("Flatten", ["pool"], ["flat"], name="flatten"),
            helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
        ],
        "small",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 5])],
        [numpy_helper.from_array(w, "conv_w"), numpy_helper.from_array(b, "conv_b"),
         numpy_helper.from_array(gw, "fc_w"), numpy_helper.from_array(gb, "fc_b")],
    )
    save_model(out, "small.onnx", graph)
    inputs = [f32(rng.uniform(-1, 1, (1, 3, 8, 8))) for _ in range(2)]
    expected = []
    for x in inputs:
        pooled = np.maximum(conv2d(x, w, b, 1), 0).mean(axis=(2, 3))
        expected.append({"logits": pooled @ gw.T.astype(np.float64) + gb})
    write_case(out, "small", "data", inputs, expected)
    # The same inputs channels last, for --input_layout data NHWC (their outputs are small_expected).
    for i, x in enumerate(inputs):
        save_raw(out / f"small_nhwc_in{i}.raw", x.transpose(0, 2, 3, 1))
    (out / "small_nhwc_list.txt").write_text("".join(f"data:=small_nhwc_in{i}.raw\n" for i in range(len(inputs))))


def make_opset18(out: Path, rng) -> None:
    # Opset-18 forms, written by hand: the 1.12 helpers and checker know opsets <= 17 only.
    pads = np.array([0, 1, 1, 0], dtype=np.int64)  # axes 2,3: begin H, begin W, end H, end W
    pad_value = f32(0.5)
    scales = f32([1, 1, 2, 2])
    graph = helper.make_graph(
        [
            helper.make_node("Pad", ["x", "pads", "pad_value", "pad_axes"], ["padded"], name="pad", mode="constant"),
            helper.make_node("Resize", ["padded", "", "scales"], ["resized"], name="resize", mode="nearest",
                             coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
            helper.make_node("Split", ["resized"], ["half0", "part"], name="split", axis=1, num_outputs=2),
            helper.make_node("ReduceMean", ["half0", "mean_axes"], ["mean"], name="mean", keepdims=0),
        ],
        "opset18",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3, 4])],
        [helper.make_tensor_value_info("mean", TensorProto.FLOAT, [1, 1]),
         helper.make_tensor_value_info("part", TensorProto.FLOAT, [1, 1, 8, 10])],
        [numpy_helper.from_array(pads, "pads"), numpy_helper.from_array(pad_value, "pad_value"),
         numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "pad_axes"),
         numpy_helper.from_array(scales, "scales"),
         numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "mean_axes")],
    )
    save_model(out, "opset18.onnx", graph, opset=18, ir_version=9, check=False)
    x = f32(rng.uniform(-1, 1, (1, 2, 3, 4)))
    padded = np.pad(x, ((0, 0), (0, 0), (0, 1), (1, 0)), constant_values=0.5)
    resized = padded.repeat(2, axis=2).repeat(2, axis=3)
    write_case(out, "opset18", "x", [x],
               [{"mean": resized[:, :1].astype(np.float64).mean(axis=(2, 3)), "part": resized[:, 1:]}])


def make_unsupported(out: Path, rng) -> None:
    boxes = f32(rng.uniform(0, 1, (1, 8, 4)))
    graph = helper.make_graph(
        [
            helper.make_node("Relu", ["scores"], ["relu"], name="relu"),
            helper.make_node("TopK", ["relu", "k"], ["top_values", "top_indices"], name="topk", axis=-1),
            helper.make_node("NonMaxSuppression", ["boxes", "scores"], ["selected"], name="nms"),
        ],
        "unsupported",
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1, 8])],
        [helper.make_tensor_value_info("top_values", TensorProto.FLOAT, [1, 1, 3]),
         helper.make_tensor_value_info("selected", TensorProto.INT64, ["num_selected", 3])],
        [numpy_helper.from_array(np.array([3], dtype=np.int64), "k"), numpy_helper.from_array(boxes, "boxes")],
    )
    save_model(out, "unsupported.onnx", graph)
    write_case(out, "unsupported", "scores", [f32(rng.uniform(0, 1, (1, 1, 8)))], [])


def make_external(out: Path, rng) -> None:
    w = f32(rng.normal(0, 1, 4))
    skip = 16  # the tensor does not start the file: the importer must honour "offset"
    (out / "external.bin").write_bytes(b"\0" * skip + w.astype("<f4").tobytes())
    for name, location in (("external.onnx", "external.bin"), ("external_missing.onnx", "missing_weights.bin")):
        tensor = TensorProto(name="bias", data_type=TensorProto.FLOAT, dims=[4],
                             data_location=TensorProto.EXTERNAL)
        for key, value in (("location", location), ("offset", str(skip)), ("length", str(w.nbytes))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        graph = helper.make_graph(
            [helper.make_node("Add", ["x", "bias"], ["y"], name="add")], "external",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [tensor])
        # The 1.12 checker looks for external files next to the cwd, not the model: skip it.
        save_model(out, name, graph, check=False)
    x = f32(rng.uniform(-1, 1, (1, 4)))
    write_case(out, "external", "x", [x], [{"y": x + w}])


def make_dynamic(out: Path, rng) -> None:
    w = f32(rng.normal(0, 1, (4, 3)))
    b = f32(rng.normal(0, 1, 3))
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"], name="matmul"),
         helper.make_node("Add", ["xw", "b"], ["y"], name="add")],
        "dynamic",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    save_model(out, "dynamic.onnx", graph)
    for batch in (1, 2):
        x = f32(rng.uniform(-1, 1, (batch, 4)))
        write_case(out, f"dynamic_b{batch}", "x", [x], [{"y": x.astype(np.float64) @ w + b}])


def make_bad_inputs(out: Path, rng) -> None:
    (out / "random.onnx").write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    small = (out / "small.onnx").read_bytes()
    (out / "truncated.onnx").write_bytes(small[:len(small) // 2])
    save_raw(out / "bad_size.raw", np.zeros(25, np.float32))  # 100 bytes; small's data needs 768
    lists = {
        "list_bad_size.txt": "data:=bad_size.raw\n",
        "list_unknown_input.txt": "no_such_input:=small_in0.raw\n",
        "list_empty.txt": "",
        "list_missing_raw.txt": "data:=no_such_file.raw\n",
        # Line 2 is missing: net-run must find it before the first inference (no Result_0 left).
        "list_missing_second.txt": "data:=small_in0.raw\ndata:=no_such_file.raw\n",
    }
    for name, text in lists.items():
        (out / name).write_text(text)
    (out / "not_a_folder").write_text("a file, so no folder can be made under it\n")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    make_small(out, rng)
    make_opset18(out, rng)
    make_unsupported(out, rng)
    make_external(out, rng)
    make_dynamic(out, rng)
    make_bad_inputs(out, rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())

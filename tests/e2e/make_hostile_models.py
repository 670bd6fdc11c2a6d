#!/usr/bin/python3
"""Hostile inputs for the hardening tests (tests/e2e/hostile.cmake).

usage: make_hostile_models.py OUTDIR

Models that are well-formed protobuf but lie or loop (shapes past 2^63 or past any machine's
memory, impossible reshapes, cycles, dangling tensors, duplicate producers), a 100 000-node
chain that must simply work, overrides files with non-finite numbers and bad bitwidths, and
calibration data holding NaN. Written with onnx.helper and without the checker (it would
refuse most of them).
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

OPSET = 13
CHAIN_LENGTH = 100_000


def save(out: Path, name: str, nodes, inputs, outputs, initializers=(), opset=OPSET) -> None:
    graph = helper.make_graph(nodes, name.split(".")[0], inputs, outputs, list(initializers))
    model = helper.make_model(graph, producer_name="qforge make_hostile_models.py",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8 if opset >= 15 else 7
    (out / name).write_bytes(model.SerializeToString())


def vi(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    # 2^31 cubed overflows int64; 2^20 x 2^20 x 4 bytes is 4 TiB, past any machine's memory.
    save(out, "shape_overflow.onnx", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
         [vi("x", [2**31, 2**31, 2**31])], [vi("y", None)])
    save(out, "shape_past_memory.onnx", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
         [vi("x", [2**20, 2**20])], [vi("y", None)])
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**30, 2**30])  # and no data
    save(out, "huge_initializer.onnx", [helper.make_node("Add", ["x", "w"], ["y"], name="add")],
         [vi("x", [1, 1])], [vi("y", None)], [huge])
    neg = helper.make_tensor("shape", TensorProto.INT64, [2], [4, -2])
    save(out, "negative_reshape.onnx", [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
         [vi("x", [1, 16])], [vi("y", None)], [neg])
    bad = helper.make_tensor("shape", TensorProto.INT64, [2], [3, 5])
    save(out, "impossible_reshape.onnx", [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
         [vi("x", [1, 16])], [vi("y", None)], [bad])
    w = helper.make_tensor("w", TensorProto.FLOAT, [1, 1, 5, 5], np.ones(25, np.float32).tolist())
    save(out, "kernel_past_input.onnx", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
         [vi("x", [1, 1, 2, 2])], [vi("y", None)], [w])
    save(out, "zero_dim_conv.onnx", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
         [vi("x", [1, 1, 0, 8])], [vi("y", None)], [w])
    save(out, "cycle.onnx", [helper.make_node("Relu", ["b"], ["a"], name="first"),
                             helper.make_node("Add", ["a", "x"], ["b"], name="second")],
         [vi("x", [1, 4])], [vi("b", None)])
    save(out, "dangling.onnx", [helper.make_node("Add", ["x", "nobody_makes_this"], ["y"], name="add")],
         [vi("x", [1, 4])], [vi("y", None)])
    save(out, "duplicate_output.onnx", [helper.make_node("Relu", ["x"], ["y"], name="relu"),
                                        helper.make_node("Sigmoid", ["x"], ["y"], name="sigmoid")],
         [vi("x", [1, 4])], [vi("y", None)])
    # Transformer ops given shapes or equations that cannot work.
    save(out, "einsum_unknown_label.onnx",
         [helper.make_node("Einsum", ["x", "x"], ["y"], name="einsum", equation="bij,bkj->bil")],
         [vi("x", [1, 4, 4])], [vi("y", None)])
    gamma = helper.make_tensor("gamma", TensorProto.FLOAT, [4], np.ones(4, np.float32).tolist())
    save(out, "layer_norm_scale_shape.onnx",
         [helper.make_node("LayerNormalization", ["x", "gamma"], ["y"], name="ln", axis=-1)],
         [vi("x", [1, 4, 8])], [vi("y", None)], [gamma], opset=17)
    mask = helper.make_tensor("mask", TensorProto.BOOL, [1, 1, 3, 3], [True, False, False] * 3)
    ninf = helper.make_tensor("ninf", TensorProto.FLOAT, [], [-np.inf])
    save(out, "mask_shape.onnx",
         [helper.make_node("Where", ["mask", "ninf", "x"], ["y"], name="masked_fill"),
          helper.make_node("Softmax", ["y"], ["p"], name="softmax", axis=-1)],
         [vi("x", [1, 1, 4, 4])], [vi("p", None)], [mask, ninf])
    mw = helper.make_tensor("w", TensorProto.FLOAT, [4, 2], np.ones(8, np.float32).tolist())
    save(out, "matmul_three_inputs.onnx", [helper.make_node("MatMul", ["x", "w", "w"], ["y"], name="matmul")],
         [vi("x", [1, 4])], [vi("y", None)], [mw])
    chain = [helper.make_node("Relu", [f"t{i}"], [f"t{i + 1}"], name=f"n{i}")
             for i in range(CHAIN_LENGTH)]
    save(out, "chain100k.onnx", chain, [vi("t0", [1, 4])], [vi(f"t{CHAIN_LENGTH}", None)])
    x = np.array([[-1.5, 0.25, 2.0, -0.0]], np.float32)
    x.astype("<f4").tofile(out / "chain_in.raw")
    (out / "chain_list.txt").write_text("t0:=chain_in.raw\n")
    np.maximum(x, 0).astype("<f4").tofile(out / "chain_expected.raw")
    np.array([[0.5, np.nan, 1.0, np.inf]], np.float32).astype("<f4").tofile(out / "nan.raw")
    (out / "nan_list.txt").write_text("x:=nan.raw\n")
    np.array([[0.5, -1.0, 1.0, 2.0]], np.float32).astype("<f4").tofile(out / "clean.raw")
    (out / "nan_then_clean_list.txt").write_text("x:=nan.raw\nx:=clean.raw\n")

    base = {"bitwidth": 8, "dtype": "int", "is_symmetric": "False", "offset": 0, "scale": 0.1}
    def overrides(**entry):
        return {"version": "0.6.1", "activation_encodings": {"Input3": [dict(base, **entry)]}, "param_encodings": {}}
    for name, doc in {"bitwidth_0": overrides(bitwidth=0), "bitwidth_33": overrides(bitwidth=33)}.items():
        (out / f"{name}.json").write_text(json.dumps(doc))
    # JSON has no NaN or Infinity: exporters that write them produce invalid files, and a number
    # past float's range is no scale either.
    (out / "scale_nan.json").write_text(json.dumps(overrides(scale=float("nan"))))
    (out / "scale_huge.json").write_text(json.dumps(overrides()).replace('"scale": 0.1', '"scale": 1e400'))
    return 0


if __name__ == "__main__":
    sys.exit(main())

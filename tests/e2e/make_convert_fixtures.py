#!/usr/bin/python3
"""Bad inputs for the converter's end-to-end tests (tests/e2e/converter.cmake).

usage: make_convert_fixtures.py OUTDIR

Writes overrides files for calib/mnist/mnist.onnx (its input 'Input3', its first conv weights
'Parameter5' [8,1,5,5]) that are each wrong in one way, and input lists that are.
"""

import json
import sys
from pathlib import Path

import numpy as np

MNIST_INPUT_VALUES = 1 * 1 * 28 * 28

GOOD = {"bitwidth": 8, "dtype": "int", "is_symmetric": "False", "min": 0.0, "max": 1.0, "offset": 0,
        "scale": 1.0 / 255}


def overrides(activations=None, params=None, version="0.6.1"):
    return {"version": version, "activation_encodings": activations or {}, "param_encodings": params or {}}


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "schema_invalid.json": overrides({"Input3": [dict(GOOD, scale="tiny")]}),
        "unknown_tensor.json": overrides({"no_such_tensor": [GOOD], "Input3": [GOOD]}),
        # A typo of the first ReLU's output: the error suggests the name meant.
        "typo_tensor.json": overrides({"ReLU32_Ouptut_0": [GOOD], "Input3": [GOOD]}),
        "negative_scale.json": overrides({"Input3": [dict(GOOD, scale=-0.5)]}),
        "zero_scale.json": overrides({"Input3": [dict(GOOD, scale=0.0)]}),
        "bitwidth_3.json": overrides({"Input3": [dict(GOOD, bitwidth=3)]}),
        "offset_out_of_range.json": overrides({"Input3": [dict(GOOD, offset=-300)]}),
        "channel_count.json": overrides(params={"Parameter5": [dict(GOOD, is_symmetric="True", offset=-128)] * 3}),
        "per_block.json": {"version": "1.0.0", "activation_encodings": [],
                           "param_encodings": [{"name": "Parameter5", "enc_type": "PER_BLOCK", "dtype": "INT", "bw": 4,
                                                "is_sym": True, "scale": [0.1], "offset": [-8], "block_size": 4}]},
        "input_only.json": overrides({"Input3": [GOOD]}),
    }
    for name, doc in files.items():
        (out / name).write_text(json.dumps(doc, indent=1) + "\n")
    (out / "malformed.json").write_text('{"version": "0.6.1", "activation_encodings": {"Input3": [{"bitwidth": 8,\n')
    # 100 000 levels: a parser that recurses per level would overflow its stack.
    (out / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (out / "list_missing_file.txt").write_text("Input3:=no_such_file.raw\n")
    (out / "list_empty.txt").write_text("\n# nothing but a comment\n")
    # Raw files: the right size, and the same values as float64 (twice the bytes).
    np.zeros(MNIST_INPUT_VALUES, np.float32).tofile(out / "zeros.raw")
    np.zeros(MNIST_INPUT_VALUES, np.float64).tofile(out / "zeros_float64.raw")
    # A bad file on line 11 must fail before the 10 lines above it are calibrated on.
    (out / "list_missing_line11.txt").write_text("Input3:=zeros.raw\n" * 10 + "Input3:=no_such_file.raw\n")
    (out / "list_float64.txt").write_text("Input3:=zeros.raw\nInput3:=zeros_float64.raw\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

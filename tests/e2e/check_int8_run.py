#!/usr/bin/python3
"""Checks on an int8 run of qforge-net-run, for convert_flows.sh int8.

check_int8_run.py QGRAPH ONEDNN_DIR REFERENCE_DIR NATIVE_DIR PERF_REPORT
    - the two backends wrote the same float32 outputs in every Result_N (int8 is exact);
    - each output is a dequantized code: x / scale + zero point is an integer in the grid;
    - NATIVE_DIR/Result_i/<output>_native.raw holds those codes (uint8/int8), i < 3;
    - the perf report says the graph ran quantized, with some node in int8.
"""

import json
import sys
from pathlib import Path

import numpy as np


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    qgraph, onednn, reference, native, perf = (Path(a) for a in sys.argv[1:6])
    doc = json.loads(qgraph.read_text())
    tensors = {t["name"]: t for t in doc["tensors"]}
    results = sorted(p.name for p in onednn.glob("Result_*"))
    if not results:
        fail(f"{onednn}: no results")
    for out in doc["outputs"]:
        enc = tensors[out]["encoding"]
        scale, zero = enc["scale"][0], -enc["offset"][0]
        lo, hi = (-(2 ** (enc["bitwidth"] - 1)), 2 ** (enc["bitwidth"] - 1) - 1) if enc["signed"] else (0, 2 ** enc["bitwidth"] - 1)
        for r in results:
            a = np.fromfile(onednn / r / f"{out}.raw", "<f4")
            b = np.fromfile(reference / r / f"{out}.raw", "<f4")
            if not np.array_equal(a, b):
                fail(f"{r}/{out}: oneDNN and reference differ by up to {np.max(np.abs(a - b))}")
            q = a.astype(np.float64) / scale + zero
            if np.max(np.abs(q - np.round(q))) > 1e-3 or q.min() < lo - 1e-3 or q.max() > hi + 1e-3:
                fail(f"{r}/{out}: values are not codes of the encoding")
            if int(r.split("_")[1]) < 3:
                codes = np.fromfile(native / r / f"{out}_native.raw", np.int8 if enc["signed"] else np.uint8)
                if not np.array_equal(codes.astype(np.int64), np.round(q).astype(np.int64)):
                    fail(f"{r}/{out}_native.raw does not hold the codes")
    report = json.loads(perf.read_text())
    if not report["int8"]["quantized"] or not any(n["runs"] == "int8" for n in report["int8"]["nodes"]):
        fail(f"{perf}: no node ran in int8")
    print(f"{len(results)} results: backends agree, codes and native files consistent")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Output folders for the qforge-diff end-to-end tests, as two qforge-net-run --debug runs would
write them for tests/data/diff/model.qgraph.json.

make_diff_fixtures.py QGRAPH OUT_DIR

OUT_DIR/golden/Result_0..3     the fp32 run, original ONNX names (conv_out, bn_out, ...)
OUT_DIR/candidate/Result_0..2  the "int8" run, the qgraph's names: every encoded tensor is the
                               golden one quantize-dequantized with its encoding, computed forward
                               from the candidate's own inputs, so errors accumulate through the
                               layers; relu_out's encoding is a planted bad override (scale 0.48),
                               which makes relu_out the first layer below 20 dB. Result_3 is left
                               out, aux_zero is all zeros on both sides (MISTRUSTED), extra only on
                               the candidate side.
OUT_DIR/labels.txt             one label per golden Result (one of them is wrong for both sides)
OUT_DIR/model_v2.qgraph.json   the model with "version": 2 (unsupported)
OUT_DIR/bad_size/{golden,candidate}/Result_0/prob.raw   10 vs 9 values
OUT_DIR/bad_nan/{golden,candidate}/Result_0/prob.raw    the candidate holds a NaN
OUT_DIR/single/{a,b}.raw       two single files
"""

import json
import sys
from pathlib import Path

import numpy as np

from raw_names import tensor_file_name

RESULTS_GOLDEN = 4
RESULTS_CANDIDATE = 3
PLANTED_LAYER = "relu_out"
LAYER_THRESHOLD_DB = 20.0
SEED = 5


def write(folder: Path, name: str, values) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    np.asarray(values, dtype="<f4").tofile(folder / f"{tensor_file_name(name)}.raw")


def qdq(x, enc):
    """x = (q + offset) * scale, q clamped to the grid; numpy rounds half to even like qforge."""
    bw = enc["bitwidth"]
    qmin, qmax = (-(2 ** (bw - 1)), 2 ** (bw - 1) - 1) if enc["signed"] else (0, 2 ** bw - 1)
    scale, offset = enc["scale"][0], enc["offset"][0]
    q = np.clip(np.round(x / scale) - offset, qmin, qmax)
    return ((q + offset) * scale).astype(np.float32)


def softmax(v):
    e = np.exp(v - v.max())
    return (e / e.sum()).astype(np.float32)


def sqnr_db(g, c):
    return 10 * np.log10(np.sum(g.astype(np.float64) ** 2) / np.sum((c.astype(np.float64) - g) ** 2))


def forward(x, w_conv, b_conv):
    """A stand-in for conv + BN: a fixed linear map of the input (the diff only sees values)."""
    conv = (w_conv @ x.reshape(-1)).astype(np.float32) + b_conv
    bn = (0.9 * conv + 0.1).astype(np.float32)
    return conv, bn


def main() -> int:
    qgraph_path, out = Path(sys.argv[1]), Path(sys.argv[2])
    model = json.loads(qgraph_path.read_text())
    enc = {t["name"]: t.get("encoding") for t in model["tensors"]}
    rng = np.random.default_rng(SEED)
    w_conv = rng.normal(0, 0.35, (64, 32)).astype(np.float32)
    b_conv = rng.normal(0, 0.1, 64).astype(np.float32)
    w_fc = rng.normal(0, 0.3, (64, 10)).astype(np.float32)
    b_fc = rng.normal(0, 0.1, 10).astype(np.float32)

    labels = []
    planted = {}
    for r in range(RESULTS_GOLDEN):
        x = rng.uniform(0, 1, 32).astype(np.float32)
        conv, bn = forward(x, w_conv, b_conv)
        relu = np.maximum(bn, 0)
        logits = (relu @ w_fc + b_fc).astype(np.float32)
        prob = softmax(logits)
        golden = {"input": x, "conv_out": conv, "bn_out": bn, "relu_out": relu, "flat": relu, "logits": logits,
                  "prob": prob, "aux_zero": np.zeros(8)}
        for name, v in golden.items():
            write(out / "golden" / f"Result_{r}", name, v)
        # Result_1's label is a class neither side ranks first: accuracy below 100 % on both sides.
        labels.append(int(np.argmax(prob)) if r != 1 else int(np.argsort(prob)[-3]))
        if r >= RESULTS_CANDIDATE:
            continue
        cx = qdq(x, enc["input"])
        _, cbn = forward(cx, w_conv, b_conv)
        cbn = qdq(cbn, enc["conv_bn_out"])
        crelu = qdq(np.maximum(cbn, 0), enc["relu_out"])
        clogits = qdq((crelu @ w_fc + b_fc).astype(np.float32), enc["logits"])
        cprob = qdq(softmax(clogits), enc["prob"])
        candidate = {"input": cx, "conv_bn_out": cbn, "relu_out": crelu, "flat": crelu, "logits": clogits,
                     "prob": cprob, "aux_zero": np.zeros(8), "extra": np.ones(4)}
        for name, v in candidate.items():
            write(out / "candidate" / f"Result_{r}", name, v)
        planted.setdefault("bn", []).append((bn, cbn))
        planted.setdefault("relu", []).append((relu, crelu))

    # The fixture must show what it was made for; say so loudly if a change of numbers broke that.
    bn_db = sqnr_db(*[np.concatenate(v) for v in zip(*planted["bn"])])
    relu_db = sqnr_db(*[np.concatenate(v) for v in zip(*planted["relu"])])
    if not (bn_db >= LAYER_THRESHOLD_DB > relu_db):
        print(f"make_diff_fixtures.py: bn_out {bn_db:.1f} dB, relu_out {relu_db:.1f} dB: the planted layer "
              f"does not stand out", file=sys.stderr)
        return 1
    (out / "labels.txt").write_text("".join(f"{v}\n" for v in labels))

    model["version"] = 2
    (out / "model_v2.qgraph.json").write_text(json.dumps(model))

    write(out / "bad_size" / "golden" / "Result_0", "prob", np.full(10, 0.1))
    write(out / "bad_size" / "candidate" / "Result_0", "prob", np.full(9, 0.1))
    write(out / "bad_nan" / "golden" / "Result_0", "prob", np.full(10, 0.1))
    write(out / "bad_nan" / "candidate" / "Result_0", "prob", [0.1] * 4 + [float("nan")] + [0.1] * 5)
    write(out / "single", "a", [1, 2, 3, 4])
    write(out / "single", "b", [1, 2, 3, 4.5])
    print(f"diff fixtures in {out}: bn_out {bn_db:.1f} dB, planted relu_out {relu_db:.1f} dB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

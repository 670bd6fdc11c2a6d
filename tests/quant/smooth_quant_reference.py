#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Re-derives --smooth_quant with numpy and compares with what smooth_quant_probe prints.

Written again here from the description at the top of lib/quant/smooth_quant.h, not from the C++:
  - the sites of a generated model and where each one's division folds (LayerNorm, a linear layer
    through its bias Add, a transposed Gemm, an inserted Mul for a graph input and a graph output);
  - each site input's channel ranges and the sampled rows (every k-th row over the inferences),
    against this script's own float32 forward pass;
  - s_j = max|X_j|^a / max|W_j|^(1-a) for a fixed a, and for auto every candidate's error
    E(s) = sum ||XW - Qa(X/s) Qw(sW)||^2 / sum ||XW||^2 on the probe's rows, the chosen a (or none),
    with the weights as the later sites' rewrites left them (sites are smoothed last first).
Run with Debian's /usr/bin/python3 (numpy, onnx). Exit status 0 when everything matches.
"""

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

failures = []
MIN_RANGE = 1e-4
MIN_SCALE = np.float32(1e-5)
INFERENCES = 5


def check(ok, what):
    if not ok:
        failures.append(what)
        print("MISMATCH " + what)


def build_model(path, rng):
    w = {
        "gamma": rng.uniform(0.5, 2, 16).astype(np.float32),
        "beta": rng.uniform(-1, 1, 16).astype(np.float32),
        "w1": rng.uniform(-1, 1, (16, 24)).astype(np.float32),
        "b1": rng.uniform(-1, 1, 24).astype(np.float32),
        "w3": rng.uniform(-1, 1, (24, 8)).astype(np.float32),
        "w2": rng.uniform(-1, 1, (16, 12)).astype(np.float32),
        "w4": rng.uniform(-1, 1, (12, 6)).astype(np.float32),
        "wg": rng.uniform(-1, 1, (10, 16)).astype(np.float32),  # Gemm transB: [N, K]
        "cg": rng.uniform(-1, 1, 10).astype(np.float32),
        "wh": rng.uniform(-1, 1, (10, 6)).astype(np.float32),
    }
    w["gamma"][5] = 15.0  # the outlier channel an LLM's LayerNorm makes
    nodes = [
        helper.make_node("LayerNormalization", ["x", "gamma", "beta"], ["a"], name="ln", axis=-1),
        helper.make_node("MatMul", ["a", "w1"], ["y1"], name="fc1"),
        helper.make_node("Add", ["y1", "b1"], ["b"], name="fc1_bias"),
        helper.make_node("MatMul", ["b", "w3"], ["y3"], name="fc3"),
        helper.make_node("MatMul", ["a", "w2"], ["y2"], name="fc2"),
        helper.make_node("Relu", ["y2"], ["r"], name="relu"),
        helper.make_node("MatMul", ["r", "w4"], ["y4"], name="fc4"),
        helper.make_node("Gemm", ["z", "wg", "cg"], ["g"], name="gemm_g", transB=1),
        helper.make_node("Gemm", ["g", "wh"], ["h"], name="gemm_h"),
    ]
    graph = helper.make_graph(
        nodes, "smooth",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10, 16]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [4, 16])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("y3", "y4", "r", "h")],
        [numpy_helper.from_array(v, k) for k, v in w.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return w


def forward(w, x, z):
    """The site inputs, float32 as the graph computes them."""
    mean = x.mean(axis=-1, keepdims=True, dtype=np.float32)
    d = x - mean
    var = (d * d).mean(axis=-1, keepdims=True, dtype=np.float32)
    a = d / np.sqrt(var + np.float32(1e-5)) * w["gamma"] + w["beta"]
    b = a @ w["w1"] + w["b1"]
    r = np.maximum(a @ w["w2"], 0)
    g = z @ w["wg"].T + w["cg"]
    return {"a": a, "b": b, "r": r, "z": z, "g": g}


# ---- the grids (lib/ir/encoding.h: compute_encoding and CodeGrid, written again) ---------------

def asymmetric(lo, hi, bits=8):
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    hi = max(hi, lo + MIN_RANGE)
    steps = 2 ** bits - 1
    scale = np.float32((hi - lo) / steps)
    offset = int(np.clip(np.rint(lo / float(scale)), -steps, 0))
    return scale, -offset, 0, steps  # scale, zero, qmin, qmax


def symmetric(lo, hi, bits=8):
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    hi = max(hi, lo + MIN_RANGE)
    scale = np.float32(max(-lo, hi) / (2 ** (bits - 1) - 1))
    return scale, 0, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def fake_quant(v, grid):
    scale, zero, qmin, qmax = grid
    q = np.clip(v.astype(np.float32) / scale, np.float32(qmin - zero), np.float32(qmax - zero))
    q = np.rint(q) + zero
    return (q - zero).astype(np.float32) * scale


def scales_for(alpha, absmax_x, layers):
    w_absmax = np.max(np.abs(np.concatenate([wk for wk in layers], axis=1)), axis=1).astype(np.float64)
    x = absmax_x.astype(np.float64)
    a = float(np.float32(alpha))
    s = np.ones(len(x), dtype=np.float32)
    live = (x > 0) & (w_absmax > 0)
    s[live] = np.maximum((x[live] ** a / w_absmax[live] ** (1 - a)).astype(np.float32), MIN_SCALE)
    return s


def error_of(s, site, rows, layers, per_row, max_columns):
    cmin = np.array(site["channel_min"], dtype=np.float32)
    cmax = np.array(site["channel_max"], dtype=np.float32)
    xs_grid = asymmetric(min(0.0, float(np.min(cmin / s))), max(0.0, float(np.max(cmax / s))))
    v = rows
    if site["fold"] == "inserted_mul":
        v = fake_quant(rows, asymmetric(min(0.0, float(cmin.min())), max(0.0, float(cmax.max()))))
    xq = fake_quant(v / s, xs_grid).astype(np.float64)
    err = ref = 0.0
    for wk in layers:
        n = wk.shape[1]
        stride = max(1, -(-n // max_columns))
        cols = np.arange(0, n, stride)
        ws = (wk * s[:, None]).astype(np.float32)
        if per_row:
            grids = [symmetric(ws[:, c].min(), ws[:, c].max()) for c in cols]
        else:
            grids = [symmetric(ws.min(), ws.max())] * len(cols)
        wq = np.stack([fake_quant(ws[:, c], g) for c, g in zip(cols, grids)], axis=1).astype(np.float64)
        y = rows.astype(np.float64) @ wk[:, cols].astype(np.float64)
        yq = xq @ wq
        err += float(np.sum((y - yq) ** 2))
        ref += float(np.sum(y ** 2))
    return err / ref if ref > 0 else err


def close(a, b, rtol):
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-30)


def derive(probe_out, weights, acts, alpha, per_row, max_rows, max_columns):
    sites = probe_out["sites"]
    expected = {"a": ("layer_norm", "ln", ["fc1", "fc2"]), "b": ("linear", "fc1", ["fc3"]),
                "r": ("inserted_mul", "", ["fc4"]), "z": ("inserted_mul", "", ["gemm_g"]),
                "g": ("linear", "gemm_g", ["gemm_h"])}
    check(sorted(s["input"] for s in sites) == sorted(expected), f"sites {[s['input'] for s in sites]}")
    # Weights as K x N, rewritten as the sites are smoothed.
    kn = {"fc1": weights["w1"].copy(), "fc2": weights["w2"].copy(), "fc3": weights["w3"].copy(),
          "fc4": weights["w4"].copy(), "gemm_g": weights["wg"].T.copy(), "gemm_h": weights["wh"].copy()}
    for site in sites:
        name = site["input"]
        fold, into, layers = expected.get(name, ("?", "?", []))
        check(site["fold"] == fold and site["fold_into"] == into and site["layers"] == layers,
              f"{name}: fold {site['fold']} into '{site['fold_into']}' of {site['layers']}")
        x = np.concatenate([a[name].reshape(-1, a[name].shape[-1]) for a in acts])
        tol = 1e-5 * float(np.abs(x).max())
        for key, want in (("channel_min", x.min(0)), ("channel_max", x.max(0)), ("channel_absmax", np.abs(x).max(0))):
            check(np.allclose(site[key], want, rtol=1e-5, atol=tol), f"{name}: {key}")
        per_inference = x.shape[0] // len(acts)
        stride = max(1, -(-per_inference * len(acts) // max_rows))
        picked = x[::stride][:max_rows]
        rows = np.array(site["rows"], dtype=np.float32).reshape(-1, x.shape[1])
        check(rows.shape == picked.shape and np.allclose(rows, picked, rtol=1e-5, atol=tol),
              f"{name}: sampled rows {rows.shape} vs {picked.shape} (stride {stride})")

    for site in reversed(sites):
        name = site["input"]
        layers = [kn[l] for l in site["layers"]]
        rows = np.array(site["rows"], dtype=np.float32).reshape(-1, len(site["channel_absmax"]))
        absmax = np.array(site["channel_absmax"], dtype=np.float32)
        unsmoothed = error_of(np.ones(len(absmax), np.float32), site, rows, layers, per_row, max_columns)
        check(close(unsmoothed, site["error_unsmoothed"], 1e-9),
              f"{name}: unsmoothed error {site['error_unsmoothed']} vs numpy {unsmoothed}")
        best_alpha, best_error, best_s = None, unsmoothed, None
        if alpha is not None:
            if site["fold"] != "inserted_mul":
                best_alpha = float(np.float32(alpha))
                best_s = scales_for(alpha, absmax, layers)
                best_error = error_of(best_s, site, rows, layers, per_row, max_columns)
        else:
            candidates = site["candidates"]
            check(len(candidates) == 19, f"{name}: {len(candidates)} candidates")
            for step, (got_alpha, got_error) in zip(range(1, 20), candidates):
                a = np.float32(step) * np.float32(0.05)
                s = scales_for(a, absmax, layers)
                e = error_of(s, site, rows, layers, per_row, max_columns)
                check(close(got_alpha, float(a), 1e-7) and close(got_error, e, 1e-9),
                      f"{name}: candidate {step}: ({got_alpha}, {got_error}) vs numpy ({float(a)}, {e})")
                if e < best_error:
                    best_alpha, best_error, best_s = float(a), e, s
        check((site["alpha"] is None) == (best_alpha is None) and
              (best_alpha is None or close(site["alpha"], best_alpha, 1e-7)),
              f"{name}: alpha {site['alpha']} vs numpy {best_alpha}")
        check(close(site["error"], best_error, 1e-9), f"{name}: error {site['error']} vs numpy {best_error}")
        if best_s is None:
            continue
        check(np.allclose(site["scales"], best_s, rtol=1e-6, atol=0), f"{name}: scales")
        for l in site["layers"]:
            kn[l] = (kn[l] * best_s[:, None]).astype(np.float32)
        if site["fold"] == "linear":
            kn[site["fold_into"]] = (kn[site["fold_into"]] / best_s[None, :]).astype(np.float32)
    return [s["alpha"] for s in sites]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261208)
    model = work / "smooth.onnx"
    weights = build_model(str(model), rng)
    acts, lines = [], []
    for i in range(INFERENCES):
        x = rng.normal(0, 1, (1, 10, 16)).astype(np.float32)
        z = rng.normal(0, 1, (4, 16)).astype(np.float32)
        z[:, 2] *= 20  # an outlier channel in a graph input
        x.tofile(work / f"x{i}.raw")
        z.tofile(work / f"z{i}.raw")
        lines.append(f"x:={work / f'x{i}.raw'} z:={work / f'z{i}.raw'}")
        acts.append(forward(weights, x, z))
    (work / "list.txt").write_text("\n".join(lines) + "\n")

    runs = [("0.5", False, 16, 5), ("auto", True, 16, 256), ("auto", False, 1000, 7)]
    chosen = []
    for alpha, per_row, max_rows, max_columns in runs:
        cmd = [args.probe, "--model", str(model), "--input_list", str(work / "list.txt"), "--alpha", alpha,
               "--max_rows", str(max_rows), "--max_columns", str(max_columns)] + (["--per_row"] if per_row else [])
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr)
            check(False, f"probe exit {done.returncode}: {' '.join(cmd)}")
            continue
        out = json.loads(done.stdout)
        before = len(failures)
        chosen.append(derive(out, weights, acts, None if alpha == "auto" else float(alpha), per_row, max_rows,
                             max_columns))
        print(f"--alpha {alpha}{' --per_row' if per_row else ''} --max_rows {max_rows} --max_columns {max_columns}: "
              f"alpha per site {dict(zip([s['input'] for s in out['sites']], chosen[-1]))}, "
              f"{'ok' if len(failures) == before else 'MISMATCHES'}")
    # The oracle must have something to decide: auto smooths some sites and leaves others.
    check(any(a is not None for c in chosen[1:] for a in c), "auto smoothed no site")
    if failures:
        print(f"{len(failures)} mismatches")
        return 1
    print("smooth_quant matches the numpy re-derivation")
    return 0


if __name__ == "__main__":
    sys.exit(main())

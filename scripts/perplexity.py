#!/usr/bin/python3
"""Perplexity of a qforge-net-run output folder (a language model's logits).

usage: perplexity.py OUTPUT_DIR TARGETS [--output NAME] [--max PPL]

Reads OUTPUT_DIR/Result_N/<output>.raw (float32 [1,T,vocab], one window per result) for N = 0 .. and
TARGETS: the int64 [windows, T] target ids that scripts/prepare_text.py writes (targets.npy; a folder
means its targets.npy). Result N is scored against row N. Each position's log-softmax is computed in
float64; the perplexity is exp of the mean negative log-likelihood over all positions of all windows.
Prints `perplexity = 3.842 (1.3460 nats per token, 8192 tokens in 64 windows)`.

--output NAME  the output tensor (default: the only .raw file in Result_0)
--max PPL      exit 1 when the perplexity is above PPL
Exit codes as the qforge tools: 0 ok, 1 above --max, 2 usage, 3 missing or malformed file.
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from accuracy import Bad, output_file


def read_targets(path: Path) -> np.ndarray:
    if path.is_dir():
        path = path / "targets.npy"
    if not path.is_file():
        raise Bad(f"{path}: no such file")
    try:
        targets = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise Bad(f"{path}: not a .npy file ({e})") from None
    if targets.ndim != 2 or targets.dtype.kind not in "iu":
        raise Bad(f"{path}: expected integer targets [windows, T], found {targets.dtype} {list(targets.shape)}")
    return targets.astype(np.int64)


def window_nll(logits: np.ndarray, targets: np.ndarray) -> float:
    """The summed negative log-likelihood of targets [T] under logits [T, vocab], in float64."""
    x = logits.astype(np.float64)
    top = x.max(axis=1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(x - top).sum(axis=1))
    return float((log_z - x[np.arange(targets.size), targets]).sum())


def perplexity(output_dir: Path, targets: np.ndarray, name=None) -> dict:
    """{'perplexity', 'nll' (mean nats per token), 'tokens', 'windows'} of the results in output_dir."""
    if not (output_dir / "Result_0").is_dir():
        raise Bad(f"{output_dir}: no Result_0 folder")
    fname = output_file(output_dir / "Result_0", name)
    n = 0
    while (output_dir / f"Result_{n}").is_dir():
        n += 1
    if n > targets.shape[0]:
        raise Bad(f"{output_dir}: {n} results but only {targets.shape[0]} target windows")
    t = targets.shape[1]
    total = 0.0
    for i in range(n):
        path = output_dir / f"Result_{i}" / fname
        if not path.is_file():
            raise Bad(f"{path}: no such file")
        logits = np.fromfile(path, dtype="<f4")
        if logits.size == 0 or logits.size % t:
            raise Bad(f"{path}: {logits.size} values, not [1,{t},vocab]")
        logits = logits.reshape(t, -1)
        if targets[i].min() < 0 or targets[i].max() >= logits.shape[1]:
            raise Bad(f"{path}: a target id of window {i} is outside the {logits.shape[1]} logits")
        if not np.all(np.isfinite(logits)):
            raise Bad(f"{path}: holds NaN or infinity")
        total += window_nll(logits, targets[i])
    nll = total / (n * t)
    return {"perplexity": math.exp(nll), "nll": nll, "tokens": n * t, "windows": n}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output_dir", type=Path)
    ap.add_argument("targets", type=Path)
    ap.add_argument("--output", default=None, help="output tensor name")
    ap.add_argument("--max", type=str, default=None, help="maximum perplexity")
    args = ap.parse_args()
    try:
        maximum = float(args.max) if args.max is not None else None
        if maximum is not None and not math.isfinite(maximum):
            raise ValueError
    except ValueError:
        print(f"perplexity.py: --max {args.max}: not a number", file=sys.stderr)
        return 2

    try:
        r = perplexity(args.output_dir, read_targets(args.targets), args.output)
    except Bad as e:
        print(f"perplexity.py: {e}", file=sys.stderr)
        return 3

    print(f"perplexity = {r['perplexity']:.4f} ({r['nll']:.4f} nats per token, {r['tokens']} tokens in "
          f"{r['windows']} windows)")
    if maximum is not None and r["perplexity"] > maximum:
        print(f"perplexity.py: perplexity {r['perplexity']:.4f} is above --max {args.max}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

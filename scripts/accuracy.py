#!/usr/bin/python3
"""Top-1 accuracy of a qforge-net-run output folder.

usage: accuracy.py OUTPUT_DIR LABELS [--output NAME] [--min PERCENT]

Reads OUTPUT_DIR/Result_N/<output>.raw (float32, one sample per result: the class is the argmax
of all its values, first index on ties) for N = 0 .. and compares with LABELS: a text file with
one class index per line (as prepare_images.py writes) or packed uint8 labels (*.bin).
Prints `top1 = 99.41% (9941/10000)`.

--output NAME  the output tensor (default: the only .raw file in Result_0)
--min PERCENT  exit 1 when top-1 is below PERCENT (compared exactly: 9941/10000 passes 99.41)
Exit codes as the qforge tools: 0 ok, 1 below --min, 2 usage, 3 missing or malformed file.
"""

import argparse
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np


def tensor_file_name(name: str) -> str:
    """The file stem qforge-net-run uses for a tensor: '%', '/', ':', '\\' and control characters
    are percent-encoded (lib/io/input_list.h)."""
    return "".join(f"%{ord(c):02X}" if c in "%/:\\" or ord(c) < 0x20 else c for c in name)


class Bad(Exception):
    pass


def read_labels(path: Path) -> np.ndarray:
    if not path.is_file():
        raise Bad(f"{path}: no such file")
    if path.suffix == ".bin":
        return np.fromfile(path, dtype=np.uint8).astype(np.int64)
    try:
        return np.array([int(t) for t in path.read_text().split()], dtype=np.int64)
    except ValueError as e:
        raise Bad(f"{path}: not one integer label per line ({e})") from None


def output_file(result0: Path, name) -> str:
    if name is not None:
        for stem in (tensor_file_name(name), name):
            if (result0 / f"{stem}.raw").is_file():
                return f"{stem}.raw"
        raise Bad(f"{result0}: no output '{name}' ({tensor_file_name(name)}.raw)")
    raws = sorted(p.name for p in result0.glob("*.raw"))
    if len(raws) != 1:
        raise Bad(f"{result0}: {len(raws)} .raw files ({', '.join(raws) or 'none'}); choose one with --output")
    return raws[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output_dir", type=Path)
    ap.add_argument("labels", type=Path)
    ap.add_argument("--output", default=None, help="output tensor name")
    ap.add_argument("--min", type=str, default=None, help="minimum top-1 in percent")
    args = ap.parse_args()
    try:
        minimum = Fraction(args.min) if args.min is not None else None
    except ValueError:
        print(f"accuracy.py: --min {args.min}: not a number", file=sys.stderr)
        return 2

    try:
        labels = read_labels(args.labels)
        if not (args.output_dir / "Result_0").is_dir():
            raise Bad(f"{args.output_dir}: no Result_0 folder")
        fname = output_file(args.output_dir / "Result_0", args.output)
        n = 0
        while (args.output_dir / f"Result_{n}").is_dir():
            n += 1
        if n > labels.size:
            raise Bad(f"{args.output_dir}: {n} results but only {labels.size} labels in {args.labels}")
        correct = 0
        for i in range(n):
            path = args.output_dir / f"Result_{i}" / fname
            if not path.is_file():
                raise Bad(f"{path}: no such file")
            scores = np.fromfile(path, dtype="<f4")
            if scores.size == 0:
                raise Bad(f"{path}: empty")
            if not np.all(np.isfinite(scores)):
                raise Bad(f"{path}: holds NaN or infinity")
            correct += int(np.argmax(scores) == labels[i])
    except Bad as e:
        print(f"accuracy.py: {e}", file=sys.stderr)
        return 3

    top1 = Fraction(100 * correct, n)
    print(f"top1 = {float(top1):.2f}% ({correct}/{n})")
    if minimum is not None and top1 < minimum:
        print(f"accuracy.py: top-1 {float(top1):.2f}% is below --min {args.min}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

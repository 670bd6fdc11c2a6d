#!/usr/bin/python3
"""Checks on what qforge-net-run wrote, for the end-to-end tests.

check_outputs.py compare OUT_DIR EXPECTED_DIR [--count N] [--rtol R] [--atol A]
    OUT_DIR/Result_i holds exactly the .raw files of EXPECTED_DIR/Result_(i mod E), with the same
    sizes and close values, for i < N (default: E, the number of expected results), and there is
    no Result_N.
check_outputs.py files RESULT_DIR NAME:BYTES...
    RESULT_DIR holds these files (tensor file names) with these sizes.
check_outputs.py results OUT_DIR COUNT NAME BYTES [--softmax]
    Result_0 .. Result_(COUNT-1) each hold NAME.raw of BYTES bytes with finite values (with
    --softmax: non-negative, summing to 1); there is no Result_COUNT.
check_outputs.py perf FILE [--inferences N] [--backend B] [--threads T]
    FILE is a --perf_report JSON with the documented keys.
"""

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np


class Fail(Exception):
    pass


def result_dirs_end_at(out: Path, count: int) -> None:
    if (out / f"Result_{count}").exists():
        raise Fail(f"{out}/Result_{count} exists; expected only {count} results")


def compare(args) -> None:
    exp_dirs = sorted((p for p in args.expected.glob("Result_*")), key=lambda p: int(p.name.split("_")[1]))
    if not exp_dirs:
        raise Fail(f"{args.expected}: no expected results")
    count = args.count if args.count is not None else len(exp_dirs)
    for i in range(count):
        got_dir, exp_dir = args.out / f"Result_{i}", exp_dirs[i % len(exp_dirs)]
        if not got_dir.is_dir():
            raise Fail(f"{got_dir}: missing")
        got_names = sorted(p.name for p in got_dir.glob("*.raw"))
        exp_names = sorted(p.name for p in exp_dir.glob("*.raw"))
        if got_names != exp_names:
            raise Fail(f"{got_dir}: files {got_names}, expected {exp_names}")
        for name in exp_names:
            got = np.fromfile(got_dir / name, dtype="<f4")
            exp = np.fromfile(exp_dir / name, dtype="<f4")
            if got.size != exp.size:
                raise Fail(f"{got_dir / name}: {got.size * 4} bytes, expected {exp.size * 4}")
            if not np.allclose(got, exp, rtol=args.rtol, atol=args.atol):
                worst = int(np.argmax(np.abs(got - exp)))
                raise Fail(f"{got_dir / name}: element {worst} is {got[worst]!r}, expected {exp[worst]!r} "
                           f"(max abs diff {np.max(np.abs(got - exp)):.3g})")
    result_dirs_end_at(args.out, count)
    print(f"{count} results match {args.expected}")


def files(args) -> None:
    for spec in args.specs:
        name, _, size = spec.rpartition(":")
        path = args.result_dir / name
        if not path.is_file():
            raise Fail(f"{path}: missing (present: {sorted(p.name for p in args.result_dir.glob('*'))})")
        if path.stat().st_size != int(size):
            raise Fail(f"{path}: {path.stat().st_size} bytes, expected {size}")
    print(f"{len(args.specs)} files as expected in {args.result_dir}")


def results(args) -> None:
    for i in range(args.count):
        path = args.out / f"Result_{i}" / f"{args.name}.raw"
        if not path.is_file():
            raise Fail(f"{path}: missing")
        if path.stat().st_size != args.bytes:
            raise Fail(f"{path}: {path.stat().st_size} bytes, expected {args.bytes}")
        v = np.fromfile(path, dtype="<f4")
        if not np.all(np.isfinite(v)):
            raise Fail(f"{path}: holds NaN or infinity")
        if args.softmax and (np.any(v < 0) or abs(float(v.sum()) - 1) > 1e-4):
            raise Fail(f"{path}: {v.tolist()} is not a probability distribution")
    result_dirs_end_at(args.out, args.count)
    print(f"{args.count} results of {args.bytes} bytes in {args.out}")


def perf(args) -> None:
    try:
        report = json.loads(args.file.read_text())
    except (OSError, ValueError) as e:
        raise Fail(f"{args.file}: {e}") from None

    def number(v, what):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise Fail(f"{args.file}: {what} is {v!r}, not a non-negative number")
        return v

    for key in ("backend", "threads", "inferences", "latency_ms", "nodes"):
        if key not in report:
            raise Fail(f"{args.file}: no '{key}'")
    if args.backend is not None and report["backend"] != args.backend:
        raise Fail(f"{args.file}: backend {report['backend']!r}, expected {args.backend!r}")
    if args.threads is not None and report["threads"] != args.threads:
        raise Fail(f"{args.file}: threads {report['threads']!r}, expected {args.threads}")
    if args.inferences is not None and report["inferences"] != args.inferences:
        raise Fail(f"{args.file}: inferences {report['inferences']!r}, expected {args.inferences}")
    lat = {k: number(report["latency_ms"].get(k), f"latency_ms.{k}") for k in ("median", "mean", "min", "max")}
    if not lat["min"] <= lat["median"] <= lat["max"] or not lat["min"] <= lat["mean"] <= lat["max"]:
        raise Fail(f"{args.file}: latency_ms {lat} is not ordered min <= median, mean <= max")
    if not isinstance(report["nodes"], list) or not report["nodes"]:
        raise Fail(f"{args.file}: 'nodes' is not a non-empty list")
    for node in report["nodes"]:
        for key in ("name", "op", "impl"):
            if not isinstance(node.get(key), str):
                raise Fail(f"{args.file}: node {node} has no string '{key}'")
        number(node.get("mean_ms"), f"mean_ms of node {node.get('name')}")
    print(f"{args.file}: {len(report['nodes'])} nodes, median {lat['median']:.3f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("compare")
    p.add_argument("out", type=Path)
    p.add_argument("expected", type=Path)
    p.add_argument("--count", type=int)
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--atol", type=float, default=1e-5)
    p.set_defaults(fn=compare)
    p = sub.add_parser("files")
    p.add_argument("result_dir", type=Path)
    p.add_argument("specs", nargs="+")
    p.set_defaults(fn=files)
    p = sub.add_parser("results")
    p.add_argument("out", type=Path)
    p.add_argument("count", type=int)
    p.add_argument("name")
    p.add_argument("bytes", type=int)
    p.add_argument("--softmax", action="store_true")
    p.set_defaults(fn=results)
    p = sub.add_parser("perf")
    p.add_argument("file", type=Path)
    p.add_argument("--inferences", type=int)
    p.add_argument("--backend")
    p.add_argument("--threads", type=int)
    p.set_defaults(fn=perf)
    args = ap.parse_args()
    try:
        args.fn(args)
    except Fail as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

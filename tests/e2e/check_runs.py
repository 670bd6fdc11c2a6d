#!/usr/bin/python3
"""Checks on net-run output folders and their manifests, and on qforge-diff reports of them, for
gate_flows.sh.

check_runs.py manifest DIR SCHEMA --results N --inferences N --lines N [--outputs float|native]
    DIR/qforge_run.json validates against SCHEMA and says so; DIR holds exactly Result_0..N-1
    (no stale Result folder of an earlier run), and the manifest lists N entries of input files.
check_runs.py same-metrics A.json B.json
    two diff reports compare the same tensors with the same metrics, up to float rounding (the
    native codes read through the encodings against net-run's own dequantized float files).
check_runs.py report REPORT.json SCHEMA --same_inputs true|false|null [--inputs_differ_in I,...]
    the report validates and its "runs" says what is expected.
"""

import argparse
import json
import math
import re
import sys
from pathlib import Path

import jsonschema

METRICS = ["cosine", "sqnr_db", "mse", "mae", "max_abs_error", "pass_rate"]
REL_TOL = 1e-5  # float32 rounding of the dequantized values, pooled over the Result folders
ABS_TOL = 1e-9


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def manifest(args):
    root = Path(args.dir)
    doc = json.loads((root / "qforge_run.json").read_text())
    jsonschema.validate(doc, json.loads(Path(args.schema).read_text()))
    want = {"results": args.results, "inferences": args.inferences, "outputs": args.outputs}
    for key, value in want.items():
        if doc[key] != value:
            fail(f"{root}/qforge_run.json: {key} is {doc[key]!r}, expected {value!r}")
    if doc["input_list"]["lines"] != args.lines:
        fail(f"{root}/qforge_run.json: input_list.lines is {doc['input_list']['lines']}, expected {args.lines}")
    if len(doc["result_inputs"]) != args.results:
        fail(f"{root}/qforge_run.json: {len(doc['result_inputs'])} result_inputs, expected {args.results}")
    folders = sorted(p.name for p in root.iterdir() if re.fullmatch(r"Result_\d+", p.name))
    expected = sorted(f"Result_{i}" for i in range(args.results))
    if folders != expected:
        fail(f"{root}: Result folders {folders}, expected {expected}")
    print(f"{root}: {args.results} Result folders, the manifest says so")


def same_metrics(args):
    a, b = (json.loads(Path(p).read_text()) for p in (args.a, args.b))
    ta = {t["name"]: t for t in a["tensors"]}
    tb = {t["name"]: t for t in b["tensors"]}
    if set(ta) != set(tb) or not ta:
        fail(f"different tensors: {sorted(ta)} vs {sorted(tb)}")
    for name, x in ta.items():
        y = tb[name]
        if x["values"] != y["values"] or x["inferences"] != y["inferences"]:
            fail(f"{name}: {x['values']} values over {x['inferences']} results vs {y['values']} over {y['inferences']}")
        for m in METRICS:
            u, v = x[m], y[m]
            if isinstance(u, str) or isinstance(v, str):
                ok = u == v
            else:
                ok = math.isclose(u, v, rel_tol=REL_TOL, abs_tol=ABS_TOL)
            if not ok:
                fail(f"{name}: {m} {u} in {args.a}, {v} in {args.b}")
    print(f"{len(ta)} tensors, the same metrics in both reports: {sorted(ta)}")


def report(args):
    doc = json.loads(Path(args.report).read_text())
    jsonschema.validate(doc, json.loads(Path(args.schema).read_text()))
    runs = doc["runs"]
    want = {"true": True, "false": False, "null": None}[args.same_inputs]
    if runs["same_inputs"] is not want:
        fail(f"{args.report}: runs.same_inputs is {runs['same_inputs']}, expected {want} ({runs['inputs']})")
    if args.inputs_differ_in is not None:
        want_idx = [int(i) for i in args.inputs_differ_in.split(",")]
        if runs["inputs_differ_in"] != want_idx:
            fail(f"{args.report}: runs.inputs_differ_in is {runs['inputs_differ_in']}, expected {want_idx}")
    if runs["golden"] is None or runs["candidate"] is None:
        fail(f"{args.report}: a run's manifest is missing from the report")
    print(f"{args.report}: {runs['inputs']}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("manifest")
    m.add_argument("dir")
    m.add_argument("schema")
    m.add_argument("--results", type=int, required=True)
    m.add_argument("--inferences", type=int, required=True)
    m.add_argument("--lines", type=int, required=True)
    m.add_argument("--outputs", choices=["float", "native"], default="float")
    s = sub.add_parser("same-metrics")
    s.add_argument("a")
    s.add_argument("b")
    r = sub.add_parser("report")
    r.add_argument("report")
    r.add_argument("schema")
    r.add_argument("--same_inputs", choices=["true", "false", "null"], required=True)
    r.add_argument("--inputs_differ_in")
    args = ap.parse_args()
    {"manifest": manifest, "same-metrics": same_metrics, "report": report}[args.cmd](args)


if __name__ == "__main__":
    main()

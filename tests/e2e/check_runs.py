#!/usr/bin/python3
"""Checks on net-run output folders and their manifests, for gate_flows.sh.

check_runs.py manifest DIR SCHEMA --results N --inferences N --lines N [--outputs float|native]
    DIR/qforge_run.json validates against SCHEMA and says so; DIR holds exactly Result_0..N-1
    (no stale Result folder of an earlier run), and the manifest lists N entries of input files.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import jsonschema


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
    args = ap.parse_args()
    {"manifest": manifest}[args.cmd](args)


if __name__ == "__main__":
    main()

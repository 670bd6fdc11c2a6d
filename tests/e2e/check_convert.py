#!/usr/bin/python3
"""Checks on what qforge-onnx-converter wrote, for the end-to-end tests.

check_convert.py schema DOC SCHEMA
    DOC validates against the JSON Schema SCHEMA (python3-jsonschema, draft 2020-12).
check_convert.py same-package A.qgraph.json B.qgraph.json
    The two blobs are byte-identical and the graphs are the same (tensors, encodings, nodes,
    tensor map) apart from where the encodings came from and the blob's file name.
check_convert.py identical FILE...
    Every pair FILE_i / FILE_i+1 (given as A1 B1 A2 B2 ...) is byte-identical.
check_convert.py matches-overrides QGRAPH OVERRIDES.json [--rtol R]
    Every encoding of the (AIMET legacy) overrides file is in QGRAPH, on the tensor of that name,
    with the same scales (within R, default 1e-6) and offsets; symmetric 8-bit ones on the signed grid.
check_convert.py same-encodings A.qgraph.json B.qgraph.json [--rtol R]
    The two graphs have the same nodes in the same order (ops), and the tensors in the same
    positions of their inputs and outputs have the same encodings (scales within R): a model and
    its QDQ export, whatever the tensor names.
check_convert.py options QGRAPH KEY=VALUE...
    The qgraph's recorded options have these values (VALUE is JSON: true, 8, "min-max").
check_convert.py empty-dir DIR
    DIR does not exist or holds no files (a failed conversion left nothing behind).
check_convert.py no-partial-files DIR
    DIR holds no temporary files left from an interrupted atomic write (.NAME.tmp.*), and every
    file in it is complete: .raw files hold whole float32 values.
check_convert.py split-list LIST FIRST SECOND
    Writes the first half of LIST's lines to FIRST and the rest to SECOND (paths made absolute).
"""

import argparse
import json
import math
import sys
from pathlib import Path


class Fail(Exception):
    pass


def load(path):
    with open(path) as f:
        return json.load(f)


def schema(args):
    import jsonschema

    jsonschema.validate(load(args.doc), load(args.schema), cls=jsonschema.Draft202012Validator)


def graph_part(doc):
    tensors = []
    for t in doc["tensors"]:
        t = dict(t)
        if "encoding" in t:
            t["encoding"] = {k: v for k, v in t["encoding"].items() if k != "source"}
        tensors.append(t)
    blob = {k: v for k, v in doc["blob"].items() if k != "file"}
    return {"tensors": tensors, "nodes": doc["nodes"], "tensor_map": doc["tensor_map"], "inputs": doc["inputs"],
            "outputs": doc["outputs"], "blob": blob}


def blob_of(qgraph):
    doc = load(qgraph)
    return doc, (Path(qgraph).parent / doc["blob"]["file"]).read_bytes()


def same_package(args):
    a, blob_a = blob_of(args.a)
    b, blob_b = blob_of(args.b)
    if blob_a != blob_b:
        raise Fail(f"the blobs of {args.a} and {args.b} differ")
    ga, gb = graph_part(a), graph_part(b)
    for key in ga:
        if ga[key] != gb[key]:
            raise Fail(f"{args.a} and {args.b} differ in {key}")


def identical(args):
    if len(args.files) % 2:
        raise Fail("identical takes pairs of files")
    for a, b in zip(args.files[::2], args.files[1::2]):
        if Path(a).read_bytes() != Path(b).read_bytes():
            raise Fail(f"{a} and {b} differ")


def close(x, y, rtol):
    return abs(x - y) <= rtol * max(abs(x), abs(y))


def check_encoding(name, got, scales, offsets, rtol):
    if len(got["scale"]) != len(scales):
        raise Fail(f"'{name}': {len(got['scale'])} scales, expected {len(scales)}")
    for c, (s, t) in enumerate(zip(got["scale"], scales)):
        if not close(s, t, rtol):
            raise Fail(f"'{name}' channel {c}: scale {s}, expected {t}")
    if list(got["offset"]) != list(offsets):
        raise Fail(f"'{name}': offsets {got['offset'][:4]}..., expected {list(offsets)[:4]}...")


def matches_overrides(args):
    doc = load(args.qgraph)
    tensors = {t["name"]: t for t in doc["tensors"]}
    overrides = load(args.overrides)
    checked = 0
    for section in ("activation_encodings", "param_encodings"):
        for name, channels in overrides.get(section, {}).items():
            if name not in tensors or "encoding" not in tensors[name]:
                raise Fail(f"'{name}' of {args.overrides} has no encoding in {args.qgraph}")
            got = tensors[name]["encoding"]
            bw = channels[0]["bitwidth"]
            symmetric = channels[0].get("is_symmetric") in ("True", True)
            # AIMET writes symmetric tensors on the unsigned grid (offset -2^(bw-1)); qforge keeps them signed.
            shift = 2 ** (bw - 1) if symmetric and got["signed"] else 0
            check_encoding(name, got, [c["scale"] for c in channels], [c["offset"] + shift for c in channels], args.rtol)
            if got["source"] not in ("override", "propagated"):
                raise Fail(f"'{name}': source {got['source']}, expected override")
            checked += 1
    if checked == 0:
        raise Fail(f"{args.overrides} has no encodings")
    print(f"{checked} encodings match")


def same_encodings(args):
    a, b = load(args.a), load(args.b)
    ta = {t["name"]: t for t in a["tensors"]}
    tb = {t["name"]: t for t in b["tensors"]}
    if [n["op"] for n in a["nodes"]] != [n["op"] for n in b["nodes"]]:
        raise Fail(f"the ops differ: {[n['op'] for n in a['nodes']]} vs {[n['op'] for n in b['nodes']]}")
    compared = 0
    for na, nb in zip(a["nodes"], b["nodes"]):
        for key in ("inputs", "outputs"):
            for xa, xb in zip(na[key], nb[key]):
                if xa is None or xb is None:
                    continue
                ea, eb = ta[xa].get("encoding"), tb[xb].get("encoding")
                if (ea is None) != (eb is None):
                    raise Fail(f"'{xa}' / '{xb}': only one has an encoding")
                if ea is None:
                    continue
                check_encoding(f"{xa} / {xb}", ea, eb["scale"], eb["offset"], args.rtol)
                compared += 1
    print(f"{compared} encodings match")


def options(args):
    recorded = json.loads(Path(args.qgraph).read_text())["options"]
    for item in args.items:
        key, _, value = item.partition("=")
        if recorded.get(key) != json.loads(value):
            raise Fail(f"{args.qgraph}: options.{key} is {recorded.get(key)!r}, expected {value}")


def empty_dir(args):
    d = Path(args.dir)
    if d.exists() and any(p.is_file() for p in d.rglob("*")):
        raise Fail(f"{d} holds files: {sorted(str(p) for p in d.rglob('*') if p.is_file())}")


def no_partial_files(args):
    d = Path(args.dir)
    for p in d.rglob("*"):
        if p.is_file() and ".tmp." in p.name:
            raise Fail(f"{p}: a temporary file was left behind")
        if p.is_file() and p.suffix == ".raw" and p.stat().st_size % 4:
            raise Fail(f"{p}: {p.stat().st_size} bytes is no whole number of float32 values")


def split_list(args):
    src = Path(args.list)
    lines = [l for l in src.read_text().splitlines() if l.strip()]
    base = src.parent.resolve()

    def absolute(line):
        out = []
        for entry in line.split():
            name, sep, path = entry.rpartition(":=")
            p = Path(path)
            out.append(f"{name}{sep}{p if p.is_absolute() else base / p}")
        return " ".join(out)

    half = len(lines) // 2
    Path(args.first).write_text("".join(absolute(l) + "\n" for l in lines[:half]))
    Path(args.second).write_text("".join(absolute(l) + "\n" for l in lines[half:]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("schema"); s.add_argument("doc"); s.add_argument("schema"); s.set_defaults(f=schema)
    s = sub.add_parser("same-package"); s.add_argument("a"); s.add_argument("b"); s.set_defaults(f=same_package)
    s = sub.add_parser("identical"); s.add_argument("files", nargs="+"); s.set_defaults(f=identical)
    s = sub.add_parser("matches-overrides"); s.add_argument("qgraph"); s.add_argument("overrides")
    s.add_argument("--rtol", type=float, default=1e-6); s.set_defaults(f=matches_overrides)
    s = sub.add_parser("same-encodings"); s.add_argument("a"); s.add_argument("b")
    s.add_argument("--rtol", type=float, default=1e-6); s.set_defaults(f=same_encodings)
    s = sub.add_parser("options"); s.add_argument("qgraph"); s.add_argument("items", nargs="+")
    s.set_defaults(f=options)
    s = sub.add_parser("empty-dir"); s.add_argument("dir"); s.set_defaults(f=empty_dir)
    s = sub.add_parser("no-partial-files"); s.add_argument("dir"); s.set_defaults(f=no_partial_files)
    s = sub.add_parser("split-list"); s.add_argument("list"); s.add_argument("first"); s.add_argument("second")
    s.set_defaults(f=split_list)
    args = p.parse_args()
    try:
        args.f(args)
    except Fail as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

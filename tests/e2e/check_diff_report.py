#!/usr/bin/python3
"""Checks on what qforge-diff wrote, for the end-to-end tests: an independent oracle (numpy).

check_diff_report.py REPORT.json --schema SCHEMA [--recompute] [--csv FILE] [--html FILE]
                     [--expect_first_divergent NAME] [--expect_least_range_use NAME]
                     [--expect_gate passed|failed|none] [--expect_accuracy KEY=SHARE,...]

REPORT.json must validate against SCHEMA (python3-jsonschema). With --recompute, every tensor's
metrics are computed again from the .raw files the report names (golden/candidate folders and
labels from its "inputs"), with the definitions of docs/cli.md, and must agree; so must the verdicts,
the first divergent layer and the worst layers. --csv: one row per tensor, same names and
verdicts. --html: parses as XML and as HTML, needs no network (no src/href to fetch, no script)
and holds an <svg> per chart. The --expect_* options are for cases whose answer is known by
construction (a planted bad layer: below the SQNR threshold, or the encoded tensor using the least
of its range, the first in layer order on ties; a measured accuracy); KEY is a field of a tensor's
"accuracy" (golden_top1, candidate_top1, ...), checked on every output that has one.
"""

import argparse
import csv
import json
import math
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import numpy as np

from raw_names import tensor_file_name

REL_TOL = 1e-6
ABS_TOL = 1e-9
ACCURACY_TOP_K = 5
EXPECTED_CHARTS = 2  # per-layer SQNR and cosine


class Fail(Exception):
    pass


def db(value):
    return math.inf if value == "inf" else -math.inf if value == "-inf" else value


def close(a, b) -> bool:
    if isinstance(a, float) and math.isinf(a) or isinstance(b, float) and math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def expect_close(where: str, got, want) -> None:
    if not close(got, want):
        raise Fail(f"{where}: report says {got!r}, numpy says {want!r}")


def raw_path(root: Path, result: int, name: str) -> Path:
    if root.is_file():
        return root
    folder = root / f"Result_{result}"
    return (folder if folder.is_dir() else root) / f"{tensor_file_name(name)}.raw"


def load(root: Path, results, name: str):
    parts = [np.fromfile(p, dtype="<f4") for r in results if (p := raw_path(root, r, name)).is_file()]
    return parts


def grid_range(enc):
    bw = enc["bitwidth"]
    qmin, qmax = (-(2 ** (bw - 1)), 2 ** (bw - 1) - 1) if enc["signed"] else (0, 2 ** bw - 1)
    scale = np.asarray(enc["scale"], dtype=np.float32)
    offset = np.asarray(enc["offset"], dtype=np.float64)
    return ((qmin + offset) * scale).astype(np.float32), ((qmax + offset) * scale).astype(np.float32), scale


def top_k(row, k):
    return list(np.lexsort((np.arange(row.size), -row))[:k])  # largest first, lower index on ties


def check_tensor(report, t, golden_parts, candidate_parts, labels) -> None:
    s = report["settings"]
    where = f"tensor {t['name']}"
    g64 = np.concatenate(golden_parts).astype(np.float64)
    c64 = np.concatenate(candidate_parts).astype(np.float64)
    e = c64 - g64
    if t["inferences"] != len(golden_parts) or t["values"] != g64.size:
        raise Fail(f"{where}: {t['inferences']} inferences / {t['values']} values, expected "
                   f"{len(golden_parts)} / {g64.size}")
    ref = g64 if s["sqnr_reference"] == "golden" else c64
    err, sig = np.sum(e * e), np.sum(ref * ref)
    sqnr = math.inf if err == 0 else -math.inf if sig == 0 else 10 * math.log10(sig / err)
    ng, nc = np.sum(g64 * g64), np.sum(c64 * c64)
    cosine = 1.0 if ng == 0 and nc == 0 else 0.0 if ng == 0 or nc == 0 else float(np.dot(g64, c64) / math.sqrt(ng * nc))
    expect_close(f"{where} sqnr_db", db(t["sqnr_db"]), sqnr)
    expect_close(f"{where} cosine", t["cosine"], cosine)
    expect_close(f"{where} mse", t["mse"], float(np.mean(e * e)))
    expect_close(f"{where} mae", t["mae"], float(np.mean(np.abs(e))))
    expect_close(f"{where} max_abs_error", t["max_abs_error"], float(np.max(np.abs(e))))
    pass_rate = float(np.mean(np.abs(e) <= s["atol"] + s["rtol"] * np.abs(g64)))
    expect_close(f"{where} pass_rate", t["pass_rate"], pass_rate)

    zeros = s["mistrust_zero_share"]
    g32, c32 = np.concatenate(golden_parts), np.concatenate(candidate_parts)
    mistrusted = (np.mean(g32 == 0) >= zeros and np.mean(c32 == 0) >= zeros) or (
        g32.min() == g32.max() and c32.min() == c32.max())
    gated = t["output"] and report["gate"] is not None
    # A failure of the whole comparison (inputs_differ) names no tensor.
    gate_failed = gated and any(f.get("tensor") == t["name"] for f in report["gate"]["failures"])
    below = not gated and sqnr < s["layer_sqnr_threshold_db"]
    verdict = "FAILED" if gate_failed else "MISTRUSTED" if mistrusted else "FAILED" if below else "PASSED"
    if t["verdict"] != verdict:
        raise Fail(f"{where}: verdict {t['verdict']}, expected {verdict}")

    if t["encoding"] is not None:
        enc = t["encoding"]
        lo, hi, scale = grid_range(enc)
        for key, want in (("min", lo), ("max", hi)):
            for got, w in zip(enc[key], want):
                expect_close(f"{where} encoding {key}", got, float(w))
        if enc["axis"] >= 0:
            raise Fail(f"{where}: per-channel activations are not in this fixture")
        outside = (g32 < lo[0]) | (g32 > hi[0])
        expect_close(f"{where} clipped_share", enc["clipped_share"], float(np.mean(outside)))
        expect_close(f"{where} clipping_mse", enc["clipping_mse"], float(np.sum(e[outside] ** 2) / e.size))
        expect_close(f"{where} rounding_mse", enc["rounding_mse"], float(np.sum(e[~outside] ** 2) / e.size))
        expect_close(f"{where} max_error_lsb", enc["max_error_lsb"], float(np.max(np.abs(e) / scale[0])))
        span = min(g32.max(), hi[0]) - max(g32.min(), lo[0])
        expect_close(f"{where} range_use", enc["range_use"], max(0.0, float(span)) / float(hi[0] - lo[0]))

    if t["top_k"] is not None:
        k = min(s["top_k"], golden_parts[0].size)
        top1 = [top_k(g, 1) == top_k(c, 1) for g, c in zip(golden_parts, candidate_parts)]
        overlap = [len(set(top_k(g, k)) & set(top_k(c, k))) / k for g, c in zip(golden_parts, candidate_parts)]
        expect_close(f"{where} top1_agreement", t["top_k"]["top1_agreement"], float(np.mean(top1)))
        expect_close(f"{where} topk_agreement", t["top_k"]["topk_agreement"], float(np.mean(overlap)))

    if t["accuracy"] is not None:
        results = report["results"]["compared"]
        acc = t["accuracy"]
        for side, parts in (("golden", golden_parts), ("candidate", candidate_parts)):
            hits1 = np.mean([labels[r] in top_k(v, 1) for r, v in zip(results, parts)])
            hits5 = np.mean([labels[r] in top_k(v, ACCURACY_TOP_K) for r, v in zip(results, parts)])
            expect_close(f"{where} {side}_top1", acc[f"{side}_top1"], float(hits1))
            expect_close(f"{where} {side}_top5", acc[f"{side}_top5"], float(hits5))


def recompute(report) -> None:
    golden = Path(report["inputs"]["golden"])
    candidate = Path(report["inputs"]["candidate"])
    labels = None
    if report["inputs"]["labels"]:
        labels = [int(v) for v in Path(report["inputs"]["labels"]).read_text().split()]
    results = report["results"]["compared"]
    s = report["settings"]
    for t in report["tensors"]:
        check_tensor(report, t, load(golden, results, t["name"]), load(candidate, results, t["candidate_name"]), labels)
    trusted = [t for t in report["tensors"] if t["verdict"] != "MISTRUSTED"]
    below = [t["name"] for t in trusted if db(t["sqnr_db"]) < s["layer_sqnr_threshold_db"]]
    first = below[0] if below else None
    if report["summary"]["first_divergent_layer"] != first:
        raise Fail(f"first divergent layer {report['summary']['first_divergent_layer']!r}, expected {first!r}")
    worst = [t["name"] for t in sorted(trusted, key=lambda t: (db(t["sqnr_db"]), t["cosine"]))][: s["worst"]]
    if report["summary"]["worst_layers"] != worst:
        raise Fail(f"worst layers {report['summary']['worst_layers']}, expected {worst}")
    print(f"{len(report['tensors'])} tensors agree with numpy")


def check_csv(report, path: Path) -> None:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    got = [(r["tensor"], r["candidate"], r["verdict"]) for r in rows]
    want = [(t["name"], t["candidate_name"], t["verdict"]) for t in report["tensors"]]
    if got != want:
        raise Fail(f"{path}: rows {got}, expected {want}")
    for r, t in zip(rows, report["tensors"]):
        expect_close(f"{path} {t['name']} mse", float(r["mse"]), t["mse"])
    print(f"{path}: {len(rows)} rows as in the JSON report")


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.fetches = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for key, value in attrs:
            if key in ("src", "href") or (value and "url(" in value):
                self.fetches.append(f"<{tag} {key}={value}>")


def check_html(report, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        ET.fromstring(text.split("\n", 1)[1])  # after <!DOCTYPE html>
    except ET.ParseError as e:
        raise Fail(f"{path}: not well-formed: {e}") from None
    page = PageParser()
    page.feed(text)
    page.close()
    if page.fetches or "script" in page.tags or "@import" in text:
        raise Fail(f"{path}: not self-contained: {page.fetches or 'script/@import'}")
    if page.tags.count("svg") != EXPECTED_CHARTS:
        raise Fail(f"{path}: {page.tags.count('svg')} <svg> charts, expected {EXPECTED_CHARTS}")
    bars = page.tags.count("rect")
    if bars != EXPECTED_CHARTS * len(report["tensors"]):
        raise Fail(f"{path}: {bars} bars, expected one per tensor and chart")
    for t in report["tensors"]:
        if t["name"] not in text:
            raise Fail(f"{path}: tensor {t['name']} is not on the page")
    print(f"{path}: well-formed, self-contained, {EXPECTED_CHARTS} charts of {len(report['tensors'])} bars")


def check_expectations(report, args) -> None:
    if args.expect_first_divergent is not None:
        got = report["summary"]["first_divergent_layer"]
        if got != args.expect_first_divergent:
            raise Fail(f"first divergent layer {got!r}, expected {args.expect_first_divergent!r}")
    if args.expect_least_range_use is not None:
        encoded = [t for t in report["tensors"] if t["encoding"] is not None]
        got = min(encoded, key=lambda t: (t["encoding"]["range_use"], t["index"]))["name"] if encoded else None
        if got != args.expect_least_range_use:
            raise Fail(f"least range use: {got!r}, expected {args.expect_least_range_use!r}")
    if args.expect_gate is not None:
        got = "none" if report["gate"] is None else "passed" if report["gate"]["passed"] else "failed"
        if got != args.expect_gate:
            raise Fail(f"gate {got}, expected {args.expect_gate}")
    if args.expect_accuracy:
        outputs = [t for t in report["tensors"] if t["accuracy"] is not None]
        if not outputs:
            raise Fail("no output has an accuracy")
        for item in args.expect_accuracy.split(","):
            key, _, value = item.partition("=")
            for t in outputs:
                if not math.isclose(t["accuracy"][key], float(value), abs_tol=ABS_TOL):
                    raise Fail(f"{t['name']} accuracy {key} = {t['accuracy'][key]}, expected {value}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", type=Path)
    ap.add_argument("--schema", type=Path, required=True)
    ap.add_argument("--recompute", action="store_true")
    ap.add_argument("--csv", type=Path)
    ap.add_argument("--html", type=Path)
    ap.add_argument("--expect_first_divergent")
    ap.add_argument("--expect_least_range_use")
    ap.add_argument("--expect_gate", choices=["passed", "failed", "none"])
    ap.add_argument("--expect_accuracy")
    args = ap.parse_args()
    try:
        report = json.loads(args.report.read_text())
        try:
            jsonschema.Draft202012Validator(json.loads(args.schema.read_text())).validate(report)
        except jsonschema.ValidationError as e:
            raise Fail(f"{args.report} does not validate against {args.schema}: {e.message} at "
                       f"{'/'.join(map(str, e.absolute_path))}") from None
        print(f"{args.report} validates against {args.schema}")
        if args.recompute:
            recompute(report)
        if args.csv:
            check_csv(report, args.csv)
        if args.html:
            check_html(report, args.html)
        check_expectations(report, args)
    except Fail as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

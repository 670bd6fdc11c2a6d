#!/usr/bin/env python3
"""The layering rule of lib/: each folder includes only itself and the folders below it.

    core < ir < io < runtime < onnx < package < passes < quant < compare < driver

core   Status, Tensor, DType, rounding, logging: no qforge includes
ir     the op table, Graph / Node / Value, Encoding, shape inference, the verifier
io     input lists, raw tensors, atomic files
runtime  the executor and the kernels (reference, oneDNN, x86)
onnx   the ONNX importer and exporters (the only protobuf users)
package  qgraph.json + blob
passes   graph rewrites (constant folding runs reference kernels)
quant    plan, observers, calibration, overrides, encodings, weight algorithms
compare  metrics, per-layer matching, reports
driver   the three entry points (convert, net-run, model loading) that wire the layers together

tools/ sits above lib/ and may include anything; lib/ never includes tools/.

Inside runtime/, the backends' rooms keep apart: reference/ (the oracle) includes neither onednn/
nor x86/, and x86/ (qforge's own kernels, no oneDNN) does not include onednn/; onednn/ lists the x86
kernels in its int8 kernel list, so it may include x86/.

Usage: check_layers.py REPO      checks REPO/lib, prints every violation, exits 1 if any
       check_layers.py --self-test   plants a back-include in a copy and checks that it is caught
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ORDER = ["core", "ir", "io", "runtime", "onnx", "package", "passes", "quant", "compare", "driver"]
RANK = {folder: i for i, folder in enumerate(ORDER)}
INCLUDE = re.compile(r'\s*#\s*include\s+"([^"]+)"')
SOURCE_SUFFIXES = (".h", ".hpp", ".cpp", ".cc", ".def", ".inc")
# Rooms inside a layer that must not include certain others.
ROOMS_KEPT_APART = {
    "runtime/reference": ("runtime/onednn", "runtime/x86"),
    "runtime/x86": ("runtime/onednn",),
}


def violations(repo):
    lib = os.path.join(repo, "lib")
    found = []
    for folder in sorted(os.listdir(lib)):
        if os.path.isdir(os.path.join(lib, folder)) and folder not in RANK:
            found.append(f"lib/{folder}/: a folder the layer order does not place (tests/architecture/check_layers.py)")
    for dirpath, _, files in os.walk(lib):
        rel_dir = os.path.relpath(dirpath, lib)
        if rel_dir == ".":
            continue
        layer = rel_dir.split(os.sep)[0]
        if layer not in RANK:
            continue
        for name in sorted(files):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            path = os.path.join(dirpath, name)
            with open(path, errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m or "/" not in m.group(1):
                        continue
                    target = m.group(1).split("/")[0]
                    where = f"{os.path.relpath(path, repo)}:{number}"
                    if target == "tools":
                        found.append(f'{where}: #include "{m.group(1)}": lib/ never includes tools/')
                    elif target in RANK and RANK[target] > RANK[layer]:
                        found.append(f'{where}: #include "{m.group(1)}": {layer}/ may not include {target}/, '
                                     f'a higher layer ({" < ".join(ORDER)})')
                    room = "/".join(rel_dir.split(os.sep)[:2])
                    for kept_apart in ROOMS_KEPT_APART.get(room, ()):
                        if m.group(1).startswith(kept_apart + "/"):
                            found.append(f'{where}: #include "{m.group(1)}": {room}/ may not include {kept_apart}/')
    return found


def self_test():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(os.path.join(repo, "lib"), os.path.join(tmp, "lib"))
        clean = subprocess.run([sys.executable, __file__, tmp], capture_output=True, text=True)
        if clean.returncode != 0:
            print("self-test: the unmodified copy should pass:\n" + clean.stdout)
            return 1
        planted = os.path.join(tmp, "lib", "ir", "graph.h")
        with open(planted, "a") as f:
            f.write('#include "driver/convert.h"\n')
        bad = subprocess.run([sys.executable, __file__, tmp], capture_output=True, text=True)
        expected = 'lib/ir/graph.h:'
        if bad.returncode != 1 or expected not in bad.stdout or '#include "driver/convert.h"' not in bad.stdout:
            print(f"self-test: a planted back-include was not reported (exit {bad.returncode}):\n{bad.stdout}")
            return 1
        planted_room = os.path.join(tmp, "lib", "runtime", "x86", "x86_kernels.h")
        with open(planted_room, "a") as f:
            f.write('#include "runtime/onednn/common.h"\n')
        room = subprocess.run([sys.executable, __file__, tmp], capture_output=True, text=True)
        if room.returncode != 1 or "lib/runtime/x86/x86_kernels.h:" not in room.stdout:
            print(f"self-test: an x86 kernel including oneDNN's wrappers was not reported:\n{room.stdout}")
            return 1
        os.mkdir(os.path.join(tmp, "lib", "misc"))
        unplaced = subprocess.run([sys.executable, __file__, tmp], capture_output=True, text=True)
        if unplaced.returncode != 1 or "lib/misc/" not in unplaced.stdout:
            print(f"self-test: a folder outside the order was not reported:\n{unplaced.stdout}")
            return 1
    print("self-test: a planted back-include, a crossing between backend rooms and an unplaced folder are all reported")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    found = violations(sys.argv[1])
    for v in found:
        print(v)
    if found:
        print(f"{len(found)} layering violation(s)")
        return 1
    print(f"lib/ layers hold: {' < '.join(ORDER)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

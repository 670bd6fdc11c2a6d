#!/usr/bin/python3
"""Export the torchvision resnet18 and mobilenet_v2 architectures to ONNX for scripts/bench.sh.

usage: bench_export.py OUTDIR

Writes OUTDIR/<model>.onnx (opset 13, input "input" [1,3,224,224], output "output" [1,1000]),
OUTDIR/input.raw (one seeded uniform [0,1) image, float32) and OUTDIR/input_list.txt.
Random weights (nothing can be downloaded here), with random BatchNorm statistics so the
network is not a near-identity; that does not change the timings. Needs Debian's
python3-torch and python3-torchvision: run with /usr/bin/python3.
"""

import sys
from pathlib import Path

import numpy as np
import torch
import torchvision

MODELS = ("resnet18", "mobilenet_v2")
SHAPE = (1, 3, 224, 224)
OPSET = 13


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    x = np.random.default_rng(0).random(SHAPE, dtype=np.float32)
    x.astype("<f4").tofile(out / "input.raw")
    (out / "input_list.txt").write_text("input:=input.raw\n")
    for name in MODELS:
        model = getattr(torchvision.models, name)(weights=None).eval()
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.1, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
        torch.onnx.export(model, torch.from_numpy(x), str(out / f"{name}.onnx"), opset_version=OPSET,
                          input_names=["input"], output_names=["output"])
        print(f"{out / name}.onnx")
    return 0


if __name__ == "__main__":
    sys.exit(main())

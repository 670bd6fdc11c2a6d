#!/usr/bin/python3
"""Export the benchmark models of scripts/bench.sh to ONNX.

usage: bench_export.py OUTDIR

Writes, under OUTDIR:
  resnet18.onnx, mobilenet_v2.onnx  the torchvision architectures (opset 13, input "input"
                                    [1,3,224,224], output "output" [1,1000])
  chain20.onnx                      20 x (conv3x3 64->64 + ReLU) at 56x56 (input [1,64,56,56])
  deit_tiny.onnx                    a DeiT-tiny-sized ViT (patch 16, 192 wide, 12 blocks, 3 heads, MLP 768,
                                    class token; scripts/train_vit.py's ViT: attention written out, LayerNorm
                                    decomposed at opset 13, GELU as Erf), input "input" [1,3,224,224],
                                    output "output" [1,1000]
  <model>_input.raw, <model>_list.txt   one seeded uniform [0,1) input and its input list
  <model>_calib/                    CALIBRATION_INPUTS more inputs and an input list, for the
                                    int8 conversions (scripts/bench.sh times 200 of them)
Random weights (nothing can be downloaded here), with random BatchNorm statistics so the
network is not a near-identity; that does not change the timings. All are exported with constant
folding at batch 1. Needs Debian's python3-torch and python3-torchvision: run with /usr/bin/python3.
"""

import sys
from pathlib import Path

import numpy as np
import torch
import torchvision

from train_vit import ViT

OPSET = 13
CALIBRATION_INPUTS = 200
CHAIN_DEPTH = 20
CHAIN_CHANNELS = 64
CHAIN_SIZE = 56


def chain20() -> torch.nn.Module:
    layers = []
    for _ in range(CHAIN_DEPTH):
        layers += [torch.nn.Conv2d(CHAIN_CHANNELS, CHAIN_CHANNELS, 3, padding=1), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers)


def deit_tiny() -> torch.nn.Module:
    # DeiT-tiny's shape (Touvron et al. 2021): 224x224, patch 16 (196 patches + a class token), 192 wide,
    # 12 blocks, 3 heads, MLP 768, LayerNorm eps 1e-6, 1000 classes; weights trunc-normal(0.02).
    model = ViT(image=224, channels=3, patch=16, dim=192, depth=12, heads=3, mlp_dim=768, classes=1000, eps=1e-6,
                pool="cls")
    # Random LayerNorm scales and shifts and Linear biases, as the BatchNorm statistics above: a trained
    # model's are not 1 and 0, and the exporter would otherwise share the equal initializers through
    # 119 Identity nodes.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
            elif isinstance(m, torch.nn.Linear):
                m.bias.uniform_(-0.1, 0.1)
    return model


MODELS = {
    "resnet18": (lambda: torchvision.models.resnet18(weights=None), (1, 3, 224, 224)),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None), (1, 3, 224, 224)),
    "chain20": (chain20, (1, CHAIN_CHANNELS, CHAIN_SIZE, CHAIN_SIZE)),
    "deit_tiny": (deit_tiny, (1, 3, 224, 224)),  # last: the models before it keep their weights and inputs
}


def write_inputs(folder: Path, shape, count: int, rng) -> None:
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(count):
        rng.random(shape, dtype=np.float32).astype("<f4").tofile(folder / "raw" / f"{i:03d}.raw")
        lines.append(f"input:=raw/{i:03d}.raw")
    (folder / "input_list.txt").write_text("\n".join(lines) + "\n")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    for name, (make, shape) in MODELS.items():
        x = rng.random(shape, dtype=np.float32)
        x.astype("<f4").tofile(out / f"{name}_input.raw")
        (out / f"{name}_list.txt").write_text(f"input:={name}_input.raw\n")
        write_inputs(out / f"{name}_calib", shape, CALIBRATION_INPUTS, rng)
        model = make().eval()
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.1, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
        torch.onnx.export(model, torch.from_numpy(x), str(out / f"{name}.onnx"), opset_version=OPSET,
                          do_constant_folding=True, input_names=["input"], output_names=["output"])
        print(f"{out / name}.onnx")
    return 0


if __name__ == "__main__":
    sys.exit(main())

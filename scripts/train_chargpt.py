#!/usr/bin/python3
"""Train the bundled transformer example for text: a character-level GPT decoder on Debian's licenses.

usage: train_chargpt.py [--out DIR] [--steps N] [--no-ort]

  --out     output folder (default: <repo>/calib/chargpt)
  --steps   optimizer steps (default: STEPS)
  --no-ort  skip the onnxruntime-node measurement (for trying things, not for the committed files)

Writes into --out:
  chargpt_opset17.onnx   opset 17: LayerNorm as one LayerNormalization op
  chargpt_opset13.onnx   opset 13: LayerNorm decomposed (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div,
                         Mul, Add)
  vocab.json             the characters (id = index), the id of characters outside them, the text's files,
                         length and SHA-256, the split
  reference.json         held-out perplexity of both exports run by onnxruntime-node and of torch, the
                         largest logit difference, op counts, hyperparameters, versions, seed, timings

Both exports: input `tokens` int64 [1,128], output `logits` float32 [1,128,vocab] (the next character's
logits at every position), batch fixed to 1, constant folding on.

The text, its split and the windows are scripts/prepare_text.py's (the licenses of /usr/share/common-licenses
in a fixed order, the first 90 % for training, the last 10 % held out); `prepare_text.py --split eval` writes
the evaluation windows reference.json's perplexity is measured on, and scripts/perplexity.py scores a
qforge-net-run output folder against them.

Model (a GPT decoder written as nanoGPT-style code writes it): learned token and position embeddings, blocks
of pre-LayerNorm causal self-attention (one Linear for q, k, v split in three, heads, q.k^T / sqrt(head size),
a registered lower-triangular buffer and masked_fill with -inf, Softmax, .v, merge heads, output Linear)
and a pre-LayerNorm MLP (Linear, GELU (erf), Linear), a final LayerNorm and a bias-free LM head.

Deterministic: fixed seeds, 2 threads. Run with /usr/bin/python3 (Debian's python3-torch 1.13, python3-onnx,
python3-numpy); libopenblas0-pthread makes it ~10x faster; node with onnxruntime-node (scripts/ort_install.sh).
"""

import argparse
import json
import math
import os

# Threads that wait sleep instead of spinning (see train_vit.py); set before torch loads OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perplexity as ppl  # noqa: E402
import prepare_text as pt  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SEED = 20240601
THREADS = 2

# The architecture.
CONTEXT = pt.CONTEXT  # 128
DIM = 128
DEPTH = 4
HEADS = 4
LN_EPS = 1e-5

# The training.
BATCH = 16
STEPS = 900
LR = 2e-3
MIN_LR = 2e-4
WARMUP_STEPS = 50
WEIGHT_DECAY = 0.1
BETAS = (0.9, 0.99)
DROPOUT = 0.1
GRAD_CLIP = 1.0

EVAL_WINDOWS = 64  # reference.json's perplexity: the first 64 held-out windows (and all of them, too)
OPSETS = (17, 13)


class CausalSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads, self.head_dim = HEADS, DIM // HEADS
        self.c_attn = nn.Linear(DIM, 3 * DIM)
        self.c_proj = nn.Linear(DIM, DIM)
        self.attn_dropout = nn.Dropout(DROPOUT)
        self.resid_dropout = nn.Dropout(DROPOUT)
        self.register_buffer("mask", torch.tril(torch.ones(CONTEXT, CONTEXT)).view(1, 1, CONTEXT, CONTEXT))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        q = q.view(b, t, self.heads, self.head_dim).transpose(1, 2)  # [B, heads, T, head_dim]
        k = k.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        v = v.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
        att = self.attn_dropout(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, d)  # merge the heads
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc = nn.Linear(DIM, 4 * DIM)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * DIM, DIM)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(DIM, eps=LN_EPS)
        self.attn = CausalSelfAttention()
        self.ln_2 = nn.LayerNorm(DIM, eps=LN_EPS)
        self.mlp = MLP()

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class CharGPT(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, DIM)
        self.wpe = nn.Embedding(CONTEXT, DIM)
        self.drop = nn.Dropout(DROPOUT)
        self.blocks = nn.Sequential(*[Block() for _ in range(DEPTH)])
        self.ln_f = nn.LayerNorm(DIM, eps=LN_EPS)
        self.lm_head = nn.Linear(DIM, vocab_size, bias=False)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):  # residual projections scaled down with depth, as GPT-2
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * DEPTH))
            elif p.ndim == 2:
                nn.init.normal_(p, std=0.02)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)

    def forward(self, tokens):
        t = tokens.shape[1]
        pos = torch.arange(t, dtype=torch.long, device=tokens.device)
        x = self.drop(self.wte(tokens) + self.wpe(pos))
        return self.lm_head(self.ln_f(self.blocks(x)))


def lr_at(step, steps):
    """Linear warm-up, then cosine down to MIN_LR."""
    if step < WARMUP_STEPS:
        return LR * (step + 1) / WARMUP_STEPS
    p = (step - WARMUP_STEPS) / max(1, steps - WARMUP_STEPS)
    return MIN_LR + 0.5 * (LR - MIN_LR) * (1 + math.cos(math.pi * p))


def train(model, ids, steps, gen):
    """AdamW on random windows of the training part (each start drawn uniformly), gradient clipping."""
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}], lr=LR, betas=BETAS)
    data = torch.from_numpy(ids)
    offsets = torch.arange(CONTEXT + 1)
    log = []
    model.train()
    t0, total = time.time(), 0.0
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps)
        starts = torch.randint(0, data.numel() - CONTEXT, (BATCH,), generator=gen)
        chunk = data[starts[:, None] + offsets]
        logits = model(chunk[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), chunk[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        opt.step()
        total += loss.item()
        if (step + 1) % 100 == 0 or step + 1 == steps:
            n = (step % 100) + 1
            log.append({"step": step + 1, "loss": round(total / n, 4), "seconds": round(time.time() - t0, 1)})
            print(f"  step {step + 1}/{steps}: loss {total / n:.4f} ({time.time() - t0:.0f} s)", flush=True)
            total = 0.0
    return log


@torch.no_grad()
def torch_logits(model, x) -> np.ndarray:
    model.eval()
    return torch.cat([model(torch.from_numpy(x[i:i + 16])) for i in range(0, len(x), 16)]).numpy()


def nll_of(logits, targets) -> dict:
    """Perplexity over windows, float64 log-softmax (scripts/perplexity.py's)."""
    total = sum(ppl.window_nll(logits[i], targets[i]) for i in range(len(targets)))
    nll = total / targets.size
    return {"perplexity": round(math.exp(nll), 4), "nll_per_token": round(nll, 5), "windows": len(targets),
            "tokens": int(targets.size)}


def op_counts(graph) -> dict:
    counts = {}
    for n in graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def export(model, path: Path, opset: int) -> dict:
    """Export at batch 1 with constant folding; check that LayerNorm has the form the opset implies."""
    torch.onnx.export(model, torch.zeros(1, CONTEXT, dtype=torch.long), str(path), opset_version=opset,
                      do_constant_folding=True, input_names=["tokens"], output_names=["logits"])
    m = onnx.load(str(path))
    onnx.checker.check_model(m, full_check=True)
    ops = op_counts(m.graph)
    norms = 2 * DEPTH + 1
    if opset >= 17:
        ok = ops.get("LayerNormalization") == norms and "ReduceMean" not in ops
    else:
        ok = "LayerNormalization" not in ops and ops.get("ReduceMean") == 2 * norms and ops.get("Sqrt") == norms
    if not ok or ops.get("Softmax") != DEPTH or ops.get("Erf") != DEPTH:
        raise RuntimeError(f"{path.name}: unexpected graph {ops}")
    return ops


def ort_logits(model_path: Path, inputs: Path, work: Path, count: int) -> np.ndarray:
    """onnxruntime-node's logits (scripts/ort_net_run.js, 2 threads) over an input list of prepare_text.py's."""
    node_path = subprocess.run([str(REPO / "scripts" / "ort_install.sh")], check=True, capture_output=True,
                               text=True).stdout.strip()
    out = work / model_path.stem
    subprocess.run(["node", str(REPO / "scripts" / "ort_net_run.js"), str(model_path), str(inputs / "input_list.txt"),
                    str(out), str(THREADS)], check=True, env={**os.environ, "NODE_PATH": node_path})
    return np.stack([np.fromfile(out / f"Result_{i}" / "logits.raw", dtype="<f4").reshape(CONTEXT, -1)
                     for i in range(count)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "calib" / "chargpt")
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--no-ort", action="store_true")
    args = ap.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)

    text = pt.read_text()
    train_text, held_text = pt.split(text)
    vocab = pt.make_vocab(train_text)
    unseen = sorted(set(held_text) - set(vocab["chars"]))
    vocab.update({
        "context": CONTEXT,
        "text": {"dir": str(pt.TEXT_DIR), "files": pt.FILES, "encoding": "utf-8", "joined_with": "",
                 "characters": len(text), "sha256": pt.sha256(text), "base_files": base_files_version()},
        "split": {"train_characters": len(train_text), "heldout_characters": len(held_text),
                  "rule": f"the first floor({pt.TRAIN_FRACTION} x characters) train, the rest held out"},
        "heldout_characters_not_in_vocab": unseen,
    })
    train_ids = pt.encode(train_text, vocab)
    vocab_size = len(vocab["chars"])
    print(f"text: {len(text)} characters ({len(train_text)} train, {len(held_text)} held out), vocabulary "
          f"{vocab_size}; held-out characters outside it, read as {vocab['unk_char']!r}: {unseen}", flush=True)

    model = CharGPT(vocab_size)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"training, {args.steps} steps of {BATCH} x {CONTEXT} ({n_params} parameters)", flush=True)
    t0, c0 = time.time(), time.process_time()
    log = train(model, train_ids, args.steps, gen)
    t_train, c_train = time.time() - t0, time.process_time() - c0
    model.eval()

    held_ids = pt.encode(held_text, vocab)
    all_windows = (len(held_text) - 1) // CONTEXT
    x_all, y_all = pt.windows(held_ids, pt.window_starts(held_text, all_windows, "eval"))
    ref_torch = torch_logits(model, x_all)
    results = {"torch": {f"eval_{EVAL_WINDOWS}": nll_of(ref_torch[:EVAL_WINDOWS], y_all[:EVAL_WINDOWS]),
                         f"eval_all_{all_windows}": nll_of(ref_torch, y_all)}}
    print(f"  torch fp32 held-out perplexity: {results['torch'][f'eval_{EVAL_WINDOWS}']['perplexity']} "
          f"({EVAL_WINDOWS} windows), {results['torch'][f'eval_all_{all_windows}']['perplexity']} (all {all_windows})",
          flush=True)
    # For comparison, the training part: 256 windows as prepare_text.py --split calib --count 256 makes them.
    cal_x, cal_y = pt.windows(train_ids, pt.window_starts(train_text, 256, "calib"))
    train_check = nll_of(torch_logits(model, cal_x), cal_y)

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.json").write_text(json.dumps(vocab, indent=2) + "\n")
    ops, diffs = {}, {}
    with tempfile.TemporaryDirectory(prefix="train_chargpt.") as work:
        work = Path(work)
        if not args.no_ort:
            # The evaluation windows exactly as a qforge user makes them.
            subprocess.run([sys.executable, str(REPO / "scripts" / "prepare_text.py"), "--model-dir", str(out),
                            "--split", "eval", "--count", str(all_windows), "--out", str(work / "eval")], check=True)
            if not np.array_equal(np.load(work / "eval" / "targets.npy"), y_all):
                raise RuntimeError("prepare_text.py's targets differ from the training script's")
        for opset in OPSETS:
            path = out / f"chargpt_opset{opset}.onnx"
            ops[path.name] = export(model, path, opset)
            if args.no_ort:
                continue
            t0 = time.time()
            logits = ort_logits(path, work / "eval", work, all_windows)
            diffs[path.name] = float(np.abs(logits - ref_torch).max())
            results[f"onnxruntime {path.name}"] = {f"eval_{EVAL_WINDOWS}": nll_of(logits[:EVAL_WINDOWS],
                                                                                y_all[:EVAL_WINDOWS]),
                                                    f"eval_all_{all_windows}": nll_of(logits, y_all)}
            # The same through perplexity.py, reading the output folder as it reads qforge-net-run's.
            by_files = ppl.perplexity(work / path.stem, y_all)["perplexity"]
            if abs(by_files - results[f"onnxruntime {path.name}"][f"eval_all_{all_windows}"]["perplexity"]) > 1e-3:
                raise RuntimeError(f"perplexity.py reads {by_files} from the output folder")
            r = results[f"onnxruntime {path.name}"]
            print(f"  onnxruntime {path.name}: perplexity {r[f'eval_{EVAL_WINDOWS}']['perplexity']} ({EVAL_WINDOWS} "
                  f"windows), {r[f'eval_all_{all_windows}']['perplexity']} (all); logits within "
                  f"{diffs[path.name]:.2e} of torch's ({time.time() - t0:.0f} s)", flush=True)
            if diffs[path.name] > 1e-4:
                raise RuntimeError(f"{path.name}: onnxruntime's logits differ from torch's by {diffs[path.name]}")

    reference = {
        "perplexity": results,
        "eval_windows": {"reference": EVAL_WINDOWS, "all": all_windows,
                         "rule": "held-out part, window i = characters 128 i .. 128 i + 127, targets shifted by one "
                                 "(prepare_text.py --split eval --count N)",
                         f"targets_mapped_to_unk_in_first_{EVAL_WINDOWS}":
                             int(sum(c not in vocab["chars"] for c in held_text[1:EVAL_WINDOWS * CONTEXT + 1])),
                         "targets_mapped_to_unk_in_all":
                             int(sum(c not in vocab["chars"] for c in held_text[1:all_windows * CONTEXT + 1]))},
        "train_part_perplexity_torch_256_calib_windows": train_check,
        "max_abs_logit_diff_onnxruntime_vs_torch": diffs,
        "onnx_ops": ops,
        "onnx_bytes": {p: (out / p).stat().st_size for p in ops},
        "parameters": n_params,
        "vocab_size": vocab_size,
        "model": {"context": CONTEXT, "dim": DIM, "depth": DEPTH, "heads": HEADS, "mlp_dim": 4 * DIM,
                  "layernorm_eps": LN_EPS, "gelu": "erf (nn.GELU())", "lm_head": "Linear without bias, not tied",
                  "attention": "one Linear for q, k, v, split; causal mask: lower-triangular buffer, masked_fill -inf"},
        "training": {"steps": args.steps, "batch": BATCH, "tokens_per_step": BATCH * CONTEXT,
                     "optimizer": "AdamW", "betas": list(BETAS), "lr": LR, "min_lr": MIN_LR,
                     "schedule": f"linear warm-up {WARMUP_STEPS} steps, then cosine to min_lr",
                     "weight_decay": WEIGHT_DECAY, "dropout": DROPOUT, "grad_clip": GRAD_CLIP,
                     "sampling": "window starts drawn uniformly from the training part",
                     "seconds": round(t_train, 1), "cpu_seconds": round(c_train, 1), "threads": THREADS,
                     "seed": SEED, "loss_log": log},
        "onnxruntime": "onnxruntime-node 1.30.0 (scripts/ort_install.sh), CPU, 2 threads, scripts/ort_net_run.js",
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
    }
    (out / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    print(f"wrote {out}; training {t_train:.0f} s (CPU {c_train:.0f} s)", flush=True)
    return 0


def base_files_version() -> str:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "base-files"], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else "unknown"


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Train the bundled Fashion-MNIST example: a small CNN, fp32 then QAT (PyTorch eager mode, onednn).

usage: train_example.py [--out DIR] [--data DIR] [--fp32-epochs N] [--qat-epochs N]

  --out   output folder (default: <repo>/calib/fashion)
  --data  the Fashion-MNIST IDX files (default: /usr/share/datasets/fashion-mnist, from Debian's
          dataset-fashion-mnist: {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz)

Writes into --out:
  model_fp32.onnx              the QAT-trained float weights as a plain float model, BatchNormalization
                               kept (not folded); opset 13, input `input` [1,1,28,28], output `logits` [1,10]
  model_qat_qdq.onnx           the same model converted to int8 by torch and exported as QDQ ONNX
  model_fp32.encodings.json    AIMET 0.6.1 quantization overrides for model_fp32.onnx: the QAT scales
  calib_images_u8_N28x28.bin   500 TRAIN images (50 per class, interleaved 0..9), uint8 row-major
  calib_labels_u8.bin          their labels
  test_images_u8_N28x28.bin    the first 1000 TEST images, uint8 row-major
  test_labels_u8.bin           their labels
  reference.json               accuracies, exported scales and zero points, versions, seeds, timings

Model input: float32 [1,1,28,28] = pixel / 255 (no mean/std normalisation).
Deterministic: fixed seeds, 2 threads. Takes a few minutes on 2 cores. Needs Debian's python3-torch
(1.13), python3-onnx and python3-numpy, so run it with /usr/bin/python3; and `apt-get install
dataset-fashion-mnist`.
"""

import argparse
import copy
import gzip
import json
import platform
import struct
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.ao.quantization as tq
import torch.nn as nn
from onnx import numpy_helper

REPO = Path(__file__).resolve().parent.parent
SEED = 20240601
THREADS = 2
BATCH = 128
CALIB_PER_CLASS = 50
TEST_SUBSET = 1000
NUM_CLASSES = 10
OPSET = 13

# The fuse groups of Net (module paths), as fuse_modules_qat wants them.
FUSE_GROUPS = [
    ["stem.0", "stem.1", "stem.2"],
    ["conv2.0", "conv2.1", "conv2.2"],
    ["res1.0", "res1.1", "res1.2"],
    ["res2.0", "res2.1"],
    ["dw.0", "dw.1", "dw.2"],
    ["pw.0", "pw.1", "pw.2"],
]


def conv_bn(cin, cout, k=3, groups=1, relu=True):
    # bias=False: the BatchNormalization that follows carries the bias.
    layers = [nn.Conv2d(cin, cout, k, padding=k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Net(nn.Module):
    """28x28 -> stem 16 -> pool -> 32 -> residual (32,32) -> pool -> depthwise 32 + pointwise 64 -> GAP -> 10."""

    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem = conv_bn(1, 16)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = conv_bn(16, 32)
        self.res1 = conv_bn(32, 32)
        self.res2 = conv_bn(32, 32, relu=False)
        # add_relu, so that QAT quantizes the sum after the ReLU (as the int8 model runs it), not before.
        self.add = torch.ao.nn.quantized.FloatFunctional()
        self.pool2 = nn.MaxPool2d(2)
        self.dw = conv_bn(32, 32, groups=32)
        self.pw = conv_bn(32, 64, k=1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(64, NUM_CLASSES)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.pool1(self.stem(self.quant(x)))
        x = self.conv2(x)
        x = self.add.add_relu(self.res2(self.res1(x)), x)
        x = self.pw(self.dw(self.pool2(x)))
        return self.dequant(self.fc(self.flat(self.gap(x))))


def load_idx(path: Path) -> np.ndarray:
    """A gzipped IDX file of unsigned bytes (magic 0x0000 08 NN) as an array of its shape."""
    data = gzip.decompress(path.read_bytes())
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def to_input(images_u8: np.ndarray) -> torch.Tensor:
    """uint8 [N,28,28] -> float32 [N,1,28,28] = pixel/255, the model's preprocessing."""
    return torch.from_numpy(images_u8.astype(np.float32) / 255.0).unsqueeze(1)


def train(model, x, y, epochs, lr, gen, on_epoch=None):
    """SGD with Nesterov momentum and a one-cycle schedule; random horizontal flips (garments are
    left-right symmetric). on_epoch(e) runs before epoch e, for the QAT freezing schedule."""
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps = (x.shape[0] + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        if on_epoch:
            on_epoch(epoch)
        model.train()
        perm = torch.randperm(x.shape[0], generator=gen)
        flip = torch.rand(x.shape[0], generator=gen) < 0.5
        total = 0.0
        for i in range(steps):
            idx = perm[i * BATCH:(i + 1) * BATCH]
            xb = torch.where(flip[idx, None, None, None], x[idx].flip(3), x[idx])
            loss = loss_fn(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * idx.numel()
        print(f"  epoch {epoch + 1}/{epochs}: loss {total / x.shape[0]:.4f}", flush=True)


@torch.no_grad()
def predict(model, x) -> torch.Tensor:
    model.eval()
    return torch.cat([model(x[i:i + 1000]) for i in range(0, x.shape[0], 1000)])


def accuracy(logits, y) -> dict:
    correct = int((logits.argmax(1) == y).sum())
    return {"top1": round(100.0 * correct / y.numel(), 2), "correct": correct, "total": y.numel()}


def float_from_qat(qat: nn.Module) -> Net:
    """A plain Net with the QAT model's float weights: unfused Conv + BatchNorm, as they were trained
    (the fused QAT modules keep the conv weight and the BN separate, and fold them only on the fly)."""
    net = Net()
    for group in FUSE_GROUPS:
        fused = qat.get_submodule(group[0])
        net.get_submodule(group[0]).load_state_dict({"weight": fused.weight.detach()})
        net.get_submodule(group[1]).load_state_dict(fused.bn.state_dict())
    net.fc.load_state_dict({"weight": qat.fc.weight.detach(), "bias": qat.fc.bias.detach()})
    return net.eval()


def f32(v) -> float:
    """A float32 value as the Python float equal to it, so json writes it without loss."""
    return float(np.float32(v))


def activation_encoding(fake_quant) -> dict:
    """torch quint8 (scale s, zero point z) -> AIMET: offset = -z, min = -z*s, max = (255-z)*s."""
    s = np.float32(fake_quant.scale.item())
    z = int(fake_quant.zero_point.item())
    assert (fake_quant.quant_min, fake_quant.quant_max, fake_quant.dtype) == (0, 255, torch.quint8)
    return {"bitwidth": 8, "dtype": "int", "is_symmetric": "False", "max": f32(np.float32(255 - z) * s),
            "min": f32(np.float32(-z) * s), "offset": -z, "scale": f32(s)}


def weight_encodings(fake_quant) -> list:
    """Per-channel symmetric qint8 (zero point 0), written as AIMET does: offset -128,
    min = -128*s, max = 127*s."""
    assert fake_quant.qscheme == torch.per_channel_symmetric and fake_quant.ch_axis == 0
    assert (fake_quant.quant_min, fake_quant.quant_max) == (-128, 127)
    assert int(fake_quant.zero_point.abs().max()) == 0
    return [{"bitwidth": 8, "dtype": "int", "is_symmetric": "True", "max": f32(np.float32(127) * s),
             "min": f32(np.float32(-128) * s), "offset": -128, "scale": f32(s)}
            for s in fake_quant.scale.numpy().astype(np.float32)]


def only(items, what):
    if len(items) != 1:
        raise RuntimeError(f"expected exactly one {what}, found {len(items)}")
    return items[0]


def consumer(graph, tensor, op_type):
    return only([n for n in graph.node if tensor in n.input and n.op_type == op_type],
                f"{op_type} reading {tensor}")


def make_encodings(graph, qat) -> dict:
    """The overrides for model_fp32.onnx, keyed by its tensor names, read from the graph: each Conv and
    the Gemm are found by their weight initializer (named after the torch parameter, so after the QAT
    module), and the quantized activation is the end of Conv -> BatchNormalization [-> Relu]."""
    acts = {graph.input[0].name: activation_encoding(qat.quant.activation_post_process)}
    params = {}
    for node in graph.node:
        if node.op_type not in ("Conv", "Gemm"):
            continue
        weight = node.input[1]
        module = qat.get_submodule(weight.rsplit(".", 1)[0])
        tensor = node.output[0]
        if node.op_type == "Conv":
            tensor = consumer(graph, tensor, "BatchNormalization").output[0]
            if isinstance(module, torch.nn.intrinsic.qat.ConvBnReLU2d):
                tensor = consumer(graph, tensor, "Relu").output[0]
            else:
                assert isinstance(module, torch.nn.intrinsic.qat.ConvBn2d)
        acts[tensor] = activation_encoding(module.activation_post_process)
        params[weight] = weight_encodings(module.weight_fake_quant)
    add = only([n for n in graph.node if n.op_type == "Add"], "Add")
    acts[consumer(graph, add.output[0], "Relu").output[0]] = activation_encoding(qat.add.activation_post_process)
    return {"version": "0.6.1", "activation_encodings": {k: [v] for k, v in acts.items()},
            "param_encodings": params,
            # as AIMET writes them: is_symmetric is the weights' scheme; the ranges come from min/max
            # observers (moving averages), which is AIMET's "tf" scheme.
            "quantizer_args": {"activation_bitwidth": 8, "dtype": "int", "is_symmetric": "True",
                               "param_bitwidth": 8, "per_channel_quantization": "True",
                               "quant_scheme": "post_training_tf"}}


def export(model, path: Path, **kwargs):
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), str(path), opset_version=OPSET,
                      input_names=["input"], output_names=["logits"], **kwargs)
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    return m


def op_counts(graph) -> dict:
    counts = {}
    for n in graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return counts


def check_qdq_scales(qdq_graph, fp32_graph, enc):
    """The QDQ model must carry the scales of the overrides: pair the Conv/Gemm nodes of the two graphs
    in order, and compare the weight DequantizeLinear scales and the QuantizeLinear after each layer."""
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in qdq_graph.node if n.op_type == "Constant"}
    producer = {o: n for n in qdq_graph.node for o in n.output}
    acts = enc["activation_encodings"]

    def close(a, b, what):
        a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
        if a.shape != b.shape or np.max(np.abs(a - b) / np.abs(b)) > 1e-6:
            raise RuntimeError(f"QDQ scale mismatch for {what}: {a} vs {b}")

    def quantize_after(tensor):
        """The scale of the QuantizeLinear after tensor, past a Relu if there is one."""
        relu = [n for n in qdq_graph.node if tensor in n.input and n.op_type == "Relu"]
        if relu:
            tensor = only(relu, f"Relu reading {tensor}").output[0]
        return consts[consumer(qdq_graph, tensor, "QuantizeLinear").input[1]]

    fp32_layers = [n for n in fp32_graph.node if n.op_type in ("Conv", "Gemm")]
    qdq_layers = [n for n in qdq_graph.node if n.op_type in ("Conv", "Gemm")]
    assert len(fp32_layers) == len(qdq_layers)
    act_tensors = list(acts)[1:]  # make_encodings wrote them in layer order, input first, Add last
    for f, q, act in zip(fp32_layers, qdq_layers, act_tensors):
        close(consts[producer[q.input[1]].input[1]], [e["scale"] for e in enc["param_encodings"][f.input[1]]],
              f.input[1])
        close(quantize_after(q.output[0]), acts[act][0]["scale"], act)
    close(consts[consumer(qdq_graph, "input", "QuantizeLinear").input[1]], acts["input"][0]["scale"], "input")
    add = only([n for n in qdq_graph.node if n.op_type == "Add"], "Add")
    close(quantize_after(add.output[0]), acts[act_tensors[-1]][0]["scale"], act_tensors[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "calib" / "fashion")
    ap.add_argument("--data", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    ap.add_argument("--fp32-epochs", type=int, default=8)
    ap.add_argument("--qat-epochs", type=int, default=3)
    args = ap.parse_args()
    if args.qat_epochs < 2:
        ap.error("--qat-epochs must be at least 2 (BN stats and observers freeze before the last)")

    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    torch.backends.quantized.engine = "onednn"
    gen = torch.Generator().manual_seed(SEED)

    train_img = load_idx(args.data / "train-images-idx3-ubyte.gz")
    train_lab = load_idx(args.data / "train-labels-idx1-ubyte.gz")
    test_img = load_idx(args.data / "t10k-images-idx3-ubyte.gz")
    test_lab = load_idx(args.data / "t10k-labels-idx1-ubyte.gz")
    x_train, y_train = to_input(train_img), torch.from_numpy(train_lab.astype(np.int64))
    x_test, y_test = to_input(test_img), torch.from_numpy(test_lab.astype(np.int64))
    print(f"Fashion-MNIST: {len(x_train)} train, {len(x_test)} test images", flush=True)

    model = Net()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"fp32 training, {args.fp32_epochs} epochs ({n_params} parameters)", flush=True)
    # Wall and CPU time both: the wall time of a shared machine depends on its other load.
    t0, c0 = time.time(), time.process_time()
    train(model, x_train, y_train, args.fp32_epochs, 0.2, gen)
    t_fp32, c_fp32 = time.time() - t0, time.process_time() - c0
    fp32_pre_qat = accuracy(predict(model, x_test), y_test)
    print(f"  fp32 test top-1 before QAT: {fp32_pre_qat['top1']} %", flush=True)

    qat = tq.fuse_modules_qat(model.train(), FUSE_GROUPS)
    qat.qconfig = tq.get_default_qat_qconfig("onednn", version=0)  # version 1's fused observer does not export
    tq.prepare_qat(qat, inplace=True)

    def freeze(epoch):
        # BN statistics freeze one epoch before the observers, so that the last epoch trains with
        # fixed BN folding and fixed ranges, as the int8 model will run.
        if epoch == args.qat_epochs - 2:
            qat.apply(torch.nn.intrinsic.qat.freeze_bn_stats)
        if epoch == args.qat_epochs - 1:
            qat.apply(tq.disable_observer)

    print(f"QAT, {args.qat_epochs} epochs", flush=True)
    t0, c0 = time.time(), time.process_time()
    train(qat, x_train, y_train, args.qat_epochs, 0.01, gen, on_epoch=freeze)
    t_qat, c_qat = time.time() - t0, time.process_time() - c0
    qat.eval()
    qat_fake_quant = accuracy(predict(qat, x_test), y_test)

    float_net = float_from_qat(qat)
    qat_float = copy.deepcopy(qat).apply(tq.disable_fake_quant)
    fp32_logits = predict(float_net, x_test)
    diff = float((fp32_logits - predict(qat_float, x_test)).abs().max())
    if diff > 1e-4:
        raise RuntimeError(f"the unfused float model differs from QAT without fake quant by {diff}")
    int8 = tq.convert(copy.deepcopy(qat))
    int8_logits = predict(int8, x_test)
    acc = {
        "fp32": {"test_10000": accuracy(fp32_logits, y_test),
                 "test_1000": accuracy(fp32_logits[:TEST_SUBSET], y_test[:TEST_SUBSET])},
        "torch_int8_onednn": {"test_10000": accuracy(int8_logits, y_test),
                              "test_1000": accuracy(int8_logits[:TEST_SUBSET], y_test[:TEST_SUBSET])},
        "qat_fake_quant": {"test_10000": qat_fake_quant},
        "fp32_before_qat": {"test_10000": fp32_pre_qat},
    }
    for name, a in acc.items():
        print(f"  {name}: " + ", ".join(f"{k} {v['top1']} %" for k, v in a.items()), flush=True)

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    # PRESERVE keeps the eval-mode model as it is: the EVAL default would fold BatchNormalization
    # into the convs (onnx eval peephole), and the converter is to see, and fold, the BN itself.
    fp32_model = export(float_net, out / "model_fp32.onnx", training=torch.onnx.TrainingMode.PRESERVE)
    fp32_ops = op_counts(fp32_model.graph)
    if fp32_ops.get("BatchNormalization", 0) != len(FUSE_GROUPS) or "Identity" in fp32_ops:
        raise RuntimeError(f"unexpected model_fp32.onnx graph: {fp32_ops}")
    qdq_model = export(int8, out / "model_qat_qdq.onnx")

    enc = make_encodings(fp32_model.graph, qat)
    names = {t.name for t in fp32_model.graph.initializer} | {o for n in fp32_model.graph.node for o in n.output}
    names.add(fp32_model.graph.input[0].name)
    inits = {t.name: t for t in fp32_model.graph.initializer}
    for key in list(enc["activation_encodings"]) + list(enc["param_encodings"]):
        assert key in names, key
    for key, entries in enc["param_encodings"].items():
        assert len(entries) == inits[key].dims[0], key
    check_qdq_scales(qdq_model.graph, fp32_model.graph, enc)
    (out / "model_fp32.encodings.json").write_text(json.dumps(enc, indent=2) + "\n")

    calib_idx = np.stack([np.flatnonzero(train_lab == c)[:CALIB_PER_CLASS] for c in range(NUM_CLASSES)],
                         axis=1).reshape(-1)
    train_img[calib_idx].tofile(out / "calib_images_u8_N28x28.bin")
    train_lab[calib_idx].tofile(out / "calib_labels_u8.bin")
    test_img[:TEST_SUBSET].tofile(out / "test_images_u8_N28x28.bin")
    test_lab[:TEST_SUBSET].tofile(out / "test_labels_u8.bin")

    reference = {
        "accuracy_percent": acc,
        "activation_qparams": {k: {"scale": v[0]["scale"], "zero_point": -v[0]["offset"]}
                               for k, v in enc["activation_encodings"].items()},
        "onnx_ops": {"model_fp32.onnx": fp32_ops, "model_qat_qdq.onnx": op_counts(qdq_model.graph)},
        "parameters": n_params,
        "training": {"fp32_epochs": args.fp32_epochs, "qat_epochs": args.qat_epochs, "batch": BATCH,
                     "fp32_seconds": round(t_fp32, 1), "qat_seconds": round(t_qat, 1),
                     "fp32_cpu_seconds": round(c_fp32, 1), "qat_cpu_seconds": round(c_qat, 1), "threads": THREADS,
                     "seed": SEED, "max_abs_diff_fp32_vs_qat_without_fake_quant": diff},
        "data": {"calib": f"train split, first {CALIB_PER_CLASS} of each class, interleaved 0..9",
                 "calib_train_indices_first_10": calib_idx[:10].tolist(),
                 "test": f"test split, first {TEST_SUBSET}",
                 "test_1000_class_counts": np.bincount(test_lab[:TEST_SUBSET], minlength=NUM_CLASSES).tolist()},
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
                     "python": platform.python_version(), "quantized_engine": torch.backends.quantized.engine},
    }
    (out / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"wrote {out} ({size} bytes); training {t_fp32:.0f} s fp32 + {t_qat:.0f} s QAT "
          f"(CPU {c_fp32:.0f} s + {c_qat:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Turn the packed uint8 image sets into qforge-net-run inputs.

Writes, under --out:
  raw/NNNNN.raw    one image each: headerless float32 little-endian, ONNX (NCHW) layout, batch 1
  input_list.txt   one line per image, `<input name>:=raw/NNNNN.raw` (relative to the list's folder)
  labels.txt       one class index per line, same order (not for ppocr, which has no labels)

Datasets (packed files as in shared/models, see its README, and calib/fashion):
  mnist          images_u8_N28x28.bin       -> Input3     [1,1,28,28]  pixel/255
  cifar10        images_u8_N32x32x3.bin     -> modelInput [1,3,32,32]  (pixel/255 - 0.5)/0.5, from HWC RGB
  ppocr          the cifar10 images, bilinear-resized to 48x192 -> x [1,3,48,192], (pixel/255 - 0.5)/0.5
  fashion        test_images_u8_N28x28.bin  -> input      [1,1,28,28]  pixel/255 (labels test_labels_u8.bin)
  fashion-calib  calib_images_u8_N28x28.bin -> input      [1,1,28,28]  pixel/255 (labels calib_labels_u8.bin)

The source folder defaults to $QFORGE_SHARED_DIR/models/<folder>, else <repo>/../shared/models/<folder>,
and to <repo>/calib/fashion for the fashion sets; --src overrides it (e.g. calib/mnist). Run with
Debian's /usr/bin/python3 (needs numpy).
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent

# name -> (folder, image file, labels file or None, image HWC shape, model input name, output H, W, normalisation);
# the folder is under shared/models, or under the repository when it starts with calib/.
DATASETS = {
    "mnist": ("mnist", "images_u8_N28x28.bin", "labels_u8.bin", (28, 28, 1), "Input3", (28, 28), "unit"),
    "cifar10": ("cifar10", "images_u8_N32x32x3.bin", "labels_u8.bin", (32, 32, 3), "modelInput", (32, 32),
                "signed"),
    "ppocr": ("cifar10", "images_u8_N32x32x3.bin", None, (32, 32, 3), "x", (48, 192), "signed"),
    "fashion": ("calib/fashion", "test_images_u8_N28x28.bin", "test_labels_u8.bin", (28, 28, 1), "input",
                (28, 28), "unit"),
    "fashion-calib": ("calib/fashion", "calib_images_u8_N28x28.bin", "calib_labels_u8.bin", (28, 28, 1), "input",
                      (28, 28), "unit"),
}
CHUNK = 256  # images converted at once (bounds memory for the resize)


def shared_dir() -> Path:
    env = os.environ.get("QFORGE_SHARED_DIR")
    return Path(env) if env else REPO.parent / "shared"


def resize_bilinear(images: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Bilinear resize of float [N,H,W,C] images, half-pixel centres (align_corners=False), edges clamped."""
    _, in_h, in_w, _ = images.shape

    def taps(out_size, in_size):
        src = (np.arange(out_size, dtype=np.float64) + 0.5) * (in_size / out_size) - 0.5
        src = np.clip(src, 0.0, in_size - 1)
        lo = np.floor(src).astype(np.int64)
        hi = np.minimum(lo + 1, in_size - 1)
        return lo, hi, (src - lo).astype(np.float32)

    y0, y1, wy = taps(out_h, in_h)
    x0, x1, wx = taps(out_w, in_w)
    wy = wy[None, :, None, None]
    wx = wx[None, None, :, None]
    rows = images[:, y0] * (1 - wy) + images[:, y1] * wy  # [N,out_h,in_w,C]
    return rows[:, :, x0] * (1 - wx) + rows[:, :, x1] * wx


def to_model_input(images_u8: np.ndarray, out_hw, norm: str) -> np.ndarray:
    """uint8 [N,H,W,C] -> float32 [N,C,H',W'] as the model expects."""
    x = images_u8.astype(np.float32) / 255.0
    if x.shape[1:3] != tuple(out_hw):
        x = resize_bilinear(x, *out_hw)
    if norm == "signed":
        x = (x - 0.5) / 0.5
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype="<f4")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True, choices=sorted(DATASETS))
    ap.add_argument("--count", type=int, default=None, help="first N images (default: all)")
    ap.add_argument("--out", required=True, type=Path, help="output folder (its raw/ is replaced)")
    ap.add_argument("--src", type=Path, default=None, help="folder with the packed files")
    args = ap.parse_args()

    folder, image_file, labels_file, hwc, input_name, out_hw, norm = DATASETS[args.dataset]
    if args.src:
        src = args.src
    elif folder.startswith("calib/"):
        src = REPO / folder
    else:
        src = shared_dir() / "models" / folder
    image_path = src / image_file
    if not image_path.is_file():
        print(f"prepare_images.py: {image_path}: no such file", file=sys.stderr)
        return 3
    images = np.fromfile(image_path, dtype=np.uint8)
    per_image = int(np.prod(hwc))
    if images.size % per_image:
        print(f"prepare_images.py: {image_path}: {images.size} bytes is not a multiple of {per_image}",
              file=sys.stderr)
        return 3
    images = images.reshape((-1,) + hwc)
    labels = None
    if labels_file:
        labels = np.fromfile(src / labels_file, dtype=np.uint8)
        if labels.size != images.shape[0]:
            print(f"prepare_images.py: {src / labels_file}: {labels.size} labels for {images.shape[0]} images",
                  file=sys.stderr)
            return 3
    count = images.shape[0] if args.count is None else args.count
    if not 0 < count <= images.shape[0]:
        print(f"prepare_images.py: --count {count}: {image_path} has {images.shape[0]} images", file=sys.stderr)
        return 2

    raw_dir = args.out / "raw"
    if raw_dir.exists():
        shutil.rmtree(raw_dir)
    raw_dir.mkdir(parents=True)
    lines = []
    for start in range(0, count, CHUNK):
        batch = to_model_input(images[start:min(start + CHUNK, count)], out_hw, norm)
        for i, x in enumerate(batch, start):
            rel = f"raw/{i:05d}.raw"
            x.tofile(args.out / rel)
            lines.append(f"{input_name}:={rel}\n")
    (args.out / "input_list.txt").write_text("".join(lines))
    if labels is not None:
        (args.out / "labels.txt").write_text("".join(f"{v}\n" for v in labels[:count]))
    shape = f"[1,{hwc[2]},{out_hw[0]},{out_hw[1]}]"
    print(f"{count} {args.dataset} images -> {args.out}/input_list.txt ({input_name} {shape} float32)"
          + (", labels.txt" if labels is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

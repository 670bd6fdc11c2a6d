#!/usr/bin/python3
"""Turn images into qforge-net-run inputs: a folder of one's own images, or the packed uint8 image sets.

A folder of images (JPEG, PNG, BMP, GIF, TIFF, WebP; not its subfolders), as torchvision's eval transform
(Resize(R) then CenterCrop(H,W), ToTensor, Normalize(mean, std)):
  prepare_images.py --images DIR --size H,W --mean R,G,B --std R,G,B --layout NCHW|NHWC
                    [--resize R] [--out RAW_DIR] [--list LIST] [--input_name NAME] [--count N]
  Each image, in file-name order, is converted to RGB (to grayscale when --mean and --std have one
  value), its shorter side resized to R with PIL's bilinear filter (default R = 256/224 of the larger
  of H and W, rounded: 256 for 224,224), the centre H x W cropped, and written as
  RAW_DIR/<file name without extension>.raw (default RAW_DIR: raw): (pixel/255 - mean)/std in
  float32, little endian, shape [1,C,H,W] for NCHW (ONNX's layout, what torchvision exports take)
  or [1,H,W,C] for NHWC. LIST (default input_list.txt) gets one line per image naming its raw file
  relative to LIST's folder, as `NAME:=path` with --input_name, else the bare path (enough for a
  model with one input). Needs python3-pil.

The packed sets, with --dataset; writes, under --out:
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
and to <repo>/calib/fashion for the fashion sets; --src overrides it (e.g. calib/mnist).

Run with Debian's /usr/bin/python3 (needs python3-numpy; --images needs python3-pil too). Exit codes:
0, 2 for usage errors, 3 for a missing or unreadable image or data file.
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
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
# torchvision's ImageNet eval transform resizes the shorter side to 256 before its 224 x 224 crop.
DEFAULT_RESIZE_PER_CROP = 256 / 224


class UsageError(Exception):
    pass


def parse_numbers(flag: str, text: str, kind):
    try:
        values = [kind(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected comma-separated numbers") from None
    return values


def resized_size(height: int, width: int, shorter: int):
    """torchvision's Resize(int): the shorter side becomes `shorter`, the longer one keeps the aspect ratio
    (truncated, as torchvision's _compute_resized_output_size)."""
    if height <= width:
        return shorter, int(shorter * width / height)
    return int(shorter * height / width), shorter


def eval_transform(image, size_hw, resize: int, mean, std, layout: str) -> np.ndarray:
    """A PIL image -> float32 [1,C,H,W] or [1,H,W,C]: Resize(resize), CenterCrop(size_hw), /255, Normalize."""
    from PIL import Image  # only this mode needs PIL

    image = image.convert("RGB" if len(mean) == 3 else "L")
    new_h, new_w = resized_size(image.height, image.width, resize)
    crop_h, crop_w = size_hw
    if crop_h > new_h or crop_w > new_w:
        raise UsageError(f"--resize {resize} makes a {image.width}x{image.height} (WxH) image {new_w}x{new_h}, "
                         f"smaller than the {crop_w}x{crop_h} crop; give a larger --resize")
    if (new_h, new_w) != (image.height, image.width):
        image = image.resize((new_w, new_h), Image.BILINEAR)
    top = int(round((new_h - crop_h) / 2.0))
    left = int(round((new_w - crop_w) / 2.0))
    pixels = np.asarray(image.crop((left, top, left + crop_w, top + crop_h)), dtype=np.float32)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    x = (pixels / 255.0 - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)  # HWC
    if layout == "NCHW":
        x = x.transpose(2, 0, 1)
    return np.ascontiguousarray(x[None], dtype="<f4")


def prepare_folder(args) -> int:
    """--images: a folder of image files -> raw files and an input list."""
    missing = [flag for flag, value in (("--size", args.size), ("--mean", args.mean), ("--std", args.std),
                                        ("--layout", args.layout)) if value is None]
    if missing:
        raise UsageError(f"--images needs {', '.join(missing)}")
    size_hw = parse_numbers("--size", args.size, int)
    if len(size_hw) != 2 or min(size_hw) <= 0:
        raise UsageError(f"--size {args.size!r}: expected H,W, two positive integers")
    mean = parse_numbers("--mean", args.mean, float)
    std = parse_numbers("--std", args.std, float)
    if len(mean) not in (1, 3) or len(std) != len(mean):
        raise UsageError(f"--mean {args.mean!r} --std {args.std!r}: expected three values each (R,G,B), "
                         "or one each for grayscale")
    if min(std) <= 0:
        raise UsageError(f"--std {args.std!r}: every value must be positive")
    resize = args.resize if args.resize is not None else round(max(size_hw) * DEFAULT_RESIZE_PER_CROP)
    if resize <= 0:
        raise UsageError(f"--resize {resize}: must be positive")
    try:
        from PIL import Image
    except ImportError:
        print("prepare_images.py: --images needs PIL: apt-get install python3-pil (and run with /usr/bin/python3)",
              file=sys.stderr)
        return 3

    if not args.images.is_dir():
        print(f"prepare_images.py: {args.images}: not a folder", file=sys.stderr)
        return 3
    files = sorted(f for f in args.images.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        print(f"prepare_images.py: {args.images}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))})",
              file=sys.stderr)
        return 3
    if args.count is not None:
        if not 0 < args.count <= len(files):
            raise UsageError(f"--count {args.count}: {args.images} has {len(files)} images")
        files = files[:args.count]
    by_stem = {}
    for f in files:
        if f.stem in by_stem:
            print(f"prepare_images.py: {by_stem[f.stem].name} and {f.name} would both be {f.stem}.raw; "
                  "rename one", file=sys.stderr)
            return 3
        by_stem[f.stem] = f

    out = args.out if args.out is not None else Path("raw")
    list_path = args.list if args.list is not None else Path("input_list.txt")
    out.mkdir(parents=True, exist_ok=True)
    list_path.parent.mkdir(parents=True, exist_ok=True)
    list_dir = list_path.parent.resolve()
    lines = []
    for f in files:
        try:
            with Image.open(f) as image:
                x = eval_transform(image, size_hw, resize, mean, std, args.layout)
        except OSError as e:
            print(f"prepare_images.py: {f}: cannot read it as an image ({e})", file=sys.stderr)
            return 3
        raw = out / f"{f.stem}.raw"
        x.tofile(raw)
        rel = os.path.relpath(raw.resolve(), list_dir)
        lines.append(f"{args.input_name}:={rel}\n" if args.input_name else f"{rel}\n")
    list_path.write_text("".join(lines))
    c = len(mean)
    shape = f"[1,{c},{size_hw[0]},{size_hw[1]}]" if args.layout == "NCHW" else f"[1,{size_hw[0]},{size_hw[1]},{c}]"
    print(f"{len(files)} images of {args.images} -> {list_path} ({args.layout} {shape} float32, "
          f"shorter side resized to {resize}, raw files in {out})")
    return 0


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
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", type=Path, help="a folder of one's own images")
    source.add_argument("--dataset", choices=sorted(DATASETS), help="one of the packed image sets")
    ap.add_argument("--count", type=int, default=None, help="first N images (default: all)")
    ap.add_argument("--out", type=Path, default=None,
                    help="--dataset: output folder (its raw/ is replaced; required); --images: the folder of "
                         "the raw files (default: raw)")
    ap.add_argument("--src", type=Path, default=None, help="--dataset: folder with the packed files")
    ap.add_argument("--size", help="--images: H,W of the centre crop, the model input's height and width")
    ap.add_argument("--mean", help="--images: R,G,B means subtracted from pixel/255 (e.g. 0.485,0.456,0.406)")
    ap.add_argument("--std", help="--images: R,G,B standard deviations it is divided by (e.g. 0.229,0.224,0.225)")
    ap.add_argument("--layout", choices=["NCHW", "NHWC"], help="--images: the model input's layout")
    ap.add_argument("--resize", type=int, default=None,
                    help="--images: the shorter side's length before the crop (default: 256/224 of the crop)")
    ap.add_argument("--list", type=Path, default=None, help="--images: the input list (default: input_list.txt)")
    ap.add_argument("--input_name", default=None,
                    help="--images: write list lines as NAME:=path (default: bare paths, for one-input models)")
    args = ap.parse_args()

    generic_only = [flag for flag in ("size", "mean", "std", "layout", "resize", "list", "input_name")
                    if getattr(args, flag) is not None]
    try:
        if args.images is not None:
            if args.src is not None:
                raise UsageError("--src is for --dataset; --images names the folder itself")
            return prepare_folder(args)
        if generic_only:
            raise UsageError(f"--{', --'.join(generic_only)}: only with --images")
        if args.out is None:
            raise UsageError("--dataset needs --out")
    except UsageError as e:
        print(f"prepare_images.py: {e}", file=sys.stderr)
        return 2

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

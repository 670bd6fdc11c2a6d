#!/usr/bin/python3
"""scripts/prepare_images.py --images on a few tiny images made here with PIL, checked by hand.

  check_prepare_images.py PREPARE_IMAGES_PY

- a 6x8 (HxW) RGB PNG with a distinct value in every pixel, --size 4,4 --resize 6: the shorter side
  is already 6, so no resampling happens and the crop starts at row round((6-4)/2) = 1, column
  round((8-4)/2) = 2; every value of the raw file, NCHW and NHWC, must be (pixel/255 - mean) / std of
  the source pixel it came from, computed here by hand;
- a uniformly coloured 5x10 PNG and JPEG, enlarged by the same --resize 6: one normalized colour
  whatever the resampling; then the default --resize, round(4 * 256/224) = 5, as printed;
- the raw file sizes (1*3*4*4 float32 = 192 bytes), the list's lines (bare paths relative to the
  list's folder, or NAME:=path with --input_name), and usage errors exiting 2;
- the packed-dataset mode (calib/fashion, --count 3) still writing its list and labels.
Exits 1 with the failed checks named.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
failures = []


def check(condition: bool, what: str) -> None:
    if not condition:
        failures.append(what)
        print(f"FAILED: {what}", file=sys.stderr)


def run(script: Path, *args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-B", str(script), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True)


def by_hand(pixel_rgb) -> np.ndarray:
    """torchvision's ToTensor + Normalize of one pixel, in float64."""
    return np.array([(pixel_rgb[c] / 255.0 - MEAN[c]) / STD[c] for c in range(3)])


def main() -> int:
    script = Path(sys.argv[1]).resolve()
    repo = script.parent.parent
    with tempfile.TemporaryDirectory(prefix="qforge_prepare_images_") as tmp:
        tmp = Path(tmp)
        images = tmp / "photos"
        images.mkdir()
        # 6x8 RGB, every pixel distinct: R = 10*y + x, G = 100 + 3*x, B = 250 - 7*y.
        ys, xs = np.mgrid[0:6, 0:8]
        gradient = np.stack([10 * ys + xs, 100 + 3 * xs, 250 - 7 * ys], axis=-1).astype(np.uint8)
        Image.fromarray(gradient).save(images / "a_gradient.png")
        flat_rgb = (200, 40, 90)
        Image.new("RGB", (10, 5), flat_rgb).save(images / "b_flat.png")  # PIL sizes are (W, H)
        Image.new("RGB", (10, 5), flat_rgb).save(images / "c_flat.jpg", quality=100)
        (images / "notes.txt").write_text("not an image: skipped\n")

        common = ["--images", images, "--size", "4,4", "--mean", ",".join(map(str, MEAN)),
                  "--std", ",".join(map(str, STD))]
        for layout in ("NCHW", "NHWC"):
            out = tmp / f"raw_{layout}"
            listing = tmp / "lists" / f"{layout}.txt"
            # --resize 6 for the gradient: its shorter side is 6 already (no resampling); the flat
            # images (5 high) are enlarged to 12x6, still one colour.
            r = run(script, *common, "--layout", layout, "--resize", 6, "--out", out, "--list", listing, cwd=tmp)
            check(r.returncode == 0, f"{layout}: exit {r.returncode}, stderr {r.stderr.strip()!r}")
            if r.returncode:
                continue
            lines = listing.read_text().splitlines()
            want = [f"../raw_{layout}/{stem}.raw" for stem in ("a_gradient", "b_flat", "c_flat")]
            check(lines == want, f"{layout}: list lines {lines}, expected {want}")
            for stem in ("a_gradient", "b_flat", "c_flat"):
                size = (out / f"{stem}.raw").stat().st_size
                check(size == 1 * 3 * 4 * 4 * 4, f"{layout}: {stem}.raw holds {size} bytes, expected 192")
            raw = np.fromfile(out / "a_gradient.raw", dtype="<f4")
            x = raw.reshape(1, 3, 4, 4) if layout == "NCHW" else raw.reshape(1, 4, 4, 3).transpose(0, 3, 1, 2)
            # Crop origin: row 1, column 2 of the 6x8 image.
            expected = np.stack([np.stack([by_hand(gradient[1 + i, 2 + j]) for j in range(4)]) for i in range(4)])
            expected = expected.transpose(2, 0, 1)[None]  # [1,3,4,4]
            check(np.allclose(x, expected, atol=1e-6),
                  f"{layout}: a_gradient.raw differs from the hand computation by {np.abs(x - expected).max()}")
            # One pixel spelled out: crop (0,0) is source (1,2) = (12, 106, 243); its R in NCHW is the
            # first float, in NHWC the first float too, its G the second float in NHWC, the 17th in NCHW.
            r_value = (12 / 255 - MEAN[0]) / STD[0]
            g_value = (106 / 255 - MEAN[1]) / STD[1]
            g_index = 16 if layout == "NCHW" else 1
            check(abs(raw[0] - r_value) < 1e-6 and abs(raw[g_index] - g_value) < 1e-6,
                  f"{layout}: pixel (0,0) is R {raw[0]}, G {raw[g_index]}; by hand {r_value:.6f}, {g_value:.6f}")
            flat = np.fromfile(out / "b_flat.raw", dtype="<f4")
            flat = flat.reshape(1, 3, 4, 4) if layout == "NCHW" else flat.reshape(1, 4, 4, 3).transpose(0, 3, 1, 2)
            check(np.allclose(flat, by_hand(flat_rgb)[None, :, None, None], atol=1e-6),
                  f"{layout}: b_flat.raw is not one normalized colour {by_hand(flat_rgb)}")

        # The default --resize (round(4 * 256/224) = 5) and --input_name; the list next to the raws.
        r = run(script, *common, "--layout", "NCHW", "--input_name", "input.1", "--out", "raws", "--list",
                "raws.txt", cwd=tmp)
        check(r.returncode == 0, f"default resize: exit {r.returncode}, stderr {r.stderr.strip()!r}")
        if r.returncode == 0:
            lines = (tmp / "raws.txt").read_text().splitlines()
            check(lines[0] == "input.1:=raws/a_gradient.raw", f"--input_name: first line {lines[0]!r}")
            check("shorter side resized to 5" in r.stdout, f"default resize: stdout {r.stdout.strip()!r}")

        # Usage errors: exit 2 with a message naming the flag.
        for args, flag in ((["--images", images, "--size", "4,4"], "--mean"),
                           ([*common, "--layout", "NCHW", "--size", "4"], "--size"),
                           ([*common, "--layout", "NCHW", "--resize", 3], "--resize"),
                           (["--dataset", "fashion", "--out", tmp / "ds", "--layout", "NCHW"], "--layout")):
            r = run(script, *args, cwd=tmp)
            check(r.returncode == 2 and flag in r.stderr,
                  f"{' '.join(map(str, args))}: exit {r.returncode} (expected 2), stderr {r.stderr.strip()!r}")

        # The packed-dataset mode keeps working.
        r = run(script, "--dataset", "fashion", "--src", repo / "calib" / "fashion", "--count", 3, "--out",
                tmp / "fashion", cwd=tmp)
        check(r.returncode == 0, f"--dataset fashion: exit {r.returncode}, stderr {r.stderr.strip()!r}")
        if r.returncode == 0:
            lines = (tmp / "fashion" / "input_list.txt").read_text().splitlines()
            check(lines == [f"input:=raw/{i:05d}.raw" for i in range(3)], f"--dataset fashion: list {lines}")
            check((tmp / "fashion" / "raw" / "00000.raw").stat().st_size == 28 * 28 * 4,
                  "--dataset fashion: 00000.raw is not 28*28 float32")
            check(len((tmp / "fashion" / "labels.txt").read_text().split()) == 3, "--dataset fashion: 3 labels")

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("prepare_images.py --images: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Render text lines for ppocr_cls (PaddleOCR's text-direction classifier), upright or turned 180°.

ppocr_cls has no labelled data in shared/models; CIFAR images resized to 48x192 are real images but
not text, so the model's answers on them are close calls. These are lines of real English text
(the licence texts every Debian system has in /usr/share/common-licenses), drawn with the DejaVu
fonts at several sizes, in dark ink on a light background with some noise, half of them turned
by 180°. The label is the class ppocr_cls should give: 0 upright, 1 turned ("0" / "180").

Writes under --out, as prepare_images.py: raw/NNNNN.raw (float32, [1,3,48,192]), input_list.txt
(`x:=raw/NNNNN.raw`) and labels.txt. Preprocessing is PaddleOCR's for the classifier: resize to
height 48 keeping the aspect ratio (width at most 192), (pixel/255 - 0.5)/0.5, zero padding on
the right. Deterministic for a given --seed. Needs Debian's python3-pil, python3-numpy and
fonts-dejavu-core.
"""

import argparse
import random
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TEXTS = [Path("/usr/share/common-licenses") / n for n in ("GPL-3", "Apache-2.0", "LGPL-3", "GFDL-1.3")]
FONTS = Path("/usr/share/fonts/truetype/dejavu")
HEIGHT, MAX_WIDTH = 48, 192


def text_pieces(rng: random.Random, count: int) -> list:
    words = []
    for p in TEXTS:
        if p.is_file():
            words += p.read_text(errors="replace").split()
    if len(words) < 100:
        raise SystemExit(f"render_text_lines.py: no text to draw in {', '.join(map(str, TEXTS))}")
    pieces = []
    for _ in range(count):
        start = rng.randrange(len(words) - 12)
        pieces.append(" ".join(words[start:start + rng.randint(2, 6)]))
    return pieces


def draw_line(text: str, font: ImageFont.FreeTypeFont, rng: random.Random) -> Image.Image:
    left, top, right, bottom = font.getbbox(text)
    pad_x, pad_y = rng.randint(2, 10), rng.randint(2, 8)
    paper = rng.randint(200, 255)
    ink = rng.randint(0, 70)
    img = Image.new("L", (right - left + 2 * pad_x, bottom - top + 2 * pad_y), paper)
    ImageDraw.Draw(img).text((pad_x - left, pad_y - top), text, fill=ink, font=font)
    return img


def to_model_input(img: Image.Image, noise: np.random.Generator) -> np.ndarray:
    w = min(MAX_WIDTH, max(1, int(np.ceil(HEIGHT * img.width / img.height))))
    resized = np.asarray(img.convert("RGB").resize((w, HEIGHT), Image.BILINEAR), dtype=np.float32)
    resized = np.clip(resized + noise.normal(0, noise.uniform(0, 8), resized.shape), 0, 255)
    x = np.zeros((3, HEIGHT, MAX_WIDTH), dtype="<f4")
    x[:, :, :w] = ((resized / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)
    return x


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--out", required=True, type=Path, help="output folder (its raw/ is replaced)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    fonts = sorted(FONTS.glob("DejaVu*.ttf"))
    if not fonts:
        print(f"render_text_lines.py: no DejaVu fonts in {FONTS} (install fonts-dejavu-core)", file=sys.stderr)
        return 3
    rng = random.Random(args.seed)
    noise = np.random.default_rng(args.seed)
    raw = args.out / "raw"
    if raw.exists():
        shutil.rmtree(raw)
    raw.mkdir(parents=True)
    lines, labels = [], []
    for i, text in enumerate(text_pieces(rng, args.count)):
        font = ImageFont.truetype(str(rng.choice(fonts)), rng.randint(18, 40))
        img = draw_line(text, font, rng)
        turned = i % 2 == 1
        if turned:
            img = img.rotate(180)
        rel = f"raw/{i:05d}.raw"
        to_model_input(img, noise).tofile(args.out / rel)
        lines.append(f"x:={rel}\n")
        labels.append(f"{int(turned)}\n")
    (args.out / "input_list.txt").write_text("".join(lines))
    (args.out / "labels.txt").write_text("".join(labels))
    print(f"{args.count} text lines -> {args.out}/input_list.txt (x [1,3,48,192] float32), labels.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Turn the character-level GPT's text into qforge-net-run inputs.

usage: prepare_text.py --model-dir DIR --split calib|eval --count N --out DIR

The text is Debian's license texts (package base-files): the files of /usr/share/common-licenses named in
FILES, in that order (sorted by name; the symlinks GFDL, GPL, LGPL are left out, they repeat files),
read as UTF-8 and concatenated with nothing between them. Its first floor(0.9 n) characters are the
training part, the rest the held-out part. vocab.json (in --model-dir, written by train_chargpt.py) holds
the vocabulary and the text's SHA-256; a different text (another base-files) is refused.

Windows: CONTEXT (128) token ids as the model's input `tokens` [1,128] and the 128 next characters as the
targets.
  eval   the first N non-overlapping windows of the held-out part: window i reads held-out characters
         128 i .. 128 i + 127 and predicts 128 i + 1 .. 128 i + 128 (at most 185 windows)
  calib  N windows of the training part at evenly spaced starts (window k starts at
         floor(k (L - 129) / N), L the training part's length), so that calibration sees every license
Characters outside the vocabulary (the held-out part has '*', '=' and '_', which the training part has
not) take the id of vocab.json's unk_char (a space).

Writes, under --out:
  raw/NNNNN.raw    one window each: the 128 ids as headerless float32 little-endian, what qforge-net-run
                   reads (lib/io/input_list.h: raw files are float32 and converted to the input's dtype,
                   here int64; ids below 2^24 are exact in float32)
  input_list.txt   `tokens:=raw/NNNNN.raw`, one line per window
  targets.npy      int64 [N,128]: the target ids, row i for window i (scripts/perplexity.py reads it)
  windows.txt      the start offset of each window in its part, one per line

Run with Debian's /usr/bin/python3 (needs numpy).
"""

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
TEXT_DIR = Path("/usr/share/common-licenses")
FILES = ["Apache-2.0", "Artistic", "BSD", "CC0-1.0", "GFDL-1.2", "GFDL-1.3", "GPL-1", "GPL-2", "GPL-3", "LGPL-2",
         "LGPL-2.1", "LGPL-3", "MPL-1.1", "MPL-2.0"]
TRAIN_FRACTION = 0.9
CONTEXT = 128
UNK_CHAR = " "


class Bad(Exception):
    pass


def read_text(text_dir: Path = TEXT_DIR) -> str:
    parts = []
    for name in FILES:
        path = text_dir / name
        if not path.is_file():
            raise Bad(f"{path}: no such file (Debian's base-files installs it)")
        parts.append(path.read_text(encoding="utf-8"))
    return "".join(parts)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split(text: str):
    """(training part, held-out part)."""
    n_train = int(len(text) * TRAIN_FRACTION)
    return text[:n_train], text[n_train:]


def make_vocab(train_text: str) -> dict:
    chars = sorted(set(train_text))
    return {"chars": chars, "unk_char": UNK_CHAR, "unk_id": chars.index(UNK_CHAR)}


def encode(text: str, vocab: dict) -> np.ndarray:
    ids = {c: i for i, c in enumerate(vocab["chars"])}
    unk = vocab["unk_id"]
    return np.array([ids.get(c, unk) for c in text], dtype=np.int64)


def window_starts(part: str, count: int, split_name: str) -> list:
    n = len(part) - CONTEXT  # the number of starts that leave CONTEXT + 1 characters
    if split_name == "eval":
        available = (len(part) - 1) // CONTEXT
        if not 0 < count <= available:
            raise ValueError(f"--count {count}: the held-out part has {available} non-overlapping windows")
        return [i * CONTEXT for i in range(count)]
    if not 0 < count <= n:
        raise ValueError(f"--count {count}: the training part has {n} window starts")
    return [k * (n - 1) // count for k in range(count)]


def windows(ids: np.ndarray, starts) -> tuple:
    """(inputs, targets), int64 [len(starts), CONTEXT] each."""
    x = np.stack([ids[s:s + CONTEXT] for s in starts])
    y = np.stack([ids[s + 1:s + CONTEXT + 1] for s in starts])
    return x, y


def load(model_dir: Path):
    """(vocab.json's dict, the text), the text checked against the hash vocab.json recorded."""
    path = model_dir / "vocab.json"
    if not path.is_file():
        raise Bad(f"{path}: no such file")
    vocab = json.loads(path.read_text())
    text = read_text(Path(vocab["text"]["dir"]))
    if sha256(text) != vocab["text"]["sha256"]:
        raise Bad(f"the text of {vocab['text']['dir']} is not the one the model was made with "
                  f"(sha256 {sha256(text)}, vocab.json has {vocab['text']['sha256']}; base-files "
                  f"{vocab['text'].get('base_files', '?')})")
    return vocab, text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", type=Path, default=REPO / "calib" / "chargpt")
    ap.add_argument("--split", required=True, choices=["calib", "eval"])
    ap.add_argument("--count", required=True, type=int)
    ap.add_argument("--out", required=True, type=Path, help="output folder (its raw/ is replaced)")
    args = ap.parse_args()
    try:
        vocab, text = load(args.model_dir)
    except Bad as e:
        print(f"prepare_text.py: {e}", file=sys.stderr)
        return 3
    train_part, held_part = split(text)
    part = train_part if args.split == "calib" else held_part
    try:
        starts = window_starts(part, args.count, args.split)
    except ValueError as e:
        print(f"prepare_text.py: {e}", file=sys.stderr)
        return 2
    x, y = windows(encode(part, vocab), starts)

    raw_dir = args.out / "raw"
    if raw_dir.exists():
        shutil.rmtree(raw_dir)
    raw_dir.mkdir(parents=True)
    lines = []
    for i, xi in enumerate(x):
        rel = f"raw/{i:05d}.raw"
        xi.astype("<f4").tofile(args.out / rel)
        lines.append(f"tokens:={rel}\n")
    (args.out / "input_list.txt").write_text("".join(lines))
    np.save(args.out / "targets.npy", y)
    (args.out / "windows.txt").write_text("".join(f"{s}\n" for s in starts))
    print(f"{len(starts)} {args.split} windows -> {args.out}/input_list.txt (tokens [1,{CONTEXT}] as float32 ids), "
          f"targets.npy")
    return 0


if __name__ == "__main__":
    sys.exit(main())

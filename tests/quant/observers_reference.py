#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Re-derives every qforge observer with numpy and compares with what observer_probe prints.

Each algorithm is written again here from its description (shared/reference/algorithms.md and
the comments at the top of lib/quant/observers/*.cpp), vectorised where the C++ loops, so that a
slip in either shows up as a mismatch:
  grid      the exact power-of-two histogram (exponent, first bin, every count)
  min-max, moving-average (float32 replay), percentile, mse (PyTorch L2 search),
  entropy (TensorRT/ncnn KL), sqnr (AIMET), and compute_encoding for every scheme.
It also checks that two halves calibrated in two processes and merged through state files give
the same output as one pass, and reports how far the grid-based results are from the same
algorithms run on an exact 2048-bin numpy histogram of the raw values.

Run with Debian's /usr/bin/python3 (numpy only). Exit status 0 when everything matches.
"""

import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np

GRID_BINS = 8192
MIN_EXPONENT = -160
INDEX_BITS = 40
HISTOGRAM_BINS = 2048
MIN_RANGE = 1e-4
EMA_CONSTANT = np.float32(0.01)
QUANTILE_STEP = 1e-5
ENTROPY_FIRST = 128
SQNR_GAMMA = 3.0
FLOAT_EPS = float(np.finfo(np.float32).eps)

SCHEMES = {
    "asymmetric8": ("asymmetric", 8),
    "symmetric8": ("symmetric", 8),
    "unsignedsymmetric8": ("unsignedsymmetric", 8),
    "asymmetric16": ("asymmetric", 16),
    "symmetric4": ("symmetric", 4),
}

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("MISMATCH " + what)


# ------------------------------------------------------------------------------------------------
# Data: seeded, written as float32 .raw files.

def make_datasets():
    rng = np.random.default_rng(20240611)
    sets = []

    # Normal body, outliers arriving late (the grid must coarsen), stray NaN and inf.
    body = rng.normal(0.3, 1.0, 60000)
    body[:5000] *= 0.2  # the first batches are narrow
    outliers = rng.normal(0.0, 6.0, 120)
    body[-20000:-19880] = outliers
    body[-7] = 23.0
    body[-3000] = -11.5
    body[100] = np.nan
    body[40000] = np.inf
    sets.append(("mixture", body, [3000, 2000, 15000, 10000, 20000, 10000], 99.99))

    # ReLU-like: exact zeros and a long positive tail.
    relu = np.maximum(0.0, rng.normal(0.2, 1.0, 50000)) * 2.5
    relu[rng.integers(0, 50000, 40)] = rng.uniform(10, 40, 40)
    sets.append(("relu", relu, [12500] * 4, 99.9))

    # Heavy symmetric tails.
    laplace = rng.laplace(-0.2, 0.4, 40000)
    sets.append(("laplace", laplace, [10000, 5000, 25000], 99.0))

    # Far from zero, narrow: large grid indices, zero far outside the data.
    sets.append(("offset", rng.normal(1000.0, 0.05, 20000), [20000], 95.0))

    # Tiny values: the minimum encoding range decides.
    sets.append(("tiny", rng.normal(0.0, 1e-6, 5000), [2500, 2500], 99.99))
    return [(n, v.astype(np.float32), b, p) for n, v, b, p in sets]


# ------------------------------------------------------------------------------------------------
# The grid histogram, from its definition.

def ilogb(x):
    return math.frexp(x)[1] - 1


def grid_of(values):
    """Smallest exponent >= floor with every value in GRID_BINS consecutive bins; exact counts."""
    x = values.astype(np.float64)
    lo, hi = float(x.min()), float(x.max())
    absmax = max(abs(lo), abs(hi))
    e = MIN_EXPONENT
    if absmax > 0:
        e = max(e, ilogb(absmax) - INDEX_BITS)
    while math.floor(math.ldexp(hi, -e)) - math.floor(math.ldexp(lo, -e)) + 1 > GRID_BINS:
        e += 1
    k = np.floor(x / 2.0 ** e).astype(np.int64)
    first = int(k.min())
    counts = np.bincount(k - first)
    return {"exponent": e, "first": first, "counts": counts, "min": lo, "max": hi}


def decode_grid(state):
    counts = []
    for c in state["counts"]:
        counts.extend([0] * (-c) if c < 0 else [c])
    return {"exponent": state["exponent"], "first": state["first"], "counts": np.array(counts, np.int64),
            "min": float.fromhex(state["min"]), "max": float.fromhex(state["max"]), "total": state["total"]}


def grid_edges(g):
    n = len(g["counts"])
    w = 2.0 ** g["exponent"]
    left = (g["first"] + np.arange(n)) * w
    right = (g["first"] + np.arange(1, n + 1)) * w
    left[0] = g["min"]
    right[-1] = g["max"]
    return left, right


def grid_cdf(g, x):
    """Piecewise-linear CDF: uniform density inside each grid bin, outer edges at min and max."""
    counts = g["counts"].astype(np.float64)
    cum = np.concatenate([[0.0], np.cumsum(counts)])
    left, right = grid_edges(g)
    n = len(counts)
    i = np.clip(np.floor(x / 2.0 ** g["exponent"]).astype(np.int64) - g["first"], 0, n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):  # a zero-width last bin is never "inside"
        inside = cum[i] + counts[i] * ((x - left[i]) / (right[i] - left[i]))
    return np.where(x >= g["max"], cum[-1], np.where(x <= g["min"], 0.0, inside))


def resample(g, lo, hi, bins=HISTOGRAM_BINS):
    edges = lo + np.arange(bins + 1) * ((hi - lo) / bins)
    edges[-1] = hi
    return np.diff(grid_cdf(g, edges))


def histogram_quantile(hist, lo, hi, fraction):
    """The same linear-in-bin quantile on an ordinary histogram of equal bins over [lo, hi]."""
    cum = np.cumsum(hist)
    target = fraction * cum[-1]
    if target <= 0:
        return lo
    if target >= cum[-1]:
        return hi
    i = int(np.searchsorted(cum, target, side="left"))
    width = (hi - lo) / len(hist)
    return lo + width * i + (target - (cum[i] - hist[i])) / hist[i] * width


def quantile(g, fraction):
    total = float(g["counts"].sum())
    target = fraction * total
    if target <= 0:
        return g["min"]
    if target >= total:
        return g["max"]
    counts = g["counts"].astype(np.float64)
    inclusive = np.cumsum(counts)
    i = int(np.searchsorted(inclusive, target, side="left"))
    left, right = grid_edges(g)
    before = inclusive[i] - counts[i]
    x = left[i] + (target - before) / counts[i] * (right[i] - left[i])
    return min(max(x, g["min"]), g["max"])


# ------------------------------------------------------------------------------------------------
# The algorithms, on an analysis histogram `hist` of HISTOGRAM_BINS bins over [lo, hi].

def l2_error(hist, width, start, end, levels):
    """PyTorch/caffe2: each source bin a uniform density, each level's centre its value."""
    level = width * (end - start + 1) / levels
    if level == 0:
        return 0.0
    begin = (np.arange(len(hist)) - start) * width
    finish = begin + width
    first = np.clip(np.floor(begin / level), 0, levels - 1)
    last = np.clip(np.floor(finish / level), 0, levels - 1)
    density = hist / width
    half = level / 2

    def mass(a, b):
        return density * (b ** 3 - a ** 3) / 3.0

    err = mass(begin - (first + 0.5) * level, half) + (last - first - 1) * mass(-half, half) + \
        mass(-half, finish - (last + 0.5) * level)
    return float(err[hist != 0].sum())


def mse_range(hist, lo, hi, bitwidth):
    levels = 2.0 ** bitwidth
    n = len(hist)
    width = (hi - lo) / n
    cum = np.cumsum(hist)
    total = cum[-1]
    alpha, beta = 0.0, 1.0
    start, end = 0, n - 1
    best = math.inf
    while alpha < beta:
        next_alpha = alpha + QUANTILE_STEP
        next_beta = beta - QUANTILE_STEP
        # PyTorch walks l up from start while cSum[l] < next_alpha * total (stopping at end), and
        # r down from end while cSum[r] > next_beta * total (stopping at start).
        l = start + int(np.searchsorted(cum[start:end], next_alpha * total, side="left"))
        r = start + int(np.searchsorted(cum[start + 1:end + 1], next_beta * total, side="right"))
        new_start, new_end = start, end
        if l - start > end - r:
            new_start, alpha = l, next_alpha
        else:
            new_end, beta = r, next_beta
        if new_start == start and new_end == end:
            continue
        err = l2_error(hist, width, new_start, new_end, levels)
        if err > best:
            break
        best, start, end = err, new_start, new_end
    return lo + width * start, lo + width * (end + 1)


def entropy_bins(hist, levels):
    """The kept-bin count i in [128, 2048] with the least KL(P || Q); the first on ties."""
    n = len(hist)
    best, best_i = math.inf, n
    for i in range(ENTROPY_FIRST, n + 1):
        kept = hist[:i]
        p = kept.copy()
        p[-1] += hist[i:].sum()
        groups = min(levels, i)
        group = (np.arange(i) * groups) // i
        nonzero = kept > 0
        group_sum = np.bincount(group, weights=kept, minlength=groups)
        group_count = np.bincount(group, weights=nonzero.astype(np.float64), minlength=groups)
        q = np.where(nonzero, group_sum[group] / np.maximum(group_count[group], 1.0), 0.0)
        if q.sum() == 0:
            continue
        pn, qn = p / p.sum(), q / q.sum()
        used = pn > 0
        if np.any(qn[used] == 0):
            continue
        kl = float(np.sum(pn[used] * np.log(pn[used] / qn[used])))
        if kl < best:
            best, best_i = kl, i
    return best_i


def sqnr_range(hist, lo_obs, hi_obs, schema, bitwidth):
    n = len(hist)
    width = (hi_obs - lo_obs) / n
    mids = lo_obs + width / 2 + width * np.arange(n)
    lo = min(lo_obs, 0.0)
    hi = max(hi_obs, 0.0)
    hi = max(hi, lo + MIN_RANGE)
    steps = 2.0 ** bitwidth - 1
    if schema == "asymmetric":
        top = (hi - lo) / steps
        observed = float(np.round(lo / top))
        obs_min = top * observed
        obs_max = obs_min + top * steps
        spread = int(min(20, steps + 1))
        offsets = [float(np.round(-steps + i * (steps / (spread - 1)))) for i in range(spread)] + [observed]
        cands = []
        for k in range(1, 18):
            s = top * k / 16
            for o in offsets:
                cmin = max(obs_min, s * o)
                cmax = min(obs_max, s * o + s * steps)
                s2 = max((cmax - cmin) / steps, FLOAT_EPS)
                cands.append((s2, float(np.round(cmin / s2))))
        qmin, qmax = 0.0, steps
    else:
        signed = schema == "symmetric" or lo_obs < 0
        positive = 2.0 ** (bitwidth - 1) - 1 if signed else steps
        top = (max(-lo, hi) if signed else hi) / positive
        cands = [(max(top * k / 100, FLOAT_EPS), 0.0) for k in range(1, 102)]
        qmin, qmax = (-positive - 1, positive) if signed else (0.0, steps)
    scales = np.array([c[0] for c in cands])[:, None]
    offs = np.array([c[1] for c in cands])[:, None]
    q = np.round(mids[None, :] / scales - offs)
    clipped = (q < qmin) | (q > qmax)
    q = np.clip(q, qmin, qmax)
    err = ((q + offs) * scales - mids[None, :]) ** 2 * hist[None, :] * np.where(clipped, SQNR_GAMMA, 1.0)
    noise = np.where(hist[None, :] != 0, err, 0.0).sum(axis=1)
    s, o = cands[int(np.argmin(noise))]
    if schema == "asymmetric":
        return o * s, o * s + steps * s
    reach = qmax * s
    return (-reach if qmax != steps else 0.0), reach


def encoding(mn, mx, schema, bitwidth):
    """compute_encoding, from its documented steps: (scale as float32, offset, signed)."""
    lo = min(float(mn), 0.0)
    hi = max(float(mx), 0.0)
    hi = max(hi, lo + MIN_RANGE)
    steps = 2 ** bitwidth - 1
    if schema == "asymmetric":
        scale = np.float32((hi - lo) / steps)
        offset = int(np.clip(np.round(lo / float(scale)), -steps, 0))
        return scale, offset, False
    if schema == "symmetric" or mn < 0:
        return np.float32(max(-lo, hi) / (2 ** (bitwidth - 1) - 1)), 0, True
    return np.float32(hi / steps), 0, False


# ------------------------------------------------------------------------------------------------

def expected_ranges(values, batches, percentile, histogram_of=None):
    """Every observer's range for every scheme. histogram_of(values, lo, hi) replaces the grid
    resampling with another histogram (for the comparison with exact numpy histograms)."""
    finite = values[np.isfinite(values)]
    mn, mx = float(finite.min()), float(finite.max())
    grid = grid_of(finite)
    magnitudes = np.abs(finite[finite != 0])
    mag_grid = grid_of(magnitudes) if magnitudes.size else None
    resample_x = (lambda lo, hi: histogram_of(finite, lo, hi)) if histogram_of else \
        (lambda lo, hi: resample(grid, lo, hi))
    resample_abs = (lambda hi: histogram_of(magnitudes, 0.0, hi)) if histogram_of else \
        (lambda hi: resample(mag_grid, 0.0, hi))

    # moving average over the finite part of each batch
    ema = None
    at = 0
    for size in batches:
        b = values[at:at + size]
        at += size
        b = b[np.isfinite(b)]
        if b.size == 0:
            continue
        bmin, bmax = np.float32(b.min()), np.float32(b.max())
        if ema is None:
            ema = [bmin, bmax]
        else:
            ema = [np.float32(ema[0] + EMA_CONSTANT * np.float32(bmin - ema[0])),
                   np.float32(ema[1] + EMA_CONSTANT * np.float32(bmax - ema[1]))]

    keep = percentile / 100.0
    if histogram_of:
        pct = (histogram_quantile(histogram_of(finite, mn, mx), mn, mx, 1.0 - keep),
               histogram_quantile(histogram_of(finite, mn, mx), mn, mx, keep))
    else:
        pct = (quantile(grid, 1.0 - keep), quantile(grid, keep))

    out = {}
    hist_x = resample_x(mn, mx) if mx > mn else None
    hist_abs = resample_abs(float(magnitudes.max())) if magnitudes.size else None
    for key, (schema, bw) in SCHEMES.items():
        r = {"min-max": (mn, mx), "moving-average": (float(ema[0]), float(ema[1])), "percentile": pct}
        if hist_x is None:
            r["mse"] = r["sqnr"] = (mn, mx)
        else:
            r["mse"] = mse_range(hist_x, mn, mx, bw)
            r["sqnr"] = sqnr_range(hist_x, mn, mx, schema, bw)
        if hist_abs is None:
            r["entropy"] = (mn, mx)
        else:
            unsigned_grid = mn >= 0 and schema != "symmetric"
            levels = 2 ** bw - 1 if unsigned_grid else 2 ** (bw - 1)
            t = (entropy_bins(hist_abs, levels) + 0.5) * (float(magnitudes.max()) / HISTOGRAM_BINS)
            r["entropy"] = (max(mn, float(np.float32(-t))), min(mx, float(np.float32(t))))
        for name, (lo, hi) in r.items():
            out.setdefault(name, {})[key] = (float(np.float32(lo)), float(np.float32(hi)))
    return out, grid, mag_grid


def run_probe(probe, args):
    done = subprocess.run([probe] + args, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"observer_probe {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return json.loads(done.stdout)


def compare_grid(name, label, got_state, want):
    got = decode_grid(got_state)
    same = got["exponent"] == want["exponent"] and got["first"] == want["first"] and \
        np.array_equal(got["counts"], want["counts"]) and got["min"] == want["min"] and \
        got["max"] == want["max"] and got["total"] == int(want["counts"].sum())
    check(same, f"{name}: {label} grid state (exponent {got['exponent']} vs {want['exponent']}, "
                f"first {got['first']} vs {want['first']}, "
                f"{len(got['counts'])} vs {len(want['counts'])} bins)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", required=True, help="path of the observer_probe executable")
    parser.add_argument("--work", required=True, help="scratch directory for .raw and state files")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    ideal_worst = {}
    for name, values, batches, percentile in make_datasets():
        raw = os.path.join(args.work, f"{name}.raw")
        values.tofile(raw)
        common = ["--percentile", repr(percentile)]
        batch_arg = ",".join(str(b) for b in batches)
        got = run_probe(args.probe, ["--raw", raw, "--batches", batch_arg] + common)
        want, grid, mag_grid = expected_ranges(values, batches, percentile)

        # The states: grid histograms bin for bin.
        for observer in ("mse", "percentile", "sqnr"):
            compare_grid(name, observer, got[observer]["state"]["histogram"], grid)
        if mag_grid is not None:
            compare_grid(name, "entropy |x|", got["entropy"]["state"]["histogram"], mag_grid)

        for observer, per_scheme in want.items():
            for key, (lo, hi) in per_scheme.items():
                glo, ghi = (float.fromhex(v) for v in got[observer]["ranges"][key])
                span = max(hi - lo, 1e-30)
                tol = 1e-6 * max(span, abs(lo), abs(hi)) if observer in ("mse", "entropy", "sqnr") else 0.0
                check(abs(glo - lo) <= tol and abs(ghi - hi) <= tol,
                      f"{name}: {observer} {key}: probe [{glo!r}, {ghi!r}] numpy [{lo!r}, {hi!r}]")
                # compute_encoding, on the probe's own range (so the formula alone is checked).
                schema, bw = SCHEMES[key]
                scale, offset, signed = encoding(np.float32(glo), np.float32(ghi), schema, bw)
                enc = got[observer]["encodings"][key]
                check(np.float32(float.fromhex(enc["scale"])) == scale and enc["offset"] == offset and
                      enc["signed"] == signed,
                      f"{name}: {observer} {key} encoding: probe {enc} numpy scale {float(scale)!r} "
                      f"offset {offset} signed {signed}")

        # Two processes on two halves, a third merges their state files: the same output.
        cut = len(batches) // 2 if len(batches) > 1 else 0
        split_at = sum(batches[:cut]) if cut else len(values) // 2
        first_batches = batches[:cut] if cut else [split_at]
        second_batches = batches[cut:] if cut else [len(values) - split_at]
        parts = []
        for i, (chunk, sizes) in enumerate(((values[:split_at], first_batches),
                                            (values[split_at:], second_batches))):
            part_raw = os.path.join(args.work, f"{name}.part{i}.raw")
            chunk.tofile(part_raw)
            state = os.path.join(args.work, f"{name}.part{i}.json")
            run_probe(args.probe, ["--raw", part_raw, "--batches", ",".join(map(str, sizes)),
                                   "--state-out", state] + common)
            parts.append(state)
        merged = run_probe(args.probe, ["--state-in", parts[0], "--state-in", parts[1]] + common)
        observers = [k for k in got if k != "grid"]
        if cut:
            check(all(merged[o] == got[o] for o in observers), f"{name}: merged halves differ from one pass")
        else:
            # One batch split in two is a different batching: only the moving average may differ.
            for observer in observers:
                if observer != "moving-average":
                    check(merged[observer] == got[observer], f"{name}: merged halves differ ({observer})")

        # The C++ grid's resampled histograms and quantiles: equal to ours, and their CDF within
        # one grid bin's count of the exact CDF at every analysis edge (the only place where
        # uniform density inside a bin is assumed).
        finite = values[np.isfinite(values)]
        magnitudes = np.abs(finite[finite != 0])
        for fraction, q in got["grid"]["quantiles"]:
            want_q = quantile(grid, fraction)
            check(q == want_q, f"{name}: grid quantile({fraction}) {q!r} vs {want_q!r}")
        abs_max = float(magnitudes.max()) if magnitudes.size else 0.0
        cases = (("x", "x", finite, grid, float(finite.min()), float(finite.max())),
                 ("|x|", "abs", magnitudes, mag_grid, 0.0, abs_max))
        for label, key, data, g, lo, hi in cases:
            if g is None or not hi > lo:
                continue
            theirs = np.array(got["grid"][key])
            mine = resample(g, lo, hi)
            check(np.allclose(theirs, mine, rtol=1e-12, atol=1e-9 * len(data)),
                  f"{name}: resampled {label} histogram differs (max {np.abs(theirs - mine).max()})")
            edges = lo + np.arange(HISTOGRAM_BINS + 1) * ((hi - lo) / HISTOGRAM_BINS)
            edges[-1] = hi
            ours = np.concatenate([[0.0], np.cumsum(theirs)])
            ordered = np.sort(data.astype(np.float64))
            below = np.searchsorted(ordered, edges, side="left")
            at_or_below = np.searchsorted(ordered, edges, side="right")
            k = np.clip(np.floor(edges / 2.0 ** g["exponent"]).astype(np.int64) - g["first"], 0,
                        len(g["counts"]) - 1)
            slack = g["counts"][k] + 1e-9 * len(data)
            check(bool(np.all((ours >= below - slack) & (ours <= at_or_below + slack))),
                  f"{name}: resampled {label} CDF strays beyond one grid bin from the exact CDF")

        # How far the grid puts us from the textbook algorithms on an exact numpy histogram.
        def exact_histogram(x, lo, hi):
            counts, _ = np.histogram(x.astype(np.float64), bins=HISTOGRAM_BINS, range=(lo, hi))
            return counts.astype(np.float64)

        ideal, _, _ = expected_ranges(values, batches, percentile, exact_histogram)
        data_span = float(finite.max()) - float(finite.min())
        for observer in ("mse", "entropy", "percentile", "sqnr"):
            for key, (lo, hi) in ideal[observer].items():
                glo, ghi = (float.fromhex(v) for v in got[observer]["ranges"][key])
                dev = max(abs(glo - lo), abs(ghi - hi)) / data_span
                worst = ideal_worst.get(observer, (0.0, ""))
                if dev >= worst[0]:
                    ideal_worst[observer] = (dev, f"{name} {key}")
                # Loose on purpose: the searches are discrete (PyTorch's stops at the first worse
                # step, KL minima are flat), so a smoother histogram may stop a few dozen analysis
                # bins away; a bug in the grid or resampling would be far larger. The exact checks
                # above are the real test.
                check(dev <= 0.05,
                      f"{name}: {observer} {key} is {dev:.4%} of the span from the exact histogram")
        print(f"{name}: {len(values)} values in {len(batches)} batches checked")

    for observer, (dev, where) in sorted(ideal_worst.items()):
        print(f"grid vs exact histogram, {observer}: worst {dev:.5%} of the data span ({where})")
    if failures:
        print(f"{len(failures)} mismatches")
        return 1
    print("all observers match the numpy re-derivation")
    return 0


if __name__ == "__main__":
    sys.exit(main())

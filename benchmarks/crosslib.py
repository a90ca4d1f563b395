"""``python -m benchmarks.crosslib``: pandas cleaning -> NumPy features -> a TensorFlow-style
model, written once and run eagerly (pandas + NumPy) and through weldish (weldish.pandas,
weldish.numpy, weldish.tensorflow), where the three libraries' calls are one graph.

The pipeline (Weld's cross-library case): a DataFrame of ``--n`` rows x 8 float columns
with 5% missing values -> ``fillna(0)`` -> standardize each column (mean, std) ->
``.to_numpy()`` -> a dense layer with one unit + sigmoid -> threshold 0.5 -> count. The
eager version computes the model's part with NumPy (TensorFlow itself is not needed); the
weldish version with ``tf.matmul``/``tf.sigmoid``/``tf.reduce_sum``, whose small matrix
product is computed inside the fused loop (``weldish.ir.passes.matmul``).

Two ways to write the standardization are timed: ``frame`` (``(df - df.mean()) /
df.std()``, the idiomatic form) and ``columns`` (one expression per column). Each row
reports the median seconds of ``--repeat`` runs on one frame in one process, the ratio to
the eager run, one run on a new frame of the same shape (``new frame s``: includes any
kernel compiled because the program depends on the data, e.g. statistics compiled in as
constants), whether the count equals the eager count, the number of compiled loops
``explain`` shows for the lazy graph, and the calls that fell back to pandas.

    python -m benchmarks.crosslib [--n 5000000] [--repeat 5] [--threads N]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import time

import numpy as np
import pandas as pd

import weldish
from weldish.config import SETTINGS

COLUMNS = [f"f{i}" for i in range(8)]


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.normal(3.0, 2.0, (n, len(COLUMNS)))
    values[rng.random(values.shape) < 0.05] = np.nan
    return pd.DataFrame({c: np.ascontiguousarray(values[:, i])
                         for i, c in enumerate(COLUMNS)})


def model(seed: int = 1):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 0.5, (len(COLUMNS), 1)), 0.1


def standardize(clean, how: str, pdlib):
    if how == "frame":
        return (clean - clean.mean()) / clean.std()
    return pdlib.DataFrame({c: (clean[c] - clean[c].mean()) / clean[c].std()
                            for c in clean.columns})


def eager(df: pd.DataFrame, w, b, how: str) -> int:
    """pandas + NumPy, each call computed when it is made."""
    x = standardize(df.fillna(0.0), how, pd).to_numpy()
    prob = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    return int(np.count_nonzero(prob > 0.5))


def lazy_count(df, w, b, how: str):
    """weldish.pandas -> weldish.numpy -> weldish.tensorflow: one lazy graph."""
    import weldish.pandas as wpd
    import weldish.tensorflow as tf
    x = standardize(wpd.DataFrame(df).fillna(0.0), how, wpd).to_numpy()
    logits = tf.matmul(x, w) + b
    return tf.reduce_sum(tf.cast(tf.sigmoid(logits) > 0.5, tf.int64))


def fused(df, w, b, how: str) -> int:
    return int(lazy_count(df, w, b, how))


def loops(df, w, b, how: str) -> tuple[int, str]:
    """(compiled loops explain shows, fallbacks) for one construction of the pipeline."""
    weldish.fallbacks.clear()
    text = weldish.explain(lazy_count(df, w, b, how), show=False)
    kernels = len(re.findall(r"^kernel \d+:", text, re.M))
    falls = ", ".join(sorted(weldish.fallbacks.counts)) or "none"
    return kernels, falls


def timed(fn, repeat: int) -> float:
    fn()   # warm-up: compile, first touch, thread pool
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(n: int, repeat: int, threads: int) -> list[dict]:
    df, other = frame(n), frame(n, seed=2)
    w, b = model()
    rows = []
    for how in ("frame", "columns"):
        expected = eager(df, w, b, how)
        t_eager = timed(lambda how=how: eager(df, w, b, how), repeat)
        with weldish.config(num_threads=threads):
            got = fused(df, w, b, how)
            t_fused = timed(lambda how=how: fused(df, w, b, how), repeat)
            t0 = time.perf_counter()   # a new frame of the same shape: what a program
            fused(other, w, b, how)    # whose structure depends on the data recompiles
            t_new = time.perf_counter() - t0
            kernels, falls = loops(df, w, b, how)
        rows.append(dict(standardize=how, eager_s=t_eager, weldish_s=t_fused,
                         new_frame_s=t_new, speedup=t_eager / t_fused,
                         equal=got == expected, count=got, kernels=kernels, fallbacks=falls))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    rows = run(args.n, args.repeat, args.threads)
    print(f"pandas -> NumPy -> dense+sigmoid -> count, {args.n:,} rows x {len(COLUMNS)}, "
          f"median of {args.repeat}, {args.threads} thread(s), backend {SETTINGS.backend}")
    print(f"  {'standardize':<12} {'eager s':>9} {'weldish s':>10} {'x eager':>8} "
          f"{'new frame s':>12} {'equal':>6} {'loops':>6}  fallbacks")
    for r in rows:
        print(f"  {r['standardize']:<12} {r['eager_s']:9.3f} {r['weldish_s']:10.3f} "
              f"{r['speedup']:8.2f} {r['new_frame_s']:12.3f} {r['equal']!s:>6} "
              f"{r['kernels']:>6}  {r['fallbacks']}")
    return 0 if all(r["equal"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

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
import time

import weldish
from weldish import workloads
from weldish.cli import median_seconds
from weldish.config import SETTINGS

COLUMNS = workloads.CREDIT_COLUMNS
# the pipeline itself is weldish.workloads' (the demo runs it too)
eager = workloads.credit_score_eager
lazy_count = workloads.credit_score_lazy


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
    return median_seconds(fn, repeat, warmup=True)   # warm-up: compile, first touch, pool


def run(n: int, repeat: int, threads: int) -> list[dict]:
    df, w, b = workloads.credit_inputs(n).values()
    other = workloads.credit_inputs(n, seed=2)["df"]
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

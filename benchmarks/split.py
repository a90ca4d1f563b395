"""``python -m benchmarks.split``: pipelines of annotated black-box NumPy and pandas calls.

Every step is a call of an opaque function (``weldish.annotations``: NumPy's own ufuncs and
``scipy.special.erf``, annotated; weldish does not compile them), so what weldish adds is
only the split-annotation runtime: pieces sized for the cache flow through the whole
pipeline, two at a time on the thread pool. Compared with the same calls made eagerly with
NumPy (each a full pass over 10M elements), and with Mozart's ``sa`` package where it
imports (its own annotated NumPy, process workers). Median of several runs in one process.

The pandas pipeline (a crime-index style cleaning and scoring of a 4-column DataFrame, each
step an annotated pandas function) runs call by call: a DataFrame/Series result is not a
node of the graph (the IR holds numeric arrays), so each call runs at once, split by rows
over the thread pool, and its pieces are concatenated before the next call. It gains only
the parallel pieces, not the locality of a pipelined stage.

    python -m benchmarks.split [--n 10000000] [--repeat 5] [--threads 2] [--piece 0]
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import numpy as np
import pandas as pd

import weldish
import weldish.numpy as wnp
from weldish import annotations
from weldish.annotate import ArraySplit, Broadcast, DataFrameSplit, Reduce, SeriesSplit

INV_SQRT2 = 1 / math.sqrt(2.0)


def _erf_numpy(x):
    """erf without SciPy (Abramowitz-Stegun 7.1.26): a black box all the same."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * z)
    y = 1.0 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (
        -1.453152027 + t * 1.061405429)))) * np.exp(-z * z)
    return np.copysign(y, x)


def namespace(kind: str):
    """The functions Black-Scholes calls: NumPy's (eager) or their annotated versions."""
    try:
        from scipy.special import erf
    except ImportError:
        erf = _erf_numpy
    if kind == "numpy":
        return dict(exp=np.exp, log=np.log, sqrt=np.sqrt, erf=erf, add=np.add,
                    subtract=np.subtract, multiply=np.multiply, divide=np.divide)
    a = annotations.numpy
    special = annotations.special
    return dict(exp=a.exp, log=a.log, sqrt=a.sqrt,
                erf=special.erf if special is not None and erf is not _erf_numpy
                else weldish.annotate(ArraySplit(), returns=ArraySplit())(_erf_numpy),
                add=a.add, subtract=a.subtract, multiply=a.multiply, divide=a.divide)


def black_scholes(f, price, strike, t, rate, vol):
    """Call and put prices, one black-box call per step (as Mozart's benchmark)."""
    add, sub, mul, div = f["add"], f["subtract"], f["multiply"], f["divide"]
    sqrt_t = f["sqrt"](t)
    vol_sqrt = mul(vol, sqrt_t)
    d1 = div(add(f["log"](div(price, strike)), mul(add(rate, mul(mul(vol, vol), 0.5)), t)),
             vol_sqrt)
    d2 = sub(d1, vol_sqrt)
    cdf1 = mul(add(f["erf"](mul(d1, INV_SQRT2)), 1.0), 0.5)
    cdf2 = mul(add(f["erf"](mul(d2, INV_SQRT2)), 1.0), 0.5)
    discount = mul(strike, f["exp"](mul(mul(t, -1.0), rate)))
    call = sub(mul(price, cdf1), mul(discount, cdf2))
    put = sub(add(call, discount), price)   # put-call parity
    return call, put


def inputs(n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return dict(price=rng.uniform(10, 50, n), strike=rng.uniform(10, 50, n),
                t=rng.uniform(0.1, 2.0, n), rate=0.02, vol=rng.uniform(0.1, 0.5, n))


def run_numpy(data):
    return black_scholes(namespace("numpy"), **data)


def run_weldish(data):
    f = namespace("weldish")
    lazy = {k: wnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in data.items()}
    return weldish.evaluate(*black_scholes(f, **lazy))


def run_mozart(data):
    """Mozart's ``sa`` (annotated NumPy from its package; process workers, sharedmem)."""
    import sa.annotated.numpy as snp
    from sa.annotation import dag, evaluate
    # sa 0.0.4 finds dependencies with ``op in other.args``: ``array == op`` there is an
    # elementwise comparison in NumPy 2, whose truth value raises. With __array_ufunc__ =
    # None NumPy defers to the operation's own __eq__ (identity), as sa intends.
    dag.Operation.__array_ufunc__ = None
    from scipy.special import erf  # noqa: F401 - sa's numpy annotations import it
    f = dict(exp=snp.exp, log=snp.log, sqrt=snp.sqrt, erf=snp.erf, add=snp.add,
             subtract=snp.subtract, multiply=snp.multiply, divide=snp.divide)
    out = black_scholes(f, **data)
    evaluate(workers=2, batch_size=16384)
    got = tuple(getattr(o, "value", o) for o in out)
    if any(g is None for g in got):   # sa 0.0.4 returns values only for in-place outputs
        raise RuntimeError("sa returned None for the pipeline's results")
    return tuple(np.asarray(g) for g in got)


def _clean(df):
    return df.fillna(0.0).clip(lower=0.0)


def _score(df):
    return df["violent"] * 0.5 + df["property"] * 0.3 - df["police"] * 0.2 + df["income"] * 1e-5


def _high(score, threshold):
    return score[score > threshold]


def _total(s):
    return s.sum()


PANDAS_STEPS = dict(clean=_clean, score=_score, high=_high, total=_total)
ANNOTATED_PANDAS_STEPS = dict(
    clean=weldish.annotate(DataFrameSplit(), returns=DataFrameSplit())(_clean),
    score=weldish.annotate(DataFrameSplit(), returns=SeriesSplit())(_score),
    high=weldish.annotate(SeriesSplit(), Broadcast(), returns=SeriesSplit())(_high),
    total=weldish.annotate(SeriesSplit(), returns=Reduce("sum"))(_total))


def crime_index(f, df):
    """Cleaning, a weighted score, the cities above a threshold and their total."""
    high = f["high"](f["score"](f["clean"](df)), 20.0)
    return high, f["total"](high)


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {c: rng.gamma(2.0, 20.0, n) for c in ("violent", "property", "police")}
    cols["income"] = rng.normal(5e4, 1e4, n)
    for c, v in cols.items():
        v[rng.random(n) < 0.05] = np.nan    # 5% missing in each column
    return pd.DataFrame(cols)


def timed(fn, data, repeat):
    fn(data)   # warm-up: compile, first-touch, pool start
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--piece", type=int, default=0, help="elements per piece (0: from L2)")
    ap.add_argument("--mozart", action="store_true", help="also try Mozart's sa package")
    ap.add_argument("--pipeline", choices=("numpy", "pandas", "both"), default="both")
    args = ap.parse_args(argv)
    if args.pipeline in ("numpy", "both"):
        numpy_pipeline(args)
    if args.pipeline in ("pandas", "both"):
        pandas_pipeline(args)


def pandas_pipeline(args):
    df = frame(args.n)
    expected = crime_index(PANDAS_STEPS, df)
    t_pandas = timed(lambda d: crime_index(PANDAS_STEPS, d), df, args.repeat)
    rows = [("pandas (eager calls)", t_pandas)]
    for threads in sorted({1, args.threads}):
        with weldish.config(num_threads=threads, split_piece=args.piece):
            got = crime_index(ANNOTATED_PANDAS_STEPS, df)
            pd.testing.assert_series_equal(got[0], expected[0])
            assert np.isclose(got[1], expected[1], rtol=1e-12)
            rows.append((f"weldish split ({threads} thread(s))", timed(
                lambda d: crime_index(ANNOTATED_PANDAS_STEPS, d), df, args.repeat)))
    print(f"crime index of annotated pandas calls, {args.n:,} rows x 4, median of "
          f"{args.repeat}, {os.cpu_count()} cores")
    for name, t in rows:
        print(f"  {name:<28} {t * 1e3:9.1f} ms   {t_pandas / t:5.2f}x vs pandas")


def numpy_pipeline(args):
    data = inputs(args.n)
    expected = run_numpy(data)
    rows = []
    t_numpy = timed(run_numpy, data, args.repeat)
    rows.append(("numpy (eager calls)", t_numpy))
    for threads in sorted({1, args.threads}):
        with weldish.config(num_threads=threads, split_piece=args.piece):
            got = run_weldish(data)
            for g, e in zip(got, expected):
                np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-9)
            rows.append((f"weldish split ({threads} thread(s))", timed(run_weldish, data,
                                                                      args.repeat)))
    if args.mozart:
        try:
            got = run_mozart(data)
            for g, e in zip(got, expected):
                np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-9)
            rows.append(("mozart sa (2 workers)", timed(run_mozart, data, args.repeat)))
        except Exception as e:   # report, do not fail the weldish measurement
            print(f"mozart sa: not measured ({type(e).__name__}: {e})")
    print(f"Black-Scholes of annotated black-box calls, n={args.n:,}, median of "
          f"{args.repeat}, {os.cpu_count()} cores")
    for name, t in rows:
        print(f"  {name:<28} {t * 1e3:9.1f} ms   {t_numpy / t:5.2f}x vs numpy")


if __name__ == "__main__":
    main()

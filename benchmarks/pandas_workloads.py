"""``python -m benchmarks.pandas_workloads``: pandas pipelines, weldish.pandas vs pandas vs
Polars (lazy).

Workloads (``--n`` rows, 10M by default; each checked against pandas before timing):
- ``zip_clean``: data cleaning of zip-code strings (5-digit prefix, validity, counts);
- ``crime_index``: filters and arithmetic over three numeric columns, ``mask``ed, summed;
- ``groupby_100``: 1 integer key, ~100 groups, sum;
- ``groupby_100k``: 1 integer key, ~100k groups, sum and mean (named aggregation);
- ``groupby_2keys``: 2 keys (int x string), ~10k groups, sum;
- ``join_groupby``: ratings joined to movies (~100k) on a key, mean rating per genre.
Median seconds of ``--repeat`` runs after one warm-up run (compilation not timed); the
same code runs with ``pandas`` and ``weldish.pandas`` (only the module differs), and the
Polars version is the equivalent lazy query. FireDucks is tried when it imports.

    python -m benchmarks.pandas_workloads [--n 10000000] [--repeat 3] [--only NAME ...]
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas

import weldish
import weldish.pandas as wpd
from weldish import cli


def make_data(n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    zips = rng.integers(0, 100000, n).astype(str)
    zips = np.where(rng.random(n) < 0.1, np.char.add(zips, "-1234"), zips)
    zips = np.where(rng.random(n) < 0.05, "", zips)
    nm = max(n // 100, 1000)
    return {
        "zips": pandas.DataFrame({"zip": pandas.array(zips, dtype="str")}),
        "crime": pandas.DataFrame({
            "total_population": rng.integers(100, 1_000_000, n).astype(np.float64),
            "adult_population": rng.integers(50, 700_000, n).astype(np.float64),
            "num_robberies": rng.integers(0, 1000, n).astype(np.float64)}),
        "groups": pandas.DataFrame({
            "id1": rng.integers(0, 100, n), "id3": rng.integers(0, 100_000, n),
            "id2": pandas.array(np.char.add("g", rng.integers(0, 100, n).astype(str)),
                                dtype="str"),
            "v1": rng.integers(1, 6, n), "v3": rng.random(n) * 100}),
        "ratings": pandas.DataFrame({"movie": rng.integers(0, nm, n),
                                     "rating": rng.integers(1, 11, n) / 2.0}),
        "movies": pandas.DataFrame({"movie": np.arange(nm),
                                    "genre": rng.integers(0, 20, nm)}),
    }


# --- the pipelines: ``pd`` is pandas or weldish.pandas ---------------------------------
def zip_clean(pd, d):
    z = d["zips"].zip.str.slice(0, 5)
    valid = z.str.len() == 5
    return pd.Series([valid.sum(), z.str.startswith("0").sum()])


def crime_index(pd, d):
    df = d["crime"]
    df = df[(df.total_population > 500) & (df.adult_population > 100)]
    ci = (df.total_population * 2 + df.adult_population * 2 + df.num_robberies * 2000) \
        / 100000
    ci = ci.mask(ci >= 0.02 * 1000, 0.032).mask(ci < 0.01 * 1000, 0.005)
    return pd.Series([ci.sum(), ci.mean()])


def groupby_100(pd, d):
    return d["groups"].groupby("id1")["v1"].sum()


def groupby_100k(pd, d):
    return d["groups"].groupby("id3").agg(v1=("v1", "sum"), v3=("v3", "mean"))


def groupby_2keys(pd, d):
    return d["groups"].groupby(["id1", "id2"])["v1"].sum()


def join_groupby(pd, d):
    j = pd.merge(d["ratings"], d["movies"], on="movie")
    return j.groupby("genre")["rating"].mean()


WORKLOADS = {f.__name__: f for f in (zip_clean, crime_index, groupby_100, groupby_100k,
                                     groupby_2keys, join_groupby)}
INPUTS = {"zip_clean": ["zips"], "crime_index": ["crime"], "groupby_100": ["groups"],
          "groupby_100k": ["groups"], "groupby_2keys": ["groups"],
          "join_groupby": ["ratings", "movies"]}


# --- Polars (lazy) equivalents --------------------------------------------------------
def polars_query(name, pl, d):
    if name == "zip_clean":
        z = pl.col("zip").str.slice(0, 5)
        return d["zips"].lazy().select(
            (z.str.len_chars() == 5).sum().alias("a"), z.str.starts_with("0").sum().alias("b"))
    if name == "crime_index":
        c = d["crime"].lazy().filter((pl.col("total_population") > 500) &
                                     (pl.col("adult_population") > 100))
        ci = (pl.col("total_population") * 2 + pl.col("adult_population") * 2 +
              pl.col("num_robberies") * 2000) / 100000
        ci = pl.when(ci >= 20).then(0.032).when(ci < 10).then(0.005).otherwise(ci)
        return c.select(ci.sum().alias("s"), ci.mean().alias("m"))
    g = d["groups"].lazy() if "groups" in d else None
    if name == "groupby_100":
        return g.group_by("id1").agg(pl.col("v1").sum())
    if name == "groupby_100k":
        return g.group_by("id3").agg(pl.col("v1").sum(), pl.col("v3").mean())
    if name == "groupby_2keys":
        return g.group_by(["id1", "id2"]).agg(pl.col("v1").sum())
    if name == "join_groupby":
        return d["ratings"].lazy().join(d["movies"].lazy(), on="movie").group_by(
            "genre").agg(pl.col("rating").mean())
    raise KeyError(name)


def median_seconds(fn, repeat):
    return cli.median_seconds(fn, repeat, warmup=True)  # warm-up: compilation, caches


def _value(x):
    x = weldish.evaluate(x)
    return x


def check(name, pdata, wdata):
    """weldish's result equals pandas' (values, index, dtypes; floats to rounding)."""
    want = WORKLOADS[name](pandas, pdata)
    got = _value(WORKLOADS[name](wpd, wdata))
    if isinstance(want, pandas.DataFrame):
        pandas.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)
    else:
        pandas.testing.assert_series_equal(got, want, check_exact=False, rtol=1e-9)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args(argv)
    names = args.only or list(WORKLOADS)
    data = make_data(args.n)
    try:
        import polars as pl
    except ImportError:
        pl = None
    from weldish.config import SETTINGS
    print(f"n = {args.n:,} rows, weldish threads = {SETTINGS.num_threads}")
    print(f"{'workload':<15} {'pandas s':>9} {'weldish s':>10} {'polars s':>9} "
          f"{'vs pandas':>10} {'vs polars':>10}")
    for name in names:
        pdata = {k: data[k] for k in INPUTS[name]}
        wrap = lambda: {k: wpd.DataFrame(v) for k, v in pdata.items()}  # noqa: E731
        check(name, pdata, wrap())
        tp = median_seconds(lambda: WORKLOADS[name](pandas, pdata), args.repeat)
        tw = median_seconds(lambda: _value(WORKLOADS[name](wpd, wrap())), args.repeat)
        tl = float("nan")
        if pl is not None:
            ldata = {k: pl.from_pandas(v) for k, v in pdata.items()}
            tl = median_seconds(lambda: polars_query(name, pl, ldata).collect(), args.repeat)
        print(f"{name:<15} {tp:>9.3f} {tw:>10.3f} {tl:>9.3f} {tp / tw:>9.2f}x "
              f"{tl / tw:>9.2f}x", flush=True)
    weldish.fallbacks.report() and print("fallbacks:\n" + weldish.fallbacks.report())


if __name__ == "__main__":
    main()

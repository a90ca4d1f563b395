"""Random pandas pipelines (seeded): a chain of Series operations ending in a reduction,
or one frame operation, run by pandas and by weldish.pandas on the same data; the values,
dtypes, index and errors must agree (float32 results to float32 rounding: weldish sums in
a different order than NumPy's pairwise sum)."""
import random

import numpy as np
import pandas
import pandas.testing as pdt
import pytest

import weldish.pandas as wpd


def make(rng, n):
    return {"i": rng.integers(-5, 6, n), "u": rng.integers(0, 200, n).astype(np.uint8),
            "f": np.where(rng.random(n) < .2, np.nan, rng.normal(size=n)),
            "g": rng.random(n).astype(np.float32), "k": rng.integers(0, 4, n),
            "b": rng.random(n) < .5, "s": rng.choice(["p", "q", "r"], n)}


SERIES_OPS = [
    lambda s, r: s + r.choice([1, 2.5, -3]), lambda s, r: s * r.choice([2, 0.5]),
    lambda s, r: s - s, lambda s, r: s / r.choice([2, 0, -1.5]), lambda s, r: -s,
    lambda s, r: s.abs(), lambda s, r: s > r.choice([0, 1.5]),
    lambda s, r: s.fillna(r.choice([0, 1.5])), lambda s, r: s.isna(),
    lambda s, r: s.clip(-1, 2), lambda s, r: s.round(1), lambda s, r: s.astype("float32"),
    lambda s, r: s.where(s > 0, r.choice([0, -1.0])), lambda s, r: s.mask(s < 0),
    lambda s, r: s.cumsum(), lambda s, r: s.shift(r.choice([1, -2])), lambda s, r: s.diff(),
    lambda s, r: s % r.choice([2, 3]), lambda s, r: s // r.choice([2, 4]),
    lambda s, r: s ** 2, lambda s, r: s.between(-1, 1), lambda s, r: s.isin([0, 1, 2]),
    lambda s, r: s.iloc[r.choice([1, 3]):], lambda s, r: s.head(r.choice([0, 5, 1000])),
    lambda s, r: s.sort_values(), lambda s, r: s.drop_duplicates(),
    lambda s, r: s * s.shift(1), lambda s, r: s[s > 0] if s.dtype.kind != "b" else s[s],
    lambda s, r: s.astype(bool),
]
REDUCTIONS = [lambda s: s.sum(), lambda s: s.mean(), lambda s: s.min(), lambda s: s.max(),
              lambda s: s.std(), lambda s: s.var(), lambda s: s.count(),
              lambda s: s.nunique(), lambda s: s.any(), lambda s: s.all(),
              lambda s: s.value_counts(), lambda s: s.unique(), lambda s: len(s)]
FRAME_OPS = [
    lambda df, r: df[df.k == r.choice([0, 1])],
    lambda df, r: df.groupby("k")[["f", "i"]].sum(),
    lambda df, r: df.groupby(["k", "s"]).f.mean(),
    lambda df, r: df.groupby("s").agg(a=("g", "max"), b=("i", "count")),
    lambda df, r: df.merge(df[["k", "g"]].drop_duplicates("k"), on="k",
                           how=r.choice(["left", "inner"])),
    lambda df, r: df.sort_values(["k", "i"]), lambda df, r: df.dropna(),
    lambda df, r: df.query("i > 0 and f < 1"), lambda df, r: df.assign(z=df.i * df.f),
    lambda df, r: df.groupby("k").f.transform("mean"), lambda df, r: df.describe(),
    lambda df, r: df.drop_duplicates(["k", "s"]),
    lambda df, r: df[["i", "f", "g"]].cumsum(), lambda df, r: df.fillna(0),
    lambda df, r: df.groupby("k")["g"].agg(["min", "max"]),
]


def _same(got, want):
    if isinstance(got, (wpd.Series, wpd.DataFrame)):
        got = got.to_pandas()
    f32 = getattr(want, "dtype", None) == np.float32 or isinstance(want, np.float32)
    tol = {"check_exact": False, "rtol": 1e-5 if f32 else 1e-9}
    if isinstance(want, pandas.DataFrame):
        pdt.assert_frame_equal(got, want, check_exact=False, rtol=1e-5)
    elif isinstance(want, pandas.Series):
        pdt.assert_series_equal(got, want, **tol)
    elif isinstance(want, np.ndarray):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
    else:
        assert type(got) is type(want), (type(got), type(want))
        if isinstance(want, (float, np.floating)) and np.isnan(want):
            assert np.isnan(got)
        else:
            assert got == want or np.isclose(got, want, rtol=tol["rtol"]), (got, want)


def _run(fn, *args):
    try:
        return fn(*args), None
    except Exception as e:  # noqa: BLE001 - pandas' error is part of the oracle
        return None, e


@pytest.mark.parametrize("seed", range(40))
def test_random_pipeline_as_pandas(seed):
    r, rng = random.Random(seed), np.random.default_rng(seed)
    n = r.choice([0, 1, 7, 50, 3000])
    data = make(rng, n)
    p, w = pandas.DataFrame(data), wpd.DataFrame(data)
    for case in range(3):
        if r.random() < 0.4:
            op = r.choice(FRAME_OPS)
            want, err = _run(op, p, random.Random(case))
            got, gerr = _run(op, w, random.Random(case))
            assert type(gerr) is type(err), (err, gerr)
            if err is None:
                _same(got, want)
            continue
        col = r.choice(list(data))
        ps, ws = p[col], w[col]
        for _ in range(r.randint(1, 4)):
            op, k = r.choice(SERIES_OPS), r.random()
            want, err = _run(op, ps, random.Random(k))
            got, gerr = _run(op, ws, random.Random(k))
            assert type(gerr) is type(err), (err, gerr)
            if err is not None:
                break
            ps, ws = want, got
        else:
            red = r.choice(REDUCTIONS)
            want, err = _run(red, ps)
            got, gerr = _run(red, ws)
            assert type(gerr) is type(err), (err, gerr)
            _same(ws, ps)
            if err is None:
                _same(got, want)

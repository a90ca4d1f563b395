"""weldish.relational against pandas: factorize vs groupby's groups, segment_reduce vs
groupby aggregations, join_indices vs merge's rows (each test on both backends)."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import weldish
import weldish.numpy as wnp
from weldish.relational import factorize, join_indices, segment_reduce

N = 60
RNG = np.random.default_rng(7)


def _with_nan(a, frac=0.2, seed=1):
    a = a.astype(float)
    a[np.random.default_rng(seed).random(len(a)) < frac] = np.nan
    return a


KEYS = {
    "int": RNG.integers(-3, 4, N),
    "float_nan": _with_nan(RNG.integers(0, 5, N) * 0.5),
    "int_nan": _with_nan(RNG.integers(-2, 3, N), 0.2, 2),   # integral floats: int path
    "str_none": RNG.choice(np.array(["b", "a", None, "c"], dtype=object), N),
    "bool": RNG.integers(0, 2, N).astype(bool),
    "cat": pd.Categorical(RNG.choice(["z", "y", "a"], N), categories=["z", "q", "y", "a"]),
    "big_int": RNG.choice(np.array([2 ** 50, -7, 2 ** 40, 3]), N),
    "str_arrow": pd.array(RNG.choice(["x", "w", None], N), dtype="str"),
}
KEY_SETS = [["int"], ["float_nan"], ["int_nan"], ["str_none"], ["bool"], ["cat"],
            ["big_int"], ["str_arrow"], ["int", "str_none"], ["float_nan", "cat"]]


def _frame(n=N):
    df = pd.DataFrame({k: v[:n] for k, v in KEYS.items()})
    df["f"] = _with_nan(RNG.normal(size=N), 0.25, 3)[:n]
    df["f32"] = df["f"].astype(np.float32)
    df["i"] = RNG.integers(-5, 6, N)[:n]
    df["i8"] = RNG.integers(-5, 6, N).astype(np.int8)[:n]
    df["b"] = RNG.integers(0, 2, N).astype(bool)[:n]
    return df


def _ngroup(df, keys, sort, dropna):
    """pandas' group number of each row (-1 for a dropped missing key)."""
    g = df.groupby(keys, sort=sort, dropna=dropna, observed=True).ngroup()
    return g.fillna(-1).to_numpy().astype(np.int64)


def _check_factorize(df, keys, sort, dropna):
    codes, uniques, ngroups = factorize([df[k] for k in keys], sort=sort, dropna=dropna)
    expected = df.groupby(keys, sort=sort, dropna=dropna, observed=True).size()
    assert ngroups == len(expected) == len(uniques[0])
    np.testing.assert_array_equal(codes, _ngroup(df, keys, sort, dropna))
    index = expected.index.to_frame(index=False)
    for k, u in zip(keys, uniques):
        assert _values(u) == _values(index[k]), k


def _values(a):
    """Values as a list, every missing value as None (NaN, None, pd.NA, NaT)."""
    return [None if pd.isna(v) else v for v in pd.Series(np.asarray(a, dtype=object),
                                                          dtype=object)]


@pytest.mark.parametrize("keys", KEY_SETS, ids="+".join)
def test_factorize_matches_groupby(keys):
    df = _frame()
    for sort in (True, False):
        for dropna in (True, False):
            _check_factorize(df, keys, sort, dropna)


@pytest.mark.parametrize("n", [0, 1])
def test_factorize_empty_and_single_row(n):
    df = _frame(n)
    for keys in (["int"], ["float_nan", "str_none"]):
        _check_factorize(df, keys, True, True)
        _check_factorize(df, keys, False, False)


def test_factorize_errors():
    with pytest.raises(ValueError):
        factorize([])
    with pytest.raises(ValueError):
        factorize([np.arange(3), np.arange(4)])


HOWS = ["sum", "mean", "count", "size", "min", "max", "prod", "var", "std", "first", "last"]


def _expected(df, keys, col, how, **kw):
    g = df.groupby(keys, sort=True, dropna=True, observed=True)[col]
    return (g.size() if how == "size" else getattr(g, how)(**kw)).to_numpy()


def _check_segment(got, expected, how, col_dtype):
    got = np.asarray(got)
    if how in ("sum", "prod") and col_dtype.kind in "iub":   # accumulated in 64 bits
        expected = expected.astype(np.uint64 if col_dtype.kind == "u" else np.int64)
    assert got.dtype == expected.dtype, (how, got.dtype, expected.dtype)
    tol = 1e-5 if got.dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("col", ["f", "f32", "i", "i8", "b"])
def test_segment_reduce_matches_groupby(col):
    df = _frame()
    codes, _, ngroups = factorize([df["float_nan"]])
    values = df[col].to_numpy()
    for how in HOWS:
        if col == "b" and how in ("var", "std", "prod"):
            continue
        if col in ("i8", "f32") and how in ("prod", "first", "last", "size"):
            continue   # (cold compiles: a few kinds per dtype suffice)
        got = segment_reduce(values, codes, ngroups, how)
        _check_segment(got, _expected(df, ["float_nan"], col, how), how, values.dtype)


def test_segment_reduce_options_and_two_keys():
    df = _frame()
    keys = ["int", "str_none"]
    codes, _, ngroups = factorize([df[k] for k in keys])
    f = df["f"].to_numpy()
    for how in ("sum", "mean", "min", "max"):
        got = segment_reduce(f, codes, ngroups, how, skipna=False)
        _check_segment(got, _expected(df, keys, "f", how, skipna=False), how, f.dtype)
    for how, kw in (("var", {"ddof": 0}), ("std", {"ddof": 2}), ("sum", {"min_count": 2})):
        got = segment_reduce(f, codes, ngroups, how, **kw)
        _check_segment(got, _expected(df, keys, "f", how, **kw), how, f.dtype)


def test_segment_reduce_fuses_a_lazy_expression(backend):
    df = _frame()
    codes, _, ngroups = factorize([df["int"]])
    a, b = df["f"].to_numpy(), df["i"].to_numpy()
    expr = wnp.asarray(a) * 2 + wnp.asarray(b)
    total, mean = segment_reduce(expr, codes, ngroups, "sum"), \
        segment_reduce(expr, codes, ngroups, "mean")
    frame = pd.DataFrame({"k": df["int"], "v": a * 2 + b})
    g = frame.groupby("k")["v"]
    _check_segment(total, g.sum().to_numpy(), "sum", np.dtype(float))
    _check_segment(mean, g.mean().to_numpy(), "mean", np.dtype(float))
    if backend == "llvm":   # one loop: the expression, the NaN filling, sum and count
        text = weldish.explain(segment_reduce(expr * 3, codes, ngroups, "mean"))
        loop = next(line for line in text.splitlines()
                    if line.startswith("kernel") and "segment_sum" in line)
        assert "multiply" in loop and loop.count("segment_sum") == 2, loop


def test_segment_reduce_on_two_threads_is_deterministic(backend, monkeypatch):
    from weldish.backends.llvm import runtime
    monkeypatch.setattr(runtime, "PARALLEL_THRESHOLD", 16)
    n = 3001   # a size no other test uses: its programs and layouts are fresh
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 37, n)
    values = _with_nan(rng.normal(size=n), 0.1, 9)
    frame = pd.DataFrame({"k": keys, "v": values}).groupby("k")["v"]
    with weldish.config(num_threads=2):
        from weldish import relational
        monkeypatch.setattr(relational, "_PARALLEL_ROWS", 16)   # factorize by chunks too
        codes, _, ngroups = factorize([keys])
        np.testing.assert_array_equal(codes, frame.ngroup().to_numpy())
        words = np.array(["b", "a", "", None, "\u00e9"], dtype=object)[keys % 5]
        strs = pd.DataFrame({"s": pd.array(words, dtype="str"), "k": keys,
                             "c": rng.integers(0, 3, n)})   # (c, k): every pair occurs
        for sort, dropna in ((True, True), (False, False)):   # Arrow strings by chunks
            _check_factorize(strs, ["s"], sort, dropna)
            _check_factorize(strs, ["k", "s"], sort, dropna)
            _check_factorize(strs, ["c", "k"], sort, dropna)
        two = factorize([keys, values], sort=True, dropna=False)[0]
        np.testing.assert_array_equal(two, pd.DataFrame({"k": keys, "v": values}).groupby(
            ["k", "v"], dropna=False).ngroup().to_numpy())
        # a probe by row chunks, each chunk's rows after the last's; right keys repeated,
        # and unique with some left keys unmatched (the inner rows compacted)
        for right, how in itertools.product((keys[::-40], np.arange(36, -1, -2)),
                                            ("inner", "left", "right")):
            got = join_indices([keys], [right], how)
            want = _merge_rows(pd.DataFrame({"k": keys}), pd.DataFrame({"k": right}),
                               ["k"], how)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
        for how in ("sum", "mean", "min", "max", "count"):
            first = np.asarray(segment_reduce(values, codes, ngroups, how))
            again = np.asarray(segment_reduce(values * 1.0, codes, ngroups, how))
            np.testing.assert_array_equal(first, again)
            _check_segment(first, getattr(frame, how)().to_numpy(), how, values.dtype)


def test_segment_reduce_errors():
    with pytest.raises(ValueError):
        segment_reduce(np.ones(3), np.zeros(3, np.int64), 1, "median")
    with pytest.raises(ValueError):
        segment_reduce(np.ones(3), np.zeros(4, np.int64), 1, "sum")
    with pytest.raises(TypeError):
        segment_reduce(np.ones(3), np.zeros(3), 1, "sum")


def _merge_rows(left, right, keys, how):
    left = left.assign(_l=np.arange(len(left)))
    right = right.assign(_r=np.arange(len(right)))
    m = pd.merge(left[keys + ["_l"]], right[keys + ["_r"]], on=keys, how=how)
    return (m["_l"].fillna(-1).to_numpy().astype(np.int64),
            m["_r"].fillna(-1).to_numpy().astype(np.int64))


@pytest.mark.parametrize("keys", [["int"], ["float_nan"], ["str_none"], ["bool"], ["cat"],
                                  ["int", "str_none"], ["float_nan", "big_int"]], ids="+".join)
def test_join_indices_matches_merge(keys):
    df = _frame()
    for left, right in ((df.iloc[:25], df.iloc[25:]), (df.iloc[:0], df.iloc[:5]),
                        (df.iloc[:1], df.iloc[:0]), (df.iloc[3:4], df.iloc[:30])):
        for how in ("inner", "left", "right", "outer"):
            got = join_indices([left[k] for k in keys], [right[k] for k in keys], how)
            want = _merge_rows(left.reset_index(drop=True), right.reset_index(drop=True),
                               keys, how)
            np.testing.assert_array_equal(got[0], want[0], err_msg=f"{how} left")
            np.testing.assert_array_equal(got[1], want[1], err_msg=f"{how} right")


def test_join_indices_errors():
    with pytest.raises(ValueError):
        join_indices([np.arange(3)], [np.arange(3)], "cross")
    with pytest.raises(ValueError):
        join_indices([np.arange(3)], [np.arange(3), np.arange(3)], "inner")


def test_segment_sums_start_at_positive_zero():
    """pandas' group sums start at +0.0: a group of -0.0 (or of NaN) sums to +0.0."""
    s = pd.Series([np.nan, np.nan, -0.0, -0.0, 1.0])
    keys = np.array([1, 1, 2, 2, 3])
    codes, _, ngroups = factorize([keys])
    for how in ("sum", "mean"):
        got = np.asarray(segment_reduce(s.to_numpy(), codes, ngroups, how))
        want = getattr(s.groupby(keys), how)().to_numpy()
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))

"""groupby and merge against pandas (compiled through weldish.relational when present)."""
import numpy as np
import pandas
import pandas.testing as pdt
import pytest

import weldish
import weldish.pandas as wpd

try:
    import weldish.relational  # noqa: F401
    COMPILED = True
except ImportError:
    COMPILED = False

DATA = {"k": [3, 1, 3, 2, 1, 3, 2], "s": ["b", "a", "b", None, "a", "c", "a"],
        "v": [1.0, np.nan, 2.5, 4.0, -1.0, np.nan, 0.5], "i": [1, 2, 3, 4, 5, 6, 7]}
HOWS = ["sum", "mean", "count", "min", "max", "std", "var", "first", "last"]


def both(fn, data=DATA):
    pdf = pandas.DataFrame(data)
    if "s" in pdf:
        pdf["c"] = pandas.Categorical(pdf["s"], categories=["c", "b", "a"])
    wdf = wpd.DataFrame(pdf)
    want, got = fn(pdf), fn(wdf)
    got = got.to_pandas()
    if isinstance(want, pandas.DataFrame):
        pdt.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    else:
        pdt.assert_series_equal(got, want, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("key", ["k", "s", ["k", "s"], "c"])
def test_groupby_reductions(key):
    weldish.fallbacks.clear()
    for how in HOWS:
        both(lambda df: getattr(df.groupby(key)[["v", "i"]], how)())
        both(lambda df: getattr(df.groupby(key)["v"], how)())
    both(lambda df: df.groupby(key).size())
    both(lambda df: df.groupby(key).agg(tot=("v", "sum"), n=("i", "count"),
                                        hi=("i", "max")))
    both(lambda df: df.groupby(key, as_index=False)[["v"]].mean())
    both(lambda df: df.groupby(key, sort=False)["i"].sum())
    both(lambda df: df.groupby(key, dropna=False)["v"].sum())
    if COMPILED:
        assert not [k for k in weldish.fallbacks.counts if "GroupBy" in k], \
            weldish.fallbacks.report()


def test_groupby_fallbacks_and_empty():
    # a str column: pandas concatenates strings
    both(lambda df: df.drop(columns="c").groupby("k").sum())
    with pytest.raises(TypeError):  # a categorical has no sum: pandas' error
        wpd.DataFrame(pandas.DataFrame(DATA).astype({"s": "category"})).groupby("k").sum()
    both(lambda df: df.groupby("k")["v"].agg(["sum", "mean"]))
    empty = {"k": np.array([], np.int64), "v": np.array([], np.float64)}
    both(lambda df: df.groupby("k")["v"].sum(), empty)
    both(lambda df: df.groupby("k")[["v"]].mean(), {"k": [1], "v": [2.0]})


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
def test_merge(how):
    left = {"k": [1, 2, 2, 4], "s": ["a", "b", "b", "d"], "v": [1.0, 2.0, 3.0, 4.0],
            "b": [True, False, True, True]}
    right = {"k": [2, 4, 4, 5], "s": ["b", "d", "x", "e"], "v": [10, 20, 30, 40]}
    weldish.fallbacks.clear()
    for on in ("k", ["k", "s"]):
        kw = dict(how=how, on=on)
        pl, pr = pandas.DataFrame(left), pandas.DataFrame(right)
        if how in ("right", "outer"):
            pl = pl.drop(columns="b")  # an unmatched bool row is object in pandas
        want = pandas.merge(pl, pr, **kw)
        got = wpd.merge(wpd.DataFrame(pl), wpd.DataFrame(pr), **kw)
        pdt.assert_frame_equal(got.to_pandas(), want)
        got = wpd.DataFrame(pl).merge(wpd.DataFrame(pr), suffixes=("_l", "_r"), **kw)
        pdt.assert_frame_equal(got.to_pandas(), pl.merge(pr, suffixes=("_l", "_r"), **kw))
    if COMPILED:
        assert "pandas.merge" not in weldish.fallbacks.counts, weldish.fallbacks.report()


def test_merge_errors():
    a = wpd.DataFrame({"k": [1], "v": [1.0]})
    b = wpd.DataFrame({"j": ["x"], "w": [2.0]})
    with pytest.raises(KeyError):
        wpd.merge(a, b, on="k")
    with pytest.raises(ValueError):
        wpd.merge(a, b, left_on="k", right_on="j")  # int vs str keys
    with pytest.raises(ValueError):
        wpd.merge(a, b, how="sideways", on="k")


def test_merge_categorical_key():
    left = {"k": pandas.Categorical(["a", "b", "a", None, "b"]), "v": [1, 2, 3, 4, 5]}
    right = {"k": pandas.Categorical(["b", None, "a", "a"]), "w": [1.5, 2.5, 3.5, 4.5]}
    for how in ("inner", "left", "outer"):
        want = pandas.merge(pandas.DataFrame(left), pandas.DataFrame(right), on="k", how=how)
        got = wpd.merge(wpd.DataFrame(left), wpd.DataFrame(right), on="k", how=how)
        pdt.assert_frame_equal(got.to_pandas(), want)


def test_merge_left_on_right_on():
    left = {"a": [1, 2, 2, 4], "s": ["p", None, "q", "p"], "v": [1.5, 2.5, 3.5, 4.5]}
    right = {"b": [2, 4, 4, 5], "t": ["q", "p", None, "z"], "v": [10, 20, 30, 40]}
    for lk, rk in (("a", "b"), (["a", "s"], ["b", "t"])):
        for how in ("inner", "left", "outer"):
            kw = dict(left_on=lk, right_on=rk, how=how)
            want = pandas.merge(pandas.DataFrame(left), pandas.DataFrame(right), **kw)
            got = wpd.merge(wpd.DataFrame(left), wpd.DataFrame(right), **kw)
            pdt.assert_frame_equal(got.to_pandas(), want)


def test_merge_keeping_every_left_row_in_order_shares_no_data():
    """A join that keeps each left row once, in order (every key found in a unique right
    side) takes the left columns without a gather; the result is still a new frame."""
    left = pandas.DataFrame({"k": [3, 0, 2, 2, 1], "a": [1.5, 2.5, 3.5, 4.5, 5.5],
                             "s": list("vwxyz")})
    right = pandas.DataFrame({"k": [0, 1, 2, 3], "b": [10, 20, 30, 40]})
    wl = wpd.DataFrame(left)
    for how in ("inner", "left"):
        got = wpd.merge(wl, wpd.DataFrame(right), on="k", how=how)
        pdt.assert_frame_equal(got.to_pandas(), pandas.merge(left, right, on="k", how=how))
    got["a"] = got["a"] * 100
    pdt.assert_frame_equal(wl.to_pandas(), left)


@pytest.mark.parametrize("key", ["k", "s", ["k", "s"], "c"])
def test_groupby_arguments_lists_and_transform(key):
    """observed= and group_keys=, numeric_only=, lists of functions (a column per function,
    (column, function) columns for a frame) and transform with a function name: compiled
    where pandas' answer is a per-group reduction, the same values, dtypes and labels."""
    weldish.fallbacks.clear()
    both(lambda df: df.groupby(key, observed=True)["v"].sum())
    both(lambda df: df.groupby(key, group_keys=False)[["v", "i"]].max())
    for how in ("sum", "mean", "min", "max", "std", "var"):
        both(lambda df: getattr(df.groupby(key), how)(numeric_only=True))
    both(lambda df: df.groupby(key)["v"].agg(["sum", "mean", "count"]))
    both(lambda df: df.groupby(key)[["v", "i"]].agg(["min", "max"]))
    both(lambda df: df.groupby(key).agg({"v": ["sum", "max"], "i": "mean"}))
    for how in ("sum", "mean", "count", "min", "max", "std", "size", "first"):
        if key != "c":  # rows of unused categories: NaN keys take no group
            both(lambda df: df.groupby(key)["v"].transform(how))
            both(lambda df: df.groupby(key)["i"].transform(how))
    if COMPILED:
        assert not [k for k in weldish.fallbacks.counts if "GroupBy" in k], \
            weldish.fallbacks.report()
    both(lambda df: df.groupby(key, observed=False)["v"].sum())   # pandas' own
    for frame in (pandas.DataFrame(DATA), wpd.DataFrame(DATA)):  # a str column
        with pytest.raises(TypeError, match="does not support operation 'mean'"):
            frame.groupby("k").mean()
    both(lambda df: df.groupby(key)["v"].transform(lambda x: x - x.mean()))


def test_groupby_transform_frames_and_float32():
    data = dict(DATA, f=np.array([1, 2, 3, 4, 5, 6, 7], np.float32))
    for key in ("k", "s"):
        for how in ("sum", "mean", "max", "size", "count"):
            both(lambda df: df.groupby(key)[["v", "i", "f"]].transform(how), data)
            both(lambda df: df.groupby(key)["f"].transform(how), data)
        both(lambda df: df.drop(columns=["c"]).groupby(key).transform("first"), data)


def test_groupby_attribute_selection_is_compiled():
    """gb.col is gb["col"] (it returned pandas' own SeriesGroupBy: pandas objects out,
    nothing recorded), key columns too."""
    weldish.fallbacks.clear()
    for how in ("sum", "max", "mean", "count"):
        both(lambda df: getattr(df.groupby("k").v, how)())
        both(lambda df: getattr(df.groupby("k").k, how)())
        both(lambda df: getattr(df.groupby(["k", "s"]).i, how)())
    if COMPILED:
        assert not weldish.fallbacks.counts, weldish.fallbacks.report()


@pytest.mark.parametrize("how", ["inner", "left"])
def test_groupby_a_merged_key_from_the_smaller_side(how, monkeypatch):
    """join + groupby: grouping by a column the merge gathered from a much smaller frame
    factorizes that frame's column and gathers its codes in the loop; groups no row refers
    to are dropped, NaN keys dropped or kept as pandas does."""
    rng = np.random.default_rng(5)
    n, m = 4000, 50
    ratings = {"movie": rng.integers(0, m, n), "rating": rng.integers(1, 11, n) / 2.0}
    genre = rng.integers(0, 8, m).astype(float)
    genre[[3, 7]] = np.nan
    genre[11] = 42.0                          # a genre of a movie nobody rated
    ratings["movie"][ratings["movie"] == 11] = 12
    movies = {"movie": np.arange(m), "genre": genre, "year": rng.integers(1990, 2020, m)}
    from weldish.pandas import groupby as gb
    taken, codes = [], gb._gathered_key_codes
    monkeypatch.setattr(gb, "_gathered_key_codes",
                        lambda *a: taken.append(codes(*a)) or taken[-1])
    for dropna in (True, False):
        for key in ("genre", "year"):
            def fn(pd, key=key, dropna=dropna):
                j = pd.DataFrame(ratings).merge(pd.DataFrame(movies), on="movie", how=how)
                g = j.groupby(key, dropna=dropna)
                return pd.concat([g.rating.mean(), g.rating.count(), g.size()], axis=1)
            want = fn(pandas)
            got = fn(wpd)
            pdt.assert_frame_equal(got.to_pandas(), want)
    assert taken and all(c is not None for c in taken)


def test_merge_sort_true_orders_keys_as_pandas():
    left = {"k": [3, 1, 3, 2, np.nan, 1], "j": [1, 0, 0, 1, 0, 1], "v": np.arange(6.0)}
    right = {"k": [1, 3, 3, np.nan, 5], "j": [1, 0, 1, 0, 1], "w": np.arange(5)}
    weldish.fallbacks.clear()
    for how in ("inner", "left", "right", "outer"):
        for on in ("k", ["k", "j"], ["j", "k"]):
            want = pandas.merge(pandas.DataFrame(left), pandas.DataFrame(right), how=how,
                                on=on, sort=True)
            got = wpd.merge(wpd.DataFrame(left), wpd.DataFrame(right), how=how, on=on,
                            sort=True)
            pdt.assert_frame_equal(got.to_pandas(), want)
    if COMPILED:
        assert "pandas.merge" not in weldish.fallbacks.counts, weldish.fallbacks.report()

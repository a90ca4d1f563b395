"""weldish.pandas against real pandas: the same code run by both, compared with
pandas.testing (values, dtypes, index, names), including NA-heavy, empty, single-row and
string columns."""
import numpy as np
import pandas
import pandas.testing as pdt
import pytest

import weldish
import weldish.pandas as wpd
from weldish.lazy import LazyArray


def frames():
    return {
        "mixed": {"a": [3, 1, 2, 5, 4, 1], "b": [1.5, np.nan, -3.0, np.nan, 2.25, 0.5],
                  "c": [True, False, True, True, False, False],
                  "s": ["x", "y", None, "x", "zz", "y"]},
        "nan_heavy": {"a": [1, 2, 3], "b": [np.nan, np.nan, np.nan]},
        "one_row": {"a": [7], "b": [2.5]},
        "empty": {"a": np.array([], dtype=np.int64), "b": np.array([], dtype=np.float64)},
    }


def same(result, expected):
    """Compare a weldish result with pandas' (frames, series, scalars, arrays)."""
    if isinstance(result, (wpd.Series, wpd.DataFrame)):
        result = result.to_pandas()
    if isinstance(result, LazyArray):
        result = np.asarray(result)
    if isinstance(expected, pandas.DataFrame):
        pdt.assert_frame_equal(result, expected)
    elif isinstance(expected, pandas.Series):
        pdt.assert_series_equal(result, expected)
    elif isinstance(expected, pandas.Index):
        pdt.assert_index_equal(result, expected)
    elif isinstance(expected, np.ndarray):
        np.testing.assert_array_equal(result, expected)
        assert result.dtype == expected.dtype
    else:
        assert type(result) is type(expected), (type(result), type(expected))
        if isinstance(expected, float) or isinstance(expected, np.floating):
            np.testing.assert_allclose(result, expected, rtol=1e-12, equal_nan=True)
        else:
            assert result == expected


def check(fn, data):
    expected = fn(pandas, pandas.DataFrame(data))
    result = fn(wpd, wpd.DataFrame(data))
    same(result, expected)
    return result


FRAME_OPS = {
    "arith": lambda pd, df: df.assign(x=df.a * 2 + df.b, y=df.a / df.a, z=-df.b,
                                      w=df.b ** 2 - 1, v=df.b // 2, u=(df.a > 1) & df.c),
    "compare": lambda pd, df: pd.DataFrame({"lt": df.a < 2, "ne": df.b != 1.5,
                                            "eq": df.b == df.b}),
    "filter": lambda pd, df: df[(df.a > 1) & (df.b < 2)],
    "filter_twice": lambda pd, df: (lambda f: f[f.b > 0].a + f[f.b > 0].b)(df[df.a > 1]),
    "filter_then_arith": lambda pd, df: df[df.a >= 2].b * 3 + df[df.a >= 2].a,
    "loc": lambda pd, df: df.loc[df.a > 1, ["b", "a"]],
    "loc_col": lambda pd, df: df.loc[df.b.notna(), "a"],
    "setitem": lambda pd, df: (df.__setitem__("n", df.a + 1), df.__setitem__("k", 3),
                               df)[-1],
    "na": lambda pd, df: pd.DataFrame({"isna": df.b.isna(), "notna": df.a.notna(),
                                       "fill": df.b.fillna(0), "fill_i": df.a.fillna(0)}),
    "frame_isna": lambda pd, df: df.isna().assign(m=df.b.fillna(df.b.mean())),
    "dropna": lambda pd, df: df.dropna(),
    "dropna_subset": lambda pd, df: df.dropna(subset=["b"]),
    "frame_fillna": lambda pd, df: df[["a", "b"]].fillna(-1.0),
    "astype": lambda pd, df: df[["a"]].astype("float32").assign(b=df.a.astype(bool)),
    "where_mask": lambda pd, df: pd.DataFrame({"w": df.a.where(df.a > 1),
                                               "m": df.b.mask(df.a > 2, 0.0),
                                               "wi": df.a.where(df.a > 2, -1)}),
    "clip_abs_round": lambda pd, df: pd.DataFrame({"c": df.b.clip(-1, 2),
                                                   "a": df.b.abs(), "r": (df.b / 3).round(2),
                                                   "ci": df.a.clip(upper=2)}),
    "between_isin": lambda pd, df: pd.DataFrame({"bt": df.a.between(1, 3),
                                                 "bn": df.b.between(0, 2, "neither"),
                                                 "in": df.a.isin([1, 5]),
                                                 "inn": df.b.isin([0.5, np.nan])}),
    "head_tail": lambda pd, df: pd.concat([df.head(2), df.tail(1), df.head(-5)]),
    "sort": lambda pd, df: df.sort_values("b", ascending=False),
    "sort2": lambda pd, df: df.sort_values(["a", "b"], na_position="first"),
    "dedup": lambda pd, df: df.drop_duplicates(subset=["a"]),
    "describe": lambda pd, df: df.describe(),
    "numpy_fused": lambda pd, df: np.exp(df.b.values * 2) + df.a.to_numpy(),
    "ufunc": lambda pd, df: np.sqrt(df.a) + np.log1p(df.b.abs()),
    "cum_shift_diff": lambda pd, df: pd.concat([df[["a", "b"]].cumsum(),
                                                df[["b", "a"]].shift(2).cumprod(),
                                                df[["a", "b"]].diff(-1)], axis=1),
    "rename_drop": lambda pd, df: df.rename(columns={"a": "A"}).drop(columns=["b"]),
}


@pytest.mark.parametrize("name", sorted(FRAME_OPS))
def test_frame_ops(name):
    for kind, data in frames().items():
        if kind == "empty" and name in ("arith", "between_isin", "describe", "na",
                                        "where_mask", "clip_abs_round", "astype"):
            data = dict(data, c=np.array([], dtype=bool), s=np.array([], dtype=object))
        if "c" not in data and name in ("arith",):
            continue
        check(FRAME_OPS[name], data)


REDUCTIONS = ["sum", "mean", "min", "max", "count", "std", "var", "nunique"]


@pytest.mark.parametrize("skipna", [True, False])
def test_reductions(skipna):
    for data in frames().values():
        for col in data:
            for r in REDUCTIONS:
                kw = {} if r in ("count", "nunique") else {"skipna": skipna}
                if col == "s" and r in ("mean", "std", "var"):
                    continue
                check(lambda pd, df: getattr(df[col], r)(**kw), data)
        f32 = {"f": np.array([1.5, np.nan, 2.0], np.float32)}
        for r in ("sum", "min", "max"):
            check(lambda pd, df: getattr(df.f, r)(skipna=skipna), f32)


def test_series_lazy_and_fused():
    df = wpd.DataFrame({"a": np.arange(10.0), "b": np.arange(10)})
    v = ((df.a * 2 + df.b)[df.b > 3]).values
    assert isinstance(v, LazyArray)
    assert isinstance(df.a.values, LazyArray)
    np.testing.assert_array_equal(weldish.evaluate(v), (np.arange(4, 10) * 3.0))
    s = wpd.Series([1.0, 2.0, np.nan], name="q")
    assert len(s) == 3 and list(s)[:2] == [1.0, 2.0] and np.isnan(list(s)[2])
    assert repr(s) == repr(pandas.Series([1.0, 2.0, np.nan], name="q"))
    assert str(df) == str(df.to_pandas())
    pdt.assert_series_equal(wpd.Series(v).to_pandas(),
                            pandas.Series(np.arange(4, 10) * 3.0))
    weldish.fallbacks.clear()
    (df.a + df.b * 2).sum()
    df[df.a > 2].b.mean()
    assert not weldish.fallbacks.counts  # all lazy


def test_unique_value_counts():
    data = frames()["mixed"]
    check(lambda pd, df: df.a.value_counts(), data)
    check(lambda pd, df: df.s.value_counts(), data)
    check(lambda pd, df: df.b.value_counts(sort=False), data)  # NaN dropped, first seen
    check(lambda pd, df: df.c.value_counts(normalize=True), data)  # pandas runs it
    s = wpd.Series([-0.0, 0.0, 1.0]).value_counts()
    assert repr(s) == repr(pandas.Series([-0.0, 0.0, 1.0]).value_counts())
    check(lambda pd, df: df.b.unique(), data)
    check(lambda pd, df: df.s.str.upper(), data)
    check(lambda pd, df: df.a.drop_duplicates(), data)
    check(lambda pd, df: df.b.sort_values(), data)


def test_errors_same_type_same_call():
    data = frames()["mixed"]
    for fn in (lambda pd, df: df["missing"], lambda pd, df: df.s - 1,
               lambda pd, df: df.b & df.b, lambda pd, df: df[["a", "nope"]],
               lambda pd, df: df.a.astype("nonsense"),
               lambda pd, df: pd.merge(df, df, on="nope")):
        with pytest.raises(Exception) as want:
            fn(pandas, pandas.DataFrame(data))
        with pytest.raises(want.type):
            fn(wpd, wpd.DataFrame(data))


def test_unaligned_index_falls_back():
    a = wpd.Series([1.0, 2.0, 3.0], index=[0, 1, 2])
    b = wpd.Series([10.0, 20.0, 30.0], index=[2, 1, 0])
    pdt.assert_series_equal((a + b).to_pandas(), a.to_pandas() + b.to_pandas())
    f = wpd.DataFrame({"a": [1, 2]}, index=["p", "q"])
    pdt.assert_frame_equal((f * 2).to_pandas(), pandas.DataFrame({"a": [2, 4]},
                                                                  index=["p", "q"]))


def test_namespace_and_evaluate():
    assert wpd.Timestamp is pandas.Timestamp
    assert wpd.NA is pandas.NA
    out = wpd.concat([wpd.Series([1, 2]), wpd.Series([3])], ignore_index=True)
    assert isinstance(out, wpd.Series)
    pdt.assert_series_equal(out.to_pandas(), pandas.Series([1, 2, 3]))
    s = wpd.Series([1.0, 2.0]) * 2
    pdt.assert_series_equal(weldish.evaluate(s), pandas.Series([2.0, 4.0]))
    df = wpd.DataFrame({"a": [1, 2]})
    pdt.assert_frame_equal(weldish.evaluate(df), pandas.DataFrame({"a": [1, 2]}))
    pdt.assert_frame_equal(wpd.to_pandas(df), pandas.DataFrame({"a": [1, 2]}))


def test_nullable_and_attribute_rules():
    data = {"n": pandas.array([1, None, 3], dtype="Int64"), "count": [1.0, 2.0, 3.0]}
    check(lambda pd, df: df.n + 1, data)
    check(lambda pd, df: df.n.sum(), data)
    check(lambda pd, df: df[df.n > 1], data)
    check(lambda pd, df: df.count(), data)  # the method, not the column
    check(lambda pd, df: df["count"] * 2, data)


def test_series_setitem():
    def fn(pd, df):
        s = df["b"].copy()
        s[s > 0] = 0.5
        s[df.a == 1] = 7
        i = df["a"].copy()
        i[i > 2] = 0
        t = df["a"].copy()
        t[0] = 9  # a label: pandas runs it
        return pd.DataFrame({"s": s, "i": i, "t": t})
    check(fn, frames()["mixed"])


def test_frame_reductions():
    same_dtype = {"a": [1.0, np.nan, 3.0], "b": [0.5, 2.0, np.nan]}
    ints = {"a": [1, 2, 3], "b": [4, 5, 7]}
    for data in (same_dtype, ints, frames()["mixed"]):
        for how in ("sum", "mean", "min", "max", "std", "var"):
            if "s" in data and how in ("mean", "std", "var"):
                continue
            check(lambda pd, df: getattr(df, how)(), data)
    check(lambda pd, df: df.sum(skipna=False), same_dtype)


def test_promotion_where_pandas_differs_from_numpy():
    """NumPy scalar operands and float32 floor division: pandas' dtypes, not NumPy's."""
    data = {"c": [True, False, True], "f": np.array([1.5, np.nan, 3.0], np.float32)}
    check(lambda pd, df: df.c + np.int8(3), data)
    check(lambda pd, df: np.int8(3) & df.c, data)
    check(lambda pd, df: df.f // 2, data)
    check(lambda pd, df: np.add(df.f, 1), data)
    check(lambda pd, df: np.less(1.0, df.f), data)


def test_nunique_on_the_compiled_hash():
    for d in ([1.0, np.nan, 1.0, -0.0, 0.0], ["a", None, "a", "b"], [], [np.nan],
              pandas.Categorical(["a", None, "b", "a"], categories=["a", "b", "c"])):
        for dropna in (True, False):
            want = pandas.Series(d).nunique(dropna=dropna)
            got = wpd.Series(d).nunique(dropna=dropna)
            assert type(got) is type(want) and got == want, (d, dropna)


def test_frame_op_series_over_its_columns_is_lazy_with_pandas_dtypes():
    """df - df.mean() and friends: column k with the Series' k-th value, both dtypes
    counting (float32 column - float64 mean -> float64), lazy; other labels run in pandas."""
    rng = np.random.default_rng(3)
    p = pandas.DataFrame({"a": rng.random(40), "b": rng.integers(0, 9, 40),
                          "c": rng.random(40).astype(np.float32),
                          "e": rng.integers(0, 9, 40).astype(np.int8)})
    p.loc[3, "a"] = np.nan
    w = wpd.DataFrame(p)
    s = pandas.Series([1, 2, 3, 4], index=list("abce"))
    weldish.fallbacks.clear()
    same((w - s) * 2, (p - s) * 2)
    same(w > s, p > s)
    same(w / s, p / s)
    assert not weldish.fallbacks.counts
    same((w - w.mean()) / w.std(), (p - p.mean()) / p.std())
    same(w + s[["a", "b"]], p + s[["a", "b"]])       # alignment: pandas
    assert "pandas.DataFrame.__add__" in weldish.fallbacks.counts


@pytest.mark.parametrize("scalar", [np.float64(2.5), np.float32(-1.5), np.int64(3),
                                    np.uint8(7), np.bool_(True)])
def test_series_op_numpy_scalar_is_lazy_as_pandas(scalar):
    """pandas treats a NumPy scalar operand as the Python number it holds (float32 column
    - np.float64 stays float32), which s - s.mean() relies on."""
    p = pandas.DataFrame({"f": np.array([1.5, np.nan, -2.0], np.float32), "i": [1, 2, 3],
                          "u": np.array([1, 2, 250], np.uint8)})
    w = wpd.DataFrame(p)
    weldish.fallbacks.clear()
    for c in p.columns:
        same(w[c] - scalar, p[c] - scalar)
        same(scalar * w[c], scalar * p[c])
        same(w[c] > scalar, p[c] > scalar)
    same(w["i"] - w["i"].mean(), p["i"] - p["i"].mean())
    assert not weldish.fallbacks.counts


def test_series_and_frame_indexers_as_pandas():
    """Series ``.iloc``/``.loc``/``.at``/``.iat`` and frame ``.at``/``.iat``: pandas'
    values and errors; ``.iloc[slice]`` and ``.loc[mask]`` stay lazy; assignments write back."""
    for data in frames().values():
        check(lambda pd, df: df.b.iloc[1:3], data)
        check(lambda pd, df: df.a.iloc[::-2] * 2, data)
        check(lambda pd, df: df.b.iloc[:0].var(), data)
        check(lambda pd, df: df.b.loc[df.a > 1], data)
        check(lambda pd, df: df.a.iloc[[0, -1]] if len(df) else df.a.iloc[[]], data)
    data = frames()["mixed"]
    check(lambda pd, df: df.b.iloc[2], data)
    check(lambda pd, df: (df.a.at[3], df.at[4, "b"], df.iat[0, 0], df.s.iat[1]), data)
    s = wpd.Series([1.0, 2.0, 3.0])
    assert isinstance(s.iloc[1:].values, LazyArray)
    for p, w in ((pandas.Series([1.0, 2.0, 3.0]), s),
                 (pandas.DataFrame(data), wpd.DataFrame(data))):
        for obj in (p, w):
            if obj.ndim == 1:
                obj.iloc[0] = 9.0
                obj.at[2] = -1.0
            else:
                obj.at[1, "b"] = 7.0
                obj.iat[0, 0] = 11
        same(w, p)
    for key in (10, "x"):
        with pytest.raises(Exception) as want:
            pandas.Series([1.0]).iloc[key]
        with pytest.raises(type(want.value)):
            wpd.Series([1.0]).iloc[key]


INPLACE = {
    "fillna": lambda df: df.fillna({"b": 0.0}, inplace=True),
    "sort_values": lambda df: df.sort_values("b", inplace=True),
    "rename": lambda df: df.rename(columns={"a": "z"}, inplace=True),
    "dropna": lambda df: df.dropna(inplace=True),
    "drop_duplicates": lambda df: df.drop_duplicates("a", inplace=True),
    "series_fillna": lambda df: df.b.fillna(1.0, inplace=True),
    "series_clip": lambda df: df.a.clip(1, 2, inplace=True),
    "reset_index": lambda df: df.reset_index(drop=True, inplace=True),
}


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_methods_change_the_object_as_pandas(name):
    """inplace=True runs in pandas on a copy of the values that is written back: the
    weldish object changes as pandas' does (it was silently left unchanged before)."""
    import warnings
    for data in frames().values():
        p, w = pandas.DataFrame(data), wpd.DataFrame(data)
        ps, ws = p[p.columns[0]], w[w.columns[0]]  # a column taken before: untouched
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            same(INPLACE[name](w), INPLACE[name](p))
        same(w, p)
        same(ws, ps)


def test_pickle_and_deepcopy_give_the_pandas_value():
    import copy
    import pickle
    data = frames()["mixed"]
    p, w = pandas.DataFrame(data), wpd.DataFrame(data)
    for got, want in ((w[w.a > 1], p[p.a > 1]), (w.b * 2, p.b * 2), (w, p)):
        back = pickle.loads(pickle.dumps(got))
        assert type(back) is type(got)
        same(back, want)
        same(copy.deepcopy(got), want)


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint8, np.uint64])
def test_integer_floordiv_mod_pow_by_scalars_as_pandas(dtype):
    """int column //, %, ** a Python int: lazy (NumPy's values) when the scalar is in the
    column's range and positive (not negative for **); zero, negative and out-of-range
    scalars follow pandas' own rules (run in pandas): same values, dtypes and errors."""
    info = np.iinfo(dtype)
    vals = np.array([info.min, info.min + 1, 0, 1, 5, info.max - 1, info.max], dtype=dtype)
    for y in (0, 1, 3, 127, 128, 255, 256, 2**63 - 1, 2**63, -1, -3):
        for op in ("__floordiv__", "__mod__", "__pow__"):
            try:
                want, err = getattr(pandas.Series(vals), op)(y), None
            except Exception as e:  # noqa: BLE001 - pandas' error is the oracle
                want, err = None, e
            if err is not None:
                with pytest.raises(type(err)):
                    getattr(wpd.Series(vals), op)(y)
            else:
                same(getattr(wpd.Series(vals), op)(y), want)
    weldish.fallbacks.clear()
    s = wpd.Series(vals)
    same(s % 3 + s // 2 + s ** 2, pandas.Series(vals) % 3 + pandas.Series(vals) // 2 +
         pandas.Series(vals) ** 2)
    assert not weldish.fallbacks.counts


def test_real_pandas_given_weldish_objects_keeps_labels_and_aligns():
    """pandas treated weldish objects as bare arrays: Series(w) lost the index,
    DataFrame(w) the column names, real + weldish added by position. Now pandas' value
    of the weldish object is used, and pandas' operators defer to weldish's (aligned)."""
    p = pandas.DataFrame({"a": [1, 2, 3], "b": [1.5, 2.5, 3.5]}, index=[10, 20, 30])
    w = wpd.DataFrame(p)
    other = pandas.Series([1.0, 2.0, 3.0], index=[30, 20, 10], name="b")
    same(pandas.Series(w.b), p.b)
    same(pandas.DataFrame(w), p)
    same(pandas.DataFrame(w, columns=["b"]), pandas.DataFrame(p, columns=["b"]))
    same(pandas.concat([w, p]), pandas.concat([p, p]))
    same(pandas.merge(p, w, on="a"), pandas.merge(p, p, on="a"))
    same(other + w.b, other + p.b)
    same(other * w.b, other * p.b)
    same(pandas.DataFrame({"b": [1.0, 2, 3]}, index=[30, 20, 10]) - w,
         pandas.DataFrame({"b": [1.0, 2, 3]}, index=[30, 20, 10]) - p)
    for pair in ((other, w.b), (other, p.b)):
        with pytest.raises(ValueError, match="identically-labeled"):
            pair[0] < pair[1]


SCAN_DTYPES = {"i64": np.array([3, -1, 0, 7, 2], np.int64), "i8": np.array([3, -1, 0, 7, 2],
                                                                             np.int8),
               "u8": np.array([250, 10, 0, 7, 2], np.uint8),
               "f32": np.array([1.5, np.nan, -2.0, 0.0, 4.0], np.float32),
               "f64": np.array([np.nan, 1.5, np.nan, -2.0, 4.0]),
               "b": np.array([True, False, True, True, False]),
               "allnan": np.full(3, np.nan), "empty": np.array([], np.float64),
               "one": np.array([5], np.int64)}
SCAN_OPS = {
    "cumsum": lambda s: s.cumsum(), "cumsum_keep_nan": lambda s: s.cumsum(skipna=False),
    "cumprod": lambda s: s.cumprod(), "shift1": lambda s: s.shift(),
    "shift2": lambda s: s.shift(2), "shift_neg": lambda s: s.shift(-1),
    "shift0": lambda s: s.shift(0), "shift_long": lambda s: s.shift(9),
    "diff": lambda s: s.diff(), "diff2": lambda s: s.diff(2), "diff_neg": lambda s: s.diff(-1),
    "any": lambda s: s.any(), "all": lambda s: s.all(),
    "any_keep_nan": lambda s: s.any(skipna=False), "all_keep_nan": lambda s: s.all(skipna=False),
    "fused": lambda s: (s.shift(1) * 2).cumsum() if s.dtype.kind != "b" else s.any(),
}


@pytest.mark.parametrize("op", sorted(SCAN_OPS))
def test_scans_shift_diff_any_all_as_pandas(op):
    """cumsum/cumprod (NaN kept in place, skipped by the running value), shift and diff
    (pandas' result dtypes: int -> float64 with NaN, int8 diff -> float32), any/all: the
    same values, dtypes and index as pandas; bool shifts/diffs (object) run in pandas."""
    for name, values in SCAN_DTYPES.items():
        want = SCAN_OPS[op](pandas.Series(values, index=np.arange(len(values)) * 10))
        got = SCAN_OPS[op](wpd.Series(values, index=np.arange(len(values)) * 10))
        same(got, want)
    weldish.fallbacks.clear()
    SCAN_OPS[op](wpd.Series(SCAN_DTYPES["f64"]))
    SCAN_OPS[op](wpd.Series(SCAN_DTYPES["i64"]))
    assert not weldish.fallbacks.counts, weldish.fallbacks.report()


QUERIES = ["a > 1", "a > 1 and b < 2", "a > 1 & b < 2", "(a > 1) | ~c", "not c or a == 3",
           "1 < a <= 4", "a in [1, 5]", "a not in (2, 3)", "a == [1, 3]", "a != @wanted",
           "b > @lim * 2", "a * 2 + b > @lim", "-a < -2", "s == 'x'", "s in ['x', 'zz']",
           "b == b", "a > @lim and s != 'y'", "a in @wanted"]
EVALS = ["a + b", "a * 2 - b / 4", "z = a + b", "a > @lim", "d = b * @lim", "c & (a > 2)",
         "a % 2 == 0", "a // 2 + b ** 2", "-a % 3"]


def test_query_and_eval_see_the_callers_variables_and_stay_lazy():
    """query/eval strings: the same rows, values and names as pandas, @locals found in the
    caller (pandas' own lookup counts stack frames, which crashed through weldish's
    wrappers); plain expressions stay lazy, anything else runs in pandas."""
    lim, wanted = 1.5, [1, 3]   # noqa: F841 - read by the expressions through @
    for data in frames().values():
        if "c" not in data:
            continue
        p, w = pandas.DataFrame(data), wpd.DataFrame(data)
        weldish.fallbacks.clear()
        for q in QUERIES:
            same(w.query(q), p.query(q))
        for e in EVALS:
            same(w.eval(e), p.eval(e))
        assert not [k for k in weldish.fallbacks.counts if "DataFrame" in k], \
            weldish.fallbacks.report()   # (str comparisons run in pandas, op by op)
    p = pandas.DataFrame(frames()["mixed"]).rename(columns={"a": "a a"})
    w = wpd.DataFrame(p)
    same(w.query("`a a` > @lim"), p.query("`a a` > @lim"))      # runs in pandas
    same(w.eval("b.abs() + @lim"), p.eval("b.abs() + @lim"))
    same(wpd.eval("w.b + lim"), pandas.eval("p.b + lim"))
    for frame in (p, w):
        with pytest.raises(pandas.errors.UndefinedVariableError):
            frame.query("b > @nowhere")
    q, r = p.copy(), w.copy()
    for frame in (q, r):
        with pytest.warns(DeprecationWarning):
            frame.query("b > @lim", inplace=True)
    same(r, q)


def test_fallback_warnings_name_the_callers_line():
    w = wpd.DataFrame(frames()["mixed"])
    with pytest.warns(DeprecationWarning, match="inplace") as caught:
        w.sort_values("a", inplace=True)
    assert [r.filename for r in caught] == [__file__]


def test_isinstance_of_pandas_classes_as_a_library_checks_it():
    """Libraries test isinstance(x, pandas.DataFrame) before using columns (scikit-learn's
    feature names, plotting by name): weldish objects pass it (``__class__``), stay weldish
    objects (``type``), and pandas' own type checks need no evaluation (``_typ``)."""
    from pandas.core.dtypes.generic import ABCDataFrame, ABCSeries
    w = wpd.DataFrame(frames()["mixed"])
    assert isinstance(w, pandas.DataFrame) and isinstance(w, wpd.DataFrame)
    assert isinstance(w.a, pandas.Series) and not isinstance(w.a, pandas.DataFrame)
    assert type(w) is wpd.DataFrame and type(w.a) is wpd.Series
    weldish.fallbacks.clear()
    assert isinstance(w, ABCDataFrame) and isinstance(w.a * 2, ABCSeries)
    assert not weldish.fallbacks.counts


def test_arithmetic_by_zero_is_quiet_as_in_pandas():
    """pandas computes its operators under np.errstate(all='ignore'): no RuntimeWarning
    for s / 0, on any backend (the compiled kernels now report NumPy's warnings)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for values in ([1.0, 0.0, -1.0], [1, 0, 2]):
            w, p = wpd.Series(values), pandas.Series(values)
            same(w / 0, p / 0)
            same((w * 0) / (w - w), (p * 0) / (p - p))
            same(w // 0, p // 0)

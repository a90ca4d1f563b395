"""Every built-in split type round-trips: split into pieces, then combine == whole."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weldish.annotate import (ArraySplit, Broadcast, DataFrameSplit, Generic, Mut, Reduce,
                              SeriesSplit)


def pieces(t, value, step):
    n = t.elements(value)
    bounds = [(s, min(s + step, n)) for s in range(0, n, step)] or [(0, 0)]
    return [t.split(value, s, e) for s, e in bounds]


ARRAYS = {
    "empty": np.zeros((0,)),
    "one": np.array([3.5]),
    "uneven": np.arange(10, dtype=np.int32),
    "2d": np.arange(35.0).reshape(7, 5),
    "non_contiguous": np.arange(60.0).reshape(6, 10)[::2, ::3],
    "fortran": np.asfortranarray(np.arange(24, dtype=np.float32).reshape(4, 6)),
    "bool": np.array([True, False, True, True, False]),
}


@pytest.mark.parametrize("name", ARRAYS)
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("step", [1, 3, 4])
def test_array_split_round_trips(name, axis, step):
    value = ARRAYS[name]
    t = ArraySplit(axis)
    if t.normalized(value.ndim) is None:
        with pytest.raises(TypeError):
            t.elements(value)
        return
    parts = pieces(t, value, step)
    a = t.normalized(value.ndim)
    assert sum(p.shape[a] for p in parts) == value.shape[a]
    for p in parts:
        assert np.shares_memory(p, value) or p.size == 0   # pieces are views
    whole = t.combine(parts)
    np.testing.assert_array_equal(whole, value, strict=True)


def test_array_split_scalar_is_passed_whole():
    t = ArraySplit(0)
    assert t.elements(2.5) is None
    assert t.split(2.5, 0, 3) == 2.5


FRAMES = {
    "empty": pd.DataFrame({"a": pd.Series([], dtype="float64"), "b": pd.Series([], dtype="int64")}),
    "one": pd.DataFrame({"a": [1.5], "b": ["x"]}, index=[7]),
    "uneven": pd.DataFrame({"a": np.arange(11.0), "b": list("abcdefghijk"),
                            "c": pd.Categorical(list("xyxyxyxyxyx"))},
                           index=pd.RangeIndex(100, 111)),
    "string_index": pd.DataFrame({"v": [1, 2, 3, 4, 5]}, index=list("vwxyz")),
}


@pytest.mark.parametrize("name", FRAMES)
@pytest.mark.parametrize("step", [1, 4])
def test_dataframe_split_round_trips(name, step):
    df = FRAMES[name]
    parts = pieces(DataFrameSplit(), df, step)
    pd.testing.assert_frame_equal(DataFrameSplit().combine(parts), df)


@pytest.mark.parametrize("values", [[], [2.0], list(range(9)), ["a", None, "c"]])
@pytest.mark.parametrize("step", [1, 4])
def test_series_split_round_trips(values, step):
    s = pd.Series(values, name="s", dtype="float64" if not values else None)
    parts = pieces(SeriesSplit(), s, step)
    pd.testing.assert_series_equal(SeriesSplit().combine(parts), s)


def test_broadcast_passes_whole():
    v = np.arange(5)
    assert Broadcast().split(v, 1, 3) is v
    assert Broadcast().elements(v) is None
    assert not Broadcast().splits


@pytest.mark.parametrize("op, fn", [("sum", np.sum), ("min", np.min), ("max", np.max)])
@pytest.mark.parametrize("step", [1, 3, 10])
def test_reductions_merge_to_the_whole_result(op, fn, step):
    x = np.array([4, -2, 7, 0, 3, 9, -5, 1, 2, 8], dtype=np.int64)
    parts = [fn(p) for p in pieces(ArraySplit(), x, step)]
    got = Reduce(op).combine(parts)
    assert got == fn(x) and np.asarray(got).dtype == fn(x).dtype


@pytest.mark.parametrize("op, fn", [("min", np.min), ("max", np.max)])
def test_min_max_propagate_nan_as_numpy(op, fn):
    x = np.array([1.0, 2.0, np.nan, 0.5, 3.0])
    parts = [fn(p) for p in pieces(ArraySplit(), x, 2)]
    assert np.isnan(Reduce(op).combine(parts)) and np.isnan(fn(x))
    assert np.isnan(Reduce(op).combine([1.0, float("nan"), 0.0]))
    assert np.isnan(Reduce(op).combine([float("nan"), 1.0]))


def test_reduce_sum_of_arrays_along_rows():
    x = np.arange(20.0).reshape(5, 4)
    parts = [p.sum(axis=0) for p in pieces(ArraySplit(), x, 2)]
    np.testing.assert_array_equal(Reduce("sum").combine(parts), x.sum(axis=0))


def test_reduce_concat():
    x = np.arange(10)
    parts = [p[p % 3 == 0] for p in pieces(ArraySplit(), x, 4)]
    np.testing.assert_array_equal(Reduce("concat").combine(parts), x[x % 3 == 0])
    df = FRAMES["uneven"]
    parts = [p[p.a > 4] for p in pieces(DataFrameSplit(), df, 3)]
    pd.testing.assert_frame_equal(Reduce("concat").combine(parts), df[df.a > 4])
    assert Reduce("concat").combine([[1, 2], [3]]) == [1, 2, 3]


def test_reduce_with_a_function():
    assert Reduce(lambda a, b: a * b).combine([2, 3, 4]) == 24


def test_reduce_rejects_unknown_ops():
    with pytest.raises(TypeError, match="Reduce"):
        Reduce("median")


def test_generic_resolves_from_the_value():
    x = np.arange(12.0).reshape(4, 3)
    g = Generic("A")
    assert g.elements(x) == 4
    np.testing.assert_array_equal(g.combine(pieces(g, x, 3)), x)
    df = FRAMES["uneven"]
    pd.testing.assert_frame_equal(g.combine(pieces(g, df, 4)), df)


def test_mut_splits_as_its_inner_type():
    x = np.arange(10.0)
    m = Mut(ArraySplit())
    parts = pieces(m, x, 3)
    for p in parts:
        p *= 2   # views: written in place
    np.testing.assert_array_equal(x, np.arange(10.0) * 2)
    np.testing.assert_array_equal(m.combine(parts), x)
    with pytest.raises(TypeError, match="Mut"):
        Mut(DataFrameSplit())

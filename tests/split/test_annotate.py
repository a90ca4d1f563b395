"""The decorator: signatures checked when annotating; calls without lazy arguments run at
the call with NumPy's semantics; calls the graph cannot hold run at the call, recorded."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import weldish
import weldish.numpy as wnp
from weldish.annotate import (ArraySplit, Broadcast, DataFrameSplit, Generic, Mut, Reduce,
                              SeriesSplit)


def scale(x, factor):
    return x * factor


def test_wrong_parameter_name_raises_when_annotating():
    with pytest.raises(TypeError, match="no parameter named 'y'"):
        weldish.annotate(ArraySplit(), y=Broadcast(), returns=ArraySplit())(scale)


def test_too_many_positional_types_raise_when_annotating():
    with pytest.raises(TypeError, match="3 positional split types"):
        weldish.annotate(ArraySplit(), Broadcast(), ArraySplit())(scale)
    with pytest.raises(TypeError, match="3 positional split types"):   # x, out
        weldish.annotate(ArraySplit(), ArraySplit(), ArraySplit())(np.exp)


def test_annotated_twice_and_bad_types_raise():
    with pytest.raises(TypeError, match="twice"):
        weldish.annotate(ArraySplit(), x=ArraySplit())(scale)
    with pytest.raises(TypeError, match="SplitType"):
        weldish.annotate("array")(scale)
    with pytest.raises(TypeError, match="return value"):
        weldish.annotate(Reduce("sum"))(scale)
    with pytest.raises(TypeError, match="returns"):
        weldish.annotate(ArraySplit(), returns=Broadcast())(scale)


def test_function_form_keeps_the_function():
    fast = weldish.annotate(ArraySplit(), factor=Broadcast(), returns=ArraySplit())(scale)
    assert fast.fn is scale and fast.__name__ == "scale"
    assert weldish.annotate.ArraySplit is ArraySplit


def test_bad_call_arguments_raise_typeerror_at_the_call():
    fast = weldish.annotate(ArraySplit(), factor=Broadcast(), returns=ArraySplit())(scale)
    with pytest.raises(TypeError):
        fast(wnp.arange(3.0))


def test_no_lazy_argument_runs_at_the_call_split():
    fast = weldish.annotate(ArraySplit(), factor=Broadcast(), returns=ArraySplit())(scale)
    x = np.random.default_rng(0).random(1001)
    with weldish.config(split_piece=100, num_threads=2):
        got = fast(x, 3.0)
    assert type(got) is np.ndarray
    np.testing.assert_array_equal(got, scale(x, 3.0), strict=True)


def test_no_lazy_out_argument_is_written_in_place():
    exp = weldish.annotate(ArraySplit(), out=Mut(ArraySplit()), returns=ArraySplit())(np.exp)
    x = np.linspace(-2, 2, 1003)
    out = np.empty_like(x)
    with weldish.config(split_piece=100, num_threads=2):
        got = exp(x, out=out)
    assert got is out
    np.testing.assert_array_equal(out, np.exp(x))


def _positives(df):
    return df[df["a"] > 0]


def _add_col(df, k):
    return df.assign(c=df["a"] * k + df["b"])


def test_dataframes_split_by_rows_at_the_call():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": rng.standard_normal(997), "b": rng.integers(0, 9, 997)},
                      index=rng.permutation(997))
    add = weldish.annotate(DataFrameSplit(), k=Broadcast(), returns=DataFrameSplit())(_add_col)
    pos = weldish.annotate(DataFrameSplit(), returns=Reduce("concat"))(_positives)
    with weldish.config(split_piece=64, num_threads=2):
        pd.testing.assert_frame_equal(add(df, 2.5), _add_col(df, 2.5))
        pd.testing.assert_frame_equal(pos(df), _positives(df))
    total = weldish.annotate(SeriesSplit(), returns=Reduce("sum"))(pd.Series.sum)
    with weldish.config(split_piece=64):
        assert total(df["b"]) == df["b"].sum()


def test_generic_arguments_must_split_the_same_way():
    A = Generic("A")
    add = weldish.annotate(A, A, returns=A)(np.add)
    x = np.arange(500.0)
    with weldish.config(split_piece=64):
        np.testing.assert_array_equal(add(x, x), x + x)
        # lengths differ: the function runs whole (NumPy's own broadcasting)
        np.testing.assert_array_equal(add(x, np.ones(1)), x + 1)
        with pytest.raises(ValueError):
            add(x, np.ones(3))


def test_lazy_dataframe_result_runs_at_the_call_and_is_recorded():
    to_frame = weldish.annotate(ArraySplit(), returns=DataFrameSplit())(
        lambda x: pd.DataFrame({"x": x}))
    weldish.fallbacks.clear()
    x = np.arange(10.0)
    got = to_frame(wnp.asarray(x) * 2)
    pd.testing.assert_frame_equal(got, pd.DataFrame({"x": x * 2}))
    assert "DataFrame" in weldish.fallbacks.report()


def test_probe_error_runs_at_the_call_with_the_real_error():
    def checked(x):
        if not (x > 0).all():
            raise ValueError("needs positive values")
        return np.log(x)
    f = weldish.annotate(ArraySplit(), returns=ArraySplit())(checked)
    x = np.arange(1.0, 50.0)
    np.testing.assert_array_equal(np.asarray(f(wnp.asarray(x))), np.log(x))
    with pytest.raises(ValueError, match="positive"):
        f(wnp.asarray(x) - 10)

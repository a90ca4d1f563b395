"""Series.apply/map with Python functions: Numba when it compiles, pandas otherwise."""
import math

import numpy as np
import pandas
import pandas.testing as pdt
import pytest

import weldish
import weldish.pandas as wpd

X = [0.5, -2.0, np.nan, 3.0, 0.0]


def crime(x):
    return x * 2.0 + 1.0 if x > 0 else -x


@pytest.mark.parametrize("method", ["apply", "map"])
def test_compiled_and_fallback_udfs(method):
    ps, ws = pandas.Series(X, name="x"), wpd.Series(X, name="x")
    weldish.fallbacks.clear()
    for f in (crime, lambda v: math.sqrt(abs(v)) > 1.0):
        pdt.assert_series_equal(getattr(ws, method)(f).to_pandas(), getattr(ps, method)(f))
    assert not weldish.fallbacks.counts
    # Python raises where Numba would return inf: pandas' own error at the call
    with pytest.raises(ZeroDivisionError):
        getattr(ws, method)(lambda v: 1.0 / v)
    # str results run by pieces; an int column compiles, the overflowing element runs in Python
    pdt.assert_series_equal(getattr(ws, method)(lambda v: str(v)).to_pandas(),
                            getattr(ps, method)(lambda v: str(v)))
    pi, wi = pandas.Series([1, 2 ** 62]), wpd.Series([1, 2 ** 62])
    pdt.assert_series_equal(getattr(wi, method)(lambda v: v * 4).to_pandas(),
                            getattr(pi, method)(lambda v: v * 4))
    assert weldish.fallbacks.counts[f"pandas.Series.{method}[pieces]"] == 1
    assert weldish.fallbacks.counts[f"pandas.Series.{method}[numba+python]"] == 1  # a big int

"""Shipped annotations equal the functions they annotate, called eagerly."""
from __future__ import annotations

import numpy as np
import pytest

import weldish
import weldish.numpy as wnp
from weldish import annotations
from weldish.testing import backend_fixture

backend = backend_fixture()
X = np.linspace(0.05, 0.95, 1001)
Y = np.linspace(-2, 3, 1001)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "isnan"])
def test_numpy_unary(name):
    f = getattr(annotations.numpy, name)
    with weldish.config(split_piece=128, num_threads=2):
        got = np.asarray(f(wnp.asarray(X)) + 0)
    expected = getattr(np, name)(X) + 0
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-15)


@pytest.mark.parametrize("name", ["add", "divide", "maximum", "hypot"])
def test_numpy_binary_and_broadcasting(name):
    f, g = getattr(annotations.numpy, name), getattr(np, name)
    with weldish.config(split_piece=128, num_threads=2):
        np.testing.assert_array_equal(np.asarray(f(wnp.asarray(X), wnp.asarray(Y))), g(X, Y))
        np.testing.assert_array_equal(np.asarray(f(wnp.asarray(X), 2.0)), g(X, 2.0))
        m = np.arange(1.0, 13.0).reshape(3, 4)   # lengths differ: runs whole, NumPy broadcasts
        np.testing.assert_array_equal(np.asarray(f(wnp.asarray(m), wnp.asarray(m[0]))),
                                      g(m, m[0]))


@pytest.mark.parametrize("name", ["erf", "ndtr", "log_ndtr", "expit"])
def test_scipy_special(name):
    special = pytest.importorskip("scipy.special")
    f = getattr(annotations.special, name)
    with weldish.config(split_piece=100, num_threads=2):
        got = np.asarray(f(wnp.asarray(Y) * 2) - 1)
    np.testing.assert_array_equal(got, getattr(special, name)(Y * 2) - 1)

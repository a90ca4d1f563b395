"""``weldish.numpy`` is a drop-in NumPy namespace: every name, NumPy's objects, fallbacks."""
from __future__ import annotations

import warnings

import numpy
import numpy.testing as npt
import pytest

import weldish
import weldish.numpy as wnp


def _public_numpy_names():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names = []
        for name in dir(numpy):
            if name.startswith("_"):
                continue
            try:
                getattr(numpy, name)
            except Exception:  # noqa: BLE001 - a name NumPy itself cannot give
                continue
            names.append(name)
    return names


def test_every_public_numpy_name_is_reachable():
    names = _public_numpy_names()
    assert len(names) > 400
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        missing = [n for n in names if not hasattr(wnp, n)]
    assert missing == []
    assert set(names) <= set(dir(wnp))


def test_unknown_name_is_attribute_error():
    with pytest.raises(AttributeError):
        wnp.no_such_function_in_numpy
    with pytest.raises(AttributeError):
        wnp.linalg.no_such_function
    assert not hasattr(wnp, "no_such_function_in_numpy")


@pytest.mark.parametrize("name", ["pi", "e", "inf", "nan", "newaxis", "euler_gamma",
                                  "float64", "float32", "float16", "int8", "int16", "int32",
                                  "int64", "uint8", "uint64", "bool_", "complex128", "intp",
                                  "dtype", "ndarray", "generic", "number", "floating",
                                  "integer", "finfo", "iinfo", "errstate", "ufunc",
                                  "exceptions", "AxisError" if hasattr(numpy, "AxisError")
                                  else "float64"])
def test_constants_dtypes_classes_are_numpys_objects(name):
    assert getattr(wnp, name) is getattr(numpy, name)


def test_constants_values():
    assert wnp.newaxis is None
    assert wnp.pi == numpy.pi and wnp.e == numpy.e
    assert wnp.inf == float("inf") and wnp.nan != wnp.nan
    assert wnp.dtype("float32") == numpy.float32
    assert wnp.finfo(wnp.float32).eps == numpy.finfo(numpy.float32).eps
    assert wnp.linalg.LinAlgError is numpy.linalg.LinAlgError
    assert wnp.random.Generator is numpy.random.Generator


def test_ufunc_aliases_and_attributes():
    x = wnp.asarray(numpy.array([-1.5, 2.0, -3.0]))
    for alias, name in [("abs", "absolute"), ("conj", "conjugate"), ("mod", "remainder"),
                        ("true_divide", "divide"), ("bitwise_not", "invert"), ("pow", "power")]:
        if hasattr(numpy, alias):
            assert getattr(numpy, alias) is getattr(numpy, name)
    r = wnp.abs(x)
    assert isinstance(r, weldish.LazyArray)
    npt.assert_array_equal(numpy.asarray(r), [1.5, 2.0, 3.0])
    assert wnp.add.nin == 2 and wnp.add.nout == 1 and wnp.exp.nin == 1
    assert wnp.add.identity == 0 and wnp.multiply.identity == 1
    s = wnp.add.reduce(x)
    assert isinstance(s, weldish.LazyArray)
    assert float(s) == -2.5
    o = wnp.multiply.outer(x, x)  # a recorded fallback
    npt.assert_array_equal(numpy.asarray(o), numpy.multiply.outer([-1.5, 2.0, -3.0],
                                                                   [-1.5, 2.0, -3.0]))


# --- random, linalg, fft -------------------------------------------------------------------
def _is_lazy_or_scalar(v):
    return isinstance(v, weldish.LazyArray) or numpy.ndim(v) == 0


@pytest.mark.parametrize("call", [
    lambda m: m.random.rand(3, 2),
    lambda m: m.random.normal(1.0, 2.0, size=5),
    lambda m: m.random.randint(0, 10, size=(2, 3)),
    lambda m: m.random.uniform(size=4),
    lambda m: m.random.permutation(7),
    lambda m: m.random.choice(5, size=3),
], ids=["rand", "normal", "randint", "uniform", "permutation", "choice"])
def test_random_functions(call):
    numpy.random.seed(123)
    expected = call(numpy)
    wnp.random.seed(123)
    got = call(wnp)
    assert isinstance(got, weldish.LazyArray)
    value = numpy.asarray(got)
    assert value.dtype == expected.dtype
    npt.assert_array_equal(value, expected)


def test_random_generator_and_lazy_arguments():
    g = wnp.random.default_rng(5)
    assert isinstance(g, numpy.random.Generator)
    loc = wnp.arange(4.0) * 10  # a lazy argument to a random function
    numpy.random.seed(7)
    expected = numpy.random.normal(numpy.arange(4.0) * 10, 0.1)
    wnp.random.seed(7)
    got = wnp.random.normal(loc, 0.1)
    assert isinstance(got, weldish.LazyArray)
    npt.assert_array_equal(numpy.asarray(got), expected)


MAT = numpy.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])


@pytest.mark.parametrize("call", [
    lambda m, a: m.linalg.inv(a),
    lambda m, a: m.linalg.solve(a, a[:, 0]),
    lambda m, a: m.linalg.det(a),
    lambda m, a: m.linalg.norm(a, axis=0),
    lambda m, a: m.linalg.norm(a),
    lambda m, a: m.linalg.cholesky(a),
    lambda m, a: m.linalg.matrix_power(a, 3),
    lambda m, a: m.fft.fft(a[0]),
    lambda m, a: m.fft.ifft(m.fft.fft(a, axis=1), axis=1),
    lambda m, a: m.fft.rfft(a),
    lambda m, a: m.fft.fftfreq(8, 0.5),
], ids=["inv", "solve", "det", "norm-axis", "norm", "cholesky",
        "matrix_power", "fft", "ifft", "rfft", "fftfreq"])
def test_linalg_and_fft(call):
    expected = call(numpy, MAT.copy())
    got = call(wnp, wnp.asarray(MAT) * 1.0)  # a lazy (unevaluated) argument
    assert _is_lazy_or_scalar(got)
    if numpy.ndim(expected):
        assert isinstance(got, weldish.LazyArray)
    value = numpy.asarray(got)
    assert value.dtype == numpy.asarray(expected).dtype
    npt.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda m, a: m.linalg.eigh(a),
    lambda m, a: m.linalg.qr(a),
    lambda m, a: m.linalg.svd(a),
    lambda m, a: m.linalg.slogdet(a),
], ids=["eigh", "qr", "svd", "slogdet"])
def test_linalg_namedtuple_results_values(call):
    expected = call(numpy, MAT.copy())
    got = call(wnp, wnp.asarray(MAT) * 1.0)
    assert type(got) is type(expected)
    for e, g in zip(expected, got):
        npt.assert_allclose(numpy.asarray(g), e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda m, a: m.linalg.eigh(a),
    lambda m, a: m.linalg.qr(a),
    lambda m, a: m.linalg.svd(a),
], ids=["eigh", "qr", "svd"])
def test_linalg_namedtuple_results_are_lazy(call):
    got = call(wnp, wnp.asarray(MAT) * 1.0)
    assert all(isinstance(g, weldish.LazyArray) for g in got)


def test_linalg_error_is_numpys():
    with pytest.raises(numpy.linalg.LinAlgError):
        wnp.linalg.inv(wnp.zeros((2, 2)))
    with pytest.raises(numpy.linalg.LinAlgError):
        numpy.linalg.inv(wnp.zeros((2, 2)))


# --- fallbacks ------------------------------------------------------------------------------
DATA = numpy.array([[3.0, -1.0, 2.0, 2.0], [0.5, 7.0, -4.0, 0.5], [1.0, 1.0, 9.0, -2.0]])


@pytest.mark.parametrize("name,call", [
    ("numpy.median", lambda m, x: m.median(x, axis=0)),
    ("numpy.median", lambda m, x: m.median(x)),
    ("numpy.sort", lambda m, x: m.sort(x, axis=1)),
    ("numpy.unique", lambda m, x: m.unique(x)),
    ("numpy.percentile", lambda m, x: m.percentile(x, [10, 90], axis=1)),
    ("numpy.linalg.inv", lambda m, x: m.linalg.inv(x[:, :3])),
    ("numpy.diff", lambda m, x: m.diff(x, axis=1)),
    ("numpy.cross", lambda m, x: m.cross(x[0, :3], x[1, :3])),
], ids=["median-axis", "median", "sort", "unique", "percentile", "inv", "diff", "cross"])
@pytest.mark.parametrize("entry", ["weldish.numpy", "numpy-on-lazy"])
def test_fallback_correct_and_recorded(name, call, entry):
    expected = call(numpy, DATA.copy())
    weldish.fallbacks.clear()
    x = wnp.asarray(DATA) + 0.0
    got = call(wnp if entry == "weldish.numpy" else numpy, x)
    assert weldish.fallbacks.counts[name] >= 1, weldish.fallbacks.report()
    assert name in weldish.fallbacks.report()
    if numpy.ndim(expected):
        assert isinstance(got, weldish.LazyArray)
    value = numpy.asarray(got)
    assert value.dtype == numpy.asarray(expected).dtype
    npt.assert_array_equal(value, expected)
    # the fallback result is a graph input: further work on it is lazy again
    more = got * 2 + 1
    assert isinstance(more, weldish.LazyArray) or not numpy.ndim(expected)
    npt.assert_array_equal(numpy.asarray(more), numpy.asarray(expected) * 2 + 1)


def test_fallback_tuple_result_and_explain():
    weldish.fallbacks.clear()
    x = wnp.asarray(numpy.array([3, 1, 3, 2, 1, 3]))
    values, counts = wnp.unique(x, return_counts=True)
    ev, ec = numpy.unique(numpy.array([3, 1, 3, 2, 1, 3]), return_counts=True)
    assert isinstance(values, weldish.LazyArray) and isinstance(counts, weldish.LazyArray)
    npt.assert_array_equal(numpy.asarray(values), ev)
    npt.assert_array_equal(numpy.asarray(counts), ec)
    y = wnp.sort(x)[::-1] * 10
    text = weldish.explain(y, show=False)
    assert "fallback:numpy.sort" in text
    assert "numpy.sort" in weldish.fallbacks.report()
    npt.assert_array_equal(numpy.asarray(y), numpy.sort([3, 1, 3, 2, 1, 3])[::-1] * 10)


def test_fallbacks_clear_and_report():
    weldish.fallbacks.clear()
    assert weldish.fallbacks.report() == "no fallbacks"
    assert sum(weldish.fallbacks.counts.values()) == 0
    wnp.median(wnp.arange(5.0))
    wnp.median(wnp.arange(5.0))
    assert weldish.fallbacks.counts["numpy.median"] == 2
    weldish.fallbacks.clear()
    assert not weldish.fallbacks.counts


def test_lazy_functions_do_not_fall_back():
    weldish.fallbacks.clear()
    x = wnp.asarray(DATA)
    results = [wnp.exp(x), x.sum(axis=0), wnp.where(x > 0, x, 0.0), x.reshape(-1),
               wnp.concatenate([x, x]), wnp.mean(x, axis=1), x[::2, 1:], x @ x.T,
               wnp.cumsum(x, axis=0), wnp.clip(x, 0, 1), wnp.maximum(x, 1.0), x.T,
               wnp.stack([x, x]), wnp.zeros_like(x), wnp.argmax(x, axis=0), x[[0, 2]]]
    assert all(isinstance(r, weldish.LazyArray) for r in results)
    assert not weldish.fallbacks.counts, weldish.fallbacks.report()


def test_astype_does_not_fall_back():
    weldish.fallbacks.clear()
    r = wnp.asarray(DATA).astype(numpy.float32)
    assert not weldish.fallbacks.counts, weldish.fallbacks.report()
    assert r.dtype == numpy.float32


def test_astype_value():
    r = wnp.asarray(DATA).astype(numpy.int16)
    assert isinstance(r, weldish.LazyArray)
    value = numpy.asarray(r)
    assert value.dtype == numpy.int16
    npt.assert_array_equal(value, DATA.astype(numpy.int16))


def test_lazy_names():
    names = wnp.lazy_names()
    assert len(names) > 100
    assert len(set(names)) == len(names)
    public = set(_public_numpy_names())
    assert set(names) <= public
    for expected in ["exp", "log", "add", "sum", "mean", "where", "reshape", "concatenate",
                     "matmul", "argmax", "cumsum", "transpose", "abs", "maximum"]:
        assert expected in names, expected
    for eager in ["median", "sort", "unique", "percentile"]:
        assert eager not in names, eager
    # a name listed as lazy really builds a graph node (no fallback)
    weldish.fallbacks.clear()
    x = wnp.asarray(DATA)
    for name in ["exp", "sqrt", "tanh", "sum", "min", "ravel", "negative"]:
        assert name in names
        assert isinstance(getattr(wnp, name)(x if name != "sqrt" else wnp.abs(x)),
                          weldish.LazyArray)
    assert not weldish.fallbacks.counts, weldish.fallbacks.report()

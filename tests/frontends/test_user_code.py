"""The same user code run with ``xp=numpy`` and ``xp=weldish.numpy``: values and dtypes match.

Each user function is written once against an array namespace ``xp``; the NumPy run is the
oracle. Results of the weldish run must be lazy until converted, and equal (to a tight
tolerance, or exactly for integers) with the same dtype.
"""
from __future__ import annotations

import warnings

import numpy
import numpy.testing as npt
import pytest

import weldish
import weldish.numpy as wnp
from weldish.testing import backend_is_exact


def _value(x):
    """A NumPy value of a user result (lazy arrays are evaluated)."""
    return numpy.asarray(x)


def assert_same(expected, actual, rtol=1e-12, atol=0.0):
    """Same value, same dtype, same shape (actual may be lazy)."""
    got = _value(actual)
    exp = numpy.asarray(expected)
    assert got.dtype == exp.dtype, (got.dtype, exp.dtype)
    assert got.shape == exp.shape, (got.shape, exp.shape)
    if exp.dtype.kind in "biu":
        npt.assert_array_equal(got, exp)
    elif not backend_is_exact():
        # compiled math differs from NumPy's by ulps; after cancellation (call - put...)
        # compare relative to the result's scale, not to each (tiny) element
        finite = numpy.abs(exp[numpy.isfinite(exp)])
        scale = float(finite.max()) if finite.size else 1.0
        npt.assert_allclose(got, exp, rtol=max(rtol, 1e-6 if exp.dtype == numpy.float32
                                                else 1e-12),
                            atol=max(atol, 4 * numpy.finfo(exp.dtype).eps * scale),
                            equal_nan=True)
    else:
        npt.assert_allclose(got, exp, rtol=rtol, atol=atol, equal_nan=True)


def run_both(fn, *args, **kwargs):
    """(numpy result, weldish result) of ``fn(xp, *args)``."""
    expected = fn(numpy, *args, **kwargs)
    actual = fn(wnp, *args, **kwargs)
    return expected, actual


# --- user code ------------------------------------------------------------------------------
def norm_cdf(xp, x):
    """Normal CDF without erf: the tanh approximation (a pure elementwise expression)."""
    return 0.5 * (1.0 + xp.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))


def black_scholes(xp, price, strike, t, rate, vol):
    price, strike, t = xp.asarray(price), xp.asarray(strike), xp.asarray(t)
    sqrt_t = xp.sqrt(t)
    d1 = (xp.log(price / strike) + (rate + 0.5 * vol * vol) * t) / (vol * sqrt_t)
    d2 = d1 - vol * sqrt_t
    discount = xp.exp(-rate * t)
    call = price * norm_cdf(xp, d1) - strike * discount * norm_cdf(xp, d2)
    put = strike * discount * norm_cdf(xp, -d2) - price * norm_cdf(xp, -d1)
    return call, put


def haversine(xp, lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(xp.radians, (xp.asarray(lat1), xp.asarray(lon1),
                                              xp.asarray(lat2), xp.asarray(lon2)))
    dlat = lat2 - lat1
    dlon = lon2 - lon1
    a = xp.sin(dlat / 2) ** 2 + xp.cos(lat1) * xp.cos(lat2) * xp.sin(dlon / 2) ** 2
    return 2 * 6371.0 * xp.arcsin(xp.sqrt(a))


def standardize(xp, data, axis):
    x = xp.asarray(data)
    mean = x.mean(axis=axis, keepdims=True)
    std = xp.std(x, axis=axis, keepdims=True)
    return (x - mean) / std


def standardize_ddof(xp, data):
    x = xp.asarray(data)
    return (x - xp.mean(x, axis=0)) / x.std(axis=0, ddof=1)


def softmax(xp, logits, axis=-1):
    x = xp.asarray(logits)
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    e = xp.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def kmeans_step(xp, points, centroids):
    """One Lloyd iteration: assignment by broadcasting + argmin, then new centroids."""
    p = xp.asarray(points)
    c = xp.asarray(centroids)
    d2 = ((p[:, None, :] - c[None, :, :]) ** 2).sum(axis=-1)
    labels = xp.argmin(d2, axis=1)
    k = c.shape[0]
    onehot = (labels[:, None] == xp.arange(k)[None, :]).astype(p.dtype)
    counts = onehot.sum(axis=0)
    new_c = (onehot.T @ p) / xp.maximum(counts, 1)[:, None]
    inertia = xp.min(d2, axis=1).sum()
    return labels, new_c, inertia


# --- data -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rng():
    return numpy.random.default_rng(1234)


@pytest.fixture(scope="module")
def options(rng):
    n = 2000
    return dict(price=rng.uniform(10, 200, n), strike=rng.uniform(10, 200, n),
                t=rng.uniform(0.05, 3.0, n), rate=0.03, vol=0.25)


# --- tests ------------------------------------------------------------------------------------
def test_black_scholes_call_and_put(options):
    (ec, ep), (ac, ap) = run_both(black_scholes, **options)
    assert isinstance(ac, weldish.LazyArray) and isinstance(ap, weldish.LazyArray)
    assert_same(ec, ac)
    assert_same(ep, ap)
    # put-call parity holds on the weldish values too (a sanity check of the formula)
    parity = options["price"] - options["strike"] * numpy.exp(-options["rate"] * options["t"])
    npt.assert_allclose(numpy.asarray(ac) - numpy.asarray(ap), parity, rtol=1e-9, atol=1e-9)


def test_black_scholes_evaluate_together(options):
    ec, ep = black_scholes(numpy, **options)
    call, put = black_scholes(wnp, **options)
    vc, vp = weldish.evaluate(call, put)
    assert type(vc) is numpy.ndarray and type(vp) is numpy.ndarray
    assert_same(ec, vc)
    assert_same(ep, vp)


def test_black_scholes_scalar_strike_and_float32(options):
    price32 = options["price"].astype(numpy.float32)
    t32 = options["t"].astype(numpy.float32)
    kwargs = dict(price=price32, strike=numpy.float32(100.0), t=t32,
                  rate=0.03, vol=0.25)
    (ec, ep), (ac, ap) = run_both(black_scholes, **kwargs)
    assert ec.dtype == numpy.float32
    assert_same(ec, ac, rtol=1e-6)
    assert_same(ep, ap, rtol=1e-6)


def test_haversine(rng):
    n = 1500
    lat1, lat2 = rng.uniform(-90, 90, n), rng.uniform(-90, 90, n)
    lon1, lon2 = rng.uniform(-180, 180, n), rng.uniform(-180, 180, n)
    e, a = run_both(haversine, lat1, lon1, lat2, lon2)
    assert isinstance(a, weldish.LazyArray)
    assert_same(e, a)


def test_haversine_broadcast_against_one_point(rng):
    lat, lon = rng.uniform(-90, 90, (40, 3)), rng.uniform(-180, 180, (40, 3))
    e, a = run_both(haversine, lat, lon, 48.85, 2.35)
    assert_same(e, a)


@pytest.mark.parametrize("axis", [0, 1, (0, 1), None, -1])
def test_standardize(rng, axis):
    data = rng.normal(5.0, 3.0, (64, 7))
    e, a = run_both(standardize, data, axis)
    assert isinstance(a, weldish.LazyArray)
    assert_same(e, a)


def test_standardize_ddof_and_noncontiguous(rng):
    data = rng.normal(size=(30, 12))[::2, ::3]  # a strided user array
    e, a = run_both(standardize_ddof, data)
    assert_same(e, a)


def test_standardize_int_input_promotes_to_float64(rng):
    data = rng.integers(-50, 50, (20, 5)).astype(numpy.int32)
    e, a = run_both(standardize, data, 0)
    assert e.dtype == numpy.float64
    assert_same(e, a)


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax(rng, axis):
    logits = rng.normal(0, 50, (32, 10))  # large values: max-subtraction matters
    e, a = run_both(softmax, logits, axis)
    assert_same(e, a)
    npt.assert_allclose(numpy.asarray(a).sum(axis=axis), 1.0, rtol=1e-12)


def test_softmax_float32_and_inf(rng):
    logits = rng.normal(0, 3, (8, 5)).astype(numpy.float32)
    logits[2, 3] = -numpy.inf
    e, a = run_both(softmax, logits)
    assert e.dtype == numpy.float32
    assert_same(e, a, rtol=1e-6)


def test_kmeans_step(rng):
    centers = numpy.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    points = numpy.concatenate([c + rng.normal(size=(50, 2)) for c in centers])
    init = points[[0, 60, 120, 5]]  # 4 centroids, one duplicated cluster
    (el, ec, ei), (al, ac, ai) = run_both(kmeans_step, points, init)
    assert isinstance(al, weldish.LazyArray) and isinstance(ac, weldish.LazyArray)
    assert_same(el, al)
    assert_same(ec, ac)
    assert_same(ei, ai)


def test_kmeans_iterations_converge_identically(rng):
    points = rng.normal(size=(200, 3))
    c_np = c_w = points[:5].copy()
    for _ in range(4):
        _, c_np, _ = kmeans_step(numpy, points, c_np)
        _, c_w, _ = kmeans_step(wnp, points, c_w)  # keeps building on the lazy result
    assert_same(c_np, c_w)


def float32_pipeline(xp, x, y):
    x, y = xp.asarray(x), xp.asarray(y)
    z = xp.sqrt(x * x + y * y) * 2.5 - 1  # Python scalars are weak: stays float32
    z = xp.where(z > 0, xp.log1p(z), xp.float32(0))
    m = z.mean(axis=0)
    s = z.sum()
    c = xp.cumsum(z, axis=1)
    return z, m, s, c, z.max(), xp.float32(3) * z


def test_float32_pipeline_stays_float32(rng):
    x = rng.normal(size=(50, 8)).astype(numpy.float32)
    y = rng.normal(size=(50, 8)).astype(numpy.float32)
    expected, actual = run_both(float32_pipeline, x, y)
    for e, a in zip(expected, actual):
        assert numpy.asarray(e).dtype == numpy.float32
        assert isinstance(a, weldish.LazyArray)
        assert a.dtype == numpy.float32  # known before evaluation
        assert_same(e, a, rtol=2e-6, atol=1e-6)


def test_float32_mixed_with_float64_array_promotes(rng):
    x = rng.normal(size=10).astype(numpy.float32)
    y = rng.normal(size=10)
    e, a = run_both(lambda xp: xp.asarray(x) + xp.asarray(y))
    assert e.dtype == numpy.float64
    assert_same(e, a)


def int_pipeline(xp, a, b):
    a, b = xp.asarray(a), xp.asarray(b)
    wrapped = a * 3 + 100           # int8 overflow wraps
    q = a // b                      # floor_divide by zero -> 0
    r = a % b                       # remainder by zero -> 0
    neg = -a                        # -(-128) wraps to -128
    s = xp.sum(a)                   # int8 sum accumulates in the default int
    p = a.astype(xp.int16) * 300
    return wrapped, q, r, neg, s, p, xp.abs(a), a << 2


def test_int_pipeline_wraps_and_divides_by_zero():
    a = numpy.array([-128, -7, -1, 0, 1, 7, 100, 127], dtype=numpy.int8)
    b = numpy.array([3, 0, -2, 0, 0, 2, -7, 5], dtype=numpy.int8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = int_pipeline(numpy, a, b)
        actual = int_pipeline(wnp, a, b)
        values = [numpy.asarray(x) for x in actual]
    for e, got in zip(expected, values):
        assert_same(e, got)


@pytest.mark.parametrize("dtype", [numpy.int64, numpy.uint32, numpy.uint8])
def test_int_floor_divide_remainder_signs(dtype):
    info = numpy.iinfo(dtype)
    a = numpy.array([info.min, info.max, 0, 5, 13, info.max - 1], dtype=dtype)
    b = numpy.array([0, 7, 0, 0, 4, 1], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = (a // b, a % b, numpy.divmod(a, b)[0], a + a)
        got = tuple(numpy.asarray(x) for x in
                    (wnp.asarray(a) // b, wnp.asarray(a) % b, wnp.divmod(wnp.asarray(a), b)[0],
                     wnp.asarray(a) + a))
    for x, y in zip(e, got):
        assert_same(x, y)


def test_int64_min_floor_divide_minus_one():
    a = numpy.array([numpy.iinfo(numpy.int64).min, 6, -6], dtype=numpy.int64)
    b = numpy.array([-1, -4, 4], dtype=numpy.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = (a // b, a % b)
        got = tuple(numpy.asarray(x) for x in (wnp.asarray(a) // b, wnp.asarray(a) % b))
    for x, y in zip(e, got):
        assert_same(x, y)


def test_mixing_ndarray_and_lazy(rng):
    x = rng.normal(size=(4, 5))
    y = rng.normal(size=(4, 5))
    lz = wnp.asarray(y)
    results = {
        "ndarray + lazy": (x + y, x + lz),
        "lazy + ndarray": (y + x, lz + x),
        "ndarray * lazy row": (x * y[0], x * lz[0]),
        "numpy.exp(lazy)": (numpy.exp(y), numpy.exp(lz)),
        "numpy.add(ndarray, lazy)": (numpy.add(x, y), numpy.add(x, lz)),
        "numpy.sum(lazy)": (numpy.sum(y, axis=1), numpy.sum(lz, axis=1)),
        "numpy.where(lazy)": (numpy.where(y > 0, x, 0.0), numpy.where(lz > 0, x, 0.0)),
        "ndarray @ lazy": (x @ y.T, x @ lz.T),
        "numpy.maximum.reduce": (numpy.maximum.reduce(y), numpy.maximum.reduce(lz)),
        "numpy.add.accumulate": (numpy.add.accumulate(y, axis=1),
                                 numpy.add.accumulate(lz, axis=1)),
        "ndarray > lazy": (x > y, x > lz),
        "numpy.concatenate": (numpy.concatenate([x, y]), numpy.concatenate([x, lz])),
    }
    for name, (e, a) in results.items():
        assert isinstance(a, weldish.LazyArray), name
        assert_same(e, a)


def test_numpy_scalar_and_lazy(rng):
    y = rng.normal(size=6).astype(numpy.float32)
    lz = wnp.asarray(y)
    for e, a in [(numpy.float64(2) * y, numpy.float64(2) * lz),
                 (numpy.float32(2) * y, numpy.float32(2) * lz),
                 (y ** 2, lz ** 2),
                 (2.0 ** y, 2.0 ** lz)]:
        assert isinstance(a, weldish.LazyArray)
        assert_same(e, a, rtol=1e-6)


def test_user_arrays_not_modified(options):
    before = {k: numpy.copy(v) for k, v in options.items()}
    call, put = black_scholes(wnp, **options)
    weldish.evaluate(call, put)
    for k, v in options.items():
        npt.assert_array_equal(v, before[k])


def test_empty_and_zero_d_inputs():
    def f(xp, a):
        a = xp.asarray(a)
        return xp.exp(a) * 2 + a.sum(), (a - a.mean()) if a.size else a * 1
    for data in (numpy.zeros((0,)), numpy.zeros((3, 0)), numpy.array(2.5)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e, a = run_both(f, data)
            for x, y in zip(e, a):
                assert_same(x, y)


def test_ndarray_out_and_inplace_with_lazy_operand_values():
    lz = wnp.arange(3.0) * 2
    x = numpy.arange(3.0)
    alias = x
    x += lz
    npt.assert_array_equal(alias, [0.0, 3.0, 6.0])  # the user's array was written, as NumPy
    npt.assert_array_equal(numpy.asarray(x), [0.0, 3.0, 6.0])
    buf = numpy.zeros(3)
    numpy.exp(lz, out=buf)
    npt.assert_allclose(buf, numpy.exp([0.0, 2.0, 4.0]), rtol=1e-15)


def test_ndarray_out_identity_with_lazy_operand():
    lz = wnp.arange(3.0)
    x = numpy.arange(3.0)
    alias = x
    x += lz
    assert x is alias
    buf = numpy.zeros(3)
    assert numpy.exp(lz, out=buf) is buf


@pytest.mark.parametrize("other", [None, "a"], ids=["None", "str"])
def test_compare_with_non_numeric_object(other):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e_eq, e_ne = numpy.arange(3.0) == other, numpy.arange(3.0) != other
        lz = wnp.arange(3.0)
        a_eq, a_ne = lz == other, lz != other
    assert_same(e_eq, a_eq)
    assert_same(e_ne, a_ne)

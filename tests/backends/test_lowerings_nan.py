"""The float nan* reductions NumPy answers with data-dependent warnings or errors
(nanmean, nanvar, nanstd: "Mean of empty slice", "Degrees of freedom <= 0 for slice.";
nanargmin, nanargmax: ValueError "All-NaN slice encountered") and the mean of 64-bit
integers, compiled by the llvm backend: values, dtypes, warnings and errors equal NumPy's,
on one thread and on several (every test runs once per backend, tests/backends/conftest.py).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import weldish
import weldish.numpy as wnp
from weldish import backends
from weldish.backends.llvm import runtime
from weldish.ir.ops import OPS
from weldish.ir.passes import optimize
from weldish.ir.passes.fuse import Kernel
from weldish.testing import Raised, assert_same, check_call, sample

NAN, INF = float("nan"), float("inf")
# NumPy's data-dependent messages of these functions (floating-point warnings such as
# "invalid value encountered in subtract" for infinities are not raised by compiled code)
NAN_MESSAGES = ("Mean of empty slice", "Degrees of freedom <= 0 for slice.",
                "All-NaN slice encountered")


def lazy(a):
    return wnp.asarray(a)


def interpreted_ops(*lazies):
    plan = backends.BACKENDS["llvm"].plan(optimize([x.node for x in lazies]))
    return {str(s.op) for s in plan.steps
            if not isinstance(s, Kernel) and OPS[s.op].kind in ("elementwise", "reduce",
                                                                "scan")}


def recorded(fn):
    """(value or Raised, the set of (category, message) of the warnings it gave)."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        try:
            value = fn()
        except Exception as e:  # noqa: BLE001 - compared with NumPy's
            value = Raised(e)
    return value, {(w.category, str(w.message)) for w in caught}


def compare(name, a, kw, backend, context=""):
    """weldish's nan* function equals NumPy's: value (4 ulp on compiled backends), dtype,
    the nan* warnings (all warnings on the interpreter) and the exception."""
    context = f"{name}({a.dtype}{list(a.shape)}, {kw}) {context}"
    expected, np_warned = recorded(lambda: getattr(np, name)(a, **kw))
    got, wl_warned = recorded(lambda: np.asarray(getattr(wnp, name)(lazy(a), **kw)))
    assert not [m for _, m in wl_warned if "did not compile" in m], context
    if isinstance(expected, Raised):
        assert isinstance(got, Raised) and got.type is expected.type, \
            f"NumPy raised {expected}, weldish gave {got} [{context}]"
        assert str(got.exc) == str(expected.exc), context
        return
    assert not isinstance(got, Raised), f"weldish raised {got} [{context}]"
    if backend != "interp":
        np_warned = {w for w in np_warned if w[1] in NAN_MESSAGES}
        wl_warned = {w for w in wl_warned if w[1] in NAN_MESSAGES}
    assert wl_warned == np_warned, f"warnings {wl_warned} != NumPy's {np_warned} [{context}]"
    scale = None
    if name == "nanmean":   # a sum of mixed signs: rounding errors of its terms' size
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            scale = np.nanmean(np.abs(a), **kw)
    assert_same(got, expected, context=context, scale=scale)
    if expected.dtype.kind == "f":   # NumPy's NaNs to the sign bit (0 / 0 vs np.nan)
        nan = np.isnan(expected)
        assert np.array_equal(np.signbit(got)[nan], np.signbit(expected)[nan]), context


def nan_data(dtype, shape=(4, 5, 6), seed=3):
    """Sample values with scattered NaNs, an all-NaN block and an all-NaN line."""
    a = sample(dtype, shape, seed)
    rng = np.random.default_rng(seed)
    a[rng.random(shape) < 0.2] = NAN
    a[1] = NAN                  # all NaN over the other axes, and every line inside it
    a[(slice(None),) + (2,) * (a.ndim - 1)] = NAN   # an all-NaN line along axis 0
    return a


MOMENT_KWARGS = [{}, {"axis": 0}, {"axis": -1}, {"axis": (0, 2)}, {"axis": (1, 2)},
                 {"axis": 1, "keepdims": True}, {"axis": None, "keepdims": True},
                 {"axis": ()}, {"axis": (0, 2), "dtype": "float32"},
                 {"axis": 1, "dtype": "float64"}]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["nanmean", "nanvar", "nanstd"])
def test_nan_moments(name, dtype, backend):
    a = nan_data(dtype)
    for kwargs in MOMENT_KWARGS:
        for extra in ({}, {"ddof": 1}, {"ddof": 2}, {"ddof": 0.5}, {"ddof": -1}) \
                if name != "nanmean" else ({},):
            compare(name, a, {**kwargs, **extra}, backend)
            compare(name, a.transpose(2, 0, 1), {**kwargs, **extra}, backend, "transposed")


@pytest.mark.parametrize("name", ["nanmean", "nanvar", "nanstd"])
def test_nan_moments_edges(name, backend):
    rows = np.array([[NAN, NAN, NAN], [1.0, NAN, NAN], [-0.0, -0.0, NAN], [2.0, 0.5, -4.0],
                     [INF, 1.0, NAN], [INF, -INF, 2.0], [1e308, 1e308, NAN]])
    for dtype in ("float64", "float32"):
        with np.errstate(all="ignore"):
            x = rows.astype(dtype)
        for kw in ({}, {"axis": 0}, {"axis": 1}, {"axis": 1, "keepdims": True},
                   {"axis": 1, "ddof": 1}, {"axis": 1, "ddof": 3}, {"axis": 0, "ddof": 7},
                   {"axis": 1, "dtype": "float64"}):
            if name == "nanmean" and "ddof" in kw:
                continue
            compare(name, x, kw, backend)
        compare(name, x[3], {}, backend, "no NaN")
        compare(name, x[0], {}, backend, "all NaN")
        compare(name, x[:1, :1], {"axis": 1}, backend, "one NaN element")
        compare(name, x[3:4, :1], {"axis": 1}, backend, "one element")
        compare(name, x[:, :1], {"axis": 1}, backend, "one element per row")
        compare(name, np.asarray(x[0, 0]), {}, backend, "0-d NaN")
        compare(name, np.asarray(x[3, 1]), {}, backend, "0-d")
        compare(name, np.zeros((0, 3), dtype), {"axis": 0}, backend, "empty slices")
        compare(name, np.zeros((0, 3), dtype), {"axis": 1}, backend, "no slices")
        compare(name, np.zeros((0, 3), dtype), {}, backend, "empty")


ARG_DATA = np.array([[NAN, INF, INF, 1.0], [INF, NAN, 3.0, 3.0], [-INF, -INF, NAN, 2.0],
                     [NAN, NAN, NAN, NAN], [2.0, -0.0, 0.0, 2.0], [NAN, -INF, 5.0, INF]])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["nanargmin", "nanargmax"])
def test_nan_arg_reductions(name, dtype, backend):
    x = ARG_DATA.astype(dtype)
    ok = np.delete(x, 3, axis=0)   # without the all-NaN row
    for a in (x, ok, ok.T, x[:, ::-1], nan_data(dtype), nan_data(dtype)[0]):
        for kw in ({}, {"axis": 0}, {"axis": 1}, {"axis": -1}, {"axis": 1, "keepdims": True},
                   {"axis": None, "keepdims": True}):
            if kw.get("axis", 0) is not None and kw.get("axis", 0) >= a.ndim:
                continue
            compare(name, a, kw, backend)
    for a in (x[3, :1], x[0, 1:3], np.asarray(x[3, 0]), np.asarray(x[0, 1]), x[:, :1]):
        compare(name, a, {}, backend, "one or two elements")
        compare(name, a.reshape(a.size, 1), {"axis": 1}, backend, "one element per row")
    compare(name, np.full((3, 0), 1.0, dtype), {"axis": 0}, backend, "no slices")


def test_nan_reductions_inside_expressions(backend):
    a = nan_data("float64", (6, 7), 5)
    b = sample("float64", (6, 7), 6)
    for name in ("nanmean", "nanvar", "nanstd", "nanargmin", "nanargmax"):
        fn, wfn = getattr(np, name), getattr(wnp, name)
        check_call(lambda x, y, fn=fn: fn(x * 2 + y, axis=0) + 1,
                   lambda x, y, wfn=wfn: wfn(x * 2 + y, axis=0) + 1, [a, b],
                   [lazy(a), lazy(b)], context=name)
        check_call(lambda x, fn=fn: fn(np.where(x > 0, x, NAN), axis=1),
                   lambda x, wfn=wfn: wfn(wnp.where(x > 0, x, NAN), axis=1), [b], [lazy(b)],
                   context=name)


@pytest.mark.parametrize("threads", [1, 2])
def test_nan_reductions_on_threads(threads, monkeypatch, backend):
    """Several threads reducing one slice each take a part: partial results combine
    into NumPy's (first index of the best value, the counts of non-NaN values)."""
    monkeypatch.setattr(runtime, "PARALLEL_THRESHOLD", 1)
    a = nan_data("float64", (64, 9, 3), 8)
    ties = np.tile(ARG_DATA, (11, 1)).astype(np.float32)
    with weldish.config(num_threads=threads):
        for name in ("nanmean", "nanvar", "nanstd", "nanargmin", "nanargmax"):
            for kw in ({}, {"axis": 0}, {"axis": 1}):
                if name.startswith("nanarg") and kw == {"axis": 1}:
                    compare(name, a[:, :, 0], {"axis": 0}, backend, f"{threads} threads")
                    continue
                compare(name, a, kw, backend, f"{threads} threads")
                compare(name, ties, kw, backend, f"{threads} threads")
                compare(name, np.delete(ties, np.s_[3::6], axis=0), kw, backend,
                        f"{threads} threads, no all-NaN row")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_float_nan_reductions_compile(dtype, backend):
    if backend != "llvm":
        pytest.skip("checks the llvm plan: run once, with the llvm backend")
    x = lazy(nan_data(dtype))
    for name, kw in (("nanmean", {"axis": (0, 2), "keepdims": True}),
                     ("nanvar", {"axis": 1, "ddof": 1}), ("nanstd", {}),
                     ("nanmean", {"axis": ()}), ("nanvar", {"axis": (), "ddof": 2}),
                     ("nanargmin", {"axis": 1}), ("nanargmax", {}),
                     ("nanargmin", {"axis": 2, "keepdims": True})):
        assert interpreted_ops(getattr(wnp, name)(x, **kw)) == set(), (name, kw)


# --- mean of 64-bit integers ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["int64", "uint64"])
def test_mean_of_64_bit_integers(dtype, backend):
    """NumPy sums in float64 (each value rounded to float64 first): a compiled sum in
    another order differs by rounding errors of the size of the terms' magnitudes."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(1)
    big = rng.integers(info.max // 4, info.max // 2, 257, dtype=dtype)
    if dtype == "int64":
        big[::3] = -big[::3]
    edges = np.array([info.max, info.min, info.max - 1, info.min + 1, 2**62, 1, 0, 3] * 4,
                     dtype=dtype)
    for a in (big, edges, big.reshape(-1, 1) + np.arange(4, dtype=dtype),
              sample(dtype, (5, 6), 2, special=True)):
        # the sum's terms' magnitudes, as for every float sum (test_ops_differential): a
        # float32 sum (dtype=float32) of 257 terms in another order (vector lanes, two
        # threads' partials) differs by more than 4 ulp of the mean
        scale = np.sum(np.abs(a.astype(np.float64)), axis=0)
        check_call(np.mean, wnp.mean, [a], [lazy(a)], {"axis": 0}, context=dtype,
                   scale=scale)
        check_call(np.mean, wnp.mean, [a], [lazy(a)], context=dtype,
                   scale=np.mean(scale))
        check_call(np.mean, wnp.mean, [a], [lazy(a)], {"axis": 0, "dtype": "float32"},
                   context=dtype, scale=scale)
        check_call(np.nanmean, wnp.nanmean, [a], [lazy(a)], {"axis": 0}, context=dtype,
                   scale=scale)
    small = np.arange(-7, 20, dtype=dtype) if dtype == "int64" else np.arange(20, dtype=dtype)
    assert_same(wnp.mean(lazy(small)), np.mean(small))   # exact: sums below 2**53
    if backend == "llvm":
        assert interpreted_ops(wnp.mean(lazy(big)), wnp.nanmean(lazy(big))) == set()

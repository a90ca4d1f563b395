"""Error parity: the errors a user gets from NumPy, with NumPy's type, at the same call.

Every row of ``ERRORS`` is run with ``numpy`` and with ``weldish.numpy``. Only the failing
call sits inside ``pytest.raises``: its operands are unevaluated lazy expressions, and the
result is never evaluated, so an error that weldish would only raise later, at evaluation,
fails the test. Then value parity for the cases that are *not* errors in NumPy (division by
zero, integer overflow, NaN propagation).
"""
from __future__ import annotations

import warnings

import numpy
import numpy.testing as npt
import pytest
from numpy.exceptions import AxisError

import weldish
import weldish.numpy as wnp
from weldish.testing import ULPS, assert_within_ulps, backend_is_exact


def lz(xp, data, dtype=None):
    """``data`` as a fresh array of ``xp``; for weldish an unevaluated expression (a copy)."""
    return xp.copy(xp.asarray(numpy.asarray(data, dtype=dtype)))


def m23(xp):
    return lz(xp, numpy.arange(6.0).reshape(2, 3))


def i3(xp):
    return lz(xp, [1, 2, 3])


def _iadd_float(xp):
    a = i3(xp)
    a += 1.5


def _imul_view_float(xp):
    a = lz(xp, numpy.arange(6).reshape(2, 3))
    v = a[0]
    v *= 0.5


def _ibroadcast(xp):
    a = lz(xp, numpy.ones(3))
    a += lz(xp, numpy.ones((2, 3)))


def _set(xp, key, value, base=None):
    a = i3(xp) if base is None else base
    a[key] = value


def _iadd_at(xp, key):
    a = i3(xp)
    a[key] += 1




def _set_nan_view(xp):
    a = lz(xp, numpy.arange(6).reshape(2, 3))
    a[1][0] = numpy.nan


def _set_bad_shape(xp):
    a = m23(xp)
    a[0] = lz(xp, [1.0, 2.0])


ERRORS = [
    # broadcasting
    ("add (2,3)+(4,)", lambda xp: m23(xp) + lz(xp, numpy.ones(4)), ValueError),
    ("multiply (2,3)*(3,2)", lambda xp: xp.multiply(m23(xp), lz(xp, numpy.ones((3, 2)))),
     ValueError),
    ("where broadcast", lambda xp: xp.where(lz(xp, [True, False]), m23(xp), 0.0), ValueError),
    ("ndarray + lazy mismatch", lambda xp: numpy.ones(4) + m23(xp), ValueError),
    ("in-place broadcast to larger", _ibroadcast, ValueError),
    ("broadcast_to incompatible", lambda xp: xp.broadcast_to(m23(xp), (3, 3)), ValueError),
    ("setitem shape mismatch", _set_bad_shape, ValueError),
    # axes
    ("sum bad axis", lambda xp: xp.sum(m23(xp), axis=2), AxisError),
    ("sum bad negative axis", lambda xp: m23(xp).sum(axis=-3), AxisError),
    ("sum repeated axis", lambda xp: xp.sum(m23(xp), axis=(0, 0)), ValueError),
    ("mean bad axis", lambda xp: xp.mean(m23(xp), axis=(0, 5)), AxisError),
    ("std bad axis", lambda xp: m23(xp).std(axis=3), AxisError),
    ("max bad axis", lambda xp: xp.max(m23(xp), axis=2), AxisError),
    ("argmax bad axis", lambda xp: xp.argmax(m23(xp), axis=2), AxisError),
    ("argmin bad axis", lambda xp: m23(xp).argmin(axis=-3), AxisError),
    ("cumsum bad axis", lambda xp: xp.cumsum(m23(xp), axis=2), AxisError),
    ("squeeze bad axis", lambda xp: xp.squeeze(m23(xp), axis=2), AxisError),
    ("squeeze non-unit axis", lambda xp: xp.squeeze(m23(xp), axis=0), ValueError),
    ("expand_dims bad axis", lambda xp: xp.expand_dims(m23(xp), axis=4), AxisError),
    ("concatenate bad axis", lambda xp: xp.concatenate([m23(xp), m23(xp)], axis=2), AxisError),
    ("swapaxes bad axis", lambda xp: xp.swapaxes(m23(xp), 0, 2), AxisError),
    ("transpose repeated axes", lambda xp: xp.transpose(m23(xp), (0, 0)), ValueError),
    ("transpose wrong axes", lambda xp: m23(xp).transpose(1, 0, 2), ValueError),
    # dtypes
    ("bitwise_and on floats", lambda xp: m23(xp) & 1, TypeError),
    ("bitwise_or float arrays", lambda xp: xp.bitwise_or(m23(xp), m23(xp)), TypeError),
    ("invert on floats", lambda xp: ~m23(xp), TypeError),
    ("left_shift by a float", lambda xp: i3(xp) << 1.0, TypeError),
    ("uint8 + 300", lambda xp: lz(xp, [1, 2], numpy.uint8) + 300, OverflowError),
    ("int8 * 1000", lambda xp: lz(xp, [1, 2], numpy.int8) * 1000, OverflowError),
    ("uint8 array + -1", lambda xp: xp.add(lz(xp, [1], numpy.uint8), -1), OverflowError),
    ("full 300 as uint8", lambda xp: xp.full(3, 300, dtype=xp.uint8), OverflowError),
    ("int += float", _iadd_float, TypeError),
    ("int view *= float", _imul_view_float, TypeError),
    ("round with float decimals", lambda xp: xp.round(m23(xp), 1.5), TypeError),
    ("astype casting=safe", lambda xp: m23(xp).astype(xp.int64, casting="safe"), TypeError),
    # empty reductions
    ("min of empty", lambda xp: lz(xp, numpy.zeros(0)).min(), ValueError),
    ("max of empty", lambda xp: xp.max(lz(xp, numpy.zeros(0))), ValueError),
    ("max of empty axis", lambda xp: xp.max(lz(xp, numpy.zeros((3, 0))), axis=1), ValueError),
    ("argmax of empty", lambda xp: xp.argmax(lz(xp, numpy.zeros(0))), ValueError),
    ("argmin of empty", lambda xp: lz(xp, numpy.zeros((0, 2))).argmin(axis=0), ValueError),
    # shapes
    ("zeros negative dimension", lambda xp: xp.zeros(-1), ValueError),
    ("ones negative dimension", lambda xp: xp.ones((2, -3)), ValueError),
    ("full negative dimension", lambda xp: xp.full((-2,), 1.0), ValueError),
    ("empty negative dimension", lambda xp: xp.empty((3, -1)), ValueError),
    ("arange zero step", lambda xp: xp.arange(0, 5, 0), ZeroDivisionError),
    ("broadcast_to negative", lambda xp: xp.broadcast_to(m23(xp), (-1, 3)), ValueError),
    ("reshape size mismatch", lambda xp: xp.arange(6).reshape(4, 2), ValueError),
    ("reshape two unknowns", lambda xp: m23(xp).reshape(-1, -1), ValueError),
    ("reshape lazy size mismatch", lambda xp: xp.reshape(m23(xp), (5,)), ValueError),
    ("matmul mismatch", lambda xp: m23(xp) @ m23(xp), ValueError),
    ("matmul function mismatch", lambda xp: xp.matmul(m23(xp), lz(xp, numpy.ones(2))),
     ValueError),
    ("dot mismatch", lambda xp: xp.dot(m23(xp), m23(xp)), ValueError),
    ("dot 1-d mismatch", lambda xp: xp.dot(i3(xp), lz(xp, [1, 2])), ValueError),
    ("concatenate dims mismatch", lambda xp: xp.concatenate([m23(xp), lz(xp, numpy.ones((2, 4)))]),
     ValueError),
    ("concatenate ndim mismatch", lambda xp: xp.concatenate([m23(xp), i3(xp)]), ValueError),
    ("stack shape mismatch", lambda xp: xp.stack([m23(xp), m23(xp).T]), ValueError),
    ("vstack mismatch", lambda xp: xp.vstack([m23(xp), lz(xp, numpy.ones(4))]), ValueError),
    # indexing
    ("int index out of bounds", lambda xp: i3(xp)[3], IndexError),
    ("negative index out of bounds", lambda xp: i3(xp)[-4], IndexError),
    ("second-axis index out of bounds", lambda xp: m23(xp)[:, 7], IndexError),
    ("int array index out of bounds", lambda xp: i3(xp)[[0, 5]], IndexError),
    ("int array negative out of bounds", lambda xp: m23(xp)[:, numpy.array([-4])], IndexError),
    ("take out of bounds", lambda xp: xp.take(i3(xp), [3]), IndexError),
    ("mask wrong length", lambda xp: i3(xp)[numpy.array([True, False])], IndexError),
    ("lazy mask wrong length", lambda xp: i3(xp)[lz(xp, [True, False, True, True])],
     IndexError),
    ("2-d mask wrong shape", lambda xp: m23(xp)[numpy.ones((2, 2), bool)], IndexError),
    ("float array index", lambda xp: i3(xp)[numpy.array([1.0])], IndexError),
    ("too many indices", lambda xp: m23(xp)[0, 0, 0], IndexError),
    ("too many indices with array", lambda xp: i3(xp)[0, [0]], IndexError),
    ("setitem out of bounds", lambda xp: _set(xp, 3, 0), IndexError),
    ("setitem int array out of bounds", lambda xp: _set(xp, [0, 9], 0), IndexError),
    ("setitem int array += out of bounds", lambda xp: _iadd_at(xp, [-4]), IndexError),
    ("setitem 2-d int arrays out of bounds",
     lambda xp: _set(xp, ([0], [5]), 0, m23(xp)), IndexError),
    ("setitem mask too long", lambda xp: _set(xp, numpy.array([True] * 4), 0), IndexError),
    ("setitem mask too short", lambda xp: _set(xp, numpy.array([True, False]), 0), IndexError),
    ("setitem float array index", lambda xp: _set(xp, numpy.array([0.0]), 0), IndexError),
    ("assign NaN into int array", lambda xp: _set(xp, 0, numpy.nan), ValueError),
    ("assign NaN into int slice", lambda xp: _set(xp, slice(None), float("nan")), ValueError),
    ("assign NaN into int view", _set_nan_view, ValueError),
    ("assign 300 into uint8 array", lambda xp: _set(xp, 0, 300, lz(xp, [1], numpy.uint8)),
     OverflowError),
    # Python protocols
    ("len of 0-d", lambda xp: len(lz(xp, 3.0)), TypeError),
    ("iter of 0-d", lambda xp: iter(lz(xp, 3.0)), TypeError),
    ("float of size-3", lambda xp: float(i3(xp)), TypeError),
    ("bool of size-3", lambda xp: bool(i3(xp) > 1), ValueError),
    ("ufunc wrong arity", lambda xp: xp.sqrt(i3(xp), i3(xp), i3(xp)), TypeError),
    ("hash", lambda xp: hash(i3(xp)), TypeError),
]


def _raised(fn, xp):
    try:
        fn(xp)
    except Exception as e:  # noqa: BLE001
        return e
    return None


def _rows():
    for desc, fn, exc, *bug in ERRORS:
        marks = [pytest.mark.xfail(strict=True, reason=bug[0])] if bug else []
        yield pytest.param(fn, exc, id=desc, marks=marks)


@pytest.mark.parametrize("fn,exc", list(_rows()))
def test_error_parity(fn, exc):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np_err = _raised(fn, numpy)
        assert isinstance(np_err, exc), f"table row is wrong: NumPy raised {np_err!r}"
        w_err = _raised(fn, wnp)
    assert w_err is not None, "weldish raised nothing at the call (NumPy raised " \
                              f"{type(np_err).__name__}: {np_err})"
    assert isinstance(w_err, type(np_err)), \
        f"weldish raised {type(w_err).__name__}: {w_err}; NumPy {type(np_err).__name__}: {np_err}"


def test_error_leaves_lazy_array_usable():
    a = wnp.arange(3)
    with pytest.raises(TypeError):
        a += 1.5
    with pytest.raises(ValueError):
        a[0] = numpy.nan
    with pytest.raises(IndexError):
        a[5] = 1
    npt.assert_array_equal(numpy.asarray(a), [0, 1, 2])
    assert a.dtype == numpy.arange(3).dtype


def test_data_dependent_error_nanargmax_all_nan():
    x = numpy.array([[1.0, numpy.nan], [numpy.nan, numpy.nan]])
    with pytest.raises(ValueError):
        numpy.nanargmax(x, axis=1)
    with pytest.raises(ValueError):  # at the call or, at the latest, at evaluation
        numpy.asarray(wnp.nanargmax(lz(wnp, x), axis=1))


def test_data_dependent_error_integer_negative_power():
    base, exp = numpy.arange(1, 4), numpy.array([-1, 1, 1])
    with pytest.raises(ValueError):
        base ** exp
    with pytest.raises(ValueError):  # at the call or, at the latest, at evaluation
        numpy.asarray(lz(wnp, base) ** lz(wnp, exp))


# --- value parity where NumPy does not raise -------------------------------------------------
def _div_cases(xp):
    f = lz(xp, [1.0, -1.0, 0.0, numpy.inf, -2.5])
    z = lz(xp, [0.0, 0.0, 0.0, 0.0, -0.0])
    i = lz(xp, [1, -1, 0, 7, -7])
    iz = lz(xp, [0, 0, 0, 0, 0])
    return {
        "float / 0": f / z, "float // 0": f // z, "float % 0": f % z,
        "0 / 0": xp.divide(z, z), "int / 0": i / iz, "int // 0": i // iz,
        "int % 0": i % iz, "divmod int 0": xp.divmod(i, iz)[1],
        "int8 // 0": lz(xp, [5, -5], numpy.int8) // 0,
        "reciprocal 0": xp.reciprocal(z), "log 0": xp.log(z), "log -1": xp.log(f),
        "sqrt -1": xp.sqrt(f), "fmod 0": xp.fmod(f, z), "inf - inf": f - lz(xp, f),
        "0 * inf": z * numpy.inf, "float32 1/0": lz(xp, [1, 0], numpy.float32) / 0,
        "arctanh 1": xp.arctanh(f), "power int neg": lz(xp, [2], numpy.float64) ** -1,
    }


def _overflow_cases(xp):
    i64 = lz(xp, [numpy.iinfo(numpy.int64).max, numpy.iinfo(numpy.int64).min])
    i8 = lz(xp, [127, -128, 100], numpy.int8)
    u8 = lz(xp, [0, 255, 3], numpy.uint8)
    return {
        "int64 max + 1": i64 + 1, "int64 * 2": i64 * 2, "int64 neg": -i64,
        "abs int64 min": xp.abs(i64), "int8 + int8": i8 + i8, "int8 * 3": i8 * 3,
        "int8 neg": -i8, "abs int8": xp.abs(i8), "uint8 - 1": u8 - 1,
        "uint8 * uint8": u8 * u8, "uint8 neg": -u8, "int8 sum": xp.sum(i8),
        "int8 sum dtype int8": xp.sum(i8, dtype=xp.int8), "int8 cumsum": xp.cumsum(i8),
        "uint8 prod": xp.prod(u8[1:]), "int32 power": lz(xp, [3], numpy.int32) ** 40,
        "int64 square": xp.square(i64),
        "float to int8 astype": lz(xp, [100.7, -1.5]).astype(numpy.int8),
        "int64 to int8 astype": i64.astype(numpy.int8),
        "uint8 << 9": u8 << 9, "int64 mean": xp.mean(i64),
    }


NANS = numpy.array([[1.0, numpy.nan, 3.0], [numpy.nan, numpy.nan, -2.0], [0.5, 2.0, 1.0]])


def _nan_cases(xp):
    x = lz(xp, NANS)
    y = lz(xp, NANS[::-1])
    return {
        "min": xp.min(x), "max": x.max(), "min axis0": xp.min(x, axis=0),
        "max axis1": xp.max(x, axis=1), "amin": xp.amin(x, axis=1),
        "minimum": xp.minimum(x, y), "maximum": xp.maximum(x, y),
        "fmin": xp.fmin(x, y), "fmax": xp.fmax(x, y), "fmin scalar": xp.fmin(x, 0.0),
        "nanmin": xp.nanmin(x, axis=0), "nanmax": xp.nanmax(x), "argmax": xp.argmax(x, axis=1),
        "argmin": x.argmin(), "nanargmin": xp.nanargmin(x, axis=0), "sum": x.sum(axis=1),
        "nansum": xp.nansum(x, axis=1), "nanmean": xp.nanmean(x, axis=0),
        "clip": xp.clip(x, 0.0, 2.0), "sort-free ptp": xp.max(x) - xp.min(x),
        "nan == nan": x == x, "isnan": xp.isnan(x), "sign": xp.sign(x),
        "cumsum": xp.cumsum(x, axis=1), "float32 max": lz(xp, NANS, numpy.float32).max(axis=0),
    }


@pytest.mark.parametrize("cases", [_div_cases, _overflow_cases, _nan_cases],
                         ids=["division", "overflow", "nan"])
def test_value_parity(cases):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cases(numpy)
        actual = cases(wnp)
        values = {k: numpy.asarray(v) for k, v in actual.items()}
    for name, e in expected.items():
        e = numpy.asarray(e)
        assert isinstance(actual[name], weldish.LazyArray), name
        assert values[name].dtype == e.dtype, name
        assert values[name].shape == e.shape, name
        if backend_is_exact() or e.dtype.kind != "f":
            npt.assert_array_equal(values[name], e, err_msg=name)
        else:  # compiled math: NaN signs and last-place bits are not NumPy's
            assert_within_ulps(values[name], e, ULPS, f" [{name}]")
        # signed zeros too (and the signs of NaNs, on the interpreter: NumPy's own code)
        if e.dtype.kind == "f":
            keep = numpy.ones(e.shape, bool) if backend_is_exact() else ~numpy.isnan(e)
            npt.assert_array_equal(numpy.asarray(numpy.signbit(values[name]))[keep],
                                   numpy.asarray(numpy.signbit(e))[keep], err_msg=name)


@pytest.mark.parametrize("name,fn", [
    ("nanmax all-NaN", lambda xp, x: xp.nanmax(x)),
    ("nanmin all-NaN row", lambda xp, x: xp.nanmin(x, axis=1)),
    ("nanmean all-NaN row", lambda xp, x: xp.nanmean(x, axis=1)),
    ("nanmax all-NaN row keepdims", lambda xp, x: xp.nanmax(x, axis=1, keepdims=True)),
])
def test_all_nan_warns_and_gives_nan(name, fn):
    data = numpy.array([[numpy.nan, numpy.nan], [numpy.nan, numpy.nan]])
    data_rows = numpy.array([[numpy.nan, numpy.nan], [1.0, numpy.nan]])
    src = data if "row" not in name else data_rows
    with pytest.warns(RuntimeWarning):
        expected = fn(numpy, src.copy())
    with pytest.warns(RuntimeWarning):  # at the call or at evaluation, as long as it comes
        got = numpy.asarray(fn(wnp, lz(wnp, src)))
    assert got.dtype == numpy.asarray(expected).dtype
    npt.assert_array_equal(got, expected)


@pytest.mark.parametrize("mode", ["raise", "call"])
def test_errstate_that_traps_floating_point_errors_is_numpys(mode):
    """np.errstate(divide='raise') (or 'call'): NumPy raises FloatingPointError (or calls
    the handler); compiled kernels do not trap, so such an evaluation runs on NumPy's own
    loops (the interp backend), with NumPy's exception and message."""
    seen = []
    kw = {"divide": mode, "call": lambda kind, flag: seen.append(kind)} if mode == "call" \
        else {"divide": mode}
    data = numpy.array([0.0, 1.0, 2.0])
    for xp in (numpy, wnp):
        with numpy.errstate(**{k: v for k, v in kw.items() if k != "call"}):
            old = numpy.seterrcall(kw.get("call"))
            try:
                if mode == "raise":
                    with pytest.raises(FloatingPointError, match="divide by zero"):
                        numpy.asarray(xp.log(lz(xp, data)) * 2)
                else:
                    numpy.asarray(xp.log(lz(xp, data)) * 2)
            finally:
                numpy.seterrcall(old)
    if mode == "call":
        assert len(seen) == 2 and seen[0] == seen[1], seen
    with numpy.errstate(divide="ignore"):   # compiled again
        npt.assert_array_equal(numpy.asarray(wnp.log(lz(wnp, data))), numpy.log(data))


def test_errstate_at_the_call_decides_as_in_numpy():
    """NumPy reacts under the errstate of the op's call: an op recorded inside
    np.errstate(divide='ignore') stays quiet when evaluated outside it."""
    data = numpy.array([0.0, 1.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with numpy.errstate(divide="ignore"):
            y = wnp.log(lz(wnp, data))
        got = numpy.asarray(y)
    npt.assert_array_equal(got, [-numpy.inf, 0.0])
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], caught

"""Every elementwise ufunc, reduction and scan of the OPS table against eager NumPy.

Each case runs ``getattr(numpy, name)(*arrays)`` and ``getattr(weldish.numpy, name)(*lazy)``
on the same data and compares with ``weldish.testing.check_call``: the traced dtype and
shape, the value (NaN == NaN, sign of zeros) and, where NumPy raises, the exception type
(at the call for errors that do not depend on the data). The backend is the configured
default (``interp`` unless ``WELDISH_BACKEND`` says otherwise).
"""
from __future__ import annotations

import numpy as np
import pytest

import weldish
import weldish.numpy as wnp
from weldish.ir.ops import (BINARY_UFUNCS, OPS, REDUCTIONS, SCANS, UNARY_UFUNCS, Op)
from weldish.testing import (DTYPE_NAMES, Raised, assert_same, check_call, outcome, quiet,
                             sample)

NAN = float("nan")

# The ufunc ops of the table, read from the table itself (a new row is picked up here).
UFUNC_NAMES = sorted(str(op) for op, d in OPS.items()
                     if d.kind == "elementwise" and isinstance(d.fn, np.ufunc))
UNARY = [n for n in UFUNC_NAMES if OPS[Op[n.upper()]].fn.nin == 1]
BINARY = [n for n in UFUNC_NAMES if OPS[Op[n.upper()]].fn.nin == 2]


def test_table_lists_match_module_lists():
    assert set(UNARY) == set(UNARY_UFUNCS)
    assert set(BINARY) == set(BINARY_UFUNCS)


def lazy(a):
    return wnp.asarray(a)


def operand_cases(dtype, nin):
    """(label, numpy operands, weldish operands): 0-d, empty, 1-d, broadcast, strided,
    sliced (lazily and as a NumPy view), transposed (lazily and as a NumPy view)."""
    def mk(shape, k):
        return sample(dtype, shape, seed=k, special=True)

    cases = []
    for label, shapes in (("0d", [()] * 2), ("empty", [(0,)] * 2), ("1d", [(7,)] * 2),
                          ("bcast", [(3, 1), (1, 4)]), ("0d-bcast", [(7,), ()]),
                          ("empty-bcast", [(0, 1), (1, 4)])):
        arrs = [mk(s, k) for k, s in enumerate(shapes[:nin])]
        cases.append((label, arrs, [lazy(a) for a in arrs]))
    bases = [mk((6, 8), k) for k in range(nin)]
    views = [b[::2, 1::3] for b in bases]
    cases.append(("strided-input", views, [lazy(v) for v in views]))
    cases.append(("lazy-slice", views, [lazy(b)[::2, 1::3] for b in bases]))
    cases.append(("lazy-negative-step", [b[::-1, 5:1:-2] for b in bases],
                  [lazy(b)[::-1, 5:1:-2] for b in bases]))
    tbases = [mk((4, 3), k) for k in range(nin)]
    second = [mk((3, 4), 10 + k) for k in range(1, nin)]
    cases.append(("transposed-input", [tbases[0].T] + second,
                  [lazy(tbases[0].T)] + [lazy(s) for s in second]))
    cases.append(("lazy-transpose", [tbases[0].T] + second,
                  [lazy(tbases[0]).T] + [lazy(s) for s in second]))
    return cases


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_ufunc(name, dtype):
    for label, np_args, wl_args in operand_cases(dtype, 1):
        check_call(getattr(np, name), getattr(wnp, name), np_args, wl_args,
                   context=f"{name}({dtype}) {label}")


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
@pytest.mark.parametrize("name", BINARY)
def test_binary_ufunc(name, dtype):
    for label, np_args, wl_args in operand_cases(dtype, 2):
        check_call(getattr(np, name), getattr(wnp, name), np_args, wl_args,
                   context=f"{name}({dtype}, {dtype}) {label}")


@pytest.mark.parametrize("name", BINARY)
def test_binary_ufunc_mixed_dtypes(name):
    """Every pair of dtypes (promotion, and NumPy's TypeError for unsupported pairs)."""
    for d1 in DTYPE_NAMES:
        for d2 in DTYPE_NAMES:
            a, b = sample(d1, (2, 3), 1, special=True), sample(d2, (3,), 2, special=True)
            check_call(getattr(np, name), getattr(wnp, name), [a, b], [lazy(a), lazy(b)],
                       context=f"{name}({d1}[2,3], {d2}[3])")


# --- scalar operands (NEP 50: Python scalars are weak, NumPy scalars are strong) -----------
SCALARS = [
    pytest.param(2, id="int2"), pytest.param(-1, id="int-1"), pytest.param(0, id="int0"),
    pytest.param(1, id="int1"), pytest.param(300, id="int300"),
    pytest.param(2**63, id="int2**63"), pytest.param(2.5, id="float2.5"),
    pytest.param(1.0, id="float1.0"), pytest.param(0.0, id="float0.0"),
    pytest.param(-0.0, id="float-0.0"), pytest.param(NAN, id="nan"),
    pytest.param(-NAN, id="-nan"), pytest.param(float("inf"), id="inf"),
    pytest.param(-float("inf"), id="-inf"),
    pytest.param(True, id="True"), pytest.param(False, id="False"),
    pytest.param(np.float32(2), id="np.float32(2)"), pytest.param(np.int64(3), id="np.int64(3)"),
    pytest.param(np.uint8(200), id="np.uint8(200)"), pytest.param(np.int8(-1), id="np.int8(-1)"),
    pytest.param(np.float64(-0.0), id="np.float64(-0.0)"),
    pytest.param(np.bool_(True), id="np.True_"),
]

def _scalar_params():
    for name in BINARY:
        for p in SCALARS:
            yield pytest.param(name, p.values[0], id=f"{name}-{p.id}")


@pytest.mark.parametrize("name,scalar", list(_scalar_params()))
def test_binary_ufunc_scalar_operand(name, scalar):
    fn, wfn = getattr(np, name), getattr(wnp, name)
    for dtype in DTYPE_NAMES:
        # 0-d operands (strong, like any array) for a few dtypes; 1-d for all
        shapes = ((7,), ()) if dtype in ("bool", "int8", "uint64", "float32") else ((7,),)
        for shape in shapes:
            a = sample(dtype, shape, 3, special=True)
            check_call(fn, wfn, [a, scalar], [lazy(a), scalar],
                       context=f"{name}({dtype}{list(shape)}, {scalar!r})")
            check_call(fn, wfn, [scalar, a], [scalar, lazy(a)],
                       context=f"{name}({scalar!r}, {dtype}{list(shape)})")


@pytest.mark.parametrize("make,expected_dtype", [
    (lambda xp, a: xp.multiply(a["f32"], 2.0), "float32"),
    (lambda xp, a: a["f32"] * 2.0, "float32"),
    (lambda xp, a: 2.0 * a["f32"], "float32"),
    (lambda xp, a: a["f32"] * 2, "float32"),
    (lambda xp, a: a["f32"] + 2**100, "float32"),
    (lambda xp, a: a["f32"] * np.float64(2.0), "float64"),
    (lambda xp, a: a["f32"] + np.float32(2), "float32"),
    (lambda xp, a: np.float32(2) + a["f32"], "float32"),
    (lambda xp, a: a["f32_0d"] * 2.0, "float32"),
    (lambda xp, a: a["f32_0d"] * a["f64"], "float64"),
    (lambda xp, a: a["i8"] + 1, "int8"),
    (lambda xp, a: a["i8"] + 127, "int8"),
    (lambda xp, a: a["i8"] + 1.5, "float64"),
    (lambda xp, a: a["i8"] + np.int64(3), "int64"),
    (lambda xp, a: a["i8"] / 2, "float64"),
    (lambda xp, a: a["i8"] // 2, "int8"),
    (lambda xp, a: a["u8"] + 255, "uint8"),
    (lambda xp, a: a["u8"] * True, "uint8"),
    (lambda xp, a: a["b"] + True, "bool"),
    (lambda xp, a: a["b"] + 1, "int64"),
    (lambda xp, a: a["b"] * 1.0, "float64"),
    (lambda xp, a: a["u64"] + 1, "uint64"),
    (lambda xp, a: xp.maximum(a["i16"], 2.5), "float64"),
    (lambda xp, a: xp.left_shift(a["u8"], 3), "uint8"),
    (lambda xp, a: xp.where(a["b"], a["u8"], 7), "uint8"),
    (lambda xp, a: xp.where(a["b"], a["f32"], 0.5), "float32"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_nep50_promotion(make, expected_dtype):
    arrays = {"f32": sample("float32", (5,), 0), "f64": sample("float64", (5,), 1),
              "f32_0d": sample("float32", (), 2), "i8": sample("int8", (5,), 3),
              "i16": sample("int16", (5,), 4), "u8": sample("uint8", (5,), 5),
              "u64": sample("uint64", (5,), 6), "b": sample("bool", (5,), 7)}
    lazies = {k: lazy(v) for k, v in arrays.items()}
    with quiet():
        expected = make(np, arrays)
    assert np.asarray(expected).dtype == np.dtype(expected_dtype)  # the premise
    got = check_call(lambda: make(np, arrays), lambda: make(wnp, lazies), [], [])
    assert np.asarray(got).dtype == np.dtype(expected_dtype)


@pytest.mark.parametrize("make,exc", [
    (lambda xp, a: a["u8"] + 300, OverflowError),
    (lambda xp, a: xp.add(a["u8"], -1), OverflowError),
    (lambda xp, a: a["i8"] * 128, OverflowError),
    (lambda xp, a: 2**63 + a["i64"], OverflowError),
    (lambda xp, a: a["u64"] - (-1), OverflowError),
    (lambda xp, a: a["i8"] + 2**100, OverflowError),
    (lambda xp, a: a["i8"] ** -1, ValueError),
    (lambda xp, a: xp.power(a["u8"], -2), (ValueError, OverflowError)),
    (lambda xp, a: xp.invert(a["f64"]), TypeError),
    (lambda xp, a: xp.bitwise_and(a["f64"], 1), TypeError),
    (lambda xp, a: xp.left_shift(a["i8"], 1.0), TypeError),
    (lambda xp, a: xp.gcd(a["f64"], a["f64"]), TypeError),
    (lambda xp, a: -a["b"], TypeError),
    (lambda xp, a: xp.subtract(a["b"], a["b"]), TypeError),
    (lambda xp, a: a["f64"] + a["f64_3"], ValueError),  # broadcast mismatch
    (lambda xp, a: xp.add(a["f64"]), TypeError),  # wrong arity
])
def test_errors_raised_at_call(make, exc):
    """NumPy's exception type, raised by the weldish call itself (before evaluation)."""
    arrays = {"u8": sample("uint8", (5,), 0), "i8": sample("int8", (5,), 1),
              "i64": sample("int64", (5,), 2), "u64": sample("uint64", (5,), 3),
              "f64": sample("float64", (5,), 4), "f64_3": sample("float64", (3,), 5),
              "b": sample("bool", (5,), 6)}
    lazies = {k: lazy(v) for k, v in arrays.items()}
    with pytest.raises(exc), quiet():
        make(np, arrays)
    with pytest.raises(exc), quiet():
        make(wnp, lazies)  # no evaluation trigger here: the call itself must raise


def test_negative_numpy_int_exponent_raises_at_call_after_positive_one():
    """The dtype probe's cache must not hide a value-dependent error of a NumPy scalar."""
    a = sample("int8", (4,), 0)
    with pytest.raises(ValueError):
        np.power(a, np.int8(-1))
    x = lazy(a)
    wnp.power(x, np.int8(2))  # same dtypes, cached
    with pytest.raises(ValueError):
        wnp.power(x, np.int8(-1))  # NumPy raises at the call


def test_nan_constants_of_both_signs_alive_together():
    """-NaN and +NaN constants must not be one hash-consed node (copysign sees the sign)."""
    a = sample("float64", (5,), 0)
    x = lazy(a)
    pos = wnp.copysign(x, NAN)
    neg = wnp.copysign(x, -NAN)
    assert_same(pos, np.copysign(a, NAN))
    assert_same(neg, np.copysign(a, -NAN))


def test_folded_negative_nan_keeps_its_sign():
    """Constant folding of -(NaN) must not return a shared +NaN constant."""
    a = sample("float64", (5,), 0)
    nan64 = np.float64(NAN)
    got = wnp.copysign(lazy(a), wnp.negative(nan64))
    assert_same(got, np.copysign(a, np.negative(nan64)))


def test_numpy_functions_on_lazy_arrays_stay_lazy():
    """Real NumPy ufuncs/functions called on lazy arrays dispatch to weldish."""
    a = sample("float32", (3, 4), 0, special=True)
    x = lazy(a)
    for fn, kwargs in ((np.sin, {}), (np.add, {}), (np.sum, {"axis": 0}),
                       (np.nanmax, {"axis": -1}), (np.cumsum, {"axis": 1}),
                       (np.mean, {"keepdims": True})):
        args = (a, a) if fn is np.add else (a,)
        wargs = (x, a) if fn is np.add else (x,)
        check_call(fn, fn, args, wargs, kwargs, context=fn.__name__)


@pytest.mark.parametrize("method,kwargs", [
    ("sum", {"axis": 0}), ("max", {"keepdims": True}), ("std", {"ddof": 1}),
    ("argmin", {"axis": -1}), ("cumprod", {}), ("any", {"axis": 1}),
    ("mean", {"dtype": "float32"}),
])
def test_reduction_methods(method, kwargs):
    a = sample("float64", (3, 4), 1, special=True)
    check_call(lambda v, **k: getattr(v, method)(**k), lambda v, **k: getattr(v, method)(**k),
               [a], [lazy(a)], kwargs, context=method)


# --- reductions and scans -------------------------------------------------------------------
WITH_DTYPE = {"sum", "prod", "mean", "var", "std", "nansum", "nanprod", "nanmean", "nanvar",
              "nanstd"}
WITH_DDOF = {"var", "std", "nanvar", "nanstd"}
REDUCE_SHAPES = [(), (0,), (7,), (3, 4), (0, 3), (2, 3, 4)]  # 2-D ones also transposed
AXES = [None, 0, -1, (0, 1)]


def _reduction_kwargs(name, dtype):
    for axis in AXES:
        yield {"axis": axis}
        yield {"axis": axis, "keepdims": True}
        if name in WITH_DTYPE:
            yield {"axis": axis, "dtype": "float32" if np.dtype(dtype).kind == "f" else "int16"}
        if name in WITH_DDOF:
            yield {"axis": axis, "ddof": 1, "keepdims": True}


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction(name, dtype):
    fn, wfn = getattr(np, name), getattr(wnp, name)
    for shape in REDUCE_SHAPES:
        a = sample(dtype, shape, 4, special=True)
        for kwargs in _reduction_kwargs(name, dtype):
            # NumPy takes axis 0/-1 on a 0-d array; weldish answers through a (correct,
            # recorded) fallback there, so only the value is compared.
            lazy_only = not (shape == () and kwargs["axis"] is not None)
            ctx = f"{name}({dtype}{list(shape)}, {kwargs})"
            check_call(fn, wfn, [a], [lazy(a)], kwargs, context=ctx, require_lazy=lazy_only,
                       scale=_magnitude(name, a, kwargs))
            if len(shape) == 2:
                check_call(fn, wfn, [a.T], [lazy(a).T], kwargs, context=ctx + " transposed",
                           scale=_magnitude(name, a.T, kwargs))


SUMMING = ("sum", "mean", "nansum", "nanmean")


def _magnitude(name, a, kwargs):
    """For sums: the sum of the terms' magnitudes, the scale of the rounding errors a sum
    in another order makes (vector lanes, thread chunks; NumPy's own is pairwise). The
    mean of integers is a float64 sum too."""
    if name not in SUMMING or (np.dtype(a.dtype).kind != "f" and
                               name not in ("mean", "nanmean")):
        return None
    with quiet():
        m = outcome(np.sum, np.abs(np.nan_to_num(np.asarray(a, dtype=np.float64))),
                    axis=kwargs["axis"], keepdims=kwargs.get("keepdims", False))
    return None if isinstance(m, Raised) else m


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
@pytest.mark.parametrize("name", SCANS)
def test_scan(name, dtype):
    fn, wfn = getattr(np, name), getattr(wnp, name)
    for shape in REDUCE_SHAPES:
        a = sample(dtype, shape, 5, special=True)
        for axis in (None, 0, -1, 1):
            for extra in ({}, {"dtype": "float64"}, {"dtype": "int32"}):
                kwargs = {"axis": axis, **extra}
                ctx = f"{name}({dtype}{list(shape)}, {kwargs})"
                check_call(fn, wfn, [a], [lazy(a)], kwargs, context=ctx,
                           require_lazy=not (shape == () and axis is not None))
                if len(shape) == 2:
                    check_call(fn, wfn, [a[:, ::-2]], [lazy(a)[:, ::-2]], kwargs,
                               context=ctx + " strided")


@pytest.mark.parametrize("name", ["min", "max", "argmin", "argmax", "nanmin", "nanmax",
                                  "nanargmin", "nanargmax"])
def test_empty_reduction_without_identity_raises_at_call(name):
    for shape, axis in (((0,), None), ((0, 3), 0), ((3, 0), -1), ((0, 3), None)):
        a = np.zeros(shape)
        with pytest.raises(ValueError):
            getattr(np, name)(a, axis=axis)
        with pytest.raises(ValueError):
            getattr(wnp, name)(lazy(a), axis=axis)
    # Reducing only the non-empty axis is fine in both.
    a = np.zeros((0, 3))
    check_call(getattr(np, name), getattr(wnp, name), [a], [lazy(a)], {"axis": 1})


def test_reductions_with_nans():
    a = np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN], [-0.0, 0.0, -1.0]])
    for name in ("sum", "min", "max", "argmin", "argmax", "mean", "nansum", "nanmin",
                 "nanmax", "nanmean", "nanvar", "nanstd", "nanprod"):
        for axis in (None, 0, 1):
            check_call(getattr(np, name), getattr(wnp, name), [a], [lazy(a)],
                       {"axis": axis}, context=f"{name} axis={axis}")


def test_all_nan_nanargmin_raises():
    a = np.array([NAN, NAN])
    with pytest.raises(ValueError):
        np.nanargmin(a)
    with pytest.raises(ValueError), quiet():
        np.asarray(wnp.nanargmin(lazy(a)))  # data-dependent: at the latest at evaluation


def test_bad_axis_raises_numpy_error():
    a = np.zeros((2, 3))
    for name, axis in (("sum", 2), ("mean", -3), ("argmax", 5), ("cumsum", 2),
                       ("argmin", (0, 1)), ("max", (0, 0))):
        expected = outcome(getattr(np, name), a, axis=axis)
        assert isinstance(expected, Raised)
        with pytest.raises(expected.type):
            getattr(wnp, name)(lazy(a), axis=axis)


def test_evaluation_together_matches_one_by_one():
    a = sample("float64", (4, 5), 0, special=True)
    x = lazy(a)
    y = wnp.sin(x) * 2.0
    # (y + 3, not y - 1: near sin(x) = 0.5 a last-bit difference of compiled sin would
    # grow by the cancellation, which is the math's, not the evaluation's)
    outs = [wnp.sum(y, axis=0), wnp.nanmax(y), y + 3, wnp.cumsum(y, axis=1)]
    with quiet():
        values = weldish.evaluate(*outs)
        alone = [weldish.evaluate(o) for o in
                 (wnp.sum(y, axis=0), wnp.nanmax(y), y + 3, wnp.cumsum(y, axis=1))]
        y_np = np.sin(a) * 2.0
        expected = [np.sum(y_np, axis=0), np.nanmax(y_np), y_np + 3, np.cumsum(y_np, axis=1)]
        sum_scale = np.sum(np.abs(np.nan_to_num(y_np)), axis=0)
    for v, one, e, scale in zip(values, alone, expected, [sum_scale, None, None, None]):
        assert_same(v, e, scale=scale)    # together (shared work done once) ...
        assert_same(one, e, scale=scale)  # ... and one by one (fused differently)


# --- the elementwise rows that are not ufuncs (where, clip, round, astype, copy) ------------
@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_non_ufunc_elementwise(dtype):
    a, b = sample(dtype, (3, 4), 0, special=True), sample(dtype, (4,), 1, special=True)
    la, lb = lazy(a), lazy(b)
    cond, lcond = (a, la) if dtype == "bool" else (a > 0, la > 0)
    for decimals in (0, 1, -1):
        check_call(np.round, wnp.round, [a], [la], {"decimals": decimals},
                   context=f"round({dtype}, {decimals})")
    for lo, hi in ((-1, 2), (0.5, 2.5), (np.int8(-1), 3), (None, 2), (1, None), (300, 400),
                   (np.float32(-1), np.float32(1))):
        check_call(np.clip, wnp.clip, [a, lo, hi], [la, lo, hi], context=f"clip({lo!r}, {hi!r})")
    check_call(np.clip, wnp.clip, [a, b, 5], [la, lb, 5], context="clip(array bound)")
    for other in DTYPE_NAMES:
        check_call(lambda x: x.astype(other), lambda x: x.astype(other), [a.T], [la.T],
                   context=f"astype({dtype} -> {other})")
        c = sample(other, (4,), 2, special=True)
        check_call(np.where, wnp.where, [cond, a, c], [lcond, la, lazy(c)],
                   context=f"where({dtype}, {other})")
    for s in (1, 2.5, True, 300, -1, NAN, np.float32(1), np.int64(-2)):
        check_call(np.where, wnp.where, [cond, a, s], [lcond, la, s], context=f"where(x, {s!r})")
        check_call(np.where, wnp.where, [cond, s, a], [lcond, s, la], context=f"where({s!r}, x)")
    check_call(np.copy, wnp.copy, [a[::-1]], [la[::-1]], context="copy")


def test_moments_with_large_ddof():
    a = sample("float64", (3, 4), 0, special=False)
    for name in ("var", "std", "nanvar", "nanstd"):
        for ddof in (3, 4, 5):
            for axis in (None, 0, 1):
                check_call(getattr(np, name), getattr(wnp, name), [a], [lazy(a)],
                           {"ddof": ddof, "axis": axis}, context=f"{name} ddof={ddof}")

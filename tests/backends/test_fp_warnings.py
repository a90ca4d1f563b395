"""NumPy's floating-point warnings ("divide by zero encountered in log", ...) from
compiled kernels: the OPS table's ``fpe`` column checked against NumPy itself, then the
warnings weldish issues (each backend: conftest) compared with NumPy's, under the default
errstate, under 'ignore', per kind, for fused expressions, where-branches and masks."""
import itertools
import warnings

import numpy as np
import pytest
from weldish.ir.ops import FPE_KINDS, FPE_MESSAGES, FPE_PROPAGATES, OPS, Op, fpe_raised

import weldish
import weldish.numpy as wnp
from weldish import backends

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 3.0, 1e308, -1e308, 1e-310, np.inf, -np.inf, np.nan,
           710.0, 3e38, 1e-40]
FLOATS = ("float32", "float64")
needs_llvm = pytest.mark.skipif("llvm" not in backends.available(), reason="no llvmlite")


def _record(fn):
    """(value, [(category, message), ...]) of ``fn()``, every warning recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn()
    return value, [(w.category, str(w.message)) for w in caught]


def _kinds(messages):
    return {kind for kind in FPE_KINDS for _, m in messages
            if m.startswith(FPE_MESSAGES[kind] + " encountered")}


def _float_ufunc_ops():
    """Ops with a float LLVM lowering whose NumPy function is a ufunc with a float result."""
    for op, d in OPS.items():
        if d.kind != "elementwise" or not isinstance(d.fn, np.ufunc) or d.llvm is None or \
                not any("f" in kinds for kinds in d.llvm):
            continue
        yield op




@pytest.mark.parametrize("op", list(_float_ufunc_ops()), ids=str)
def test_fpe_column_is_numpy(op, backend):
    """At each pair of special values, the kinds NumPy warns of are the ones the column's
    conditions give (ops without an entry never warn)."""
    if backend != "interp":
        pytest.skip("a property of the OPS table (checked once)")
    fn, entry = OPS[op].fn, OPS[op].fpe or {}
    with np.errstate(all="ignore"):
        probe = fn.resolve_dtypes((np.dtype(np.float64), np.dtype(np.int64))[:fn.nin] +
                                  (None,)) if op is Op.LDEXP else None
    for dt in FLOATS:
        condition = next((c for kinds, c in entry.items() if "f" in kinds), {})
        for values in itertools.product(SPECIAL, repeat=fn.nin):
            with np.errstate(all="ignore"):
                args = [np.array([v], dt) for v in values]
            if probe is not None:   # ldexp(float, int)
                args[1] = np.array([int(np.clip(np.nan_to_num(values[1]), -5000, 5000))])
            with np.errstate(all="warn", under="ignore"):
                result, messages = _record(lambda args=args: fn(*args))
            if result.dtype.kind != "f":
                assert not messages, (op, dt, values)
                continue
            got = {k for k in FPE_KINDS if k in condition and
                   fpe_raised(condition[k], result, args).any()}
            assert got == _kinds(messages), (str(op), dt, values, result, messages)


def test_propagating_ops_keep_nan_and_inf(backend):
    """FPE_PROPAGATES: a NaN or infinite operand there always gives a NaN or inf result."""
    if backend != "interp":
        pytest.skip("a property of the OPS table (checked once)")
    for name, positions in FPE_PROPAGATES.items():
        fn = (lambda x: x.astype(np.float32)) if name == "astype" else getattr(np, name)
        nin = 1 if name == "astype" else fn.nin
        for dt, k, bad, other in itertools.product(FLOATS, positions, (np.inf, -np.inf,
                                                                     np.nan), SPECIAL):
            with np.errstate(all="ignore"):
                args = [np.array([other], dt) for _ in range(nin)]
                args[k] = np.array([bad], dt)
                assert not np.isfinite(fn(*args)).any(), (name, k, bad, other)


def _same_warnings(make, *arrays, exact_order=True):
    """weldish's value and warnings of ``make(xp, *arrays)`` are NumPy's."""
    expected, want = _record(lambda: make(np, *arrays))
    got, have = _record(lambda: weldish.evaluate(make(wnp, *map(wnp.asarray, arrays))))
    # compiled math may differ from NumPy's by an ulp
    tol = 1e-5 if got.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
    if exact_order:
        assert have == want
    else:
        assert sorted(have, key=str) == sorted(want, key=str)
    return have


UNARY = {
    "log": ([0.0, -1.0, 2.0, np.nan, np.inf], [1.0, 2.0]),
    "log2": ([0.0, -1.0], [4.0]),
    "log10": ([0.0, -np.inf], [10.0]),
    "log1p": ([-1.0, -2.0], [0.5]),
    "sqrt": ([-1.0, 4.0, np.nan], [4.0, 0.0]),
    "exp": ([1000.0, 1.0, -1000.0], [1.0, -1000.0]),
    "expm1": ([1000.0], [1.0]),
    "sinh": ([1000.0], [1.0]),
    "sin": ([np.inf, 1.0], [1.0]),
    "arccos": ([2.0], [0.5]),
    "arctanh": ([1.0, -1.0, 2.0], [0.5]),
    "reciprocal": ([0.0, 1e-310, 2.0], [2.0]),
    "square": ([1e200, 1e20, 2.0], [2.0]),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, dtype):
    bad, clean = UNARY[name]
    assert _bad_and_clean(lambda xp, x: getattr(xp, name)(x), [bad], [clean], dtype)


def _bad_and_clean(fn, bad, clean, dtype):
    """NumPy's values and warnings for inputs that raise and inputs that do not (none);
    returns the first ones' warnings."""
    with np.errstate(all="ignore"):
        bad, clean = [np.array(b, dtype) for b in bad], [np.array(c, dtype) for c in clean]
    warned = _same_warnings(fn, *bad)
    assert _same_warnings(fn, *clean) == []
    return warned


BINARY = {
    "add": ([np.inf, 1e308, 1.0], [-np.inf, 1e308, np.nan]),
    "subtract": ([np.inf, -1e308], [np.inf, 1e308]),
    "multiply": ([0.0, 1e200, np.nan], [np.inf, 1e200, 0.0]),
    "divide": ([1.0, 0.0, -1.0, 1e308, np.nan], [0.0, 0.0, 0.0, 1e-10, 0.0]),
    "floor_divide": ([1.0, 0.0, 1e308, 5.0], [0.0, 0.0, 1e-10, 2.0]),
    "remainder": ([1.0, np.inf, 5.0], [0.0, 2.0, 3.0]),
    "fmod": ([1.0, np.inf], [0.0, 1.0]),
    "power": ([0.0, 10.0, -8.0, 2.0], [-1.0, 400.0, 0.5, 3.0]),
    "arctan2": ([np.nan, 1.0], [1.0, 0.0]),
    "hypot": ([1e308, 3.0], [1e308, 4.0]),
    "maximum": ([np.nan, 1.0], [1.0, np.nan]),
    "logaddexp": ([1e308, np.nan, 1.0], [-1e308, 1.0, 2.0]),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name, dtype):
    warned = _bad_and_clean(lambda xp, x, y: getattr(xp, name)(x, y), BINARY[name],
                            [np.ones(3), np.full(3, 2.0)], dtype)
    assert bool(warned) == (name not in QUIET_IN_NUMPY)


QUIET_IN_NUMPY = {"arctan2", "hypot", "maximum"}   # NaN/inf in, no error flag set


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "uint64"])
def test_integer_division_by_zero(dtype):
    info = np.iinfo(dtype)
    a = np.array([7, 0, info.min, info.max], dtype)
    b = np.array([0, 0, -1 if info.min else 1, 3], dtype)
    for name in ("floor_divide", "remainder", "fmod"):
        have = _same_warnings(lambda xp, x, y, name=name: getattr(xp, name)(x, y), a, b)
        assert ("divide by zero encountered in " + name) in [m for _, m in have]
    # other integer ops never warn for arrays (wrapping silently)
    _same_warnings(lambda xp, x, y: x * y + (-x) - y, a, b)
    # no zero divisor: nothing
    _same_warnings(lambda xp, x, y: x // (y | 1) + x % (y | 1), a, b)


def test_float_narrowing_cast_overflow():
    x = np.array([1e300, -1e300, 1.0, np.inf, np.nan])
    have = _same_warnings(lambda xp, v: v.astype(np.float32), x)
    assert [m for _, m in have] == ["overflow encountered in cast"]
    _same_warnings(lambda xp, v: v.astype(np.float32), np.array([1.0, np.inf, np.nan]))


@pytest.mark.parametrize("state", [dict(all="ignore"), dict(divide="ignore"),
                                   dict(invalid="ignore"), dict(over="ignore"),
                                   dict(divide="ignore", invalid="ignore"),
                                   dict(all="warn"), dict(under="warn")])
def test_errstate_is_honored_at_evaluation(state):
    x = np.array([0.0, -1.0, 1000.0, 2.0, -1000.0])
    fn = lambda xp, v: xp.log(v) + xp.exp(v) * v
    with np.errstate(**state):
        _same_warnings(fn, x)
    lazy = fn(wnp, wnp.asarray(x))   # recorded under the default, evaluated under state
    with np.errstate(**state):
        _, have = _record(lambda: weldish.evaluate(lazy))
        _, want = _record(lambda: fn(np, x))
    assert have == want


def test_errstate_raise():
    x = np.array([0.0, 1.0])
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError, match="divide by zero"):
        weldish.evaluate(wnp.log(wnp.asarray(x)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_fused_expression(dtype):
    x = np.array([0.0, -1.0, 1.0, 4.0, np.nan], dtype)
    y = np.array([4.0, -1.0, 0.0, 1e30, 2.0], dtype)
    have = _same_warnings(lambda xp, a, b: xp.log(a) * xp.sqrt(b), x, y)
    assert len(have) == 3   # log: divide, invalid; sqrt: invalid
    _same_warnings(lambda xp, a, b: (a / b) * (b / a) - xp.exp(b), x, y)
    clean = np.linspace(1, 2, 50, dtype=dtype)
    assert _same_warnings(lambda xp, a, b: xp.log(a) * xp.sqrt(b) / (a + b), clean,
                          clean[::-1]) == []


def test_where_warns_from_both_branches():
    x = np.array([0.0, 1.0, -1.0, 4.0])
    have = _same_warnings(lambda xp, v: xp.where(v > 0, xp.log(v), xp.sqrt(v)), x)
    assert {m for _, m in have} == {"divide by zero encountered in log",
                                   "invalid value encountered in log",
                                   "invalid value encountered in sqrt"}


def test_after_a_mask_only_the_selected_elements(backend):
    if backend == "interp":
        pytest.skip("the interpreter computes f(x)[mask] for f(x[mask]) (ir/passes/masks.py):"
                    " NumPy's warnings of the elements not selected too")
    x = np.array([0.0, 1.0, -1.0, 4.0, 9.0])
    _same_warnings(lambda xp, v: xp.log(v[v > 0]), x)            # nothing
    _same_warnings(lambda xp, v: xp.log(v[v >= 0]) * 2.0, x)     # divide only
    _same_warnings(lambda xp, v: xp.sqrt(v[v != 4.0]), x)        # invalid


def test_reductions_of_flagged_values():
    x = np.array([0.0, 1.0, 2.0])
    _same_warnings(lambda xp, v: xp.sum(xp.log(v)), x)
    _same_warnings(lambda xp, v: xp.sum(xp.log(v + 1.0) * 2.0), x)
    big = np.array([1e308, 1e308, 1.0])   # overflow in the elementwise op, then the sum
    _same_warnings(lambda xp, v: xp.sum(v * 10.0, axis=0), big[:2].reshape(2, 1) * 0 + 1.0)


def test_nan_inputs_alone_do_not_warn():
    x = np.array([np.nan, 1.0, np.inf, -np.inf])
    assert _same_warnings(lambda xp, v: xp.exp(v) * 2.0 + xp.sqrt(xp.abs(v)), x,
                          exact_order=False) == []


def test_large_arrays_over_threads():
    x = np.linspace(-1, 1, 200_001)
    x[123_456] = 0.0
    have = _same_warnings(lambda xp, v: xp.log(xp.abs(v)) + 1.0, x)
    assert [m for _, m in have] == ["divide by zero encountered in log"]


def test_warning_points_at_the_user_line(backend):
    if backend == "interp":
        pytest.skip("the interpreter's warnings are NumPy's own (at ir/interpret.py)")
    x = wnp.asarray(np.array([0.0, 1.0]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        weldish.evaluate(wnp.log(x))
    assert caught and all(w.filename == __file__ for w in caught)


@needs_llvm
def test_fast_variant_tests_chain_ends_only():
    """The fast test covers a chain of ops carrying NaN/inf on by one test at its end."""
    from weldish.backends.llvm import lowering
    from weldish.ir.passes import COMPILED, optimize
    llvm = backends.BACKENDS["llvm"]
    x = wnp.asarray(np.ones(10))
    y = wnp.log(x) * 2.0 + wnp.sqrt(x) - 1.0
    (kernel,) = llvm.plan(optimize([y.node], COMPILED)).kernels()
    fpes = lowering.fpe_nodes(kernel)
    direct, tested = lowering.fpe_fast_checks(kernel, fpes)
    assert len(fpes) == 5 and not direct and tested == {kernel.output}


def test_gathered_values_and_the_index_error_share_the_status():
    x = np.array([0.0, 1.0, -1.0, 4.0])
    have = _same_warnings(lambda xp, v, i: xp.log(v[i]) + 1.0, x, np.array([0, 1, -1, 3]))
    assert [m for _, m in have] == ["divide by zero encountered in log"]
    with pytest.raises(IndexError):
        weldish.evaluate(wnp.log(wnp.asarray(x)[wnp.asarray(np.array([0, 9]))]))


def test_concatenated_pieces():
    a, b = np.array([1.0, 0.0]), np.array([-1.0, 2.0, 3.0])
    _same_warnings(lambda xp, u, v: xp.log(xp.concatenate([u, v])) * 2.0, a, b)


def test_a_false_alarm_of_the_fast_test_warns_nothing():
    """The fast test sums the values it tests (an overflow of that sum is a false alarm):
    the exact variant then finds no error."""
    x = np.array([5e307, 1.0, -5e307])
    assert _same_warnings(lambda xp, v: xp.where(v > 0, v * 3.0, v * 2.0), x) == []


@pytest.mark.parametrize("axis", [0, 1, None])
def test_sums_along_each_axis(axis):
    x = np.array([[1.0, 2.0, 3.0], [4.0, 0.0, 6.0]])
    _same_warnings(lambda xp, v: xp.sum(xp.log(v) * 2.0, axis=axis), x)
    _same_warnings(lambda xp, v: xp.sum(xp.log(v + 1.0) * 2.0, axis=axis), x)

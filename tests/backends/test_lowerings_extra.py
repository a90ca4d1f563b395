"""Edge cases of the ops lowered for the LLVM backend late (gcd, lcm, bitwise_count,
spacing, logaddexp2, ldexp, round) and of the reductions decomposed in the IR (mean, var,
std, nansum, nanprod, and the nan* forms of integer inputs).

Every test runs once per backend (tests/backends/conftest.py). Elementwise results are
compared bit for bit on every backend (these lowerings are exact: integer arithmetic,
bit manipulation, correctly rounded IEEE operations, libm's exact ``ldexp``); only
``logaddexp2`` (libm's exp2/log1p) and the reductions (summation order) get the compiled
backends' tolerance. ``test_*_compiles`` check that the llvm plan really runs them in
kernels, not on the interpreter.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import weldish.numpy as wnp
from weldish import backends
from weldish.ir import build
from weldish.ir.interpret import interpret
from weldish.ir.ops import OPS, Op
from weldish.ir.passes import optimize
from weldish.ir.passes.fuse import Kernel
from weldish.testing import (DTYPE_NAMES, INT_DTYPES, assert_same, backend_is_exact,
                             check_call, quiet, sample)

NAN, INF = float("nan"), float("inf")


def only_llvm(backend):
    """Plan-structure checks: once, on the llvm run (they do not depend on the backend)."""
    if backend != "llvm":
        pytest.skip("checks the llvm plan: run once, with the llvm backend")


def lazy(a):
    return wnp.asarray(a)


def assert_bits(got, expected, context=""):
    """Exactly NumPy's: dtype, shape, every value, NaN positions and signs of zeros."""
    exp = np.asarray(expected)
    with quiet():
        act = np.asarray(got)
    assert act.dtype == exp.dtype, f"{act.dtype} != {exp.dtype} [{context}]"
    assert act.shape == exp.shape, f"{act.shape} != {exp.shape} [{context}]"
    np.testing.assert_array_equal(act, exp, err_msg=context, strict=True)
    if exp.dtype.kind == "f":
        zero = exp == 0
        assert np.array_equal(np.signbit(act)[zero], np.signbit(exp)[zero]), \
            f"sign of zero differs [{context}]"


def interpreted_ops(*lazies):
    """Computational ops (not views or leaves) the llvm plan of ``lazies`` leaves to the
    interpreter."""
    plan = backends.BACKENDS["llvm"].plan(optimize([x.node for x in lazies]))
    return {str(s.op) for s in plan.steps
            if not isinstance(s, Kernel) and OPS[s.op].kind in ("elementwise", "reduce",
                                                                "scan")}


def int_edges(dtype):
    info = np.iinfo(dtype)
    vals = [0, 1, 2, 3, 4, 6, 7, 9, 12, 15, 18, 100, info.max, info.max - 1, info.max // 2]
    if info.min < 0:
        vals += [-1, -2, -4, -6, -9, -12, -100, info.min, info.min + 1, info.min // 2]
    return np.array(vals, dtype=dtype)


def float_edges(dtype):
    fi = np.finfo(dtype)
    vals = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 1.5, 2.5, -2.5, 0.125, 1.005, 3.14159, -7.75,
            1e3, 123456.789, 1e-5, 1e10, 1e30, -1e30, INF, -INF, NAN,
            fi.max, -fi.max, fi.tiny, -fi.tiny, fi.smallest_subnormal,
            -fi.smallest_subnormal, fi.eps]
    if dtype == np.float64:
        vals += [1e300, -1e300, 1e-300, 4.5e15, 2.0**52 + 0.5, 2.0**53]
    with quiet():
        return np.array(vals, dtype=dtype)


# --- what the llvm backend compiles -------------------------------------------------------
def test_new_elementwise_lowerings_compile(backend):
    only_llvm(backend)
    f64, f32 = lazy(float_edges(np.float64)), lazy(float_edges(np.float32))
    i64, i8 = lazy(int_edges(np.int64)), lazy(int_edges(np.int8))
    u32 = lazy(int_edges(np.uint32))
    exprs = [wnp.gcd(i64, i64[::-1]), wnp.lcm(i8, i8[::-1]), wnp.bitwise_count(i64),
             wnp.bitwise_count(u32), wnp.spacing(f64), wnp.spacing(f32),
             wnp.logaddexp2(f64, f64[::-1]), wnp.logaddexp2(f32, 1.5),
             wnp.ldexp(f64, i64[:1]), wnp.ldexp(f32, i8[:1]), wnp.ldexp(f64, 3),
             wnp.ldexp(f32, u32[:1]),
             wnp.round(f64, 3), wnp.round(f32, -2), wnp.round(f64), wnp.round(i64, 2)]
    for k, e in enumerate(exprs):
        assert interpreted_ops(e) == set(), k
    # integers rounded to tens: the float part compiles, NumPy's float -> int cast does not
    assert interpreted_ops(wnp.round(i64, -1)) <= {"astype"}


@pytest.mark.parametrize("name", ["mean", "var", "std", "nansum", "nanprod", "nanmean",
                                  "nanvar", "nanstd"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "uint8", "bool"])
def test_decomposed_reductions_compile(name, dtype, backend):
    only_llvm(backend)
    x = lazy(sample(dtype, (3, 4, 5), 0))
    kwargs = {"axis": (0, 2), "keepdims": True}
    if name in ("var", "std", "nanvar", "nanstd"):
        kwargs["ddof"] = 1
    r = getattr(wnp, name)(x, **kwargs)
    # float nanmean/nanvar/nanstd too: NumPy's all-NaN warnings go through a one-element
    # reduction, compiled with its check (see ir/ops.py single_element)
    assert interpreted_ops(r) == set()


def test_empty_mean_is_not_decomposed(backend):
    only_llvm(backend)
    """NumPy warns 'Mean of empty slice' for an empty mean: the interpreter keeps it."""
    x = lazy(np.zeros((0, 3)))
    assert interpreted_ops(wnp.mean(x, axis=0)) == {"mean"}
    assert interpreted_ops(wnp.mean(x, axis=1)) == set()   # 3 items per (empty) row: fine
    assert interpreted_ops(wnp.var(lazy(np.ones(3)), ddof=3)) == {"var"}
    # a float64 mean of 64-bit integers: a float64 sum (another order than NumPy's)
    assert interpreted_ops(wnp.mean(lazy(np.arange(5)))) == set()
    assert interpreted_ops(wnp.var(lazy(np.arange(5)))) == set()


def test_float_sum_into_integer_accumulator_is_not_compiled(backend):
    """NumPy's float -> int cast of each element is platform-defined out of range: such a
    reduction runs on the interpreter (it used to fail to compile, with a warning)."""
    a = sample("float64", (4, 5), 3) * 10
    for name in ("sum", "nansum", "prod", "nanprod"):
        check_call(getattr(np, name), getattr(wnp, name), [a], [lazy(a)],
                   {"axis": 1, "dtype": "int16"}, context=name)
        r = getattr(wnp, name)(lazy(a), axis=1, dtype="int16")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            np.asarray(r)
        assert not [w for w in caught if "did not compile" in str(w.message)], name


# --- gcd, lcm, bitwise_count --------------------------------------------------------------
@pytest.mark.parametrize("dtype", [d.name for d in INT_DTYPES])
@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_edges(name, dtype):
    v = int_edges(dtype)
    a, b = np.repeat(v, len(v)), np.tile(v, len(v))  # every pair
    fn, wfn = getattr(np, name), getattr(wnp, name)
    with quiet():
        expected = fn(a, b)
    assert_bits(wfn(lazy(a), lazy(b)), expected, f"{name}({dtype})")
    assert_bits(wfn(lazy(a), 6), fn(a, 6), f"{name}({dtype}, 6)")
    assert_bits(wfn(lazy(a[:, None][:5]), lazy(b[::7])), fn(a[:, None][:5], b[::7]),
                f"{name}({dtype}) broadcast")


def test_gcd_lcm_signs_and_wrapping():
    """NumPy's results are |.|-based and wrap: gcd(INT_MIN, 0) is INT_MIN itself."""
    for dt in (np.int8, np.int64):
        lo = np.iinfo(dt).min
        a = np.array([lo, lo, -6, 6, -6, 0, lo, 127, -1], dt)
        b = np.array([0, lo, 4, -4, -4, 0, 3, 126, lo], dt)
        assert_bits(wnp.gcd(lazy(a), lazy(b)), np.gcd(a, b))
        assert_bits(wnp.lcm(lazy(a), lazy(b)), np.lcm(a, b))
    assert np.gcd(np.int8(-128), np.int8(0)) == -128  # the premise


@pytest.mark.parametrize("dtype", ["bool"] + [d.name for d in INT_DTYPES])
def test_bitwise_count(dtype):
    a = sample(dtype, (40,), 1, special=True) if dtype == "bool" else int_edges(dtype)
    got = wnp.bitwise_count(lazy(a))
    assert_bits(got, np.bitwise_count(a), dtype)
    assert np.asarray(got).dtype == np.uint8


# --- spacing, logaddexp2 ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_spacing(dtype):
    x = float_edges(np.dtype(dtype))
    with quiet():
        expected = np.spacing(x)
    assert_bits(wnp.spacing(lazy(x)), expected, dtype)
    # the premises: spacing is one step away from zero, +tiny at both zeros, NaN at inf
    assert expected[0] == expected[1] > 0 and np.isnan(expected[x == INF]).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logaddexp2(dtype):
    x = float_edges(np.dtype(dtype))
    a, b = np.repeat(x, len(x)), np.tile(x, len(x))
    check_call(np.logaddexp2, wnp.logaddexp2, [a, b], [lazy(a), lazy(b)], context=dtype)
    c = sample(dtype, (50,), 3) * 40
    check_call(np.logaddexp2, wnp.logaddexp2, [c, c[::-1]], [lazy(c), lazy(c)[::-1]])


# --- ldexp --------------------------------------------------------------------------------
@pytest.mark.parametrize("fdtype", ["float32", "float64"])
@pytest.mark.parametrize("idtype", ["int8", "int16", "int32", "int64", "uint8", "uint16",
                                    "uint32", "bool"])
def test_ldexp(fdtype, idtype):
    x = float_edges(np.dtype(fdtype))
    if idtype == "bool":
        e = np.array([True, False])
    else:
        info = np.iinfo(idtype)
        e = np.array(sorted(v for v in {0, 1, -1, 2, 10, 127, -126, -149, -150, 1023,
                                        -1022, -1074, -1075, 2000, -2000, 2**31 - 1,
                                        -2**31, 2**31, -2**31 - 1, 2**40, -2**40,
                                        int(info.min), int(info.max)}
                            if info.min <= v <= info.max), dtype=idtype)
    a, b = np.repeat(x, len(e)), np.tile(e, len(x))
    with quiet():
        expected = np.ldexp(a, b)
    assert_bits(wnp.ldexp(lazy(a), lazy(b)), expected, f"ldexp({fdtype}, {idtype})")


@pytest.mark.parametrize("fdtype,udtype", [("float64", "uint64"), ("float32", "uint32")])
def test_ldexp_random_bits_and_subnormal_ties(fdtype, udtype):
    """Every float (random bit patterns: subnormals, inf, NaN) scaled by exponents over
    the whole range, and short mantissas shifted into the subnormal range (halfway
    cases): one rounding, as libm's ldexp."""
    ft, ut = np.dtype(fdtype), np.dtype(udtype)
    fi, nm, rng = np.finfo(ft), np.finfo(ft).nmant, np.random.default_rng(5)
    n = 20_000
    x = rng.integers(0, np.iinfo(ut).max, n, dtype=ut, endpoint=True).view(ft)
    span = 2 * (fi.maxexp - fi.minexp + nm + 5)
    e = rng.integers(-span, span, n)
    e[:50] = rng.integers(-2**40, 2**40, 50)
    with quiet():
        assert_bits(wnp.ldexp(lazy(x), lazy(e)), np.ldexp(x, e), "random bits")
    mant = rng.integers(0, 2**8, n).astype(ut) << ut.type(nm - 8)
    expo = rng.integers(1, 2 * fi.maxexp - 2, n).astype(ut)
    x = ((expo << ut.type(nm)) | mant).view(ft)
    target = rng.integers(fi.minexp - nm - 3, fi.minexp + 2, n)
    e = (target - (expo.astype(np.int64) - (fi.maxexp - 1))).astype(np.int32)
    with quiet():
        assert_bits(wnp.ldexp(lazy(x), lazy(e)), np.ldexp(x, e), "subnormal results")


def test_ldexp_scalars_and_int_mantissas():
    x = float_edges(np.float64)
    for e in (3, -1074, 2**31 - 1, np.int64(2**40), np.int8(-100), True):
        with quiet():
            assert_bits(wnp.ldexp(lazy(x), e), np.ldexp(x, e), repr(e))
    m = int_edges(np.int32)
    assert_bits(wnp.ldexp(lazy(m), lazy(m[::-1] % 64)), np.ldexp(m, m[::-1] % 64))


# --- round --------------------------------------------------------------------------------
DECIMALS = list(range(-25, 26)) + [30, 37, 38, 39, 45, 100, 300, 307, 308, 309, 400, -308,
                                   -309, -330]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_floats(dtype):
    x = float_edges(np.dtype(dtype))
    x = np.concatenate([x, sample(dtype, (60,), 9) * np.array(10.0, dtype) ** 3])
    for d in DECIMALS:
        with quiet():
            expected = np.round(x, d)
        assert_bits(wnp.round(lazy(x), d), expected, f"round({dtype}, {d})")
    assert_bits(wnp.round(lazy(x[::-3])), np.round(x[::-3]), "strided")


@pytest.mark.parametrize("dtype", [d.name for d in INT_DTYPES])
def test_round_integers(dtype):
    x = int_edges(dtype)
    x = np.concatenate([x, np.array([5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 105, 115],
                                    dtype)])
    if np.dtype(dtype).kind == "i":
        x = np.concatenate([x, -x[-12:]])
    for d in (0, 1, 5, -1, -2, -3, -5, -19, -20, -25, -400):
        with quiet():
            expected = np.round(x, d)
            got = wnp.round(lazy(x), d)
        assert_bits(got, expected, f"round({dtype}, {d})")


def test_round_bool_and_0d():
    b = np.array([True, False])
    check_call(np.round, wnp.round, [b], [lazy(b)])
    for d in (1, -1):
        check_call(np.round, wnp.round, [b], [lazy(b)], {"decimals": d})
    z = np.array(2.675)
    assert_bits(wnp.round(lazy(z), 2), np.round(z, 2))


def test_round_inside_fused_chain():
    x = sample("float64", (5, 7), 2, special=True)
    lx = lazy(x)
    with quiet():
        expected = np.round(np.sin(x) * 100, 1) + np.round(x, -1)
    assert_bits(wnp.round(wnp.sin(lx) * 100, 1) + wnp.round(lx, -1), expected)


# --- decomposed reductions ----------------------------------------------------------------
MOMENT_DTYPES = ["float64", "float32", "int64", "int8", "uint16", "bool"]
MOMENT_KWARGS = [{}, {"axis": 0}, {"axis": -1}, {"axis": (0, 2)}, {"axis": (1, 2)},
                 {"axis": 1, "keepdims": True}, {"axis": None, "keepdims": True},
                 {"axis": ()}, {"axis": (0, 2), "dtype": "float32"},
                 {"axis": 1, "dtype": "float64"}, {"axis": 2, "dtype": "int16"}]


@pytest.mark.parametrize("dtype", MOMENT_DTYPES)
@pytest.mark.parametrize("name", ["mean", "var", "std", "nanmean", "nanvar", "nanstd",
                                  "nansum", "nanprod"])
def test_moments(name, dtype):
    a = sample(dtype, (3, 4, 5), 11)
    if dtype.startswith("float"):
        a[0, 1, 2] = a[2, 3, 4] = NAN
    for kwargs in MOMENT_KWARGS:
        for extra in ({}, {"ddof": 1}, {"ddof": 2}) if "var" in name or "std" in name \
                else ({},):
            kw = {**kwargs, **extra}
            for x, how in ((a, ""), (a.transpose(2, 0, 1), " transposed")):
                scale = None
                if name in ("mean", "nanmean") and dtype.startswith("float"):
                    with quiet():  # a sum of mixed signs: errors of its terms' size
                        scale = np.nanmean(np.abs(x), axis=kw.get("axis"),
                                           keepdims=kw.get("keepdims", False))
                check_call(getattr(np, name), getattr(wnp, name), [x], [lazy(x)], kw,
                           context=f"{name}({dtype}, {kw}){how}", scale=scale)


def test_moments_of_expressions_and_large_inputs():
    """Long sums: a compiled backend sums in another order than NumPy's pairwise sum,
    an error growing with the length (a relative tolerance, not 4 ulp); exact on the
    interpreter."""
    a = sample("float64", (300, 257), 4)
    b = sample("float32", (1001,), 5)
    exact = backend_is_exact()
    for fn, wfn in ((np.mean, wnp.mean), (np.var, wnp.var), (np.std, wnp.std)):
        # exact elementwise ops (libm's sin would differ from NumPy's by an ulp, and
        # var amplifies that): only the summation order differs
        check_call(lambda x: fn(np.abs(x) * 3 + 1, axis=0),
                   lambda x: wfn(wnp.abs(x) * 3 + 1, axis=0), [a], [lazy(a)],
                   rtol=0 if exact else 1e-13)
        check_call(lambda x: fn(x, axis=1, ddof=1), lambda x: wfn(x, axis=1, ddof=1),
                   [a], [lazy(a)], rtol=0 if exact else 1e-13)
        check_call(fn, wfn, [b], [lazy(b)], rtol=0 if exact else 1e-5)


def test_float32_mean_divides_in_float64_as_numpy():
    """NumPy divides a float32 sum by an intp count: the quotient is computed in float64
    and rounded once to float32 (not a float32 division)."""
    x = np.full(3, np.float32(16777215.0))  # sum 50331645 is exact in float32
    # (any float32 sum s with fl32(s / 3.0 in f64) != s /f32 3 would do; check the path)
    assert_bits(wnp.mean(lazy(x)), np.mean(x))
    y = np.array([np.float32(1.0), np.float32(2.0 ** -23), np.float32(0.0)])
    assert_bits(wnp.mean(lazy(y)), np.mean(y))


@pytest.mark.parametrize("ddof", [0, 1, 2.5, -1])
def test_var_ddof_kinds(ddof):
    a = sample("float64", (4, 6), 3)
    for name in ("var", "std"):
        check_call(getattr(np, name), getattr(wnp, name), [a], [lazy(a)],
                   {"axis": 1, "ddof": ddof}, context=f"{name} ddof={ddof!r}")


def test_nansum_nanprod_with_nans_and_all_nan_rows():
    a = np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN], [-0.0, -0.0, NAN], [2.0, 0.5, -4.0]])
    for name in ("nansum", "nanprod"):
        for dtype in ("float64", "float32"):
            x = a.astype(dtype)
            for kw in ({}, {"axis": 0}, {"axis": 1}, {"axis": 1, "keepdims": True},
                       {"axis": 1, "dtype": "float64"}):
                check_call(getattr(np, name), getattr(wnp, name), [x], [lazy(x)], kw,
                           context=f"{name}({dtype}, {kw})")


@pytest.mark.parametrize("name", ["nanmean", "nanvar", "nanstd"])
def test_all_nan_rows_warn_as_numpy(name):
    a = np.array([[NAN, NAN], [1.0, NAN]])
    with pytest.warns(RuntimeWarning):
        expected = getattr(np, name)(a, axis=1)
    with pytest.warns(RuntimeWarning):
        got = np.asarray(getattr(wnp, name)(lazy(a), axis=1))
    assert_same(got, expected)


@pytest.mark.parametrize("name,kwargs", [("mean", {}), ("mean", {"axis": 0}),
                                         ("var", {"ddof": 3}), ("std", {"ddof": 5}),
                                         ("nanmean", {}), ("nanvar", {"ddof": 3})])
def test_empty_or_no_degrees_of_freedom_warns_as_numpy(name, kwargs):
    a = np.zeros((0, 3)) if name in ("mean", "nanmean") else np.arange(3.0)
    if name.startswith("nan"):
        a = a.astype(np.int64)
    with pytest.warns(RuntimeWarning):
        expected = getattr(np, name)(a, **kwargs)
    with pytest.warns(RuntimeWarning):
        got = np.asarray(getattr(wnp, name)(lazy(a), **kwargs))
    assert_same(got, expected)


def test_int_nan_reductions_are_the_plain_ones():
    a = sample("int16", (4, 5), 6, special=True)
    for name in ("nanmin", "nanmax", "nanargmin", "nanargmax", "nanmean", "nansum"):
        for axis in (None, 0, 1):
            check_call(getattr(np, name), getattr(wnp, name), [a], [lazy(a)],
                       {"axis": axis}, context=f"{name} axis={axis}")


def test_decompose_pass_keeps_interpreter_results_bit_exact():
    """The decomposition is NumPy's own algorithm: interpreting the decomposed graph gives
    exactly what the original op gives, bit for bit (sums included: same order)."""
    a = sample("float32", (6, 7), 1)
    b = sample("int32", (6, 7), 2)
    c = sample("float64", (5, 4, 3), 3, special=True)
    x, y, z = (build.input(v) for v in (a, b, c))
    nodes = [build.reduce(Op.MEAN, x, axis=0), build.reduce(Op.VAR, y, axis=1, ddof=1),
             build.reduce(Op.STD, x, axis=None, keepdims=True, dtype=np.float64),
             build.reduce(Op.NANSUM, z, axis=(0, 2)), build.reduce(Op.NANPROD, z, axis=1),
             build.reduce(Op.MEAN, y, axis=(0, 1), dtype=np.float32),
             build.elementwise(Op.ROUND, z, arg=build.kw(decimals=2)),
             build.elementwise(Op.ROUND, y, arg=build.kw(decimals=-1)),
             build.reduce(Op.NANVAR, y, axis=0, ddof=2)]
    optimized = optimize(nodes)
    assert not {n.op for n in optimized} & {Op.MEAN, Op.VAR, Op.STD, Op.NANSUM, Op.NANPROD,
                                            Op.ROUND, Op.NANVAR}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for before, after in zip(interpret(nodes), interpret(optimized)):
            assert_bits(after, before)


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_mean_of_0d_and_single_elements(dtype):
    for shape in ((), (1,), (1, 1)):
        a = sample(dtype, shape, 2)
        for name in ("mean", "var", "std"):
            check_call(getattr(np, name), getattr(wnp, name), [a], [lazy(a)],
                       context=f"{name}({dtype}{list(shape)})")

"""The decompose pass: ops rewritten into the ops NumPy computes them with.

A decomposition is NumPy's own algorithm, so the interpreter (NumPy's functions, op by
op) gives bit-identical values, and the same warnings, on the decomposed graph; where
NumPy would warn in a way the steps cannot (empty mean, ddof >= count) the op stays
whole. The float nan* functions' data-dependent warnings and errors go through a
one-element reduction of the same op (ir.ops.single_element), which stays whole.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from weldish.ir import build
from weldish.ir.interpret import interpret
from weldish.ir.node import toposort
from weldish.ir.ops import OPS, Op
from weldish.ir.passes import PIPELINE, decompose, optimize
from weldish.testing import sample

NAN = float("nan")
MOMENTS = (Op.MEAN, Op.VAR, Op.STD)
NAN_OPS = (Op.NANSUM, Op.NANPROD, Op.NANMEAN, Op.NANVAR, Op.NANSTD, Op.NANMIN, Op.NANMAX,
           Op.NANARGMIN, Op.NANARGMAX)


def run(nodes):
    """Values and warning messages of interpreting ``nodes``."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        values = interpret(nodes)
    return values, sorted({str(w.message) for w in caught})


def assert_identical(a, b, context):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, context
    assert a.tobytes() == b.tobytes() or (
        a.dtype.kind == "f" and np.array_equal(a, b, equal_nan=True)
        and np.array_equal(np.signbit(a), np.signbit(b))), context


def data(dtype, shape, seed):
    a = sample(dtype, shape, seed, special=dtype.startswith("float"))
    if dtype.startswith("float") and a.size > 3:
        a.flat[1] = NAN
    return a


def cases():
    for dtype in ("float64", "float32", "int64", "int8", "uint16", "bool"):
        for shape in ((), (5,), (3, 4), (2, 3, 4), (0, 3)):
            yield dtype, shape


def reduction_kwargs(op, ndim, dtype):
    axes = [None] + list(range(ndim)) + ([(0, ndim - 1)] if ndim >= 2 else []) + [()]
    for axis in axes:
        if op in (Op.NANARGMIN, Op.NANARGMAX) and isinstance(axis, tuple):
            continue  # one axis or None
        for keepdims in (False, True):
            yield {"axis": axis, "keepdims": keepdims}
        if op in MOMENTS + (Op.NANSUM, Op.NANPROD, Op.NANMEAN, Op.NANVAR, Op.NANSTD):
            yield {"axis": axis, "dtype": np.float32}
            yield {"axis": axis, "dtype": np.float64, "keepdims": True}
            if not dtype.startswith("float") or op in (Op.NANSUM, Op.NANPROD):
                yield {"axis": axis, "dtype": np.int16}
        if op in (Op.VAR, Op.STD, Op.NANVAR, Op.NANSTD):
            for ddof in (1, 2, 0.5, -1):
                yield {"axis": axis, "ddof": ddof}


@pytest.mark.parametrize("op", MOMENTS + NAN_OPS, ids=str)
def test_reductions_interpret_identically(op):
    for dtype, shape in cases():
        a = data(dtype, shape, 1)
        x = build.input(a)
        for kwargs in reduction_kwargs(op, len(shape), dtype):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    node = build.reduce(op, x, **kwargs)
            except (TypeError, ValueError):
                continue  # NumPy rejects it at the call: nothing to evaluate
            ctx = f"{op}({dtype}{list(shape)}, {kwargs})"
            (after,) = decompose([node])
            try:
                (v0,), w0 = run([node])
            except ValueError:  # all-NaN nanargmin: data-dependent error
                with pytest.raises(ValueError):
                    run([after])
                continue
            (v1,), w1 = run([after])
            assert_identical(v1, v0, ctx)
            assert w1 == w0, ctx


@pytest.mark.parametrize("op", [Op.NANCUMSUM, Op.NANCUMPROD], ids=str)
def test_nan_scans_interpret_identically(op):
    for dtype, shape in cases():
        x = build.input(data(dtype, shape, 2))
        for axis in [None] + list(range(len(shape))):
            for dtype_arg in (None, np.float32, np.int16):
                node = build.scan(op, x, axis=axis, dtype=dtype_arg)
                (after,) = decompose([node])
                assert after.op is not op
                ctx = f"{op}({dtype}{list(shape)}, axis={axis}, dtype={dtype_arg})"
                (v0,), w0 = run([node])
                (v1,), w1 = run([after])
                assert_identical(v1, v0, ctx)
                assert w1 == w0, ctx


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "int8",
                                   "uint8", "uint64", "bool"])
def test_round_interprets_identically(dtype):
    a = data(dtype, (4, 6), 3)
    if dtype.startswith("float"):
        with np.errstate(all="ignore"):
            a = a * np.array(1000.0, dtype) + np.array(0.5, dtype)
        a[0, :4] = [1e30, -2.5, 0.125, -0.0]
    x = build.input(a)
    for decimals in (-400, -309, -30, -19, -3, -1, 0, 1, 2, 7, 22, 23, 30, 39, 308, 309):
        try:
            node = build.elementwise(Op.ROUND, x, arg=build.kw(decimals=decimals))
        except TypeError:
            continue  # bool with decimals != 0
        (after,) = decompose([node])
        (v0,), w0 = run([node])
        (v1,), w1 = run([after])
        assert_identical(v1, v0, f"round({dtype}, {decimals})")
        assert w1 == w0, f"round({dtype}, {decimals})"


def test_what_declines():
    f = build.input(np.ones((0, 3)))
    i = build.input(np.ones((3, 4), dtype=np.int32))
    g = build.input(np.ones((3, 4)))
    marked = build.elementwise(Op.WHERE, build.input(np.ones(3, bool)),
                               build.const(np.nan, dtype=np.float64),
                               build.const(0.0, dtype=np.float64))
    stays = [build.reduce(Op.MEAN, f, axis=0),           # empty: "Mean of empty slice"
             build.reduce(Op.VAR, g, axis=1, ddof=4),    # "Degrees of freedom <= 0"
             build.reduce(Op.NANMAX, g),
             build.reduce(Op.MEAN, i, dtype=np.int16),   # integer mean truncates
             build.elementwise(Op.ROUND, build.input(np.ones(3, np.float32)),
                               arg=build.kw(decimals=39)),   # 1e39 overflows float32
             # one element per slice: the value says whether the slice was all NaN
             build.reduce(Op.NANMEAN, g, axis=()),
             build.reduce(Op.NANARGMIN, build.input(np.ones((3, 1))), axis=1),
             build.reduce(Op.NANVAR, marked, axis=())]   # no infinities: NaN iff NaN
    assert decompose(stays) == stays
    goes = [build.reduce(Op.MEAN, f, axis=1), build.reduce(Op.NANMEAN, i, axis=1),
            build.reduce(Op.NANARGMAX, i, axis=0), build.reduce(Op.STD, g, ddof=3),
            build.reduce(Op.MEAN, build.input(np.ones(3, np.int64)))]
    assert not {n.op for n in toposort(decompose(goes))} & {Op.MEAN, Op.NANMEAN,
                                                             Op.NANARGMAX, Op.STD}
    # float nan* functions: sums, counts, argmin/argmax, and one one-element marker
    nan_ops = [build.reduce(Op.NANMEAN, g, axis=1), build.reduce(Op.NANVAR, g, ddof=1),
               build.reduce(Op.NANSTD, g, axis=0), build.reduce(Op.NANARGMIN, g, axis=1),
               build.reduce(Op.NANARGMAX, g), build.reduce(Op.NANVAR, g, axis=())]
    for node in nan_ops:
        (out,) = decompose([node])
        markers = [n for n in toposort([out]) if n.op in (Op.NANMEAN, Op.NANVAR,
                                                          Op.NANARGMIN, Op.NANARGMAX)]
        assert len(markers) == 1 and markers[0] is not node, node
        assert markers[0].src[0].op is Op.WHERE, node


def test_nan_functions_of_integers_become_the_plain_ones():
    i = build.input(np.arange(12, dtype=np.int16).reshape(3, 4))
    for nan_op, plain in ((Op.NANMIN, Op.MIN), (Op.NANMAX, Op.MAX),
                          (Op.NANARGMIN, Op.ARGMIN), (Op.NANARGMAX, Op.ARGMAX)):
        (out,) = decompose([build.reduce(nan_op, i, axis=1)])
        assert out.op is plain and out.src == (i,)


def test_decompose_runs_in_the_pipeline_before_fusion():
    assert [p.__name__ for p in PIPELINE][:2] == ["simplify", "decompose"]
    x = build.input(np.ones((3, 4), np.float32))
    (out,) = optimize([build.reduce(Op.STD, x, axis=1, keepdims=True)])
    ops = [str(n.op) for n in toposort([out])]
    # (the count 4 is one constant: ddof=0 divides the squares by the same 4)
    assert ops == ["input", "sum", "const", "divide", "astype", "subtract", "square",
                   "sum", "divide", "astype", "sqrt"]


def test_every_decomposition_is_in_the_table():
    """The pass reads the table only: a decomposition is a row's ``decompose``."""
    from weldish.ir.passes.decompose import DECOMPOSABLE
    assert set(DECOMPOSABLE) == {op for op, d in OPS.items() if d.decompose is not None}

"""The OPS table is complete and self-consistent (the single source of truth for ops)."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import weldish.backends
import weldish.numpy as wnp
from weldish.ir import ops
from weldish.ir.ops import OPS, Op, OpDef, UFUNC_OPS
from weldish.testing import Raised, outcome

KINDS = {"input", "const", "leaf", "elementwise", "reduce", "scan", "segment", "movement",
         "index", "linalg", "call"}
ALL_OPS = list(Op)


def test_every_op_has_a_row_and_every_row_an_op():
    assert set(OPS) == set(Op)
    assert all(isinstance(d, OpDef) for d in OPS.values())
    for op in Op:
        assert Op[str(op).upper()] is op
        assert str(op) == op.name.lower()


@pytest.mark.parametrize("op", ALL_OPS, ids=str)
def test_row_is_well_formed(op):
    d = OPS[op]
    assert d.kind in KINDS, d.kind
    assert callable(d.fn), "every op needs an oracle"
    assert d.arity is None or (isinstance(d.arity, int) and d.arity >= 0)
    if d.kind in ("input", "const", "leaf"):
        assert d.arity == 0
    if d.kind in ("reduce", "scan"):
        assert d.arity == 1
    if isinstance(d.fn, np.ufunc):
        assert d.arity == d.fn.nin, "a ufunc op takes exactly the ufunc's inputs"
        assert d.fn.nout == 1
    if d.decompose is not None:
        assert callable(d.decompose)


@pytest.mark.parametrize("name", ops.UNARY_UFUNCS + ops.BINARY_UFUNCS)
def test_ufunc_rows_are_numpy_ufuncs(name):
    d = OPS[Op[name.upper()]]
    assert d.kind == "elementwise"
    assert d.fn is getattr(np, name)
    assert isinstance(d.fn, np.ufunc)
    assert d.fn.nin == (1 if name in ops.UNARY_UFUNCS else 2)


def test_ufunc_names_are_unique_and_disjoint():
    for group in (ops.UNARY_UFUNCS, ops.BINARY_UFUNCS, ops.REDUCTIONS, ops.SCANS):
        assert len(set(group)) == len(group)
    assert not set(ops.UNARY_UFUNCS) & set(ops.BINARY_UFUNCS)


def test_ufunc_ops_maps_back():
    elementwise_ufunc_ops = {op for op, d in OPS.items()
                             if d.kind == "elementwise" and isinstance(d.fn, np.ufunc)}
    assert set(UFUNC_OPS.values()) == elementwise_ufunc_ops
    for ufunc, op in UFUNC_OPS.items():
        assert isinstance(ufunc, np.ufunc)
        assert OPS[op].fn is ufunc
        assert OPS[op].kind == "elementwise"
    # NumPy's aliases are the same ufunc objects, so they find the op too.
    assert UFUNC_OPS[np.abs] is Op.ABSOLUTE
    assert UFUNC_OPS[np.mod] is Op.REMAINDER
    assert UFUNC_OPS[np.conj] is Op.CONJUGATE
    assert UFUNC_OPS[np.true_divide] is Op.DIVIDE


@pytest.mark.parametrize("name", ops.REDUCTIONS + ops.SCANS)
def test_reduction_and_scan_rows(name):
    d = OPS[Op[name.upper()]]
    assert d.kind == ("scan" if name in ops.SCANS else "reduce")
    assert d.fn is getattr(np, name)
    assert "axis" in inspect.signature(d.fn).parameters


def test_kind_sets_match_the_table():
    assert ops.ELEMENTWISE == {op for op, d in OPS.items() if d.kind == "elementwise"}
    assert ops.REDUCE == {op for op, d in OPS.items() if d.kind == "reduce"}
    assert ops.SCAN == {op for op, d in OPS.items() if d.kind == "scan"}


def test_no_identity_is_exactly_the_reductions_numpy_rejects_when_empty():
    rejects = set()
    for op in ops.REDUCE:
        if isinstance(outcome(OPS[op].fn, np.zeros((0,))), Raised):
            rejects.add(op)
    assert rejects == set(ops.NO_IDENTITY)


def _oracle_args(op):
    """Candidate operands for an op: float ones first, then integer ones."""
    d = OPS[op]
    kwargs = {"dtype": np.dtype("float32")} if op is Op.ASTYPE else \
        {"decimals": 1} if op is Op.ROUND else {}
    for x in (np.array([0.5, 0.25, 1.0]), np.array([1, 2, 3])):
        if op is Op.WHERE:
            yield (x > 1, x, -x), kwargs
        elif op is Op.CLIP:
            yield (x, 0.3, 2), kwargs
        elif d.arity == 2:
            yield (x, x[::-1]), kwargs
            yield (x, np.array([1, 2, 3])), kwargs
        else:
            yield (x,), kwargs


@pytest.mark.parametrize("op", sorted(ops.ELEMENTWISE | ops.REDUCE | ops.SCAN, key=str), ids=str)
def test_call_runs_the_oracle(op):
    """``ops.call`` is the table's function with the node's keyword arguments."""
    for args, kwargs in _oracle_args(op):
        expected = outcome(OPS[op].fn, *args, **kwargs)
        if not isinstance(expected, Raised):
            break
    else:
        pytest.fail(f"no operands found that NumPy accepts for {op}")
    got = outcome(ops.call, op, args, tuple(sorted(kwargs.items())))
    np.testing.assert_array_equal(got, expected, strict=True)


@pytest.mark.parametrize("op", sorted(ops.ELEMENTWISE | ops.REDUCE | ops.SCAN, key=str), ids=str)
def test_every_computational_op_has_a_frontend_name(op):
    """Adding an op = one row + a frontend wrapper: the lazy namespace exposes each one."""
    if op in (Op.ASTYPE, Op.COPY, Op.CLIP, Op.ROUND, Op.WHERE):
        name = str(op)
    else:
        name = OPS[op].fn.__name__
    assert name in wnp.lazy_names(), f"weldish.numpy.{name} is not lazy"


LOWERED_KINDS = ("elementwise", "reduce", "scan")
# The dtypes a decomposition must cover to count as the op's lowering (one that declines
# for floats, say, leaves the float case on the interpreter: still missing).
COVERED_DTYPES = ("float64", "float32", "int64")


def _example_node(op, dtype):
    """A non-empty node of ``op`` on an input of ``dtype`` (default arguments)."""
    from weldish.ir import build
    x = build.input(np.ones((3, 4), dtype=dtype))
    d = OPS[op]
    if d.kind == "reduce":
        return build.reduce(op, x, axis=1)
    if d.kind == "scan":
        return build.scan(op, x, axis=1)
    if op is Op.ROUND:
        return build.elementwise(op, x, arg=build.kw(decimals=2))
    return build.elementwise(op, *[x] * (d.arity or 1))


def _decomposition_gaps(op, field):
    """Dtypes among COVERED_DTYPES for which the op's decomposition declines, or gives
    ops that are not lowered themselves (nancumsum -> cumsum, nanargmin -> argmin)."""
    from weldish.ir.node import toposort
    from weldish.ir.passes import decompose
    gaps = []
    for dtype in COVERED_DTYPES:
        try:
            node = _example_node(op, dtype)
        except TypeError:
            continue  # NumPy has no such op for this dtype (gcd of floats)
        if OPS[op].decompose(node) is None:
            gaps.append(dtype)
            continue
        unlowered = sorted({str(n.op) for n in toposort(decompose([node]))
                            if OPS[n.op].kind in LOWERED_KINDS
                            and getattr(OPS[n.op], field) is None})
        if unlowered:
            gaps.append(f"{dtype} -> {'/'.join(unlowered)}")
    return gaps


@pytest.mark.parametrize("field", ["llvm", "cuda"])
def test_every_non_composite_op_has_backend_lowerings(field):
    """Checked once the backend that fills the column is registered. An op counts as
    lowered by a decomposition only where it applies (see COVERED_DTYPES)."""
    backend = {"llvm": "llvm", "cuda": "cupy"}[field]
    if backend not in weldish.backends.BACKENDS:
        pytest.skip(f"backend {backend!r} not registered yet: column {field!r} not filled")
    missing = []
    for op, d in OPS.items():
        if d.kind not in LOWERED_KINDS or getattr(d, field) is not None:
            continue
        if d.decompose is None:
            missing.append(str(op))
        elif gaps := _decomposition_gaps(op, field):
            missing.append(f"{op} ({', '.join(gaps)})")
    assert not missing, f"ops without a {field} lowering: {missing}"


@pytest.mark.parametrize("op", [op for op, d in OPS.items() if d.decompose is not None],
                         ids=str)
def test_decompositions_keep_dtype_and_shape(op):
    for dtype in COVERED_DTYPES + ("bool", "uint8", "int8"):
        try:
            node = _example_node(op, dtype)
        except TypeError:
            continue
        out = OPS[op].decompose(node)
        if out is not None:
            assert (out.dtype, out.shape) == (node.dtype, node.shape), dtype

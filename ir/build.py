"""Node constructors with NumPy's shape and dtype inference and NumPy's errors.

Frontends and rewrite rules build nodes only through these functions, so every node has
NumPy's result dtype and shape, and an error NumPy would raise (broadcast mismatch, bad
axis, unsupported dtype, weak-scalar overflow, empty reduction) is raised here, at the call
that caused it. Shapes come from O(1) views of zero-stride stand-ins; dtypes from the
oracle run on miniature arrays (``ir.dtypes``).
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from . import dtypes as dt, fpstate
from .node import Buffer, Node, canon
from .ops import NO_IDENTITY, OPS, Op, REDUCE, SCAN



def kw(**kwargs) -> tuple:
    """An op argument: keyword arguments of the oracle as a sorted, hashable tuple."""
    return tuple(sorted(kwargs.items()))


# --- leaves -------------------------------------------------------------------------------
def input(data: np.ndarray, source: str = "user") -> Node:  # noqa: A001 - IR vocabulary
    # the argument is ``kw(buffer=...)``, spelt out: on the path of every recorded operand
    return Node(Op.INPUT, data.dtype, data.shape, (), (("buffer", Buffer.of(data, source)),))


def const(value, dtype=None) -> Node:
    """A scalar constant: weak when given a plain Python scalar and no dtype."""
    if dtype is None and dt.is_weak_scalar(value):
        return Node(Op.CONST, dt.default_dtype(value), (), (), kw(value=value, dtype=None))
    dtype = np.dtype(dtype if dtype is not None else np.asarray(value).dtype)
    return Node(Op.CONST, dtype, (), (), kw(value=dtype.type(value).item(), dtype=dtype))


def is_weak(node: Node) -> bool:
    return node.op is Op.CONST and dict(node.arg)["dtype"] is None


def const_value(node: Node):
    return OPS[Op.CONST].fn(**dict(node.arg))


def full(shape, fill_value, dtype=None) -> Node:
    shape = _shape_tuple(shape)
    if any(d < 0 for d in shape):
        raise ValueError("negative dimensions are not allowed")
    with dt.quiet():
        probe = np.full((), fill_value, dtype=dtype)
    return Node(Op.FULL, probe.dtype, shape, (),
                kw(shape=shape, fill_value=probe.item(), dtype=probe.dtype))


def arange(start, stop=None, step=None, dtype=None) -> Node:
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if step == 0:
        raise ZeroDivisionError("division by zero")
    given = [start, stop, step]
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in given):
        n = max(0, -(-(int(stop) - int(start)) // int(step)))
    else:
        n = max(0, math.ceil((float(stop) - float(start)) / float(step)))
    rtype = np.dtype(dtype) if dtype is not None else np.result_type(*map(np.asarray, given))
    return Node(Op.ARANGE, rtype, (n,), (), kw(start=start, stop=stop, step=step, dtype=rtype))


def linspace(start, stop, num=50, endpoint=True, dtype=None) -> Node:
    probe = np.linspace(start, stop, min(num, 2) if num >= 0 else num, endpoint=endpoint,
                        dtype=dtype)
    return Node(Op.LINSPACE, probe.dtype, (int(num),), (),
                kw(start=start, stop=stop, num=int(num), endpoint=bool(endpoint),
                   dtype=probe.dtype))


def eye(N, M=None, k=0, dtype=float) -> Node:
    probe = np.eye(1, 1, 0, dtype=dtype)
    M = N if M is None else M
    if N < 0 or M < 0:
        np.eye(N, M, k, dtype=dtype)  # NumPy's own error
    return Node(Op.EYE, probe.dtype, (int(N), int(M)), (),
                kw(N=int(N), M=int(M), k=int(k), dtype=probe.dtype))


# --- elementwise --------------------------------------------------------------------------
def _probe_operand(node: Node):
    if node.op is Op.CONST:
        return const_value(node)  # weak stays a Python scalar; strong is a NumPy scalar
    return np.zeros((), dtype=node.dtype)



_dtype_cache: dict = {}


def _probe_dtype(op: Op, srcs, arg) -> np.dtype:
    key = (op, canon(arg), tuple([s.key[0] if s.op is Op.CONST else s.dtype for s in srcs]))
    found = _dtype_cache.get(key)
    if found is None:
        with dt.quiet():
            found = np.asarray(OPS[op].fn(*map(_probe_operand, srcs), **dict(arg or ()))).dtype
        if len(_dtype_cache) > 100_000:
            _dtype_cache.clear()
        _dtype_cache[key] = found
    return found


def _broadcast_shape(srcs) -> tuple:
    """NumPy's broadcast shape of the sources (the common case, equal shapes or scalars
    with one shape, without a NumPy call)."""
    shapes = [s.shape for s in srcs]
    out = max(shapes, key=len)
    for shape in shapes:
        if shape != out and shape != ():
            return np.broadcast_shapes(*shapes)
    return out


def elementwise(op: Op, *srcs: Node, arg=None) -> Node:
    d = OPS[op]
    if d.kind != "elementwise" or (d.arity is not None and d.arity != len(srcs)):
        raise TypeError(f"{op} takes {d.arity} operands, got {len(srcs)}")
    shape = _broadcast_shape(srcs)
    dtype = _probe_dtype(op, srcs, arg)
    return fpstate.note(Node(op, dtype, shape, srcs, arg))


def astype(x: Node, dtype) -> Node:
    dtype = np.dtype(dtype)
    return elementwise(Op.ASTYPE, x, arg=kw(dtype=dtype))


# --- reductions and scans -----------------------------------------------------------------
def _probe_reduce(op: Op, x: Node, arg) -> np.dtype:
    """The reduction's result dtype (and NumPy's dtype errors), from a miniature of ``x``:
    it depends on the dtype, the argument and which dims are empty (cached by those)."""
    # (the argument as it is: a reduction's is normalized ints, bools and dtypes, which
    # ``==`` does not conflate in a way that changes the dtype)
    key = (op, x.dtype, tuple([min(n, 1) for n in x.shape]), arg)
    found = _dtype_cache.get(key)
    if found is None:
        with dt.quiet():
            mini = dt.miniature(x.dtype, x.shape)
            found = np.asarray(OPS[op].fn(mini, **dict(arg))).dtype
        if len(_dtype_cache) > 100_000:
            _dtype_cache.clear()
        _dtype_cache[key] = found
    return found


def reduce(op: Op, x: Node, axis=None, keepdims=False, **extra) -> Node:
    """sum/prod/min/.../nanargmax. ``extra``: dtype, ddof (only those the function takes)."""
    assert op in REDUCE
    if op in (Op.ARGMIN, Op.ARGMAX, Op.NANARGMIN, Op.NANARGMAX):
        axes = None if axis is None else (normalize_axis_index(_int(axis), x.ndim),)
        norm = None if axis is None else axes[0]
    else:
        axes = None if axis is None else normalize_axis_tuple(axis, x.ndim)
        norm = axes
    extra = {k: v for k, v in extra.items() if v is not None or k == "dtype"}
    if "dtype" in extra and extra["dtype"] is None:
        del extra["dtype"]
    if "dtype" in extra:
        extra["dtype"] = np.dtype(extra["dtype"])
    arg = kw(axis=norm, keepdims=bool(keepdims), **extra)
    reduced = range(x.ndim) if axes is None else axes
    if op in NO_IDENTITY and any(x.shape[i] == 0 for i in reduced):
        with dt.quiet():  # raises NumPy's "zero-size array ..." error
            OPS[op].fn(dt.miniature(x.dtype, x.shape), **dict(arg))
    dtype = _probe_reduce(op, x, arg)
    if keepdims:
        shape = tuple(1 if i in reduced else n for i, n in enumerate(x.shape))
    else:
        shape = tuple(n for i, n in enumerate(x.shape) if i not in reduced)
    return Node(op, dtype, shape, (x,), arg)


def scan(op: Op, x: Node, axis=None, dtype=None) -> Node:
    assert op in SCAN
    norm = None if axis is None else normalize_axis_index(_int(axis), x.ndim)
    arg = kw(axis=norm, dtype=None if dtype is None else np.dtype(dtype))
    with dt.quiet():
        rdtype = np.asarray(OPS[op].fn(dt.miniature(x.dtype, x.shape), **dict(arg))).dtype
    shape = (x.size,) if axis is None else x.shape
    return Node(op, rdtype, shape, (x,), arg)


# --- movement (views in NumPy) ------------------------------------------------------------
def reshape(x: Node, shape) -> Node:
    out = np.reshape(dt.stand_in(x.dtype, x.shape), shape).shape
    if out == x.shape:
        return x
    return Node(Op.RESHAPE, x.dtype, out, (x,), kw(shape=out))


def transpose(x: Node, axes=None) -> Node:
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    else:
        axes = tuple(normalize_axis_index(_int(a), x.ndim) for a in axes)
    out = np.transpose(dt.stand_in(x.dtype, x.shape), axes).shape
    if axes == tuple(range(x.ndim)):
        return x
    return Node(Op.TRANSPOSE, x.dtype, out, (x,), kw(axes=axes))


def broadcast_to(x: Node, shape) -> Node:
    shape = _shape_tuple(shape)
    out = np.broadcast_to(dt.stand_in(x.dtype, x.shape), shape).shape
    if out == x.shape:
        return x
    return Node(Op.BROADCAST_TO, x.dtype, out, (x,), kw(shape=out))


def normalize_basic_key(key) -> tuple:
    """Ints, slices, None and Ellipsis in canonical Python types (NumPy ints -> int)."""
    out = []
    for k in key:
        if isinstance(k, slice):
            out.append(slice(*(None if v is None else _int(v) for v in (k.start, k.stop, k.step))))
        elif k is None or k is Ellipsis:
            out.append(k)
        else:
            out.append(_int(k))
    return tuple(out)


def getitem(x: Node, key: tuple) -> Node:
    """Basic indexing (ints, slices, None, Ellipsis)."""
    key = normalize_basic_key(key)
    out = dt.stand_in(x.dtype, x.shape)[key].shape
    if all(isinstance(k, slice) and k == slice(None) for k in key) and out == x.shape:
        return x
    return Node(Op.GETITEM, x.dtype, out, (x,), kw(key=key))


def take(x: Node, idx: Node, axis: int) -> Node:
    axis = normalize_axis_index(_int(axis), x.ndim)
    if idx.dtype.kind not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    shape = x.shape[:axis] + idx.shape + x.shape[axis + 1:]
    if x.shape[axis] == 0 and idx.size:
        raise IndexError("cannot do a non-empty take from an empty axes.")
    return Node(Op.TAKE, x.dtype, shape, (x, idx), kw(axis=axis))


def compress(x: Node, mask: Node, count: int) -> Node:
    """Boolean-mask indexing ``x[mask]``; ``count`` = number of True values in ``mask``."""
    shape = (int(count),) + x.shape[mask.ndim:]
    return Node(Op.COMPRESS, x.dtype, shape, (x, mask))


def setitem(x: Node, value: Node, key: tuple, arrays=()) -> Node:
    """Functional ``x[key] = value``; index arrays are sources, "@i" placeholders in key."""
    return Node(Op.SETITEM, x.dtype, x.shape, (x, value, *arrays), kw(key=tuple(key)))


def concatenate(xs, axis=0) -> Node:
    xs = list(xs)
    if not xs:
        raise ValueError("need at least one array to concatenate")
    dtype = np.result_type(*(x.dtype for x in xs))
    if axis is None:
        xs = [reshape(x, (-1,)) for x in xs]
        axis = 0
    nd = xs[0].ndim
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    axis = normalize_axis_index(_int(axis), nd)
    for i, x in enumerate(xs[1:], 1):
        if x.ndim != nd:
            raise ValueError(
                "all the input array dimensions except for the concatenation axis must match "
                f"exactly, but the array at index 0 has {nd} dimension(s) and the array at "
                f"index {i} has {x.ndim} dimension(s)")
        for d in range(nd):
            if d != axis and x.shape[d] != xs[0].shape[d]:
                raise ValueError(
                    "all the input array dimensions except for the concatenation axis must "
                    f"match exactly, but along dimension {d}, the array at index 0 has size "
                    f"{xs[0].shape[d]} and the array at index {i} has size {x.shape[d]}")
    if len(xs) == 1:
        return xs[0] if xs[0].dtype == dtype else astype(xs[0], dtype)
    shape = list(xs[0].shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return Node(Op.CONCATENATE, dtype, shape, xs, kw(axis=axis))


# --- linear algebra -----------------------------------------------------------------------
def matmul(a: Node, b: Node) -> Node:
    with dt.quiet():
        dtype = np.matmul(dt.miniature(a.dtype, a.shape), dt.miniature(b.dtype, b.shape)).dtype
    sa = (1,) + a.shape if a.ndim == 1 else a.shape
    sb = b.shape + (1,) if b.ndim == 1 else b.shape
    if sa[-1] != sb[-2]:
        raise ValueError(
            f"matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
            f"signature (n?,k),(k,m?)->(n?,m?) (size {sb[-2]} is different from {sa[-1]})")
    batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    shape = batch + (() if a.ndim == 1 else (sa[-2],)) + (() if b.ndim == 1 else (sb[-1],))
    return Node(Op.MATMUL, dtype, shape, (a, b))


def dot(a: Node, b: Node) -> Node:
    if a.ndim == 0 or b.ndim == 0:
        return elementwise(Op.MULTIPLY, a, b)
    with dt.quiet():
        dtype = np.dot(np.zeros((1,), a.dtype), np.zeros((1,), b.dtype)).dtype
    kb = 0 if b.ndim == 1 else b.ndim - 2
    if a.shape[-1] != b.shape[kb]:
        raise ValueError(f"shapes {a.shape} and {b.shape} not aligned: {a.shape[-1]} "
                         f"(dim {a.ndim - 1}) != {b.shape[kb]} (dim {kb})")
    shape = a.shape[:-1] + b.shape[:kb] + b.shape[kb + 1:]
    return Node(Op.DOT, dtype, shape, (a, b))


# --- helpers ------------------------------------------------------------------------------
def _int(v) -> int:
    return int(v.__index__()) if hasattr(v, "__index__") else _raise_int(v)


def _raise_int(v):
    raise TypeError(f"'{type(v).__name__}' object cannot be interpreted as an integer")


def _shape_tuple(shape) -> tuple:
    if hasattr(shape, "__index__"):
        return (_int(shape),)
    return tuple(_int(s) for s in shape)


# --- segment (groupby) reductions ---------------------------------------------------------
def segment(op: Op, values: Node, codes: Node, ngroups: int, skipna=True, ddof=1,
            min_count=0) -> Node:
    """``segment_<how>``: ``values`` reduced per group ``codes`` (1-D, the same length;
    int64 codes, -1 for rows in no group) into ``ngroups`` values (see ``ir.segment``)."""
    from .segment import result_dtype
    if OPS[op].kind != "segment":
        raise TypeError(f"{op} is not a segment reduction")
    if values.ndim != 1 or codes.shape != values.shape:
        raise ValueError(f"segment reduction: values {values.shape} and codes "
                         f"{codes.shape} must be 1-D of one length")
    if codes.dtype.kind not in "iu":
        raise TypeError(f"group codes must be integers, not {codes.dtype}")
    if codes.dtype != np.int64:
        codes = astype(codes, np.int64)
    if int(ngroups) < 0:
        raise ValueError("ngroups must be >= 0")
    arg = kw(ngroups=int(ngroups), skipna=bool(skipna), ddof=ddof, min_count=int(min_count))
    dtype = result_dtype(str(op)[len("segment_"):], values.dtype)
    return Node(op, dtype, (int(ngroups),), (values, codes), arg)

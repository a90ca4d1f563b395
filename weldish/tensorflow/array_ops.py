"""Shape, selection and linear-algebra ops (``tf.reshape``, ``tf.concat``, ``tf.matmul``...)
with TensorFlow's arguments and its ``InvalidArgumentError`` for mismatched shapes."""
from __future__ import annotations

import builtins

import numpy as np

from .. import fallback
from ..ir import build
from ..ir.ops import Op
from ._tensor import (Tensor, _stack_nodes, as_dtype, elementwise, fmt, match, to_node,
                      wrap)
from .errors import invalid


def _ints(value) -> list:
    if isinstance(value, (Tensor, np.ndarray)):
        value = np.asarray(value).tolist()
    return [int(v) for v in (value if isinstance(value, (list, tuple)) else [value])]


def cast(x, dtype, name=None) -> Tensor:
    """``tf.cast``: floats to integers truncate toward zero, numbers to bool are x != 0."""
    n = to_node(x) if not isinstance(x, Tensor) else x.node
    want = as_dtype(dtype).dtype
    return wrap(n if n.dtype == want else build.astype(n, want))


def identity(input, name=None) -> Tensor:  # noqa: A002 - TensorFlow's names
    return wrap(match([input], "Identity")[0])


def reshape(tensor, shape, name=None) -> Tensor:
    """``tf.reshape`` (one dimension may be -1)."""
    (n,) = match([tensor], "Reshape")
    shape = _ints(shape)
    known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
    if shape.count(-1) > 1:
        raise invalid("Reshape", "Only one input size may be -1, not both 0 and 1")
    if -1 in shape:
        if known == 0 or n.size % known:
            raise invalid("Reshape", f"Input to reshape is a tensor with {n.size} values, "
                                     f"but the requested shape requires a multiple of {known}")
    elif known != n.size:
        raise invalid("Reshape", f"Input to reshape is a tensor with {n.size} values, but "
                                 f"the requested shape has {known}")
    return wrap(build.reshape(n, tuple(shape)))


def transpose(a, perm=None, conjugate=False, name=None) -> Tensor:
    """``tf.transpose``: reverses the axes by default."""
    (n,) = match([a], "Transpose")
    if perm is None:
        return wrap(build.transpose(n))
    perm = _ints(perm)
    if len(perm) != n.ndim:
        raise invalid("Transpose", f"transpose expects a vector of size {n.ndim}. But "
                                   f"input(1) is a vector of size {len(perm)}")
    if sorted(p % builtins.max(n.ndim, 1) for p in perm) != list(builtins.range(n.ndim)):
        raise invalid("Transpose", f"{perm} is not a permutation of 0..{n.ndim - 1}")
    return wrap(build.transpose(n, [p % n.ndim for p in perm]))


def concat(values, axis, name="concat") -> Tensor:
    """``tf.concat``: tensors of one dtype and rank, equal except along ``axis``."""
    nodes = match(list(values), "ConcatV2")
    first = nodes[0].shape
    rank = len(first)
    if rank == 0:
        raise invalid("ConcatV2", "ConcatOp : Can't concatenate scalars (use tf.stack "
                                  "instead)")
    axis = int(np.asarray(axis))
    if not -rank <= axis < rank:
        raise invalid("ConcatV2", f"ConcatOp : Expected concatenating dimensions in the "
                                  f"range [{-rank}, {rank}), but got {axis}")
    axis %= rank
    for i, n in enumerate(nodes[1:], 1):
        if n.ndim != rank:
            raise invalid("ConcatV2", f"ConcatOp : Ranks of all input tensors should "
                                      f"match: shape[0] = {fmt(first)} vs. shape[{i}] = "
                                      f"{fmt(n.shape)}")
        for d in builtins.range(rank):
            if d != axis and n.shape[d] != first[d]:
                raise invalid("ConcatV2", f"ConcatOp : Dimension {d} in both shapes must "
                                          f"be equal: shape[0] = {fmt(first)} vs. "
                                          f"shape[{i}] = {fmt(n.shape)}")
    return wrap(build.concatenate(nodes, axis=axis))


def stack(values, axis=0, name="stack") -> Tensor:
    """``tf.stack``: tensors of one shape and dtype along a new axis."""
    nodes = match(list(values), "Pack")
    return wrap(_stack_nodes(nodes, int(axis), "Pack"))


def expand_dims(input, axis, name=None) -> Tensor:  # noqa: A002
    (n,) = match([input], "ExpandDims")
    axis = int(np.asarray(axis))
    if not -(n.ndim + 1) <= axis <= n.ndim:
        raise invalid("ExpandDims", f"Tried to expand dim index {axis} for tensor with "
                                    f"{n.ndim} dimensions.")
    axis %= n.ndim + 1
    return wrap(build.reshape(n, n.shape[:axis] + (1,) + n.shape[axis:]))


def squeeze(input, axis=None, name=None) -> Tensor:  # noqa: A002
    """Removes dimensions of size 1 (all of them, or those in ``axis``)."""
    (n,) = match([input], "Squeeze")
    if axis is None:
        drop = {i for i, s in enumerate(n.shape) if s == 1}
    else:
        drop = set()
        for a in _ints(axis):
            if not -n.ndim <= a < n.ndim:
                raise invalid("Squeeze", f"Tried to squeeze dim index {a} for tensor with "
                                         f"{n.ndim} dimensions.")
            if n.shape[a] != 1:
                raise invalid("Squeeze", f"Can not squeeze dim[{a % n.ndim}], expected a "
                                         f"dimension of 1, got {n.shape[a]}")
            drop.add(a % n.ndim)
    return wrap(build.reshape(n, tuple(s for i, s in enumerate(n.shape) if i not in drop)))


def broadcast_to(input, shape, name=None) -> Tensor:  # noqa: A002
    (n,) = match([input], "BroadcastTo")
    shape = tuple(_ints(shape))
    try:
        return wrap(build.broadcast_to(n, shape))
    except ValueError:
        raise invalid("BroadcastTo", f"Incompatible shapes: {fmt(n.shape)} vs. "
                                     f"{fmt(shape)}") from None


def where(condition, x=None, y=None, name=None) -> Tensor:
    """``tf.where``: elementwise choice with broadcasting; with only ``condition``, the
    int64 coordinates of its true elements (computed eagerly: the shape depends on the
    data; recorded as a fallback)."""
    cond = condition.node if isinstance(condition, Tensor) else to_node(condition)
    if cond.dtype.kind != "b":
        cond = build.elementwise(Op.NOT_EQUAL, cond, build.const(0, dtype=cond.dtype))
    if x is None and y is None:
        out = fallback.call(lambda c: np.argwhere(c).astype(np.int64), (wrap(cond),), {},
                            name="tf.where(condition)", reason="result shape depends on data")
        return wrap(out.node)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    a, b = match([x, y], "SelectV2")
    return wrap(elementwise(Op.WHERE, "SelectV2", cond, a, b))


def clip_by_value(t, clip_value_min, clip_value_max, name=None) -> Tensor:
    """min(max-bound) then max(min-bound), in TensorFlow's order; the result keeps
    ``t``'s shape."""
    n, lo, hi = match([t, clip_value_min, clip_value_max], "ClipByValue")
    out = elementwise(Op.MAXIMUM, "Maximum", elementwise(Op.MINIMUM, "Minimum", n, hi), lo)
    if out.shape != n.shape:
        raise invalid("ClipByValue", f"Incompatible shapes: {fmt(n.shape)} vs. "
                                     f"{fmt(out.shape)}")
    return wrap(out)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None,
            name=None) -> Tensor:
    """``tf.one_hot``: ``on_value`` where the index equals the position along the new axis
    (indices outside [0, depth) give an all-``off_value`` row)."""
    idx = indices.node if isinstance(indices, Tensor) else to_node(indices)
    if idx.dtype.kind not in "iu":
        raise invalid("OneHot", f"Value for attr 'TI' of {idx.dtype.name} is not in the "
                                "list of allowed values: uint8, int8, int32, int64")
    if dtype is None:
        given = on_value if on_value is not None else off_value
        dtype = (given.dtype if isinstance(given, Tensor) else
                 to_node(given).dtype if given is not None else "float32")
    want = as_dtype(dtype).dtype
    on = to_node(1 if on_value is None else on_value, want)
    off = to_node(0 if off_value is None else off_value, want)
    depth = int(np.asarray(depth))
    axis = -1 if axis is None else int(axis)
    rank = idx.ndim + 1
    if not -1 <= axis < rank:
        raise invalid("OneHot", f"Expected axis to be -1 or between [0, {rank}).  But "
                                f"received: {axis}")
    axis %= rank
    expanded = build.reshape(idx, idx.shape[:axis] + (1,) + idx.shape[axis:])
    positions = build.reshape(build.arange(depth, dtype=idx.dtype),
                              tuple(depth if i == axis else 1 for i in builtins.range(rank)))
    hit = build.elementwise(Op.EQUAL, expanded, positions)
    return wrap(build.elementwise(Op.WHERE, hit, on, off))


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """``tf.gather``: slices of ``params`` along ``axis`` (default 0) at ``indices``. The
    indices are read at the call (TensorFlow checks their range there, as here)."""
    (p,) = match([params], "GatherV2")
    if batch_dims:
        from .errors import UnimplementedError
        raise UnimplementedError(None, None, "gather with batch_dims is not implemented")
    axis = 0 if axis is None else int(np.asarray(axis))
    if not -p.ndim <= axis < p.ndim:
        raise invalid("GatherV2", f"Expected axis in the range [{-p.ndim}, {p.ndim}), "
                                  f"but got {axis}")
    axis %= p.ndim
    idx = np.asarray(indices if not isinstance(indices, (list, tuple)) else
                     np.asarray(indices))
    if idx.dtype.kind not in "iu":
        raise invalid("GatherV2", f"Value for attr 'Tindices' of {idx.dtype.name} is not "
                                  "in the list of allowed values: int16, int32, int64")
    bad = np.flatnonzero((idx < 0) | (idx >= p.shape[axis]))
    if bad.size:
        i = int(bad[0])
        raise invalid("GatherV2", f"indices[{i}] = {idx.ravel()[i]} is not in "
                                  f"[0, {p.shape[axis]})")
    return wrap(build.take(p, build.input(np.array(idx)), axis))


# --- linear algebra -----------------------------------------------------------------------
def _swap_last(n):
    axes = list(builtins.range(n.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return build.transpose(n, axes)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None) -> Tensor:
    """``tf.matmul``: rank >= 2 operands of one dtype, batch dimensions broadcast.

    A product with a small inner dimension and a small right operand (a dense layer's
    weights) is computed inside the fused loop of what follows it on the llvm backend
    (``weldish.ir.passes.matmul``); larger ones run on NumPy's BLAS.
    """
    x, y = match([a, b], "MatMul")
    for i, n in enumerate((x, y)):
        if n.ndim < 2:
            raise invalid("MatMul", f"In[{i}] ndims must be >= 2: {n.ndim}")
    if x.dtype.kind == "b":
        raise invalid("MatMul", "Value for attr 'T' of bool is not in the list of allowed "
                                "values (a number type)")
    if transpose_a or adjoint_a:
        x = _swap_last(x)
    if transpose_b or adjoint_b:
        y = _swap_last(y)
    if x.shape[-1] != y.shape[-2]:
        if x.ndim == y.ndim == 2:
            raise invalid("MatMul", f"Matrix size-incompatible: In[0]: {fmt(x.shape)}, "
                                    f"In[1]: {fmt(y.shape)}")
        raise invalid("BatchMatMulV2", f"In[0] mismatch In[1] shape: {x.shape[-1]} vs. "
                                       f"{y.shape[-2]}: {fmt(x.shape)} {fmt(y.shape)} 0 0")
    try:
        np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError:
        raise invalid("BatchMatMulV2", f"In[0] and In[1] must have compatible batch "
                                       f"dimensions: {fmt(x.shape)} vs. {fmt(y.shape)}") \
            from None
    out = build.matmul(x, y)
    if output_type is not None and as_dtype(output_type).dtype != out.dtype:
        out = build.astype(out, as_dtype(output_type).dtype)
    return wrap(out)


def tensordot(a, b, axes, name=None) -> Tensor:
    """``tf.tensordot``: contraction over ``axes`` (an int N: the last N of ``a`` with the
    first N of ``b``; or a pair of axis lists), as a transpose, reshape and matmul."""
    x, y = match([a, b], "MatMul")
    if isinstance(axes, (int, np.integer)) or (isinstance(axes, (Tensor, np.ndarray)) and
                                                np.ndim(axes) == 0):
        k = int(np.asarray(axes))
        if k < 0 or k > builtins.min(x.ndim, y.ndim):
            raise ValueError(f"'axes' must be at most the rank of a and b, got {k}")
        a_axes, b_axes = list(builtins.range(x.ndim - k, x.ndim)), list(builtins.range(k))
    else:
        a_axes, b_axes = (_ints(v) for v in axes)
        a_axes = [v % x.ndim for v in a_axes]
        b_axes = [v % y.ndim for v in b_axes]
    if len(a_axes) != len(b_axes) or any(x.shape[i] != y.shape[j]
                                         for i, j in zip(a_axes, b_axes)):
        raise invalid("MatMul", f"Matrix size-incompatible: tensordot of {fmt(x.shape)} "
                                f"axes {a_axes} with {fmt(y.shape)} axes {b_axes}")
    free_a = [i for i in builtins.range(x.ndim) if i not in a_axes]
    free_b = [i for i in builtins.range(y.ndim) if i not in b_axes]
    inner = int(np.prod([x.shape[i] for i in a_axes], dtype=np.int64))
    xa = build.reshape(build.transpose(x, free_a + a_axes), (-1, inner))
    yb = build.reshape(build.transpose(y, b_axes + free_b), (inner, -1))
    out = build.matmul(xa, yb)
    shape = tuple(x.shape[i] for i in free_a) + tuple(y.shape[i] for i in free_b)
    return wrap(build.reshape(out, shape))


# --- creation -----------------------------------------------------------------------------
def zeros(shape, dtype="float32", name=None) -> Tensor:
    return wrap(build.full(tuple(_ints(shape)), 0, dtype=as_dtype(dtype).dtype))


def ones(shape, dtype="float32", name=None) -> Tensor:
    return wrap(build.full(tuple(_ints(shape)), 1, dtype=as_dtype(dtype).dtype))


def fill(dims, value, name=None) -> Tensor:
    v = to_node(value)
    return wrap(build.broadcast_to(v if v.ndim == 0 else build.reshape(v, ()),
                                   tuple(_ints(dims))))


def zeros_like(input, dtype=None, name=None) -> Tensor:  # noqa: A002
    n = match([input], "ZerosLike")[0]
    return wrap(build.full(n.shape, 0, dtype=as_dtype(dtype or n.dtype).dtype))


def ones_like(input, dtype=None, name=None) -> Tensor:  # noqa: A002
    n = match([input], "OnesLike")[0]
    return wrap(build.full(n.shape, 1, dtype=as_dtype(dtype or n.dtype).dtype))


def range(start, limit=None, delta=1, dtype=None, name="range") -> Tensor:  # noqa: A001
    """``tf.range``: int32 for Python ints, float32 when any bound is a float."""
    values = [np.asarray(v).item() if isinstance(v, (Tensor, np.generic)) else v
              for v in (start, limit, delta)]
    if dtype is None:
        dtype = "float32" if any(isinstance(v, float) for v in values) else "int32"
    start, limit, delta = values
    return wrap(build.arange(start, limit, delta, dtype=as_dtype(dtype).dtype))


def shape(input, out_type="int32", name=None) -> Tensor:  # noqa: A002
    n = match([input], "Shape")[0]
    return wrap(to_node(np.asarray(n.shape, dtype=as_dtype(out_type).dtype)))


def rank(input, name=None) -> Tensor:  # noqa: A002
    return wrap(build.const(match([input], "Rank")[0].ndim, dtype=np.int32))


def size(input, out_type="int32", name=None) -> Tensor:  # noqa: A002
    return wrap(build.const(match([input], "Size")[0].size, dtype=as_dtype(out_type).dtype))

"""Shape functions and the remaining elementwise functions (where, clip, round, astype).

Functions that return a view in NumPy (reshape when no copy is needed, ravel, transpose,
swapaxes, moveaxis, expand_dims, squeeze, broadcast_to, flip) return lazy *views*: writes
into them reach the base (see ``weldish.lazy``).
"""
from __future__ import annotations

import builtins
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..ir import build, dtypes as dt
from ..ir.ops import Op
from ..lazy import LazyArray, Unsupported, _layout_stand_in, to_node
from ._api import NoValue, implements, require_default


def lazy(a) -> LazyArray:
    return a if isinstance(a, LazyArray) else LazyArray(to_node(a))


def _order_c(order):
    if order not in ("C", "K", "A", None):
        raise Unsupported(f"order={order!r}")


# --- views -------------------------------------------------------------------------------
def _reshape_view(x: LazyArray, target, copy=None) -> LazyArray:
    target = tuple(target)
    try:
        np.reshape(_layout_stand_in(x), target, copy=False)
        viewable = True
    except ValueError:
        viewable = False
    if viewable and not copy:
        base_shape = x.shape
        return x._make_view(lambda n: build.reshape(n, target),
                            lambda a: np.reshape(a, target),
                            lambda b, new: build.reshape(new, base_shape))
    if copy is False:
        raise ValueError("Unable to avoid creating a copy while reshaping.")
    node = build.reshape(x.node, target)
    return LazyArray(build.elementwise(Op.COPY, node) if node is x.node else node)


@implements(np.reshape)
def reshape(a, /, shape=None, order="C", *, newshape=None, copy=None):
    _order_c(order)
    shape = newshape if shape is None else shape
    if shape is None:
        raise TypeError("reshape() missing 1 required positional argument: 'shape'")
    x = lazy(a)
    return _reshape_view(x, build.reshape(x.node, shape).shape, copy)


@implements(np.ravel)
def ravel(a, order="C"):
    _order_c(order)
    x = lazy(a)
    return _reshape_view(x, (x.size,))


def _transpose_view(x: LazyArray, axes) -> LazyArray:
    node = build.transpose(x.node, axes)
    axes = tuple(dict(node.arg)["axes"]) if node is not x.node else tuple(range(x.ndim))
    inverse = tuple(int(i) for i in np.argsort(axes))
    return x._make_view(lambda n: build.transpose(n, axes),
                        lambda a: np.transpose(a, axes),
                        lambda b, new: build.transpose(new, inverse))


@implements(np.transpose)
def transpose(a, axes=None):
    return _transpose_view(lazy(a), axes)


@implements(np.permute_dims)
def permute_dims(a, axes=None):
    return _transpose_view(lazy(a), axes)


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    x = lazy(a)
    i, j = normalize_axis_index(axis1, x.ndim), normalize_axis_index(axis2, x.ndim)
    perm = list(range(x.ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return _transpose_view(x, perm)


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    x = lazy(a)
    src = normalize_axis_tuple(source, x.ndim, "source")
    dst = normalize_axis_tuple(destination, x.ndim, "destination")
    if len(src) != len(dst):
        raise ValueError("`source` and `destination` arguments must have the same number "
                         "of elements")
    order = [n for n in range(x.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _transpose_view(x, order)


@implements(np.expand_dims)
def expand_dims(a, axis):
    x = lazy(a)
    return _reshape_view(x, np.expand_dims(dt.stand_in(x.dtype, x.shape), axis).shape)


@implements(np.squeeze)
def squeeze(a, axis=None):
    x = lazy(a)
    return _reshape_view(x, np.squeeze(dt.stand_in(x.dtype, x.shape), axis).shape)


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    x = lazy(array)
    target = build.broadcast_to(x.node, shape).shape
    return x._make_view(lambda n: build.broadcast_to(n, target),
                        lambda a: np.broadcast_to(a, target), None)  # read-only


@implements(np.flip)
def flip(m, axis=None):
    x = lazy(m)
    axes = range(x.ndim) if axis is None else normalize_axis_tuple(axis, x.ndim)
    key = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))
    return x[key]


# --- joining -------------------------------------------------------------------------------
@implements(np.concatenate)
def concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    require_default(out=out, dtype=dtype)
    if casting != "same_kind":
        raise Unsupported("casting=")
    return LazyArray(build.concatenate([to_node(a) for a in arrays], axis=axis))


@implements(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    require_default(out=out, dtype=dtype)
    nodes = [to_node(a) for a in arrays]
    if not nodes:
        raise ValueError("need at least one array to stack")
    if len({n.shape for n in nodes}) != 1:
        raise ValueError("all input arrays must have the same shape")
    axis = normalize_axis_index(axis, nodes[0].ndim + 1)
    shape = nodes[0].shape[:axis] + (1,) + nodes[0].shape[axis:]
    return LazyArray(build.concatenate([build.reshape(n, shape) for n in nodes], axis=axis))


@implements(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    require_default(dtype=dtype)
    nodes = [to_node(a) for a in tup]
    nodes = [build.reshape(n, (1,)) if n.ndim == 0 else n for n in nodes]
    axis = 0 if nodes and nodes[0].ndim == 1 else 1
    return LazyArray(build.concatenate(nodes, axis=axis))


@implements(np.vstack)
def vstack(tup, *, dtype=None, casting="same_kind"):
    require_default(dtype=dtype)
    nodes = [to_node(a) for a in tup]
    nodes = [build.reshape(n, (1,) * (2 - n.ndim) + n.shape) if n.ndim < 2 else n
             for n in nodes]
    return LazyArray(build.concatenate(nodes, axis=0))


@implements(np.roll)
def roll(a, shift, axis=None):
    x = lazy(a)
    if axis is None:
        return roll(x.ravel(), shift, 0).reshape(x.shape)
    shifts = (shift,) if np.ndim(shift) == 0 else tuple(shift)
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    shifts, axes = np.broadcast_arrays(np.asarray(shifts), np.asarray(axes))
    total = {}
    for s, ax in zip(shifts.tolist(), axes.tolist()):
        ax = normalize_axis_index(ax, x.ndim)
        total[ax] = total.get(ax, 0) + s
    node = x.node
    for ax, s in total.items():
        n = x.shape[ax]
        if n == 0 or s % n == 0:
            continue
        s %= n
        head = [slice(None)] * ax + [slice(n - s, None)]
        tail = [slice(None)] * ax + [slice(None, n - s)]
        node = build.concatenate([build.getitem(node, tuple(head)),
                                  build.getitem(node, tuple(tail))], axis=ax)
    return LazyArray(build.elementwise(Op.COPY, node) if node is x.node else node)


# --- elementwise functions that are not plain ufunc calls ---------------------------------
@implements(np.where)
def where(condition, x=NoValue, y=NoValue):
    if x is NoValue or y is NoValue:
        raise Unsupported("where(condition) (nonzero)")
    return LazyArray(build.elementwise(Op.WHERE, *map(to_node, (condition, x, y))))


@implements(np.clip)
def clip(a, a_min=NoValue, a_max=NoValue, out=None, *, min=NoValue, max=NoValue, **kwargs):
    require_default(out=out)
    if kwargs:
        raise Unsupported("ufunc keywords")
    lo = a_min if min is NoValue else min
    hi = a_max if max is NoValue else max
    lo = None if lo is NoValue else lo
    hi = None if hi is NoValue else hi
    if lo is None and hi is None:
        raise Unsupported("clip without bounds")
    if lo is None:
        return LazyArray(build.elementwise(Op.MINIMUM, to_node(a), to_node(hi)))
    if hi is None:
        return LazyArray(build.elementwise(Op.MAXIMUM, to_node(a), to_node(lo)))
    return LazyArray(build.elementwise(Op.CLIP, *map(to_node, (a, lo, hi))))


@implements(np.round)
def round(a, decimals=0, out=None):
    require_default(out=out)
    return LazyArray(build.elementwise(Op.ROUND, to_node(a),
                                       arg=build.kw(decimals=operator.index(decimals))))


@implements(np.around)
def around(a, decimals=0, out=None):
    return round(a, decimals, out)


@implements(np.astype)
def astype(x, dtype, /, *, copy=True, device=None):
    if not isinstance(x, LazyArray):
        raise TypeError(f"Input should be a NumPy array. It is a {type(x)} instead.")
    if np.dtype(dtype) == x.dtype:
        return LazyArray(build.elementwise(Op.COPY, x.node)) if copy else x
    return LazyArray(build.astype(x.node, dtype))


@implements(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    require_default(out=out)
    if mode != "raise":
        raise Unsupported(f"mode={mode!r}")
    x = lazy(a)
    if axis is None:
        x, axis = x.ravel(), 0
    from ._indexing import index_node
    axis = normalize_axis_index(axis, x.ndim)
    return LazyArray(build.take(x.node, index_node(indices, x.shape[axis], axis), axis))


@implements(np.divmod)
def divmod(x1, x2, /, out=(None, None), **kwargs):
    if kwargs or out != (None, None):
        raise Unsupported("divmod keywords")
    from ._ufuncs import divmod_
    return divmod_(x1, x2)


__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "annotations", "builtins", "operator", "np", "build", "dt", "Op", "LazyArray", "Unsupported",
    "NoValue", "implements", "require_default", "to_node", "normalize_axis_index",
    "normalize_axis_tuple", "lazy")]
del builtins

"""Array creation returning lazy arrays (``zeros``, ``arange``, ``asarray``, ...)."""
from __future__ import annotations

import numpy as np

from ..ir import build
from ..ir.ops import Op
from ..lazy import LazyArray, Unsupported, to_node, wrap_array
from ._api import implements


def _order_c(order):
    if order not in (None, "C", "K", "A"):
        raise Unsupported(f"order={order!r}")


@implements(np.asarray)
def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    _order_c(order)
    if like is not None or device is not None:
        raise Unsupported("like=/device=")
    if isinstance(a, LazyArray):
        if dtype is not None and np.dtype(dtype) != a.dtype:
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as requested.")
            return LazyArray(build.astype(a.node, dtype))
        return LazyArray(a.node) if copy else a
    if hasattr(a, "__cuda_array_interface__"):   # a device array: see weldish.gpu
        from ..gpu import device_input
        return asarray(LazyArray(device_input(a)), dtype=dtype, copy=copy)
    arr = np.asarray(a, dtype=dtype, copy=copy)
    if arr.dtype.kind not in "biufc" or type(arr) is not np.ndarray:
        raise Unsupported(f"dtype {arr.dtype}")
    return wrap_array(arr)


@implements(np.array)
def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    _order_c(order)
    if subok or like is not None:
        raise Unsupported("subok=/like=")
    if isinstance(object, LazyArray) and ndmin <= object.ndim:
        if copy is False and dtype is not None and np.dtype(dtype) != object.dtype:
            raise ValueError("Unable to avoid copy while creating an array as requested.")
        if dtype is None or np.dtype(dtype) == object.dtype:
            return _copy(object) if copy else object
        return LazyArray(build.astype(object.node, dtype))
    arr = np.array(object, dtype=dtype, copy=copy, ndmin=ndmin)  # copies, as NumPy does
    if arr.dtype.kind not in "biufc":
        raise Unsupported(f"dtype {arr.dtype}")
    return wrap_array(arr)


@implements(np.asanyarray)
def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    return asarray(a, dtype=dtype, order=order, device=device, copy=copy, like=like)


@implements(np.ascontiguousarray)
def ascontiguousarray(a, dtype=None, *, like=None):
    out = asarray(a, dtype=dtype, like=like)
    return out if out.ndim else out.reshape(1)


def _full(shape, value, dtype, order):
    _order_c(order)
    return LazyArray(build.full(shape, value, dtype))


@implements(np.zeros)
def zeros(shape, dtype=float, order="C", *, device=None, like=None):
    return _full(shape, 0, dtype, order)


@implements(np.ones)
def ones(shape, dtype=None, order="C", *, device=None, like=None):
    return _full(shape, 1, dtype if dtype is not None else float, order)


@implements(np.empty)
def empty(shape, dtype=float, order="C", *, device=None, like=None):
    return _full(shape, 0, dtype, order)


@implements(np.full)
def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    if not np.isscalar(fill_value) and not isinstance(fill_value, (bool, int, float)):
        raise Unsupported("array fill_value")
    return _full(shape, fill_value, dtype, order)


def _like(a, value, dtype, order, shape):
    _order_c(order)
    node = to_node(a)
    return LazyArray(build.full(node.shape if shape is None else shape, value,
                                node.dtype if dtype is None else dtype))


@implements(np.zeros_like)
def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return _like(a, 0, dtype, order, shape)


@implements(np.ones_like)
def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return _like(a, 1, dtype, order, shape)


@implements(np.empty_like)
def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return _like(prototype, 0, dtype, order, shape)


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    if not np.isscalar(fill_value):
        raise Unsupported("array fill_value")
    return _like(a, fill_value, dtype, order, shape)


@implements(np.arange)
def arange(start_or_stop, /, stop=None, step=None, *, dtype=None, device=None, like=None):
    if like is not None or device is not None:
        raise Unsupported("like=/device=")
    return LazyArray(build.arange(start_or_stop, stop, step, dtype))


@implements(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    if retstep or axis != 0 or not (np.isscalar(start) and np.isscalar(stop)):
        raise Unsupported("retstep/axis/array endpoints")
    return LazyArray(build.linspace(start, stop, num, endpoint, dtype))


@implements(np.eye)
def eye(N, M=None, k=0, dtype=float, order="C", *, device=None, like=None):
    _order_c(order)
    return LazyArray(build.eye(N, M, k, dtype))


@implements(np.identity)
def identity(n, dtype=None, *, like=None):
    return eye(n, dtype=float if dtype is None else dtype)


def _copy(x: LazyArray) -> LazyArray:
    """A copy taken now if ``x`` already is an array (its holder may write into it later,
    and NumPy's copy would not see that); otherwise a lazy copy node."""
    root = x
    while root._base is not None:
        root = root._base
    if root._is_materialized():
        return wrap_array(np.array(np.asarray(x), copy=True))
    return LazyArray(build.elementwise(Op.COPY, x.node))


@implements(np.copy)
def copy(a, order="K", subok=False):
    _order_c(order)
    if isinstance(a, LazyArray):
        return _copy(a)
    return wrap_array(np.array(a, copy=True))

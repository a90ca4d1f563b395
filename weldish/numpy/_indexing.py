"""``x[key]`` and ``x[key] = value`` on lazy arrays.

- basic keys (ints, slices, None, Ellipsis): a lazy *view* (NumPy returns a view);
- one integer array (optionally after full slices): a lazy ``take`` along that axis;
- one boolean mask over the leading dimensions: the mask is evaluated (or copied) to learn
  the result length (NumPy's result shape depends on the data), then a lazy ``compress``
  (compiled as a compaction loop, with the arithmetic on the selected values);
- any other key: NumPy indexes the evaluated array (recorded fallback).
Assignment is functional: the array is rebound to ``setitem(old, value)``; a view writes
into its base.
"""
from __future__ import annotations

import numpy as np

from .. import fallback
from ..evaluate import evaluate_many
from ..ir import build, dtypes as dt
from ..ir.ops import Op
from ..lazy import LazyArray, Unsupported, to_node, wrap_array


def _is_basic(k) -> bool:
    if k is None or k is Ellipsis or isinstance(k, slice):
        return True
    if isinstance(k, (bool, np.bool_)):
        return False
    return isinstance(k, (int, np.integer))


def _as_index_array(k):
    """A key item that is an array (lazy, ndarray, list) -> (LazyArray | ndarray)."""
    if isinstance(k, LazyArray):
        return k
    arr = np.asarray(k)
    if arr.size == 0 and arr.dtype.kind == "f":
        arr = arr.astype(np.intp)  # x[[]] is an empty integer index in NumPy
    return arr


def index_node(idx, axis_len: int, axis: int):
    """The node of an integer index array; concrete indices are bounds-checked now."""
    if isinstance(idx, LazyArray):
        return idx.node
    arr = _as_index_array(idx)
    if arr.dtype.kind not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        bad = hi if hi >= axis_len else (lo if lo < -axis_len else None)
        if bad is not None:
            raise IndexError(f"index {bad} is out of bounds for axis {axis} with size "
                             f"{axis_len}")
    return build.input(arr) if arr.ndim else build.const(arr[()], dtype=arr.dtype)


def _basic_view(x: LazyArray, key: tuple) -> LazyArray:
    key = build.normalize_basic_key(key)
    node = build.getitem(x.node, key)  # NumPy's IndexError now
    if len(key) == x.ndim and all(type(k) is int for k in key):
        # A full integer index gives a scalar (a copy), not a view; from an evaluated
        # array it is read now, as cheaply as NumPy reads it.
        root = x
        while root._base is not None:
            root = root._base
        if root._is_materialized():
            return wrap_array(np.array(np.asarray(x)[key]))
        return LazyArray(node)
    return x._make_view(lambda n: build.getitem(n, key),
                        lambda a: a[key],
                        lambda b, new: build.setitem(b, new, key))


def _mask(x: LazyArray, m) -> LazyArray:
    # NumPy reads the mask at the call: a private copy, so a later write into the mask
    # (or into the array handed out for a lazy one) changes nothing, as in NumPy
    value = np.array(evaluate_many([m])[0] if isinstance(m, LazyArray) else m)
    node = build.input(value, source="mask")
    if value.ndim == 0 or value.ndim > x.ndim:
        raise Unsupported("0-d or over-long boolean index")
    for i, (n, k) in enumerate(zip(x.shape, value.shape)):
        if n != k:
            raise IndexError(f"boolean index did not match indexed array along axis {i}; "
                             f"size of axis is {n} but size of corresponding boolean axis "
                             f"is {k}")
    return LazyArray(build.compress(x.node, node, int(np.count_nonzero(value))))


def _lazy_getitem(x: LazyArray, key) -> LazyArray:
    key = key if isinstance(key, tuple) else (key,)
    if all(_is_basic(k) for k in key):
        return _basic_view(x, key)
    arrays = [i for i, k in enumerate(key) if not _is_basic(k)]
    if len(arrays) != 1:
        raise Unsupported("several advanced indices")
    pos = arrays[0]
    if any(not (isinstance(k, slice) and k == slice(None)) for k in key[:pos]) or \
            any(k is not Ellipsis and not (isinstance(k, slice) and k == slice(None))
                for k in key[pos + 1:]):
        raise Unsupported("advanced index mixed with basic indices")
    idx = _as_index_array(key[pos])
    if idx.dtype.kind == "b":
        if pos != 0:
            raise Unsupported("boolean index after other indices")
        return _mask(x, idx)
    if pos >= x.ndim:
        raise IndexError(f"too many indices for array: array is {x.ndim}-dimensional, "
                         f"but {len(key)} were indexed")
    return LazyArray(build.take(x.node, index_node(idx, x.shape[pos], pos), pos))


def getitem(x: LazyArray, key):
    try:
        return _lazy_getitem(x, key)
    except Unsupported as e:
        reason = f"unsupported: {e}"
    except Exception as e:  # noqa: BLE001 - NumPy gives the result or the error
        reason = f"lazy path raised {type(e).__name__}: {e}"
    return fallback.call(lambda a, k: a[k], (x, key), {}, name="ndarray.__getitem__",
                         reason=reason)


def setitem(x: LazyArray, key, value):
    try:
        _lazy_setitem(x, key, value)
        return
    except Unsupported as e:
        reason = f"unsupported: {e}"
    except Exception as e:  # noqa: BLE001 - NumPy gives the result or the error
        reason = f"lazy path raised {type(e).__name__}: {e}"

    def assign(a, k, v):
        out = np.array(a, copy=True)  # never write into an array weldish was given
        out[k] = v
        return out
    x._set_node(to_node(fallback.call(assign, (x, key, value), {},
                                      name="ndarray.__setitem__", reason=reason)))


def _check_concrete_indices(shape, key):
    """NumPy's IndexError, now, for concrete index arrays in an assignment key."""
    widths = [0 if k is None else (np.ndim(k) if _is_array_key(k) and
              _as_index_array(k).dtype.kind == "b" else 1) for k in key if k is not Ellipsis]
    axis = 0
    for k in key:
        if k is Ellipsis:
            axis += len(shape) - sum(widths)
            continue
        if k is None:
            continue
        if _is_array_key(k) and not isinstance(k, LazyArray):
            idx = _as_index_array(k)
            if idx.dtype.kind == "b":
                for i, (n, m) in enumerate(zip(shape[axis:], idx.shape)):
                    if n != m:
                        raise IndexError(
                            f"boolean index did not match indexed array along axis "
                            f"{axis + i}; size of axis is {n} but size of corresponding "
                            f"boolean axis is {m}")
                axis += idx.ndim
                continue
            if axis >= len(shape):
                raise IndexError(f"too many indices for array: array is {len(shape)}-"
                                 f"dimensional, but {len(widths)} were indexed")
            index_node(idx, shape[axis], axis)
        axis += 1


def _is_array_key(k) -> bool:
    return not _is_basic(k)


def _lazy_setitem(x: LazyArray, key, value):
    key = key if isinstance(key, tuple) else (key,)
    vnode = to_node(value)
    if vnode.op is Op.CONST:  # NumPy's errors for NaN -> int, out-of-range Python ints
        with dt.quiet():
            np.zeros((), dtype=x.dtype)[()] = build.const_value(vnode)
    if all(_is_basic(k) for k in key):
        key = build.normalize_basic_key(key)
        target = dt.stand_in(x.dtype, x.shape)[key].shape
        vshape = vnode.shape
        while len(vshape) > len(target) and vshape[0] == 1:  # NumPy drops leading 1s
            vshape = vshape[1:]
        if vshape != vnode.shape:
            vnode = build.reshape(vnode, vshape)
        try:
            ok = np.broadcast_shapes(vshape, target) == target
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"could not broadcast input array from shape {vnode.shape} "
                             f"into shape {target}")
        x._set_node(build.setitem(x.node, vnode, key))
        return
    _check_concrete_indices(x.shape, key)
    template, arrays = [], []
    for k in key:
        if _is_basic(k):
            template.extend(build.normalize_basic_key((k,)))
            continue
        idx = _as_index_array(k)
        if isinstance(idx, np.ndarray) and idx.dtype.kind not in "biu":
            raise IndexError("arrays used as indices must be of integer (or boolean) type")
        template.append(f"@{len(arrays)}")
        arrays.append(to_node(idx))
    x._set_node(build.setitem(x.node, vnode, tuple(template), arrays))

"""Running a compiled kernel: operand layout, dimension coalescing, threads.

The iteration space is simplified before dispatch the way NumPy's iterator does it:
size-1 dimensions dropped and adjacent dimensions merged where every operand is
contiguous across them, so most kernels run as one flat loop. The outermost dimension is
split over a persistent thread pool (a ctypes call releases the GIL). A reduction whose
outermost dimension is reduced gives each thread its own accumulator, combined afterwards
in thread order, so a result never depends on timing.
"""
from __future__ import annotations

import ctypes
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...ir.ops import Op
from .emit import BROADCAST, GENERAL, UNIT

# Below this many elements a kernel runs on the calling thread (thread hand-off costs
# more than it saves).
PARALLEL_THRESHOLD = int(os.environ.get("WELDISH_PARALLEL_THRESHOLD", 1 << 16))

IDENTITY = {Op.SUM: 0, Op.PROD: 1, Op.ANY: False, Op.ALL: True}
COMBINE = {Op.SUM: np.add, Op.PROD: np.multiply, Op.MIN: np.minimum, Op.MAX: np.maximum,
           Op.ANY: np.logical_or, Op.ALL: np.logical_and}

_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def pool(n: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    if _pool is None or _pool_size != n:
        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool, _pool_size = ThreadPoolExecutor(n, thread_name_prefix="weldish"), n
    return _pool


def identity(op, dtype, empty=False):
    dtype = np.dtype(dtype)
    if op is Op.SUM and dtype.kind == "f" and not empty:
        return -0.0  # the additive identity: a sum of -0.0s stays -0.0 (NumPy: +0.0 if empty)
    if op in IDENTITY:
        return IDENTITY[op]
    big = np.inf if dtype.kind == "f" else (np.iinfo(dtype).max if dtype.kind in "iu" else True)
    small = -np.inf if dtype.kind == "f" else (np.iinfo(dtype).min if dtype.kind in "iu"
                                               else False)
    return big if op is Op.MIN else small


def coalesce(shape, strides_per_op, reduced, itemsizes):
    """Drop size-1 dims and merge contiguous neighbours (same reducedness). A single
    element gets the layout of a contiguous one (so n=1 reuses the n=1000 kernel)."""
    dims = [(n, [s[d] for s in strides_per_op], reduced[d]) for d, n in enumerate(shape)
            if n != 1]
    merged = []
    for n, st, red in dims:
        if merged:
            pn, pst, pred = merged[-1]
            if pred == red and all(a == b * n for a, b in zip(pst, st)):
                merged[-1] = (pn * n, st, red)
                continue
        merged.append((n, st, red))
    if not merged:
        red = bool(reduced) and all(reduced)
        merged = [(1, list(itemsizes[:-1]) + [0 if red else itemsizes[-1]], red)]
    shape = tuple(m[0] for m in merged)
    strides = [tuple(m[1][k] for m in merged) for k in range(len(strides_per_op))]
    return shape, strides, tuple(m[2] for m in merged)


def stride_class(stride, itemsize):
    return BROADCAST if stride == 0 else UNIT if stride == itemsize else GENERAL


def prepare(kernel, values):
    """Operands broadcast to the iteration space, the output and accumulator buffers."""
    shape = kernel.shape
    ops = [np.broadcast_to(np.asarray(v), shape) for v in values]
    if kernel.reduce is None:
        out = np.empty(shape, kernel.output.dtype)
        return ops, out, out, tuple(False for _ in shape)
    arg = dict(kernel.reduce.arg)
    axes = arg["axis"]
    reduced = tuple(axes is None or d in axes for d in range(len(shape)))
    acc_dtype = np.dtype(bool) if kernel.reduce.op in (Op.ANY, Op.ALL) else kernel.output.dtype
    kd_shape = tuple(1 if r else n for n, r in zip(shape, reduced))
    empty = any(n == 0 for n in shape)
    out = np.full(kd_shape, identity(kernel.reduce.op, acc_dtype, empty), acc_dtype)
    acc = as_strided(out, shape, tuple(0 if r else s for r, s in zip(reduced, out.strides)))
    return ops, out, acc, reduced


def run(kernel, values, get_function, num_threads: int):
    """Compute ``kernel`` on operand ``values``; ``get_function(ndim, classes, reduced)``
    returns the compiled kernel for that layout."""
    ops, out, acc, reduced = prepare(kernel, values)
    if out.size == 0 or any(n == 0 for n in kernel.shape):
        return _finish(kernel, out)
    arrays = ops + [acc]
    shape, strides, red = coalesce(kernel.shape, [a.strides for a in arrays], reduced,
                                   [a.itemsize for a in arrays])
    classes = tuple(tuple(stride_class(s, a.itemsize) for s in st)
                    for st, a in zip(strides, arrays))
    fn = get_function(len(shape), classes, red)
    ndim = len(shape)
    c_shape = (ctypes.c_int64 * ndim)(*shape)
    c_strides = (ctypes.c_int64 * (ndim * len(arrays)))(*[s for st in strides for s in st])
    total = int(np.prod(shape))
    chunks = _chunks(shape[0], num_threads if total >= PARALLEL_THRESHOLD else 1)
    if len(chunks) == 1:
        fn(0, shape[0], c_shape, _pointers(arrays), c_strides)
        return _finish(kernel, out)
    if red[0]:  # each thread accumulates privately; combined in chunk order
        privates = [np.full_like(out, out.flat[0]) for _ in chunks]
        accs = [as_strided(p, acc.shape, acc.strides) for p in privates]
        datas = [_pointers(ops + [a]) for a in accs]
    else:
        datas = [_pointers(arrays)] * len(chunks)
    futures = [pool(num_threads).submit(fn, lo, hi, c_shape, data, c_strides)
               for (lo, hi), data in zip(chunks, datas)]
    for f in futures:
        f.result()
    if red[0]:
        out = COMBINE[kernel.reduce.op].reduce(np.stack(privates), axis=0)
    return _finish(kernel, out)


def _pointers(arrays):
    return (ctypes.c_void_p * len(arrays))(*[a.__array_interface__["data"][0] for a in arrays])


def _chunks(n, k):
    k = max(1, min(k, n))
    bounds = [n * i // k for i in range(k + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(k) if bounds[i] < bounds[i + 1]]


def _finish(kernel, out):
    if kernel.reduce is not None:
        out = out.reshape(kernel.output.shape).astype(kernel.output.dtype, copy=False)
    return out

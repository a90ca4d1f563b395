"""A call of an annotated function: recorded as ``call`` nodes, or run at the call.

See ``weldish.annotate`` for the rules. A recorded call is a ``CallSpec`` (the function,
its arguments' layout and split, hashable by identity) and one ``call`` node per result:
the return value and each lazy argument written in place (``Mut``); the nodes share the
spec, so a stage calls the function once per piece for all of them.
"""
from __future__ import annotations

import time

import numpy as np

from .. import fallback
from ..annotate import (ArraySplit, DataFrameSplit, Generic, Mut, Reduce,
                        resolve_generic)
from ..ir import build
from ..ir import dtypes as dt
from ..ir.node import Node
from ..ir.ops import Op

STATE = {"recorded": 0}   # call nodes recorded in this process (the evaluate hook's gate)


class Eager(Exception):
    """The graph cannot hold this call: it runs at the call (the message says why)."""


def _is_lazy(v):
    from ..lazy import LazyArray
    return isinstance(v, LazyArray)


def _is_pandas(v):
    return type(v).__module__.startswith("pandas")


def _is_arraylike(v):
    return isinstance(v, np.ndarray) or _is_lazy(v) or _is_pandas(v)


# --- split types at the call ----------------------------------------------------------------
def _producer_split(v):
    """The split of the annotated call that produced lazy ``v`` (Mozart's inference)."""
    node = v.node
    if node.op is Op.CALL:
        arg = dict(node.arg)
        axis = arg["call"].output_axes[arg["output"]]
        if axis is not None:
            return ArraySplit(axis)
    return None


def resolve(annotated, pos, kw):
    """Concrete split types for the bound arguments: generics unified by name.

    Returns (entries, returns): entries = [(key, value, type)] where key is an int
    (position) or a str (keyword); type None for a non-array value without a split type
    (passed whole). Raises Eager for an array without a split type or generics that do not
    unify."""
    entries = [(i, v, t) for i, (v, t) in enumerate(pos)] + \
              [(k, v, t) for k, (v, t) in kw.items()]
    generics = {}
    for key, v, t in entries:
        inner = t.inner if isinstance(t, Mut) else t
        # scalars bound to a generic are passed whole: they do not decide its split
        if isinstance(inner, Generic) and (_is_pandas(v) or
                                           (_is_arraylike(v) and np.ndim(v) > 0)):
            found = (_producer_split(v) if _is_lazy(v) else None) or resolve_generic(v)
            seen = generics.setdefault(inner.name, found)
            if seen != found:
                raise Eager(f"generic {inner.name!r} resolved to {seen} and to {found}")
    out = []
    for key, v, t in entries:
        if t is None:
            if _is_arraylike(v):
                raise Eager(f"argument {key!r} is an array without a split type")
        elif isinstance(t, Generic):
            t = generics.get(t.name, ArraySplit(0))
        elif isinstance(t, Mut) and isinstance(t.inner, Generic):
            t = Mut(generics.get(t.inner.name, ArraySplit(0)))
        out.append((key, v, t))
    returns = annotated.returns
    if isinstance(returns, Generic):
        returns = generics.get(returns.name, ArraySplit(0))
    return out, returns


def _length(entries):
    """The common number of elements of the split arguments (None: nothing splits)."""
    n = None
    for key, v, t in entries:
        if t is None or not t.splits:
            continue
        shape_of = v.node if _is_lazy(v) else v
        m = t.elements(_Shaped(shape_of.shape) if _is_lazy(v) else v)
        if m is None:
            continue
        if n is not None and m != n:
            raise Eager(f"split arguments of different lengths ({n} and {m})")
        n = m
    return n


class _Shaped:
    """Just a shape (what ArraySplit.elements reads of a lazy value)."""
    __slots__ = ("shape",)

    def __init__(self, shape):
        self.shape = shape


# --- the spec of a recorded call ------------------------------------------------------------
class CallSpec:
    """One recorded call: ``fn(*args, **kwargs)`` with sources bound to values.

    layout: [(key, ("src", i) | ("const", value))]; src_axes[i]: the negative axis the
    source splits along (None: passed whole); output_axes[k]: the axis result k splits
    along (None: merged by ``reduce``); outputs[k]: "return" or the source index of an
    argument written in place. Hashed by identity (the node argument of its nodes)."""

    def __init__(self, annotated, layout, src_axes, n, outputs, output_axes, reduce,
                 mut_srcs, returns_src):
        self.annotated = annotated
        self.layout = layout
        self.src_axes = tuple(src_axes)
        self.n = n
        self.outputs = tuple(outputs)
        self.output_axes = tuple(output_axes)
        self.reduce = reduce
        self.mut_srcs = tuple(mut_srcs)
        self.returns_src = returns_src

    @property
    def name(self):
        return self.annotated.name

    def __repr__(self):
        return f"call({self.annotated.qualname})"

    def invoke(self, values):
        """Results (one per output) of the function on ``values`` (mut ones writable)."""
        args, kwargs = [], {}
        for key, (what, x) in self.layout:
            v = values[x] if what == "src" else x
            if isinstance(key, int):
                args.append(v)
            else:
                kwargs[key] = v
        result = self.annotated.fn(*args, **kwargs)
        return [result if o == "return" else values[o] for o in self.outputs]

    def run_whole(self, values, output):
        """The oracle: the function on whole values (written arguments are copies)."""
        values = [np.array(v, copy=True) if i in self.mut_srcs else v
                  for i, v in enumerate(values)]
        return self.invoke(values)[output]


def _source(v):
    if _is_lazy(v):
        return v.node
    if not (isinstance(v, np.ndarray) and type(v) is np.ndarray and dt.is_supported(v.dtype)):
        raise Eager(f"an argument of type {type(v).__name__}"
                    + (f" ({v.dtype})" if hasattr(v, "dtype") else ""))
    return build.input(v)


def _probe_value(v, axis, piece, mut):
    """What the probe passes for a source: a one-element piece (zeros for a lazy value)."""
    if isinstance(v, np.ndarray):
        return v if axis is None else ArraySplit(axis).split(v, 0, piece)
    node = v.node
    if axis is None:
        if node.size <= 1 << 16 or mut:
            return np.zeros(node.shape, node.dtype)
        return dt.stand_in(node.dtype, node.shape)
    shape = list(node.shape)
    shape[axis] = piece
    return np.zeros(shape, node.dtype)


def record(annotated, entries, returns):
    """Record the call as nodes; returns what the call returns (lazy)."""
    from ..lazy import LazyArray
    if isinstance(returns, (DataFrameSplit,)):
        raise Eager("its result is a DataFrame/Series (the IR holds numeric arrays)")
    if isinstance(returns, Reduce) and returns.op == "concat":
        raise Eager("Reduce('concat'): its length is known only when it has run")
    for key, v, t in entries:
        if _is_pandas(v):
            raise Eager("a pandas argument (the IR holds numeric arrays)")
        if isinstance(t, Mut) and not _is_lazy(v):
            raise Eager(f"argument {key!r} is written in place (Mut) and is not lazy")
    n = _length(entries)
    if n is None:
        raise Eager("no argument splits")
    piece = min(n, 1)
    layout, srcs, src_axes, lazies, probe, mut_srcs = [], [], [], [], [], []
    for key, v, t in entries:
        if t is None or (not _is_arraylike(v) and np.ndim(v) == 0) or (
                t.splits and not _is_arraylike(v)):
            layout.append((key, ("const", v)))   # a scalar or option: passed whole
            continue
        node = _source(v)
        i = len(srcs)
        srcs.append(node)
        lazies.append(v)
        axis = None
        if t.splits and node.ndim:
            inner = t.inner if isinstance(t, Mut) else t
            axis = inner.normalized(node.ndim)
        if isinstance(t, Mut):
            if axis is None:
                raise Eager(f"argument {key!r} is written in place and does not split")
            mut_srcs.append(i)
        src_axes.append(axis)
        layout.append((key, ("src", i)))
        probe.append(_probe_value(v, axis, piece, isinstance(t, Mut)))
    if not srcs:
        raise Eager("no array argument")
    spec_probe = CallSpec(annotated, layout, src_axes, n, ["return"], [None], None,
                          mut_srcs, None)
    try:
        with dt.quiet():
            result = spec_probe.invoke(probe)[0]
    except Exception as e:  # the real data gives the real result or the real error
        raise Eager(f"the probe on a one-element piece raised {type(e).__name__}: {e}")
    returns_src = next((i for i in mut_srcs if result is probe[i]), None)
    outputs, axes, shapes, dtypes = [], [], [], []
    if returns is None:
        if result is not None and returns_src is None:
            raise Eager("it returns a value and its annotation has no return split type")
    elif returns_src is None:
        r = result
        if isinstance(r, np.generic) and isinstance(returns, Reduce):
            r = np.asarray(r)
        if not isinstance(r, np.ndarray) or not dt.is_supported(r.dtype):
            raise Eager(f"its result is {type(result).__name__}"
                        + (f" of {r.dtype}" if hasattr(r, "dtype") else "")
                        + " (the IR holds numeric arrays)")
        if isinstance(returns, Reduce):
            outputs.append("return")
            axes.append(None)
            shapes.append(r.shape)
        else:
            axis = returns.normalized(r.ndim) if r.ndim else None
            if axis is None or r.shape[axis] != piece:
                raise Eager(f"a piece of {piece} element(s) gave a result of shape "
                            f"{r.shape}, not split along axis {returns.axis}")
            shape = list(r.shape)
            shape[axis] = n
            outputs.append("return")
            axes.append(axis)
            shapes.append(tuple(shape))
        dtypes.append(r.dtype)
    for i in mut_srcs:
        outputs.append(i)
        axes.append(src_axes[i])
        shapes.append(srcs[i].shape)
        dtypes.append(srcs[i].dtype)
    spec = CallSpec(annotated, layout, src_axes, n, outputs, axes,
                    returns if isinstance(returns, Reduce) else None, mut_srcs, returns_src)
    nodes = [Node(Op.CALL, d, s, srcs, build.kw(call=spec, output=k))
             for k, (d, s) in enumerate(zip(dtypes, shapes))]
    STATE["recorded"] += len(nodes)
    ret = None
    for k, o in enumerate(outputs):
        if o == "return":
            ret = LazyArray(nodes[k])
        else:
            lazies[o]._set_node(nodes[k])
    if returns_src is not None:
        return lazies[returns_src]
    return ret


# --- running at the call --------------------------------------------------------------------
def eager(annotated, entries, returns, reason=None):
    """Run the call now: split into pieces on the thread pool where the annotation allows
    (one piece: the plain call). ``reason``: why a call with lazy arguments ran now."""
    from .execute import piece_length, run_pieces
    t0 = time.perf_counter()
    if reason is not None:
        values, _ = fallback.concrete([v for _, v, _ in entries])
        entries = [(k, v, t) for v, (k, _, t) in zip(values, entries)]
    fn = annotated.fn

    def call(start=None, end=None):
        args, kwargs, muts = [], {}, []
        for key, v, t in entries:
            if start is not None and t is not None:
                v = t.split(v, start, end)
            if isinstance(t, Mut):
                muts.append(v)
            if isinstance(key, int):
                args.append(v)
            else:
                kwargs[key] = v
        result = fn(*args, **kwargs)
        # a function returning the array it wrote (out=): the whole array is the result
        return result, next((i for i, m in enumerate(muts) if result is m), None)

    try:
        n = _length(entries)
    except Eager:
        n = None
    mut_ok = all(isinstance(v, np.ndarray) for _, v, t in entries if isinstance(t, Mut))
    row_bytes = sum(v.nbytes // max(1, t.elements(v) or 1) for _, v, t in entries
                    if isinstance(v, np.ndarray) and t is not None and t.splits and v.ndim)
    plen = piece_length(max(row_bytes, 8))
    if n is None or n <= plen or not mut_ok:
        result = call()[0]
    else:
        pieces = run_pieces(n, plen, lambda k, start, end: call(start, end))
        results = [r for r, _ in pieces]
        returned_mut = {m for _, m in pieces}
        if len(returned_mut) == 1 and None not in returned_mut:
            result = [v for _, v, t in entries if isinstance(t, Mut)][returned_mut.pop()]
        elif returns is None:
            if any(r is not None for r in results):
                raise TypeError(f"{annotated.name} returned a value and its annotation has "
                                "no return split type (returns=...)")
            result = None
        else:
            result = returns.combine(results)
    if reason is not None:
        fallback.LOG.record(annotated.qualname, f"annotated call ran at the call: {reason}",
                            time.perf_counter() - t0)
        return fallback.wrap_result(result, annotated.qualname)
    return result

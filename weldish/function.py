"""``weldish.function``: trace a NumPy-style function once per input signature, then run
its prepared program directly: the cheapest way to call a small pipeline many times.

    @weldish.function
    def score(a, b, c):
        return ((a - b) ** 2 * c).sum()

    score(x, y, z)    # NumPy arrays in, NumPy values out (0-d results as NumPy scalars)

The first call with a signature wraps the NumPy arguments as lazy arrays, calls the
function (recording its graph) and evaluates the results. Later calls with that signature
bind the new arrays to the recorded program and run it without calling the function, so
they skip recording, the structure walk and the program lookup.

The signature: each array's dtype, shape and strides; other arguments (Python scalars,
strings, tuples...) by value, so a new value traces again, as in ``tf.function``. A NumPy
scalar is an array argument: pass one for a number that changes at every call (a Python
float stays a weak scalar, with NumPy's dtype rules, and is compiled into the kernel).

Traced once, run many times, as JAX and TensorFlow do, so the same rule holds: arrays the
function captures (globals, closures) are read when it runs, but rebinding such a name to
another array is not seen. A function is run the ordinary way at every call (still lazily,
still fused) when caching it could change an answer: its graph depends on the data (it
evaluates a value while traced: ``if x.sum() > 0``, a fallback to NumPy), it writes into an
argument (the write reaches the caller, as in NumPy), or it returns arguments, views, or
values other than arrays and immutable Python scalars; so is one that calls annotated
black boxes (``weldish.annotate``), whose calls run piece by piece by stages.
"""
from __future__ import annotations

import functools
import importlib

import numpy as np

from .config import SETTINGS
from .ir import build
from .ir.node import canon, toposort
from .ir.ops import Op
from .lazy import LazyArray
from .lifecycle import observe as _observe
from .lifecycle.hooks import SUBSCRIBERS as _HOOKS

# the module (``weldish.evaluate`` is also the name of its function): RUNS and GENERATION
# are read live
ev = importlib.import_module(".evaluate", __package__)
_PLAIN = object()   # a signature whose calls run the function every time
_CONSTANT_LEAVES = (str, int, float, complex, bool, type(None), bytes)


class _Trace:
    """A signature's prepared program: where each placeholder's array comes from and how
    the results are put back into the function's output structure."""
    __slots__ = ("prepared", "bind", "leaves", "rebuild", "generation")

    def __init__(self, prepared, bind, leaves, rebuild, nargs):
        # bind: per placeholder, (argument position, None) or (None, captured array);
        # None when the placeholders are the arguments, in order
        if bind == [(i, None) for i in range(nargs)]:
            bind = None
        self.prepared, self.bind, self.leaves, self.rebuild = prepared, bind, leaves, rebuild
        self.generation = ev.GENERATION

    def run(self, flat):
        bind = self.bind
        values = ev.run_program(self.prepared, flat if bind is None else
                                [c if i is None else flat[i] for i, c in bind])
        out = []
        for pos, copy in self.leaves:
            v = values[pos]
            out.append(v.copy() if copy else v[()] if v.ndim == 0 else v)
        return self.rebuild(out)


class Function:
    """A function traced once per input signature (see the module's doc)."""

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"weldish.function expects a callable, got {type(fn).__name__}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.traces = 0           # calls of ``fn``: the first with each signature, and
        self._cache: dict = {}    # every call of a signature that cannot be cached

    def __call__(self, *args, **kwargs):
        flat = args + tuple(kwargs.values()) if kwargs else args
        key = _signature(flat, kwargs)
        try:
            trace = self._cache.get(key)
        except TypeError:  # an unhashable argument: no signature
            key = trace = None
        if type(trace) is _Trace and trace.generation == ev.GENERATION:
            if key[2]:  # NumPy scalars among the arguments: bound as 0-d arrays
                flat = tuple(map(_as_array, flat))
            return trace.run(flat)
        return self._call(key, trace is _PLAIN, args, kwargs)

    def _call(self, key, plain, args, kwargs):
        self.traces += 1
        arrays = [_as_array(a) for a in args + tuple(kwargs.values())]
        wrapped = [_wrap(a) for a in arrays]
        runs = ev.RUNS
        out = self.fn(*wrapped[:len(args)], **dict(zip(kwargs, wrapped[len(args):])))
        clean = ev.RUNS == runs
        leaves, rebuild = _flatten(out)
        given = [(i, a, w) for i, (a, w) in enumerate(zip(arrays, wrapped))
                 if isinstance(w, LazyArray) and w is not a]
        written = [(a, w) for _, a, w in given
                   if w._node.op is not Op.INPUT or w._node.arg[0][1].data is not a]
        if not plain and key is not None and clean and not written:
            trace = _prepare(given, leaves, rebuild, len(arrays))
            if trace is not None:
                self._cache[key] = trace
                return trace.run(arrays)
        if key is not None:
            self._cache[key] = _PLAIN
        return _run_plainly(leaves, rebuild, written)


def _prepare(given, leaves, rebuild, nargs):
    """The signature's _Trace, or None if running it from a program could differ from
    calling the function. ``given``: (flat position, array, its lazy wrapper)."""
    lazies = [x for x in leaves if isinstance(x, LazyArray)]
    if any(not isinstance(x, (LazyArray,) + _CONSTANT_LEAVES) for x in leaves) or \
            any(x._base is not None or x._node.op is Op.INPUT for x in lazies):
        return None   # arrays, views or inputs handed out: their identity matters
    roots = list(dict.fromkeys(x._node for x in lazies))
    if not roots or any(n.op is Op.CALL for n in toposort(roots)):
        return None   # (annotated calls run by stages, piece by piece: weldish.split)
    if _HOOKS:   # a new input signature traced: reported as evaluations' graphs are
        _observe.traced(roots)
    prepared, inputs = ev.program_for(roots)
    position = {id(a): i for i, a, _ in given}
    bind = []
    for node in inputs:
        buf = node.arg[0][1]
        i = position.get(id(buf.data))
        if i is None and buf.source != "user":
            return None   # a fallback's or an evaluation's result: depends on the data
        bind.append((i, buf.data if i is None else None))
    seen, out = set(), []
    for x in lazies:
        pos = roots.index(x._node)
        out.append((pos, pos in seen))   # a second array of one value: a copy of it
        seen.add(pos)
    consts = [x for x in leaves if not isinstance(x, LazyArray)]
    if len(leaves) == 1:   # one array returned, no structure
        return _Trace(prepared, bind, out, _first, nargs)

    def rebuild_all(values):
        it, ct = iter(values), iter(consts)
        return rebuild([next(it) if isinstance(x, LazyArray) else next(ct) for x in leaves])
    return _Trace(prepared, bind, out, rebuild_all, nargs)


def function(fn=None):
    """Decorator (``@weldish.function``) or call (``weldish.function(f)``): see the
    module's doc."""
    if fn is None:
        return Function
    return Function(fn)


def _signature(flat, kwargs):
    """(backend, keyword names, whether NumPy scalars are among the arguments, then per
    argument what a trace depends on), or None when an argument cannot be part of a key (a
    lazy array, a non-numeric array). Unhashable values are found by the lookup."""
    parts = [SETTINGS.backend, tuple(kwargs), False]
    ids = []
    for a in flat:
        if type(a) is np.ndarray:
            dtype = a.dtype
            if dtype.kind not in "biufc":
                return None
            parts += (dtype, a.shape, a.strides)
            ids.append(id(a))
        elif isinstance(a, np.generic) and a.dtype.kind in "biufc":
            parts.append(a.dtype)
            parts[2] = True
        elif isinstance(a, LazyArray):
            return None
        else:
            parts += (type(a), canon(a))
    if len(set(ids)) < len(ids):   # f(a, a) is not f(a, b): which array is which
        parts.append(tuple(ids.index(i) for i in ids))
    return tuple(parts)


def _first(values):
    return values[0]


def _as_array(a):
    return np.asarray(a) if isinstance(a, np.generic) else a


def _wrap(a):
    """An argument as the function sees it: NumPy numeric arrays (and scalars) lazy."""
    a = _as_array(a)
    if type(a) is np.ndarray and a.dtype.kind in "biufc":
        return LazyArray(build.input(a))
    return a


def _flatten(out):
    """(leaves of ``out`` through tuples, lists and dicts, a function rebuilding ``out``'s
    structure from new leaves)."""
    if isinstance(out, (tuple, list)) and type(out) in (tuple, list):
        parts = [_flatten(x) for x in out]
        sizes = [len(p[0]) for p in parts]

        def rebuild(leaves, kind=type(out)):
            items, k = [], 0
            for (_, sub), n in zip(parts, sizes):
                items.append(sub(leaves[k:k + n]))
                k += n
            return kind(items)
        return [leaf for p in parts for leaf in p[0]], rebuild
    if type(out) is dict:
        keys = list(out)
        flat, sub = _flatten([out[k] for k in keys])
        return flat, lambda leaves: dict(zip(keys, sub(leaves)))
    return [out], lambda leaves: leaves[0]


def _run_plainly(leaves, rebuild, written):
    """Evaluate the traced results the ordinary way; writes into arguments reach them."""
    lazies = [x for x in leaves if isinstance(x, LazyArray)]
    values = ev.evaluate_many(lazies + [w for _, w in written])
    for (a, _), v in zip(written, values[len(lazies):]):
        np.copyto(_as_array(a), v)
    by_id = dict(zip(map(id, lazies), values))
    handed = {id(w): a for a, w in written}
    out = []
    for x in leaves:
        if isinstance(x, LazyArray):
            v = handed.get(id(x), by_id[id(x)])   # an argument written into: itself
            out.append(v[()] if isinstance(v, np.ndarray) and v.ndim == 0 and
                       x._base is None and id(x) not in handed else v)
        else:
            out.append(x)
    return rebuild(out)

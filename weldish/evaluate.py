"""Evaluation: optimize the requested nodes, run them on the configured backend.

An evaluated lazy array is rebound to its value (an input buffer), so using it again never
recomputes, and a write into the array handed out is seen by the lazy array, as in NumPy.
Values are not cached on graph nodes: two lazy arrays never share one handed-out buffer.
"""
from __future__ import annotations

import numpy as np

from . import backends
from .config import SETTINGS
from .ir import passes, template
from .ir.ops import Op
from .ir.node import Node


# (backend name, graph structure) -> (placeholder inputs, optimized roots over them, the
# backend's prepared program): a pipeline re-run on new arrays of the same dtypes and
# shapes skips optimization, planning and compilation (see ``ir.template``).
_PROGRAMS: dict = {}
PROGRAM_CACHE_SIZE = 512


def _program(backend, key, nodes: list[Node], inputs: list[Node]):
    placeholders, roots = template.instantiate(nodes, inputs)
    optimized = passes.optimize(roots)
    # which results may alias an input or another array (copied before handing out)
    maybe_alias = tuple(opt.op is Op.INPUT for opt in optimized)
    program = placeholders, optimized, maybe_alias, backend.prepare(optimized)
    if len(_PROGRAMS) >= PROGRAM_CACHE_SIZE:  # evict the oldest
        _PROGRAMS.pop(next(iter(_PROGRAMS)), None)
    _PROGRAMS[key] = program
    return program


def clear_programs():
    """Forget prepared programs (after a backend dropped its compiled kernels)."""
    _PROGRAMS.clear()


def run_nodes(nodes: list[Node]) -> list[np.ndarray]:
    """Fresh values of ``nodes`` (distinct nodes): one optimized pass, shared work once."""
    if not nodes:
        return []
    backend = backends.get(SETTINGS.backend)
    key, inputs = template.structure(nodes)
    key = (backend.name, key)
    program = _PROGRAMS.get(key) or _program(backend, key, nodes, inputs)
    placeholders, optimized, maybe_alias, prepared = program
    # bind the placeholders to this run's arrays (an input's argument: (("buffer", b),))
    memo = {p: n.arg[0][1].data for p, n in zip(placeholders, inputs)}
    values = backend.execute(prepared, memo, SETTINGS.num_threads)
    for i, (alias, v) in enumerate(zip(maybe_alias, values)):
        # A result that aliases an input (x * 1 -> x) or another array would let a write
        # into the handed-out value change data it does not own: copy it.
        if alias or v.base is not None or not v.flags.writeable:
            values[i] = v.copy()
    return values


def evaluate_many(lazies) -> list[np.ndarray]:
    """NumPy values of lazy arrays, computed in one pass; views stay views of their base."""
    pending = {}
    for x in lazies:
        while x._base is not None:
            x = x._base
        if x._node.op is not Op.INPUT:  # not materialized yet
            pending[id(x)] = x
    if pending:
        roots = list(pending.values())
        for r, v in zip(roots, run_nodes([r._node for r in roots])):
            r._materialize(v)
    return [_value_of(x) for x in lazies]


def _value_of(x):
    """A materialized array's buffer; a view's value is the NumPy view of its base's.

    The buffer is marked exported: whoever got it may expect later writes through the
    lazy array to show in it (NumPy aliasing), see ``LazyArray._set_node``.
    """
    if x._base is None:
        buf = x._buffer_ref()
        buf.exported = True
        return buf.data
    return x._view.eager(_value_of(x._base))


_LAZY = []  # [LazyArray], filled on first use (weldish.lazy imports this module)


def evaluate(*arrays):
    """Evaluate lazy arrays together (one optimized pass, shared work done once).

    Returns one NumPy array for one argument, a tuple for several; non-lazy arguments are
    returned unchanged.
    """
    if not _LAZY:
        from .lazy import LazyArray
        _LAZY.append(LazyArray)
    lazy = _LAZY[0]
    if len(arrays) == 1:
        return evaluate_many(arrays)[0] if isinstance(arrays[0], lazy) else arrays[0]
    lazies = [a for a in arrays if isinstance(a, lazy)]
    values = dict(zip(map(id, lazies), evaluate_many(lazies)))
    return tuple(values.get(id(a), a) for a in arrays)

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


def _program(backend, nodes: list[Node]):
    key, inputs = template.structure(nodes)
    key = (backend.name, key)
    program = _PROGRAMS.get(key)
    if program is None:
        placeholders, roots = template.instantiate(nodes, inputs)
        optimized = passes.optimize(roots)
        program = placeholders, optimized, backend.prepare(optimized)
        if len(_PROGRAMS) >= PROGRAM_CACHE_SIZE:  # evict the oldest
            _PROGRAMS.pop(next(iter(_PROGRAMS)), None)
        _PROGRAMS[key] = program
    return program, inputs


def clear_programs():
    """Forget prepared programs (after a backend dropped its compiled kernels)."""
    _PROGRAMS.clear()


def run_nodes(nodes: list[Node]) -> list[np.ndarray]:
    """Fresh values of ``nodes`` (distinct nodes): one optimized pass, shared work once."""
    if not nodes:
        return []
    backend = backends.get(SETTINGS.backend)
    (placeholders, optimized, program), inputs = _program(backend, nodes)
    memo = {p: n.arg[0][1].data for p, n in zip(placeholders, inputs)}  # bind the buffers
    values = backend.execute(program, memo, SETTINGS.num_threads)
    out = []
    for opt, v in zip(optimized, values):
        # A result that aliases an input (x * 1 -> x) or another array would let a write
        # into the handed-out value change data it does not own: copy it.
        if opt.op is Op.INPUT or v.base is not None or not v.flags.writeable:
            v = v.copy()
        out.append(v)
    return out


def evaluate_many(lazies) -> list[np.ndarray]:
    """NumPy values of lazy arrays, computed in one pass; views stay views of their base."""
    roots = []
    for x in lazies:
        while x._base is not None:
            x = x._base
        roots.append(x)
    unique = list({id(r): r for r in roots}.values())
    pending = [r for r in unique if not r._is_materialized()]
    values = run_nodes([r._node for r in pending])
    for r, v in zip(pending, values):
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


def evaluate(*arrays):
    """Evaluate lazy arrays together (one optimized pass, shared work done once).

    Returns one NumPy array for one argument, a tuple for several; non-lazy arguments are
    returned unchanged.
    """
    from .lazy import LazyArray
    lazies = [a for a in arrays if isinstance(a, LazyArray)]
    values = dict(zip(map(id, lazies), evaluate_many(lazies)))
    out = tuple(values.get(id(a), a) for a in arrays)
    return out[0] if len(out) == 1 else out

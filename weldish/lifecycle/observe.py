"""Evaluation as hooks see it: the ``trace``, ``optimize`` and ``execute`` events.

``weldish.evaluate`` calls these only when someone subscribes (``if hooks.SUBSCRIBERS``),
so payloads (node counts, sizes) are built only then. Backends report compiles and steps
through their ``observer`` attribute (a callable ``observer(event, **fields)``, set by
``weldish.evaluate``): a backend never imports this package.
"""
from __future__ import annotations

import time

from ..ir.ops import Op
from .hooks import emit


def count_nodes(roots) -> int:
    """Distinct nodes reachable from ``roots``."""
    return len(_reachable(roots))


def _reachable(roots) -> set:
    seen, stack = set(), list(roots)
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(n.src)
    return seen


def traced(nodes) -> None:
    """A recorded graph handed to evaluation: its roots, nodes and input arrays."""
    seen = _reachable(nodes)
    emit("trace", roots=len(nodes), nodes=len(seen),
         inputs=sum(1 for n in seen if n.op is Op.INPUT))


def optimize(passes, roots, backend):
    """``passes.optimize(roots)``, timed and reported."""
    t0 = time.perf_counter()
    optimized = passes.optimize(roots)
    emit("optimize", passes=[p.__name__ for p in passes.PIPELINE],
         nodes_before=count_nodes(roots), nodes_after=count_nodes(optimized),
         seconds=time.perf_counter() - t0, backend=getattr(backend, "name", str(backend)))
    return optimized


def sizes(arrays) -> tuple[int, int]:
    """(rows, bytes) of arrays: rows is the largest leading dimension (1 for scalars)."""
    rows = nbytes = 0
    for a in arrays:
        shape = getattr(a, "shape", ())
        rows = max(rows, shape[0] if shape else 1)
        nbytes += getattr(a, "nbytes", 0)
    return rows, nbytes


def execute(backend, program, memo, num_threads):
    """``backend.execute`` with its steps reported: a backend that reports steps itself
    (``observes_steps``) gets the emitter, any other one is one step, "program"."""
    if getattr(backend, "observes_steps", False):
        return backend.execute(program, memo, num_threads, observer=emit)
    t0 = time.perf_counter()
    values = backend.execute(program, memo, num_threads)
    rows, nbytes = sizes(values)
    emit("execute", step="program", kind="program", seconds=time.perf_counter() - t0,
         rows=rows, bytes=nbytes, backend=getattr(backend, "name", str(backend)))
    return values

"""Evaluation as hooks see it: the ``trace``, ``optimize`` and ``execute`` events.

``weldish.evaluate`` calls these only when someone subscribes (``if hooks.SUBSCRIBERS``),
so payloads (node counts, sizes) are built only then. Backends report compiles and steps
through their ``observer`` attribute (a callable ``observer(event, **fields)``, set by
``weldish.evaluate``): a backend never imports this package.
"""
from __future__ import annotations

import time

from ..ir.ops import Op
from .hooks import current_run, emit, wants


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
    if not wants("trace"):  # (a tracker alone does not pay for the node count)
        return
    seen = _reachable(nodes)
    emit("trace", roots=len(nodes), nodes=len(seen),
         inputs=sum(1 for n in seen if n.op is Op.INPUT))


def optimize(passes, roots, backend):
    """``passes.optimize(roots)``, timed and reported."""
    pipeline = passes.for_backend(backend)
    if not wants("optimize"):
        return passes.optimize(roots, pipeline)
    t0 = time.perf_counter()
    optimized = passes.optimize(roots, pipeline)
    emit("optimize", passes=[p.__name__ for p in pipeline],
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
    if not wants("execute"):   # (a tracker outside any run: nothing to report)
        return backend.execute(program, memo, num_threads)
    if getattr(backend, "observes_steps", False):
        return backend.execute(program, memo, num_threads, observer=emit)
    t0 = time.perf_counter()
    values = backend.execute(program, memo, num_threads)
    rows, nbytes = sizes(values)
    emit("execute", step="program", kind="program", seconds=time.perf_counter() - t0,
         rows=rows, bytes=nbytes, backend=getattr(backend, "name", str(backend)))
    return values


def tracked(run_nodes, nodes, scheduler):
    """``run_nodes(nodes, scheduler)`` as a tracked run of kind "evaluate" (not inside
    another run: a loaded pipeline's evaluations belong to its run)."""
    if current_run() is not None:
        return run_nodes(nodes, scheduler)
    import hashlib

    from ..ir import template
    from . import tracking
    key, inputs = template.structure(nodes)
    graph = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    arrays = [n.arg[0][1].data for n in inputs]
    with tracking.track("evaluate", arrays, [f"input{i}" for i in range(len(arrays))],
                        name="evaluate", fingerprint=graph) as run:
        values = run_nodes(nodes, scheduler)
        tracking.outputs(run, values, [f"output{i}" for i in range(len(values))])
    return values

"""Split annotations at work: recording annotated calls, planning stages, running pieces.

``record``: a call of an ``@weldish.annotate``'d function becomes ``call`` nodes of the
lazy graph (or runs at the call, see ``weldish.annotate``); ``plan``: split-type inference
over the graph, stages and pipeline breaks; ``execute``: the local executor (pieces on a
thread pool); ``distributed_exec``: the Dask executor (a stage's pieces as tasks of a
``dask.distributed`` client). ``weldish.evaluate.run_nodes`` hands graphs holding calls to
``run``.
"""
from __future__ import annotations

from .execute import has_calls, run
from .plan import describe, plan
from .record import STATE, Eager, _is_lazy, eager, record, resolve


def call(annotated, args, kwargs):
    """A call of an annotated function (``Annotated.__call__``)."""
    from .. import fallback
    pos, kw = annotated.bind(args, kwargs)
    lazy = any(_is_lazy(v) for v, _ in pos) or any(_is_lazy(v) for v, _ in kw.values())
    try:
        entries, returns = resolve(annotated, pos, kw)
    except Eager as e:   # cannot split: the plain call, on whole values
        if not lazy:
            return annotated.fn(*args, **kwargs)
        return fallback.call(annotated.fn, args, kwargs, name=annotated.qualname,
                             reason=f"annotated call ran whole at the call: {e}")
    if not lazy:
        return eager(annotated, entries, returns)
    try:
        return record(annotated, entries, returns)
    except Eager as e:
        return eager(annotated, entries, returns, reason=str(e))


def explain(nodes) -> str | None:
    """The stages and pipeline breaks of a graph with annotated calls (None without)."""
    if not STATE["recorded"] or not has_calls(nodes):
        return None
    return describe(plan(nodes))


__all__ = ["call", "explain", "has_calls", "plan", "run"]

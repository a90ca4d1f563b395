"""Evaluation: optimize the requested nodes, run them on the configured backend.

An evaluated lazy array is rebound to its value (an input buffer), so using it again never
recomputes, and a write into the array handed out is seen by the lazy array, as in NumPy.
Values are not cached on graph nodes: two lazy arrays never share one handed-out buffer.
"""
from __future__ import annotations

import functools

from typing import NamedTuple

import numpy as np

from . import backends
from .config import SETTINGS
from .ir import fpstate, passes, template
from .ir.ops import Op
from .ir.node import Node
from .lifecycle import hooks as _hooks, observe as _observe
from .lifecycle.hooks import SUBSCRIBERS as _HOOKS  # lifecycle events: only when non-empty
from .split.record import STATE as _SPLIT_STATE  # annotated calls recorded so far


# (backend, graph structure) -> Prepared: a pipeline re-run on new arrays of the same
# dtypes and shapes skips optimization, planning and compilation (see ``ir.template``).
_PROGRAMS: dict = {}
PROGRAM_CACHE_SIZE = 512
GENERATION = 0  # bumped when prepared programs are dropped (holders of one must re-ask)
RUNS = 0        # evaluations so far (``weldish.function`` tells a data-dependent trace)


class Prepared(NamedTuple):
    placeholders: list      # the template's inputs, in the order they are bound
    optimized: list         # its optimized roots
    maybe_alias: tuple      # per root: may its value be an input (copied before handing out)
    program: object         # the backend's prepared program
    backend: object


def _prepare(backend, key, nodes: list[Node], inputs: list[Node]) -> Prepared:
    placeholders, roots = template.instantiate(nodes, inputs)
    optimized = _observe.optimize(passes, roots, backend) if _HOOKS else \
        passes.optimize(roots, passes.for_backend(backend))
    backend.observer = _hooks.emit  # compile and step events (backends never import hooks)
    # a root that is an input, or a root listed before (two lazy arrays of one value), is
    # copied before it is handed out
    maybe_alias = tuple(o.op is Op.INPUT or o in optimized[:i] for i, o in enumerate(optimized))
    prepared = Prepared(placeholders, optimized, maybe_alias, backend.prepare(optimized),
                        backend)
    if len(_PROGRAMS) >= PROGRAM_CACHE_SIZE:  # evict the oldest
        _PROGRAMS.pop(next(iter(_PROGRAMS)), None)
    _PROGRAMS[key] = prepared
    return prepared


def program_for(nodes: list[Node], backend: str | None = None) -> tuple[Prepared, list[Node]]:
    """The prepared program computing ``nodes`` on the configured backend (or the one
    named), and the graph's input nodes in the order its placeholders are bound."""
    backend = backends.get(backend or SETTINGS.backend)
    key, inputs = template.structure(nodes)
    key = (backend, key)  # the object: a name may be registered again (tests)
    return _PROGRAMS.get(key) or _prepare(backend, key, nodes, inputs), inputs


def clear_programs():
    """Forget prepared programs (after a backend dropped its compiled kernels)."""
    global GENERATION
    _PROGRAMS.clear()
    GENERATION += 1


def run_program(prepared: Prepared, arrays) -> list[np.ndarray]:
    """The values of a prepared program's roots, its placeholders bound to ``arrays``."""
    placeholders, _, maybe_alias, program, backend = prepared
    memo = dict(zip(placeholders, arrays))
    values = _observe.execute(backend, program, memo, SETTINGS.num_threads) if _HOOKS \
        else backend.execute(program, memo, SETTINGS.num_threads)
    for i, (alias, v) in enumerate(zip(maybe_alias, values)):
        # A result that aliases an input (x * 1 -> x) or another array would let a write
        # into the handed-out value change data it does not own: copy it.
        if alias or v.base is not None or not v.flags.writeable:
            values[i] = v.copy()
    return values


# The errstates compiled kernels honor: they report NumPy's divide, overflow and invalid
# errors (backends/llvm: warned or ignored after the kernel, as ``np.geterr()`` says) but
# not underflow. Anything else ('raise', 'call', 'print', 'log', underflow not ignored)
# runs on the interpreter: NumPy's own loops do it.
_QUIET_FP = {"divide": ("ignore", "warn"), "over": ("ignore", "warn"),
             "invalid": ("ignore", "warn"), "under": ("ignore",)}


def _quiet_fp(state: dict) -> bool:
    return all(mode in _QUIET_FP[kind] for kind, mode in state.items())


def run_nodes(nodes: list[Node], scheduler=None, backend=None) -> list[np.ndarray]:
    """Fresh values of ``nodes`` (distinct nodes): one optimized pass, shared work once.
    ``scheduler``: where split stages run (None: ``config(scheduler=...)``)."""
    global RUNS
    if not nodes:
        return []
    RUNS += 1
    if _HOOKS:
        _observe.traced(nodes)
    # --- split annotations: a graph holding annotated calls runs by stages (weldish.split)
    if _SPLIT_STATE["recorded"]:
        from . import split
        if split.has_calls(nodes):
            return split.run(nodes, _client(scheduler))
    # ---
    state = fpstate.graph_state(nodes)
    if state is not None:   # recorded under another np.errstate: NumPy reacted under it
        with np.errstate(**state):
            return _run_compiled(nodes, backend)
    return _run_compiled(nodes, backend)


def _run_compiled(nodes, backend):
    if backend != "cupy" and not _quiet_fp(np.geterr()):
        backend = "interp"  # np.errstate(...='raise'/'call'/...): NumPy's own loops do it
    prepared, inputs = program_for(nodes, backend)
    # an input's argument is (("buffer", buffer),)
    return run_program(prepared, [n.arg[0][1].data for n in inputs])


def _client(scheduler):
    """The dask.distributed Client split stages run on; None: the local thread pool."""
    scheduler = SETTINGS.scheduler if scheduler is None else scheduler
    if isinstance(scheduler, str) and scheduler == "local":
        return None
    from .split.distributed_exec import client_for
    return client_for(scheduler)


def evaluate_many(lazies, scheduler=None, backend=None) -> list[np.ndarray]:
    """NumPy values of lazy arrays, computed in one pass; views stay views of their base.
    ``scheduler``, ``backend``: as ``evaluate``."""
    if backend is not None:   # unknown, or missing CuPy/GPU: raise now, naming it
        backends.get(backend)
    if scheduler is not None:  # an unknown scheduler, or 'dask' without it: raise now
        from .split.distributed_exec import check
        check(scheduler)
    pending = {}
    for x in lazies:
        while x._base is not None:
            x = x._base
        if x._node.op is not Op.INPUT:  # not materialized yet
            pending[id(x)] = x
    if pending:
        roots = list(pending.values())
        nodes = [r._node for r in roots]
        run = run_nodes if backend is None else functools.partial(run_nodes, backend=backend)
        values = _observe.tracked(run, nodes, scheduler) \
            if _HOOKS and SETTINGS.track else run(nodes, scheduler)
        for r, v in zip(roots, values):
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


def evaluate(*arrays, scheduler=None, backend=None):
    """Evaluate lazy arrays together (one optimized pass, shared work done once).

    Returns one NumPy array for one argument, a tuple for several; non-lazy arguments are
    returned unchanged. ``scheduler``: where the stages of annotated calls run (see
    ``weldish.annotate``): "local" (this process's thread pool), "dask" (the default
    ``dask.distributed`` client) or a ``dask.distributed.Client``: each stage's pieces
    become Dask tasks; the rest of the graph is computed here. Default:
    ``weldish.config(scheduler=...)``, "local". ``backend``: this evaluation's backend
    ("llvm", "interp", "cupy", "auto"; default: ``weldish.config(backend=...)``).
    """
    if scheduler is not None:
        from .split.distributed_exec import check
        check(scheduler)
    if not _LAZY:
        from .lazy import LazyArray
        _LAZY.append(LazyArray)
    lazy = _LAZY[0]
    if len(arrays) == 1:
        return (evaluate_many(arrays, scheduler, backend)[0] if isinstance(arrays[0], lazy)
                else _other_value(arrays[0]))
    lazies = [a for a in arrays if isinstance(a, lazy)]
    values = dict(zip(map(id, lazies), evaluate_many(lazies, scheduler, backend)))
    return tuple(values[id(a)] if id(a) in values else _other_value(a) for a in arrays)


def _other_value(x):
    """A non-lazy argument's value: a weldish.pandas Series/DataFrame as its pandas object
    (its lazy columns in one pass); anything else unchanged."""
    if type(x).__module__.startswith("weldish.pandas.") and hasattr(x, "to_pandas"):
        return x.to_pandas()
    return x

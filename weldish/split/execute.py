"""The local executor: stages run piece by piece on a thread pool.

Within a stage each piece flows through every step (its elementwise runs as one prepared
program each, with one thread; its annotated calls as one function call each) before the
pieces after it start, so a piece's intermediates stay in cache. Pieces run on a pool of
``weldish.config(num_threads=...)`` threads; results are written into the output in piece
order (merged results folded in piece order), so every run gives the same value. Calls
that hold the GIL gain locality only; NumPy and most C extensions release it.

Values the stage reads whole, and everything outside the stages, are computed by the
normal evaluation (``weldish.evaluate.program_for``/``run_program``), with the values
already computed bound as inputs. A piece that raises stops the evaluation: the error,
with the piece's range in its message and the original chained, reaches the caller, and
no partial result is kept.
"""
from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..config import SETTINGS
from ..ir import dtypes as dt
from ..ir.build import kw
from ..ir.node import Buffer, Node
from ..ir.ops import OPS, Op
from .plan import edge_axes, label, plan

_POOL: dict = {}
_POOL_LOCK = threading.Lock()


def _l2_bytes() -> int:
    try:
        with open("/sys/devices/system/cpu/cpu0/cache/index2/size") as f:
            text = f.read().strip()
        scale = {"K": 1 << 10, "M": 1 << 20}.get(text[-1], 1)
        return int(text.rstrip("KM")) * scale
    except (OSError, ValueError):
        return 1 << 20


L2_BYTES = _l2_bytes()
# Below this the per-call cost dominates: Black-Scholes of 28 annotated calls at 10M,
# 1 thread, vs eager NumPy: 4096 -> 0.83x, 16384 -> 1.08x, 65536 -> 1.26x (measured)
MIN_PIECE = 65536


def piece_length(row_bytes: int) -> int:
    """Elements per piece: ``weldish.config(split_piece=...)`` if set, else as many rows
    (of ``row_bytes`` across the stage's values) as fill half the L2 cache."""
    if SETTINGS.split_piece:
        return SETTINGS.split_piece
    return max(MIN_PIECE, (L2_BYTES // 2) // max(row_bytes, 1))


def row_bytes(stage) -> int:
    """Bytes of one element (one slice along the split axis) of every value a piece
    holds: the stage's split members and the inputs it slices."""
    total = 0
    for m in stage.members:
        if stage.axis[m] is not None:
            total += m.dtype.itemsize * (m.size // max(stage.length, 1))
    for s in stage.inputs:
        total += s.dtype.itemsize * (s.size // max(stage.length, 1))
    return total


def pool(num_threads: int) -> ThreadPoolExecutor:
    with _POOL_LOCK:
        p = _POOL.get(num_threads)
        if p is None:
            p = _POOL[num_threads] = ThreadPoolExecutor(num_threads,
                                                        thread_name_prefix="weldish-split")
        return p


def ranges(n: int, plen: int) -> list:
    return [(s, min(s + plen, n)) for s in range(0, n, plen)] or [(0, 0)]


class PieceError(Exception):
    """Raised when an exception cannot be re-created with the piece's range added."""


def _with_range(e: BaseException, start, end, what):
    msg = f"{e} [in {what}, piece [{start}, {end})]"
    try:
        new = type(e)(msg)
    except Exception:
        new = PieceError(f"{type(e).__name__}: {msg}")
    return new


def run_pieces(n, plen, fn, what="an annotated call", first_serial=False, threads=None,
               offset=0):
    """``[fn(k, start, end)]`` over the pieces of [0, n), on the pool, in piece order.
    ``first_serial``: the first piece (and a shorter last one) run on the calling thread
    first (they prepare what the others reuse: compiled kernels). ``threads``: the pool's
    size (default ``config(num_threads=...)``); ``offset``: added to the ranges an error
    names (a part of a larger range, as a Dask task runs)."""
    pieces = ranges(n, plen)
    results = [None] * len(pieces)
    threads = threads or SETTINGS.num_threads

    def one(k):
        start, end = pieces[k]
        try:
            results[k] = fn(k, start, end)
        except Exception as e:
            raise _with_range(e, start + offset, end + offset, what) from e

    serial = []
    if first_serial or threads <= 1 or len(pieces) == 1:
        serial = [0] if len(pieces) > 1 else [0]
        if len(pieces) > 1 and pieces[-1][1] - pieces[-1][0] != plen:
            serial.append(len(pieces) - 1)
    if threads <= 1 or len(pieces) == 1:
        serial = list(range(len(pieces)))
    for k in serial:
        one(k)
    rest = [k for k in range(len(pieces)) if k not in set(serial)]
    if rest:
        ex = pool(threads)
        # each piece in a copy of the caller's context: np.errstate is a context variable
        futures = [ex.submit(contextvars.copy_context().run, one, k) for k in rest]
        error = None
        for f in futures:   # wait for all (none still writes when we return), first error
            try:
                f.result()
            except Exception as e:
                error = error or e
        if error is not None:
            raise error
    return results


# --- whole values ---------------------------------------------------------------------------
def _input_node(node, value) -> Node:
    return Node(Op.INPUT, node.dtype, node.shape, (),
                kw(buffer=Buffer(value, source="split")))


def evaluate_whole(targets, values: dict):
    """Compute ``targets`` (not in ``values``) by the normal evaluation, nodes already in
    ``values`` bound as inputs; adds them to ``values``."""
    from ..evaluate import program_for, run_program
    targets = [t for t in dict.fromkeys(targets) if t not in values]
    if not targets:
        return
    new = {}
    stack = list(targets)
    order = []
    while stack:   # the part of the graph above ``values``, topological
        node = stack[-1]
        if node in new:
            stack.pop()
            continue
        if node in values:
            new[node] = _input_node(node, values[node])
            stack.pop()
            continue
        pending = [s for s in node.src if s not in new]
        if pending:
            stack.extend(pending)
            continue
        new[node] = Node(node.op, node.dtype, node.shape, tuple(new[s] for s in node.src),
                         node.arg)
        order.append(node)
        stack.pop()
    roots = [new[t] for t in targets]
    prepared, inputs = program_for(roots)
    results = run_program(prepared, [dict(i.arg)["buffer"].data for i in inputs])
    values.update(zip(targets, results))


def _const(node):
    return np.asarray(OPS[Op.CONST].fn(**dict(node.arg)), dtype=node.dtype)


def _slice(value, axis, start, end):
    return value[(Ellipsis, slice(start, end)) + (slice(None),) * (-axis - 1)]


# --- a stage --------------------------------------------------------------------------------
class _Programs:
    """The prepared program of each elementwise run, per piece length (built on the
    calling thread: pieces only look them up)."""

    def __init__(self, stage, backend=None):
        self.stage = stage
        self.backend = backend   # a backend's name; None: config(backend=...)
        self.cache = {}

    def get(self, seg, length):
        key = (id(seg), length)
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self._build(seg, length)
        return found

    def _build(self, seg, length):
        from ..evaluate import program_for
        stage = self.stage

        def piece_shape(shape, axis):
            shape = list(shape)
            if axis is not None:
                shape[axis] = length
            return tuple(shape)

        new, holders, binding = {}, {}, {}
        for m in seg.nodes:
            srcs = []
            for s, a in zip(m.src, edge_axes(m, stage.axis[m], stage.length)):
                if s in new:
                    srcs.append(new[s])
                elif s.op is Op.CONST:
                    srcs.append(s)   # a weak scalar stays weak
                else:
                    key = (s, a)
                    if key not in holders:
                        shape = piece_shape(s.shape, a)
                        holders[key] = Node(Op.INPUT, s.dtype, shape, (), kw(
                            buffer=Buffer(dt.stand_in(s.dtype, shape), source="placeholder")))
                        binding[holders[key]] = key
                    srcs.append(holders[key])
            new[m] = Node(m.op, m.dtype, piece_shape(m.shape, stage.axis[m]), srcs, m.arg)
        prepared, inputs = program_for([new[r] for r in seg.roots], self.backend)
        return prepared, [binding[i] for i in inputs]


def _check(node, value, shape, where):
    if not isinstance(value, np.ndarray):
        value = np.asarray(value) if isinstance(value, np.generic) else value
    if not isinstance(value, np.ndarray) or value.dtype != node.dtype or value.shape != shape:
        got = (f"{value.dtype}{list(value.shape)}" if isinstance(value, np.ndarray)
               else type(value).__name__)
        raise TypeError(f"{label(node)} returned {got} for {where}, but "
                        f"{node.dtype}{list(shape)} when it was recorded (an annotated "
                        "function's result dtype and shape must not depend on the data)")
    return value


def run_stage(stage, values: dict):
    """Compute the stage's outputs by piece; adds them to ``values``."""
    split_out, partials = compute_stage(stage, values, piece_length(row_bytes(stage)))
    values.update(split_out)
    merge_partials(stage, partials, values)


def merge_partials(stage, partials, values: dict):
    """The merged outputs (``Reduce``) from their pieces' results, folded in piece order."""
    merged = [o for o in stage.outputs if stage.axis[o] is None]
    for o, parts in zip(merged, partials):
        values[o] = _check(o, spec_reduce(o).combine(parts), o.shape, "the merged result")


def compute_stage(stage, values: dict, plen: int, threads=None, offset=0, backend=None):
    """The stage's outputs over [0, stage.length) by pieces of ``plen``: ({split output:
    its whole value}, [the pieces' results, in piece order, per merged output]).
    ``threads``, ``offset``: as ``run_pieces``; ``backend``: a backend's name (default
    ``config(backend=...)``)."""
    n = stage.length
    programs = _Programs(stage, backend)
    for seg in stage.segments:   # prepared on this thread, for each piece length
        if seg.kind == "elementwise":
            for length in {e - s for s, e in ranges(n, plen)}:
                programs.get(seg, length)
    split_out = {o: np.empty(o.shape, o.dtype) for o in stage.outputs
                 if stage.axis[o] is not None}
    merged = [o for o in stage.outputs if stage.axis[o] is None]
    consts = {s: _const(s) for m in stage.members for s in m.src if s.op is Op.CONST}

    def piece(k, start, end):
        length = end - start
        vals = {}
        sliced = {}

        def read(s, a):
            if s in vals:
                return vals[s]
            if s in consts:
                return consts[s]
            if a is None:
                return values[s]
            key = (s, a)
            v = sliced.get(key)
            if v is None:
                v = sliced[key] = _slice(values[s], a, start, end)
            return v

        for seg in stage.segments:
            if seg.kind == "elementwise":
                prepared, binding = programs.get(seg, length)
                arrays = [read(s, a) for s, a in binding]
                results = prepared.backend.execute(
                    prepared.program, dict(zip(prepared.placeholders, arrays)), 1)
                vals.update(zip(seg.roots, results))
            else:
                spec = seg.spec
                args = [read(s, a) for s, a in zip(seg.nodes[0].src, spec.src_axes)]
                for i in spec.mut_srcs:   # written in place: a copy (inputs stay intact)
                    args[i] = np.array(args[i], copy=True)
                results = spec.invoke(args)
                for node in seg.nodes:
                    out = dict(node.arg)["output"]
                    axis = stage.axis[node]
                    shape = list(node.shape)
                    if axis is not None:
                        shape[axis] = length
                    vals[node] = _check(node, results[out], tuple(shape),
                                        f"piece [{start}, {end})")
        for o, full in split_out.items():
            _slice(full, stage.axis[o], start, end)[...] = vals[o]
        return [vals[o] for o in merged]

    pieces = run_pieces(n, plen, piece, what=f"stage {stage.index}", first_serial=True,
                        threads=threads, offset=offset)
    return split_out, [[p[j] for p in pieces] for j in range(len(merged))]


def spec_reduce(node):
    return dict(node.arg)["call"].reduce


def run(nodes, scheduler=None) -> list:
    """Values of ``nodes`` (a graph with annotated calls): stages by piece, the rest whole.
    ``scheduler``: None (this process's thread pool) or a ``dask.distributed.Client`` (the
    stages' pieces as Dask tasks, ``weldish.split.distributed_exec``)."""
    sp = plan(nodes)
    values: dict = {}
    stage_runner = run_stage
    if scheduler is not None:
        from .distributed_exec import stage_runner_for
        stage_runner = stage_runner_for(scheduler)
    for stage in sp.stages:
        evaluate_whole(stage.inputs, values)
        stage_runner(stage, values)
    evaluate_whole(nodes, values)
    out, seen = [], set()
    for node in nodes:
        v = values[node]
        # handed out: never a view of another value, never one array twice
        if v.base is not None or not v.flags.writeable or id(v) in seen or \
                node.op is Op.INPUT:
            v = v.copy()
        seen.add(id(v))
        out.append(v)
    return out


def has_calls(nodes) -> bool:
    """Whether the graph behind ``nodes`` holds a recorded annotated call."""
    seen = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node.op is Op.CALL:
            return True
        for s in node.src:
            if s not in seen:
                seen.add(s)
                stack.append(s)
    return False


__all__ = ["run", "has_calls", "run_pieces", "piece_length", "evaluate_whole",
           "compute_stage", "merge_partials"]

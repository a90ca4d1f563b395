"""Running a compiled kernel: operand layout, dimension coalescing, threads.

The iteration space is simplified before dispatch the way NumPy's iterator does it:
size-1 dimensions dropped and adjacent dimensions merged where every operand is
contiguous across them, so most kernels run as one flat loop. The outermost dimension is
split over a persistent thread pool (a ctypes call releases the GIL). A reduction whose
outermost dimension is reduced gives each thread its own accumulator, combined afterwards
in thread order, so a result never depends on timing.
"""
from __future__ import annotations

import array
import ctypes
import itertools
import math
import os
import threading
import numpy as np

from ...ir.ops import COMBINE, FPE_KINDS, FPE_MESSAGES, SEGMENT, Op, fpe_name, start_value
from ...ir.passes.fuse import reduced_axes
from .lowering import ARG_REDUCTIONS, fpe_host_tests, fpe_nodes

# Stride classes of an operand along a dimension, compiled into a kernel (emit): a stride
# known to be 0 or one element lets the innermost loop vectorize.
BROADCAST, UNIT, GENERAL = 0, 1, 2

# Below this many elements a kernel runs on the calling thread (thread hand-off costs
# more than it saves).
PARALLEL_THRESHOLD = int(os.environ.get("WELDISH_PARALLEL_THRESHOLD", 1 << 16))

_pools: dict = {}   # threads -> a concurrent.futures.ThreadPoolExecutor, made on first use
_pools_lock = threading.Lock()


def pool(n: int):
    """The persistent pool of ``n`` threads. One per size, never shut down: another
    thread may be running chunks on a pool of another size (``config`` per block)."""
    found = _pools.get(n)
    if found is None:
        from concurrent.futures import ThreadPoolExecutor  # not on a first call's path
        with _pools_lock:
            found = _pools.get(n)
            if found is None:
                found = _pools[n] = ThreadPoolExecutor(n, thread_name_prefix="weldish")
    return found


class InputChanged(ValueError):
    """An input no longer has what the graph was recorded for (a mask's count): the
    kernel must not run, and the interpreter would not give the recorded shape either."""


class GatherIndexError(IndexError):
    """NumPy's IndexError for a gather index out of bounds (the oracle's, message and
    all): a kernel's result, re-raised by the backends rather than run elsewhere."""


def gather_error(kernel, value):
    """Raise NumPy's error for a kernel whose gather flagged an index: its body run by the
    oracle (``value(node)``: an input's host value). Raises RuntimeError if the oracle
    finds nothing wrong (the caller then interprets the kernel)."""
    from ...ir.interpret import evaluate_node
    memo = {n: value(n) for n in kernel.inputs}
    try:
        for n in kernel.body:
            memo[n] = evaluate_node(n, memo)
    except IndexError as e:
        raise GatherIndexError(str(e)) from None
    raise RuntimeError("a gather flagged an index NumPy accepts")


# The status words a kernel reports in (its last operand's last words, OR-ed into by
# every call): bit 0, a gather index out of bounds; bit 1, some node that may raise a
# floating-point error (``lowering.fpe_nodes``) may have raised one (a kernel's fast
# variant: a NaN/inf test of the values ending chains of ops that carry NaN/inf on,
# ``lowering.fpe_fast_checks``; the launcher tests float sums' results); then, in the
# exact variant (compiled and run only when the fast one saw something and NumPy would
# react), three bits per such node, one per kind of FPE_KINDS: the table's conditions.
GATHER_BIT, FPE_ANY_BIT = 0, 1


def fpe_bit(i: int, kind: int) -> int:
    return 2 + len(FPE_KINDS) * i + kind


def status_words(nfpe: int) -> int:
    return (fpe_bit(nfpe, 0) + 63) // 64


def has_status(kernel) -> bool:
    return bool(kernel.gathered) or bool(fpe_nodes(kernel))


def status_operands(sources, nfpe) -> list:
    """The operands after all others: the gathered host ``sources``, then one int64 array
    of (length, byte stride) per source and the status words (0)."""
    info = [v for a in sources for v in (a.shape[0], a.strides[0])] + [0] * status_words(nfpe)
    return list(sources) + [np.array(info, np.int64)]


def operand_count(kernel) -> int:
    """A kernel's operands: its inputs, its outputs, the best value so far of each arg
    reduction, a compaction's cursor, then the gathered sources and the status array
    (gathered sources' information and status words): emit's and the launcher's order."""
    return len(kernel.inputs) + len(kernel.outputs) + \
        sum(n.op in ARG_REDUCTIONS for n in kernel.outputs) + \
        (kernel.compact is not None) + len(kernel.gathered) + has_status(kernel)


_ERRSTATE_KEY = {"divide": "divide", "overflow": "over", "invalid": "invalid"}


def fp_errors_matter() -> bool:
    """Whether NumPy would react to a floating-point error now (not all 'ignore')."""
    state = np.geterr()
    return any(state[k] != "ignore" for k in _ERRSTATE_KEY.values())


def fp_errors(fpes, words, warn) -> None:
    """NumPy's reaction to the floating-point errors a kernel flagged (``words``), once
    per (node, kind) in the nodes' order, as NumPy's ufunc calls would have reacted under
    the errstate in force now: nothing ('ignore'), FloatingPointError ('raise'), else
    ``warn(message)`` (a RuntimeWarning at the user's line)."""
    modes = np.geterr()
    for i, (node, _) in enumerate(fpes):
        for j, kind in enumerate(FPE_KINDS):
            bit = fpe_bit(i, j)
            if not words[bit // 64] >> (bit % 64) & 1:
                continue
            mode = modes[_ERRSTATE_KEY[kind]]
            if mode == "ignore":
                continue
            message = f"{FPE_MESSAGES[kind]} encountered in {fpe_name(node.op)}"
            if mode == "raise":
                raise FloatingPointError(message)
            warn(message)


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


def broadcast_strides(array, shape):
    """``array``'s strides once broadcast to ``shape`` (0 along broadcast dims)."""
    pad = len(shape) - array.ndim
    return tuple(0 if d < pad or (array.shape[d - pad] == 1 and n != 1)
                 else array.strides[d - pad] for d, n in enumerate(shape))


class Launcher:
    """One kernel of a program, ready to run. Its outputs (elementwise ones, then a
    reduction's accumulator) are fixed by the graph (shapes are static), so only the
    operands' layout is looked up per call; each layout's coalesced shape, strides and
    compiled function are kept. Operands: the inputs, then the outputs."""

    def __init__(self, kernel, get_function):
        """``get_function(ndim, classes, reduced, exact)``: the compiled kernel for a
        layout (``exact``: its variant reporting floating-point errors per node and kind)."""
        self.kernel = kernel
        self.get_function = get_function
        self.layouts: dict = {}
        shape = kernel.shape
        self.empty = any(n == 0 for n in shape)
        # (shape, dtype, fill) of each output buffer; strides as the loop sees them
        self.buffers, self.out_strides = [], []
        self.reduced = tuple(False for _ in shape)
        if kernel.reductions:  # all reduce the same axes
            axes = reduced_axes(kernel.reduce, len(shape))
            self.reduced = tuple(d in axes for d in range(len(shape)))
        elif kernel.scan is not None:  # marked so that coalescing keeps it apart
            self.reduced = tuple(d == kernel.scan_axis for d in range(len(shape)))
        acc_shape = tuple(1 if r else n for n, r in zip(shape, self.reduced))

        def accumulator(dtype, fill, result_shape=None):
            self.buffers.append((acc_shape, dtype, fill, result_shape))
            strides = np.empty(acc_shape, dtype).strides
            self.out_strides.append(tuple(0 if r else s for r, s in zip(self.reduced,
                                                                          strides)))
        for n in kernel.outputs:
            if n is kernel.compact:   # appended to at a cursor, not at loop positions
                self.buffers.append((n.shape, n.dtype, None, None))
                self.out_strides.append((0,) * len(shape))
            elif n not in kernel.reductions:
                self.buffers.append((shape, n.dtype, None, None))
                self.out_strides.append(np.empty(shape, n.dtype).strides)
            elif n.op in SEGMENT:   # one accumulator per group: the loop scatters into it
                self.buffers.append((n.shape, n.dtype, start_value(n.op, n.dtype, self.empty),
                                     None))
                self.out_strides.append((0,) * len(shape))
            elif n.op in ARG_REDUCTIONS:
                accumulator(n.dtype, 0, n.shape)   # the index of the best value so far
            else:
                dtype = np.dtype(bool) if n.op in (Op.ANY, Op.ALL) else n.dtype
                accumulator(dtype, start_value(n.op, dtype, self.empty), n.shape)
        # then the best value so far of each arg reduction (operands after the outputs)
        self.args = [n for n in kernel.outputs if n.op in ARG_REDUCTIONS]
        for n in self.args:
            dtype = n.src[0].dtype
            accumulator(dtype, start_value(n.op, dtype))
        self.first_acc = len(kernel.outputs) - len(kernel.reductions)
        if kernel.compact is not None:   # the last operand: where the next value goes
            self.buffers.append(((1,), np.dtype(np.int64), 0, None))
            self.out_strides.append((0,) * len(shape))
            self.mask = kernel.inputs.index(kernel.compact.src[1])
            # the mask covers the leading dims: read broadcast along the others
            self.mask_shape = kernel.compact.src[1].shape + \
                (1,) * (len(shape) - kernel.compact.src[1].ndim)
        self.gathered = kernel.gathered
        self.fpes = fpe_nodes(kernel)
        # outputs whose NaN or infinity says that an op may have raised an error
        self.host_tests = tuple(kernel.outputs.index(n)
                                for n in fpe_host_tests(kernel, self.fpes))
        self.status = bool(self.gathered) or bool(self.fpes)
        # inputs only read whole: not addressed by the loop (zero strides, never loaded)
        self.whole_only = frozenset(k for k, n in enumerate(kernel.inputs)
                                    if n not in kernel.streamed)
        self.templates = [np.full(shape if result_shape is None else result_shape, fill, dtype)
                          if fill is not None and math.prod(shape) <= 4096 else None
                          for shape, dtype, fill, result_shape in self.buffers]

    def _outputs(self):
        """Fresh output buffers; an accumulator is a view, in the loop's shape, of an array
        in the result's shape (handed out as it is: evaluate copies views it returns).
        Small accumulators are copies of a filled template (cheaper than ``np.full``)."""
        outs = []
        for (shape, dtype, fill, result_shape), template in zip(self.buffers,
                                                                 self.templates):
            if template is not None:
                outs.append(template.copy().reshape(shape))
            elif fill is None:
                outs.append(np.empty(shape, dtype))
            else:
                outs.append(np.full(shape if result_shape is None else result_shape, fill,
                                    dtype).reshape(shape))
        return outs

    def _layout(self, arrays, shape, key, exact=False):
        zero = (0,) * len(shape)
        extra = len(self.gathered) + self.status   # addressed by index, not loop
        strides = [zero if k in self.whole_only else broadcast_strides(a, shape)
                   for k, a in enumerate(arrays)] + self.out_strides
        itemsizes = [a.itemsize for a in arrays] + [d.itemsize for _, d, _, _ in self.buffers]
        shape, strides, red = coalesce(shape, strides, self.reduced, itemsizes)
        # the operands after those (never addressed by the loop): zero strides
        strides += [(0,) * len(shape)] * extra
        itemsizes += [n.dtype.itemsize for n in self.gathered] + [8] * self.status
        classes = tuple(tuple(stride_class(s, size) for s in st)
                        for st, size in zip(strides, itemsizes))
        fn = self.get_function(len(shape), classes, red, exact)
        # shape and strides as int64 arrays, passed by address (kept alive by the layout)
        c_shape = array.array("q", shape)
        c_strides = array.array("q", [s for st in strides for s in st])
        parallel = math.prod(shape) >= PARALLEL_THRESHOLD and \
            not (red[0] and self.kernel.scan is not None)
        layout = (fn, shape, c_shape.buffer_info()[0], c_strides.buffer_info()[0], red[0],
                  parallel, (c_shape, c_strides), red[-1])
        self.layouts[key, exact] = layout
        return layout

    def __call__(self, memo, num_threads: int, exact: bool = False) -> tuple:
        """The kernel's outputs' values, its operands' values read from ``memo``, and its
        status words where it raised floating-point errors, else None (see ``fp_errors``).
        Run again by its exact variant when the fast one saw a possible error and NumPy
        would react to one."""
        kernel = self.kernel
        outs = self._outputs()
        if self.empty:
            return self._finish(outs), None
        extra = ()
        if self.status:
            sources = [_array(memo[n]) for n in self.gathered]
            if any(a.ndim != 1 or not a.shape[0] for a in sources):
                # an empty source (no index is valid) or one of another rank than recorded
                gather_error(kernel, self._host_value(memo))
            extra = status_operands(sources, len(self.fpes))
        if kernel.pieces:
            sums_tested = True
            for region, arrays, region_outs in self._regions(memo, outs):
                key = (region, tuple((a.shape, a.strides) for a in arrays))
                sums_tested &= self._launch(arrays, region_outs, region, key, num_threads,
                                            extra, exact)
        else:
            arrays = [_array(memo[n]) for n in kernel.inputs]
            if kernel.compact is not None:
                arrays[self.mask] = arrays[self.mask].reshape(self.mask_shape)
            # the operands' shapes are the graph's (static): only their strides vary
            sums_tested = self._launch(arrays, outs, kernel.shape,
                                       tuple([a.strides for a in arrays]), num_threads,
                                       extra, exact)
        words = extra[-1][2 * len(self.gathered):] if self.status else None
        if self.gathered and words[0] >> GATHER_BIT & 1:
            gather_error(kernel, self._host_value(memo))
        if not self.fpes:
            return self._finish(outs), None
        if not exact:
            outs = self._finish(outs)
            if (words[0] >> FPE_ANY_BIT & 1 or not sums_tested and not all(
                    np.isfinite(outs[j]).all() for j in self.host_tests)) and \
                    fp_errors_matter():
                return self(memo, num_threads, exact=True)
            return outs, None
        return self._finish(outs), (words if words.any() else None)

    def _host_value(self, memo):
        """An input's value for the oracle (a piecewise one joined from its parts)."""
        parts = {self.kernel.inputs[k]: (axis, srcs) for k, axis, srcs in self.kernel.pieces}

        def value(n):
            if n in parts:
                axis, srcs = parts[n]
                return np.concatenate([memo[s] for s in srcs], axis)
            return memo[n]
        return value

    def _launch(self, arrays, outs, shape, key, num_threads, extra=(), exact=False):
        """Run the loop over ``shape`` (the kernel's, or one region's); ``key``: what
        the operands' layout depends on. Returns whether the loop tested its float sums
        for NaN and inf itself (summed in registers: the innermost dim reduced)."""
        layout = self.layouts.get((key, exact)) or self._layout(arrays, shape, key, exact)
        fn, shape, c_shape, c_strides, outer_reduced, parallel, _, sums_tested = layout
        chunks = _chunks(shape[0], num_threads) if parallel and num_threads > 1 else ()
        extra = list(extra)
        if self.kernel.compact is not None:
            self._launch_compaction(fn, arrays, outs, shape, c_shape, c_strides, chunks,
                                    num_threads, extra)
            return sums_tested
        if len(chunks) <= 1:
            objects = _objects(arrays + outs + extra)
            fn(0, shape[0], c_shape, objects.buffer_info()[0], c_strides)
            return sums_tested
        # each thread accumulates privately when the outer dim is reduced; combined with
        # the accumulators in chunk order, so the result does not depend on timing
        k = self.first_acc if outer_reduced else len(outs)
        privates = [outs[:k] + [np.full_like(acc, fill) for acc, (_, _, fill, _)
                                in zip(outs[k:], self.buffers[k:])] for _ in chunks]
        objects = [_objects(arrays + p + extra) for p in privates]   # alive until done
        futures = [pool(num_threads).submit(fn, lo, hi, c_shape, o.buffer_info()[0],
                                            c_strides)
                   for (lo, hi), o in zip(chunks, objects)]
        for f in futures:
            f.result()
        if outer_reduced:
            self._combine(outs, privates)
        return sums_tested

    def _launch_compaction(self, fn, arrays, outs, shape, c_shape, c_strides, chunks,
                           num_threads, extra=()):
        """Each chunk of the loop appends from the number of values selected before it
        (the mask is known before the loop: counted here), so the chunks write disjoint
        parts of the output and it is the same with any number of threads."""
        compact = self.kernel.compact
        flat = arrays[self.mask].reshape(-1)   # the mask's values in the loop's (C) order
        selected = np.count_nonzero(flat)
        if selected != compact.shape[0]:   # the output would not hold them: never run
            raise InputChanged(f"the boolean mask selects {selected} values, not the "
                             f"{compact.shape[0]} it selected when x[mask] was recorded: "
                             "it was modified in place since")
        if len(chunks) <= 1:
            chunks = [(0, shape[0])]
        # the element where each chunk starts, in C order of the loop, then the values
        # selected before it: whole mask entries (each selects ``repeat`` elements), and
        # the part of the one it starts in
        repeat = math.prod(self.kernel.shape[compact.src[1].ndim:])
        inner = math.prod(shape[1:])
        cursors = []
        for lo, _ in chunks:
            first = lo * inner
            whole, part = divmod(first, repeat)
            before = np.count_nonzero(flat[:whole]) * repeat + \
                (part if part and flat[whole] else 0)
            cursors.append(np.array([before], np.int64))
        operands = [_objects(arrays + outs[:-1] + [c] + list(extra)) for c in cursors]
        if len(chunks) == 1:
            fn(0, shape[0], c_shape, operands[0].buffer_info()[0], c_strides)
            return
        futures = [pool(num_threads).submit(fn, lo, hi, c_shape, o.buffer_info()[0],
                                            c_strides)
                   for (lo, hi), o in zip(chunks, operands)]
        for f in futures:
            f.result()

    def _combine(self, outs, privates):
        """Fold each thread's partial accumulators into ``outs``, in chunk order."""
        kernel, nout = self.kernel, len(self.kernel.outputs)
        for j, node in enumerate(kernel.outputs[self.first_acc:], self.first_acc):
            if node.op not in ARG_REDUCTIONS:
                outs[j][...] = COMBINE[node.op].reduce(
                    np.stack([outs[j]] + [p[j] for p in privates]), axis=0)
                continue
            v = nout + self.args.index(node)    # its best value's operand
            better = np.less if node.op is Op.ARGMIN else np.greater
            for p in privates:  # a later chunk wins only if strictly better (or first NaN)
                take = better(p[v], outs[v])
                if outs[v].dtype.kind == "f":
                    take |= np.isnan(p[v]) & ~np.isnan(outs[v])
                outs[v][take] = p[v][take]
                outs[j][take] = p[j][take]

    def _regions(self, memo, outs):
        """For piecewise inputs: the loop's regions, each with its operand and output
        views (every piecewise input reads from exactly one of its parts there)."""
        kernel, shape = self.kernel, self.kernel.shape
        pieces, cuts = {}, {}
        for k, axis, parts in kernel.pieces:
            values = [_array(memo[p]) for p in parts]
            offsets = np.cumsum([0] + [v.shape[axis] for v in values]).tolist()
            pieces[k] = (axis, values, offsets)
            cuts.setdefault(axis, {0, shape[axis]}).update(offsets)
        axes = sorted(cuts)
        spans = [[(lo, hi) for lo, hi in zip(b, b[1:]) if hi > lo]
                 for b in (sorted(cuts[a]) for a in axes)]
        others = [(k, _array(memo[n])) for k, n in enumerate(kernel.inputs)
                  if k not in pieces]
        for combo in itertools.product(*spans):
            where = [slice(None)] * len(shape)
            for a, (lo, hi) in zip(axes, combo):
                where[a] = slice(lo, hi)
            region = tuple(len(range(*w.indices(n))) for w, n in zip(where, shape))
            arrays = [None] * len(kernel.inputs)
            for k, a in others:
                arrays[k] = a[_broadcast_key(a, shape, where)]
            for k, (axis, values, offsets) in pieces.items():
                lo, hi = where[axis].start, where[axis].stop
                j = next(i for i in range(len(values)) if offsets[i] <= lo < offsets[i + 1])
                key = list(where)
                key[axis] = slice(lo - offsets[j], hi - offsets[j])
                arrays[k] = values[j][tuple(key)]
            views = [o[tuple(slice(None) if r else w for r, w in zip(self.reduced, where))]
                     if n in kernel.reductions else o[tuple(where)]
                     for o, n in zip(outs, kernel.outputs + tuple(self.args))]
            yield region, arrays, views

    def _finish(self, outs):
        kernel = self.kernel
        outs = outs[:len(kernel.outputs)]   # not the arg reductions' best values
        for j, node in enumerate(kernel.outputs[self.first_acc:], self.first_acc):
            out = outs[j].base if outs[j].base is not None else outs[j].reshape(node.shape)
            outs[j] = out.astype(node.dtype, copy=False)
        return outs


# The kernels' entry takes the operands' array objects and reads each data pointer from
# the object (``PyArrayObject.data``, right after the object header): building a list of
# object addresses costs half of reading the pointers in Python (dispatch of small arrays).
HEADER = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)


def entry_ir(name: str, loop: str, nops: int) -> str:
    """LLVM IR of ``name(lo, hi, shape, objects, strides)``: gathers the data pointers of
    ``nops`` array objects and calls the loop function ``loop`` (inlined at O3)."""
    lines = [f"define void @{name}(i64 %lo, i64 %hi, ptr %shape, ptr %objs, ptr %strides) {{",
             "entry:", f"  %ptrs = alloca [{max(nops, 1)} x ptr]"]
    for k in range(nops):
        lines += [f"  %o{k} = getelementptr ptr, ptr %objs, i64 {k}",
                  f"  %a{k} = load ptr, ptr %o{k}",
                  f"  %f{k} = getelementptr i8, ptr %a{k}, i64 {HEADER}",
                  f"  %d{k} = load ptr, ptr %f{k}",
                  f"  %s{k} = getelementptr ptr, ptr %ptrs, i64 {k}",
                  f"  store ptr %d{k}, ptr %s{k}"]
    lines += [f"  call void @{loop}(i64 %lo, i64 %hi, ptr %shape, ptr %ptrs, ptr %strides)",
              "  ret void", "}"]
    return "\n".join(lines) + "\n"


def _header_holds_data() -> bool:
    """Whether this NumPy keeps an array's data pointer at ``HEADER`` (checked on probes)."""
    probes = [np.ones(3), np.ones((4, 4))[1::2, ::3], np.zeros(0, np.int8), np.asarray(1.0)]
    read = ctypes.c_void_p.from_address
    return all(read(id(p) + HEADER).value == p.__array_interface__["data"][0]
               for p in probes)


_WORD = "Q" if ctypes.sizeof(ctypes.c_void_p) == 8 else "I"   # an address, as array.array


def _objects_direct(arrays):
    """The operands' object addresses, as the kernels' entry takes them (an array.array:
    cheaper to build than a ctypes array; passed by its buffer's address)."""
    return array.array(_WORD, map(id, arrays))


def _objects_boxed(arrays):
    """For a NumPy that lays its arrays out otherwise: each 'object' address points
    ``HEADER`` bytes before a slot holding the data pointer. The slots must outlive the
    call: the returned array keeps them."""
    slots = array.array(_WORD, [a.__array_interface__["data"][0] for a in arrays])
    base = slots.buffer_info()[0] - HEADER
    return _Boxed(_WORD, [base + k * slots.itemsize for k in range(len(arrays))], slots)


class _Boxed(array.array):
    def __new__(cls, code, items, slots):
        self = super().__new__(cls, code, items)
        self.slots = slots
        return self


_objects = _objects_direct if _header_holds_data() else _objects_boxed


def _array(value):
    return value if type(value) is np.ndarray else np.asarray(value)


def _broadcast_key(array, shape, where):
    """``where`` (a region of ``shape``) for an operand broadcast to ``shape``: dims it
    broadcasts along (size 1, or missing) are kept whole."""
    pad = len(shape) - array.ndim
    return tuple(slice(None) if array.shape[j] != shape[j + pad] else where[j + pad]
                 for j in range(array.ndim))


def _chunks(n, k):
    k = max(1, min(k, n))
    bounds = [n * i // k for i in range(k + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(k) if bounds[i] < bounds[i + 1]]

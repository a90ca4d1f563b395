"""Running emitted CUDA kernels: layouts, launches, two-stage reductions, compaction.

Everything device-specific goes through a ``Device`` (``CupyDevice`` here; the tests run
the same code on ``hostshim.HostDevice``, the kernels compiled for the CPU), so the launch
logic is checked without a GPU. A layout is computed as the LLVM backend does it (dims
coalesced where every operand is contiguous across them), after moving a reduction's or
scan's dims last (free: strides are arguments).
"""
from __future__ import annotations

import math
import os

import numpy as np

from ...ir.ops import SEGMENT, Op, start_value
from ...ir.passes.fuse import reduced_axes
from ..llvm.lowering import ARG_REDUCTIONS, accumulator_dtype
from ..llvm.runtime import (
    InputChanged,
    broadcast_strides,
    coalesce,
    gather_error,
    stride_class,
)
from . import emit

# Reduced elements per part of a slice (stage 1), and elements per compaction block:
# fixed, so the combination order depends on sizes only (reproducible).
CHUNK = emit.BLOCK * 16
ROWS_MAX = 32        # reduced elements per slice up to which a thread reduces a slice
MAX_GRID = 1 << 20   # blocks per launch; the kernels' loops are grid-stride
# a scan's lines longer than SCAN_CHUNK run in parts of it on blocks, unless there are
# SCAN_LINES of them (a thread each keeps NumPy's order and fills the GPU)
SCAN_CHUNK = emit.BLOCK * 16
SCAN_LINES = 1 << 14
# accumulators of all parts of a segment reduction (bounds its parallelism by ngroups)
SEGMENT_BUDGET = 1 << 22
# no FMA contraction: NumPy rounds each multiply and add (x * x - y * y would differ, to
# the sign, where it cancels); subnormals kept (NumPy's float32 has them; CuPy's RawModule
# would add -ftz=true, see nvrtc.py)
OPTIONS = ("-std=c++17", "--fmad=false", "--ftz=false")   # NVRTC's (nvcc takes the same)


def nvrtc_options(arch: int, output: str = "cubin") -> tuple:
    """NVRTC's options for the kernels: CUBIN for ``sm_<arch>``, or PTX for
    ``compute_<arch>``."""
    return OPTIONS + (f"-arch={'sm' if output == 'cubin' else 'compute'}_{arch}",)


class CupyDevice:
    """CuPy: kernels compiled by NVRTC with ``nvrtc_options`` (``nvrtc.py``), loaded with
    ``cupy.RawModule(path=...)``; ``RawModule(code=...)`` where no libnvrtc is found."""

    def __init__(self):
        import cupy
        self.cp = cupy

    def is_device(self, x) -> bool:
        return isinstance(x, self.cp.ndarray)

    def asarray(self, x):
        return x if isinstance(x, self.cp.ndarray) else self.cp.asarray(x)

    def to_host(self, x):
        return self.cp.asnumpy(x) if isinstance(x, self.cp.ndarray) else x

    def empty(self, shape, dtype):
        return self.cp.empty(shape, dtype)

    def full(self, shape, value, dtype):
        return self.cp.full(shape, value, dtype)

    def concatenate(self, values, axis):
        return self.cp.concatenate([self.asarray(v) for v in values], axis=axis)

    def compile(self, source: str, functions):
        """``functions``: (C name, params) of the kernels in ``source``."""
        from . import nvrtc
        from .prelude import PRELUDE
        code = PRELUDE + source
        if nvrtc.load() is None:   # CuPy's NVRTC; its -ftz=true flushes float32 subnormals
            module = self.cp.RawModule(code=code, options=OPTIONS)
        else:
            module = self.cp.RawModule(path=self._binary(code, nvrtc))
        return {cname: module.get_function(cname) for cname, _ in functions}

    def _binary(self, code, nvrtc):
        """A file of ``code`` compiled by NVRTC with ``nvrtc_options`` (CUBIN for this
        GPU, or PTX where this NVRTC does not know it), named by the SHA-256 of the
        source, options and NVRTC version in the weldish cache directory's ``cuda/``
        (``WELDISH_CACHE_DIR``; a temporary one if none is usable): a new process loads
        it without compiling, as CuPy's own cache would."""
        import hashlib
        import tempfile
        cc = int(self.cp.cuda.Device().compute_capability)
        archs = nvrtc.supported_archs()
        output, arch = ("cubin", cc) if cc in archs else \
            ("ptx", max([a for a in archs if a <= cc] or archs[:1]))
        options = nvrtc_options(arch, output)
        key = repr((code, options, nvrtc.version())).encode()
        path = os.path.join(self._cache_dir(), f"{hashlib.sha256(key).hexdigest()}.{output}")
        if not os.path.exists(path):
            binary = nvrtc.compile_program(code, options, output)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(binary)
            os.replace(tmp, path)   # whole or absent, for concurrent processes
        return path

    def _cache_dir(self) -> str:
        if getattr(self, "_dir", None) is None:
            import tempfile

            from ..llvm.diskcache import default_dir
            base = default_dir()
            try:
                if base is None:
                    raise OSError("disk cache off")
                self._dir = str(base / "cuda")
                os.makedirs(self._dir, exist_ok=True)
                if not os.access(self._dir, os.W_OK):
                    raise OSError("not writable")
            except OSError:
                self._dir = tempfile.mkdtemp(prefix="weldish-cuda-")
        return self._dir

    def launch(self, fn, grid, block, args):
        fn((grid,), (block,), tuple(np.int64(a) if isinstance(a, (int, np.integer)) else a
                                    for a in args))

    def item(self, a, i):
        return int(a[i].get())


def _operand_strides(kernel, arrays, outs):
    zero, streamed = (0,) * len(kernel.shape), kernel.streamed   # (gathered: by index)
    return [broadcast_strides(a, kernel.shape) if n in streamed else zero
            for n, a in zip(kernel.inputs, arrays)] + [o.strides for o in outs]


class Launcher:
    """One kernel of a program on a device: its layouts' compiled functions, kept."""

    def __init__(self, kernel, device, compiled):
        """``compiled(ndim, classes, reduced) -> (role -> (function, params))``."""
        self.kernel, self.device, self.compiled = kernel, device, compiled
        self.layouts: dict = {}   # the inputs' strides -> layout (see _layout)
        shape = kernel.shape
        self.empty = any(n == 0 for n in shape)
        nd = len(shape)
        if kernel.reductions:
            moved = reduced_axes(kernel.reduce, nd)
        elif kernel.scan is not None:
            moved = (kernel.scan_axis,)
        else:
            moved = ()
        self.perm = [d for d in range(nd) if d not in moved] + list(moved)
        self.reduced = tuple(d in moved for d in self.perm)
        self.writes = [n for n in emit.strided(kernel)[len(kernel.inputs):]]
        if kernel.compact is not None:
            self.mask = kernel.inputs.index(kernel.compact.src[1])
            self.mask_shape = kernel.compact.src[1].shape + \
                (1,) * (nd - kernel.compact.src[1].ndim)

    def __call__(self, arrays) -> list:
        """The kernel's outputs (device arrays), from its inputs' device arrays."""
        k, dev = self.kernel, self.device
        if k.compact is not None:
            arrays = list(arrays)
            arrays[self.mask] = arrays[self.mask].reshape(self.mask_shape)
        outs = {n: dev.empty(k.shape, n.dtype) for n in self.writes}
        results = {}
        for r in k.reductions:
            results[r] = dev.empty(r.shape, r.dtype)
        if k.compact is not None:
            results[k.compact] = dev.empty(k.compact.shape, k.compact.dtype)
        if self.empty:
            for r in k.reductions:
                results[r] = dev.full(r.shape, start_value(r.op, r.dtype, True), r.dtype)
            if k.compact is not None and k.compact.shape[0]:
                raise InputChanged("the boolean mask selects 0 values")
            return [outs[n] if n in outs else results[n] for n in k.outputs]
        key = tuple(a.strides for a in arrays)   # shapes are the graph's: fixed
        layout = self.layouts.get(key)
        if layout is None:
            layout = self.layouts[key] = self._layout(arrays, outs)
        shape, strides, red, functions = layout
        values = {f"n{d}": n for d, n in enumerate(shape)}
        for j, (a, st) in enumerate(zip(list(arrays) + [outs[n] for n in self.writes],
                                        strides)):
            values[f"p{j}"] = a
            values.update({f"t{j}_{d}": s for d, s in enumerate(st)})
        total = math.prod(shape)
        bad = self._gathers(arrays, values)
        if k.compact is not None:
            self._compact(functions, values, total, results[k.compact])
        elif any(r.op in SEGMENT for r in k.reductions):
            self._segments(functions, values, total, results)
        elif k.reductions:
            self._reduce(functions, values, shape, red, results)
        elif k.scan is not None:
            self._scan(functions, values, shape, red)
        else:
            self._run(functions["main"], _grid(total), values)
        if bad is not None and dev.item(bad, 0):
            gather_error(k, lambda n: dev.to_host(arrays[k.inputs.index(n)]))
        return [outs[n] if n in outs else results[n] for n in k.outputs]

    def _gathers(self, arrays, values):
        """Each gathered source, its length and byte stride (parameters ``q<g>``,
        ``qn<g>``, ``qs<g>``), and the error flag ``bad``, returned (None: no gather)."""
        k, dev = self.kernel, self.device
        if not k.gathered:
            return None
        for g, n in enumerate(k.gathered):
            a = arrays[k.inputs.index(n)]
            if a.ndim != 1 or not a.shape[0]:   # no index is valid: never read
                gather_error(k, lambda n: dev.to_host(arrays[k.inputs.index(n)]))
            values.update({f"q{g}": a, f"qn{g}": a.shape[0], f"qs{g}": a.strides[0]})
        values["bad"] = dev.full((1,), 0, np.int32)
        return values["bad"]

    def _layout(self, arrays, outs):
        """Coalesced shape, strides, reduced dims and compiled functions of a layout."""
        k = self.kernel
        strides = _operand_strides(k, arrays, [outs[n] for n in self.writes])
        shape = [k.shape[d] for d in self.perm]
        strides = [[st[d] for d in self.perm] for st in strides]
        itemsizes = [a.itemsize for a in arrays] + [n.dtype.itemsize for n in self.writes]
        shape, strides, red = coalesce(shape, strides, self.reduced, itemsizes)
        classes = tuple(tuple(stride_class(s, size) for s in st)
                        for st, size in zip(strides, itemsizes))
        return shape, strides, red, self.compiled(len(shape), classes, red)

    def _run(self, function, grid, values):
        fn, params = function
        self.device.launch(fn, grid, emit.BLOCK, [values[p] for p, _ in params])

    def _reduce(self, functions, values, shape, red, results):
        dev, k = self.device, self.kernel
        nkeep = math.prod(n for n, r in zip(shape, red) if not r)
        nred = math.prod(n for n, r in zip(shape, red) if r)
        if nred <= ROWS_MAX:   # short slices: a thread each (a block each would idle)
            for j, r in enumerate(k.reductions):
                values[f"out{j}"] = results[r]
            self._run(functions["rows"], _grid(nkeep), values)
            return
        parts = -(-nred // CHUNK)
        values.update(chunk=CHUNK, parts=parts, nkeep=nkeep)
        for j, r in enumerate(k.reductions):
            acc = accumulator_dtype(r)
            arg = r.op in ARG_REDUCTIONS
            if parts == 1:   # stage 1 writes the result itself
                values[f"a{j}"] = dev.empty((nkeep,), acc) if arg else results[r]
                if arg:
                    values[f"x{j}"] = results[r]
            else:
                values[f"a{j}"] = dev.empty((nkeep * parts,), acc)
                if arg:
                    values[f"x{j}"] = dev.empty((nkeep * parts,), np.int64)
                values[f"out{j}"] = results[r]
        self._run(functions["main"], min(nkeep * parts, MAX_GRID), values)
        if parts > 1:
            self._run(functions["combine"], _grid(nkeep), values)

    def _scan(self, functions, values, shape, red):
        """A thread per line, in NumPy's order, where lines are short or enough to fill
        the GPU; else parts of ``SCAN_CHUNK`` elements on blocks: part totals, their
        offsets (a thread per line), then each part's values (``scan.py``)."""
        nkeep = math.prod(n for n, r in zip(shape, red) if not r)
        nscan = math.prod(n for n, r in zip(shape, red) if r)
        if nscan <= SCAN_CHUNK or nkeep >= SCAN_LINES:
            self._run(functions["main"], _grid(nkeep), values)
            return
        parts = -(-nscan // SCAN_CHUNK)
        values.update(chunk=SCAN_CHUNK, parts=parts, nkeep=nkeep,
                      tot=self.device.empty((nkeep * parts,), self.kernel.scan.dtype))
        self._run(functions["scan_totals"], min(nkeep * parts, MAX_GRID), values)
        self._run(functions["scan_offsets"], _grid(nkeep), values)
        self._run(functions["scan_parts"], min(nkeep * parts, MAX_GRID), values)

    def _segments(self, functions, values, total, results):
        """Segment reductions: parts of the rows in order, each into its own row of
        accumulators (as many parts as ``SEGMENT_BUDGET`` accumulators allow), folded
        in part order. A plain reduction beside them is one group."""
        dev, k = self.device, self.kernel
        groups = [r.shape[0] if r.op in SEGMENT else 1 for r in k.reductions]
        parts = max(1, min(-(-total // CHUNK), SEGMENT_BUDGET // max(1, sum(groups))))
        chunk = -(-total // parts)
        values.update(chunk=chunk, parts=parts, gmax=max(groups))
        for j, (r, g) in enumerate(zip(k.reductions, groups)):
            acc = accumulator_dtype(r)
            start = start_value(r.op, acc, self.empty)
            values[f"g{j}"] = g
            values[f"out{j}"] = results[r]
            values[f"a{j}"] = dev.full((parts * g,), start, acc)
            if parts == 1:   # the accumulators are the result
                results[r] = values[f"a{j}"].reshape(r.shape)
        self._run(functions["main"], _grid(parts), values)
        if parts > 1:
            self._run(functions["combine"], _grid(max(groups)), values)

    def _compact(self, functions, values, total, out):
        dev, compact = self.device, self.kernel.compact
        nblocks = -(-total // CHUNK)
        counts = dev.empty((nblocks + 1,), np.int64)
        values.update(counts=counts, offsets=counts, chunk=CHUNK, nblocks=nblocks, out=out)
        self._run(functions["count"], min(nblocks, MAX_GRID), values)
        fn, params = functions["offsets"]
        dev.launch(fn, 1, 1, [values[p] for p, _ in params])
        # elements selected (a mask entry selects the trailing dims it lacks, whole)
        selected = dev.item(counts, nblocks)
        if selected != math.prod(compact.shape):   # the output would not hold them
            rows = selected // max(1, math.prod(compact.shape[1:]))
            raise InputChanged(f"the boolean mask selects {rows} values, not the "
                               f"{compact.shape[0]} it selected when x[mask] was "
                               "recorded: it was modified in place since")
        self._run(functions["main"], min(nblocks, MAX_GRID), values)


def _grid(n):
    return max(1, min(-(-n // emit.BLOCK), MAX_GRID))


def host_step_needed(node) -> bool:
    """Whether a step that is not a kernel must run on the host (NumPy): views, reshapes,
    concatenations and matrix products have device versions (CuPy dispatches NumPy's
    functions to its own, cuBLAS for the products)."""
    return node.op not in ON_DEVICE


ON_DEVICE = frozenset({Op.GETITEM, Op.TRANSPOSE, Op.BROADCAST_TO, Op.RESHAPE,
                       Op.CONCATENATE, Op.MATMUL, Op.DOT})

"""The CuPy GPU backend: the fused kernels of ``ir.passes.fuse`` as CUDA C (``emit``),
compiled with ``cupy.RawModule`` (CuPy's kernel cache), run on the current device.

Host inputs are copied to the device once per evaluation (the first kernel that reads
one replaces its value by the device copy, which later kernels reuse); intermediates stay
on the device; results come back as NumPy arrays, or stay CuPy arrays (``on_device``).
CuPy arrays bound as inputs are used in place (``weldish.gpu.device_function``). Steps without a
kernel run on the device when CuPy has them (views, reshapes, concatenations, matrix
products), else on the host (NumPy), their transfers shown by ``explain``. A kernel that
fails to compile or launch runs on the host (the oracle), with a warning.
"""
from __future__ import annotations

import hashlib
import importlib.util
import threading
import warnings

import numpy as np

from ...ir.interpret import as_array, evaluate_node
from ...ir.ops import OPS, Op
from ...ir.passes import COMPILED
from ...ir.passes.fuse import Kernel, partition
from ..llvm.runtime import GatherIndexError
from . import emit
from .runtime import InputChanged, Launcher, host_step_needed


class CupyBackend:
    name = "cupy"
    passes = COMPILED   # as the LLVM backend's: small matmuls computed in the loops

    def __init__(self, device_factory=None):
        """``device_factory``: makes the ``Device`` (default: CuPy's; tests pass the host
        one)."""
        self._device_factory = device_factory
        self._device = None
        self._missing = None if device_factory is not None else ...
        self._functions: dict = {}   # (kernel signature, layout) -> role -> (fn, params)
        self.failed: dict = {}
        self._lock = threading.Lock()

    def missing(self) -> str | None:
        """What this machine lacks for the backend (None: nothing)."""
        if self._missing is ...:
            self._missing = _probe()
        return self._missing

    def available(self) -> bool:
        return self.missing() is None

    @property
    def device(self):
        if self._device is None:
            with self._lock:
                if self._device is None:
                    if self._device_factory is None:
                        from .runtime import CupyDevice
                        self._device = CupyDevice()
                    else:
                        self._device = self._device_factory()
        return self._device

    def plan(self, roots):
        plan = partition(roots, emit.can_fuse)
        for n, why in plan.reasons.items():   # where each step that is not a kernel runs
            if n.op is not Op.CALL:
                plan.reasons[n] = f"{why}; " + (
                    "on the host: operands copied from the device, the value back"
                    if host_step_needed(n) else "on the device (CuPy)")
        return plan

    def notes(self, plan) -> dict:
        """Kernel output -> remark, for ``explain``: kernels that failed to run."""
        return {k.output: f"did not compile ({self.failed[k.signature()]}); runs on the "
                "host" for k in plan.kernels() if k.signature() in self.failed}

    def transfers(self, plan) -> list:
        """For ``explain``: the copies around each step run on the host (an annotated
        call, or an op with no device version): its operands computed on the device
        copied to the host, and its value copied back for the device steps reading it.
        From the plan alone (nothing runs); bytes of whole values."""
        from ...ir.node import toposort
        from ...ir.printer import node_label
        ids = {n: i for i, n in enumerate(toposort(plan.roots))}
        device, readers = set(), {}
        for k, step in enumerate(plan.steps):
            srcs = step.reads if isinstance(step, Kernel) else step.src
            for s in dict.fromkeys(srcs):
                readers.setdefault(s, []).append(k)
            if isinstance(step, Kernel):
                device.update(step.outputs)
            elif step.op not in (Op.INPUT, Op.CONST, Op.CALL) and not host_step_needed(step) \
                    and any(s in device for s in step.src):   # else it runs on the host
                device.add(step)
        lines = []
        for k, step in enumerate(plan.steps):
            if isinstance(step, Kernel) or step.op in (Op.INPUT, Op.CONST) or \
                    step in device:
                continue
            down = [s for s in dict.fromkeys(step.src) if s in device]
            up = [j for j in readers.get(step, ()) if _on_device(plan.steps[j], device)]
            if not down and not up:
                continue
            what = "an annotated call" if step.op is Op.CALL else "no device version"
            lines.append(
                f"step {k}: %{ids[step]} = {node_label(step)} on the host ({what}): "
                f"device->host {sum(_nbytes(s) for s in down)} bytes ("
                + (", ".join(f"%{ids[s]}" for s in down) or "nothing") + "); "
                f"host->device {_nbytes(step) if up else 0} bytes ("
                + (f"%{ids[step]} for " + ", ".join(_step_name(plan.steps[j], j) for j in up)
                   if up else "nothing") + ")")
        return lines

    def functions(self, kernel, ndim, classes, reduced, signature=None):
        key = (signature or kernel.signature(), ndim, classes, reduced)
        found = self._functions.get(key)
        if found is None:
            # named by content: the same kernel has the same name in every process
            name = "wk_" + hashlib.sha1(repr(key).encode()).hexdigest()[:16]
            emitted = emit.emit(kernel, name, ndim, classes, reduced)
            compiled = self.device.compile(emitted.source, emitted.functions.values())
            found = {role: (compiled[cname], params)
                     for role, (cname, params) in emitted.functions.items()}
            self._functions[key] = found
        return found

    def prepare(self, roots):
        return Program(self, roots)

    def execute(self, program, memo, num_threads: int = 1, on_device: bool = False):
        return program.run(memo, on_device)

    def run(self, roots, memo, num_threads: int = 1):
        return self.execute(self.prepare(roots), memo, num_threads)


def _nbytes(node) -> int:
    return int(np.prod(node.shape, dtype=np.int64)) * np.dtype(node.dtype).itemsize


def _on_device(step, device) -> bool:
    return isinstance(step, Kernel) or step in device


def _step_name(step, k) -> str:
    return f"kernel {k}" if isinstance(step, Kernel) else f"step {k}"


def _probe() -> str | None:
    if importlib.util.find_spec("cupy") is None:
        return "CuPy is not installed (pip install 'weldish[gpu]', i.e. cupy-cuda12x)"
    try:
        import cupy
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # noqa: BLE001 - no driver, no device: CuPy says which
        return f"no usable CUDA GPU ({type(e).__name__}: {e})"
    return None if count else "no CUDA GPU on this machine"


class Program:
    """A plan ready to run on the device: launchers, and what each step frees."""

    def __init__(self, backend, roots):
        self.backend = backend
        self.roots = list(roots)
        self.plan = backend.plan(self.roots)
        self.broken: set = set()
        self.steps = []
        reads = [s.reads if isinstance(s, Kernel) else s.src for s in self.plan.steps]
        last = {}
        for i, srcs in enumerate(reads):
            for s in srcs:
                last[s] = i
        keep = set(self.roots)
        for i, step in enumerate(self.plan.steps):
            frees = tuple(s for s in dict.fromkeys(reads[i]) if last[s] == i and s not in keep)
            if not isinstance(step, Kernel) and step.op is Op.INPUT and \
                    step.arg[0][1].source == "placeholder":
                continue
            launch = None
            if isinstance(step, Kernel):
                launch = Launcher(step, backend.device, self._getter(step))
            self.steps.append((step, launch, frees))

    def _getter(self, kernel):
        signature = []   # computed once, on first use

        def get(ndim, classes, reduced):
            if not signature:
                signature.append(kernel.signature())
            return self.backend.functions(kernel, ndim, classes, reduced, signature[0])
        return get

    def run(self, memo, on_device=False):
        dev = self.backend.device
        for step, launch, frees in self.steps:
            if launch is None:
                if step not in memo:
                    memo[step] = self._other(step, memo, dev)
            elif step.output not in memo:
                self._kernel(step, launch, memo, dev)
            for s in frees:
                memo.pop(s, None)
        out = []
        for r in self.roots:
            v = memo[r]
            if not dev.is_device(v):
                v = as_array(v, r)
                if on_device:
                    v = dev.asarray(v)
            elif not on_device:
                v = dev.to_host(v)
            out.append(v)
        return out

    @staticmethod
    def _other(node, memo, dev):
        if node.op is Op.CONST or node.op is Op.INPUT:
            return evaluate_node(node, memo)
        if not host_step_needed(node):
            if any(dev.is_device(memo.get(s)) for s in node.src):   # all on the device
                if node.op is Op.CONCATENATE:
                    return dev.concatenate([memo[s] for s in node.src],
                                           dict(node.arg)["axis"])
                for s in node.src:
                    if s in memo and not dev.is_device(memo[s]):
                        memo[s] = dev.asarray(as_array(memo[s], s))
            return evaluate_node(node, memo)
        host = {s: dev.to_host(memo[s]) for s in node.src if s in memo}
        return evaluate_node(node, host)

    def _kernel(self, kernel, launch, memo, dev):
        arrays = []
        parts = {kernel.inputs[k]: (axis, srcs) for k, axis, srcs in kernel.pieces}
        for n in kernel.inputs:
            if n in parts:   # read piecewise by the LLVM loop: joined on the device here
                axis, srcs = parts[n]
                arrays.append(dev.concatenate([memo[s] for s in srcs], axis))
                continue
            v = memo[n]
            if not dev.is_device(v):   # copied once: later kernels find the device copy
                v = memo[n] = dev.asarray(as_array(v, n))
            arrays.append(v)
        if kernel.output in self.broken:
            values = self._host(kernel, memo, dev)
        else:
            try:
                values = launch(arrays)
            except InputChanged:
                raise
            except GatherIndexError as e:   # NumPy's error, as NumPy raises it
                raise IndexError(*e.args) from None
            except Exception as e:  # noqa: BLE001 - the interpreter is always right
                why = f"{type(e).__name__}: {e}"
                self.broken.add(kernel.output)
                self.backend.failed[kernel.signature()] = why
                warnings.warn(f"weldish: CUDA kernel for {kernel.output} did not run "
                              f"({why}); running it on the host", RuntimeWarning,
                              stacklevel=4)
                values = self._host(kernel, memo, dev)
        memo.update(zip(kernel.outputs, values))
        for n in kernel.outputs:
            if OPS[n.op].check is not None:   # NumPy's data-dependent warnings
                OPS[n.op].check(dev.to_host(memo[n]))

    @staticmethod
    def _host(kernel, memo, dev):
        """The kernel's outputs by the oracle, on the host."""
        local = {}
        for k, _, srcs in kernel.pieces:
            for s in srcs:
                local[s] = dev.to_host(memo[s])
        for n in kernel.inputs:
            if n in memo:
                local[n] = dev.to_host(memo[n])
        for k, _, _ in kernel.pieces:
            local[kernel.inputs[k]] = evaluate_node(kernel.inputs[k], local)
        for n in kernel.body:
            local[n] = evaluate_node(n, local)
        return [dev.asarray(as_array(local[n], n)) for n in kernel.outputs]

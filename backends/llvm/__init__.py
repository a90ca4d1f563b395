"""The LLVM CPU backend: fused loop nests compiled with llvmlite, run on a thread pool.

Nodes the backend cannot compile (``lowering.can_fuse``) run on the interpreter, and a
kernel that fails to compile runs there too, with a warning; ``explain`` shows both.
Compiled kernels are cached in memory by structure and layout, never by size.
"""
from __future__ import annotations

import threading
import time
import warnings

from ...ir.callsite import warn_at_user
from ...ir.interpret import as_array, evaluate_node
from ...ir.ops import OPS, Op
from ...ir.passes import COMPILED
from ...ir.passes.fuse import Kernel, partition
from . import lowering
from .runtime import GatherIndexError, InputChanged, fp_errors


class LLVMBackend:
    name = "llvm"
    passes = COMPILED   # its optimization pipeline: small matmuls computed in the loops
    # ``observer(event, **fields)``: told of compiles and (when passed to ``execute``) of
    # each step; set by the frontend (weldish.evaluate: its lifecycle hooks)
    observer = None
    observes_steps = True

    def __init__(self):
        self._jit = None
        self._functions: dict = {}   # (kernel signature, layout) -> compiled kernel
        self.failed: dict = {}       # kernel signature -> why it did not compile
        self._retired: list = []
        self._lock = threading.Lock()

    def available(self) -> bool:
        try:
            import llvmlite.binding  # noqa: F401
        except ImportError:
            return False
        return True

    @property
    def jit(self):
        """The process' one engine, made on first use. Made under a lock: two threads
        evaluating at once would otherwise each make one, and the engine that lost the
        race would be freed, its kernels' code unmapped while still in use (a crash)."""
        if self._jit is None:
            with self._lock:
                if self._jit is None:
                    from .jit import Jit
                    self._jit = Jit()
        return self._jit

    def reset(self, cache_dir=None):
        """Forget every compiled kernel (a fresh engine; ``cache_dir``: its disk cache).
        Programs prepared before must not run afterwards: drop them too."""
        from .jit import Jit
        self._functions.clear()
        self.failed.clear()
        if self._jit is not None:  # its code may still be referenced: never unmapped
            self._retired.append(self._jit)
        self._jit = Jit(cache_dir)

    def plan(self, roots):
        return partition(roots, lowering.can_fuse)

    def notes(self, plan) -> dict:
        """Kernel output -> remark, for ``explain``: kernels that failed to compile."""
        failed = {k.output: self.failed.get(k.signature()) for k in plan.kernels()}
        return {out: f"did not compile ({why}); runs on the interpreter"
                for out, why in failed.items() if why}

    def function(self, signature, ndim, classes, reduced, make_ir):
        key = (signature, ndim, classes, reduced)
        fn = self._functions.get(key)
        observer = self.observer
        if fn is None:
            jit = self.jit
            compiled, t0 = jit.compiled, time.perf_counter()
            fn = jit.function(repr(key), make_ir)
            self._functions[key] = fn
            if observer is not None:  # compiled now, or its object code read from disk
                observer("compile", cache="miss" if jit.compiled > compiled else "disk",
                         seconds=time.perf_counter() - t0, kernel=signature)
        elif observer is not None:
            observer("compile", cache="memory", seconds=0.0, kernel=signature)
        return fn

    def prepare(self, roots):
        return Program(self, roots)

    def execute(self, program, memo, num_threads: int = 1, observer=None):
        """``observer``: called ``observer("execute", ...)`` after each step."""
        return program.run(memo, num_threads, observer)

    def run(self, roots, memo, num_threads: int = 1):
        return self.execute(self.prepare(roots), memo, num_threads)


class Program:
    """A plan ready to run many times: kernel launchers, and after each step the values
    no later step reads (freed, as NumPy frees temporaries)."""

    def __init__(self, backend, roots):
        from .runtime import Launcher
        self.backend = backend
        self.roots = list(roots)
        self.plan = backend.plan(self.roots)
        self.broken: set = set()   # kernels that failed: they run on the interpreter
        self.steps = []
        reads = [step.reads if isinstance(step, Kernel) else step.src
                 for step in self.plan.steps]
        last_reader = {}
        for i, srcs in enumerate(reads):
            for s in srcs:
                last_reader[s] = i
        keep = set(self.roots)
        for i, step in enumerate(self.plan.steps):
            frees = tuple(s for s in dict.fromkeys(reads[i])
                          if last_reader[s] == i and s not in keep)
            if not isinstance(step, Kernel) and step.op is Op.INPUT and \
                    step.arg[0][1].source == "placeholder":
                continue  # bound by the caller: nothing to do (and it reads nothing)
            if isinstance(step, Kernel):
                launch = Launcher(step, self._function_getter(step))
                # NumPy's data-dependent warnings of the values the loop writes
                checks = tuple((n, OPS[n.op].check) for n in step.outputs
                               if OPS[n.op].check is not None)
                self.steps.append((step.output, step, launch, frees, checks))
            else:
                self.steps.append((step, step, None, frees, ()))
        kernels = {n for step in self.plan.steps if isinstance(step, Kernel)
                   for n in step.outputs}
        self.exact = [r in kernels for r in self.roots]

    def _function_getter(self, kernel):
        signature = []

        def make_ir(name, ndim, classes, reduced, exact):
            from .emit import emit  # llvmlite.ir: imported only when compiling
            from .runtime import entry_ir, operand_count
            loop = emit(kernel, f"{name}_loop", ndim, classes, reduced, exact)
            return loop + entry_ir(name, f"{name}_loop", operand_count(kernel))

        def get(ndim, classes, reduced, exact=False):
            if not signature:
                signature.append(kernel.signature())
            # the exact floating-point variant: another function of the same kernel
            return self.backend.function(
                signature[0], ndim, classes, (reduced, "fpe-exact") if exact else reduced,
                lambda name: make_ir(name, ndim, classes, reduced, exact))
        return get

    def run(self, memo, num_threads, observer=None):
        for output, step, launch, frees, checks in self.steps:
            if observer is not None:
                t0, fresh = time.perf_counter(), output not in memo
            if output in memo:
                pass  # an input bound by the caller, or a value computed before
            elif launch is None:
                memo[output] = evaluate_node(step, memo)
            elif output in self.broken:
                self._interpret(step, memo)
            else:
                try:
                    values, flags = launch(memo, num_threads)
                except InputChanged:
                    raise
                except GatherIndexError as e:   # NumPy's error, as NumPy raises it
                    raise IndexError(*e.args) from None
                except Exception as e:  # noqa: BLE001 - the interpreter is always right
                    why = f"{type(e).__name__}: {e}"
                    self.broken.add(output)  # warned once; not retried by this program
                    self.backend.failed[step.signature()] = why
                    warnings.warn(f"weldish: kernel for {step.output} did not compile "
                                  f"({why}); running it on the interpreter",
                                  RuntimeWarning, stacklevel=4)
                    self._interpret(step, memo)
                else:
                    memo.update(zip(step.outputs, values))
                    if flags is not None:   # NumPy's floating-point warnings of its ops
                        fp_errors(launch.fpes, flags, warn_at_user)
                    for node, check in checks:
                        check(memo[node])
            if observer is not None and fresh:
                _observe_step(observer, step, launch, output, memo, t0)
            for s in frees:
                memo.pop(s, None)
        # a kernel's outputs are arrays of their node's dtype already
        return [memo[r] if exact else as_array(memo[r], r)
                for r, exact in zip(self.roots, self.exact)]

    @staticmethod
    def _interpret(kernel, memo):
        """The kernel's outputs computed node by node from its inputs, by the oracle."""
        pieces = [kernel.inputs[k] for k, _, _ in kernel.pieces]
        for node in pieces + list(kernel.body):  # concatenations read piecewise first
            memo[node] = evaluate_node(node, memo)
        for n in set(kernel.body).union(pieces) - set(kernel.outputs):
            memo.pop(n, None)
        for n in kernel.outputs:  # arrays of the node's dtype, as the kernel gives them
            memo[n] = as_array(memo[n], n)


def _observe_step(observer, step, launch, output, memo, t0):
    """Report a finished step: its kind, time, and the rows and bytes it wrote."""
    seconds = time.perf_counter() - t0
    outputs = step.outputs if isinstance(step, Kernel) else (output,)
    values = [memo[n] for n in outputs if n in memo]
    observer("execute", step=str(output.op), kind="node" if launch is None else "kernel",
             seconds=seconds, outputs=len(outputs),
             rows=max((v.shape[0] if getattr(v, "ndim", 0) else 1 for v in values),
                      default=0),
             bytes=sum(getattr(v, "nbytes", 0) for v in values))

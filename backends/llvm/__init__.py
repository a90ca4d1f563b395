"""The LLVM CPU backend: fused loop nests compiled with llvmlite, run on a thread pool.

Nodes the backend cannot compile (``lowering.can_fuse``) run on the interpreter, and a
kernel that fails to compile runs there too, with a warning; ``explain`` shows both.
Compiled kernels are cached in memory by structure and layout, never by size.
"""
from __future__ import annotations

import warnings

from ...ir.interpret import as_array, evaluate_node, interpret
from ...ir.passes.fuse import Kernel, partition
from . import lowering


class LLVMBackend:
    name = "llvm"

    def __init__(self):
        self._jit = None
        self._cache: dict = {}
        self.failed: dict = {}   # kernel output node -> error text

    def available(self) -> bool:
        try:
            import llvmlite.binding  # noqa: F401
        except ImportError:
            return False
        return True

    @property
    def jit(self):
        if self._jit is None:
            from .jit import Jit
            self._jit = Jit()
        return self._jit

    def plan(self, roots):
        return partition(roots, lowering.can_fuse)

    def function(self, kernel, ndim, classes, reduced):
        from .emit import emit, signature
        key = (signature(kernel), ndim, classes, reduced)
        fn = self._cache.get(key)
        if fn is None:
            name = f"k{len(self._cache)}"
            fn = self.jit.compile(emit(kernel, name, ndim, classes, reduced), name)
            self._cache[key] = fn
        return fn

    def run(self, roots, memo, num_threads: int = 1):
        from . import runtime
        plan = self.plan(roots)
        reads = [step.inputs if isinstance(step, Kernel) else step.src for step in plan.steps]
        uses: dict = {}
        for srcs in reads:
            for s in set(srcs):
                uses[s] = uses.get(s, 0) + 1
        keep = set(roots)
        for step, srcs in zip(plan.steps, reads):
            if isinstance(step, Kernel):
                values = [memo[n] for n in step.inputs]
                try:
                    memo[step.output] = runtime.run(
                        step, values,
                        lambda nd, cl, red: self.function(step, nd, cl, red), num_threads)
                except Exception as e:  # noqa: BLE001 - the interpreter is always right
                    self.failed[step.output] = f"{type(e).__name__}: {e}"
                    warnings.warn(f"weldish: kernel for {step.output} did not compile "
                                  f"({type(e).__name__}: {e}); running it on the "
                                  f"interpreter", RuntimeWarning, stacklevel=2)
                    interpret([step.output], memo)
            else:
                memo[step] = evaluate_node(step, memo)
            for s in set(srcs):  # free an intermediate after its last reader, as NumPy would
                uses[s] -= 1
                if uses[s] == 0 and s not in keep:
                    memo.pop(s, None)
        return [as_array(memo[r], r) for r in roots]

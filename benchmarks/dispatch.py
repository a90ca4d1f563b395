"""``python -m benchmarks.dispatch``: the fixed costs around a kernel, not its loop.

    python -m benchmarks.dispatch [--n 1000] [--repeat 2000]

- cached dispatch: a small pipeline (``sum((a-b)**2*c)`` on ``--n`` elements) evaluated
  again and again: the graph recorded each time (as user code does), then evaluated; the
  evaluation alone; the same pipeline as a ``weldish.function`` (traced once per input
  signature, then run from its program); eager NumPy for scale;
- cold compile: every kernel of the benchmark workloads (tiny sizes) compiled with an
  empty disk cache: seconds per kernel;
- warm start: a new process with a warm disk cache: import time, then its first call.
Medians over repeated rounds; the machine may be shared.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy

STARTUP = """
import time
t0 = time.perf_counter()
import numpy, weldish, weldish.numpy as wnp
t1 = time.perf_counter()
a = numpy.linspace(0, 1, 1000)
r = weldish.evaluate(((wnp.asarray(a) - 0.5) ** 2 * wnp.exp(wnp.asarray(a))).sum())
t2 = time.perf_counter()
from weldish import backends
jit = backends.BACKENDS["llvm"].jit
assert weldish.config.current()["backend"] == "llvm"
print(t1 - t0, t2 - t1, jit.compiled, jit.disk.hits)
"""


def per_call(fn, count: int, rounds: int = 5) -> float:
    """Median over ``rounds`` of the mean seconds per call of ``fn(count)``."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn(count)
        times.append((time.perf_counter() - start) / count)
    return statistics.median(times)


def cached_dispatch(n: int, repeat: int) -> dict:
    import weldish
    import weldish.numpy as wnp
    rng = numpy.random.default_rng(0)
    a, b, c = (rng.random(n) for _ in range(3))

    def build():
        return ((wnp.asarray(a) - b) ** 2 * c).sum()

    def build_and_evaluate(k):
        for _ in range(k):
            weldish.evaluate(build())

    def evaluate_only(k):
        graphs = [build() for _ in range(k)]
        start = time.perf_counter()
        for g in graphs:
            weldish.evaluate(g)
        return time.perf_counter() - start

    def numpy_eager(k):
        for _ in range(k):
            ((a - b) ** 2 * c).sum()

    @weldish.function
    def score(a, b, c):
        return ((a - b) ** 2 * c).sum()

    def function_call(k):
        for _ in range(k):
            score(a, b, c)

    build_and_evaluate(50)  # compile, fill the caches
    function_call(50)
    evaluate = statistics.median(evaluate_only(repeat) / repeat for _ in range(5))
    return {"build_and_evaluate_us": per_call(build_and_evaluate, repeat) * 1e6,
            "evaluate_us": evaluate * 1e6,
            "function_us": per_call(function_call, repeat) * 1e6,
            "numpy_eager_us": per_call(numpy_eager, repeat) * 1e6}


def cold_compile() -> dict:
    from weldish import config, evaluate, workloads
    from weldish.testing import fresh_llvm
    import weldish.numpy as wnp
    with tempfile.TemporaryDirectory() as cold:
        jit = fresh_llvm(cold)
        with config(backend="llvm"):
            for name in workloads.WORKLOADS:
                inputs = workloads.WORKLOADS[name][1](64)
                evaluate(*workloads.run(name, wnp, inputs))
        result = {"kernels": jit.compiled,
                  "compile_ms_per_kernel": jit.compile_seconds / max(jit.compiled, 1) * 1e3}
    fresh_llvm()
    return result


def warm_start() -> dict:
    with tempfile.TemporaryDirectory() as cache:
        # the default backend (llvm here), as a newcomer's process gets it
        env = {k: v for k, v in os.environ.items() if not k.startswith("WELDISH_")}
        env["WELDISH_CACHE_DIR"] = cache
        rows = []
        for _ in range(4):  # the first run fills the cache
            out = subprocess.run([sys.executable, "-c", STARTUP], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            rows.append([float(v) for v in out])
    warm = rows[1:]
    return {"import_ms": statistics.median(r[0] for r in warm) * 1e3,
            "first_call_cold_ms": rows[0][1] * 1e3,
            "first_call_warm_ms": statistics.median(r[1] for r in warm) * 1e3,
            "warm_compiled": max(r[2] for r in warm)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.dispatch", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000, help="elements of the small pipeline")
    p.add_argument("--repeat", type=int, default=2000, help="calls per timing round")
    args = p.parse_args(argv)
    d = cached_dispatch(args.n, args.repeat)
    print(f"cached dispatch, sum((a-b)**2*c) on {args.n} elements (median of 5 rounds):")
    print(f"  record + evaluate   {d['build_and_evaluate_us']:8.1f} us")
    print(f"  evaluate only       {d['evaluate_us']:8.1f} us")
    print(f"  weldish.function    {d['function_us']:8.1f} us   (traced once, then run)")
    print(f"  NumPy eager         {d['numpy_eager_us']:8.1f} us")
    c = cold_compile()
    print(f"cold compile: {c['kernels']} kernels of the workloads, "
          f"{c['compile_ms_per_kernel']:.1f} ms per kernel")
    w = warm_start()
    print(f"new process: import {w['import_ms']:.1f} ms; first call "
          f"{w['first_call_cold_ms']:.1f} ms with an empty disk cache, "
          f"{w['first_call_warm_ms']:.1f} ms with a warm one "
          f"({int(w['warm_compiled'])} kernels compiled)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

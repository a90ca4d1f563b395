"""The ``weldish`` command line: ``weldish demo`` runs the main job."""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy


def median_seconds(fn, repeat: int, warmup: bool = False) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs (after one untimed run if asked)."""
    if warmup:
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _scale(a) -> float:
    """The largest finite magnitude: compiled math differs from NumPy's in the last bits,
    which after cancellation (n-body forces, call - put) is relative to this, not to each
    element."""
    finite = numpy.abs(numpy.asarray(a, dtype=float))
    finite = finite[numpy.isfinite(finite)]
    return float(finite.max()) if finite.size else 0.0


def demo(n: int = 1_000_000, repeat: int = 3, out=sys.stdout) -> int:
    """NumPy pipelines run eagerly and through weldish: agreement, graph, timings."""
    import weldish
    import weldish.numpy as wnp
    from weldish import workloads

    def say(*a):
        print(*a, file=out)

    say(f"weldish {weldish.__version__} demo — n = {n:,}, backend = "
        f"{weldish.config.current()['backend']!r}, median of {repeat} runs\n")
    rows, ok = [], True
    for name, (_, make_inputs) in workloads.WORKLOADS.items():
        inputs = make_inputs(n)
        eager = workloads.run(name, numpy, inputs)

        def lazy():
            return weldish.evaluate(*workloads.run(name, wnp, inputs))
        got = lazy()
        got = got if isinstance(got, tuple) else (got,)
        agree = all(g.dtype == e.dtype and numpy.allclose(
            g, e, rtol=1e-12, atol=1e-12 * _scale(e), equal_nan=True)
            for g, e in zip(got, eager))
        ok &= agree
        t_np = median_seconds(lambda: workloads.run(name, numpy, inputs), repeat)
        t_w = median_seconds(lazy, repeat)
        rows.append((name, t_np, t_w, agree))
        if name == "haversine":
            small = workloads.haversine_inputs(8)
            say("Haversine as weldish records it:")
            weldish.explain(*workloads.run(name, wnp, small), names=["km"], out=out)
            say("")
    say(f"{'workload':<14} {'numpy s':>10} {'weldish s':>10} {'ratio':>7}  agree")
    for name, t_np, t_w, agree in rows:
        say(f"{name:<14} {t_np:>10.4f} {t_w:>10.4f} {t_np / t_w:>6.2f}x  "
            f"{'yes' if agree else 'NO'}")
    say("\nratio = numpy time / weldish time (median, same process; "
        "`python -m benchmarks` compares more engines)")
    return 0 if ok else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="weldish", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run NumPy pipelines eagerly and through weldish")
    p.add_argument("--n", type=int, default=1_000_000, help="elements per array")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per variant")
    p.add_argument("--backend", default=None, help="weldish backend (default: configured)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        import weldish
        if args.backend:
            weldish.config(backend=args.backend)
        return demo(args.n, args.repeat)
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""``python -m benchmarks``: every workload on every engine, in one process, against NumPy.

    python -m benchmarks [--workloads a,b] [--scale S] [--repeat R] [--json PATH]
                         [--engines numpy,numba,weldish[interp],...] [--threads N]

Engines (``benchmarks.engines``): ``numpy`` (the baseline), ``numexpr`` and ``jax`` when
importable, ``numba`` (hand-written parallel loops, ``benchmarks.peers``), ``weldish`` (the
configured backend) and ``weldish[b]`` for every available backend. Each result is checked
against NumPy's. Per engine: median of R timed runs after one warm-up call; compile s =
first call - median (``weldish[b]`` after ``weldish`` on the same backend finds its
kernels already compiled). GB/s counts each input array read once and each output written once
(the least traffic any engine needs), against a read-bandwidth roofline measured at start.
The machine may be shared: read medians, not minima. Exit status 1 if any engine gave a
result that differs from NumPy's or raised.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import sys
import time

import numpy

from weldish import workloads
from weldish.cli import median_seconds

from . import engines as engine_table
from . import roofline
from .peers import PEERS


def sizes(name: str, scale: float) -> int:
    """Elements for ``name`` at ``scale`` (2-D workloads: their side scales by sqrt)."""
    return max(int(workloads.BENCH_SIZES.get(name, 1_000_000) * scale), 1)


def tolerance(dtype) -> float:
    return 1e-5 if numpy.dtype(dtype) in (numpy.float32, numpy.complex64) else 1e-9


def compare(got, expected) -> str | None:
    """None if ``got`` matches NumPy's ``expected``, else what differs.

    Same number of outputs, shapes and dtypes; values by ``numpy.allclose`` with rtol 1e-9
    (float64) or 1e-5 (float32), equal_nan, and atol = rtol * max|expected| (norm-wise:
    sums of signed terms, as n-body's, may cancel to near zero in any summation order).
    """
    if len(got) != len(expected):
        return f"{len(got)} outputs, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        g, e = numpy.asarray(g), numpy.asarray(e)
        if g.shape != e.shape or g.dtype != e.dtype:
            return f"output {i}: {g.dtype}{list(g.shape)}, expected {e.dtype}{list(e.shape)}"
        rtol = tolerance(e.dtype)
        finite = numpy.abs(e[numpy.isfinite(e)]) if e.dtype.kind in "fc" else numpy.abs(e)
        atol = rtol * float(finite.max()) if finite.size else 0.0
        if not numpy.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
            with numpy.errstate(all="ignore"):
                err = numpy.nanmax(numpy.abs(g.astype(float) - e.astype(float)))
            return f"output {i}: max abs error {err:.3g}"
    return None


def traffic_bytes(inputs: dict, outputs) -> int:
    """Minimal memory traffic: every input array read once, every output written once."""
    return sum(v.nbytes for v in inputs.values() if isinstance(v, numpy.ndarray)) + \
        sum(numpy.asarray(o).nbytes for o in outputs)


def describe(inputs: dict) -> str:
    """The input arrays' shapes, largest first: '10,000,000' or '2,048x2,048'."""
    shapes = sorted({v.shape for v in inputs.values() if isinstance(v, numpy.ndarray)},
                    key=lambda s: -math.prod(s))
    return ", ".join("x".join(f"{d:,}" for d in s) for s in shapes)


def measure(fn, repeat: int):
    """(result of the first call, first-call seconds, median of ``repeat`` more calls)."""
    t0 = time.perf_counter()
    result = fn()
    first = time.perf_counter() - t0
    return result, first, median_seconds(fn, repeat)


def run_workload(name, engine_names, makers, scale, repeat, roof_gbps):
    """Rows (dicts) for one workload: the baseline first, then each engine."""
    inputs = workloads.WORKLOADS[name][1](sizes(name, scale))
    expected, first, t_base = measure(makers["numpy"](name, inputs), repeat)
    traffic = traffic_bytes(inputs, expected)
    rows = []
    for engine in engine_names:
        got = None
        row = dict(workload=name, engine=engine, median_s=None, speedup_vs_baseline=None,
                   speedup_vs_best_peer=None, matches_baseline=None, compile_s=None,
                   gbps=None, pct_roofline=None, note="")
        try:
            if engine == "numpy":
                got, t_first, t = expected, first, t_base
            else:
                got, t_first, t = measure(makers[engine](name, inputs), repeat)
        except engine_table.NotApplicable as e:
            row["note"] = f"n/a: {e}"
        except Exception as e:  # a broken engine is reported, the others still run
            row["matches_baseline"] = False
            row["note"] = f"error: {type(e).__name__}: {e}".splitlines()[0][:120]
        else:
            problem = compare(got, expected)
            row.update(median_s=t, speedup_vs_baseline=t_base / t, matches_baseline=problem
                       is None, compile_s=max(t_first - t, 0.0), gbps=traffic / t / 1e9,
                       note=problem or "ok")
            row["pct_roofline"] = 100 * row["gbps"] / roof_gbps
        del got
        gc.collect()
        rows.append(row)
    peers = [r["median_s"] for r in rows
             if not engine_table.is_weldish(r["engine"]) and r["matches_baseline"]]
    for r in rows:
        if peers and r["median_s"]:
            r["speedup_vs_best_peer"] = min(peers) / r["median_s"]
    shapes = describe(inputs)
    del expected, inputs
    gc.collect()
    return rows, f"{shapes}; traffic {traffic / 1e6:.1f} MB"


def _fmt(v, spec, width):
    if v is not None and spec == ".4f" and 0 < v < 1e-3:
        spec = ".2e"  # tiny times (smoke-test sizes) stay readable
    return f"{'-' if v is None else format(v, spec):>{width}}"


def print_rows(rows):
    for r in rows:
        print(f"{r['workload']:<14} {r['engine']:<16}"
              f"{_fmt(r['median_s'], '.4f', 10)}"
              f"{_fmt(r['speedup_vs_baseline'], '.2f', 9)}"
              f"{_fmt(r['speedup_vs_best_peer'], '.2f', 10)}"
              f"{_fmt(r['compile_s'], '.3f', 10)}"
              f"{_fmt(r['gbps'], '.2f', 8)}"
              f"{_fmt(r['pct_roofline'], '.0f', 7)}  {r['note']}")


def header(args, selected, skipped, roof):
    import numba
    import weldish
    versions = [f"python {platform.python_version()}", f"numpy {numpy.__version__}",
                f"numba {numba.__version__} ({numba.get_num_threads()} threads)",
                f"weldish {weldish.__version__} ({weldish.config.current()['backend']!r} by "
                f"default, {weldish.config.current()['num_threads']} threads)"]
    if "numexpr" in selected:
        import numexpr
        versions.append(f"numexpr {numexpr.__version__} ({numexpr.get_num_threads()} threads)")
    if "jax" in selected:
        import jax
        versions.append(f"jax {jax.__version__}")
    print(f"{os.cpu_count()} CPUs ({platform.machine()}); " + ", ".join(versions))
    print(f"scale {args.scale:g}, median of {args.repeat} runs after a warm-up; compile s = "
          f"first call - median")
    for engine, why in skipped.items():
        print(f"skipped engine {engine}: {why}")
    print(f"roofline {roof['gbps']:.1f} GB/s: {roof['method']}")
    print("GB/s = (input arrays read once + outputs written once) / median; %roof = GB/s / "
          "roofline; x numpy and x peer: that time / this time, peer = fastest non-weldish "
          "engine that matched NumPy (>1 = faster)")
    print(f"\n{'workload':<14} {'engine':<16}{'median s':>10}{'x numpy':>9}{'x peer':>10}"
          f"{'compile s':>10}{'GB/s':>8}{'%roof':>7}  check")


def set_threads(n: int, selected):
    """One thread count for every engine that takes one (jax's is fixed at its import);
    returns a function that restores the previous counts."""
    import numba
    import weldish
    old_numba = numba.get_num_threads()
    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
    weldish_setting = weldish.config(num_threads=n)
    restore_numexpr = None
    if "numexpr" in selected:
        import numexpr
        old_numexpr = numexpr.set_num_threads(n)  # returns the previous count
        restore_numexpr = lambda: numexpr.set_num_threads(old_numexpr)  # noqa: E731

    def restore():
        numba.set_num_threads(old_numba)
        weldish_setting.__exit__(None, None, None)
        if restore_numexpr:
            restore_numexpr()
    return restore


def main(argv=None) -> int:
    known = engine_table.engines()
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--workloads", default=",".join(workloads.WORKLOADS),
                   help=f"comma-separated, from: {','.join(workloads.WORKLOADS)}")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiplies element counts (scale 1: Black-Scholes and Haversine 10M, "
                        "the sums 20M, n-body 4096 bodies, shallow water 2048^2)")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per engine")
    p.add_argument("--json", metavar="PATH", help="write the rows as a JSON list")
    p.add_argument("--engines", default=None,
                   help=f"comma-separated (default: all available), from: {','.join(known)}")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for numba, numexpr and weldish (default: all cores)")
    p.add_argument("--roofline-mb", type=float, default=256,
                   help="array size of the bandwidth measurement")
    args = p.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        p.error(f"--threads must be >= 1, got {args.threads}")
    names = [w for w in args.workloads.split(",") if w]
    unknown = [w for w in names if w not in workloads.WORKLOADS]
    if unknown:
        p.error(f"unknown workload(s) {unknown}; known: {list(workloads.WORKLOADS)}")
    requested = list(known) if args.engines is None else \
        ["numpy"] + [e for e in args.engines.split(",") if e and e != "numpy"]
    skipped = {}
    for e in requested:
        if e not in known:
            if not engine_table.is_weldish(e):
                p.error(f"unknown engine {e!r}; known: {list(known)}")
            skipped[e] = "backend not available here"
        elif known[e][1] is not None:
            skipped[e] = known[e][1]
    selected = [e for e in requested if e not in skipped]
    makers = {e: known[e][0] for e in selected}
    restore = set_threads(args.threads, selected) if args.threads else (lambda: None)
    try:
        return _run(args, names, selected, skipped, makers)
    finally:
        restore()


def _run(args, names, selected, skipped, makers) -> int:
    roof = roofline.measure(args.roofline_mb)
    header(args, selected, skipped, roof)
    all_rows, failed = [], False
    for name in names:
        rows, about = run_workload(name, selected, makers, args.scale, args.repeat,
                                   roof["gbps"])
        note = getattr(PEERS.get(name), "NOTE", "")
        print(f"-- {name}: {about}{'; ' + note if note else ''}")
        print_rows(rows)
        sys.stdout.flush()
        failed |= any(r["matches_baseline"] is False for r in rows)
        all_rows += rows
    if args.json:
        with open(args.json, "w") as f:
            json.dump(all_rows, f, indent=1)
    if failed:
        print("\nSOME ENGINE DIFFERS FROM NUMPY OR FAILED (see check)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

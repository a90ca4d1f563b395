"""GPU benchmark: Black-Scholes, Haversine and a running total at 100M elements, float64.

    python -m benchmarks.gpu [--n 100000000] [--repeat 5] [--json PATH]

Engines: NumPy on the host (the baseline and the oracle), CuPy eager (one kernel per
operation), ``cupy.fuse`` (CuPy's own fusion of the same function), and weldish's cupy
backend (``weldish.gpu.device_function``: traced once, one fused kernel, the
CuPy inputs bound without a copy). GPU times are medians of ``--repeat`` runs after a
warm-up (compilation excluded, reported apart), each ended by a device synchronize;
inputs are on the device already for the three GPU engines. The running total
(``cumsum`` of a fused expression) runs weldish's parallel scan (``backends/cupy/scan.py``);
``cupy.fuse`` has no scans (reported as failed). Skips (exit 0, a message) without CuPy or
a GPU.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy

from weldish import backends, workloads


def black_scholes(xp, price, strike, t, vol):
    return workloads.black_scholes(xp, price, strike, t, 0.02, vol)


def haversine(xp, lat1, lon1):
    return workloads.haversine(xp, lat1, lon1, 40.6413, -73.7781)


def running_total(xp, x):
    return xp.cumsum(x * 2 + 1)


def _inputs(name, n):
    if name == "running_total":
        return [numpy.random.default_rng(0).random(n)]
    if name == "black_scholes":
        d = workloads.black_scholes_inputs(n)
        return [d["price"], d["strike"], d["t"], d["vol"]]
    d = workloads.haversine_inputs(n)
    return [d["lat1"], d["lon1"]]


WORKLOADS = {"black_scholes": black_scholes, "haversine": haversine,
             "running_total": running_total}


def _timed(fn, args, repeat, sync):
    t0 = time.perf_counter()
    out = fn(*args)
    sync()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        sync()
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    return out, median, max(first - median, 0.0)


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--json", default=None)
    a = p.parse_args(argv)
    gpu = backends.BACKENDS["cupy"]
    if not gpu.available():
        print(f"benchmarks.gpu: skipped ({gpu.missing()})")
        return 0
    import cupy

    from weldish.gpu import device_function

    sync = cupy.cuda.Device().synchronize
    rows, status = [], 0
    for name, fn in WORKLOADS.items():
        host = _inputs(name, a.n)
        t0 = time.perf_counter()
        expected = _as_tuple(fn(numpy, *host))
        t_numpy = time.perf_counter() - t0
        dev = [cupy.asarray(h) for h in host]
        engines = {
            "cupy eager": lambda *x, f=fn: f(cupy, *x),
            "cupy.fuse": cupy.fuse(lambda *x, f=fn: f(cupy, *x)),
            "weldish[cupy]": device_function(fn),
        }
        row = {"workload": name, "n": a.n, "numpy s": t_numpy}
        for engine, run in engines.items():
            try:
                out, median, compile_s = _timed(run, dev, a.repeat, sync)
            except Exception as e:  # noqa: BLE001 - a peer that cannot run this: said
                print(f"{name}: {engine} failed: {type(e).__name__}: {e}")
                row.update({f"{engine} s": float("nan"), f"{engine} compile s": 0.0,
                            f"{engine} ok": False})
                status |= engine == "weldish[cupy]"
                continue
            ok = all(numpy.allclose(cupy.asnumpy(o), e, rtol=1e-9, atol=1e-9 * abs(e).max())
                     for o, e in zip(_as_tuple(out), expected))
            status |= not ok
            row[f"{engine} s"] = median
            row[f"{engine} compile s"] = compile_s
            row[f"{engine} ok"] = ok
            del out
        row["vs eager"] = row["cupy eager s"] / row["weldish[cupy] s"]
        row["vs fuse"] = row["cupy.fuse s"] / row["weldish[cupy] s"]
        rows.append(row)
        print(f"{name:14s} n={a.n:,}  numpy {t_numpy * 1e3:9.1f} ms  " + "  ".join(
            f"{e} {row[f'{e} s'] * 1e3:8.2f} ms{'' if row[f'{e} ok'] else ' (WRONG)'}"
            for e in engines) + f"  weldish: {row['vs eager']:.2f}x eager, "
            f"{row['vs fuse']:.2f}x fuse")
        del dev
        cupy.get_default_memory_pool().free_all_blocks()
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"device": cupy.cuda.runtime.getDeviceProperties(0)["name"].decode(),
                       "rows": rows}, f, indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())

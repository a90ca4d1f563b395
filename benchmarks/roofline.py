"""Measured read bandwidth: the roofline for the runner's GB/s column.

Two measurements over one float64 array (256 MB by default): NumPy's ``add.reduce`` (one
thread, SIMD, one stream) and a numba ``prange`` sum over the array as four rows read side by
side (all numba threads; fastmath, so the reduction vectorizes and is bound by memory, not by
add latency). Several streams matter: one core reading four arrays at once gets ~1.4x the
bandwidth of one stream, and most workloads read three or four arrays. The roofline is the
largest median, the numba sum measured with one thread and with all of them (a machine
shared with other work can make the all-threads sum slower than one thread).
"""
from __future__ import annotations

import numba
import numpy
from numba import prange

from weldish.cli import median_seconds


@numba.njit(parallel=True, fastmath=True)
def _sum_four_streams(a):
    s = 0.0
    for i in prange(a.shape[1]):
        s += (a[0, i] + a[1, i]) + (a[2, i] + a[3, i])
    return s


def measure(megabytes: float = 256, repeat: int = 7) -> dict:
    a = numpy.ones(max(int(megabytes * 2**20) // 32, 1) * 4)
    rows = a.reshape(4, -1)
    _sum_four_streams(rows)  # compile
    t_np = median_seconds(lambda: numpy.add.reduce(a), repeat, warmup=True)
    threads = numba.get_num_threads()
    numba_gbps = {}
    try:
        for n in sorted({1, threads}):
            numba.set_num_threads(n)
            t = median_seconds(lambda: _sum_four_streams(rows), repeat, warmup=True)
            numba_gbps[n] = a.nbytes / t / 1e9
    finally:
        numba.set_num_threads(threads)
    np_gbps = a.nbytes / t_np / 1e9
    numba_text = ", ".join(f"{g:.1f} GB/s with {n} thread{'s' * (n > 1)}"
                           for n, g in numba_gbps.items())
    return dict(gbps=max(np_gbps, *numba_gbps.values()), numpy_gbps=np_gbps,
                numba_gbps=numba_gbps, megabytes=a.nbytes / 2**20,
                method=(f"read bandwidth of {a.nbytes / 2**20:.0f} MB float64, median of "
                        f"{repeat} sums: max of numpy.add.reduce (1 stream, 1 thread) "
                        f"{np_gbps:.1f} GB/s and a numba prange sum of 4 rows read side by "
                        f"side {numba_text}"))

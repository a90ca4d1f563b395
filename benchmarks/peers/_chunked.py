"""Shared Numba scaffolding of the hand-written peers."""
from __future__ import annotations

import numba
import numpy
from numba import prange

CHUNKS = 256  # fixed, so a sum does not depend on the thread count


def chunked_sum(term):
    """A parallel ``sum(term(i, *arrays) for i)``: CHUNKS fixed chunks over prange, each
    with four independent accumulators (the unrolling a compiler may not do for floats
    without fastmath), combined in chunk order."""
    @numba.njit(parallel=True, fastmath=False)
    def total(*arrays):
        n = arrays[0].size
        nchunks = max(min(n // 4, CHUNKS), 1)
        part = numpy.zeros(nchunks)
        for k in prange(nchunks):
            lo, hi = k * n // nchunks, (k + 1) * n // nchunks
            s0 = s1 = s2 = s3 = 0.0
            i = lo
            while i + 4 <= hi:
                s0 += term(i, *arrays)
                s1 += term(i + 1, *arrays)
                s2 += term(i + 2, *arrays)
                s3 += term(i + 3, *arrays)
                i += 4
            while i < hi:
                s0 += term(i, *arrays)
                i += 1
            part[k] = (s0 + s1) + (s2 + s3)
        return part.sum()
    return total


@numba.njit(inline="always")
def periodic(i, n):
    """The neighbours of index ``i`` on a periodic axis of length ``n``: (i + 1, i - 1)."""
    return (i + 1 if i + 1 < n else 0), (i - 1 if i > 0 else n - 1)

"""``sum((a - b)**2 * c)`` (``workloads.sqdiff_sum``): numexpr and numba versions."""
from __future__ import annotations

import numba
import numpy
from numba import prange

CHUNKS = 256  # fixed, so the sum does not depend on the thread count


def with_numexpr(ne, a, b, c):
    return (ne.evaluate("sum((a - b) ** 2 * c)"),)


@numba.njit(parallel=True, fastmath=False)
def _sqdiff_sum(a, b, c):
    n = a.size
    nchunks = max(min(n // 4, CHUNKS), 1)
    part = numpy.zeros(nchunks)
    for k in prange(nchunks):
        lo, hi = k * n // nchunks, (k + 1) * n // nchunks
        s0 = s1 = s2 = s3 = 0.0  # independent accumulators (no reassociation without fastmath)
        i = lo
        while i + 4 <= hi:
            d0 = a[i] - b[i]
            d1 = a[i + 1] - b[i + 1]
            d2 = a[i + 2] - b[i + 2]
            d3 = a[i + 3] - b[i + 3]
            s0 += d0 * d0 * c[i]
            s1 += d1 * d1 * c[i + 1]
            s2 += d2 * d2 * c[i + 2]
            s3 += d3 * d3 * c[i + 3]
            i += 4
        while i < hi:
            d0 = a[i] - b[i]
            s0 += d0 * d0 * c[i]
            i += 1
        part[k] = (s0 + s1) + (s2 + s3)
    return part.sum()


def with_numba(a, b, c):
    return (_sqdiff_sum(a, b, c),)


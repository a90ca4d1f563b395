"""``sum(exp(a) * b)`` (``workloads.exp_dot``): numexpr and numba versions."""
from __future__ import annotations

import math

import numba
import numpy
from numba import prange

CHUNKS = 256  # fixed, so the sum does not depend on the thread count


def with_numexpr(ne, a, b):
    return (ne.evaluate("sum(exp(a) * b)"),)


@numba.njit(parallel=True, fastmath=False)
def _exp_dot(a, b):
    n = a.size
    nchunks = max(min(n // 4, CHUNKS), 1)
    part = numpy.zeros(nchunks)
    for k in prange(nchunks):
        lo, hi = k * n // nchunks, (k + 1) * n // nchunks
        s0 = s1 = s2 = s3 = 0.0  # independent accumulators (no reassociation without fastmath)
        i = lo
        while i + 4 <= hi:
            s0 += math.exp(a[i]) * b[i]
            s1 += math.exp(a[i + 1]) * b[i + 1]
            s2 += math.exp(a[i + 2]) * b[i + 2]
            s3 += math.exp(a[i + 3]) * b[i + 3]
            i += 4
        while i < hi:
            s0 += math.exp(a[i]) * b[i]
            i += 1
        part[k] = (s0 + s1) + (s2 + s3)
    return part.sum()


def with_numba(a, b):
    return (_exp_dot(a, b),)

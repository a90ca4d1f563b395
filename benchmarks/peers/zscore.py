"""Column z-scores then per-row norm and max (``workloads.zscore_stats``): numba version."""
from __future__ import annotations

import math

import numba
import numpy
from numba import prange

from ._chunked import CHUNKS

NUMEXPR_NA = "reductions over an axis (column mean/std, row sum/max)"


@numba.njit(parallel=True, fastmath=False)
def _zscore(x, norm, amax):
    rows, cols = x.shape
    nchunks = min(rows, CHUNKS)
    part = numpy.zeros((nchunks, cols))
    for c in prange(nchunks):
        for i in range(c * rows // nchunks, (c + 1) * rows // nchunks):
            for j in range(cols):
                part[c, j] += x[i, j]
    mean = part.sum(axis=0) / rows
    part[:] = 0.0
    for c in prange(nchunks):  # two passes, as NumPy's std: mean of squared deviations
        for i in range(c * rows // nchunks, (c + 1) * rows // nchunks):
            for j in range(cols):
                d = x[i, j] - mean[j]
                part[c, j] += d * d
    std = numpy.sqrt(part.sum(axis=0) / rows)
    for i in prange(rows):
        s = 0.0
        m = -numpy.inf
        for j in range(cols):
            z = (x[i, j] - mean[j]) / std[j]
            s += z * z
            az = abs(z)
            if az > m or math.isnan(az):  # NaN propagates, as NumPy's max
                m = az
        norm[i] = math.sqrt(s)
        amax[i] = m


def with_numba(x):
    norm, amax = numpy.empty(x.shape[0]), numpy.empty(x.shape[0])
    _zscore(numpy.ascontiguousarray(x), norm, amax)
    return norm, amax

"""N-body accelerations (``workloads.nbody_accel``): numba version (two nested loops)."""
from __future__ import annotations

import math

import numba
import numpy
from numba import prange

NUMEXPR_NA = "sum over an axis of an N x N broadcast"
NOTE = "compute-bound: N^2 interactions on N-element arrays, so GB/s is not the measure here"


@numba.njit(parallel=True, fastmath=False)
def _nbody(x, y, z, m, eps2, g, ax, ay, az):
    n = x.size
    for i in prange(n):
        sx = sy = sz = 0.0
        for j in range(n):
            dx = x[i] - x[j]
            dy = y[i] - y[j]
            dz = z[i] - z[j]
            r2 = dx * dx + dy * dy + dz * dz + eps2
            w = m[j] / (r2 * math.sqrt(r2))
            sx += dx * w
            sy += dy * w
            sz += dz * w
        ax[i] = -g * sx
        ay[i] = -g * sy
        az[i] = -g * sz


def with_numba(x, y, z, m, eps2, g):
    ax, ay, az = (numpy.empty_like(x) for _ in range(3))
    _nbody(x, y, z, m, float(eps2), float(g), ax, ay, az)
    return ax, ay, az

"""Haversine distance to one point (``workloads.haversine``): numexpr and numba versions."""
from __future__ import annotations

import math

import numba
import numpy
from numba import prange

DEG = numpy.pi / 180.0  # numpy.radians(x) is x * (pi / 180)


def with_numexpr(ne, lat1, lon1, lat2, lon2):
    """Arrays lat1/lon1, scalar lat2/lon2 (one destination)."""
    return (ne.evaluate(
        "6371.0 * 2 * arcsin(sqrt(sin((la2 - lat1 * deg) / 2) ** 2 + "
        "cos(lat1 * deg) * cos(la2) * sin((lo2 - lon1 * deg) / 2) ** 2))",
        local_dict={"lat1": lat1, "lon1": lon1, "deg": DEG,
                    "la2": lat2 * DEG, "lo2": lon2 * DEG}),)


@numba.njit(parallel=True, fastmath=False)
def _haversine(lat1, lon1, la2, lo2, out):
    cos2 = math.cos(la2)
    for i in prange(lat1.size):
        la1 = lat1[i] * DEG
        lo1 = lon1[i] * DEG
        s1 = math.sin((la2 - la1) / 2)
        s2 = math.sin((lo2 - lo1) / 2)
        a = s1 * s1 + math.cos(la1) * cos2 * (s2 * s2)
        out[i] = 6371.0 * 2 * math.asin(math.sqrt(a))


def with_numba(lat1, lon1, lat2, lon2):
    out = numpy.empty_like(lat1)
    _haversine(lat1, lon1, float(lat2) * DEG, float(lon2) * DEG, out)
    return (out,)

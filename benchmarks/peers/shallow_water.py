"""Shallow-water steps (``workloads.shallow_water``): numexpr (NumPy rolls + numexpr
arithmetic, as a numexpr user would write it) and numba (periodic stencil loops)."""
from __future__ import annotations

import numba
import numpy
from numba import prange

from ._chunked import periodic


def with_numexpr(ne, h, u, v, steps, dt, dx, g, depth):
    c = dt / (2 * dx)
    cg, cd = c * g, c * depth
    roll = numpy.roll
    for _ in range(steps):
        e, w, n, s = roll(h, -1, 1), roll(h, 1, 1), roll(h, -1, 0), roll(h, 1, 0)
        u = ne.evaluate("u - cg * (e - w)")
        v = ne.evaluate("v - cg * (n - s)")
        ue, uw, vn, vs = roll(u, -1, 1), roll(u, 1, 1), roll(v, -1, 0), roll(v, 1, 0)
        h = ne.evaluate("h - cd * ((ue - uw) + (vn - vs))")
    return h, u, v


@numba.njit(parallel=True, fastmath=False)
def _velocities(h, u, v, cg, un, vn):
    ny, nx = h.shape
    for i in prange(ny):
        ip, im = periodic(i, ny)
        for j in range(nx):
            jp, jm = periodic(j, nx)
            un[i, j] = u[i, j] - cg * (h[i, jp] - h[i, jm])
            vn[i, j] = v[i, j] - cg * (h[ip, j] - h[im, j])


@numba.njit(parallel=True, fastmath=False)
def _height(h, u, v, cd, hn):
    ny, nx = h.shape
    for i in prange(ny):
        ip, im = periodic(i, ny)
        for j in range(nx):
            jp, jm = periodic(j, nx)
            hn[i, j] = h[i, j] - cd * ((u[i, jp] - u[i, jm]) + (v[ip, j] - v[im, j]))


def with_numba(h, u, v, steps, dt, dx, g, depth):
    c = dt / (2 * dx)
    cg, cd = c * g, c * depth
    h, u, v = (numpy.ascontiguousarray(a) for a in (h, u, v))
    for _ in range(steps):
        un, vn, hn = numpy.empty_like(u), numpy.empty_like(v), numpy.empty_like(h)
        _velocities(h, u, v, cg, un, vn)
        _height(h, un, vn, cd, hn)
        h, u, v = hn, un, vn
    return h, u, v

"""``sum(exp(a) * b)`` (``workloads.exp_dot``): numexpr and numba versions."""
from __future__ import annotations

import math

import numba

from ._chunked import chunked_sum


def with_numexpr(ne, a, b):
    return (ne.evaluate("sum(exp(a) * b)"),)


@numba.njit
def _term(i, a, b):
    return math.exp(a[i]) * b[i]


_exp_dot = chunked_sum(_term)


def with_numba(a, b):
    return (_exp_dot(a, b),)

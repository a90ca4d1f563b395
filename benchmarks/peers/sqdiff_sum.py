"""``sum((a - b)**2 * c)`` (``workloads.sqdiff_sum``): numexpr and numba versions."""
from __future__ import annotations

import numba

from ._chunked import chunked_sum


def with_numexpr(ne, a, b, c):
    return (ne.evaluate("sum((a - b) ** 2 * c)"),)


@numba.njit
def _term(i, a, b, c):
    d = a[i] - b[i]
    return d * d * c[i]


_sqdiff_sum = chunked_sum(_term)


def with_numba(a, b, c):
    return (_sqdiff_sum(a, b, c),)


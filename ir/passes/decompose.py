"""Rewrite ops into the ops that define them, before fusion (the OPS table's
``decompose`` column).

``mean`` becomes a sum and a division, ``var`` a sum, a broadcast subtraction, a sum of
squares and a division, ``round`` a multiply/rint/divide, ``nansum`` a where and a sum:
ops every backend lowers, which then fuse with their neighbours. A decomposition is
NumPy's own algorithm with NumPy's dtypes, so the interpreter's values do not change; a
backend whose sums run in another order differs only by that rounding. Where NumPy does
something the steps cannot (a warning for an empty or all-NaN slice), the decomposition
declines and the op stays whole.
"""
from __future__ import annotations

from ..ops import OPS
from ..pattern import P, rewrite

DECOMPOSABLE = tuple(op for op, d in OPS.items() if d.decompose is not None)


def _decompose(node):
    out = OPS[node.op].decompose(node)
    if out is None or out.dtype != node.dtype or out.shape != node.shape:
        return None  # never change what the node is (a table bug must not reach users)
    return out


RULES = [(P(*DECOMPOSABLE), _decompose)]


def decompose(roots):
    return rewrite(roots, RULES)

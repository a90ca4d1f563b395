"""Whole-graph passes, each a pure function ``list[Node] -> list[Node]``, run in order.

Later issues add decompose, pushdown, fuse and split to ``PIPELINE``.
"""
from .simplify import simplify

PIPELINE = (simplify,)


def optimize(roots, passes=PIPELINE):
    roots = list(roots)
    for p in passes:
        roots = p(roots)
    return roots


__all__ = ["PIPELINE", "optimize", "simplify"]

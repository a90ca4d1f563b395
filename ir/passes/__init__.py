"""Whole-graph passes, each a pure function ``list[Node] -> list[Node]``, run in order.

Later issues add pushdown and split to ``PIPELINE`` (fuse runs in the backend's plan).
"""
from .decompose import decompose
from .masks import push_into_compactions
from .simplify import simplify

PIPELINE = (simplify, decompose, push_into_compactions)


def optimize(roots, passes=PIPELINE):
    roots = list(roots)
    for p in passes:
        roots = p(roots)
    return roots


__all__ = ["PIPELINE", "decompose", "optimize", "push_into_compactions", "simplify"]

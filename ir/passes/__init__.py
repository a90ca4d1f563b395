"""Whole-graph passes, each a pure function ``list[Node] -> list[Node]``, run in order.

Later issues add pushdown and split to ``PIPELINE`` (fuse runs in the backend's plan).
"""
from .decompose import decompose
from .masks import push_into_compactions
from .matmul import small_matmuls
from .simplify import simplify

PIPELINE = (simplify, decompose, push_into_compactions)
# backends that compile fused loops add this (``Backend.passes``): small products in the loop
COMPILED = PIPELINE + (small_matmuls,)


def optimize(roots, passes=PIPELINE):
    roots = list(roots)
    for p in passes:
        roots = p(roots)
    return roots


def for_backend(backend) -> tuple:
    """The passes a backend asks for (its ``passes`` attribute), else ``PIPELINE``."""
    return getattr(backend, "passes", PIPELINE)


__all__ = ["COMPILED", "PIPELINE", "decompose", "for_backend", "optimize",
           "push_into_compactions", "simplify", "small_matmuls"]

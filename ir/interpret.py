"""The oracle: evaluate a graph by calling each op's NumPy function from the OPS table.

It is also the fallback every backend can hand a node to. Each node is computed once per
call even when several outputs share it.
"""
from __future__ import annotations

import numpy as np

from .node import Node, toposort
from .ops import OPS


def interpret(roots, memo: dict | None = None) -> list:
    """Values of ``roots`` (in order). ``memo`` maps node -> value and is filled in."""
    memo = {} if memo is None else memo
    for node in toposort(roots):
        if node in memo:
            continue
        d = OPS[node.op]
        memo[node] = d.fn(*(memo[s] for s in node.src), **dict(node.arg or ()))
    return [as_array(memo[r], r) for r in roots]


def as_array(value, node: Node) -> np.ndarray:
    """NumPy ufuncs return scalars for 0-d inputs; the graph's values are arrays."""
    if isinstance(value, np.ndarray) and value.dtype == node.dtype:
        return value
    return np.asarray(value, dtype=node.dtype)

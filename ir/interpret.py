"""The oracle: evaluate a graph by calling each op's NumPy function from the OPS table.

It is also the fallback every backend can hand a node to. Each node is computed once per
call even when several outputs share it, and an intermediate is released as soon as its
last consumer has run (as eager NumPy would free it), so peak memory stays close to
NumPy's.
"""
from __future__ import annotations

import numpy as np

from .node import Node, toposort
from .ops import OPS


def interpret(roots, memo: dict | None = None) -> list:
    """Values of ``roots`` (in order). ``memo`` maps node -> value, pre-filled or empty."""
    memo = {} if memo is None else memo
    order = toposort(roots)
    keep = set(roots) | set(memo)
    uses: dict = {}
    for node in order:
        for s in node.src:
            uses[s] = uses.get(s, 0) + 1
    for node in order:
        if node not in memo:
            memo[node] = OPS[node.op].fn(*(memo[s] for s in node.src), **dict(node.arg or ()))
        for s in node.src:
            uses[s] -= 1
            if uses[s] == 0 and s not in keep:
                del memo[s]
    return [as_array(memo[r], r) for r in roots]


def as_array(value, node: Node) -> np.ndarray:
    """NumPy ufuncs return scalars for 0-d inputs; the graph's values are arrays."""
    if isinstance(value, np.ndarray) and value.dtype == node.dtype:
        return value
    return np.asarray(value, dtype=node.dtype)

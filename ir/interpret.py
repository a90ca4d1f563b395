"""The oracle: evaluate a graph by calling each op's NumPy function from the OPS table.

It is also the fallback every backend can hand a node to. Each node is computed once per
call even when several outputs share it, and an intermediate is released as soon as its
last consumer has run (as eager NumPy would free it), so peak memory stays close to
NumPy's.
"""
from __future__ import annotations

import numpy as np

from .node import Node, toposort
from .ops import OPS, Op, call


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
            d = OPS[node.op]
            values = [memo[s] for s in node.src]
            kwargs = dict(node.arg or ())
            if isinstance(d.fn, np.ufunc):
                out = _reusable(node, values, uses, keep)
                if out is not None:
                    kwargs["out"] = out
            memo[node] = d.fn(*values, **kwargs)
        for s in node.src:
            uses[s] -= 1
            if uses[s] == 0 and s not in keep:
                del memo[s]
    return [as_array(memo[r], r) for r in roots]


def evaluate_node(node: Node, memo: dict):
    """One node from its sources' values in ``memo`` (for backends' non-fused steps);
    scalar constants need not be in ``memo``."""
    values = [memo[s] if s in memo or s.op is not Op.CONST else call(Op.CONST, (), s.arg)
              for s in node.src]
    return call(node.op, values, node.arg)


def _reusable(node, values, uses, keep):
    """A source buffer this elementwise op may overwrite: its last use, same dtype and
    shape, owned by the interpreter (never an input's data or a view). Eager NumPy does
    the same for temporaries ("temporary elision"): fewer fresh pages to touch."""
    for s, v in zip(node.src, values):
        if (s not in keep and s.op is not Op.INPUT and uses[s] == node.src.count(s)
                and isinstance(v, np.ndarray) and v.base is None and v.flags.writeable
                and v.dtype == node.dtype and v.shape == node.shape):
            return v
    return None


def as_array(value, node: Node) -> np.ndarray:
    """NumPy ufuncs return scalars for 0-d inputs; the graph's values are arrays."""
    if isinstance(value, np.ndarray) and value.dtype == node.dtype:
        return value
    return np.asarray(value, dtype=node.dtype)

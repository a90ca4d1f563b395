"""Elementwise arithmetic on compacted arrays runs before the compaction.

``f(x[m], y[m], 2.0)`` is ``f(x, y, 2.0)[m]``: an elementwise op of the selected elements
is the selection of the op's elements. Rewritten that way, a backend computes ``f`` in the
compaction's own loop, one pass reading ``x``, ``y`` and the mask and writing only the
selected values (the LLVM backend computes ``f`` only where the mask is true).

Done only when every source that is not a scalar is a compaction by the same mask node of
an array of the same shape; anything else (two masks, a compacted array with an array of
its own length) keeps its order.
"""
from __future__ import annotations

from .. import build
from ..ops import ELEMENTWISE, Op
from ..pattern import P, rewrite


def _reads_a_compaction(node) -> bool:
    return any(s.op is Op.COMPRESS for s in node.src)


def push_elementwise_into_compaction(node):
    first = next(s for s in node.src if s.op is Op.COMPRESS)
    mask, shape = first.src[1], first.src[0].shape
    inner = []
    for s in node.src:
        if s.op is Op.COMPRESS and s.src[1] is mask and s.src[0].shape == shape:
            inner.append(s.src[0])
        elif s.ndim == 0:
            inner.append(s)       # a scalar broadcasts the same before and after
        else:
            return None
    pushed = build.elementwise(node.op, *inner, arg=node.arg)
    out = build.compress(pushed, mask, node.shape[0])
    return out if (out.dtype, out.shape) == (node.dtype, node.shape) else None


RULES = [(P(*ELEMENTWISE, where=_reads_a_compaction), push_elementwise_into_compaction)]


def push_into_compactions(roots):
    return rewrite(roots, RULES)

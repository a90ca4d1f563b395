"""Lazy matmul/dot/outer; everything else in numpy.linalg runs in NumPy (recorded)."""
from __future__ import annotations

import numpy as np

from ..ir import build
from ..ir.ops import Op
from ..lazy import LazyArray, Unsupported, to_node
from ._api import implements, require_default


def _matmul(x1, x2, /, out=None, **kwargs):
    require_default(out=out)
    if kwargs:
        raise Unsupported("matmul keywords")
    return LazyArray(build.matmul(to_node(x1), to_node(x2)))


matmul = implements(np.matmul)(_matmul)


@implements(np.dot)
def dot(a, b, out=None):
    require_default(out=out)
    return LazyArray(build.dot(to_node(a), to_node(b)))


@implements(np.outer)
def outer(a, b, out=None):
    require_default(out=out)
    a, b = to_node(a), to_node(b)
    a = build.reshape(a, (a.size, 1))
    b = build.reshape(b, (1, b.size))
    return LazyArray(build.elementwise(Op.MULTIPLY, a, b))

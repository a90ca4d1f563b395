"""Constant folding and algebraic simplification (only rewrites exact under IEEE and NumPy).

``x + 0.0`` is *not* rewritten for floats (``-0.0 + 0.0`` is ``+0.0``); ``x - 0``, ``x * 1``,
``x / 1``, ``x ** 1`` are exact for every dtype and are, as long as the result keeps the
node's dtype and shape (``int8_array * 1.0`` is float64: not a no-op).
"""
from __future__ import annotations

import numpy as np

from .. import build
from ..ops import OPS, Op
from ..pattern import P, rewrite


def _keep(node, x):
    """``x`` as the replacement of ``node`` only if nothing observable changes."""
    return x if x.dtype == node.dtype and x.shape == node.shape else None


def _is(value):
    def pred(node):
        return node.op is Op.CONST and build.const_value(node) == value
    return pred


def _int_dtype(node):
    return node.dtype.kind in "biu"


def fold_constants(node):
    if OPS[node.op].kind != "elementwise" or not node.src:
        return None
    if not all(s.op is Op.CONST for s in node.src):
        return None
    with np.errstate(all="ignore"):
        value = OPS[node.op].fn(*map(build.const_value, node.src), **dict(node.arg or ()))
    return build.const(np.asarray(value, dtype=node.dtype)[()], dtype=node.dtype)


def identity(node, x):
    return _keep(node, x)


def _positive_zero(node):
    # x - 0.0 is exact, x - (-0.0) is not (-0.0 - -0.0 == +0.0)
    return _is(0)(node) and not np.signbit(build.const_value(node))


ONE, ZERO = _is(1), _positive_zero
RULES = [
    (P(), fold_constants),
    # x * 1, 1 * x, x / 1, x ** 1, x - 0
    (P(Op.MULTIPLY, src=(P(name="x"), P(where=ONE))), identity),
    (P(Op.MULTIPLY, src=(P(where=ONE), P(name="x"))), identity),
    (P(Op.FLOOR_DIVIDE, src=(P(name="x", where=_int_dtype), P(where=ONE))), identity),
    (P(Op.DIVIDE, src=(P(name="x"), P(where=ONE))), identity),
    (P(Op.POWER, src=(P(name="x"), P(where=ONE))), identity),
    (P(Op.SUBTRACT, src=(P(name="x"), P(where=ZERO))), identity),
    # x + 0 only for integers (see module docstring)
    (P(Op.ADD, src=(P(name="x", where=_int_dtype), P(where=ZERO))), identity),
    (P(Op.ADD, src=(P(where=ZERO), P(name="x", where=_int_dtype))), identity),
    # involutions
    (P(Op.NEGATIVE, src=(P(Op.NEGATIVE, src=(P(name="x"),)),)), identity),
    (P(Op.INVERT, src=(P(Op.INVERT, src=(P(name="x"),)),)), identity),
    (P(Op.LOGICAL_NOT, src=(P(Op.LOGICAL_NOT, src=(P(name="x"),)),)), identity),
    (P(Op.POSITIVE, src=(P(name="x"),)), identity),
    (P(Op.ASTYPE, src=(P(name="x"),)), identity),  # a cast to the same dtype
]


def simplify(roots):
    return rewrite(roots, RULES)

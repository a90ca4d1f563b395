"""Small matrix products computed inside fused loops (a pass for compiling backends).

``x @ w`` with a small inner dimension K (<= ``MAX_INNER``) and a small right operand
(a weight vector or a thin matrix) becomes K multiply-adds of columns of ``x``:

    (x @ w)[..., i, j] = x[..., i, 0] * w[0, j] + ... + x[..., i, K-1] * w[K-1, j]

so the bias, activation, threshold and count after it fuse with it into one loop, and
``x`` is read once, in place, instead of being written out by BLAS and read back. Column
``k`` of ``x`` is taken where it is made: through elementwise ops, broadcasts, reshapes
that add a trailing 1 and concatenations along the last axis (a DataFrame's columns
stacked by ``to_numpy()``), down to a strided view of an input. Products of larger
operands stay one ``matmul`` node (NumPy's BLAS).

Values: the same products, summed in order k = 0..K-1; BLAS sums in its own order (and
may use FMA), so float results agree to rounding, not bit for bit. That is why this pass
is not part of ``decompose`` (whose rewrites keep the interpreter's values identical): a
backend that compiles loops opts in (``Backend.passes``).
"""
from __future__ import annotations

import numpy as np

from .. import build
from ..ops import OPS, Op
from ..pattern import P, rewrite

MAX_INNER = 64      # K: the number of multiply-adds per output element
MAX_WEIGHTS = 1024  # K * m: the right operand's size (its values are read per element)
MAX_NODES = 512     # new nodes one product may add: bounds the fused loop (LLVM compile
                    # time grows with it: a dense(16) -> dense(1) network is ~420, ~1 s)
_DTYPES = frozenset(map(np.dtype, ("float32", "float64", "int32", "int64")))


class _TooBig(Exception):
    pass


def _small(node) -> bool:
    a, b = node.src
    if node.dtype not in _DTYPES or a.dtype not in _DTYPES or b.dtype not in _DTYPES:
        return False
    if a.ndim < 2 or b.ndim not in (1, 2) or (node.op is Op.DOT and a.ndim != 2):
        return False
    return b.shape[0] <= MAX_INNER and b.size <= MAX_WEIGHTS and 0 < b.shape[0]


class _Columns:
    """Column ``k`` of a node (its last axis indexed), built where the column is made."""

    def __init__(self):
        self.memo, self.budget = {}, MAX_NODES

    def __call__(self, x, k: int, keep: bool):
        """``x[..., k]`` (``keep``: ``x[..., k:k+1]``)."""
        key = (x, k, keep)
        out = self.memo.get(key)
        if out is None:
            self.budget -= 1
            if self.budget < 0:
                raise _TooBig
            out = self.memo[key] = self._column(x, k, keep)
        return out

    def expand(self, x):
        """``x`` with a trailing axis of 1, the axis added where ``x`` is computed (a
        reshape of a computed value would be a loop boundary)."""
        key = (x, "expand")
        out = self.memo.get(key)
        if out is None:
            self.budget -= 1
            if self.budget < 0:
                raise _TooBig
            if OPS[x.op].kind == "elementwise" and x.src:
                out = build.elementwise(x.op, *[s if s.ndim == 0 else self.expand(s)
                                                for s in x.src], arg=x.arg)
            else:
                out = build.reshape(x, x.shape + (1,))
            self.memo[key] = out
        return out

    def _column(self, x, k, keep):
        d = OPS[x.op]
        last = x.ndim - 1
        if d.kind == "elementwise" and x.src:
            cols = [s if s.ndim == 0 else self(s, 0 if s.shape[-1] == 1 else k, keep)
                    for s in x.src]
            out = build.elementwise(x.op, *cols, arg=x.arg)
            return out if out.dtype == x.dtype else build.astype(out, x.dtype)
        if x.op is Op.RESHAPE and x.shape == x.src[0].shape + (1,):
            s = x.src[0]
            return self.expand(s) if keep else s
        if x.op is Op.CONCATENATE and dict(x.arg)["axis"] == last:
            start = 0
            for s in x.src:
                if k < start + s.shape[-1]:
                    out = self(s, k - start, keep)
                    return out if out.dtype == x.dtype else build.astype(out, x.dtype)
                start += s.shape[-1]
        if x.op is Op.BROADCAST_TO and x.src[0].ndim:
            s = x.src[0]
            col = self(s, 0 if s.shape[-1] == 1 else k, keep)
            shape = x.shape[:-1] + ((1,) if keep else ())
            return build.broadcast_to(col, shape)
        if x.op is Op.GETITEM and not keep:   # a column we took with keep: index it
            key = dict(x.arg)["key"]
            if len(key) == 2 and key[0] is Ellipsis and isinstance(key[1], slice) and \
                    key[1].step is None and key[1].stop == key[1].start + 1:
                return build.getitem(x.src[0], (Ellipsis, key[1].start + k))
        index = slice(k, k + 1) if keep else k
        return build.getitem(x, (Ellipsis, index))


def _rows(b, k):
    """Row ``k`` of the right operand: a scalar (w[k]) or a vector (w[k, :])."""
    return build.getitem(b, (k,))


def small_matmul(node):
    """The product as multiply-adds of columns, or None (left to BLAS)."""
    if not _small(node):
        return None
    a, b = node.src
    columns = _Columns()
    keep = b.ndim == 2
    try:
        total = None
        for k in range(b.shape[0]):
            term = build.elementwise(Op.MULTIPLY, columns(a, k, keep), _rows(b, k))
            total = term if total is None else build.elementwise(Op.ADD, total, term)
    except _TooBig:
        return None
    if total.dtype != node.dtype:
        total = build.astype(total, node.dtype)
    if total.shape != node.shape:
        return None   # (batch broadcasting the loop form does not reproduce)
    return total


RULES = [(P(Op.MATMUL, Op.DOT), small_matmul)]


def small_matmuls(roots):
    """Rewrite every small matrix product below ``roots`` into fused multiply-adds."""
    return rewrite(roots, RULES)

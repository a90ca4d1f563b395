"""Lazy reductions and scans with NumPy's signatures (axis, dtype, keepdims, ddof).

``out=``, ``initial=``, ``where=`` and other rarely used arguments run the real function.
"""
from __future__ import annotations

import numpy as np

from ..ir import build
from ..ir.ops import Op
from ..lazy import LazyArray, to_node
from ._api import NoValue, implements, require_default


def _reduce(op, a, axis, keepdims, **extra):
    if keepdims is NoValue:
        keepdims = False
    return LazyArray(build.reduce(op, to_node(a), axis=axis, keepdims=keepdims, **extra))


@implements(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=NoValue, where=NoValue):
    require_default(out=out, initial=initial, where=where)
    return _reduce(Op.SUM, a, axis, keepdims, dtype=dtype)


@implements(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=NoValue, where=NoValue):
    require_default(out=out, initial=initial, where=where)
    return _reduce(Op.PROD, a, axis, keepdims, dtype=dtype)


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=NoValue, initial=NoValue,
           where=NoValue):
    require_default(out=out, initial=initial, where=where)
    return _reduce(Op.NANSUM, a, axis, keepdims, dtype=dtype)


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=NoValue, initial=NoValue,
            where=NoValue):
    require_default(out=out, initial=initial, where=where)
    return _reduce(Op.NANPROD, a, axis, keepdims, dtype=dtype)


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=NoValue):
    require_default(out=out, where=where)
    return _reduce(Op.MEAN, a, axis, keepdims, dtype=dtype)


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=NoValue, *, where=NoValue):
    require_default(out=out, where=where)
    return _reduce(Op.NANMEAN, a, axis, keepdims, dtype=dtype)


def _moment(op):
    def impl(a, axis=None, dtype=None, out=None, ddof=0, keepdims=NoValue, *, where=NoValue,
             mean=NoValue, correction=NoValue):
        require_default(out=out, where=where, mean=mean, correction=correction)
        return _reduce(op, a, axis, keepdims, dtype=dtype, ddof=ddof)
    return impl


var = implements(np.var)(_moment(Op.VAR))
std = implements(np.std)(_moment(Op.STD))
nanvar = implements(np.nanvar)(_moment(Op.NANVAR))
nanstd = implements(np.nanstd)(_moment(Op.NANSTD))


def _extreme(op):
    def impl(a, axis=None, out=None, keepdims=NoValue, initial=NoValue, where=NoValue):
        require_default(out=out, initial=initial, where=where)
        return _reduce(op, a, axis, keepdims)
    return impl


min = implements(np.min)(_extreme(Op.MIN))
max = implements(np.max)(_extreme(Op.MAX))
amin = implements(np.amin)(_extreme(Op.MIN))
amax = implements(np.amax)(_extreme(Op.MAX))
nanmin = implements(np.nanmin)(_extreme(Op.NANMIN))
nanmax = implements(np.nanmax)(_extreme(Op.NANMAX))


def _arg(op):
    def impl(a, axis=None, out=None, *, keepdims=NoValue):
        require_default(out=out)
        return _reduce(op, a, axis, keepdims)
    return impl


argmin = implements(np.argmin)(_arg(Op.ARGMIN))
argmax = implements(np.argmax)(_arg(Op.ARGMAX))
nanargmin = implements(np.nanargmin)(_arg(Op.NANARGMIN))
nanargmax = implements(np.nanargmax)(_arg(Op.NANARGMAX))


def _logical(op):
    def impl(a, axis=None, out=None, keepdims=NoValue, *, where=NoValue):
        require_default(out=out, where=where)
        return _reduce(op, a, axis, keepdims)
    return impl


any = implements(np.any)(_logical(Op.ANY))
all = implements(np.all)(_logical(Op.ALL))


def _scan(op):
    def impl(a, axis=None, dtype=None, out=None):
        require_default(out=out)
        return LazyArray(build.scan(op, to_node(a), axis=axis, dtype=dtype))
    return impl


cumsum = implements(np.cumsum)(_scan(Op.CUMSUM))
cumprod = implements(np.cumprod)(_scan(Op.CUMPROD))
nancumsum = implements(np.nancumsum)(_scan(Op.NANCUMSUM))
nancumprod = implements(np.nancumprod)(_scan(Op.NANCUMPROD))

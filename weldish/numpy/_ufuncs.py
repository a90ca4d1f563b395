"""Lazy ufuncs: every elementwise ufunc of the OPS table, plus the ufunc protocol.

``weldish.numpy.exp`` and real ``numpy.exp(lazy)`` both land in ``apply_ufunc``. Keyword
arguments other than ``out`` (``where=``, ``dtype=``, ``casting=``...) and ufunc methods
other than ``reduce``/``accumulate`` of the common ufuncs run the real ufunc (recorded).
"""
from __future__ import annotations

import operator

import numpy as np

from .. import fallback
from ..ir import build, dtypes as dt
from ..ir.ops import UFUNC_OPS, Op
from ..lazy import LazyArray, Unsupported, to_node

# ufunc.reduce / ufunc.accumulate with a lazy equivalent
_REDUCE_AS = {np.add: "sum", np.multiply: "prod", np.minimum: "min", np.maximum: "max",
              np.logical_and: "all", np.logical_or: "any"}
_ACCUMULATE_AS = {np.add: "cumsum", np.multiply: "cumprod"}


def _lazy_call(ufunc, inputs, kwargs):
    op = UFUNC_OPS.get(ufunc)
    if op is None:
        raise Unsupported(f"ufunc {ufunc.__name__}")
    out = kwargs.pop("out", None)
    if kwargs:
        raise Unsupported(f"ufunc keyword(s) {sorted(kwargs)}")
    if len(inputs) != ufunc.nin:
        raise TypeError(f"{ufunc.__name__}() takes from {ufunc.nin} to {ufunc.nin + 1} "
                        f"positional arguments but {len(inputs)} were given")
    node = build.elementwise(op, *map(to_node, inputs))
    result = LazyArray(node)
    if out is None:
        return result
    out = out[0] if isinstance(out, tuple) and len(out) == 1 else out
    if not isinstance(out, LazyArray):
        raise Unsupported("out= is not a weldish array")
    _check_output_cast(ufunc, inputs, out)
    out._set_node(build.broadcast_to(node, out.shape) if node.shape != out.shape and
                  np.broadcast_shapes(node.shape, out.shape) == out.shape else node)
    return out


def _check_output_cast(ufunc, inputs, out):
    """NumPy's own error for ``out=``/in-place results that cannot be cast (same_kind)."""
    def mini(x):
        if dt.is_weak_scalar(x):
            return x
        return np.zeros((), x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype)
    with dt.quiet():
        ufunc(*map(mini, inputs), out=np.zeros((), dtype=out.dtype))


def apply_ufunc(ufunc, inputs, kwargs):
    try:
        return _lazy_call(ufunc, inputs, dict(kwargs))
    except Unsupported as e:
        reason = f"unsupported: {e}"
    except Exception as e:  # noqa: BLE001 - NumPy gives the result or the error
        reason = f"lazy path raised {type(e).__name__}: {e}"
    result = fallback.call(ufunc, inputs, kwargs, name=f"numpy.{ufunc.__name__}",
                           reason=reason)
    out = kwargs.get("out")
    if isinstance(out, tuple) and len(out) == 1:
        out = out[0]
    if isinstance(out, np.ndarray):
        return out  # NumPy wrote into the caller's array and returns that array
    return result


def array_ufunc(ufunc, method, inputs, kwargs):
    """``LazyArray.__array_ufunc__``: real NumPy ufuncs called on lazy arrays stay lazy."""
    from . import _reductions
    if method == "__call__":
        if ufunc is np.matmul and not kwargs:
            from ._linalg import matmul
            return matmul(*inputs)
        if ufunc is np.divmod and not kwargs:
            return divmod_(*inputs)
        return apply_ufunc(ufunc, inputs, kwargs)
    if method == "reduce" and ufunc in _REDUCE_AS and len(inputs) == 1:
        kw = dict(kwargs)
        kw.setdefault("axis", 0)
        return getattr(_reductions, _REDUCE_AS[ufunc])(inputs[0], **kw)
    if method == "accumulate" and ufunc in _ACCUMULATE_AS and len(inputs) == 1:
        kw = dict(kwargs)
        kw.setdefault("axis", 0)
        return getattr(_reductions, _ACCUMULATE_AS[ufunc])(inputs[0], **kw)
    return fallback.call(getattr(ufunc, method), inputs, kwargs,
                         name=f"numpy.{ufunc.__name__}.{method}", reason="ufunc method")


class LazyUfunc:
    """Stands for one NumPy ufunc in ``weldish.numpy`` (``wnp.add(a, b)``, ``wnp.add.reduce``)."""

    def __init__(self, ufunc: np.ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__
        self.__doc__ = ufunc.__doc__

    def __call__(self, *inputs, **kwargs):
        return apply_ufunc(self._ufunc, inputs, kwargs)

    def __getattr__(self, name):  # nin, nout, identity, types, signature, ...
        attr = getattr(self._ufunc, name)
        if name in ("reduce", "accumulate", "outer", "at", "reduceat"):
            return lambda *a, **k: array_ufunc(self._ufunc, name, a, k)
        return attr

    def __repr__(self):
        return f"<weldish ufunc '{self.__name__}'>"


UFUNCS: dict[str, LazyUfunc] = {}
for _uf in UFUNC_OPS:
    UFUNCS[_uf.__name__] = LazyUfunc(_uf)


# ufunc name -> the Python operator, whose ndarray behaviour a fallback reproduces
# (``ndarray == None`` is elementwise False, while ``np.equal(ndarray, None)`` raises).
OPERATORS = {"add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
             "divide": operator.truediv, "floor_divide": operator.floordiv,
             "remainder": operator.mod, "power": operator.pow, "bitwise_and": operator.and_,
             "bitwise_or": operator.or_, "bitwise_xor": operator.xor,
             "left_shift": operator.lshift, "right_shift": operator.rshift,
             "equal": operator.eq, "not_equal": operator.ne, "less": operator.lt,
             "less_equal": operator.le, "greater": operator.gt,
             "greater_equal": operator.ge}


def apply_binary_operator(uname, a, b):
    """``a <op> b`` for Python operators; foreign operands get NotImplemented, as ndarray."""
    if uname == "matmul":
        from ._linalg import matmul
        return matmul(a, b)
    for x in (a, b):
        if getattr(type(x), "__array_ufunc__", False) is None:
            return NotImplemented  # the other type opted out of ufuncs, as with ndarray
    try:
        return _lazy_call(getattr(np, uname), (a, b), {})
    except Unsupported as e:
        reason = f"unsupported: {e}"
    except Exception as e:  # noqa: BLE001 - NumPy gives the result or the error
        reason = f"lazy path raised {type(e).__name__}: {e}"
    return fallback.call(OPERATORS[uname], (a, b), {}, name=f"ndarray.__{uname}__",
                         reason=reason)


def apply_inplace(uname, self, other):
    """``self <op>= other``: rebinds ``self`` (through to its base if it is a view)."""
    if uname == "matmul":
        from ._linalg import matmul
        result = matmul(self, other)
        self._set_node(to_node(result))
        return self
    ufunc = getattr(np, uname)
    try:
        node = build.elementwise(UFUNC_OPS[ufunc], self.node, to_node(other))
    except Unsupported:
        result = np.asarray(fallback.call(ufunc, (self, other), {}, name=f"numpy.{uname}",
                                          reason="in-place operand not lazy"))
        node = to_node(result)
    _check_output_cast(ufunc, (self, other), self)
    if node.shape != self.shape:
        raise ValueError(f"non-broadcastable output operand with shape {self.shape} doesn't "
                         f"match the broadcast shape {node.shape}")
    self._set_node(node)
    return self


def divmod_(x1, x2):
    return UFUNCS["floor_divide"](x1, x2), UFUNCS["remainder"](x1, x2)


def elementwise(op: Op, *args, arg=None) -> LazyArray:
    return LazyArray(build.elementwise(op, *map(to_node, args), arg=arg))

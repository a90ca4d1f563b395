"""Split annotations for common black boxes (``weldish.annotations.numpy.exp``, ...).

Elementwise functions split any way their arguments do: each argument is split along its
first axis (a scalar is passed whole), the result is split as the arguments, and ``out=``
is written in place piece by piece. Arguments of different lengths along the first axis
(broadcasting) make the call run whole, so NumPy's broadcasting rules are never bypassed.

- ``numpy``: NumPy's elementwise ufuncs, as opaque calls (``weldish.numpy`` compiles its
  own; these are for code that wants NumPy's own kernels pipelined by piece).
- ``special``: ``scipy.special`` functions weldish does not lower (erf, erfc, ndtr,
  log_ndtr, expit, logit, ...), present when SciPy is importable.
"""
from __future__ import annotations

import types

import numpy as np

from ..annotate import ArraySplit, Mut, annotate

_UNARY = ("exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "sqrt", "cbrt", "square",
          "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
          "absolute", "negative", "reciprocal", "floor", "ceil", "rint", "isnan", "isfinite")
_BINARY = ("add", "subtract", "multiply", "divide", "power", "maximum", "minimum",
           "arctan2", "hypot", "less", "greater", "equal", "logaddexp")
_SPECIAL = ("erf", "erfc", "erfinv", "ndtr", "ndtri", "log_ndtr", "expit", "logit",
            "gamma", "gammaln", "digamma", "i0", "j0", "j1", "y0", "y1", "xlogy", "entr")


def elementwise(fn, nin: int):
    """An annotated elementwise function of ``nin`` array arguments (and ``out=``)."""
    return annotate(*[ArraySplit(0)] * nin, out=Mut(ArraySplit(0)),
                    returns=ArraySplit(0))(fn)


numpy = types.SimpleNamespace(
    **{name: elementwise(getattr(np, name), 1) for name in _UNARY},
    **{name: elementwise(getattr(np, name), 2) for name in _BINARY})

try:
    import scipy.special as _sc
except ImportError:   # SciPy is optional
    special = None
else:
    special = types.SimpleNamespace(**{name: elementwise(getattr(_sc, name),
                                                         getattr(_sc, name).nin)
                                       for name in _SPECIAL if hasattr(_sc, name)})

__all__ = ["elementwise", "numpy", "special"]

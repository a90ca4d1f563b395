"""``import weldish.numpy as np``: NumPy's namespace, recording a lazy graph.

Every public name of ``numpy`` is reachable here. Names with a lazy version build graph
nodes; every other function runs in NumPy on evaluated arguments, and the call is recorded
(see ``weldish.explain``). Constants, dtypes and classes are NumPy's own objects.
"""
import numpy as _numpy

from ..lazy import LazyArray
from . import fft, linalg, random
from ._api import FUNCTIONS as _FUNCTIONS, module_attr as _module_attr
from ._creation import (arange, array, asanyarray, asarray, ascontiguousarray, copy, empty,
                        empty_like, eye, full, full_like, identity, linspace, ones, ones_like,
                        zeros, zeros_like)
from ._linalg import dot, matmul, outer
from ._reductions import (all, amax, amin, any, argmax, argmin, cumprod, cumsum, max, mean,
                          min, nanargmax, nanargmin, nancumprod, nancumsum, nanmax, nanmean,
                          nanmin, nanprod, nanstd, nansum, nanvar, prod, std, sum, var)
from ._shape import (around, astype, broadcast_to, clip, concatenate, divmod, expand_dims,
                     flip, hstack, moveaxis, permute_dims, ravel, reshape, roll, round,
                     squeeze, stack, swapaxes, take, transpose, vstack, where)
from ._ufuncs import UFUNCS as _UFUNCS

# Lazy ufuncs under every NumPy name that refers to them (np.abs is np.absolute, ...).
globals().update({name: _UFUNCS[obj.__name__] for name, obj in vars(_numpy).items()
                  if isinstance(obj, _numpy.ufunc) and obj.__name__ in _UFUNCS
                  and not name.startswith("_")})

ndarray = _numpy.ndarray
concat = concatenate


def __getattr__(name):
    value = _module_attr(_numpy, name, "numpy")
    globals()[name] = value  # resolve once
    return value


def __dir__():
    return sorted(set(dir(_numpy)) | set(globals()))


def lazy_names() -> list[str]:
    """Public names of ``numpy`` that have a lazy implementation in weldish."""
    lazy = set()
    for name in dir(_numpy):
        obj = getattr(_numpy, name, None)
        if isinstance(obj, _numpy.ufunc) and obj.__name__ in _UFUNCS:
            lazy.add(name)
        elif callable(obj) and not isinstance(obj, type):
            try:
                if obj in _FUNCTIONS:
                    lazy.add(name)
            except TypeError:
                pass
    return sorted(n for n in lazy if not n.startswith("_"))


__all__ = ["LazyArray", "fft", "linalg", "random", "lazy_names"]

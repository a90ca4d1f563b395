"""ndarray methods and attributes without a lazy version: run on the evaluated array.

Methods that modify the array in place (``sort``, ``fill``, ...) run on a private copy
and rebind the lazy array to it, so an array the user gave is never modified.
"""
from __future__ import annotations

import numpy as np

from .. import fallback
from ..lazy import LazyArray, to_node

IN_PLACE = frozenset({"sort", "fill", "partition", "put", "itemset", "setfield",
                      "byteswap", "resize"})


def fallback_method(self: LazyArray, name: str):
    if name.startswith("_") or not hasattr(np.ndarray, name):
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
    attr = getattr(np.ndarray, name)
    if not callable(attr):  # a property: flags, strides, real, imag, flat, ...
        return getattr(np.asarray(self), name)
    if name in IN_PLACE:
        def in_place(*args, **kwargs):
            arr = np.array(self, copy=True)
            result = getattr(arr, name)(*args, **kwargs)
            fallback.LOG.record(f"ndarray.{name}", "in-place method")
            self._set_node(to_node(arr)) if arr.shape == self.shape else \
                _rebind_resized(self, arr)
            return result
        return in_place

    def method(*args, **kwargs):
        return fallback.call(lambda a, *r, **k: getattr(a, name)(*r, **k), (self, *args),
                             kwargs, name=f"ndarray.{name}", reason="no lazy method")
    return method


def _rebind_resized(self: LazyArray, arr):
    if self._base is not None:
        raise ValueError("cannot resize this array: it does not own its data")
    self._node = to_node(arr)

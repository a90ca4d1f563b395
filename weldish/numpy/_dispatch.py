"""``__array_function__``: real NumPy functions called on lazy arrays."""
from __future__ import annotations

from .. import fallback
from ._api import FUNCTIONS


def array_function(func, args, kwargs):
    impl = FUNCTIONS.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    return fallback.call(func, args, kwargs, reason="no lazy implementation")

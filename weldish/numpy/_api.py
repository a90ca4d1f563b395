"""How a lazy implementation is attached to the NumPy function it stands for.

``@implements(np.sum)`` registers the lazy version (for ``__array_function__`` and the
``weldish.numpy`` namespace) and wraps it: when the lazy path raises ``Unsupported`` or any
error, the real NumPy function runs on concrete values. The user then gets NumPy's own
result, or NumPy's own exception, at the same call; a fallback that succeeds is recorded.
"""
from __future__ import annotations

import functools

from .. import fallback
from ..lazy import Unsupported

# numpy function -> lazy implementation (read by __array_function__)
FUNCTIONS: dict = {}


def implements(np_fn, name: str | None = None):
    qual = name or f"numpy.{np_fn.__name__}"

    def deco(impl):
        @functools.wraps(np_fn)
        def wrapper(*args, **kwargs):
            try:
                return impl(*args, **kwargs)
            except Unsupported as e:
                reason = f"unsupported: {e}"
            except Exception as e:  # noqa: BLE001 - NumPy decides: its result or its error
                reason = f"lazy path raised {type(e).__name__}: {e}"
            return fallback.call(np_fn, args, kwargs, name=qual, reason=reason)
        wrapper.__wrapped_lazy__ = impl
        FUNCTIONS[np_fn] = wrapper
        return wrapper
    return deco


class _NoValue:
    """Marks an argument the caller did not give (NumPy's own sentinel is private)."""
    def __repr__(self):
        return "<no value>"


NoValue = _NoValue()


def require_default(**given):
    """Raise Unsupported for any argument that is not at its default (None/NoValue)."""
    for k, v in given.items():
        if v is not None and v is not NoValue:
            raise Unsupported(f"argument {k}=")


def fallback_function(fn, qualname: str):
    """A stand-in for a NumPy function with no lazy version: runs it on evaluated values."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fallback.call(fn, args, kwargs, name=qualname, reason="no lazy implementation")
    return wrapper


_FUNCTION_TYPES = ("function", "builtin_function_or_method", "_ArrayFunctionDispatcher",
                   "cython_function_or_method", "method")


def _is_function(obj) -> bool:
    return type(obj).__name__ in _FUNCTION_TYPES


def module_attr(module, name: str, prefix: str):
    """What ``weldish.numpy[.sub].<name>`` is when weldish has no lazy version of it.

    Functions: lazy if weldish implements them, else recorded fallbacks; ufuncs: lazy
    ufunc objects (falling back for the few without a lazy op); everything else (dtypes,
    constants, classes, exceptions): NumPy's own object.
    """
    try:
        obj = getattr(module, name)
    except AttributeError:
        raise AttributeError(f"module {prefix!r} has no attribute {name!r}") from None
    import numpy as np
    if isinstance(obj, np.ufunc):
        from ._ufuncs import LazyUfunc, UFUNCS
        return UFUNCS.get(obj.__name__) or LazyUfunc(obj)
    if _hashable(obj) and obj in FUNCTIONS:
        return FUNCTIONS[obj]
    if _is_function(obj):
        return fallback_function(obj, f"{prefix}.{name}")
    return obj


def _hashable(obj) -> bool:
    try:
        hash(obj)
        return True
    except TypeError:
        return False

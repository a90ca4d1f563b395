"""Shared by the pandas frontend: dtype checks, conversion to/from real pandas, fallbacks.

A fallback converts every weldish argument to its pandas value (evaluating lazy columns),
calls the real pandas function, records the call in ``weldish.fallbacks`` and wraps
pandas results back into weldish objects (numeric columns become lazy again).
"""
from __future__ import annotations

import inspect
import time
from collections import Counter

import numpy as np
import pandas as pd

from .. import fallback
from ..lazy import LazyArray, Unsupported

# calls that ran on the lazy path (name -> count, seconds spent recording them); the
# ``python -m weldish --report`` table reads it beside ``weldish.fallbacks``
COMPILED: Counter = Counter()
COMPILED_SECONDS: Counter = Counter()


def lazy_dtype(dtype) -> bool:
    """A column dtype the lazy path holds as a LazyArray (NumPy bool/int/uint/float)."""
    return isinstance(dtype, np.dtype) and dtype.kind in "biuf"


def is_number(x) -> bool:
    """A plain Python int/float (not bool) or a NumPy integer/float scalar."""
    return (type(x) in (int, float)) or isinstance(x, (np.integer, np.floating))


class MaskedIndex:
    """``base[mask]``, computed when first needed: a filter's row labels are often never
    read (pandas builds them at once, ~1/3 of a simple filter's time)."""
    __slots__ = ("base", "mask", "n", "value")

    def __init__(self, base, mask, n: int):
        self.base, self.mask, self.n, self.value = base, mask, n, None

    def __len__(self):
        return self.n

    def get(self):
        if self.value is None:
            self.value = real_index(self.base)[self.mask]
            self.base = self.mask = None
        return self.value


def real_index(ix):
    return ix.get() if type(ix) is MaskedIndex else ix


def same_index(a, b) -> bool:
    if a is b:
        return True
    a, b = real_index(a), real_index(b)
    return a is b or (len(a) == len(b) and a.equals(b) and a.dtype == b.dtype)


def to_pandas_obj(x):
    """``x`` with weldish Series/DataFrames as pandas objects, lazy arrays as ndarrays."""
    from .frame import DataFrame
    from .series import Series
    if isinstance(x, (Series, DataFrame)):
        return x.to_pandas()
    if isinstance(x, LazyArray):
        return np.asarray(x)
    if type(x) in (list, tuple):
        return type(x)(to_pandas_obj(v) for v in x)
    if type(x) is dict:
        return {k: to_pandas_obj(v) for k, v in x.items()}
    return x


def wrap(x):
    """pandas results as weldish objects (everything else unchanged)."""
    from .frame import DataFrame
    from .series import Series
    if type(x) is pd.Series:
        return Series._from_pandas(x)
    if type(x) is pd.DataFrame:
        return DataFrame._from_pandas(x)
    if type(x) is tuple:
        return tuple(wrap(v) for v in x)
    return x


def call_pandas(fn, args, kwargs, name: str, reason: str):
    """Run the real pandas ``fn`` on pandas values (recorded fallback), wrap the result."""
    t0 = time.perf_counter()
    result = fallback.as_caller(fn, *to_pandas_obj(tuple(args)),
                                **to_pandas_obj(dict(kwargs)))
    fallback.LOG.record(name, reason, time.perf_counter() - t0)
    return wrap(result)


def record_lazy(name: str, t0: float):
    COMPILED[name] += 1
    COMPILED_SECONDS[name] += time.perf_counter() - t0


def lazy_or_pandas(kind: str):
    """Decorator for a method with a lazy implementation: when the lazy path raises
    ``Unsupported`` (or anything else), the real pandas method runs on pandas values, so
    the user gets pandas' own result or pandas' own exception at this call."""
    def deco(impl):
        name = impl.__name__

        def method(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                result = impl(self, *args, **kwargs)
                record_lazy(f"pandas.{kind}.{name}", t0)
                return result
            except Unsupported as e:
                reason = f"unsupported: {e}"
            except Exception as e:  # noqa: BLE001 - pandas decides: its result or error
                reason = f"lazy path raised {type(e).__name__}: {e}"
            return call_method(self, kind, name, args, kwargs, reason)
        method.__name__ = name
        method.__qualname__ = f"{kind}.{name}"
        method.__doc__ = impl.__doc__ or f"``pandas.{kind}.{name}`` (lazy where it can be)."
        method.__wrapped_lazy__ = impl
        return method
    return deco


def fallback_attr(obj, kind: str, name: str):
    """``obj.<name>`` from the real pandas object; methods run as recorded fallbacks and
    write back into ``obj`` when called with ``inplace=True``."""
    def method(*args, **kwargs):
        return call_method(obj, kind, name, args, kwargs, "no lazy implementation")
    method.__name__ = name
    if inspect.isfunction(getattr(getattr(pd, kind), name, None)):  # not computed yet
        return method
    attr = getattr(obj.to_pandas(), name)  # pandas' AttributeError when it has none
    if type(attr).__module__ == "pandas.core.indexing":  # .iloc, .at, .iat, ...
        return PandasIndexer(obj, kind, name)
    if inspect.ismethod(attr) or inspect.isbuiltin(attr):
        return method
    fallback.LOG.record(f"pandas.{kind}.{name}", "no lazy implementation")
    return wrap(attr)


def call_method(obj, kind: str, name: str, args, kwargs, reason: str):
    """``obj.<name>(*args, **kwargs)`` run by pandas (recorded fallback); with
    ``inplace=True`` on a copy of ``obj``'s values that is then written back into ``obj``
    (a weldish object's pandas view may be read-only or shared)."""
    t0 = time.perf_counter()
    inplace = bool(kwargs.get("inplace"))
    pobj = obj.to_pandas().copy() if inplace else obj.to_pandas()
    result = fallback.as_caller(getattr(pobj, name), *to_pandas_obj(tuple(args)),
                                **to_pandas_obj(dict(kwargs)))
    fallback.LOG.record(f"pandas.{kind}.{name}", reason, time.perf_counter() - t0)
    if inplace:
        obj._set_from_pandas(pobj)
    return wrap(result)


class PandasIndexer:
    """A pandas indexer (``.loc``, ``.iloc``, ``.at``, ``.iat``) run in pandas: reads
    give weldish objects; assignments run on a copy and write back into ``obj``."""

    def __init__(self, obj, kind: str, name: str):
        self.obj, self.kind, self.name = obj, kind, name

    def __getitem__(self, key):
        return self._pandas(key, "indexing runs in pandas")

    def _pandas(self, key, reason: str):
        return call_pandas(lambda p, k: getattr(p, self.name)[k], (self.obj, key), {},
                           f"pandas.{self.kind}.{self.name}", reason)

    def __setitem__(self, key, value):
        pobj = self.obj.to_pandas().copy()
        getattr(pobj, self.name)[to_pandas_obj(key)] = to_pandas_obj(value)
        fallback.LOG.record(f"pandas.{self.kind}.{self.name}.__setitem__",
                            "assignment runs in pandas")
        self.obj._set_from_pandas(pobj)

"""``import weldish.pandas as pd``: pandas' namespace with lazy Series and DataFrames.

``Series``/``DataFrame`` hold numeric columns as lazy arrays of the ``weldish.numpy``
graph; ``read_parquet``/``read_csv`` are lazy scans (projection and filters pushed into
the pyarrow scan); ``merge`` and ``groupby`` use ``weldish.relational``'s compiled
kernels. Every other public name of pandas is reachable: functions run in pandas on
evaluated arguments (recorded, see ``weldish.explain``), and dtypes, classes and constants
are pandas' own objects.
"""
import functools as _functools

import pandas as _pandas

from . import _interop
from ._common import call_pandas as _call_pandas, to_pandas_obj as _to_pandas_obj
from .frame import DataFrame
from .io import read_csv, read_parquet
from .join import merge
from .series import Series

_interop.install()

__version__ = _pandas.__version__


def to_pandas(obj):
    """The real pandas object behind a weldish Series/DataFrame (evaluated)."""
    return _to_pandas_obj(obj)


def isna(obj):
    if isinstance(obj, (Series, DataFrame)):
        return obj.isna()
    return _call_pandas(_pandas.isna, (obj,), {}, "pandas.isna", "not a weldish object")


def notna(obj):
    if isinstance(obj, (Series, DataFrame)):
        return obj.notna()
    return _call_pandas(_pandas.notna, (obj,), {}, "pandas.notna", "not a weldish object")


isnull, notnull = isna, notna


def eval(expr, *args, **kwargs):  # noqa: A001 - pandas' name
    """``pandas.eval`` run by pandas with the caller's variables (pandas finds them by
    counting stack frames, which this wrapper would shift); the weldish objects the
    expression names are given as their pandas values."""
    from .expr import caller_scope, names_in
    kwargs = caller_scope(kwargs, 1)
    used = names_in(expr) if isinstance(expr, str) else set()
    for scope in ("local_dict", "global_dict"):
        kwargs[scope] = {k: (_to_pandas_obj(v) if k in used else v)
                         for k, v in kwargs[scope].items()}
    return _call_pandas(_pandas.eval, (expr, *args), kwargs, "pandas.eval",
                        "expressions over objects run in pandas")


def _fallback_function(fn, name):
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return _call_pandas(fn, args, kwargs, f"pandas.{name}", "no lazy implementation")
    return wrapper


def __getattr__(name):
    try:
        obj = getattr(_pandas, name)
    except AttributeError:
        raise AttributeError(f"module 'weldish.pandas' has no attribute {name!r}") from None
    if callable(obj) and not isinstance(obj, type) and not name.startswith("_"):
        obj = _fallback_function(obj, name)
    globals()[name] = obj  # resolve once
    return obj


def __dir__():
    return sorted(set(dir(_pandas)) | set(globals()))


__all__ = ["DataFrame", "Series", "merge", "read_csv", "read_parquet", "to_pandas"]

"""Real pandas given weldish objects (a library's code, or a user mixing both).

Without this, pandas treats a weldish Series/DataFrame as a plain array through
``__array__``: ``pandas.Series(wseries)`` loses the index, ``pandas.DataFrame(wframe)``
the column names and dtypes, and ``real_series + wseries`` adds by position instead of
aligning labels: silently wrong answers. So, at ``import weldish.pandas``:

- weldish objects carry a ``__pandas_priority__`` above pandas' own (DataFrame 4000), so
  pandas' binary operators return ``NotImplemented`` and Python calls weldish's reflected
  operator, which aligns as pandas does;
- pandas' ``Series``/``DataFrame`` constructors and ``concat``/``merge`` take a weldish
  object's pandas value (``to_pandas()``) in its place. Only weldish arguments are
  touched; everything else reaches pandas unchanged.
"""
from __future__ import annotations

import functools

import pandas as pd

PRIORITY = 5000


_CLASSES: tuple = ()   # (Series, DataFrame), set by install (they import this module)


def _weldish(x) -> bool:   # on every pandas Series/DataFrame construction: kept cheap
    return isinstance(x, _CLASSES)


def _constructor(init):
    @functools.wraps(init)
    def __init__(self, data=None, *args, **kwargs):
        if _weldish(data):
            data = data.to_pandas()
        init(self, data, *args, **kwargs)
    __init__.weldish_patched = True
    return __init__


def _function(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from ._common import to_pandas_obj
        if any(_weldish(a) or (type(a) in (list, tuple, dict) and any(
                _weldish(v) for v in (a.values() if type(a) is dict else a)))
               for a in (*args, *kwargs.values())):
            args, kwargs = to_pandas_obj(args), to_pandas_obj(kwargs)
        return fn(*args, **kwargs)
    wrapper.weldish_patched = True
    return wrapper


def install():
    global _CLASSES
    from .frame import DataFrame
    from .series import Series
    _CLASSES = (Series, DataFrame)
    for cls in (pd.Series, pd.DataFrame):
        if not getattr(cls.__init__, "weldish_patched", False):
            cls.__init__ = _constructor(cls.__init__)
    for name in ("concat", "merge"):
        fn = getattr(pd, name)
        if not getattr(fn, "weldish_patched", False):
            setattr(pd, name, _function(fn))

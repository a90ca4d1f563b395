"""``Series.apply`` / ``Series.map`` / ``DataFrame.map`` with a Python function.

pandas calls the function once per element, on Python scalars, and infers the result's
dtype from the Python objects returned. Two ways run it here, never silently differing:

``[numba]``: a function of a bool/int/float column compiled with Numba on Python-semantics
scalars (``udf_numba``: ints that never wrap, divisions by zero, math domain errors, float
to int conversions... are detected per element). The elements where Python's answer may
differ run in Python, in order, on the values pandas would pass: their value, or the first
one's exception (pandas' own, as pandas raises at that element). Results of the compiled
kind (int -> int64, float -> float64, bool -> bool) are exactly pandas' dtype; when a
Python element returns another type (a big int, a complex...), pandas infers the whole.

``[pieces]`` (recorded in ``weldish.fallbacks``): any other function, or a column of
another dtype (strings, objects...), is run as a black box on pieces of ``PIECE`` rows, on
exactly the elements pandas' own ``map`` passes (``values.astype(object)``, NA skipped with
``na_action='ignore'``), once each, in order; the Python objects returned are then handed
to pandas' own call by a replaying function (``functools.partial(next, results)``), so the
result (dtype inference over the whole column, a DataFrame from Series results, string
dtypes...) is pandas' own (where every result is a Python float, bool, int64 int or str
of a NumPy column, the array pandas would build is built directly, without that second
pass: ``_simple``). The compiled path assumes the function is pure (a compiled function
has no Python side effects: ``print``, lists and other objects are refused). The split executor (``weldish.split``) is not used: it runs
pieces on a thread pool, out of order, and wraps errors, where a Python UDF must be called
in order and raise its own exception.

Anything else (``apply`` with a string, list or ufunc, ``by_row=False``, empty columns,
categorical columns...) is pandas' own call, recorded as a fallback.
"""
from __future__ import annotations

import functools
import time
import types

import numpy as np
import pandas as pd

from .. import fallback
from ..lazy import Unsupported
from ._common import call_pandas, record_lazy, wrap

PIECE = 65536
_COMPILED: dict = {}   # (function key, input kind) -> (loop, result kind) or the reason
_END = object()
_OUT = {"i": np.int64, "f": np.float64, "b": np.bool_}


def _compiled(func, in_kind):
    from . import udf_numba
    target = func
    if not isinstance(func, types.FunctionType):
        try:
            known = func in udf_numba.FUNCTIONS     # abs, int, math.sqrt...: as a lambda
        except TypeError:
            known = False
        if not known:
            raise Unsupported("not a Python function")
        target = _call_of(func)
    key = (udf_numba.python_semantics(target)[1], in_kind)
    if key not in _COMPILED:
        try:
            jf, kind = udf_numba.compile_scalar(target, in_kind)
            _COMPILED[key] = (udf_numba.make_loop(jf, in_kind), kind)
        except Unsupported as e:
            _COMPILED[key] = str(e)
    if isinstance(_COMPILED[key], str):
        raise Unsupported(_COMPILED[key])
    return _COMPILED[key]


def _call_of(fn):
    return lambda x: fn(x)


def _machine_values(x):
    """The column as int64/float64/bool for the compiled loop, and its input kind."""
    if x.dtype.kind == "b":
        return x, "b"
    if x.dtype.kind in "iu":
        if x.dtype == np.uint64 and x.size and x.max() > np.iinfo(np.int64).max:
            raise Unsupported("uint64 beyond int64")
        return x.astype(np.int64, copy=False), "i"
    if x.dtype.kind == "f":
        return x.astype(np.float64, copy=False), "f"
    raise Unsupported(f"dtype {x.dtype}")


def _fits(v, kind):
    t = type(v)
    if kind == "i":
        return t is int and -(1 << 63) <= v < (1 << 63)
    return t is (float if kind == "f" else bool)


def _compiled_values(x, func, na_action):
    """The result of ``func`` on every element of ``x`` (a NumPy column), by the compiled
    loop: (array of pandas' dtype, None) or (None, Python objects) when pandas must infer."""
    xm, in_kind = _machine_values(x)
    run, kind = _compiled(func, in_kind)
    mask = np.isnan(x) if na_action == "ignore" and x.dtype.kind == "f" else None
    if mask is not None and mask.any():
        xm, x = xm[~mask], x[~mask]
    else:
        mask = None
    from .udf_numba import run_loop
    res = np.empty(len(xm), _OUT[kind])
    with np.errstate(all="ignore"):
        bad = run_loop(run, xm, res)
    objects = None
    if len(bad):   # Python's own call on those elements, in order (its exception is pandas')
        vals = [func(v) for v in x[bad].astype(object)]
        if all(_fits(v, kind) for v in vals):
            res[bad] = np.array(vals, dtype=_OUT[kind])
        else:
            objects = res.astype(object)
            for i, v in zip(bad.tolist(), vals):
                objects[i] = v
    if mask is None:
        return (res, None) if objects is None else (None, list(objects))
    if objects is None and kind in "if":   # ints/floats with NaN kept: float64, as pandas
        full = np.full(len(mask), np.nan)
        full[~mask] = res
        return full, None
    return None, list(res.astype(object) if objects is None else objects)


def _mappable(ps):
    """The array pandas maps element by element (``astype(object)``), else Unsupported."""
    arr = ps._values
    if not (isinstance(arr, np.ndarray) or (
            isinstance(arr, pd.api.extensions.ExtensionArray)
            and type(arr).map is pd.api.extensions.ExtensionArray.map)):
        raise Unsupported(f"{type(arr).__name__} maps its own way")
    return arr


def _map_values(ps, func, na_action):
    """What pandas' ``_map_values`` hands the function, one piece after another: a list of
    the Python objects returned (the elements pandas skips are not called)."""
    arr = _mappable(ps)
    values = arr.astype(object, copy=False)
    if na_action == "ignore":
        values = values[~pd.isna(values)]
    out: list = []
    for start in range(0, len(values), PIECE):
        out.extend(map(func, values[start:start + PIECE]))
    return out


def _simple(results):
    """pandas' own inference where it is plain: every result a Python float, every one a
    bool, every one an int of int64, or every one a str (an object array: maybe_convert_objects
    keeps it, the Series constructor infers the string dtype); else None: pandas infers."""
    kinds = set(map(type, results))
    if len(kinds) != 1:
        return None
    t = kinds.pop()
    if t is str:
        out = np.empty(len(results), dtype=object)
        out[:] = results
        return out
    if t is float or t is bool:
        return np.array(results, dtype=np.float64 if t is float else np.bool_)
    if t is int:
        try:
            return np.array(results, dtype=np.int64)
        except OverflowError:
            return None
    return None


def _replay(pobj, method, results, **kw):
    """pandas' own ``method`` with a function returning ``results`` in call order."""
    it = iter(results)
    result = getattr(pobj, method)(functools.partial(next, it), **kw)
    if next(it, _END) is not _END:
        raise AssertionError("weldish: pandas called the function fewer times than expected")
    return result


def _column_result(x, ps, func, call, na_action, allow_compiled):
    """(array, None, "numba") or (None, objects, "numba"/"pieces") for one column."""
    if allow_compiled and x is not None:
        try:
            arr, objects = _compiled_values(x, func, na_action)
            return arr, objects, "numba"
        except Unsupported:
            pass
    return None, _map_values(ps, call, na_action), "pieces"


def _eligible(func, name):
    if not callable(func) or isinstance(func, (str, list, dict, tuple)):
        return False
    return not (name == "apply" and isinstance(func, np.ufunc))


def apply_series(s, func, args, kwargs, name, by_row="compat", na_action=None):
    """``Series.apply(func, args, by_row=..., **kwargs)`` or ``Series.map(func, na_action,
    **kwargs)`` with a Python function (anything else: pandas' own call)."""
    from .series import Series
    t0 = time.perf_counter()
    qual = f"pandas.Series.{name}"
    if (not _eligible(func, name) or by_row != "compat" or na_action not in (None, "ignore")
            or len(s) == 0):
        return call_pandas(lambda p, *a, **k: getattr(p, name)(*a, **k),
                           (s, func, *args) if name == "apply" else (s, func, na_action),
                           kwargs, qual, "not a Python function of the elements, or empty")
    call = func if not (args or kwargs) else (lambda v: func(v, *args, **kwargs))
    x = np.asarray(s._lazy) if s._lazy is not None else None
    ps = s.to_pandas()
    try:
        arr, objects, path = _column_result(x, ps, func, call, na_action,
                                            allow_compiled=not (args or kwargs))
    except Unsupported as e:
        return call_pandas(lambda p, *a, **k: getattr(p, name)(*a, **k),
                           (s, func, *args) if name == "apply" else (s, func, na_action),
                           kwargs, qual, str(e))
    if arr is not None:
        record_lazy(f"{qual}[numba]", t0)
        return Series._from_pandas(pd.Series(arr, index=ps.index, name=ps.name))
    simple = _simple(objects) if path == "pieces" and isinstance(ps._values, np.ndarray) \
        and len(objects) == len(ps) else None   # NumPy column, no element skipped
    if simple is not None:
        result = pd.Series(simple, index=ps.index, name=ps.name)
    else:
        result = _replay(ps, name, objects, **({"na_action": na_action} if name == "map"
                                               else {}))
    if path == "numba":
        record_lazy(f"{qual}[numba]", t0)
        fallback.LOG.record(f"{qual}[numba+python]", "some elements' Python results are of "
                            "another type: pandas infers the whole", time.perf_counter() - t0)
    else:
        fallback.LOG.record(f"{qual}[pieces]", f"black box: the Python function by pieces "
                            f"of {PIECE} rows", time.perf_counter() - t0)
    return wrap(result)


def map_frame(df, func, na_action, kwargs):
    """``DataFrame.map(func, na_action, **kwargs)``: column by column, as pandas does."""
    t0 = time.perf_counter()
    if not callable(func) or na_action not in (None, "ignore") or df.empty:
        return call_pandas(pd.DataFrame.map, (df, func, na_action), kwargs,
                           "pandas.DataFrame.map", "not a function, or empty")
    from .frame import DataFrame
    pdf = df.to_pandas()
    call = functools.partial(func, **kwargs)
    try:
        for j in range(pdf.shape[1]):
            _mappable(pdf.iloc[:, j])
    except Unsupported as e:
        return call_pandas(pd.DataFrame.map, (df, func, na_action), kwargs,
                           "pandas.DataFrame.map", str(e))
    arrays, objects, paths = [], [], set()
    for j in range(pdf.shape[1]):
        col = pdf.iloc[:, j]
        x = col.to_numpy() if isinstance(col.dtype, np.dtype) and col.dtype.kind in "biuf" \
            else None
        arr, objs, path = _column_result(x, col, func, call, na_action,
                                         allow_compiled=not kwargs)
        paths.add(path)
        arrays.append(arr)
        objects.append(objs if arr is None else None)
    if all(a is not None for a in arrays):
        out = pd.DataFrame(dict(enumerate(arrays)), index=pdf.index)
        out.columns = pdf.columns
        record_lazy("pandas.DataFrame.map[numba]", t0)
        return DataFrame._from_pandas(out)
    results = []
    for j, (arr, objs) in enumerate(zip(arrays, objects)):
        if objs is None and na_action == "ignore":   # pandas does not call on NA elements
            arr = arr[~pd.isna(pdf.iloc[:, j].to_numpy())]
        results.extend(arr.tolist() if objs is None else objs)
    result = _replay(pdf, "map", results, na_action=na_action)
    fallback.LOG.record(f"pandas.DataFrame.map[{'+'.join(sorted(paths))}]",
                        "black box: the Python function by pieces, pandas infers",
                        time.perf_counter() - t0)
    return wrap(result)

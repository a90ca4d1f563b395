"""Lazy ``Series``: a numeric column is a LazyArray (the graph of ``weldish.numpy``) plus
its index; any other column keeps the real pandas Series and runs pandas (recorded).

``s.values`` / ``s.to_numpy()`` return the LazyArray, so a pandas -> NumPy pipeline is one
graph. Binary operations stay lazy when both operands have equal indexes (no alignment
needed) and NumPy's result equals pandas' (integer floor division, modulo and powers, where
pandas' zero-division and overflow rules differ, run in pandas).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .. import fallback
from .. import numpy as wnp
from ..ir import build
from ..lazy import LazyArray, Unsupported, wrap_array
from . import _interop
from ._common import (call_pandas, fallback_attr, is_number, lazy_dtype, lazy_or_pandas,
                      MaskedIndex, PandasIndexer, real_index, same_index, to_pandas_obj)

_lazy = lazy_or_pandas("Series")


def as_lazy(values: np.ndarray) -> LazyArray:
    return wrap_array(values, source="pandas")


class Series:
    """``pandas.Series``, lazy for NumPy numeric dtypes (see the module docstring)."""
    __array_priority__ = 200

    def __init__(self, data=None, index=None, dtype=None, name=None, copy=None):
        if isinstance(data, LazyArray) and index is None and dtype is None and \
                data.ndim == 1 and lazy_dtype(data.dtype):
            self._lazy, self._pd = data, None
            self._index, self._name = pd.RangeIndex(len(data)), name
            return
        self._set_from_pandas(pd.Series(to_pandas_obj(data), index=to_pandas_obj(index),
                                        dtype=dtype, name=name, copy=copy))

    # -- construction and conversion -----------------------------------------------------
    @classmethod
    def _from_pandas(cls, ps: pd.Series) -> "Series":
        s = cls.__new__(cls)
        s._set_from_pandas(ps)
        return s

    @classmethod
    def _from_lazy(cls, arr: LazyArray, index, name) -> "Series":
        s = cls.__new__(cls)
        s._lazy, s._pd, s._index, s._name = arr, None, index, name
        return s

    def _set_from_pandas(self, ps: pd.Series):
        if lazy_dtype(ps.dtype):
            self._lazy, self._pd = as_lazy(ps.to_numpy()), None
            self._index, self._name = ps.index, ps.name
        else:
            self._lazy, self._pd, self._index, self._name = None, ps, None, None

    __pandas_priority__ = _interop.PRIORITY  # real pandas operators defer to ours
    _typ = "series"   # pandas' own type checks (ABCSeries) without computing the value
    # isinstance(x, pandas.Series) is True, as for cudf.pandas' proxies: libraries that check
    # it (scikit-learn's feature names, plotting by column...) take the frame as a frame
    __class__ = property(lambda self: pd.Series)

    def __reduce__(self):  # pickled as its pandas value (a lazy one is computed)
        return Series._from_pandas, (self.to_pandas(),)

    def to_pandas(self) -> pd.Series:
        """The real pandas Series (evaluates a lazy column)."""
        if self._lazy is None:
            return self._pd
        return pd.Series(np.asarray(self._lazy), index=real_index(self._index), name=self._name,
                         copy=False)

    def _need_lazy(self) -> LazyArray:
        if self._lazy is None:
            raise Unsupported(f"column of dtype {self._pd.dtype}")
        return self._lazy

    def _like(self, arr: LazyArray, name=None, keep_name=True) -> "Series":
        return Series._from_lazy(arr, self._index, self._name if keep_name else name)

    # -- attributes ----------------------------------------------------------------------
    @property
    def index(self):
        return real_index(self._index) if self._lazy is not None else self._pd.index

    def _raw_index(self):
        """The index, or the MaskedIndex standing for it (not computed)."""
        return self._index if self._lazy is not None else self._pd.index

    @index.setter
    def index(self, value):
        ps = self.to_pandas().copy(deep=False)
        ps.index = to_pandas_obj(value)
        self._set_from_pandas(ps)

    @property
    def name(self):
        if self._defer is not None:
            return self._defer[3]
        if self._prefix is not None:
            return self._prefix[0].name
        return self._name if self._lazy is not None else self._pd.name

    @name.setter
    def name(self, value):
        if self._lazy is not None:
            self._name = value
        else:
            self._pd = self._pd.rename(value)

    dtype = property(lambda self: self._lazy.dtype if self._lazy is not None
                     else self._pd.dtype)
    dtypes = dtype
    shape = property(lambda self: (len(self),))
    ndim = property(lambda self: 1)
    size = property(lambda self: len(self))
    empty = property(lambda self: len(self) == 0)

    def __len__(self):
        return len(self._lazy) if self._lazy is not None else len(self._pd)

    @property
    def values(self):
        """The column's values: a LazyArray for a numeric column (stays in the graph)."""
        return self._lazy if self._lazy is not None else self._pd.values

    def to_numpy(self, dtype=None, copy=False, na_value=fallback_attr):
        if self._lazy is not None and dtype is None and na_value is fallback_attr:
            return self._lazy.copy() if copy else self._lazy
        kw = {} if na_value is fallback_attr else {"na_value": na_value}
        return self.to_pandas().to_numpy(dtype=dtype, copy=copy, **kw)

    def __array__(self, dtype=None, copy=None):
        arr = np.asarray(self._lazy) if self._lazy is not None else self._pd.to_numpy()
        return arr if dtype is None else arr.astype(dtype)

    def __repr__(self):
        return repr(self.to_pandas())

    def __str__(self):
        return str(self.to_pandas())

    def __iter__(self):
        return iter(self.to_pandas())

    # -- a column of a lazy scan, not read yet (weldish.pandas.io) -----------------------
    _defer = None  # (ScanView, pyarrow expression or None, columns it reads, name)

    @classmethod
    def _deferred(cls, view, name, expr=None, used=None):
        s = cls.__new__(cls)
        s._defer = (view, expr, frozenset(used or ()), name)
        return s

    def _resolve(self):
        view, expr, used, name = self._defer
        if expr is None:
            self._set_from_pandas(view.read_column(name))
        else:
            self._lazy, self._pd = as_lazy(view.read_expr(expr, used)), None
            self._index, self._name = view.index(), name
        self._defer = None

    def _lazy_columns(self):
        return [] if self._defer is not None or self._lazy is None else [self._lazy]

    def _explain_scan(self):
        if self._defer is None:
            return None
        view, expr, _, name = self._defer
        return view.explain() + f"\n  column: {name!r}" + \
            ("" if expr is None else f" = {expr}")

    _prefix = None  # (source Series, k): this is source.str.slice(0, k), not computed

    @classmethod
    def _prefix_of(cls, source, k):
        s = cls.__new__(cls)
        s._prefix = (source, k)
        return s

    def __getattr__(self, name):
        if name in ("_lazy", "_pd", "_index", "_name") and self._defer is not None:
            self._resolve()
            return getattr(self, name)
        if name in ("_lazy", "_pd", "_index", "_name") and self._prefix is not None:
            source, k = self._prefix
            self._prefix = None
            out = source.str._slice(0, k)
            self._lazy, self._pd = out._lazy, out._pd
            self._index, self._name = out.__dict__.get("_index"), out.__dict__.get("_name")
            return getattr(self, name)
        if name.startswith("__") or name in ("_lazy", "_pd", "_index", "_name"):
            raise AttributeError(name)
        return fallback_attr(self, "Series", name)

    def copy(self, deep=True):
        if self._lazy is not None:
            return self._like(self._lazy)
        return Series._from_pandas(self._pd.copy(deep=deep))

    def rename(self, index=None, **kwargs):
        if self._lazy is not None and not kwargs and (index is None or np.isscalar(index)):
            return Series._from_lazy(self._lazy, self._index, index)
        return call_pandas(pd.Series.rename, (self, index), kwargs, "pandas.Series.rename",
                           "renaming labels")

    def reset_index(self, *args, **kwargs):
        return fallback_attr(self, "Series", "reset_index")(*args, **kwargs)

    # -- operators -----------------------------------------------------------------------
    def _operand(self, other):
        """(lazy operand, result name) for a binary operation, or Unsupported."""
        if isinstance(other, Series):
            o = other._need_lazy()
            if not same_index(self._index, other._index):
                raise Unsupported("indexes differ (alignment)")
            return o, self._name if self._name == other._name else None
        if isinstance(other, (LazyArray, np.ndarray)):
            if other.ndim != 1 or len(other) != len(self) or not lazy_dtype(other.dtype):
                raise Unsupported("array operand")
            return other, self._name
        if type(other) in (int, float, bool):
            return other, self._name
        if isinstance(other, (np.integer, np.floating, np.bool_)):
            # pandas treats a NumPy scalar as the Python number it holds (a sweep of 8
            # dtypes x 8 scalars x 9 operators: same values and dtypes), not as NumPy's
            # typed scalar: s_float32 - np.float64(1) stays float32
            if type(other) is np.float64 and self._lazy is not None and \
                    self._lazy.dtype == np.float64:
                return _data_scalar(other), self._name
            return other.item(), self._name
        if isinstance(other, np.generic):
            raise Unsupported("NumPy scalar operand")
        raise Unsupported(f"operand of type {type(other).__name__}")

    def _binary(self, ufunc, other, reflected=False):
        x = self._need_lazy()
        y, name = self._operand(other)
        kx, ky = x.dtype.kind, np.asarray(y).dtype.kind if not isinstance(y, LazyArray) \
            else y.dtype.kind
        if ufunc in (np.floor_divide, np.remainder, np.power) and kx in "biu" and \
                ky in "biu" and not _plain_int_op(ufunc, x.dtype, y, reflected):
            raise Unsupported("integer //, % and ** (pandas' zero and overflow rules)")
        if ufunc in _ARITH and kx == "b" and ky == "b":
            raise Unsupported("arithmetic on two boolean operands")
        if ufunc in (np.bitwise_and, np.bitwise_or, np.bitwise_xor) and not \
                (kx == "b" and ky == "b"):
            raise Unsupported("logical operator on non-boolean operands")
        a, b = (y, x) if reflected else (x, y)
        with np.errstate(all="ignore"):
            out = wnp._UFUNCS[ufunc.__name__](a, b)
        if ufunc is np.floor_divide and out.dtype.kind == "f" and out.dtype != np.float64:
            raise Unsupported("float32 // (pandas gives float64)")
        return self._like(out, name, keep_name=False)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # np.add(s, 1), np.int8(3) & s: pandas dispatches operator ufuncs to its operators
        name = _OPERATOR_UFUNCS.get(ufunc)
        if name and method == "__call__" and not kwargs and len(inputs) == 2:
            a, b = inputs
            if isinstance(a, Series):
                return getattr(a, f"__{name}__")(b)
            if name in _FLIPPED:
                return getattr(b, f"__{_FLIPPED[name]}__")(a)
            return getattr(b, f"__r{name}__")(a)
        series = [i for i in inputs if isinstance(i, Series)]
        if method == "__call__" and not kwargs and ufunc.__name__ in wnp._UFUNCS and \
                all(s._lazy is not None for s in series) and \
                all(same_index(series[0]._index, s._index) for s in series) and \
                all(isinstance(i, Series) or is_number(i) for i in inputs):
            args = [i._lazy if isinstance(i, Series) else i for i in inputs]
            out = wnp._UFUNCS[ufunc.__name__](*args)
            if isinstance(out, LazyArray) and out.ndim == 1:
                names = {s._name for s in series}
                return series[0]._like(out, names.pop() if len(names) == 1 else None,
                                       keep_name=False)
        return call_pandas(lambda *a, **k: getattr(ufunc, method)(*a, **k), inputs, kwargs,
                           f"numpy.{ufunc.__name__}", "ufunc on a non-lazy Series")

    # -- indexing ------------------------------------------------------------------------
    def _mask_array(self, key):
        """A boolean key as a NumPy mask of this Series' length, or Unsupported."""
        if isinstance(key, Series):
            if key.dtype != np.bool_ or not same_index(self._raw_index(), key._raw_index()):
                raise Unsupported("mask is not an aligned boolean Series")
            return np.asarray(key)
        if isinstance(key, (LazyArray, np.ndarray)) and key.dtype == np.bool_ and \
                key.ndim == 1 and len(key) == len(self):
            return np.array(key)
        if type(key) is list and key and all(type(k) is bool for k in key) and \
                len(key) == len(self):
            return np.array(key)
        raise Unsupported("not a boolean mask")

    def _filter(self, mask: np.ndarray, mask_node=None, count=None) -> "Series":
        if mask_node is None:
            mask_node, count = build.input(mask, "mask"), int(np.count_nonzero(mask))
        if self._lazy is None:
            return Series._from_pandas(self._pd[mask])
        return Series._from_lazy(LazyArray(build.compress(self._lazy.node, mask_node, count)),
                                 MaskedIndex(self._index, mask, count), self._name)

    def _take(self, order: np.ndarray, index) -> "Series":
        if self._lazy is None:
            ps = self._pd.take(order)
            ps.index = index
            return Series._from_pandas(ps)
        return Series._from_lazy(LazyArray(build.take(self._lazy.node, build.input(order), 0)),
                                 index, self._name)

    def _slice(self, sl: slice) -> "Series":
        if self._lazy is None:
            return Series._from_pandas(self._pd.iloc[sl])
        return Series._from_lazy(self._lazy[sl], real_index(self._index)[sl], self._name)

    iloc = property(lambda self: _SeriesIndexer(self, "iloc"))
    loc = property(lambda self: _SeriesIndexer(self, "loc"))

    @_lazy
    def __getitem__(self, key):
        return self._filter(self._mask_array(key))

    def __setitem__(self, key, value):
        try:  # s[mask] = number: a lazy where (the value fits the dtype: no upcast)
            x = self._need_lazy()
            m = self._mask_array(key) if not isinstance(key, Series) else self._cond(key)
            ok = (x.dtype.kind == "f" and type(value) in (int, float)) or \
                (x.dtype == np.int64 and type(value) is int and -2**63 <= value < 2**63)
            if not ok:
                raise Unsupported("value would change the dtype")
            self._lazy = wnp.where(m, value, x)
            return
        except Unsupported as e:
            reason = str(e)
        ps = self.to_pandas().copy()
        ps[to_pandas_obj(key)] = to_pandas_obj(value)
        fallback.LOG.record("pandas.Series.__setitem__", reason)
        self._set_from_pandas(ps)

    @_lazy
    def head(self, n=5):
        return self._slice(slice(None, n) if n >= 0 else slice(None, n))

    @_lazy
    def tail(self, n=5):
        return self._slice(slice(-n, None) if n > 0 else slice(len(self) if n == 0
                                                                 else -n, None))

    # -- NA handling ---------------------------------------------------------------------
    def _pandas_mask(self, name):
        """isna/notna of a column kept in pandas (strings...), as a lazy boolean column."""
        ps = self._pd
        if ps is None:
            return None
        return Series._from_lazy(as_lazy(getattr(ps, name)().to_numpy()), ps.index, ps.name)

    @_lazy
    def isna(self):
        if self._pd is not None:
            return self._pandas_mask("isna")
        x = self._need_lazy()
        if x.dtype.kind == "f":
            return self._like(wnp.isnan(x))
        return self._like(LazyArray(build.full(x.shape, False, np.bool_)))

    isnull = isna

    @_lazy
    def notna(self):
        if self._pd is not None:
            return self._pandas_mask("notna")
        x = self._need_lazy()
        if x.dtype.kind == "f":
            return self._like(~wnp.isnan(x))
        return self._like(LazyArray(build.full(x.shape, True, np.bool_)))

    notnull = notna

    @_lazy
    def fillna(self, value=None, **kwargs):
        x = self._need_lazy()
        if isinstance(value, np.float64) and x.dtype == np.float64:
            value = float(value)  # same dtype: pandas' result is NumPy's
        if kwargs or type(value) not in (int, float):
            raise Unsupported("fillna arguments")
        if x.dtype.kind != "f":
            return self.copy()
        return self._like(wnp.where(wnp.isnan(x), value, x))

    @_lazy
    def dropna(self, **kwargs):
        x = self._need_lazy()
        if kwargs:
            raise Unsupported("dropna arguments")
        if x.dtype.kind != "f":
            return self.copy()
        return self._filter(~np.isnan(np.asarray(x)))

    # -- elementwise methods -------------------------------------------------------------
    @_lazy
    def astype(self, dtype, copy=None, errors="raise"):
        x = self._need_lazy()
        try:
            to = np.dtype(dtype)
        except TypeError:
            raise Unsupported(f"astype({dtype!r})") from None
        k, kt = x.dtype.kind, to.kind
        ok = (k == kt == "f") or (k in "biu" and kt == "f") or \
             (k in "iu" and kt == "b") or (k == "b" and kt in "biu") or \
             (k in "iu" and kt in "iu" and np.can_cast(x.dtype, to, "safe"))
        if not ok:
            raise Unsupported(f"astype {x.dtype} -> {to}")
        return self._like(x.astype(to))

    @_lazy
    def where(self, cond, other=np.nan, **kwargs):
        x = self._need_lazy()
        if kwargs:
            raise Unsupported("where arguments")
        m = self._cond(cond)
        if isinstance(other, Series) and other._lazy is not None and \
                same_index(self._index, other._index) and other.dtype == x.dtype:
            o = other._lazy
        else:
            o = self._fill_scalar(other)
            if x.dtype.kind in "iu" and o is np.nan and np.asarray(m).all():
                return self.copy()  # pandas keeps the integer dtype when nothing is NaN
        return self._like(wnp.where(m, x, o))

    @_lazy
    def mask(self, cond, other=np.nan, **kwargs):
        if kwargs:
            raise Unsupported("mask arguments")
        m = self._cond(cond)
        return Series.where.__wrapped_lazy__(self, self._like(~m), other)

    def _cond(self, cond):
        if isinstance(cond, Series) and cond._lazy is not None and cond.dtype == np.bool_ \
                and same_index(self._index, cond._index):
            return cond._lazy
        if isinstance(cond, (np.ndarray, LazyArray)) and cond.dtype == np.bool_ and \
                cond.shape == (len(self),):
            return cond
        raise Unsupported("condition is not an aligned boolean Series")

    def _fill_scalar(self, other):
        """``other`` when NumPy's promotion with it equals pandas' (else Unsupported)."""
        x = self._lazy
        if type(other) is float and np.isnan(other) and x.dtype.kind in "iuf":
            return np.nan
        if x.dtype == np.float64 and type(other) in (int, float):
            return other
        if x.dtype == np.float64 and type(other) is np.float64:   # s.fillna(s.mean())
            return _data_scalar(other)
        if x.dtype == np.int64 and type(other) is int and -2**63 <= other < 2**63:
            return other
        raise Unsupported(f"fill value {other!r} for dtype {x.dtype}")

    @_lazy
    def clip(self, lower=None, upper=None, **kwargs):
        x = self._need_lazy()
        ok = int if x.dtype.kind in "iu" else (int, float)
        if kwargs or x.dtype.kind == "b" or any(
                b is not None and (type(b) not in (ok if isinstance(ok, tuple) else (ok,))
                                   or b != b) for b in (lower, upper)):
            raise Unsupported("clip arguments")
        if lower is not None and upper is not None and lower > upper:
            raise Unsupported("lower > upper")
        out = x
        if lower is not None:
            out = wnp.maximum(out, lower)
        if upper is not None:
            out = wnp.minimum(out, upper)
        if out.dtype != x.dtype:
            raise Unsupported("bounds change the dtype")
        return self._like(out if out is not x else x.copy())

    @_lazy
    def abs(self):
        x = self._need_lazy()
        if x.dtype.kind == "b":
            raise Unsupported("abs of booleans")
        return self._like(wnp.absolute(x))

    @_lazy
    def round(self, decimals=0):
        x = self._need_lazy()
        if x.dtype.kind not in "iuf" or type(decimals) is not int:
            raise Unsupported("round arguments")
        return self._like(wnp.round(x, decimals) if x.dtype.kind == "f" else x.copy())

    @_lazy
    def between(self, left, right, inclusive="both"):
        x = self._need_lazy()
        if not (is_number(left) and is_number(right)) or inclusive not in \
                ("both", "neither", "left", "right"):
            raise Unsupported("between arguments")
        lo = x >= left if inclusive in ("both", "left") else x > left
        hi = x <= right if inclusive in ("both", "right") else x < right
        return self._like(lo & hi)

    @_lazy
    def isin(self, values):
        x = self._need_lazy()
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise Unsupported("isin of a non-list")
        values = list(values)
        if len(values) > 16 or not all(type(v) in (int, float) for v in values):
            raise Unsupported("isin values")
        out = LazyArray(build.full(x.shape, False, np.bool_))
        for v in dict.fromkeys(values):
            out = out | (wnp.isnan(x) if v != v and x.dtype.kind == "f" else x == v)
        return self._like(out)

    # -- reductions: NumPy scalars, as pandas returns ------------------------------------
    def _reduce_args(self, skipna, kwargs):
        x = self._need_lazy()
        if kwargs or skipna not in (True, False):
            raise Unsupported("reduction arguments")
        return x

    @_lazy
    def sum(self, axis=None, skipna=True, numeric_only=False, min_count=0, **kwargs):
        x = self._reduce_args(skipna, kwargs)
        if min_count or axis not in (None, 0) or numeric_only:
            raise Unsupported("sum arguments")
        fn = wnp.nansum if skipna and x.dtype.kind == "f" else wnp.sum
        return _scalar(fn(x))

    @_lazy
    def mean(self, axis=None, skipna=True, numeric_only=False, **kwargs):
        x = self._reduce_args(skipna, kwargs)
        if axis not in (None, 0) or numeric_only or x.dtype.kind == "f" and \
                x.dtype != np.float64:
            raise Unsupported("mean arguments")
        if len(x) == 0:
            return float("nan")  # pandas: a Python float for an empty column
        if x.dtype.kind == "f":
            fn = wnp.nanmean if skipna else wnp.mean
            with np.errstate(all="ignore"):
                r = _scalar(fn(x))
            if skipna and np.isnan(r) and not np.asarray(~wnp.isnan(x)).any():
                return float("nan")  # pandas: a Python float when no value is counted
            return r
        return _scalar(wnp.mean(x.astype(np.float64) if x.dtype.kind == "b" else x))

    def _extreme(self, fn, nanfn, skipna, kwargs):
        x = self._reduce_args(skipna, kwargs)
        if len(x) == 0:
            return float("nan")  # pandas: a Python float for an empty column
        return _scalar((nanfn if skipna and x.dtype.kind == "f" else fn)(x))

    @_lazy
    def min(self, axis=None, skipna=True, numeric_only=False, **kwargs):
        return self._extreme(wnp.min, wnp.nanmin, skipna, kwargs)

    @_lazy
    def max(self, axis=None, skipna=True, numeric_only=False, **kwargs):
        return self._extreme(wnp.max, wnp.nanmax, skipna, kwargs)

    def _moment(self, fn, nanfn, skipna, ddof, kwargs):
        x = self._reduce_args(skipna, kwargs)
        if type(ddof) is not int or x.dtype.kind == "b" or x.dtype.kind == "f" and \
                x.dtype != np.float64:
            raise Unsupported("moment arguments")
        if len(x) == 0:
            return float("nan")
        xf = x if x.dtype.kind == "f" else x.astype(np.float64)
        n = _scalar(wnp.sum(~wnp.isnan(xf))) if skipna else len(x)
        if n <= ddof:
            return np.float64(np.nan)
        with np.errstate(all="ignore"):
            return _scalar((nanfn if skipna else fn)(xf, ddof=ddof))

    @_lazy
    def var(self, axis=None, skipna=True, ddof=1, numeric_only=False, **kwargs):
        return self._moment(wnp.var, wnp.nanvar, skipna, ddof, kwargs)

    @_lazy
    def std(self, axis=None, skipna=True, ddof=1, numeric_only=False, **kwargs):
        return self._moment(wnp.std, wnp.nanstd, skipna, ddof, kwargs)

    @_lazy
    def count(self):
        x = self._need_lazy()
        if x.dtype.kind != "f":
            return np.int64(len(x))
        return np.int64(_scalar(wnp.sum(~wnp.isnan(x))))

    @_lazy
    def any(self, axis=0, bool_only=False, skipna=True, **kwargs):
        return self._any_all(wnp.any, axis, bool_only, skipna, kwargs)

    @_lazy
    def all(self, axis=0, bool_only=False, skipna=True, **kwargs):
        return self._any_all(wnp.all, axis, bool_only, skipna, kwargs)

    def _any_all(self, fn, axis, bool_only, skipna, kwargs):
        x = self._reduce_args(skipna, kwargs)
        if axis not in (None, 0, "index") or bool_only or x.dtype.kind not in "biuf":
            raise Unsupported("any/all arguments")
        truth = x if x.dtype.kind == "b" else x != 0   # NaN != 0: NaN counts as True
        if skipna and x.dtype.kind == "f":  # NaN skipped: neither True nor False
            truth = truth & ~wnp.isnan(x) if fn is wnp.any else truth | wnp.isnan(x)
        return np.bool_(_scalar(fn(truth)))

    @_lazy
    def cumsum(self, axis=None, skipna=True, *args, **kwargs):
        return self._scan(wnp.cumsum, wnp.nancumsum, axis, skipna, args, kwargs)

    @_lazy
    def cumprod(self, axis=None, skipna=True, *args, **kwargs):
        return self._scan(wnp.cumprod, wnp.nancumprod, axis, skipna, args, kwargs)

    def _scan(self, fn, nanfn, axis, skipna, args, kwargs):
        """NumPy's running sum/product (its dtypes are pandas': int8 -> int64, bool ->
        int64); with skipna a NaN stays in its place and the running value skips it."""
        x = self._need_lazy()
        if args or kwargs or axis not in (None, 0, "index") or skipna not in (True, False):
            raise Unsupported("scan arguments")
        if x.dtype.kind != "f" or not skipna:
            return self._like(fn(x))
        return self._like(wnp.where(wnp.isnan(x), np.nan, nanfn(x)))

    def _shifted(self, periods):
        """(x shifted by ``periods`` with NaN where no value comes in, or None for a
        shift of 0) in pandas' dtype: ints become float64, floats keep theirs."""
        x = self._need_lazy()
        if type(periods) is not int or x.dtype.kind not in "iuf":
            raise Unsupported("shift of this dtype or by these periods")
        n, k = len(x), min(abs(periods), len(x))
        if periods == 0:
            return None
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
        pad = wnp.full(k, np.nan, dtype)
        return wnp.concatenate([pad, x[:n - k].astype(dtype)] if periods > 0 else
                               [x[k:].astype(dtype), pad])

    @_lazy
    def shift(self, periods=1, freq=None, axis=0, fill_value=None, suffix=None):
        if freq is not None or axis not in (0, "index") or fill_value is not None or \
                suffix is not None:
            raise Unsupported("shift arguments")
        out = self._shifted(periods)
        return self.copy() if out is None else self._like(out)

    @_lazy
    def diff(self, periods=1):
        """x - x.shift(periods), the difference taken in the column's dtype and then
        converted as pandas does (int8/int16 -> float32, other ints -> float64)."""
        x = self._need_lazy()
        if type(periods) is not int or x.dtype.kind not in "iuf" or \
                x.dtype.kind == "u" and x.dtype.itemsize < 8:
            raise Unsupported("diff of this dtype or by these periods")
        n, k = len(x), min(abs(periods), len(x))
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(
            np.float32 if x.dtype.itemsize <= 2 else np.float64)
        with np.errstate(all="ignore"):
            d = (x[k:] - x[:n - k]) if periods >= 0 else (x[:n - k] - x[k:])
        if periods == 0:
            return self._like(d.astype(dtype))
        pad = wnp.full(k, np.nan, dtype)
        return self._like(wnp.concatenate([pad, d.astype(dtype)] if periods > 0 else
                                          [d.astype(dtype), pad]))

    @_lazy
    def nunique(self, dropna=True):
        """Distinct values: the group count of the compiled hash (weldish.relational)."""
        from .. import relational
        if dropna not in (True, False):
            raise Unsupported("dropna")
        values = np.asarray(self._lazy) if self._lazy is not None else self._pd.array
        return int(relational.factorize([values], sort=False, dropna=dropna)[2])

    @_lazy
    def value_counts(self, normalize=False, sort=True, ascending=False, bins=None,
                     dropna=True):
        """Counts per value from the compiled hash; ties keep first appearance (pandas)."""
        from .. import relational
        if normalize or ascending or bins is not None or dropna is not True or \
                sort not in (True, False) or isinstance(self.dtype, pd.CategoricalDtype):
            raise Unsupported("value_counts arguments")
        values = np.asarray(self._lazy) if self._lazy is not None else self._pd.array
        if values.dtype.kind == "f" and np.signbit(values[values == 0]).any():
            raise Unsupported("-0.0 (pandas labels its group by the first zero seen)")
        codes, uniques, n = relational.factorize([values], sort=False, dropna=True)
        counts = np.bincount(codes[codes >= 0], minlength=n).astype(np.int64)
        order = np.argsort(-counts, kind="stable") if sort else np.arange(n)
        index = pd.Index(uniques[0], name=self.name).take(order)
        if index.dtype != self.dtype:
            index = index.astype(self.dtype)
        return Series._from_pandas(pd.Series(counts[order], index=index, name="count"))

    # -- ordering ------------------------------------------------------------------------
    @_lazy
    def sort_values(self, *, axis=0, ascending=True, inplace=False, kind="quicksort",
                    na_position="last", ignore_index=False, key=None):
        self._need_lazy()
        if inplace or key is not None or axis not in (0, "index"):
            raise Unsupported("sort_values arguments")
        ps = self.to_pandas()
        order = pd.Series(ps.to_numpy()).sort_values(
            ascending=ascending, kind=kind, na_position=na_position).index.to_numpy()
        index = pd.RangeIndex(len(order)) if ignore_index else \
            real_index(self._index).take(order)
        return self._take(order, index)

    @_lazy
    def drop_duplicates(self, *, keep="first", inplace=False, ignore_index=False):
        self._need_lazy()
        if inplace or ignore_index:
            raise Unsupported("drop_duplicates arguments")
        mask = ~pd.Series(np.asarray(self._lazy)).duplicated(keep=keep).to_numpy()
        return self._filter(mask)

    # -- accessors and functions ---------------------------------------------------------
    @property
    def str(self):
        from .strings import StringMethods
        return StringMethods(self)

    def apply(self, func, args=(), *, by_row="compat", **kwargs):
        """``pandas.Series.apply``: a Python function compiled with Numba where it gives
        pandas' result, else run by pieces (``weldish.pandas.udf``)."""
        from .udf import apply_series
        return apply_series(self, func, args, kwargs, "apply", by_row=by_row)

    def map(self, func=None, na_action=None, engine=None, **kwargs):
        """``pandas.Series.map``: functions as in ``apply``; mappings run in pandas."""
        from .udf import apply_series
        if callable(func) and engine is None and not isinstance(func, pd.Series):
            return apply_series(self, func, (), kwargs, "map", na_action=na_action)
        return call_pandas(pd.Series.map, (self, func, na_action, engine), kwargs,
                           "pandas.Series.map", "mapping, engine or arg=")


class _SeriesIndexer(PandasIndexer):
    """``.iloc[slice]`` and ``.loc[boolean mask]`` lazy; the rest (labels, positions,
    assignments) in pandas."""

    def __init__(self, s, kind):
        super().__init__(s, "Series", kind)

    def __getitem__(self, key):
        s = self.obj
        if s._lazy is not None:
            if self.name == "iloc" and type(key) is slice and all(
                    v is None or type(v) is int for v in (key.start, key.stop, key.step)) \
                    and key.step != 0:
                return s._slice(key)
            if self.name == "loc":
                try:
                    return s._filter(s._mask_array(key))
                except Unsupported:
                    pass
        return self._pandas(key, "indexing runs in pandas")


_OPERATOR_UFUNCS = {np.add: "add", np.subtract: "sub", np.multiply: "mul",
                    np.true_divide: "truediv", np.floor_divide: "floordiv",
                    np.remainder: "mod", np.power: "pow", np.bitwise_and: "and",
                    np.bitwise_or: "or", np.bitwise_xor: "xor", np.equal: "eq",
                    np.not_equal: "ne", np.less: "lt", np.less_equal: "le",
                    np.greater: "gt", np.greater_equal: "ge"}
_FLIPPED = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
_ARITH = {np.add, np.subtract, np.multiply, np.divide, np.floor_divide, np.remainder,
          np.power}


def _data_scalar(v: np.float64) -> LazyArray:
    """A NumPy float64 scalar operand of a float64 column (the same dtypes as the Python
    float pandas takes it for) as a 0-d input: a value computed from the data
    (``df - df.mean()``, ``s.fillna(s.mean())``) is then a kernel argument, not a constant
    compiled into the kernel, so new data does not compile the kernel again."""
    return wnp.asarray(np.array(v))


def _plain_int_op(ufunc, dtype, y, reflected) -> bool:
    """Is ``int column <op> y`` for //, %, ** exactly NumPy's (pandas runs NumPy there):
    a Python int right operand within the column's range, positive for // and %, not
    negative for ** (zero divisors, negative powers and out-of-range scalars follow
    pandas' own rules, so those run in pandas)."""
    if reflected or type(y) is not int or dtype.kind not in "iu":
        return False
    low = 0 if ufunc is np.power else 1
    return low <= y <= np.iinfo(dtype).max


def _scalar(x):
    """A 0-d lazy result as the NumPy scalar pandas returns (pandas gives NaN for an
    all-NaN column without NumPy's 'All-NaN slice' / 'Mean of empty slice' warnings)."""
    if not isinstance(x, LazyArray):
        return x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(x)[()]


def _install_operators():
    table = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.divide,
             "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power,
             "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}
    cmp = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
           "gt": np.greater, "ge": np.greater_equal}

    def make(dunder, ufunc, reflected):
        def op(self, other):
            if self._defer is not None and not reflected:
                pushed = _defer_op(self, dunder, other)
                if pushed is not None:
                    return pushed
            try:
                return self._binary(ufunc, other, reflected)
            except Exception as e:  # noqa: BLE001 - pandas decides: its result or error
                reason = f"{type(e).__name__}: {e}"
            return call_pandas(getattr(pd.Series, dunder), (self, other), {},
                               f"pandas.Series.{dunder}", reason)
        op.__name__ = dunder
        return op

    for name, ufunc in table.items():
        setattr(Series, f"__{name}__", make(f"__{name}__", ufunc, False))
        setattr(Series, f"__r{name}__", make(f"__r{name}__", ufunc, True))
        setattr(Series, name, make(f"__{name}__", ufunc, False))
        setattr(Series, f"r{name}", make(f"__r{name}__", ufunc, True))
    Series.div, Series.rdiv = Series.truediv, Series.rtruediv
    Series.subtract, Series.multiply, Series.divide = Series.sub, Series.mul, Series.truediv
    for name, ufunc in cmp.items():
        setattr(Series, f"__{name}__", make(f"__{name}__", ufunc, False))
        setattr(Series, name, make(f"__{name}__", ufunc, False))

    def unary(dunder, ufunc, kinds):
        def op(self):
            if self._lazy is not None and self.dtype.kind in kinds:
                return self._like(ufunc(self._lazy))
            return call_pandas(getattr(pd.Series, dunder), (self,), {},
                               f"pandas.Series.{dunder}", "not lazy for this dtype")
        return op
    Series.__neg__ = unary("__neg__", wnp.negative, "iuf")
    plain_invert = unary("__invert__", wnp.invert, "biu")

    def invert(self):
        d = self._defer
        if d is not None and d[1] is not None:  # NaN compares False in pandas: ~ -> True
            import pyarrow as pa
            import pyarrow.compute as pc
            return Series._deferred(d[0], d[3], ~pc.coalesce(d[1], pa.scalar(False)), d[2])
        return plain_invert(self)
    Series.__invert__ = invert
    Series.__abs__ = unary("__abs__", wnp.absolute, "iuf")
    Series.__pos__ = unary("__pos__", wnp.positive, "iuf")
    Series.__hash__ = None

    def bool_(self):
        raise ValueError(f"The truth value of a {type(self).__name__} is ambiguous. Use "
                         "a.empty, a.bool(), a.item(), a.any() or a.all().")
    Series.__bool__ = bool_


def _defer_op(s, dunder, other):
    """A comparison of a scanned column with a scalar, or ``&``/``|`` of two such, as a
    pyarrow expression (pushed into the scan by ``frame[mask]``); None: not pushable."""
    import pyarrow.compute as pc

    from .io import comparable
    view, expr, used, name = s._defer
    op = dunder.strip("_")
    if op in ("eq", "ne", "lt", "le", "gt", "ge") and expr is None and \
            comparable(view, name, other):
        f = pc.field(name)
        v = other.item() if isinstance(other, np.generic) else other
        e = {"eq": f == v, "ne": (f != v) | f.is_null(), "lt": f < v, "le": f <= v,
             "gt": f > v, "ge": f >= v}[op]
        return Series._deferred(view, name, e, {name})
    od = other.__dict__.get("_defer") if isinstance(other, Series) else None
    if op in ("and", "or") and expr is not None and od is not None and \
            od[1] is not None and od[0] is view:
        e = (expr & od[1]) if op == "and" else (expr | od[1])
        return Series._deferred(view, name if name == od[3] else None, e, used | od[2])
    return None


_install_operators()

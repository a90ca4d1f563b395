"""Lazy ``DataFrame``: an ordered dict of weldish Series sharing one index.

Numeric columns are LazyArrays, so filters, arithmetic and column assignments record one
graph; a frame pandas cannot hold that way (duplicate or MultiIndex columns) keeps the real
DataFrame, and every method without a lazy version runs in pandas (recorded fallback).
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from .. import fallback
from .. import numpy as wnp
from ..ir import build
from ..lazy import LazyArray, Unsupported
from . import _interop
from ._common import (call_method, call_pandas, fallback_attr, is_number, lazy_dtype,
                      lazy_or_pandas, MaskedIndex, PandasIndexer, real_index, record_lazy,
                      same_index, to_pandas_obj)
from .series import Series, as_lazy

_lazy = lazy_or_pandas("DataFrame")
_OWN = ("_cols", "_index", "_pd", "_colindex", "_scan")


class DataFrame:
    """``pandas.DataFrame``, lazy for NumPy numeric columns (see the module docstring)."""
    __array_priority__ = 200

    def __init__(self, data=None, index=None, columns=None, dtype=None, copy=None):
        if type(data) is dict and data and index is None and columns is None and \
                dtype is None and self._init_lazy(data):
            return
        self._set_from_pandas(pd.DataFrame(to_pandas_obj(data), index=to_pandas_obj(index),
                                           columns=to_pandas_obj(columns), dtype=dtype,
                                           copy=copy))

    def _init_lazy(self, data: dict) -> bool:
        """A dict of lazy arrays / lazy Series of one index: no evaluation."""
        cols, index = {}, None
        for k, v in data.items():
            if isinstance(v, LazyArray) and v.ndim == 1 and lazy_dtype(v.dtype):
                v = Series(v)
            if not isinstance(v, Series) or v._lazy is None:
                return False
            if index is None:
                index = v._index
            if not same_index(index, v._index):
                return False
            cols[k] = Series._from_lazy(v._lazy, index, k)
        if len({len(c) for c in cols.values()}) != 1:
            return False
        self._setup(cols, index)
        return True

    # -- construction and conversion -----------------------------------------------------
    def _setup(self, cols: dict, index, colindex=None, pdf=None):
        d = self.__dict__
        d["_cols"], d["_index"], d["_colindex"], d["_pd"] = cols, index, colindex, pdf
        d.setdefault("_scan", None)

    @classmethod
    def _from_pandas(cls, pdf: pd.DataFrame) -> "DataFrame":
        f = cls.__new__(cls)
        f._set_from_pandas(pdf)
        return f

    @classmethod
    def _from_scan(cls, view) -> "DataFrame":
        f = cls.__new__(cls)
        f._setup(None, None)
        f.__dict__["_scan"] = view
        return f

    def _get_cols(self, names=None) -> dict:
        """Columns ``names`` (default all) without reading a scan's other columns."""
        if self._scan is not None and self._cols is None:
            return {n: self._scan.cached_column(n) for n in (names or self._scan.names)}
        cols = self._frame()
        return cols if names is None else {n: cols[n] for n in names}

    def _lazy_columns(self):
        if self._cols is None:
            return []
        return [s._lazy for s in self._cols.values() if s._lazy is not None]

    def _explain_scan(self):
        return self._scan.explain() if self._scan is not None else None

    @classmethod
    def _from_cols(cls, cols: dict, index, colindex=None) -> "DataFrame":
        f = cls.__new__(cls)
        f._setup(cols, index, colindex)
        return f

    def _set_from_pandas(self, pdf: pd.DataFrame):
        self.__dict__["_scan"] = None
        if not pdf.columns.is_unique or isinstance(pdf.columns, pd.MultiIndex):
            self._setup(None, None, None, pdf)
            return
        cols = {}
        for i, c in enumerate(pdf.columns):
            s = Series._from_pandas(pdf.iloc[:, i])
            if s._lazy is not None:
                s._index = pdf.index
            cols[c] = s
        self._setup(cols, pdf.index, pdf.columns)

    def _frame(self):
        """The column dict (reading a scan's columns first), or Unsupported."""
        if self._scan is not None:
            self._scan.load(self)
        if self._pd is not None:
            raise Unsupported("frame kept in pandas (duplicate or MultiIndex columns)")
        return self._cols

    __pandas_priority__ = _interop.PRIORITY  # real pandas operators defer to ours
    _typ = "dataframe"   # pandas' own type checks (ABCDataFrame) without computing the value
    # isinstance(x, pandas.DataFrame) is True, as for cudf.pandas' proxies: libraries that check
    # it (scikit-learn's feature names, plotting by column...) take the frame as a frame
    __class__ = property(lambda self: pd.DataFrame)

    def __reduce__(self):  # pickled as its pandas value (a lazy one is computed)
        return DataFrame._from_pandas, (self.to_pandas(),)

    def to_pandas(self) -> pd.DataFrame:
        """The real pandas DataFrame (lazy columns evaluated together, in one pass)."""
        if self._scan is not None:
            self._scan.load(self)
        if self._pd is not None:
            return self._pd
        from ..evaluate import evaluate_many
        lazies = [s._lazy for s in self._cols.values() if s._lazy is not None]
        values = iter(evaluate_many(lazies))
        data = {}
        index = real_index(self._index)
        for i, (k, s) in enumerate(self._cols.items()):
            data[i] = pd.Series(next(values), index=index, copy=False) \
                if s._lazy is not None else s._pd
        pdf = pd.DataFrame(data, index=index, copy=False)
        pdf.columns = self.columns
        return pdf

    @property
    def columns(self):
        if self._scan is not None and self._cols is None:
            return pd.Index(self._scan.columns)
        if self._pd is not None:
            return self._pd.columns
        if self._colindex is not None and len(self._colindex) == len(self._cols):
            return self._colindex
        return pd.Index(list(self._cols))

    @columns.setter
    def columns(self, value):
        pdf = self.to_pandas().copy(deep=False)
        pdf.columns = to_pandas_obj(value)
        self._set_from_pandas(pdf)

    @property
    def index(self):
        if self._scan is not None and self._cols is None:
            return self._scan.index()
        self._frame() if self._pd is None else None
        return real_index(self._index) if self._pd is None else self._pd.index

    @index.setter
    def index(self, value):
        pdf = self.to_pandas().copy(deep=False)
        pdf.index = to_pandas_obj(value)
        self._set_from_pandas(pdf)

    @property
    def dtypes(self):
        if self._pd is not None or self._cols is None:
            return self.to_pandas().dtypes
        return pd.Series([s.dtype for s in self._cols.values()], index=self.columns,
                         dtype=object)

    shape = property(lambda self: (len(self), len(self.columns)))
    ndim = property(lambda self: 2)
    size = property(lambda self: len(self) * len(self.columns))
    empty = property(lambda self: len(self) == 0 or len(self.columns) == 0)

    def __len__(self):
        if self._scan is not None and self._cols is None:
            return len(self._scan.index())
        if self._pd is None:
            self._frame()
            return len(self._index)
        return len(self._pd)

    def __iter__(self):
        return iter(self.columns)

    def keys(self):
        return self.columns

    def items(self):
        for k in self.columns:
            yield k, self[k]

    def __contains__(self, key):
        return key in self.columns

    def __repr__(self):
        return repr(self.to_pandas())

    def __str__(self):
        return str(self.to_pandas())

    def _repr_html_(self):
        return self.to_pandas()._repr_html_()

    def __array__(self, dtype=None, copy=None):
        return self.to_pandas().to_numpy(dtype=dtype)

    def map(self, func, na_action=None, **kwargs):
        """``pandas.DataFrame.map``: elementwise, each numeric column compiled with Numba
        where it gives pandas' result, else run by pieces (``weldish.pandas.udf``)."""
        from .udf import map_frame
        return map_frame(self, func, na_action, kwargs)

    def __getattr__(self, name):
        if name.startswith("__") or name in _OWN:
            raise AttributeError(name)
        if hasattr(pd.DataFrame, name):  # a method/property wins over a column, as pandas
            return fallback_attr(self, "DataFrame", name)
        if self._pd is None and (self._cols or {}).get(name) is not None or \
                (self._scan is not None and name in self._scan.columns and
                 self._cols is None):
            return self[name]
        return fallback_attr(self, "DataFrame", name)

    def __setattr__(self, name, value):
        if name in ("index", "columns"):
            object.__setattr__(self, name, value)
        elif not name.startswith("_") and self._pd is None and self._cols is not None \
                and name in self._cols:
            self[name] = value
        else:
            self.__dict__[name] = value

    def copy(self, deep=True):
        if self._pd is not None or self._scan is not None:
            return DataFrame._from_pandas(self.to_pandas().copy(deep=deep))
        return DataFrame._from_cols({k: s.copy() for k, s in self._cols.items()},
                                    self._index, self._colindex)

    # -- columns -------------------------------------------------------------------------
    def __getitem__(self, key):
        if self._scan is not None and self._cols is None:
            out = self._scan.getitem(self, key)
            if out is not None:
                return out
        try:
            cols = self._frame()
            if isinstance(key, (Series, np.ndarray, LazyArray)) or type(key) is list and \
                    key and all(type(k) is bool for k in key):
                return self._filter(Series._mask_array(self._col0(), key))
            if type(key) is list and all(_hashable(k) and k in cols for k in key):
                return self._select(key)
            if _hashable(key) and key in cols:
                return cols[key].copy()
            raise Unsupported("key")
        except Unsupported as e:
            reason = str(e)
        return call_pandas(lambda f, k: f[k], (self, key), {}, "pandas.DataFrame.__getitem__",
                           reason)

    def _col0(self):
        """A stand-in Series with this frame's index (mask checks)."""
        s = Series.__new__(Series)
        s._lazy, s._pd, s._index, s._name = LazyArray(build.full((len(self._index),), 0,
                                                                np.int8)), None, self._index, None
        return s

    def _select(self, keys) -> "DataFrame":
        return DataFrame._from_cols({k: self._cols[k] for k in keys}, self._index,
                                    self.columns[self.columns.get_indexer(keys)])

    def _filter(self, mask: np.ndarray) -> "DataFrame":
        node, count = build.input(mask, "mask"), int(np.count_nonzero(mask))
        index = MaskedIndex(self._index, mask, count)
        cols = {}
        for k, s in self._cols.items():
            c = s._filter(mask, node, count)
            if c._lazy is not None:
                c._index = index
            cols[k] = c
        return DataFrame._from_cols(cols, index, self._colindex)

    def _with_cols(self, cols: dict) -> "DataFrame":
        same = self._colindex is not None and list(cols) == list(self._cols)
        return DataFrame._from_cols(cols, self._index, self._colindex if same else None)

    def _as_column(self, key, value) -> Series:
        """``value`` as a column of this frame (no alignment needed), or Unsupported."""
        n = len(self._index)
        if isinstance(value, Series):
            if not same_index(self._index, value._raw_index()):
                raise Unsupported("column with another index (alignment)")
            if value._lazy is not None:
                return Series._from_lazy(value._lazy, self._index, key)
            return Series._from_pandas(value._pd.rename(key))
        if isinstance(value, (LazyArray, np.ndarray)) and value.ndim == 1 and \
                len(value) == n and lazy_dtype(value.dtype):
            return Series._from_lazy(value if isinstance(value, LazyArray) else
                                     as_lazy(np.array(value)), self._index, key)
        if is_number(value) or type(value) is bool:
            return Series._from_lazy(LazyArray(build.full((n,), value)), self._index, key)
        raise Unsupported(f"column value of type {type(value).__name__}")

    def __setitem__(self, key, value):
        try:
            cols = self._frame()
            if not _hashable(key) or isinstance(key, tuple):
                raise Unsupported("key")
            col = self._as_column(key, value)
            cols[key] = col
            if self._colindex is not None and key not in self._colindex:
                self.__dict__["_colindex"] = None
            return
        except Unsupported as e:
            reason = str(e)
        pdf = self.to_pandas().copy()
        pdf[to_pandas_obj(key)] = to_pandas_obj(value)
        fallback.LOG.record("pandas.DataFrame.__setitem__", reason)
        self._set_from_pandas(pdf)

    def __delitem__(self, key):
        self._frame()
        del self._cols[key]
        self.__dict__["_colindex"] = None

    def pop(self, item):
        col = self[item]
        del self[item]
        return col

    def assign(self, **kwargs):
        out = self.copy()
        for k, v in kwargs.items():
            out[k] = v(out) if callable(v) else v
        return out

    def query(self, expr, *, inplace=False, **kwargs):
        """A boolean expression of columns and ``@locals``: a lazy filter (see
        ``weldish.pandas.expr``); anything else in pandas, with the caller's variables."""
        from .expr import is_mask

        def rows(target, mask):
            if target is not None or not is_mask(mask):
                raise Unsupported("not a boolean column expression")
            return self[mask]
        return self._expression("query", expr, inplace, kwargs, rows)

    def eval(self, expr, *, inplace=False, **kwargs):
        """An expression of columns (or ``name = expression``, a new frame with that
        column): lazy (see ``weldish.pandas.expr``); anything else in pandas, with the
        caller's variables."""
        def value(target, column):
            if not isinstance(column, Series):
                raise Unsupported("not a column expression")
            if target is None:
                return column
            out = self.copy()
            out[target] = column
            return out
        return self._expression("eval", expr, inplace, kwargs, value)

    def _expression(self, name, expr, inplace, kwargs, finish):
        """``query``/``eval``: ``finish(target, weldish value)`` of the translated string,
        or pandas' own method given the variables of the caller of ``name``."""
        from .expr import caller_scope, translate
        kwargs = caller_scope(kwargs, 2)
        t0 = time.perf_counter()
        try:
            if inplace or set(kwargs) - {"local_dict", "global_dict"}:
                raise Unsupported(f"{name} arguments")
            out = finish(*translate(self, expr, kwargs["local_dict"]))
            record_lazy(f"pandas.DataFrame.{name}", t0)
            return out
        except (Unsupported, SyntaxError) as e:
            reason = f"{type(e).__name__}: {e}"
        if inplace:   # (passed only when given: pandas warns that it is deprecated)
            kwargs["inplace"] = True
        return call_method(self, "DataFrame", name, (expr,), kwargs, reason)

    @_lazy
    def drop(self, labels=None, *, axis=0, index=None, columns=None, level=None,
             inplace=False, errors="raise"):
        cols = self._frame()
        if labels is not None and axis in (1, "columns"):
            columns = labels
        elif labels is not None or index is not None or level is not None or inplace:
            raise Unsupported("drop arguments")
        names = [columns] if _hashable(columns) and not isinstance(columns, tuple) \
            else list(columns)
        missing = [c for c in names if c not in cols]
        if missing and errors == "raise":
            raise Unsupported("missing columns")
        keep = [k for k in cols if k not in names]
        return self._select(keep)

    @_lazy
    def rename(self, mapper=None, *, index=None, columns=None, axis=None, copy=None,
               inplace=False, level=None, errors="ignore"):
        cols = self._frame()
        if mapper is not None or index is not None or inplace or level is not None or \
                type(columns) is not dict or errors != "ignore":
            raise Unsupported("rename arguments")
        new = {}
        for k, s in cols.items():
            k2 = columns.get(k, k)
            new[k2] = s.rename(k2) if s._lazy is not None else Series._from_pandas(
                s._pd.rename(k2))
        if len(new) != len(cols):
            raise Unsupported("renaming to duplicate names")
        return DataFrame._from_cols(new, self._index)

    @_lazy
    def head(self, n=5):
        return self._rows(slice(None, n))

    @_lazy
    def tail(self, n=5):
        return self._rows(slice(-n, None) if n > 0 else
                          slice(len(self) if n == 0 else -n, None))

    def _rows(self, sl):
        cols = self._frame()
        index = real_index(self._index)[sl]
        out = {}
        for k, s in cols.items():
            c = s._slice(sl)
            if c._lazy is not None:
                c._index = index
            out[k] = c
        return DataFrame._from_cols(out, index, self._colindex)

    # -- column-wise methods -------------------------------------------------------------
    def _each(self, name, *args, **kwargs) -> "DataFrame":
        """The Series method's lazy version on every column (Unsupported if any can't)."""
        cols = self._frame()
        impl = getattr(Series, name).__wrapped_lazy__
        return self._with_cols({k: impl(s, *args, **kwargs) for k, s in cols.items()})

    @_lazy
    def isna(self):
        return self._each("isna")

    isnull = isna

    @_lazy
    def notna(self):
        return self._each("notna")

    notnull = notna

    @_lazy
    def fillna(self, value=None, **kwargs):
        return self._each("fillna", value, **kwargs)

    @_lazy
    def abs(self):
        return self._each("abs")

    @_lazy
    def round(self, decimals=0):
        return self._each("round", decimals)

    @_lazy
    def clip(self, lower=None, upper=None, **kwargs):
        return self._each("clip", lower, upper, **kwargs)

    @_lazy
    def cumsum(self, axis=None, skipna=True):
        return self._each_row_wise("cumsum", axis, skipna=skipna)

    @_lazy
    def cumprod(self, axis=None, skipna=True):
        return self._each_row_wise("cumprod", axis, skipna=skipna)

    @_lazy
    def shift(self, periods=1, freq=None, axis=0, fill_value=None, suffix=None):
        return self._each_row_wise("shift", axis, periods, freq=freq, fill_value=fill_value,
                                   suffix=suffix)

    @_lazy
    def diff(self, periods=1, axis=0):
        return self._each_row_wise("diff", axis, periods)

    def _each_row_wise(self, name, axis, *args, **kwargs):
        if axis not in (None, 0, "index"):
            raise Unsupported(f"{name} along the columns")
        if len(self) == 0:   # pandas' frame.shift keeps an empty int column int64
            raise Unsupported("empty frame")
        return self._each(name, *args, **kwargs)

    @_lazy
    def astype(self, dtype, copy=None, errors="raise"):
        cols = self._frame()
        impl = Series.astype.__wrapped_lazy__
        if isinstance(dtype, dict):
            if any(k not in cols for k in dtype):
                raise Unsupported("astype of a missing column")
            return self._with_cols({k: impl(s, dtype[k]) if k in dtype else s
                                    for k, s in cols.items()})
        return self._each("astype", dtype)

    @_lazy
    def dropna(self, *, axis=0, how="any", thresh=None, subset=None, inplace=False,
               ignore_index=False):
        cols = self._frame()
        if axis not in (0, "index") or thresh is not None or inplace or ignore_index or \
                how not in ("any", "all"):
            raise Unsupported("dropna arguments")
        names = list(cols) if subset is None else \
            ([subset] if _hashable(subset) and not isinstance(subset, tuple) else list(subset))
        if any(k not in cols for k in names):
            raise Unsupported("missing subset column")
        notna = []
        for k in names:
            s = cols[k]
            notna.append(np.asarray(s._pd.notna()) if s._lazy is None else
                         (~wnp.isnan(s._lazy) if s.dtype.kind == "f" else None))
        notna = [m for m in notna if m is not None]
        if not notna:
            return self.copy()
        keep = notna[0]
        for m in notna[1:]:
            keep = keep & m if how == "any" else keep | m
        return self._filter(np.array(np.asarray(keep), dtype=bool))

    # -- reductions: one Series over the columns (all of one NumPy dtype, else pandas) ----
    def _reduce(self, how, axis, skipna, numeric_only, kwargs):
        cols = self._frame()
        if axis not in (0, "index") or numeric_only or not cols or \
                any(s._lazy is None for s in cols.values()) or \
                len({s.dtype for s in cols.values()}) != 1:
            raise Unsupported("reduction over mixed or non-lazy columns, or arguments")
        impl = getattr(Series, how).__wrapped_lazy__
        values = [impl(s, skipna=skipna, **kwargs) for s in cols.values()]
        if any(type(v) is float for v in values):  # an empty column: pandas' float NaN
            raise Unsupported("empty columns")
        return Series._from_pandas(pd.Series(values, index=self.columns))

    # -- ordering and duplicates: positions from the key columns, columns gathered lazily
    @_lazy
    def sort_values(self, by, *, axis=0, ascending=True, inplace=False, kind="quicksort",
                    na_position="last", ignore_index=False, key=None):
        cols = self._frame()
        if inplace or key is not None or axis not in (0, "index"):
            raise Unsupported("sort_values arguments")
        by = [by] if _hashable(by) and not isinstance(by, tuple) else list(by)
        if any(k not in cols for k in by):
            raise Unsupported("missing key column")
        keys = self._select(list(dict.fromkeys(by))).to_pandas().reset_index(drop=True)
        order = keys.sort_values(by, ascending=ascending, kind=kind,
                                 na_position=na_position).index.to_numpy()
        return self._gather(order, ignore_index)

    def _gather(self, order, ignore_index=False):
        index = pd.RangeIndex(len(order)) if ignore_index else \
            real_index(self._index).take(order)
        return DataFrame._from_cols({k: s._take(order, index) for k, s in self._cols.items()},
                                    index, self._colindex)

    @_lazy
    def drop_duplicates(self, subset=None, *, keep="first", inplace=False,
                        ignore_index=False):
        cols = self._frame()
        if inplace or ignore_index:
            raise Unsupported("drop_duplicates arguments")
        names = list(cols) if subset is None else \
            ([subset] if _hashable(subset) and not isinstance(subset, tuple) else list(subset))
        if any(k not in cols for k in names):
            raise Unsupported("missing subset column")
        keys = self._select(names).to_pandas().reset_index(drop=True)
        return self._filter(~keys.duplicated(keep=keep).to_numpy())

    # -- NumPy view of the frame ---------------------------------------------------------
    @property
    def values(self):
        return self.to_numpy()

    def to_numpy(self, dtype=None, copy=False, na_value=None):
        try:
            cols = self._frame()
            dts = {s.dtype for s in cols.values()}
            if dtype is not None or na_value is not None or not cols or \
                    any(s._lazy is None for s in cols.values()) or \
                    (len(dts) > 1 and any(d.kind not in "if" for d in dts)) or not len(self):
                raise Unsupported("to_numpy arguments or dtypes")
            common = np.result_type(*dts)
            return wnp.stack([s._lazy.astype(common) if s.dtype != common else s._lazy
                              for s in cols.values()], axis=1)
        except Unsupported as e:
            reason = str(e)
        return call_pandas(pd.DataFrame.to_numpy, (self, dtype, copy),
                           {} if na_value is None else {"na_value": na_value},
                           "pandas.DataFrame.to_numpy", reason)

    # -- relational ----------------------------------------------------------------------
    def groupby(self, by=None, *args, **kwargs):
        from .groupby import DataFrameGroupBy
        return DataFrameGroupBy.make(self, by, args, kwargs)

    def merge(self, right, how="inner", on=None, left_on=None, right_on=None, **kwargs):
        from .join import merge
        return merge(self, right, how=how, on=on, left_on=left_on, right_on=right_on,
                     **kwargs)

    # -- indexers ------------------------------------------------------------------------
    loc = property(lambda self: _Indexer(self, "loc"))
    iloc = property(lambda self: _Indexer(self, "iloc"))
    __hash__ = None

    def __bool__(self):
        raise ValueError("The truth value of a DataFrame is ambiguous. Use a.empty, "
                         "a.bool(), a.item(), a.any() or a.all().")


class _Indexer(PandasIndexer):
    """``.loc`` / ``.iloc``: ``.loc[mask]`` and ``.loc[mask, cols]`` lazy, the rest in
    pandas; assignments run in pandas and write back into the frame."""

    def __init__(self, frame, kind):
        super().__init__(frame, "DataFrame", kind)

    def __getitem__(self, key):
        f = self.obj
        if self.name == "loc":
            try:
                f._frame()
                rows, cols = key if type(key) is tuple and len(key) == 2 else (key, None)
                if isinstance(rows, slice) and rows == slice(None):
                    out = f
                else:
                    out = f._filter(Series._mask_array(f._col0(), rows))
                if cols is None:
                    return out
                if type(cols) is list and all(_hashable(c) and c in f._cols for c in cols):
                    return out._select(cols)
                if _hashable(cols) and cols in f._cols:
                    return out._cols[cols].copy()
                raise Unsupported("column key")
            except Unsupported as e:
                return self._pandas(key, str(e))
        return self._pandas(key, "positional indexing runs in pandas")


def _hashable(k) -> bool:
    try:
        hash(k)
        return True
    except TypeError:
        return False


def _row_operand(other, cols):
    """None for a scalar operand; for a Series whose index is exactly the frame's column
    labels (``df - df.mean()``), its values: pandas then applies column k with the Series'
    k-th value as a NumPy scalar. Anything else (other labels or order, a frame, an array,
    non-numeric values) is Unsupported: pandas aligns it."""
    if is_number(other) or type(other) is bool:
        return None
    if isinstance(other, Series):
        other = other.to_pandas()
    if not isinstance(other, pd.Series):
        raise Unsupported("frame operand other than a scalar or a Series over its columns")
    labels = list(cols)
    if not (other.index.is_unique and len(other) == len(labels)
            and all(a == b and type(a) is type(b) for a, b in zip(other.index, labels))):
        raise Unsupported("a Series operand whose index is not the frame's columns")
    values = other.to_numpy()
    if values.dtype.kind not in "iufb":
        raise Unsupported(f"a Series operand of dtype {other.dtype}")
    return list(values)


def _install_operators():
    """Frame arithmetic: column by column when lazy; otherwise pandas."""
    names = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor",
             "eq", "ne", "lt", "le", "gt", "ge"]

    def make(dunder):
        def op(self, other):
            try:
                cols = self._frame()
                per_column = _row_operand(other, cols)
                out = {}
                for i, (k, s) in enumerate(cols.items()):
                    v = other
                    if per_column is not None:   # pandas: column array op Series values,
                        v = per_column[i]        # so both dtypes count (NumPy arrays')
                        common = np.result_type(s.dtype, v.dtype)
                        s = s if s.dtype == common else s.astype(common)
                        v = common.type(v).item()   # weak: the column's dtype is common
                    out[k] = getattr(Series, dunder)(s, v)
                    if out[k]._lazy is None:
                        raise Unsupported("column ran in pandas")
                return self._with_cols(out)
            except Unsupported as e:
                reason = str(e)
            return call_pandas(getattr(pd.DataFrame, dunder), (self, other), {},
                               f"pandas.DataFrame.{dunder}", reason)
        return op

    for n in names:
        setattr(DataFrame, f"__{n}__", make(f"__{n}__"))
        if n not in ("and", "or", "xor", "eq", "ne", "lt", "le", "gt", "ge"):
            setattr(DataFrame, f"__r{n}__", make(f"__r{n}__"))
    DataFrame.__invert__ = lambda self: call_pandas(pd.DataFrame.__invert__, (self,), {},
                                                    "pandas.DataFrame.__invert__", "frame")
    DataFrame.__neg__ = lambda self: call_pandas(pd.DataFrame.__neg__, (self,), {},
                                                 "pandas.DataFrame.__neg__", "frame")


_install_operators()


def _reduction(how):
    def method(self, axis=0, skipna=True, numeric_only=False, **kwargs):
        return self._reduce(how, axis, skipna, numeric_only, kwargs)
    method.__name__ = how
    return _lazy(method)


for _how in ("sum", "mean", "min", "max", "std", "var"):
    setattr(DataFrame, _how, _reduction(_how))

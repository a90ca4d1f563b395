"""DataFrame arguments while ``weldish.export`` traces: lazy columns with pandas semantics.

``Columns`` stands for the DataFrame, ``Column`` for a Series: each column is a lazy array
of the ``weldish.numpy`` graph, and the operations behave as pandas' do where pandas and
NumPy differ: reductions skip NaN (``skipna=True``), ``std``/``var`` use ``ddof=1``,
``count`` counts non-NaN values, ``fillna``/``isna``/``notna``/``where``/``mask``/
``between``/``clip`` work on NaN as pandas does. Filtering (``df[mask]``,
``s[mask]``) keeps the rows' positions, so results carry the input's index labels
(``take`` of the input index). Reductions stay lazy (a 0-d result), so they are part of
the exported graph.

What is not here raises AttributeError naming what is supported: an exported pipeline
must not silently run NumPy semantics where pandas code expects pandas'. Operations
between columns assume one row order (no index alignment: both must come from the same
frame rows, as in a row-wise pipeline).
"""
from __future__ import annotations

import numpy as np

from ..lazy import LazyArray

_REDUCTIONS = {  # pandas name -> (skipna=True function, skipna=False function)
    "sum": ("nansum", "sum"), "prod": ("nanprod", "prod"), "mean": ("nanmean", "mean"),
    "min": ("nanmin", "min"), "max": ("nanmax", "max"), "std": ("nanstd", "std"),
    "var": ("nanvar", "var")}
_SUPPORTED = sorted([*_REDUCTIONS, "count", "any", "all", "abs", "round", "clip", "astype",
                     "fillna", "isna", "isnull", "notna", "notnull", "where", "mask",
                     "between", "to_numpy", "values", "dtype", "shape", "size", "name",
                     "ndim"])


_BLOCKED = ("cumsum", "cumprod", "argmin", "argmax", "ptp", "nonzero", "compress", "choose",
            "item", "tolist", "numpy", "searchsorted", "repeat", "take")


def _wnp():
    from .. import numpy as wnp
    return wnp


def _values(x):
    return x.values if isinstance(x, Column) else x


def _name(operands):
    """pandas' result name: the columns' common name (None when they differ)."""
    names = {x.name for x in operands if isinstance(x, Column)}
    return names.pop() if len(names) == 1 else None


class Column(LazyArray):
    """A Series while traced: a lazy array (so ``weldish.numpy`` functions take it, with
    NumPy's semantics) whose pandas methods have pandas' semantics; ``name``,
    ``positions`` (a lazy int64 array of the input rows it holds, None: all rows in order)
    and ``origin`` (the argument it comes from). ndarray methods whose pandas namesakes
    differ (cumsum, argmax, take, ...) are not available."""
    __slots__ = ("name", "origin", "positions")
    __array_priority__ = 300

    def __init__(self, values, name=None, positions=None, origin=None):
        LazyArray.__init__(self, values.node)
        self.name, self.positions, self.origin = name, positions, origin

    @property
    def values(self) -> LazyArray:
        return LazyArray(self.node)

    def _like(self, values, name=None):
        if isinstance(values, LazyArray) and values.ndim == 1 and \
                values.shape == self.shape:
            return Column(values, name, self.positions, self.origin)
        return values

    def to_numpy(self, dtype=None):
        return self.values if dtype is None else self.values.astype(dtype)

    def __getattr__(self, name):
        raise AttributeError(f"Series.{name} is not available while weldish.export traces "
                             f"pandas code (supported: operators, NumPy ufuncs, "
                             f"{', '.join(_SUPPORTED)})")

    # -- NumPy protocols: unwrap, compute lazily (ufuncs wrap 1-d results of our length) --
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = getattr(ufunc, method)(*map(_values, inputs), **kwargs)
        name = _name(inputs)
        if isinstance(out, tuple):
            return tuple(self._like(o, name) for o in out)
        return self._like(out, name)

    def __array_function__(self, func, types, args, kwargs):
        args = [_values(a) if not isinstance(a, (list, tuple)) else type(a)(map(_values, a))
                for a in args]
        # NumPy functions of a Series give arrays in pandas (ufuncs give Series)
        return LazyArray.__array_function__(self, func, types, args,
                                            {k: _values(v) for k, v in kwargs.items()})

    def __array__(self, dtype=None, copy=None):
        raise TypeError("a traced column cannot become a NumPy array: the value is not "
                        "known while weldish.export traces (keep the computation lazy)")

    # -- filtering -----------------------------------------------------------------------
    def __getitem__(self, key):
        key = _values(key)
        if isinstance(key, LazyArray) and key.dtype == bool:
            return self.filter(key)
        raise TypeError("while weldish.export traces, a Series is indexed by a boolean "
                        "mask only (positions and labels depend on the data)")

    def filter(self, mask):
        positions = self.positions
        if positions is None:
            positions = _wnp().arange(len(self.values), dtype=np.int64)
        return Column(self.values[mask], self.name, positions[mask], self.origin)

    # -- pandas methods ------------------------------------------------------------------
    def _reduce(self, name, skipna=True, **kwargs):
        nan, plain = _REDUCTIONS[name]
        if name in ("std", "var"):
            kwargs.setdefault("ddof", 1)
        fn = nan if skipna and self.dtype.kind == "f" else plain
        return getattr(_wnp(), fn)(self.values, **kwargs)

    def count(self):
        return self.notna().values.sum()

    def any(self, skipna=True):
        v = self.fillna(0).values if skipna else self.values
        return _wnp().any(v != 0)

    def all(self, skipna=True):
        v = self.fillna(1).values if skipna else self.values
        return _wnp().all(v != 0)

    def isna(self):
        if self.dtype.kind == "f":
            return self._like(_wnp().isnan(self.values), self.name)
        return self._like(_wnp().zeros_like(self.values, dtype=bool), self.name)

    isnull = isna

    def notna(self):
        return self._like(~self.isna().values, self.name)

    notnull = notna

    def fillna(self, value):
        if self.dtype.kind != "f":
            return self
        return self._like(_wnp().where(_wnp().isnan(self.values), _values(value),
                                       self.values), self.name)

    def where(self, cond, other=np.nan):
        return self._like(_wnp().where(_values(cond), self.values, _values(other)),
                          self.name)

    def mask(self, cond, other=np.nan):
        return self._like(_wnp().where(_values(cond), _values(other), self.values),
                          self.name)

    def between(self, left, right, inclusive="both"):
        v = self.values
        lo = v >= left if inclusive in ("both", "left") else v > left
        hi = v <= right if inclusive in ("both", "right") else v < right
        return self._like(lo & hi, self.name)

    def clip(self, lower=None, upper=None):
        return self._like(_wnp().clip(self.values, lower, upper), self.name)

    def abs(self):
        return self._like(_wnp().abs(self.values), self.name)

    def round(self, decimals=0):
        return self._like(_wnp().round(self.values, decimals), self.name)

    def astype(self, dtype):
        return self._like(self.values.astype(dtype), self.name)

    def __repr__(self):
        return f"<Column {self.name!r} {self.dtype}[{len(self)}] (traced by weldish.export)>"


def _reduction(name):
    def method(self, axis=None, skipna=True, **kwargs):
        return self._reduce(name, skipna, **kwargs)
    method.__name__ = name
    return method


def _operators():
    names = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor",
             "eq", "ne", "lt", "le", "gt", "ge")

    def binary(op, reflected):
        def method(self, other):
            name = _name((self, other))
            if reflected:
                return self._like(op(_values(other), self.values), name)
            return self._like(op(self.values, _values(other)), name)
        return method

    import operator
    for name in names:
        op = getattr(operator, name + "_" if name in ("and", "or") else name)
        setattr(Column, f"__{name}__", binary(op, False))
        if name not in ("eq", "ne", "lt", "le", "gt", "ge"):
            setattr(Column, f"__r{name}__", binary(op, True))
    def unary(op):
        def method(self):
            return self._like(op(self.values), self.name)
        return method

    for name in ("neg", "pos", "invert", "abs"):
        setattr(Column, f"__{name}__", unary(getattr(operator, name)))
    for name in _REDUCTIONS:
        setattr(Column, name, _reduction(name))
    # ndarray methods whose pandas namesakes mean otherwise (NaN skipping, labels) or
    # that read values: not silently NumPy's (the others, which pandas lacks, stay)
    for name in _BLOCKED:
        setattr(Column, name, _unavailable(name))


def _unavailable(name):
    def method(self, *args, **kwargs):
        Column.__getattr__(self, name)
    method.__name__ = name
    return method


_operators()


class Columns:
    """A DataFrame while traced: ``{name: Column}`` sharing rows. Supports ``df["a"]``,
    ``df.a``, ``df[["a", "b"]]``, ``df[mask]``, ``df["c"] = ...``, ``assign``, ``len``,
    ``columns``, ``keys``/``items``, iteration over names and ``in``. Returning one (or a
    Column) makes the pipeline return a pandas DataFrame (Series) with the input's index
    labels of its rows. Non-numeric columns raise TypeError when used."""

    def __init__(self, cols: dict, nrows, unsupported=None, positions=None, origin=None):
        d = self.__dict__
        d["_cols"], d["_n"], d["_unsupported"] = dict(cols), nrows, dict(unsupported or {})
        d["_positions"], d["_origin"] = positions, origin

    @classmethod
    def of_arrays(cls, arrays: dict, nrows: int, unsupported, origin):
        return cls({k: Column(v, k, None, origin) for k, v in arrays.items()}, nrows,
                   unsupported, None, origin)

    def _get(self, key):
        if key in self._cols:
            return self._cols[key]
        if key in self._unsupported:
            raise TypeError(f"column {key!r} has dtype {self._unsupported[key]}: exported "
                            "pipelines take numeric and boolean columns")
        raise KeyError(key)

    def __getitem__(self, key):
        if isinstance(key, list):
            return self._with({k: self._get(k) for k in key})
        mask = _values(key)
        if isinstance(mask, LazyArray) and mask.dtype == bool and mask.ndim == 1:
            cols = {k: c.filter(mask) for k, c in self._cols.items()}
            positions = self._positions
            if positions is None:
                positions = _wnp().arange(len(self), dtype=np.int64)
            return Columns(cols, None, self._unsupported, positions[mask], self._origin)
        return self._get(key)

    def _with(self, cols):
        return Columns(cols, self._n, self._unsupported, self._positions, self._origin)

    def __setitem__(self, key, value):
        value = _values(value)
        if not isinstance(value, LazyArray):
            wnp = _wnp()
            value = wnp.full(len(self), value) if np.ndim(value) == 0 else wnp.asarray(value)
        self._cols[key] = Column(value, key, self._positions, self._origin)

    def __getattr__(self, name):
        if name in self._cols:
            return self._cols[name]
        raise AttributeError(f"DataFrame.{name} is not available while weldish.export "
                             "traces pandas code (supported: column access, [mask], "
                             "[[names]], assign, setitem, len, shape, columns, keys, "
                             "items)")

    def assign(self, **new):
        out = self._with(self._cols)
        for k, v in new.items():
            out[k] = v(out) if callable(v) else v
        return out

    def __len__(self):
        if self._n is None:   # filtered: the length is the rows kept
            return len(self._positions)
        return self._n

    @property
    def columns(self):
        return list(self._cols)

    @property
    def shape(self):
        return (len(self), len(self._cols))

    def keys(self):
        return self._cols.keys()

    def items(self):
        return self._cols.items()

    def __iter__(self):
        return iter(self._cols)

    def __contains__(self, key):
        return key in self._cols

    def __repr__(self):
        return f"<DataFrame columns {list(self._cols)} (traced by weldish.export)>"

"""``DataFrame.groupby``: group codes from ``weldish.relational.factorize`` (a compiled hash
table), each aggregation a lazy ``segment_reduce`` whose values expression fuses into the
reduction loop. Arguments, functions or columns it does not cover run in pandas."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..evaluate import evaluate_many
from ..lazy import Unsupported
from ._common import call_pandas, record_lazy, to_pandas_obj, wrap
from .series import Series

HOWS = ("sum", "mean", "count", "size", "min", "max", "std", "var", "first", "last")


class DataFrameGroupBy:
    """``frame.groupby(by)``; ``gb[cols]`` selects value columns."""

    def __init__(self, frame, by, args, kwargs, selection=None, series=False):
        self.frame, self.by, self.args, self.kwargs = frame, by, args, kwargs
        self.selection, self.series = selection, series
        self._codes = None

    @classmethod
    def make(cls, frame, by, args, kwargs):
        return cls(frame, by, args, kwargs)

    # -- pandas' own groupby, for everything not covered ---------------------------------
    def _pandas(self):
        gb = self.frame.to_pandas().groupby(to_pandas_obj(self.by), *self.args, **self.kwargs)
        return gb if self.selection is None else gb[self.selection]

    def _fallback(self, name, args, kwargs, reason):
        return call_pandas(lambda *a, **k: getattr(self._pandas(), name)(*a, **k), args,
                           kwargs, f"pandas.DataFrameGroupBy.{name}", reason)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if self.selection is None and name in self.frame.columns:   # gb.col is gb["col"]
            return self[name]
        attr = getattr(self._pandas(), name)
        if not callable(attr):
            return wrap(attr)
        return lambda *a, **k: self._fallback(name, a, k, "no lazy implementation")

    def __getitem__(self, key):
        if self.selection is not None:
            raise Unsupported("selection of a selection")
        return DataFrameGroupBy(self.frame, self.by, self.args, self.kwargs, key,
                                series=not isinstance(key, (list, tuple)))

    def __iter__(self):
        return iter(self._pandas())

    def __len__(self):
        return len(self._pandas())

    # -- the compiled path ---------------------------------------------------------------
    def _setup(self):
        """(key names, value columns, options, codes, uniques, ngroups) or Unsupported."""
        names = list(self.frame.columns)
        opts = {"as_index": True, "sort": True, "dropna": True, "observed": True,
                "group_keys": True}   # group_keys: only apply's results
        for k, v in self.kwargs.items():
            if k not in opts or type(v) is not bool:
                raise Unsupported(f"groupby argument {k}=")
            opts[k] = v
        if self.args:
            raise Unsupported("positional groupby arguments")
        keys = [self.by] if isinstance(self.by, str) or np.isscalar(self.by) else self.by
        if type(keys) not in (list, tuple) or not keys or \
                any(not isinstance(k, str) or k not in names for k in keys) or \
                len(set(keys)) != len(keys) or len(set(names)) != len(names):
            raise Unsupported("group keys other than column names")
        keys = list(keys)
        if self.selection is None:
            values = [k for k in names if k not in keys]
        else:
            sel = [self.selection] if self.series else list(self.selection)
            if any(not isinstance(c, str) or c not in names for c in sel):
                raise Unsupported("selection")
            values = sel
        cols = self.frame._get_cols(keys + [v for v in values if v not in keys])
        if not opts["observed"] and any(isinstance(cols[k].dtype, pd.CategoricalDtype)
                                        for k in keys):
            raise Unsupported("observed=False: groups of unused categories")
        if self._codes is None:
            try:
                from .. import relational
            except ImportError as e:
                raise Unsupported(f"weldish.relational: {e}") from None
            self._codes = _gathered_key_codes(cols, keys, opts)
            if self._codes is None:
                karrays = [np.asarray(cols[k]._lazy) if cols[k]._lazy is not None
                           else cols[k]._pd.array for k in keys]
                self._codes = relational.factorize(karrays, sort=opts["sort"],
                                                   dropna=opts["dropna"])
        return cols, keys, values, opts, self._codes

    def _index(self, cols, keys, uniques):
        arrays = []
        for k, u in zip(keys, uniques):
            src = cols[k].dtype
            idx = pd.Index(u, name=k)
            if idx.dtype != src and not idx.hasnans:
                idx = idx.astype(src)
            arrays.append(idx)
        if len(arrays) == 1:
            return arrays[0]
        return pd.MultiIndex.from_arrays(arrays, names=keys)

    def _reduce(self, cols, col, how, codes, ngroups, index, name):
        from .. import relational
        s = cols[col]
        if how == "size":  # rows per group: the codes stand in for the values
            return Series._from_lazy(relational.segment_reduce(codes, codes, ngroups, how),
                                     index, name)
        if s._lazy is None:
            raise Unsupported(f"{how} of a {s.dtype} column")
        out = relational.segment_reduce(s._lazy, codes, ngroups, how)
        want = _result_dtype(how, s.dtype)
        if out.dtype != want:  # e.g. int32 sums (pandas narrows back), float32 means
            raise Unsupported(f"{how} gives {out.dtype}, pandas {want}")
        return Series._from_lazy(out, index, name)

    def _aggregate(self, specs, series_out=False):
        """specs: [(output name, column, how)] -> the result frame (or Series)."""
        from .frame import DataFrame
        cols, keys, values, opts, (codes, uniques, ngroups) = self._setup()
        index = self._index(cols, keys, uniques)
        out_index = index if opts["as_index"] else pd.RangeIndex(ngroups)
        out = {}
        for name, col, how in specs:
            out[name] = self._reduce(cols, col, how, codes, ngroups, out_index, name)
        if series_out and opts["as_index"]:
            return next(iter(out.values()))
        if any(type(name) is tuple for name in out):   # (column, function) labels
            if not opts["as_index"]:
                raise Unsupported("as_index=False with (column, function) labels")
            values = evaluate_many([c._lazy for c in out.values()])
            return DataFrame._from_pandas(pd.DataFrame(
                dict(enumerate(values)), index=out_index).set_axis(
                    pd.MultiIndex.from_tuples(list(out)), axis=1))
        if not opts["as_index"]:
            kcols = {}
            for i, k in enumerate(keys):
                level = index if len(keys) == 1 else index.get_level_values(i)
                kcols[k] = Series._from_pandas(pd.Series(np.asarray(level) if
                                                         level.dtype.kind in "biuf"
                                                         else level.array,
                                                         index=out_index, name=k))
            out = {**kcols, **{k: v for k, v in out.items() if k not in kcols}}
        return DataFrame._from_cols(out, out_index)

    def _run(self, name, args, kwargs, make_specs, series_out=False):
        t0 = time.perf_counter()
        try:
            result = self._aggregate(make_specs(), series_out)
            record_lazy(f"pandas.DataFrameGroupBy.{name}", t0)
            return result
        except Unsupported as e:
            reason = str(e)
        except Exception as e:  # noqa: BLE001 - pandas decides: its result or its error
            reason = f"lazy path raised {type(e).__name__}: {e}"
        return self._fallback(name, args, kwargs, reason)

    def _simple(self, how, args, kwargs):
        def specs():
            extra = dict(kwargs)
            numeric_only = extra.pop("numeric_only", False)
            if how in ("std", "var") and extra.get("ddof", 1) == 1:
                extra.pop("ddof", None)
            if args or extra or type(numeric_only) is not bool or \
                    (numeric_only and (self.series or how == "count")):
                raise Unsupported(f"{how} arguments")
            cols, _, values, _, _ = self._setup()
            if numeric_only:
                values = [v for v in values if cols[v].dtype.kind in "biuf"]
            return [(v, v, how) for v in values]
        return self._run(how, args, kwargs, specs, series_out=self.series)

    def size(self):
        def specs():
            cols, keys, _, _, _ = self._setup()
            return [("size", keys[0], "size")]
        t0 = time.perf_counter()
        try:
            out = self._aggregate(specs())
            record_lazy("pandas.DataFrameGroupBy.size", t0)
            if self.kwargs.get("as_index", True):
                s = out["size"]
                s.name = self.selection if self.series else None
                return s
            return out
        except Unsupported as e:
            reason = str(e)
        return self._fallback("size", (), {}, reason)

    def agg(self, func=None, *args, **kwargs):
        def specs():
            if args:
                raise Unsupported("agg arguments")
            if func is None and kwargs:
                out = []
                for name, spec in kwargs.items():
                    if type(spec) is not tuple or len(spec) != 2 or spec[1] not in HOWS:
                        raise Unsupported("named aggregation spec")
                    out.append((name, spec[0], spec[1]))
                if self.series:
                    raise Unsupported("named aggregation of a SeriesGroupBy")
                return out
            if isinstance(func, str) and func in HOWS and not kwargs and func != "size":
                _, _, values, _, _ = self._setup()
                return [(v, v, func) for v in values]
            if type(func) is dict and not kwargs and not self.series and \
                    all(isinstance(h, str) and h in HOWS and h != "size"
                        for h in func.values()):
                return [(c, c, h) for c, h in func.items()]
            if type(func) is list and not kwargs and _how_list(func):
                _, _, values, _, _ = self._setup()
                if self.series:        # a column per function
                    return [(h, values[0], h) for h in func]
                return [((v, h), v, h) for v in values for h in func]
            if type(func) is dict and not kwargs and not self.series and all(
                    type(h) is list and _how_list(h) or isinstance(h, str) and h in HOWS
                    and h != "size" for h in func.values()):
                return [((c, h), c, h) for c, hs in func.items()
                        for h in (hs if type(hs) is list else [hs])]
            raise Unsupported("agg function spec")
        return self._run("agg", (func, *args), kwargs, specs,
                         series_out=self.series and isinstance(func, str))

    aggregate = agg

    def transform(self, func, *args, **kwargs):
        """A per-group reduction named by ``func`` (a ``HOWS`` name), taken back to every
        row: the group's value gathered by the row's code (lazy). Functions, arguments
        and rows without a group (NaN keys) run in pandas."""
        t0 = time.perf_counter()
        try:
            if args or kwargs or not isinstance(func, str) or func not in HOWS:
                raise Unsupported("transform function or arguments")
            result = self._transform(func)
            record_lazy("pandas.DataFrameGroupBy.transform", t0)
            return result
        except Unsupported as e:
            reason = str(e)
        return self._fallback("transform", (func, *args), kwargs, reason)

    def _transform(self, how):
        from .. import numpy as wnp
        from ..ir import build
        from ..lazy import LazyArray
        from .frame import DataFrame
        cols, keys, values, _, (codes, _, ngroups) = self._setup()
        codes = np.asarray(codes)   # (lazy for a gathered key)
        missing = bool(len(codes)) and int(codes.min()) < 0   # NaN keys: NaN rows
        if how == "size":        # one Series, named as the selection (None for a frame)
            values = [keys[0]]
        at = build.input(np.maximum(codes, 0) if missing else codes)
        out = {}
        for v in values:
            r = self._reduce(cols, v, how, codes, ngroups, None, v)._lazy
            taken = LazyArray(build.take(r.node, at, 0))
            if missing:
                if r.dtype.kind == "b":
                    raise Unsupported("boolean result with NaN rows (object in pandas)")
                taken = wnp.where(codes >= 0, taken, np.nan)
            out[v] = Series._from_lazy(taken, cols[v]._raw_index(),
                                       v if how != "size" else
                                       (self.selection if self.series else None))
        if self.series or how == "size":
            return next(iter(out.values()))
        return DataFrame._from_cols(out, next(iter(cols.values()))._raw_index())


def _gathered_key_codes(cols, keys, opts):
    """Group codes of one key column that is a gather of a much smaller column,
    ``src[rows]`` (a merge's column from the other side): ``src`` is factorized, its
    codes are gathered lazily (the gather fuses into each aggregation's loop, and the
    gathered keys are never materialized), and groups no row refers to are dropped (one
    pass counting rows per group). None when the key is not such a gather, or when the
    group order is by first appearance (``sort=False``)."""
    from .. import relational
    from ..ir import build
    from ..ir.ops import Op
    from ..lazy import LazyArray
    if len(keys) != 1 or not opts["sort"] or cols[keys[0]]._lazy is None:
        return None
    node = cols[keys[0]]._lazy.node
    if node.op is not Op.TAKE or node.src[0].op is not Op.INPUT or node.src[0].ndim != 1 \
            or node.ndim != 1 or 4 * node.src[0].size > node.size:
        return None
    src = node.src[0].arg[0][1].data
    src_codes, uniques, ngroups = relational.factorize([src], sort=True,
                                                       dropna=opts["dropna"])
    rows = node.src[1]
    gathered = LazyArray(build.take(build.input(src_codes), rows, 0))
    sizes = np.asarray(relational.segment_reduce(gathered, gathered, ngroups, "size"))
    used = sizes > 0
    if not used.all():   # renumber the groups rows refer to, in key order
        renumber = np.where(used, np.cumsum(used) - 1, -1)
        src_codes = np.where(src_codes >= 0, renumber[src_codes], -1)
        uniques = [np.asarray(u)[used] for u in uniques]
        ngroups = int(used.sum())
        gathered = LazyArray(build.take(build.input(src_codes), rows, 0))
    return gathered, uniques, ngroups


def _how_list(hows) -> bool:
    return bool(hows) and len(set(hows)) == len(hows) and \
        all(isinstance(h, str) and h in HOWS and h != "size" for h in hows)


def _result_dtype(how, dtype):
    if how in ("count", "size"):
        return np.dtype(np.int64)
    if how in ("mean", "std", "var"):
        return np.dtype(np.float64)
    return dtype


def _make(how):
    def method(self, *args, **kwargs):
        return self._simple(how, args, kwargs)
    method.__name__ = how
    method.__doc__ = f"``pandas GroupBy.{how}`` (compiled segment reduction)."
    return method


for _how in HOWS:
    if _how != "size":
        setattr(DataFrameGroupBy, _how, _make(_how))

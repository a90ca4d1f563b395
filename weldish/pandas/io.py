"""``read_parquet`` / ``read_csv`` as lazy scans.

The frame returned reads nothing. A column is read when it is used, with the frame's
filter: comparisons of scanned columns with scalars, combined with ``&``, ``|`` and ``~``,
become a pyarrow expression pushed into the parquet scan (``pyarrow.parquet.read_table``
with ``filters=``), and only the columns the pipeline uses are read. Columns are converted
exactly as ``pandas.read_parquet`` converts them; the row labels of a filtered frame are
the positions of the kept rows, as pandas would give after reading everything.
For CSV, the used columns are parsed by pandas (``usecols=``, each column once) and the
filter is evaluated on its own columns after parsing; the other columns are parsed only if
used, and then only the kept rows are taken. ``Scan.log`` records every read (tests, ``explain``).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..lazy import Unsupported
from ._common import call_pandas


class Scan:
    """A file and its column names; ``log``: every read, as (columns, predicate text)."""

    def __init__(self, path, fmt, kwargs):
        self.path, self.fmt, self.kwargs, self.log = path, fmt, kwargs, []
        if fmt == "parquet":
            import pyarrow.parquet as pq
            self.schema = pq.read_schema(path)
            meta = json.loads((self.schema.metadata or {}).get(b"pandas", b"{}") or b"{}")
            idx = meta.get("index_columns", [])
            if any(not (isinstance(i, dict) and i.get("kind") == "range" and
                        i.get("start") == 0 and i.get("step") == 1 and i.get("name") is None)
                   for i in idx):
                raise Unsupported("a stored index other than a default RangeIndex")
            self.columns = [f.name for f in self.schema]
            self.types = {f.name: f.type for f in self.schema}
        else:
            head = pd.read_csv(path, nrows=0, **kwargs)
            if not head.columns.is_unique:
                raise Unsupported("duplicate CSV column names")
            self.columns = list(head.columns)
            self.types = None
        self._nrows, self._positions, self._parsed = None, {}, {}

    # -- reading -------------------------------------------------------------------------
    def _table(self, columns, predicate) -> pd.DataFrame:
        self.log.append((tuple(columns), None if predicate is None else str(predicate)))
        if self.fmt == "parquet":
            import pyarrow.parquet as pq
            from pandas.io._util import arrow_table_to_pandas
            table = pq.read_table(self.path, columns=list(columns), filters=predicate,
                                  use_pandas_metadata=True)
            table = table.select(list(columns))
            return arrow_table_to_pandas(table)
        missing = [c for c in columns if c not in self._parsed]
        if missing:  # parsed once per column: later reads take the parsed values
            parsed = pd.read_csv(self.path, usecols=missing, **self.kwargs)
            self._parsed.update({c: parsed[c] for c in missing})
        return pd.DataFrame({c: self._parsed[c] for c in columns}, copy=False)

    def csv_dtype(self, name):
        """A CSV column's parsed dtype (parses the column: it is needed for the filter)."""
        if name not in self._parsed:
            self._table([name], None)
        return self._parsed[name].dtype

    def nrows(self) -> int:
        if self._nrows is None:
            if self.fmt == "parquet":
                import pyarrow.parquet as pq
                self._nrows = pq.ParquetFile(self.path).metadata.num_rows
            else:
                self._nrows = len(self._table([self.columns[0]], None))
        return self._nrows

    def positions(self, predicate, used):
        """Row positions kept by ``predicate`` (read from its columns ``used`` only)."""
        key = str(predicate)
        if key not in self._positions:
            mask = self.mask(predicate, sorted(used))
            self._positions[key] = np.flatnonzero(mask)
        return self._positions[key]

    def mask(self, expr, names) -> np.ndarray:
        """``expr`` over every row as a NumPy bool array (null as False)."""
        import pyarrow.dataset as ds
        if self.fmt == "parquet":
            self.log.append((tuple(names), f"mask {expr}"))
            data = ds.dataset(self.path, format="parquet")
        else:
            data = ds.dataset(pa.Table.from_pandas(self._table(names, None),
                                                   preserve_index=False))
        out = data.to_table(columns={"m": pc.coalesce(expr, pa.scalar(False))})["m"]
        return np.asarray(out.to_numpy(zero_copy_only=False), dtype=bool)

    def read(self, columns, predicate, used=()) -> pd.DataFrame:
        """``columns`` of the rows ``predicate`` keeps, labelled as pandas labels them."""
        if predicate is None:
            out = self._table(columns, None)
            out.index = pd.RangeIndex(len(out))
            return out
        pos = self.positions(predicate, used)
        if self.fmt == "parquet":
            out = self._table(columns, predicate)
        else:
            out = self._table(columns, None).iloc[pos]
        out.index = pd.Index(pos, dtype=np.int64)
        return out


class ScanView:
    """A scan's columns ``names`` with ``predicate`` (a pyarrow expression or None)."""

    def __init__(self, scan: Scan, names, predicate, used=()):
        self.scan, self.names, self.predicate = scan, list(names), predicate
        self.used = set(used)   # columns the predicate reads
        self._index, self._cache = None, {}

    @property
    def columns(self):
        return self.names

    def index(self):
        if self._index is None:
            self._index = pd.RangeIndex(self.scan.nrows()) if self.predicate is None else \
                pd.Index(self.scan.positions(self.predicate, self.used), dtype=np.int64)
        return self._index

    def narrowed(self, names) -> "ScanView":
        v = ScanView(self.scan, names, self.predicate, self.used)
        v._index = self._index
        return v

    def filtered(self, expr, used) -> "ScanView":
        pred = expr if self.predicate is None else (self.predicate & expr)
        return ScanView(self.scan, self.names, pred, self.used | set(used))

    # -- what a frame calls --------------------------------------------------------------
    def load(self, frame):
        """Read the frame's columns (all of them: the frame is used as a whole)."""
        pdf = self.scan.read(self.names, self.predicate, self.used)
        frame._set_from_pandas(pdf)

    def column(self, name):
        """A deferred Series for column ``name`` (nothing read yet)."""
        from .series import Series
        return Series._deferred(self, name)

    def cached_column(self, name):
        """The deferred column, shared by internal users (groupby): read once."""
        if name not in self._cache:
            self._cache[name] = self.column(name)
        return self._cache[name]

    def read_column(self, name):
        pdf = self.scan.read([name], self.predicate, self.used)
        s = pdf[name]
        if self._index is None and self.predicate is None:
            self._index = pd.RangeIndex(len(s))  # known now: no row count to read
        s.index = self.index()
        return s

    def read_expr(self, expr, used):
        """A boolean column from an expression of scanned columns."""
        if self.predicate is None:
            return self.scan.mask(expr, sorted(used))
        keep = self.scan.positions(self.predicate, self.used)
        return self.scan.mask(expr, sorted(used))[keep]

    def getitem(self, frame, key):
        """``frame[key]`` without reading: a column, a column list, a pushed filter."""
        from .frame import DataFrame
        from .series import Series
        if isinstance(key, str) and key in self.names:
            return self.column(key)
        if type(key) is list and key and all(isinstance(k, str) and k in self.names
                                             for k in key):
            return DataFrame._from_scan(self.narrowed(key))
        d = key.__dict__.get("_defer") if isinstance(key, Series) else None
        if d is not None and d[1] is not None and d[0].scan is self.scan and \
                d[0].predicate is self.predicate:
            return DataFrame._from_scan(self.filtered(d[1], d[2]))
        return None

    def explain(self) -> str:
        return (f"scan {self.scan.fmt} {self.scan.path}\n"
                f"  projection: {self.names}\n"
                f"  predicate:  {self.predicate if self.predicate is not None else 'none'}"
                + ("" if self.scan.fmt == "parquet" or self.predicate is None
                   else " (evaluated after parsing)") +
                "\n  reads so far: " + "; ".join(f"{list(c)} [{p or 'no filter'}]"
                                                 for c, p in self.scan.log))


def _scan_frame(path, fmt, kwargs, reader):
    from .frame import DataFrame
    try:
        if not isinstance(path, (str, bytes)) and not hasattr(path, "__fspath__"):
            raise Unsupported("not a file path")
        scan = Scan(str(path) if hasattr(path, "__fspath__") else path, fmt, kwargs)
    except Exception as e:  # noqa: BLE001 - pandas' own reader: its result or its error
        return call_pandas(reader, (path,), kwargs, f"pandas.{reader.__name__}",
                           f"eager read: {e}")
    return DataFrame._from_scan(ScanView(scan, scan.columns, None))


def read_parquet(path, columns=None, **kwargs):
    """``pandas.read_parquet``, lazily (see the module docstring); ``engine``, ``filters``
    and other arguments read eagerly with pandas."""
    if kwargs:
        return call_pandas(pd.read_parquet, (path,), dict(columns=columns, **kwargs),
                           "pandas.read_parquet", "reader arguments")
    frame = _scan_frame(path, "parquet", {}, pd.read_parquet)
    return frame if columns is None else frame[list(columns)]


_CSV_KWARGS = {"sep", "delimiter", "header", "dtype", "na_values", "skiprows", "nrows",
               "encoding", "thousands", "decimal", "comment", "keep_default_na"}


def read_csv(filepath_or_buffer, **kwargs):
    """``pandas.read_csv``, lazily: used columns only (``usecols=`` for pandas' parser)."""
    if set(kwargs) - _CSV_KWARGS:
        return call_pandas(pd.read_csv, (filepath_or_buffer,), kwargs, "pandas.read_csv",
                           "reader arguments")
    return _scan_frame(filepath_or_buffer, "csv", kwargs, pd.read_csv)


def comparable(view, name, value) -> bool:
    """May ``column <op> value`` be a pushed expression (types pyarrow compares as pandas)?"""
    if isinstance(value, bool) or not (isinstance(value, (str, int, float)) or
                                       isinstance(value, (np.integer, np.floating))):
        return False
    if isinstance(value, float) and value != value:
        return False
    types = view.scan.types
    if types is None:  # CSV: the dtype pandas parsed (its column is read for the filter)
        d = view.scan.csv_dtype(name)
        if isinstance(value, str):
            return isinstance(d, pd.StringDtype)
        return isinstance(d, np.dtype) and d.kind in "iuf"
    t = types[name]
    if isinstance(value, str):
        return pa.types.is_string(t) or pa.types.is_large_string(t)
    return pa.types.is_integer(t) or pa.types.is_floating(t)

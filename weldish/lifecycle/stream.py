"""Running a loaded pipeline over a Parquet or CSV file in batches (``weldish run``).

Inputs are read with pyarrow batch by batch (``ParquetFile.iter_batches``,
``pyarrow.csv.open_csv``) and regrouped into batches of ``batch_rows`` rows, so memory
stays bounded whatever the file's size and every batch but the last has one shape (one
prepared program). Arguments come from columns: a DataFrame parameter takes the columns
its signature lists, an array parameter the column of its name (a 2-d one: the columns
``name_0, name_1, ...`` or one fixed-size-list column). CSV columns are read with the
signature's dtypes. Outputs become columns (``output`` for one array, ``out0, out1, ...``
for several, a dict's keys or a DataFrame's columns) written to Parquet or CSV; a
pipeline whose outputs are not one row per input row (a reduction) cannot be streamed:
``batch_rows=0`` runs it once on the whole input (a scalar output is then one row).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class StreamError(ValueError):
    """The file cannot feed the pipeline (a missing column, an unsupported format)."""


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise StreamError(f"{path}: unknown format {suffix!r} (use .parquet or .csv)")


def needed_columns(signature) -> dict:
    """{column name: numpy dtype} the pipeline reads from a file."""
    cols = {}
    for p in signature.parameters:
        if not p.get("rows", True):
            raise StreamError(f"parameter {p['name']!r} has no row dimension: it cannot be "
                              "read from a file, call the pipeline from Python")
        if p["kind"] == "frame":
            cols.update((c, np.dtype(d)) for c, d in p["columns"])
        elif len(p["shape"]) == 1:
            cols[p["name"]] = np.dtype(p["dtype"])
    return cols


def open_batches(path, signature, batch_rows: int):
    """(total rows or None, an iterator of pyarrow Tables of ``batch_rows`` rows; all rows
    in one table when ``batch_rows`` is 0)."""
    import pyarrow as pa
    path = Path(path)
    kind = _format(path)
    wanted = needed_columns(signature)
    if kind == "parquet":
        import pyarrow.parquet as pq
        f = pq.ParquetFile(path)
        names = set(f.schema_arrow.names)
        columns = [c for c in f.schema_arrow.names if c in wanted or _is_part(c, signature)]
        total = f.metadata.num_rows
        source = f.iter_batches(batch_size=batch_rows or 65536, columns=columns)
    else:
        import pyarrow.csv as pcsv
        types = {c: pa.from_numpy_dtype(d) for c, d in wanted.items()
                 if d.kind in "biuf"}
        reader = pcsv.open_csv(path, convert_options=pcsv.ConvertOptions(
            column_types=types))
        names, total = set(reader.schema.names), None
        source = reader
    missing = [c for c in wanted if c not in names]
    if missing:
        raise StreamError(f"{path} has no column(s) {missing} (the pipeline reads "
                          f"{list(wanted)}; the file has {sorted(names)})")
    return total, _regroup(source, batch_rows)


def _is_part(column, signature) -> bool:
    """A column ``name_j`` of a 2-d array parameter ``name``."""
    return any(p["kind"] == "array" and len(p["shape"]) == 2 and
               column.startswith(p["name"] + "_") for p in signature.parameters)


def _regroup(batches, rows: int):
    """Tables of exactly ``rows`` rows (the last one shorter) from record batches of any
    size; one table of everything when ``rows`` is 0."""
    import pyarrow as pa
    pending, count, schema = [], 0, None
    for b in batches:
        schema = b.schema
        if b.num_rows == 0:
            continue
        pending.append(b)
        count += b.num_rows
        while rows and count >= rows:
            t = pa.Table.from_batches(pending, schema)
            yield t.slice(0, rows)
            rest = t.slice(rows)
            pending, count = rest.to_batches(), rest.num_rows
    if count or schema is None:
        yield pa.Table.from_batches(pending, schema) if schema is not None else None


def arguments(signature, table) -> list:
    """The pipeline's positional arguments from a table's columns."""
    args = []
    for p in signature.parameters:
        if p["kind"] == "frame":
            args.append(table.select([c for c, _ in p["columns"]]).to_pandas())
            continue
        name = p["name"]
        if len(p["shape"]) == 1:
            args.append(_numpy(table.column(name)))
        elif name in table.column_names:   # a fixed-size-list column
            col = table.column(name).combine_chunks()
            args.append(_numpy(col.flatten()).reshape(len(col), -1))
        else:
            parts = sorted((c for c in table.column_names if c.startswith(name + "_")),
                           key=lambda c: int(c.rsplit("_", 1)[1]) if
                           c.rsplit("_", 1)[1].isdigit() else 1 << 30)
            if not parts:
                raise StreamError(f"no column {name!r} (a fixed-size list) nor columns "
                                  f"{name}_0, {name}_1, ... for the 2-d parameter {name!r}")
            args.append(np.column_stack([_numpy(table.column(c)) for c in parts]))
    return args


def _numpy(column):
    if hasattr(column, "chunks"):   # a ChunkedArray (copies when it has several chunks)
        return column.to_numpy()
    return column.to_numpy(zero_copy_only=False)


def result_table(result, rows: int, whole: bool = False):
    """A pyarrow Table of the pipeline's outputs, one row per input row. ``whole`` (the
    input was one batch): outputs of any one length are allowed, a scalar is one row."""
    import pandas as pd
    import pyarrow as pa
    if isinstance(result, pd.DataFrame):
        columns = {str(c): result[c].to_numpy() for c in result.columns}
    elif isinstance(result, pd.Series):
        columns = {str(result.name or "output"): result.to_numpy()}
    elif isinstance(result, dict):
        columns = {str(k): v for k, v in result.items()}
    elif isinstance(result, (tuple, list)):
        columns = {f"out{i}": v for i, v in enumerate(result)}
    else:
        columns = {"output": result}
    flat = {}
    columns = {k: np.asarray(v) for k, v in columns.items()}
    if whole:
        columns = {k: v.reshape(1) if v.ndim == 0 else v for k, v in columns.items()}
        rows = len(next(iter(columns.values())))
    shapes = {k: v.shape for k, v in columns.items()}
    for name, v in columns.items():
        if v.ndim == 0 or v.shape[0] != rows:
            raise StreamError(
                f"output {name!r} has shape {v.shape}, not one row per input row "
                f"({rows}): the pipeline cannot run batch by batch; run it on the whole "
                "input at once (--batch-rows 0)" if not whole else
                f"outputs of different lengths ({shapes}) cannot be columns of one table")
        if v.ndim == 1:
            flat[name] = v
        else:
            v = v.reshape(rows, -1)
            flat.update((f"{name}_{j}", v[:, j]) for j in range(v.shape[1]))
    return pa.table(flat)


class Writer:
    """Writes tables to ``path`` (Parquet or CSV) through a temporary file renamed into
    place at ``close``: a failed run leaves no partial output."""

    def __init__(self, path):
        self.path = Path(path)
        self.kind = _format(self.path)
        self.tmp = self.path.with_name(f".{self.path.name}.partial-{os.getpid()}")
        self._w = None
        self.rows = 0

    def write(self, table):
        if self._w is None:
            if self.kind == "parquet":
                import pyarrow.parquet as pq
                self._w = pq.ParquetWriter(self.tmp, table.schema)
            else:
                import pyarrow.csv as pcsv
                self._w = pcsv.CSVWriter(self.tmp, table.schema)
        self._w.write_table(table)
        self.rows += table.num_rows

    def close(self, ok: bool = True):
        if self._w is not None:
            self._w.close()
        if ok and self._w is not None:
            os.replace(self.tmp, self.path)
        elif self.tmp.exists():
            self.tmp.unlink()


def run_file(pipe, input_path, output_path, batch_rows: int = 65536, progress=None,
             run=None) -> dict:
    """Run ``pipe`` over the rows of ``input_path``, writing ``output_path``; returns
    {rows_in, rows_out, batches}. ``progress``: a ``console.Progress``; ``run``: a
    ``hooks.Run`` whose fields get the totals."""
    total, tables = open_batches(input_path, pipe.signature, batch_rows)
    if progress is not None and total is not None:
        progress.total = total
    writer = Writer(output_path)
    rows_in = batches = 0
    ok = False
    try:
        for table in tables:
            if table is None:
                break
            result = pipe(*arguments(pipe.signature, table))
            writer.write(result_table(result, table.num_rows, whole=not batch_rows))
            rows_in += table.num_rows
            batches += 1
            if progress is not None:
                progress.update(table.num_rows)
        if writer._w is None:
            raise StreamError(f"{input_path} has no rows")
        ok = True
    finally:
        writer.close(ok)
    stats = {"rows_in": rows_in, "rows_out": writer.rows, "batches": batches}
    if run is not None:
        run.fields.update(stats)
    return stats

"""A loaded pipeline (``weldish.load``): validated calls of an exported graph.

    pipe = weldish.load("score.weldish")
    pipe.signature          # (x: float64[n, 3], df: DataFrame[n]{a: float64}) -> float64[n]
    pipe(x, df)             # NumPy/pandas in, NumPy/pandas out, any number of rows n
    print(pipe.explain())   # signature, graph, kernels, profile

A call checks its arguments against the signature before anything runs: a wrong number
of arguments is a TypeError (as Python's), a wrong dtype a TypeError, a wrong rank or
trailing shape or unequal row counts a ValueError, a missing DataFrame column a KeyError
(as pandas'); each message says what the signature expects and what came. Calls are
thread-safe. Each call is a hooks run (``weldish.hooks.running``, kind "pipeline") whose
end event carries ``name``, ``version``, ``fingerprint`` (the artifact's), ``path``,
``rows_in``, ``bytes_in``, ``bytes_out``, ``drift`` and, as lineage entries
(``weldish.lifecycle.tracking.describe``: label, content fingerprint, rows, bytes), the
``inputs`` (one per argument, as passed) and ``outputs`` (one per returned value), so the
tracker (``weldish.lifecycle.tracking``) records one row per call.
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping

import numpy as np

from ..ir import dtypes as dt
from . import hooks
from . import profile as prof
from .artifact import (
    ArtifactError,
    CallCodec,
    Signature,
    SizeCache,
    at_rows,
    bind_signature,
    check_sizes,
    decode_array,
    format_dim,
    graph_nodes,
    profile_columns,
)
from .monitoring import Monitor

# the module (the package's ``evaluate`` attribute is the function)
_evaluate = importlib.import_module("..evaluate", __package__)


def _eager(value):
    """A lazy ``weldish.pandas`` object's pandas value (others unchanged)."""
    if type(value).__module__.startswith("weldish.pandas"):
        from ..pandas import to_pandas
        return to_pandas(value)
    return value


def _ndarray(name, value):
    """An argument as a NumPy array (pandas Series, lazy arrays, lists accepted)."""
    value = _eager(value)
    if isinstance(value, np.ndarray):
        return value
    if type(value).__module__.startswith("pandas"):
        if hasattr(value, "columns"):
            raise TypeError(f"argument {name!r}: expected an array, got a DataFrame")
        value = value.to_numpy()
    try:
        return np.asarray(value)
    except Exception as e:  # noqa: BLE001 - what NumPy says is the reason
        raise TypeError(f"argument {name!r}: expected an array, got "
                        f"{type(value).__name__} ({e})") from None


def _columns_of(name, value):
    """A frame argument's column access: (names, get(name) -> 1-d array)."""
    value = _eager(value)
    if hasattr(value, "column_names") and hasattr(value, "column"):   # pyarrow Table
        return list(value.column_names), lambda c: value.column(c).to_numpy()
    if type(value).__module__.startswith("pandas") and hasattr(value, "columns"):
        return list(value.columns), lambda c: value[c].to_numpy()
    if isinstance(value, Mapping):
        return list(value.keys()), lambda c: np.asarray(value[c])
    raise TypeError(f"argument {name!r}: expected a DataFrame (pandas, Arrow table or a "
                    f"mapping of columns), got {type(value).__name__}")


def _frame_rows(value, cols) -> int:
    """A frame argument's number of rows (its columns' length; pandas/Arrow know it even
    when the pipeline reads no column)."""
    lengths = {len(c) for c in cols.values()}
    if len(lengths) > 1:
        raise ValueError(f"the columns have different lengths {sorted(lengths)}")
    if lengths:
        return lengths.pop()
    if hasattr(value, "num_rows"):
        return int(value.num_rows)
    if hasattr(value, "columns"):
        return len(value)
    return len(next(iter(value.values()))) if len(value) else 0


class Pipeline:
    """A loaded artifact: call it like the exported function (see the module docstring).

    Attributes: ``name``, ``version``, ``signature`` (``Signature``), ``profile`` (the
    example inputs' statistics), ``fingerprint`` (SHA-256 of the artifact's content),
    ``weldish_version`` (that exported it), ``path``, ``monitor`` (a ``Monitor`` or None).
    """

    def __init__(self, content: dict, header: dict, path=None, monitor=True,
                 drift_threshold=None, drift_thresholds=None):
        try:
            self._content = content
            self.name = content["name"]
            self.version = content["version"]
            self.created = content.get("created")
            self.signature = Signature(content["signature"])
            self.profile = content["profile"]
            self._params = self.signature.parameters
            self._outspec = content["signature"]["outputs"]
            self._constants = {k: decode_array(v) for k, v in content["constants"].items()}
            self._codec_calls = content.get("calls") or []
            self._masks = content.get("masks") or []
        except (KeyError, TypeError, ValueError) as e:
            raise ArtifactError(f"incomplete artifact content ({type(e).__name__}: {e})") \
                from None
        self.fingerprint = header["sha256"]
        self.weldish_version = header.get("weldish_version")
        self.path = path
        self._bind = bind_signature(self._params)
        self._sizes = SizeCache()
        self.monitor = (Monitor(self.profile, drift_threshold, drift_thresholds)
                        if monitor else None)
        try:   # the graphs are read now (building nodes runs nothing): a bad one fails here
            self.graph()
            if self._masks:
                self.graph(masks=True)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            if isinstance(e, ArtifactError):
                raise
            raise ArtifactError(f"the artifact's graph cannot be read: {type(e).__name__}: "
                                f"{e}") from None
        if self._codec_calls:
            # import the allowed functions now: a missing one fails the load
            for call in self._codec_calls:
                CallCodec._spec(at_rows(call, 1))
            from ..split.record import STATE
            STATE["recorded"] += 1   # evaluation routes graphs with calls to split stages

    def __repr__(self):
        return f"<weldish.Pipeline {self.name!r} version {self.version!r} {self.signature}>"

    def _codec(self, n: int, counts=None):
        """The codec of annotated calls for ``n`` rows (their lengths follow n and the
        masks' counts)."""
        if not self._codec_calls:
            return None
        key = ("codec", n, None if counts is None else tuple(counts))
        return self._sizes.get(key, lambda _: CallCodec(
            calls=at_rows(self._codec_calls, n, counts)))

    # -- validation ----------------------------------------------------------------------
    def _expected(self, p) -> str:
        return f"{p['name']}: {Signature.describe(p)}"

    def bind(self, args, kwargs) -> tuple[dict, dict, int]:
        """({slot: array}, {param: array or {column: array}}, n) for a call's arguments,
        checked against the signature (see the module docstring for the errors)."""
        try:
            bound = self._bind.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self.name}(): {e}; the pipeline takes {self.signature}") \
                from None
        slots, values, n, n_from = {}, {}, None, None
        for p in self._params:
            name, value = p["name"], bound.arguments[p["name"]]
            if p["kind"] == "frame":
                present, get = _columns_of(name, value)
                missing = [c for c, _ in p["columns"] if c not in present]
                if missing:
                    raise KeyError(f"argument {name!r}: missing column(s) {missing}; the "
                                   f"pipeline takes {self._expected(p)}, got columns "
                                   f"{present}")
                cols = {}
                for c, dtype in p["columns"]:
                    col = get(c)
                    if col.dtype != np.dtype(dtype):
                        raise TypeError(f"argument {name!r}: column {c!r} has dtype "
                                        f"{col.dtype}, the pipeline takes "
                                        f"{np.dtype(dtype)} ({self._expected(p)})")
                    cols[c] = slots[f"{name}[{c}]"] = col
                values[name] = cols
                rows = _frame_rows(value, cols)
                shape_desc = f"{rows} rows"
            else:
                arr = _ndarray(name, value)
                shape = p["shape"]
                if arr.ndim != len(shape):
                    raise ValueError(f"argument {name!r}: expected a {len(shape)}-d array "
                                     f"({self._expected(p)}), got a {arr.ndim}-d array "
                                     f"{arr.dtype}{list(arr.shape)}")
                if arr.dtype != np.dtype(p["dtype"]):
                    raise TypeError(f"argument {name!r}: expected dtype "
                                    f"{np.dtype(p['dtype'])} ({self._expected(p)}), got "
                                    f"{arr.dtype}{list(arr.shape)}")
                fixed = shape[1:] if p["rows"] else shape
                if list(arr.shape[len(shape) - len(fixed):]) != list(fixed):
                    raise ValueError(f"argument {name!r}: expected shape "
                                     f"[{', '.join(map(format_dim, shape))}] "
                                     f"({self._expected(p)}), got {list(arr.shape)}")
                slots[name] = values[name] = arr
                rows = arr.shape[0] if p["rows"] else None
                shape_desc = f"shape {list(arr.shape)}"
            if rows is not None:
                if n is None:
                    n, n_from = rows, (name, shape_desc)
                elif rows != n:
                    raise ValueError(f"the pipeline's inputs share their number of rows "
                                     f"n: argument {n_from[0]!r} has {n_from[1]}, "
                                     f"{name!r} has {shape_desc}")
        if n is None:
            n = int(self.signature.example_rows or 0)
        return slots, values, n

    # -- running -------------------------------------------------------------------------
    def _checked(self, n: int):
        """Check once per size that the fitted graph is NumPy's for ``n`` rows."""
        def make(_):
            check_sizes(self.graph(n), n)
            return True
        return self._sizes.get(("checked", n), make)

    def graph(self, n: int | None = None, masks: bool = False) -> list:
        """The pipeline's output nodes for ``n`` rows (default: the example's), over
        placeholder inputs (no data; filters keep every row): for printing and drawing
        (``weldish.ir.printer``). ``masks``: the filters' mask nodes instead."""
        n = int(self.signature.example_rows if n is None else n)
        arrays = self._placeholders(n)
        docs = self._masks if masks else [self._content["graph"]]
        return [r for doc in docs for r in graph_nodes(doc, n, arrays, self._codec(n))]

    def _placeholders(self, n: int) -> dict:
        """Arrays for every input slot at ``n`` rows: the constants, and data-less
        stand-ins for arguments and masks (shapes as a filter keeping every row)."""
        arrays = dict(self._constants)
        for doc in [*self._masks, self._content["graph"]]:
            for spec in at_rows(doc["inputs"], n):
                if spec["name"] not in arrays:
                    arrays[spec["name"]] = dt.stand_in(np.dtype(spec["dtype"]),
                                                       spec["shape"])
        return arrays

    def _program(self, template, n: int, counts: list):
        """(prepared program, its input slots in binding order, root -> distinct root
        positions) for ``template`` at these sizes, made once per sizes and backend; None
        for a graph of annotated calls (run by ``weldish.evaluate``'s split stages)."""
        from ..config import SETTINGS
        key = ("program", id(template), n, tuple(counts), SETTINGS.backend,
               _evaluate.GENERATION)

        def make(_):
            arrays = self._placeholders(n)
            roots = graph_nodes(template, n, arrays, self._codec(n, counts), counts)
            if self._codec_calls:
                return None
            distinct = list(dict.fromkeys(roots))
            prepared, inputs = _evaluate.program_for(distinct)
            return (prepared, [dict(i.arg)["buffer"].name for i in inputs],
                    [distinct.index(r) for r in roots])
        return self._sizes.get(key, make)

    def _values(self, template, n, arrays, counts) -> list:
        """The values of ``template``'s outputs over ``arrays``."""
        program = self._program(template, n, counts)
        if program is None:
            roots = graph_nodes(template, n, arrays, self._codec(n, counts), counts)
            distinct = list(dict.fromkeys(roots))
            values = _evaluate.run_nodes(distinct)
            positions = [distinct.index(r) for r in roots]
        else:
            prepared, slots, positions = program
            values = _evaluate.run_program(prepared, [arrays[s] for s in slots])
        out = [values[i] for i in positions]
        # one value per output: a root listed twice is handed out as two arrays
        return [v.copy() if any(v is w for w in out[:i]) else v for i, v in enumerate(out)]

    def run(self, slots: dict, n: int) -> list:
        """The output values for validated inputs ({slot: array}) of ``n`` rows: the
        filters' masks first (their counts size what follows), then the outputs."""
        self._checked(n)
        arrays, counts = {**self._constants, **slots}, []
        for j, doc in enumerate(self._masks):
            (value,) = self._values(doc, n, arrays, counts)
            arrays[f"mask{j}"] = value
            counts.append(int(np.count_nonzero(value)))
        return self._values(self._content["graph"], n, arrays, counts)

    def __call__(self, *args, **kwargs):
        slots, values, n = self.bind(args, kwargs)
        from . import tracking  # (sqlite3: imported on the first call, not with weldish)
        tracking.ensure()   # every run of a loaded pipeline is recorded (WELDISH_TRACKING=off)
        with hooks.running(kind="pipeline", name=self.name, version=self.version,
                           fingerprint=self.fingerprint, path=self.path, rows_in=n) as run:
            drift = []
            if self.monitor is not None:
                drift = self.monitor.check(profile_columns(self._params, values),
                                           pipeline=self.name, stacklevel=3)
            outputs = self.run(slots, n)
            given = self._bind.bind(*args, **kwargs).arguments
            result = self._result(self._outspec, outputs, given, n)
            if hooks.SUBSCRIBERS:   # lineage: paid only when someone records it
                from .tracking import describe
                if isinstance(result, (tuple, list)):
                    out, labels = list(result), [str(i) for i in range(len(result))]
                elif isinstance(result, dict):
                    out, labels = list(result.values()), list(result)
                else:
                    out, labels = [result], ["0"]
                run.fields.update(
                    bytes_in=sum(a.nbytes for a in slots.values()),
                    bytes_out=sum(np.asarray(v).nbytes for v in outputs),
                    inputs=describe(list(given.values()), list(given)),
                    outputs=describe(out, labels),
                    drift=[f"{d['column']}:{d['statistic']}" for d in drift])
        return result

    def _result(self, spec, values, given, n):
        """The function's result rebuilt from the output values; a Series/DataFrame gets
        the index labels of its rows in the input frame it came from."""
        (kind, body), = spec.items()
        if kind == "array":
            v = values[body]
            return v[()] if v.ndim == 0 else v
        if kind in ("tuple", "list"):
            out = [self._result(s, values, given, n) for s in body]
            return tuple(out) if kind == "tuple" else out
        if kind == "dict":
            return {k: self._result(s, values, given, n) for k, s in body}
        if kind in ("series", "frame"):
            import pandas as pd
            index = self._index(body, values, given, n)
            if kind == "series":
                return pd.Series(values[body["values"]["array"]], index=index,
                                 name=body["name"])
            return pd.DataFrame({k: values[s["array"]] for k, s in body["columns"]},
                                index=index)
        raise ArtifactError(f"unknown output kind {kind!r}")

    @staticmethod
    def _index(body, values, given, n):
        import pandas as pd
        frame = _eager(given.get(body["origin"]))
        labels = frame.index if isinstance(frame, (pd.DataFrame, pd.Series)) else \
            pd.RangeIndex(n)
        if body["index"] is None:
            return labels
        return labels.take(values[body["index"]["array"]])

    # -- describing ----------------------------------------------------------------------
    def explain(self, n: int | None = None, show: bool = False) -> str:
        """Text: the signature, the graph (shapes for ``n`` rows, default the example's),
        the backend's kernels, the exported profile. Printed too if ``show``."""
        from .. import backends
        from ..config import SETTINGS
        from ..ir.printer import format_graph, format_plan
        roots = self.graph(n)
        names = [f"out{i}" for i in range(len(roots))]
        rows = self.signature.example_rows if n is None else n
        lines = [(f"pipeline {self.name!r} version {self.version!r} (exported by weldish "
                  f"{self.weldish_version}, sha256 {self.fingerprint[:16]}...)"),
                 f"signature: {self.signature}"]
        if self._masks:
            lines += [(f"== filters: boolean masks computed first, for n = {rows} rows "
                       "(each mask's count of True values sizes what it filters)"),
                      format_graph(self.graph(n, masks=True),
                                   [f"mask{j}" for j in range(len(self._masks))])]
        lines += [f"== graph for n = {rows} rows"
                  + (" (shown with filters keeping every row)" if self._masks else ""),
                  format_graph(roots, names)]
        backend = backends.get(SETTINGS.backend)
        if hasattr(backend, "plan"):
            from ..ir import passes
            kernels = backend.plan(passes.optimize(roots))
            lines += [f"== kernels ({backend.name})",
                      format_plan(kernels, backend.notes(kernels))]
        if self._codec_calls:
            lines.append("== Python functions imported at load: " + ", ".join(
                sorted({c["path"] for c in self._codec_calls})))
        lines += ["== profile of the example inputs", prof.format_profile(self.profile)]
        text = "\n".join(lines)
        if show:
            print(text)
        return text

    def check(self, *args, **kwargs) -> list[dict]:
        """The monitoring report (``weldish.lifecycle.monitoring.compare``) of these
        arguments, without running the pipeline or warning."""
        from .monitoring import compare
        _, values, _ = self.bind(args, kwargs)
        thresholds = self.monitor.thresholds if self.monitor else None
        return compare(self.profile, profile_columns(self._params, values),
                       thresholds=thresholds)

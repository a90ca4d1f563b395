"""Run tracking: every pipeline run recorded in an embedded SQLite store, with lineage.

    from weldish.lifecycle import tracking
    tracking.enable()                      # loaded pipelines' runs (and, with
    weldish.config(track=True)             #   track=True, every weldish.evaluate)
    tracking.runs()                        # the latest runs, newest first
    tracking.lineage(fingerprint(output))  # which run made it, from which inputs

A ``Tracker`` is a hooks subscriber: it adds up the events of each run (compiles and
cache hits, steps, fallbacks) and writes one row when the run ends. A run started inside
another one (a batch of ``weldish run``) is folded into it, not recorded apart.

The store (``default_path``: ``$WELDISH_TRACKING_DB``, else ``$WELDISH_HOME/runs.sqlite``,
else ``~/.local/share/weldish/runs.sqlite``) is in WAL mode with a busy timeout; each
thread has its own connection and each write is one ``BEGIN IMMEDIATE`` transaction, so
concurrent threads and processes wait for each other and lose nothing.
``WELDISH_TRACKING=off`` turns the default tracker off.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..config import SETTINGS
from . import hooks

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, kind TEXT, name TEXT, version TEXT, fingerprint TEXT,
    started REAL, seconds REAL, status TEXT, error TEXT,
    rows_in INTEGER, bytes_in INTEGER, rows_out INTEGER, bytes_out INTEGER,
    steps INTEGER, execute_seconds REAL, compiles INTEGER, compile_seconds REAL,
    cache_hits INTEGER, fallbacks INTEGER, nested INTEGER,
    host TEXT, pid INTEGER, thread INTEGER, weldish_version TEXT, details TEXT);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started);
CREATE TABLE IF NOT EXISTS lineage (
    run_id TEXT NOT NULL, role TEXT NOT NULL, position INTEGER NOT NULL, label TEXT,
    fingerprint TEXT NOT NULL, rows INTEGER, bytes INTEGER);
CREATE INDEX IF NOT EXISTS lineage_fingerprint ON lineage(fingerprint, role);
CREATE INDEX IF NOT EXISTS lineage_run ON lineage(run_id);
"""
COLUMNS = ("id", "kind", "name", "version", "fingerprint", "started", "seconds", "status",
           "error", "rows_in", "bytes_in", "rows_out", "bytes_out", "steps",
           "execute_seconds", "compiles", "compile_seconds", "cache_hits", "fallbacks",
           "nested", "host", "pid", "thread", "weldish_version", "details")
# run fields with a column of their own (the rest go to ``details`` as JSON)
_KNOWN = {"kind", "name", "pipeline", "version", "fingerprint", "inputs", "outputs", "phase",
          "start", "seconds", "error", "parent", "rows_in", "bytes_in", "rows_out",
          "bytes_out"}


def default_path() -> Path:
    configured = os.environ.get("WELDISH_TRACKING_DB")
    if configured:
        return Path(configured).expanduser()
    home = os.environ.get("WELDISH_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".local" / "share" / "weldish"
    return base / "runs.sqlite"


# --- fingerprints: content hashes naming data in the lineage table ---

def fingerprint(value) -> str:
    """A content hash (32 hex digits) of an array, a pandas object, an Arrow table or
    batch, or a scalar: equal data (values, dtypes, shapes, names) has equal hashes."""
    return _digest(value)[0]


def file_fingerprint(path) -> str:
    """The content hash of a file's bytes."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def describe(values, labels=None) -> list[dict]:
    """Lineage entries of ``values`` (a list): label, fingerprint, rows, bytes."""
    out = []
    for i, v in enumerate(values):
        fp, rows, nbytes = _digest(v)
        out.append({"label": labels[i] if labels is not None else str(i),
                    "fingerprint": fp, "rows": rows, "bytes": nbytes})
    return out


def _digest(value) -> tuple[str, int, int]:
    """(content hash, rows, bytes of data) in one pass over the value."""
    h = hashlib.blake2b(digest_size=16)
    nbytes = _feed(h, value)
    shape = getattr(value, "shape", None)
    rows = (shape[0] if shape else 1) if shape is not None else \
        getattr(value, "num_rows", None) or (len(value) if isinstance(value, (list, tuple))
                                             else 1)
    return h.hexdigest(), int(rows), int(nbytes)


def _feed(h, value) -> int:
    """Hash ``value`` into ``h``; returns its data's bytes."""
    if isinstance(value, np.ndarray):
        h.update(f"ndarray|{value.dtype.str}|{value.shape}|".encode())
        if value.dtype.hasobject:
            h.update(repr(value.tolist()).encode())
        else:
            h.update(memoryview(np.ascontiguousarray(value)).cast("B"))
        return value.nbytes
    kind = type(value).__module__.split(".")[0]
    if kind == "pandas":
        import pandas as pd
        if isinstance(value, (pd.DataFrame, pd.Series)):
            return _feed_pandas(h, value, pd)
    if kind == "pyarrow" and hasattr(value, "schema") and hasattr(value, "columns"):
        h.update(f"arrow|{value.schema}|{value.num_rows}|".encode())
        for column in value.columns:
            chunks = column.chunks if hasattr(column, "chunks") else [column]
            for chunk in chunks:
                h.update(f"{chunk.offset}|{len(chunk)}|".encode())
                for buf in chunk.buffers():
                    h.update(b"-" if buf is None else memoryview(buf))
        return value.nbytes
    if isinstance(value, (list, tuple)):
        h.update(f"{type(value).__name__}|{len(value)}|".encode())
        return sum(_feed(h, v) for v in value)
    if isinstance(value, dict):
        h.update(f"dict|{len(value)}|".encode())
        total = 0
        for k, v in value.items():
            h.update(f"{k!r}=".encode())
            total += _feed(h, v)
        return total
    return _feed(h, np.asarray(value))


def _feed_pandas(h, value, pd) -> int:
    """Names, dtypes, index and values of a Series or DataFrame."""
    frame = isinstance(value, pd.DataFrame)
    if not frame:
        columns = [value.array]
    else:   # pandas' own column access: ~10x cheaper than df[c], which builds a Series
        get = getattr(value, "_get_column_array", None)
        columns = [get(i) for i in range(value.shape[1])] if get is not None else \
            [value[c].array for c in value.columns]
    names = [str(c) for c in value.columns.tolist()] if frame else [str(value.name)]
    h.update(f"pandas|{type(value).__name__}|{names}|{value.shape}|".encode())
    index = value.index
    if isinstance(index, pd.RangeIndex):   # the default index: three numbers
        h.update(f"range|{index.start}|{index.stop}|{index.step}|".encode())
    else:
        h.update(pd.util.hash_pandas_object(index, index=False).to_numpy())
    total = 0
    for col in columns:
        dtype = col.dtype
        h.update(f"{dtype}|".encode())
        if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
            a = np.ascontiguousarray(np.asarray(col))
            h.update(memoryview(a).cast("B"))
            total += a.nbytes
        else:   # strings, categories, nullable types: pandas' own row hashes
            h.update(pd.util.hash_pandas_object(pd.Series(col, copy=False),
                                                index=False).to_numpy())
            total += int(getattr(col, "nbytes", 0))
    return total


# --- the store ---

class Store:
    """The SQLite store of runs (one connection per thread, WAL, busy timeout)."""

    def __init__(self, path=None, timeout: float = 30.0):
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.timeout = timeout
        # one connection per thread, held only by the thread's local storage: a thread
        # that ends drops (closes) its connection, so short-lived threads leak nothing
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn().executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                 check_same_thread=False)
            db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    @contextmanager
    def _write(self):
        """One write transaction, taken up front (BEGIN IMMEDIATE): a writer waits for
        the others (busy timeout) instead of failing when its read turns into a write."""
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self):
        """Close this thread's connection; other threads' close when they are done with
        them (the storage holding them is dropped here)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
        self._local = threading.local()

    def record(self, run: dict, inputs=(), outputs=()) -> str:
        """Write one run (a dict of ``COLUMNS``) and its lineage entries."""
        row = [run.get(c) for c in COLUMNS]
        with self._write() as db:
            db.execute(f"INSERT OR REPLACE INTO runs ({', '.join(COLUMNS)}) VALUES "
                       f"({', '.join('?' * len(COLUMNS))})", row)
            db.executemany(
                "INSERT INTO lineage (run_id, role, position, label, fingerprint, rows, "
                "bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(run["id"], role, i, e.get("label"), e["fingerprint"], e.get("rows"),
                  e.get("bytes"))
                 for role, entries in (("input", inputs), ("output", outputs))
                 for i, e in enumerate(entries)])
        return run["id"]

    def runs(self, limit: int = 20, name: str | None = None) -> list[dict]:
        """The latest runs, newest first (of pipeline ``name`` if given)."""
        where, args = ("WHERE name = ?", [name]) if name else ("", [])
        rows = self._conn().execute(
            f"SELECT * FROM runs {where} ORDER BY started DESC LIMIT ?", args + [limit])
        return [_row(r) for r in rows]

    def count(self) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def get(self, run_id: str) -> dict:
        """One run (by id or a unique prefix of it) with its ``inputs`` and ``outputs``."""
        rows = self._conn().execute("SELECT * FROM runs WHERE id LIKE ? LIMIT 2",
                                    [run_id.replace("%", "") + "%"]).fetchall()
        if not rows:
            raise KeyError(f"no tracked run {run_id!r} in {self.path}")
        if len(rows) > 1:
            raise KeyError(f"run id prefix {run_id!r} is ambiguous in {self.path}")
        run = _row(rows[0])
        entries = self._conn().execute(
            "SELECT role, label, fingerprint, rows, bytes FROM lineage WHERE run_id = ? "
            "ORDER BY role, position", [run["id"]]).fetchall()
        for role in ("input", "output"):
            run[f"{role}s"] = [{"label": e["label"], "fingerprint": e["fingerprint"],
                                "rows": e["rows"], "bytes": e["bytes"]}
                               for e in entries if e["role"] == role]
        return run

    def lineage(self, output_fingerprint: str, depth: int = 8) -> list[dict]:
        """The runs that produced data with this fingerprint, newest first, each with
        its ``inputs``; an input that an earlier run produced carries that run's lineage
        as ``upstream`` (up to ``depth`` levels)."""
        ids = [r[0] for r in self._conn().execute(
            "SELECT l.run_id FROM lineage l JOIN runs r ON r.id = l.run_id WHERE "
            "l.fingerprint = ? AND l.role = 'output' ORDER BY r.started DESC",
            [output_fingerprint])]
        result = []
        for run_id in dict.fromkeys(ids):
            run = self.get(run_id)
            if depth > 1:
                for entry in run["inputs"]:
                    up = self.lineage(entry["fingerprint"], depth - 1)
                    if up:
                        entry["upstream"] = up
            result.append(run)
        return result


def _row(r) -> dict:
    d = dict(r)
    if d.get("details"):
        d["details"] = json.loads(d["details"])
    return d


# --- the subscriber ---

class Tracker:
    """Records each finished run in ``store`` (a hooks subscriber, see ``enable``)."""

    EVENTS = ("run", "compile", "execute", "fallback")

    def __init__(self, store: Store, forward=None):
        self.store = store
        self.forward = forward   # called with (row, inputs, outputs) after each write
        self._open: dict = {}    # run id -> counters
        self._lock = threading.Lock()
        self.handle = None
        self.recorded = 0

    def __call__(self, event):
        if event.event == "run":
            if event.phase == "start":
                with self._lock:
                    self._open[event.run] = _counters()
            else:
                self._finish(event)
            return
        with self._lock:
            c = self._open.get(event.run)
        if c is None:  # outside any run (a plain weldish.evaluate)
            return
        if event.event == "compile":
            c["compiles"] += event.cache != "memory" and event.cache != "disk"
            c["cache_hits"] += event.cache in ("memory", "disk")
            c["compile_seconds"] += event.get("seconds", 0.0)
        elif event.event == "execute":
            c["steps"] += 1
            c["execute_seconds"] += event.get("seconds", 0.0)
        else:
            c["fallbacks"] += 1

    def _finish(self, event):
        with self._lock:
            c = self._open.pop(event.run, None) or _counters()
            parent = self._open.get(event.get("parent"))
            if parent is not None:  # a run inside another (a batch): folded into it
                for k, v in c.items():
                    parent[k] += v
                parent["nested"] += 1
                return
        f = event.fields
        inputs, outputs = _entries(f.get("inputs")), _entries(f.get("outputs"))
        from .. import __version__
        kind = f.get("kind") or ("pipeline" if f.get("pipeline") else "run")
        row = dict(c, id=event.run, kind=kind, name=f.get("name") or f.get("pipeline"),
                   version=None if f.get("version") is None else str(f.get("version")),
                   fingerprint=f.get("fingerprint"), started=f.get("start"),
                   seconds=f.get("seconds"), error=f.get("error"),
                   status="error" if f.get("error") else "ok",
                   rows_in=f.get("rows_in", _total(inputs, "rows", max)),
                   bytes_in=f.get("bytes_in", _total(inputs, "bytes", sum)),
                   rows_out=f.get("rows_out", _total(outputs, "rows", max)),
                   bytes_out=f.get("bytes_out", _total(outputs, "bytes", sum)),
                   host=socket.gethostname(), pid=os.getpid(), thread=event.thread,
                   weldish_version=__version__)
        extra = {k: v for k, v in f.items() if k not in _KNOWN}
        row["details"] = json.dumps(extra, default=str) if extra else None
        self.store.record(row, inputs, outputs)
        self.recorded += 1
        if self.forward is not None:
            self.forward(row, inputs, outputs)


def _entries(given) -> list[dict]:
    """Lineage entries from a run's ``inputs``/``outputs`` field: ``describe``'s list,
    {label: fingerprint}, or [fingerprint, ...]."""
    if not given:
        return []
    if isinstance(given, dict):
        given = [{"label": str(k), "fingerprint": v} if isinstance(v, str) else
                 dict(v, label=str(k)) for k, v in given.items()]
    return [{"label": str(i), "fingerprint": e} if isinstance(e, str) else e
            for i, e in enumerate(given)]


def _total(entries, key, combine):
    values = [e[key] for e in entries if e.get(key) is not None]
    return combine(values) if values else None


def _counters() -> dict:
    return {"steps": 0, "execute_seconds": 0.0, "compiles": 0, "compile_seconds": 0.0,
            "cache_hits": 0, "fallbacks": 0, "nested": 0}


# --- the process' tracker ---

_STATE = {"tracker": None}
_STATE_LOCK = threading.Lock()


def enable(path=None, evaluate: bool | None = None, mlflow: bool | None = None) -> Tracker:
    """Start (or return) the process' tracker, writing to ``path`` (default:
    ``default_path()``). ``evaluate``: also record each ``weldish.evaluate`` as a run.
    ``mlflow``: forward runs to MLflow (default: when ``WELDISH_MLFLOW`` is set)."""
    with _STATE_LOCK:
        tracker = _STATE["tracker"]
        wanted = Path(path).expanduser() if path is not None else None
        if tracker is not None and wanted is not None and tracker.store.path != wanted:
            _stop(tracker)
            tracker = None
        if tracker is None:
            if mlflow is None:
                mlflow = bool(os.environ.get("WELDISH_MLFLOW"))
            tracker = Tracker(Store(path), forward=mlflow_forwarder() if mlflow else None)
            tracker.handle = hooks.subscribe(tracker, Tracker.EVENTS, runs_only=True)
            _STATE["tracker"] = tracker
        if evaluate is not None:
            SETTINGS.track = bool(evaluate)
        return tracker


def disable() -> None:
    """Stop the process' tracker (runs are no longer recorded)."""
    with _STATE_LOCK:
        SETTINGS.track = False
        tracker, _STATE["tracker"] = _STATE["tracker"], None
        if tracker is not None:
            _stop(tracker)


def _stop(tracker):
    hooks.unsubscribe(tracker.handle)
    tracker.store.close()


def ensure() -> Tracker | None:
    """The process' tracker, started with the default store unless ``WELDISH_TRACKING``
    is off (what a loaded pipeline calls, so its runs are recorded). None, with one
    warning, when the store cannot be opened."""
    tracker = _STATE["tracker"]
    if tracker is not None:
        return tracker
    if os.environ.get("WELDISH_TRACKING", "").strip().lower() in ("0", "off", "no",
                                                                   "false"):
        return None
    try:
        return enable()
    except (OSError, sqlite3.Error) as e:  # tracking never stops a pipeline: said once
        if not _STATE.get("warned"):
            _STATE["warned"] = True
            import warnings
            warnings.warn(f"weldish: runs are not recorded ({default_path()}: {e})",
                          RuntimeWarning, stacklevel=2)
        return None


def active() -> Tracker | None:
    return _STATE["tracker"]


@contextmanager
def track(kind: str = "pipeline", inputs=None, labels=None, **fields):
    """A tracked run around a block (ensures the tracker): yields the ``hooks.Run``;
    ``inputs`` (values) are fingerprinted now, outputs when the block calls
    ``outputs(run, values)``."""
    ensure()
    with hooks.running(kind=kind, **fields) as run:
        if inputs is not None and hooks.SUBSCRIBERS:
            run.fields["inputs"] = describe(inputs, labels)
        yield run


def outputs(run, values, labels=None) -> None:
    """Record ``values`` as the outputs of ``run`` (see ``track``)."""
    if hooks.SUBSCRIBERS:
        run.fields["outputs"] = describe(values, labels)


def runs(limit: int = 20, name=None, path=None) -> list[dict]:
    """The latest tracked runs (of the store at ``path``, default the active one)."""
    return _store(path).runs(limit, name)


def lineage(output_fingerprint: str, path=None, depth: int = 8) -> list[dict]:
    """The runs that produced data with this fingerprint, with their inputs (see
    ``Store.lineage``)."""
    return _store(path).lineage(output_fingerprint, depth)


def _store(path) -> Store:
    tracker = _STATE["tracker"]
    if path is None and tracker is not None:
        return tracker.store
    return Store(path)


# --- MLflow forwarding (optional) ---

def mlflow_forwarder():
    """A forwarder logging each run to MLflow (params, metrics, the row as an artifact);
    None when MLflow is not installed."""
    try:
        import mlflow
    except ImportError:
        return None

    def forward(row, inputs, outputs):
        with mlflow.start_run(run_name=f"{row.get('name') or row['kind']}-{row['id'][:8]}"):
            mlflow.log_params({k: row[k] for k in ("kind", "name", "version", "fingerprint")
                               if row.get(k) is not None})
            mlflow.log_metrics({k: float(row[k]) for k in (
                "seconds", "rows_in", "rows_out", "bytes_in", "bytes_out", "steps",
                "compiles", "cache_hits", "fallbacks") if row.get(k) is not None})
            mlflow.log_dict({"run": {k: v for k, v in row.items() if k != "details"},
                             "inputs": inputs, "outputs": outputs}, "weldish_run.json")
    return forward

"""Pipeline artifacts: the file ``weldish.export`` writes and ``weldish.load`` reads.

One JSON file (never pickle; loading runs no code from it)::

    {"format": "weldish-artifact", "format_version": 1, "weldish_version": "0.1.0",
     "sha256": <hex digest of the canonical JSON of "content">,
     "content": {"name", "version", "created", "signature", "graph", "constants",
                 "calls", "profile", "trace_rows"}}

``graph`` is a ``weldish.ir.serialize`` document (format v2) whose numbers that depend on
the number of rows ``n`` (shapes, slice bounds, counts) are written ``{"rows": [k, c]}``,
meaning ``k * n + c``: loading for a batch of ``n`` rows substitutes them (no retrace, no
Python code of the pipeline). Constant arrays the pipeline captured are in ``constants``
(dtype, shape, base64 bytes). ``calls``: annotated Python functions the exporter allowed
by name (``allow_python``), stored as an import path that ``load`` imports.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import importlib
import inspect
import json
import threading
import time

import numpy as np

from ..ir import dtypes as dt
from ..ir import serialize
from ..ir.ops import Op
from . import hooks
from . import profile as prof

FORMAT = "weldish-artifact"
FORMAT_VERSION = 1


class ArtifactError(ValueError):
    """An artifact that cannot be loaded: not one, truncated, tampered with (checksum),
    written by a newer weldish, or naming code that cannot be imported."""


def _weldish_version():
    from .. import __version__
    return __version__


# --- the file -------------------------------------------------------------------------------
def canonical(content) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode()


def digest(content) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def write(path, content: dict) -> str:
    """Write the artifact; returns its fingerprint (the content's SHA-256)."""
    fingerprint = digest(content)
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION,
           "weldish_version": _weldish_version(), "sha256": fingerprint, "content": content}
    text = json.dumps(doc, sort_keys=True, allow_nan=False)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return fingerprint


def read(path) -> tuple[dict, dict]:
    """(header, content) of an artifact file, checked; ArtifactError otherwise."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ArtifactError(f"cannot read artifact {str(path)!r}: {e}") from e
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ArtifactError(f"{str(path)!r} is not a complete weldish artifact (truncated "
                            f"or not JSON: {e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ArtifactError(f"{str(path)!r} is not a weldish artifact")
    version = doc.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ArtifactError(f"{str(path)!r}: bad artifact format version {version!r}")
    if version > FORMAT_VERSION:
        raise ArtifactError(f"{str(path)!r} was written in artifact format {version} (by "
                            f"weldish {doc.get('weldish_version')}); this weldish "
                            f"({_weldish_version()}) reads up to format {FORMAT_VERSION}: "
                            "upgrade weldish")
    content = doc.get("content")
    if not isinstance(content, dict) or digest(content) != doc.get("sha256"):
        raise ArtifactError(f"{str(path)!r}: checksum mismatch: the artifact was modified "
                            "or damaged after export (nothing was run)")
    return doc, content


# --- constants and symbolic sizes ---------------------------------------------------------------
def encode_array(a: np.ndarray) -> dict:
    a = np.ascontiguousarray(a)
    return {"dtype": a.dtype.str, "shape": list(a.shape),
            "data": base64.b64encode(a.tobytes()).decode("ascii")}


def decode_array(d: dict) -> np.ndarray:
    a = np.frombuffer(base64.b64decode(d["data"]), dtype=np.dtype(d["dtype"]))
    return a.reshape(d["shape"]).copy()


def is_size(v) -> bool:
    """A symbolic size: ``{"rows": [k, c]}`` or ``{"count": [j, k, c]}``."""
    return isinstance(v, dict) and ("rows" in v or "count" in v) and len(v) <= 2


def at_rows(template, n: int, counts=None):
    """``template`` with every ``{"rows": [k, c]}`` replaced by ``k * n + c`` and every
    ``{"count": [j, k, c]}`` by ``k * counts[j] + c`` (mask j's count of True values;
    ``n`` when ``counts`` is not given: a filter that keeps every row)."""
    if isinstance(template, list):
        return [at_rows(x, n, counts) for x in template]
    if isinstance(template, dict):
        if is_size(template):
            if "rows" in template:
                (k, c), x = template["rows"], n
            else:
                j, k, c = template["count"]
                x = n if counts is None else counts[j]
            v = k * x + c
            return float(v) if template.get("float") else v
        return {key: at_rows(x, n, counts) for key, x in template.items()}
    return template


def format_dim(d) -> str:
    if not is_size(d):
        return str(d)
    if "rows" in d:
        (k, c), name = d["rows"], "n"
    else:
        j, k, c = d["count"]
        name = f"count(mask{j})"
    s = name if k == 1 else f"{k}*{name}"
    return s if c == 0 else f"{s}{c:+d}"


# --- the signature ------------------------------------------------------------------------------
class Signature:
    """What a pipeline takes and returns: ``parameters`` (dicts: ``name``, ``kind``
    "array" | "frame", ``dtype``/``shape`` or ``columns``, ``rows``: whether its leading
    dimension is the batch's ``n``), ``outputs`` (dtype and shape per computed array,
    index positions of Series/DataFrame results included) and ``result()`` (the
    structure the function returns, with its types)."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.parameters = doc["params"]
        self.outputs = doc["output_types"]
        self.example_rows = doc.get("example_rows")

    def to_dict(self) -> dict:
        return copy.deepcopy(self.doc)

    @staticmethod
    def describe(p) -> str:
        if p["kind"] == "frame":
            cols = ", ".join(f"{c}: {np.dtype(d).name}" for c, d in p["columns"])
            return f"DataFrame[n]{{{cols}}}"
        kind = "Series " if p.get("series") else ""
        return f"{kind}{np.dtype(p['dtype']).name}[{', '.join(map(format_dim, p['shape']))}]"

    def _type(self, leaf) -> str:
        o = self.outputs[leaf["array"]]
        return f"{np.dtype(o['dtype']).name}[{', '.join(map(format_dim, o['shape']))}]"

    def result(self, spec=None) -> str:
        """The result's structure and types: ``float64[n]``, ``(float64[], int64[3])``,
        ``Series 'a' float64[n]``, ``DataFrame{a: float64[count(mask0)]}``, ``{k: ...}``."""
        spec = self.doc["outputs"] if spec is None else spec
        (kind, body), = spec.items()
        if kind == "array":
            return self._type(spec)
        if kind in ("tuple", "list"):
            inner = ", ".join(self.result(s) for s in body)
            return f"({inner})" if kind == "tuple" else f"[{inner}]"
        if kind == "dict":
            return "{" + ", ".join(f"{k}: {self.result(s)}" for k, s in body) + "}"
        if kind == "series":
            return f"Series {body['name']!r} {self._type(body['values'])}"
        return "DataFrame{" + ", ".join(f"{k}: {self._type(s)}"
                                        for k, s in body["columns"]) + "}"

    def __str__(self):
        params = ", ".join(f"{p['name']}: {self.describe(p)}" for p in self.parameters)
        return f"({params}) -> {self.result()}"

    def __repr__(self):
        return f"<Signature {self}>"


# --- annotated calls stored by import path ---------------------------------------------------
def resolve(path: str):
    """The object an import path names ("package.module.attr.attr"): the longest prefix
    that imports as a module, then attributes. ImportError/AttributeError otherwise."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(f"no module in {path!r} can be imported")


class CallCodec:
    """``serialize``'s codec for annotated calls (``weldish.annotate``) the exporter
    allowed: the function is written as its import path (``allowed``: {id(annotated
    object): path}); constant arguments must be JSON values. Decoding imports that path
    (what the user opted in to) and checks it names an annotated function."""

    def __init__(self, allowed=None, calls=None):
        self.allowed = allowed or {}
        self.calls = [] if calls is None else calls
        self._index: dict = {}
        self._decoded: dict = {}

    def encode(self, v):
        from ..split.record import CallSpec
        if not isinstance(v, CallSpec):
            raise TypeError(f"cannot serialize op argument of type {type(v).__name__}")
        j = self._index.get(id(v))
        if j is None:
            layout = []
            for key, (what, x) in v.layout:
                if what != "src" and not isinstance(x, (bool, int, float, str, type(None))):
                    raise TypeError(f"annotated call {v.annotated.qualname}: argument "
                                    f"{key!r} is a {type(x).__name__} constant (only JSON "
                                    "values can be stored)")
                layout.append([key, what, x])
            j = self._index[id(v)] = len(self.calls)
            self.calls.append({"path": self.allowed[id(v.annotated)], "layout": layout,
                               "src_axes": list(v.src_axes), "n": v.n,
                               "outputs": list(v.outputs),
                               "output_axes": list(v.output_axes),
                               "mut_srcs": list(v.mut_srcs), "returns_src": v.returns_src})
        return {"call": j}

    def decode(self, body):
        j = body["call"]
        spec = self._decoded.get(j)
        if spec is None:
            spec = self._decoded[j] = self._spec(self.calls[j])
        return spec

    @staticmethod
    def _spec(d):
        from ..annotate import Annotated, Reduce
        from ..split.record import CallSpec
        try:
            obj = resolve(d["path"])
        except Exception as e:  # noqa: BLE001 - any import failure is the artifact's error
            raise ArtifactError(f"the pipeline calls {d['path']} (allowed at export), "
                                f"which cannot be imported here: {type(e).__name__}: "
                                f"{e}") from None
        if not isinstance(obj, Annotated):
            raise ArtifactError(f"{d['path']} is not an annotated function "
                                "(weldish.annotate) here")
        layout = [(key, (what, x)) for key, what, x in d["layout"]]
        reduce = obj.returns if isinstance(obj.returns, Reduce) else None
        return CallSpec(obj, layout, d["src_axes"], d["n"], d["outputs"],
                        d["output_axes"], reduce, d["mut_srcs"], d["returns_src"])


# --- loading --------------------------------------------------------------------------------
def load(path, monitor: bool = True, drift_threshold=None, drift_thresholds=None,
         allow_python=None):
    """The pipeline stored at ``path`` (see ``Pipeline``); ``ArtifactError`` if it is not a
    complete, unmodified artifact this weldish can read. ``monitor``: compare every call's
    inputs with the exported profile (``drift_threshold``: PSI's, default 0.2; see
    ``weldish.lifecycle.monitoring``).

    Loading runs no code from the artifact. An artifact exported with ``allow_python``
    names annotated functions by import path, which load imports (the only code it runs,
    from the installed modules). ``allow_python`` here limits that: None imports what the
    artifact names; a list of paths refuses any other (``()``: refuse them all) before
    anything is imported. A checksum detects damage, not a forged file: load artifacts
    of unknown origin with ``allow_python=()``."""
    from .pipeline import Pipeline
    t0 = time.perf_counter()
    doc, content = read(path)
    if allow_python is not None:
        named = sorted({c.get("path") for c in content.get("calls") or []})
        refused = [p for p in named if p not in set(allow_python)]
        if refused:
            raise ArtifactError(f"{str(path)!r} calls the Python function(s) {refused}, "
                                "which this load does not allow (allow_python=...); "
                                "nothing was imported")
    pipeline = Pipeline(content, doc, path=str(path), monitor=monitor,
                        drift_threshold=drift_threshold, drift_thresholds=drift_thresholds)
    if hooks.SUBSCRIBERS:
        hooks.emit("load", path=str(path), name=pipeline.name, version=pipeline.version,
                   fingerprint=pipeline.fingerprint, seconds=time.perf_counter() - t0)
    return pipeline


def bind_signature(params) -> inspect.Signature:
    return inspect.Signature([inspect.Parameter(p["name"],
                                                inspect.Parameter.POSITIONAL_OR_KEYWORD)
                              for p in params])


def graph_nodes(template: dict, n: int, arrays: dict, codec, counts=None) -> list:
    """The output nodes of a graph document ``template`` for ``n`` rows (and the masks'
    ``counts``) over ``arrays`` ({slot: array}), which the caller validated."""
    doc = derive_shapes(at_rows(template, n, counts), n, counts)
    for spec in doc["nodes"]:
        if any(d < 0 for d in spec["shape"]):
            raise ValueError(f"{n} rows are too few for this pipeline (a {spec['op']} step "
                             f"would have shape {spec['shape']}"
                             + (f"; its filters kept {counts} rows)" if counts else ")"))
    try:
        return serialize.from_dict(doc, arrays, codec)
    except serialize.GraphFormatError as e:
        raise ArtifactError(f"the artifact's graph cannot be read: {e}") from None


def _reduced(shape, arg):
    """A reduction's result shape from its source's and its (decoded) argument."""
    arg = dict(arg or ())
    axis, keep = arg.get("axis"), arg.get("keepdims", False)
    axes = set(range(len(shape))) if axis is None else \
        {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    if keep:
        return [1 if i in axes else d for i, d in enumerate(shape)]
    return [d for i, d in enumerate(shape) if i not in axes]


def broadcast(shapes) -> list:
    """NumPy's broadcast of shapes whose dimensions are numbers or symbolic sizes (equal
    JSON values are equal sizes); ValueError where they do not broadcast."""
    ndim = max(len(sh) for sh in shapes)
    out = []
    for i in range(ndim):
        dims = [sh[len(sh) - ndim + i] for sh in shapes if len(sh) - ndim + i >= 0]
        rest = [d for d in dims if d != 1]
        if any(d != rest[0] for d in rest[1:]):
            raise ValueError(f"shapes {shapes} do not broadcast")
        out.append(rest[0] if rest else 1)
    return out


def derive_shapes(doc: dict, n=None, counts=None) -> dict:
    """Elementwise and reduction nodes take the shape their sources give (NumPy's
    broadcasting; the reduced axes), not the fitted one: their sizes are right by
    construction whatever a fit guessed. Works on symbolic sizes too (export). Inputs
    that do not broadcast raise ValueError."""
    from ..ir.ops import OPS
    shapes: list = []
    for i, spec in enumerate(doc["nodes"]):
        try:
            kind = OPS[Op[spec["op"].upper()]].kind
        except KeyError:
            kind = None   # an unknown op: reported when the graph is read
        src = [shapes[j] for j in spec["src"]]
        if kind == "elementwise" and src:
            try:
                spec["shape"] = broadcast(src)
            except ValueError:
                raise ValueError(f"inputs of {n} rows" + (f" (filters kept {counts})"
                                                          if counts else "")
                                 + f" do not fit this pipeline: node {i} ({spec['op']}) "
                                 f"would broadcast shapes {src}") from None
        elif kind == "reduce" and len(src) == 1:
            try:
                spec["shape"] = _reduced(src[0], serialize._dec(spec["arg"], []))
            except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError):
                pass   # an argument this rule does not read: the fitted shape stays
        shapes.append(spec["shape"])
    return doc


def check_sizes(roots, n: int):
    """Shapes fitted for ``n`` rows that NumPy would not give (a slice x[:k] clips at
    the number of rows: fewer rows than the pipeline's constants assume)."""
    from ..ir.node import toposort
    for node in toposort(roots):
        if any(d < 0 for d in node.shape):
            raise ValueError(f"{n} rows are too few for this pipeline (a {node.op} step "
                             f"would have shape {list(node.shape)})")
        if node.op is Op.GETITEM:
            key = dict(node.arg)["key"]
            if any(isinstance(k, str) for k in key):
                continue
            src = node.src[0]
            got = dt.stand_in(src.dtype, src.shape)[key].shape
            if tuple(got) != tuple(node.shape):
                raise ValueError(f"{n} rows are too few for this pipeline: it slices "
                                 f"{list(src.shape)} with {key!r} (exported for "
                                 f"{list(node.shape)}, NumPy gives {list(got)})")


class SizeCache:
    """Per-size facts a pipeline computes once (checked sizes), thread-safe."""

    def __init__(self, limit: int = 128):
        self.limit, self.items, self.lock = limit, {}, threading.Lock()

    def get(self, n, make):
        with self.lock:
            if n in self.items:
                return self.items[n]
        value = make(n)
        with self.lock:
            if len(self.items) >= self.limit:
                self.items.pop(next(iter(self.items)))
            self.items[n] = value
        return value


def profile_columns(params, values: dict) -> list:
    """[(label, 1-d values)] of the bound inputs, as the profile names them: a single
    DataFrame argument's columns by their names, otherwise ``arg.column``."""
    frames = [p for p in params if p["kind"] == "frame"]
    cols = []
    for p in params:
        v = values.get(p["name"])
        if v is None:
            continue
        if p["kind"] == "frame":
            for c, _ in p["columns"]:
                if c in v:
                    cols.append((c if len(frames) == 1 else f"{p['name']}.{c}", v[c]))
        else:
            cols.extend(prof.columns(p["name"], v))
    return cols

"""``weldish.export``: a NumPy/pandas function as one artifact file ``weldish.load`` runs.

    def score(x, df):
        kept = df[df["qty"] > 0]                       # filters are fine
        return (x @ w).sum(), kept["price"].fillna(0) * kept["qty"]

    weldish.export(score, (x, df), "score.weldish", name="score", version="1")
    pipe = weldish.load("score.weldish")        # in any process: no need for ``score``
    pipe(x2, df2)                               # any number of rows

How. ``fn`` is traced with lazy inputs (``weldish.numpy`` arrays; a DataFrame or Arrow
table argument becomes a ``Columns`` of lazy columns with pandas semantics, see
``weldish.lifecycle.columns``), three times, with inputs of 257, 389 and 523 rows made
from the example's rows. The optimized graphs must be the same but for numbers that grow
linearly with the rows (shapes, slice bounds, counts): those are stored as ``k * n + c``
and substituted for each batch at load, so any number of rows works without retracing.
Boolean-mask filters (``x[m]``, ``df[mask]``) are kept as lazy masks computed first at
each call; sizes that follow a mask's count of True values are stored as ``k * count +
c``. A graph that differs otherwise (its structure depends on the size or on the data),
a size that is not linear in the rows (``reshape(-1, 2)``: n/2), a call that evaluates a
value while traced (``if x.sum() > 0``, ``float(x.max())``) or runs NumPy eagerly (a
fallback, e.g. ``np.sort``) cannot be exported: ``ExportError`` says which.

The leading dimension ``n``: the first DataFrame's rows, else the largest leading
dimension among the array arguments; every argument (not named in ``static``) with that
leading size takes ``n`` rows at each call. Annotated Python functions
(``weldish.annotate``) are refused unless their import path is named in ``allow_python``:
the artifact then stores that path and ``load`` imports it (the loading environment must
provide the module; it is the only code loading runs). Not done: precompiled object code
per CPU. Running machine code read from the artifact would break the rule that loading
runs no code from it (a checksum detects damage, not a forged file); the kernels compile
at the first call instead, and then come from the backend's disk cache.
"""
from __future__ import annotations

import datetime
import importlib
import inspect
import threading
import time

import numpy as np

from . import fallback as _fallback
from .ir import dtypes as dt
from .ir import passes, serialize
from .ir.build import kw
from .ir.node import Buffer, Node, toposort
from .ir.ops import Op
from .lazy import LazyArray
from .lifecycle import hooks
from .lifecycle import profile as prof
from .lifecycle.artifact import (
    ArtifactError,
    CallCodec,
    derive_shapes,
    encode_array,
    load,
    profile_columns,
    write,
)
from .lifecycle.columns import Column, Columns

TRACE_ROWS = (257, 389, 523)
# the module (the package's ``evaluate`` attribute is the function)
_evaluate = importlib.import_module(".evaluate", __package__)

__all__ = ["ArtifactError", "Column", "Columns", "ExportError", "export", "load"]


class ExportError(ValueError):
    """The function cannot be exported (the message says why and what to change)."""


# --- the example inputs --------------------------------------------------------------------
def _frame_columns(name, value):
    """(kind source, {column: ndarray}, {column: dtype} unsupported) of a frame value."""
    if hasattr(value, "column_names") and hasattr(value, "column"):   # pyarrow Table
        source, names = "arrow", list(value.column_names)
        get = lambda c: value.column(c).to_numpy()
    else:
        source, names = "pandas", list(value.columns)
        get = lambda c: value[c].to_numpy()
    cols, unsupported = {}, {}
    for c in names:
        if not isinstance(c, str):
            raise ExportError(f"argument {name!r}: column names must be strings, got {c!r}")
        try:
            arr = np.asarray(get(c))
        except Exception as e:  # noqa: BLE001 - an unconvertible column is just unusable
            unsupported[c] = f"unconvertible ({e})"
            continue
        if dt.is_supported(arr.dtype):
            cols[c] = arr
        else:
            unsupported[c] = str(arr.dtype)
    return source, cols, unsupported


def _describe(fn, example_inputs, static):
    """[param dicts] with the example values: {"name", "kind", "value", ...}."""
    if isinstance(example_inputs, dict):
        args, kwargs = (), example_inputs
    elif isinstance(example_inputs, (tuple, list)):
        args, kwargs = tuple(example_inputs), {}
    else:
        args, kwargs = (example_inputs,), {}
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        sig = None
    if sig is not None:
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values()):
            raise ExportError("export needs a function with named parameters (no *args or "
                              "**kwargs)")
        try:
            bound = sig.bind(*args, **kwargs).arguments
        except TypeError as e:
            raise TypeError(f"export: the example inputs do not fit {fn.__name__}{sig}: "
                            f"{e}") from None
    else:
        if kwargs:
            raise ExportError("export: example inputs by name need a function whose "
                              "signature inspect can read")
        bound = {f"arg{i}": v for i, v in enumerate(args)}
    positional = {name for name in bound if sig is None or
                  sig.parameters[name].kind is inspect.Parameter.POSITIONAL_ONLY}
    params = []
    for name, value in bound.items():
        mod = type(value).__module__
        if mod.startswith("weldish.pandas"):   # a lazy weldish.pandas object: its value
            from .pandas import to_pandas
            value = to_pandas(value)
            mod = type(value).__module__
        if (mod.startswith("pandas") and hasattr(value, "columns")) or \
                (hasattr(value, "column_names") and hasattr(value, "column")):
            source, cols, unsupported = _frame_columns(name, value)
            params.append({"name": name, "kind": "frame", "source": source, "value": cols,
                           "unsupported": unsupported, "rows": True,
                           "n": len(value) if hasattr(value, "__len__") else value.num_rows})
            continue
        series = None
        if mod.startswith("pandas") and hasattr(value, "to_numpy"):   # a Series
            label = value.name
            series = {"name": label if isinstance(label, (str, int, type(None))) else
                      str(label)}
            value = value.to_numpy()
        if isinstance(value, (LazyArray, np.generic)):
            value = np.asarray(value)
        if not isinstance(value, np.ndarray):
            raise TypeError(f"export: argument {name!r} is a {type(value).__name__}; "
                            "example inputs are NumPy arrays, pandas DataFrames/Series or "
                            "Arrow tables (bind other values with functools.partial)")
        if not dt.is_supported(value.dtype):
            raise TypeError(f"export: argument {name!r} has dtype {value.dtype}; exported "
                            "pipelines take numeric and boolean arrays")
        params.append({"name": name, "kind": "array", "value": value, "rows": False,
                       "n": value.shape[0] if value.ndim else None, "series": series})
    frames = [p for p in params if p["kind"] == "frame"]
    arrays = [p["n"] for p in params if p["kind"] == "array" and p["n"] is not None
              and p["name"] not in static]
    n = frames[0]["n"] if frames else max(arrays, default=None)
    for p in params:
        p["positional"] = p["name"] in positional
        if p["kind"] == "array" and p["name"] not in static and p["n"] is not None:
            p["rows"] = p["n"] == n
        if p["kind"] == "frame" and p["n"] != n:
            raise ExportError(f"export: DataFrame arguments must have the same number of "
                              f"rows ({frames[0]['name']!r}: {n}, {p['name']!r}: {p['n']})")
    if n is not None and n < 1:
        raise ExportError("export: the example inputs need at least one row")
    return params, n


def _at_rows(value: np.ndarray, m: int, n: int) -> np.ndarray:
    """``m`` rows drawn from the example's ``n`` (the same rows for every argument of a
    trace; random, so counts of filters do not grow in step with the rows by accident,
    as a cyclic repetition of the example would make them)."""
    return value.take(np.random.default_rng(m).integers(0, n, m), axis=0)


def _lazy(data: np.ndarray, slot: str, buffers: dict) -> LazyArray:
    buf = Buffer(data, name=slot, source="user")
    buffers[buf] = slot
    return LazyArray(Node(Op.INPUT, data.dtype, data.shape, (), kw(buffer=buf)))


# --- one trace ----------------------------------------------------------------------------
def _index_leaf(positions, leaves):
    """The output leaf of a result's row positions (None: every input row, in order)."""
    if positions is None:
        return None
    leaves.append(positions)
    return {"array": len(leaves) - 1}


def _flatten(result, leaves: list, where="the result"):
    if isinstance(result, Column):
        return {"series": {"name": result.name, "origin": result.origin,
                           "values": _flatten(result.values, leaves, where),
                           "index": _index_leaf(result.positions, leaves)}}
    if isinstance(result, LazyArray):
        leaves.append(result)
        return {"array": len(leaves) - 1}
    if isinstance(result, Columns):
        return {"frame": {"columns": [[k, _flatten(c.values, leaves, f"column {k!r}")]
                                      for k, c in result.items()],
                          "origin": result._origin,
                          "index": _index_leaf(result._positions, leaves)}}
    if isinstance(result, (tuple, list)):
        kind = "tuple" if isinstance(result, tuple) else "list"
        return {kind: [_flatten(v, leaves, f"{where}[{i}]") for i, v in enumerate(result)]}
    if isinstance(result, dict):
        if not all(isinstance(k, str) for k in result):
            raise ExportError(f"{where}: a dict result needs string keys")
        return {"dict": [[k, _flatten(v, leaves, f"{where}[{k!r}]")]
                         for k, v in result.items()]}
    raise ExportError(f"{where} is a {type(result).__name__}, not a lazy value computed "
                      "from the inputs: return arrays, columns, or tuples/lists/dicts of "
                      "them (a value computed eagerly at trace time would be frozen)")


class _Masks:
    """Boolean-mask indexing ``x[m]`` while traced, so filters can be exported.

    ``weldish.numpy`` evaluates a lazy mask at the call (NumPy's result length depends on
    it) and records ``compress(x, <the mask's value>)``. While ``export`` traces, that call
    also keeps the mask's lazy node: for the copy of the mask the compress reads and for
    the lazy array the evaluation rebound (``materialized``). The artifact then computes
    each distinct mask first (``masks``) and its count of True values sizes what follows.
    """
    _LOCK = threading.Lock()

    def __init__(self):
        self.thread = threading.get_ident()
        self.pre: dict = {}   # Buffer (mask copy or materialized value) -> lazy node
        self.runs = 0         # evaluations the masks cost (expected ones)

    def __enter__(self):
        from .numpy import _indexing
        self._LOCK.acquire()
        self._module, self._orig = _indexing, _indexing._mask
        _indexing._mask = self.mask
        return self

    def __exit__(self, *exc):
        self._module._mask = self._orig
        self._LOCK.release()

    def mask(self, x, m):
        if threading.get_ident() != self.thread or not isinstance(m, LazyArray):
            return self._orig(x, m)
        root = m
        while root._base is not None:
            root = root._base
        pre, root_pre, runs = m.node, root.node, _evaluate.RUNS
        out = self._orig(x, m)
        self.runs += _evaluate.RUNS - runs
        self.pre[dict(out.node.src[1].arg)["buffer"]] = pre
        if root_pre.op is not Op.INPUT and root._is_materialized():
            self.pre[root._buffer_ref()] = root_pre
        return out


def _lazy_masks(roots, rec: _Masks, names: dict):
    """(``roots`` with each evaluated mask replaced by its lazy node and each mask copy
    by one input slot ``mask{j}`` per distinct mask, [mask root per slot], [its value])."""
    memo, slots, masks, values = {}, {}, [], []

    def convert(nodes):
        for node in toposort(nodes):
            if node in memo:
                continue
            if node.op is Op.INPUT:
                buf = dict(node.arg)["buffer"]
                pre = rec.pre.get(buf)
                if pre is None:
                    memo[node] = node
                elif buf.source != "mask":           # a materialized lazy value
                    memo[node] = convert([pre])[0]
                else:                                # the copy a compress reads
                    lazy = convert([pre])[0]
                    if lazy not in slots:
                        slot = Buffer(buf.data, name=f"mask{len(masks)}", source="mask")
                        names[slot] = slot.name
                        slots[lazy] = Node(Op.INPUT, node.dtype, node.shape, (),
                                           kw(buffer=slot))
                        masks.append(lazy)
                        values.append(buf.data)
                    memo[node] = slots[lazy]
                continue
            memo[node] = Node(node.op, node.dtype, node.shape,
                              tuple(memo[s] for s in node.src), node.arg)
        return [memo[r] for r in nodes]
    return convert(roots), masks, values


def _trace(fn, params, n, m, allow_python):
    """(graph documents: the masks' then the outputs', {slot: constant array}, output
    spec, annotated calls, counts of the masks) of ``fn`` on ``m`` rows."""
    buffers, args = {}, {}
    for p in params:
        value = p["value"]
        if p["kind"] == "frame":
            cols = {c: _lazy(_at_rows(v, m, n), f"{p['name']}[{c}]", buffers)
                    for c, v in value.items()}
            args[p["name"]] = Columns.of_arrays(cols, m, p["unsupported"], p["name"])
        else:
            lazy = _lazy(_at_rows(value, m, n) if p["rows"] else value, p["name"], buffers)
            # a Series argument: pandas semantics and index labels, as a DataFrame column
            args[p["name"]] = lazy if p["series"] is None else \
                Column(lazy, p["series"]["name"], None, p["name"])
    runs, fallbacks = _evaluate.RUNS, dict(_fallback.LOG.counts)
    with _Masks() as rec:
        result = fn(*[args[p["name"]] for p in params if p["positional"]],
                    **{p["name"]: args[p["name"]] for p in params if not p["positional"]})
    leaves = []
    outspec = _flatten(result, leaves)
    ran = {k for k, c in _fallback.LOG.counts.items() if c > fallbacks.get(k, 0)}
    if ran:
        raise ExportError(f"the function calls {sorted(ran)}, which weldish runs eagerly "
                          "in NumPy (a fallback, see weldish.explain): its result depends "
                          "on the example data and cannot be exported")
    if _evaluate.RUNS - runs != rec.runs:
        raise ExportError("the function evaluates a lazy value while traced (float(), "
                          "int(), bool()/if, print, np.asarray, ...): its result would be "
                          "frozen into the artifact; keep the computation lazy (np.where "
                          "instead of if)")
    names, constants = dict(buffers), {}
    roots, masks, mask_values = _lazy_masks([x.node for x in leaves], rec, names)
    graphs = [passes.optimize([mk]) for mk in masks] + [passes.optimize(roots)]
    for node in toposort([r for g in graphs for r in g]):
        if node.op is Op.INPUT:
            buf = dict(node.arg)["buffer"]
            if buf in names:
                continue
            if buf.source.startswith("fallback"):
                raise ExportError(f"the graph holds the result of {buf.source[9:]} run "
                                  "eagerly in NumPy (a fallback): it depends on the example "
                                  "data and cannot be exported")
            slot = names[buf] = f"const{len(constants)}"
            constants[slot] = buf.data
        elif node.op is Op.CALL:
            annotated = dict(node.arg)["call"].annotated
            if id(annotated) not in allow_python:
                raise ExportError(f"the pipeline calls the annotated Python function "
                                  f"{annotated.qualname}, whose code an artifact does not "
                                  "hold; to store its import path instead (weldish.load "
                                  "then imports it), pass allow_python=(<path>,) with the "
                                  "path of the annotated object, e.g. "
                                  "'mypackage.features.score'")
    codec = CallCodec(allow_python)
    try:
        docs = [serialize.to_dict(g, names, codec) for g in graphs]
    except TypeError as e:
        raise ExportError(f"the graph cannot be written as JSON: {e}") from None
    counts = [int(np.count_nonzero(v)) for v in mask_values]
    return docs, constants, outspec, codec.calls, counts


# --- fitting the traces -------------------------------------------------------------------
def _affine(values, xs):
    """(k, c) with values[t] == k * xs[t] + c for the three traces (integers), or None."""
    (x1, x2, x3), (a, b, c) = xs, values
    if len({x1, x2, x3}) < 3:
        return None
    k, rest = divmod(c - b, x3 - x2)
    return (k, b - k * x2) if rest == 0 and a == k * x1 + (b - k * x2) else None


def _fit(values, symbols, where):
    """One JSON leaf over the traces: the value, or a symbolic size: ``{"count": [j, k,
    c]}`` (k times mask j's count of True values, plus c: tried first) or ``{"rows": [k,
    c]}`` (k * n + c)."""
    first = values[0]
    if all(type(v) is type(first) and v == first for v in values[1:]):
        return first
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if numeric and all(float(v).is_integer() for v in values):
        ints = [int(v) for v in values]
        for kind, j, xs in symbols:
            fit = _affine(ints, xs)
            if fit is not None:
                leaf = {"rows": list(fit)} if kind == "rows" else {"count": [j, *fit]}
                if isinstance(first, float):
                    leaf["float"] = True
                return leaf
    raise ExportError(f"{where} is {values} for {list(symbols[-1][2])} rows: not of the "
                      "form k * n + c, so it cannot follow the number of rows (a slice "
                      "like x[:k] clips at the rows: export with more rows than k; "
                      "reshape(-1, m) and data-dependent values cannot be exported)")


def _merge(docs, symbols, where="the graph"):
    first = docs[0]
    if isinstance(first, dict):
        if not all(isinstance(d, dict) and d.keys() == first.keys() for d in docs):
            raise ExportError(f"{where} differs between traces of different sizes: the "
                              "graph's structure depends on the number of rows or the data")
        return {k: _merge([d[k] for d in docs], symbols, f"{where}.{k}") for k in first}
    if isinstance(first, list):
        if not all(isinstance(d, list) and len(d) == len(first) for d in docs):
            raise ExportError(f"{where} differs between traces of different sizes: the "
                              "graph's structure depends on the number of rows or the data")
        return [_merge([d[i] for d in docs], symbols, f"{where}[{i}]")
                for i in range(len(first))]
    return _fit(docs, symbols, where)


def _mask_dependencies(doc) -> list[set]:
    """Per node of a graph document: the masks (j of the input slot ``mask{j}``) whose
    compress it depends on."""
    deps: list[set] = []
    for node in doc["nodes"]:
        d = set().union(*(deps[i] for i in node["src"]))
        if node["op"] == "compress":
            mask = doc["nodes"][node["src"][1]]
            try:
                slot = mask["arg"]["tuple"][0]["tuple"][1]["input"]
                d.add(int(doc["inputs"][slot]["name"][4:]))
            except (KeyError, IndexError, TypeError, ValueError):
                pass   # a constant mask: sizes as the rows say
        deps.append(d)
    return deps


def _merge_graph(docs, symbols, where="the graph"):
    """``_merge`` of graph documents, node by node: a node's sizes may follow the count of
    a mask it depends on (tried first) or the rows; the inputs' sizes follow the rows."""
    first, rows = docs[0], [symbols[-1]]
    if not all(isinstance(d, dict) and d.keys() == first.keys() and
               len(d.get("nodes", ())) == len(first.get("nodes", ())) for d in docs):
        raise ExportError(f"{where} differs between traces of different sizes: the "
                          "graph's structure depends on the number of rows or the data")
    out = {k: _merge([d[k] for d in docs], rows if k == "inputs" else symbols,
                     f"{where}.{k}") for k in first if k != "nodes"}
    counts = {s[1]: s for s in symbols[:-1]}
    out["nodes"] = [_merge([d["nodes"][i] for d in docs],
                           [counts[j] for j in sorted(dep) if j in counts] + rows,
                           f"{where}.nodes[{i}]")
                    for i, dep in enumerate(_mask_dependencies(first))]
    return out


def _describe_node(graph, where: str) -> str:
    """'node 5 (reshape)' for a path into the graph document."""
    if where.startswith("the graph.nodes["):
        i = int(where[len("the graph.nodes["):].split("]")[0])
        return f"node {i} ({graph['nodes'][i]['op']}){where.split(']', 1)[1]}"
    return where


def _allowed(paths) -> dict:
    """{id(annotated function): import path} for ``allow_python``."""
    from .annotate import Annotated
    from .lifecycle.artifact import resolve
    if isinstance(paths, str):
        paths = (paths,)
    out = {}
    for path in paths:
        try:
            obj = resolve(path)
        except (ImportError, AttributeError) as e:
            raise ExportError(f"allow_python: {path!r} cannot be imported ({e}); name an "
                              "annotated function by its import path, module.attribute") \
                from None
        if not isinstance(obj, Annotated):
            raise ExportError(f"allow_python: {path!r} is a {type(obj).__name__}, not an "
                              "annotated function (weldish.annotate)")
        if getattr(obj.fn, "__module__", None) == "__main__" and path.startswith("__main__"):
            raise ExportError(f"allow_python: {path!r} lives in __main__, which another "
                              "process cannot import: move it to a module")
        out[id(obj)] = path
    return out


# --- export -------------------------------------------------------------------------------
def export(fn, example_inputs, path, name: str | None = None, version: str = "1",
           allow_python=(), static=(), reference=None) -> str:
    """Trace ``fn`` on ``example_inputs`` and write the pipeline to ``path``.

    ``example_inputs``: one value, a tuple (positional) or a dict (by name) of NumPy
    arrays, pandas DataFrames/Series or Arrow tables. ``name`` (default ``fn.__name__``)
    and ``version`` are stored. ``allow_python``: import paths ("module.qualname") of
    annotated functions the artifact may call (imported at load). ``static``: names of
    array arguments whose leading dimension is fixed, not the batch's rows.
    ``reference``: inputs like ``example_inputs`` (typically more rows) whose statistics
    become the profile monitoring compares calls with (default: the example). Returns the
    artifact's fingerprint (SHA-256 of its content). Raises ``ExportError`` for what an
    artifact cannot hold (see the module docstring).
    """
    t0 = time.perf_counter()
    name = name or getattr(fn, "__name__", "pipeline")
    allow_python, static = _allowed(allow_python), tuple(static)
    params, n = _describe(fn, example_inputs, static)
    sizes = TRACE_ROWS if n is not None else (n, n, n)
    traces = []
    for m in sizes:
        try:
            traces.append(_trace(fn, params, n, m, allow_python))
        except ExportError:
            raise
        except Exception as e:
            raise ExportError(f"{name} fails when traced with {m} rows (made of the "
                              f"example's rows): {type(e).__name__}: {e}; an exported "
                              "pipeline must work for any number of rows") from e
    if len({len(t[4]) for t in traces}) != 1:
        raise ExportError("the number of boolean-mask filters differs between traces of "
                          "different sizes: the graph's structure depends on the data")
    counts = [t[4] for t in traces]
    symbols = [("count", j, [c[j] for c in counts]) for j in range(len(counts[0]))] + \
        [("rows", None, list(sizes))]
    try:
        graphs = [_merge_graph([t[0][i] for t in traces], symbols)
                  for i in range(len(traces[0][0]))]
        outspec = _merge([t[2] for t in traces], symbols, "the result's structure")
        calls = _merge([t[3] for t in traces], symbols, "the annotated calls")
    except ExportError as e:
        raise ExportError(_describe_node(traces[0][0][-1], str(e))) from None
    for g in graphs:   # symbolic shapes of elementwise/reduction nodes from their sources
        try:
            derive_shapes(g)
        except ValueError:
            pass   # sizes no rule relates: the fitted ones stay (checked at each call)
    *masks, graph = graphs
    constants = {}
    for slot, arr in traces[0][1].items():
        others = [t[1][slot] for t in traces[1:]]
        if any(o.shape != arr.shape or o.dtype != arr.dtype or o.tobytes() != arr.tobytes()
               for o in others):
            raise ExportError(f"the constant array {slot} ({arr.dtype}{list(arr.shape)}) "
                              "changes with the input data: it was computed from the inputs "
                              "outside weldish's lazy graph")
        constants[slot] = encode_array(arr)
    signature = {"params": [], "example_rows": n, "outputs": outspec,
                 "output_types": [{"dtype": graph["nodes"][i]["dtype"],
                                   "shape": graph["nodes"][i]["shape"]}
                                  for i in graph["outputs"]]}
    for p in params:
        if p["kind"] == "frame":
            used = [(c, v.dtype.str) for c, v in p["value"].items()
                    if any(s["name"] == f"{p['name']}[{c}]"
                           for g in (graph, *masks) for s in g["inputs"])]
            signature["params"].append({"name": p["name"], "kind": "frame",
                                        "source": p["source"], "columns": used,
                                        "rows": True})
        else:
            v = p["value"]
            shape = [{"rows": [1, 0]} if i == 0 and p["rows"] else d
                     for i, d in enumerate(v.shape)]
            signature["params"].append({"name": p["name"], "kind": "array",
                                        "dtype": v.dtype.str, "shape": shape,
                                        "rows": p["rows"], "series": p["series"]})
    sample = params if reference is None else _describe(fn, reference, static)[0]
    values = {p["name"]: p["value"] for p in sample}
    cols = profile_columns(signature["params"], values)
    content = {"name": name, "version": str(version),
               "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
               "signature": signature, "graph": graph, "masks": masks,
               "constants": constants,
               "calls": calls, "profile": prof.profile(cols), "trace_rows": list(sizes)}
    fingerprint = write(path, content)
    if hooks.SUBSCRIBERS:
        hooks.emit("export", path=str(path), name=name, version=str(version),
                   fingerprint=fingerprint, nodes=len(graph["nodes"]),
                   seconds=time.perf_counter() - t0)
    return fingerprint

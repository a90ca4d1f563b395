"""The Dask executor: a split stage's pieces as tasks of a ``dask.distributed`` cluster.

``weldish.evaluate(x, scheduler=client)`` (or ``scheduler="dask"``: the default client,
or ``weldish.config(scheduler=...)``) runs each stage of a graph with annotated calls as
Dask tasks; everything outside the stages (whole values) is computed on the client, as
with the local executor.

What a task carries:
- the stage, shaped for the task's range, as a *stage document*: versioned JSON holding
  the graph of its members (``weldish.ir.serialize``, weldish's own ops as JSON, never
  pickled) and how it runs (each member's split axis, its segments, its outputs);
- a side list of Python objects the JSON refers to by index: the annotated functions
  (and call arguments that are not plain JSON scalars), cloudpickled as Dask ships
  functions (by value for ``__main__`` and modules registered with
  ``cloudpickle.register_pickle_by_value``), unpickled in the task: a function that does
  not load on the worker is the task's error, with its range;
- the input slices of the task's range (values read whole: whole), inline in the task,
  so a task retried after its worker died still has its data.

On the worker the document is loaded and the task's range is run by the local executor's
own piece loop (``execute.compute_stage``) with the client's piece length, one thread per
task (Dask runs tasks in parallel), each elementwise run prepared once per process and
structure (``weldish.evaluate.program_for``). A task spans whole local pieces, so the
pieces are those of the local executor: the split outputs are written, and the merged
(``Reduce``) results folded on the client, in piece order; the value equals the local
executor's, on every run.

Errors: a piece that raises reaches the caller with the piece's range in the message (the
first failing piece in range order); a task lost with its worker is run again by Dask.
NumPy floating-point settings (``np.errstate``) are applied on the worker; warnings are
emitted in the worker's process (its log), not replayed on the client.

A worker with several threads runs tasks side by side, compiling and loading kernels while
others run (the llvm backend makes its engine once, under a lock, and adds object code
under its JIT's lock: tests/backends/test_threads.py).
"""
from __future__ import annotations

import json
import sys
import uuid
import warnings

import numpy as np

from .. import backends
from ..config import SETTINGS
from ..ir import dtypes as dt
from ..ir import serialize
from ..ir.build import kw
from ..ir.node import Buffer, Node, toposort
from ..ir.ops import Op
from . import execute
from .plan import Segment, Stage, edge_axes, spec_of
from .record import CallSpec

FORMAT = "weldish-stage"
VERSION = 1
INSTALL = "pip install 'dask[distributed]' (or: pip install 'weldish[distributed]')"


# --- the scheduler setting ------------------------------------------------------------------
def require():
    """The ``distributed`` package, or an ImportError saying what to install."""
    try:
        import distributed
    except ImportError as e:
        raise ImportError(f"scheduler='dask' needs dask.distributed, which is not "
                          f"installed: {INSTALL}") from e
    return distributed


def check(scheduler):
    """Raise if ``scheduler`` is not 'local', 'dask' or a dask.distributed Client (or, for
    'dask', if dask.distributed is missing)."""
    if scheduler is None or (isinstance(scheduler, str) and scheduler == "local"):
        return
    if isinstance(scheduler, str):
        if scheduler != "dask":
            raise ValueError(f"scheduler must be 'local', 'dask' or a "
                             f"dask.distributed.Client, got {scheduler!r}")
        require()
        return
    distributed = sys.modules.get("distributed")
    if distributed is None or not isinstance(scheduler, distributed.Client):
        raise TypeError(f"scheduler must be 'local', 'dask' or a dask.distributed.Client, "
                        f"got {type(scheduler).__name__}")


def client_for(scheduler):
    """The Client the setting names; None for the local executor."""
    check(scheduler)
    if scheduler is None or isinstance(scheduler, str) and scheduler == "local":
        return None
    if isinstance(scheduler, str):   # "dask": the client made current last
        try:
            return require().default_client()
        except ValueError:
            raise RuntimeError("scheduler='dask' needs a running dask.distributed Client: "
                               "start one (distributed.Client(...)) or pass "
                               "scheduler=<client>") from None
    return scheduler


# --- the stage document ---------------------------------------------------------------------
_PLAIN = (bool, int, str, type(None))


class Codec:
    """Writes/reads the annotated calls of a stage's graph (``serialize``'s codec): a call's
    spec is JSON (its table in the document, shared by the call's result nodes), its
    function and non-JSON constant arguments entries of the side list ``objects``."""

    def __init__(self, objects=None, calls=None):
        self.objects = [] if objects is None else objects
        self.calls = [] if calls is None else calls
        self._call_index: dict = {}
        self._object_index: dict = {}
        self._decoded: dict = {}

    # writing
    def encode(self, v):
        if not isinstance(v, CallSpec):
            raise TypeError(f"cannot serialize op argument of type {type(v).__name__}")
        j = self._call_index.get(id(v))
        if j is None:
            j = self._call_index[id(v)] = len(self.calls)
            self.calls.append(self._spec(v))
        return {"call": j}

    def _object(self, v) -> int:
        i = self._object_index.get(id(v))
        if i is None:
            i = self._object_index[id(v)] = len(self.objects)
            self.objects.append(v)
        return i

    def _const(self, v):
        if type(v) in _PLAIN or (type(v) is float and np.isfinite(v)):
            return {"value": v}
        return {"object": self._object(v)}   # NumPy scalars, dtypes, options: as they are

    def _spec(self, spec: CallSpec) -> dict:
        layout = [[key, what, x if what == "src" else self._const(x)]
                  for key, (what, x) in spec.layout]
        return {"fn": self._object(spec.annotated.fn), "name": spec.annotated.name,
                "qualname": spec.annotated.qualname, "layout": layout,
                "src_axes": list(spec.src_axes), "n": spec.n, "outputs": list(spec.outputs),
                "output_axes": list(spec.output_axes), "mut_srcs": list(spec.mut_srcs),
                "returns_src": spec.returns_src}

    # reading
    def decode(self, body):
        j = body["call"]
        spec = self._decoded.get(j)
        if spec is None:
            d = self.calls[j]
            layout = [(key, (what, x if what == "src" else self._value(x)))
                      for key, what, x in d["layout"]]
            fn = _Function(self.objects[d["fn"]], d["name"], d["qualname"])
            # reduce: None here, the pieces' results are merged on the client
            spec = self._decoded[j] = CallSpec(fn, layout, d["src_axes"], d["n"],
                                               d["outputs"], d["output_axes"], None,
                                               d["mut_srcs"], d["returns_src"])
        return spec

    def _value(self, x):
        (tag, body), = x.items()
        if tag == "value":
            return body
        if tag == "object":
            return self.objects[body]
        raise serialize.GraphFormatError(f"unknown constant tag {tag!r}")


class _Function:
    """What a CallSpec reads of an annotated function, on a worker."""
    __slots__ = ("fn", "name", "qualname")

    def __init__(self, fn, name, qualname):
        self.fn, self.name, self.qualname = fn, name, qualname


def _shaped(shape, axis, length):
    shape = list(shape)
    if axis is not None:
        shape[axis] = length
    return tuple(shape)


def stage_document(stage: Stage, length: int):
    """(JSON text, side list of objects, [(source node, axis)] per input slot): the stage
    with its split values ``length`` long; slot ``i`` is the input named ``i{i}``."""
    slots: dict = {}
    names: dict = {}
    new: dict = {}
    for m in stage.members:
        srcs = []
        for s, a in zip(m.src, edge_axes(m, stage.axis[m], stage.length)):
            if s in new:
                srcs.append(new[s])
            elif s.op is Op.CONST:
                srcs.append(s)
            else:
                node = slots.get((s, a))
                if node is None:
                    shape = _shaped(s.shape, a, length)
                    buf = Buffer(dt.stand_in(s.dtype, shape), source="placeholder")
                    names[buf] = f"i{len(slots)}"
                    node = slots[(s, a)] = Node(Op.INPUT, s.dtype, shape, (),
                                                kw(buffer=buf))
                srcs.append(node)
        new[m] = Node(m.op, m.dtype, _shaped(m.shape, stage.axis[m], length), tuple(srcs),
                      m.arg)
    position = {m: i for i, m in enumerate(stage.members)}
    codec = Codec()
    graph = serialize.to_dict([new[m] for m in stage.members], names, codec)
    doc = {"format": FORMAT, "version": VERSION, "index": stage.index, "length": length,
           "graph": graph, "calls": codec.calls,
           "axis": [stage.axis[m] for m in stage.members],
           "outputs": [position[o] for o in stage.outputs],
           "segments": [{"kind": seg.kind, "nodes": [position[m] for m in seg.nodes],
                         "roots": [position[m] for m in seg.roots]}
                        for seg in stage.segments]}
    return json.dumps(doc, sort_keys=True), codec.objects, list(slots)


def load_stage(text: str, objects, arrays) -> tuple[Stage, dict]:
    """The stage of a document and its input values ({input node: array}); ``arrays`` by
    slot. Raises GraphFormatError for a document this version cannot read."""
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise serialize.GraphFormatError("not a weldish stage document")
    if not isinstance(doc.get("version"), int) or doc["version"] > VERSION:
        raise serialize.GraphFormatError(f"stage format version {doc.get('version')!r} is "
                                         f"newer than this weldish reads ({VERSION})")
    codec = Codec(list(objects), doc["calls"])
    members = serialize.from_dict(doc["graph"], {f"i{i}": a for i, a in enumerate(arrays)},
                                  codec)
    stage = Stage(doc["index"], doc["length"], members,
                  dict(zip(members, doc["axis"])))
    stage.outputs = [members[i] for i in doc["outputs"]]
    for seg in doc["segments"]:
        nodes = [members[i] for i in seg["nodes"]]
        stage.segments.append(Segment(seg["kind"], nodes, [members[i] for i in seg["roots"]],
                                      spec_of(nodes[0]) if seg["kind"] == "call" else None))
    values = {n: dict(n.arg)["buffer"].data for n in toposort(members) if n.op is Op.INPUT}
    stage.inputs = list(values)
    return stage, values


# --- on a worker ----------------------------------------------------------------------------


def run_task(text, blob, offset, plen, backend, errstate, *arrays):
    """One Dask task: the stage's range [offset, offset + length) by pieces of ``plen``;
    ``blob``: the side list, cloudpickled. Returns ([split outputs' values], [pieces'
    results per merged output])."""
    import cloudpickle
    try:
        objects = cloudpickle.loads(blob)
    except Exception as e:
        length = json.loads(text).get("length", 0)
        raise execute._with_range(e, offset, offset + length, "loading the annotated "
                                  "functions on a Dask worker") from e
    stage, values = load_stage(text, objects, arrays)
    with np.errstate(**errstate):
        split_out, partials = execute.compute_stage(stage, values, plen, threads=1,
                                                    offset=offset, backend=backend)
    return [split_out[o] for o in stage.outputs if stage.axis[o] is not None], partials


# --- on the client --------------------------------------------------------------------------
def task_ranges(n: int, plen: int, client) -> list:
    """Ranges of whole pieces of ``plen``: about two tasks per worker thread."""
    try:
        threads = sum(client.nthreads().values())
    except Exception:   # noqa: BLE001 - no scheduler information: one thread
        threads = 1
    pieces = max(1, -(-n // plen))
    per = max(1, -(-pieces // (2 * max(threads, 1))))
    return execute.ranges(n, per * plen)


def run_stage(client, stage: Stage, values: dict):
    """Compute the stage's outputs as Dask tasks; adds them to ``values``."""
    distributed = require()
    import cloudpickle
    plen = execute.piece_length(execute.row_bytes(stage))
    tasks = task_ranges(stage.length, plen, client)
    documents = {}
    backend = SETTINGS.backend
    backends.get(backend)   # unavailable here: the error here, not on every worker
    errstate = np.geterr()
    futures = []
    token = uuid.uuid4().hex
    for lo, hi in tasks:
        length = hi - lo
        if length not in documents:
            text, objects, slots = stage_document(stage, length)
            documents[length] = text, cloudpickle.dumps(objects), slots
        text, blob, slots = documents[length]
        arrays = [values[s] if a is None else execute._slice(values[s], a, lo, hi)
                  for s, a in slots]
        with warnings.catch_warnings():
            # the slices are in the task on purpose (a retried task still has its data):
            # Dask's advice against large graphs does not apply
            warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
            futures.append(client.submit(run_task, text, blob, lo, plen, backend,
                                         errstate, *arrays, pure=False,
                                         key=f"weldish-stage{stage.index}-{lo}-{hi}-{token}"))
    distributed.wait(futures)
    split = [o for o in stage.outputs if stage.axis[o] is not None]
    merged = [o for o in stage.outputs if stage.axis[o] is None]
    split_out = {o: np.empty(o.shape, o.dtype) for o in split}
    partials = [[] for _ in merged]
    for (lo, hi), f in zip(tasks, futures):   # in range order: the first error in order
        try:
            outs, parts = f.result()
        except Exception as e:
            if " piece [" in str(e):   # raised by a piece: its range is in the message
                raise
            raise execute._with_range(e, lo, hi, f"stage {stage.index}, a Dask task") from e
        for o, v in zip(split, outs):
            execute._slice(split_out[o], stage.axis[o], lo, hi)[...] = v
        for j, p in enumerate(parts):
            partials[j].extend(p)
    values.update(split_out)
    execute.merge_partials(stage, partials, values)


def stage_runner_for(client):
    """``run_stage`` bound to ``client`` (what ``execute.run`` calls per stage)."""
    return lambda stage, values: run_stage(client, stage, values)


__all__ = ["check", "client_for", "require", "stage_document", "load_stage", "run_task",
           "run_stage", "stage_runner_for"]

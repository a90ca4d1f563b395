"""Versioned JSON for graphs (never pickle).

A graph is a list of nodes in topological order; sources are indices into that list. Input
buffers are not written: each becomes a numbered slot with a name, dtype and shape, and
``loads`` takes the arrays for those slots from the caller. Op arguments use a small tagged
encoding for what JSON lacks (tuples, slices, Ellipsis, dtypes, non-finite floats).

An argument this module does not know (an annotated call's spec) is written only through a
``codec`` the caller passes (``encode(value) -> JSON``, ``decode(JSON) -> value``), under
the tag ``extern``; reading such a document without a codec is refused. Versions: 1, plain
graphs; 2 adds the ``extern`` tag (version 1 documents still read).
"""
from __future__ import annotations

import json
import math
import struct

import numpy as np

from .node import Buffer, Node, toposort
from .ops import Op

FORMAT = "weldish-graph"
VERSION = 2


class GraphFormatError(ValueError):
    """The JSON is not a weldish graph this version can read."""


def _enc(v, slots, codec=None):
    if v is None or isinstance(v, (bool, str)) or type(v) is int:
        return v
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)  # non-finite: the IEEE bits, so -NaN and NaN payloads survive
        return f if math.isfinite(f) else {"float64": struct.pack(">d", f).hex()}
    if isinstance(v, tuple):
        return {"tuple": [_enc(x, slots, codec) for x in v]}
    if isinstance(v, list):
        return [_enc(x, slots, codec) for x in v]
    if isinstance(v, slice):
        return {"slice": [_enc(x, slots, codec) for x in (v.start, v.stop, v.step)]}
    if v is Ellipsis:
        return {"ellipsis": True}
    if isinstance(v, np.dtype):
        return {"dtype": v.str}
    if isinstance(v, Buffer):
        return {"input": slots[v]}
    if codec is not None:
        return {"extern": codec.encode(v)}
    raise TypeError(f"cannot serialize op argument of type {type(v).__name__}")


def _dec(v, buffers, codec=None):
    if isinstance(v, list):
        return [_dec(x, buffers, codec) for x in v]
    if not isinstance(v, dict):
        return v
    (tag, body), = v.items()
    if tag == "tuple":
        return tuple(_dec(x, buffers, codec) for x in body)
    if tag == "float64":
        return struct.unpack(">d", bytes.fromhex(body))[0]
    if tag == "slice":
        return slice(*(_dec(x, buffers, codec) for x in body))
    if tag == "ellipsis":
        return Ellipsis
    if tag == "dtype":
        return np.dtype(body)
    if tag == "input":
        return buffers[body]
    if tag == "extern":
        if codec is None:
            raise GraphFormatError("the graph holds arguments written by an extension "
                                   "(e.g. annotated calls): read it with its codec")
        return codec.decode(body)
    raise GraphFormatError(f"unknown tag {tag!r} in graph JSON")


def to_dict(roots, input_names=None, codec=None) -> dict:
    """``input_names`` maps Buffer -> name; unnamed inputs get ``in{slot}``; ``codec``
    writes arguments this module does not know (see the module docstring)."""
    order = toposort(roots)
    index = {n: i for i, n in enumerate(order)}
    slots, inputs = {}, []
    for n in order:
        if n.op is Op.INPUT:
            buf = dict(n.arg)["buffer"]
            slots[buf] = len(inputs)
            name = (input_names or {}).get(buf) or buf.name or f"in{len(inputs)}"
            inputs.append({"name": name, "dtype": n.dtype.str, "shape": list(n.shape)})
    nodes = [{"op": n.op.name.lower(), "dtype": n.dtype.str, "shape": list(n.shape),
              "src": [index[s] for s in n.src], "arg": _enc(n.arg, slots, codec)}
             for n in order]
    return {"format": FORMAT, "version": VERSION, "inputs": inputs, "nodes": nodes,
            "outputs": [index[r] for r in roots]}


def dumps(roots, input_names=None, codec=None) -> str:
    return json.dumps(to_dict(roots, input_names, codec), sort_keys=True)


def from_dict(doc: dict, inputs, codec=None) -> list[Node]:
    """Rebuild the output nodes; ``inputs`` is a list (by slot) or dict (by name) of arrays.

    A document that is not a complete graph of this format raises GraphFormatError; an
    input array of the wrong dtype or shape raises ValueError.
    """
    try:
        return _from_dict(doc, inputs, codec)
    except (KeyError, IndexError, TypeError, AttributeError) as e:
        raise GraphFormatError(f"malformed weldish graph document: {type(e).__name__}: "
                               f"{e}") from e


def _from_dict(doc: dict, inputs, codec=None) -> list[Node]:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise GraphFormatError("not a weldish graph document")
    if not isinstance(doc.get("version"), int) or doc["version"] > VERSION:
        raise GraphFormatError(f"graph format version {doc.get('version')!r} is newer than "
                               f"this weldish reads ({VERSION})")
    buffers = []
    for slot, spec in enumerate(doc["inputs"]):
        name = spec["name"]
        if isinstance(inputs, dict) and name not in inputs:
            raise ValueError(f"missing input {name!r}; the graph takes "
                             f"{[s['name'] for s in doc['inputs']]}")
        if not isinstance(inputs, dict) and slot >= len(inputs):
            raise ValueError(f"the graph takes {len(doc['inputs'])} inputs, got {len(inputs)}")
        arr = np.asarray(inputs[name] if isinstance(inputs, dict) else inputs[slot])
        if arr.dtype != np.dtype(spec["dtype"]) or list(arr.shape) != spec["shape"]:
            raise ValueError(f"input {spec['name']!r}: expected {np.dtype(spec['dtype'])}"
                             f"{spec['shape']}, got {arr.dtype}{list(arr.shape)}")
        buffers.append(Buffer(arr, name=spec["name"]))
    nodes: list[Node] = []
    for spec in doc["nodes"]:
        try:
            op = Op[spec["op"].upper()]
        except KeyError:
            raise GraphFormatError(f"unknown op {spec['op']!r}") from None
        nodes.append(Node(op, np.dtype(spec["dtype"]), tuple(spec["shape"]),
                          tuple(nodes[i] for i in spec["src"]),
                          _dec(spec["arg"], buffers, codec)))
    return [nodes[i] for i in doc["outputs"]]


def loads(text: str, inputs, codec=None) -> list[Node]:
    return from_dict(json.loads(text), inputs, codec)

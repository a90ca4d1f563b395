"""Graphs round-trip through versioned JSON and give the same results when interpreted."""
from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest

import weldish.numpy as wnp
from weldish.ir import build, interpret, serialize
from weldish.ir.node import Node, toposort
from weldish.ir.ops import Op
from weldish.ir.printer import format_graph
from weldish.ir.serialize import GraphFormatError, dumps, loads
from weldish.testing import assert_same, quiet, sample

NAN, INF = float("nan"), float("inf")

X = sample("float64", (4, 6), 0, special=True)
Y = sample("float32", (6,), 1, special=True)
I = sample("int16", (4, 6), 2, special=True)
IDX = np.array([3, 0, -1, 2])
for _a in (X, Y, I, IDX):
    _a.flags.writeable = False


def lazy_graphs():
    """(id, function of (x, y, i, idx) lazy arrays -> list of lazy outputs)."""
    return [
        ("slices", lambda x, y, i, idx: [x[::2, 1:-1:3], x[::-1, 5:0:-2], x[1, ::-1]]),
        ("ellipsis-none", lambda x, y, i, idx: [x[..., None, 2], x[None, ..., ::-1],
                                                 x[1:, ...], x[None]]),
        ("nan-inf-consts", lambda x, y, i, idx: [x + NAN, wnp.maximum(x, -INF),
                                                  wnp.minimum(y, INF), wnp.fmax(x, NAN)]),
        ("signed-zero-consts", lambda x, y, i, idx: [wnp.copysign(x, -0.0),
                                                      wnp.copysign(y, np.float32(-0.0)),
                                                      x * -0.0]),
        ("weak-strong", lambda x, y, i, idx: [y * 2.0, y * np.float64(2.0), i + 3,
                                               i + np.int64(3), i * True, y + np.float32(0.1)]),
        ("big-ints", lambda x, y, i, idx: [wnp.asarray(I).astype("uint64") + np.uint64(2**64 - 1),
                                            i.astype("int64") - (2**62)]),
        ("dtypes", lambda x, y, i, idx: [x.astype("float32"), i.astype("uint8"),
                                          (x > 0).astype("int8"), wnp.sum(i, dtype="int8"),
                                          wnp.cumsum(x, axis=1, dtype="float32")]),
        ("reductions", lambda x, y, i, idx: [wnp.sum(x, axis=(0, 1)), wnp.nanmax(x, axis=0),
                                              wnp.std(x, axis=-1, ddof=1, keepdims=True),
                                              wnp.argmax(i, axis=1), wnp.mean(y),
                                              wnp.any(x > 1, axis=0)]),
        ("movement", lambda x, y, i, idx: [x.reshape(3, 8), x.T, wnp.transpose(x)[::2],
                                            wnp.broadcast_to(y, (2, 6)),
                                            wnp.concatenate([x, i], axis=0)]),
        ("where-clip-round", lambda x, y, i, idx: [wnp.where(x > 0, x, y), wnp.clip(x, -1, 2.5),
                                                    wnp.round(x, 2)]),
        ("index", lambda x, y, i, idx: [x[idx], wnp.take(x, idx, axis=1), x[x[:, 0] > 0]]),
        ("setitem", lambda x, y, i, idx: [_set(x, (slice(None), 2), 7.0),
                                           _set(x, (idx, ), -1.0)]),
        ("leaves", lambda x, y, i, idx: [wnp.arange(2, 11, 3) + x[0, 0], wnp.linspace(0, 1, 7),
                                          wnp.eye(3, 4, k=1) * 2, wnp.full((2, 2), NAN),
                                          wnp.zeros(3, dtype="uint8")]),
        ("linalg", lambda x, y, i, idx: [x @ y.astype("float64"), wnp.dot(x.T, x)]),
        ("shared", lambda x, y, i, idx: _shared(x)),
    ]


def _set(x, key, value):
    out = wnp.array(x, copy=True)
    out[key] = value
    return out


def _shared(x):
    s = wnp.sin(x)
    return [s * s, s + 1, s]


def _lazy_inputs():
    return wnp.asarray(X), wnp.asarray(Y), wnp.asarray(I), IDX


GRAPHS = lazy_graphs()


@pytest.mark.parametrize("make", [pytest.param(f, id=n) for n, f in GRAPHS])
def test_round_trip_gives_the_same_graph_and_results(make):
    with quiet():
        outs = make(*_lazy_inputs())
    roots = [o.node for o in outs]
    text = dumps(roots)
    json.loads(text, parse_constant=_no_bare_constants)  # strict JSON: no NaN/Infinity tokens
    doc = json.loads(text)
    assert doc["format"] == serialize.FORMAT and doc["version"] == serialize.VERSION
    arrays = [dict(n.arg)["buffer"].data for n in toposort(roots) if n.op is Op.INPUT]
    loaded = loads(text, arrays)
    assert len(loaded) == len(roots)
    # Same structure: the same text, node by node (inputs are named slots after loading).
    assert _shape_of_graph(loaded) == _shape_of_graph(roots)
    assert dumps(loaded) == text  # stable: a second round trip is the same document
    with quiet():
        before = interpret(roots)
        after = interpret(loaded)
    for b, a, o in zip(before, after, outs):
        assert_same(a, b)
        assert a.dtype == o.dtype and a.shape == o.shape


def _no_bare_constants(name):
    raise AssertionError(f"JSON contains the non-standard constant {name}")


def _shape_of_graph(roots):
    return [line.split(" = ", 1)[1] for line in format_graph(roots).splitlines()
            if " = input" not in line]


def test_inputs_by_name_and_by_slot():
    a, b = np.arange(3.0), np.ones(3, np.int32)
    root = build.elementwise(Op.ADD, build.input(a), build.input(b))
    bufs = [dict(n.arg)["buffer"] for n in toposort([root]) if n.op is Op.INPUT]
    text = dumps([root], input_names={bufs[0]: "left", bufs[1]: "right"})
    doc = json.loads(text)
    assert [s["name"] for s in doc["inputs"]] == ["left", "right"]
    assert [s["dtype"] for s in doc["inputs"]] == [a.dtype.str, b.dtype.str]
    assert [s["shape"] for s in doc["inputs"]] == [[3], [3]]
    a2, b2 = np.array([1.0, 2.0, 3.0]), np.array([5, 6, 7], np.int32)
    (by_name,) = loads(text, {"right": b2, "left": a2})
    (by_slot,) = loads(text, [a2, b2])
    assert_same(interpret([by_name])[0], a2 + b2)
    assert_same(interpret([by_slot])[0], a2 + b2)
    # Buffers are not written: only the slots' names, dtypes and shapes.
    assert "data" not in doc["inputs"][0]


def _bits(v) -> bytes:
    return struct.pack("<d", float(v))


PAYLOAD_NAN = struct.unpack("<d", struct.pack("<Q", 0x7FF8_0000_0000_0ABC))[0]


def test_constants_survive_exactly():
    x = build.input(np.zeros(2))
    for value in (NAN, -NAN, PAYLOAD_NAN, INF, -INF, -0.0, 0.0, 5e-324,
                  1.7976931348623157e308, 0.1):
        for dtype in (None, "float64", "float32"):
            with quiet():  # 1.8e308 overflows float32 (to inf), as in NumPy
                c = build.const(value, dtype)
            root = build.elementwise(Op.ADD, x, c)
            (loaded,) = loads(dumps([root]), [np.zeros(2)])
            lc = loaded.src[1]
            assert lc.op is Op.CONST
            assert build.is_weak(lc) == build.is_weak(c)
            assert lc.dtype == c.dtype
            v0, v1 = build.const_value(c), build.const_value(lc)
            assert type(v0) is type(v1)
            if dtype != "float32":  # float32 NaN payloads are NumPy's business
                assert _bits(v0) == _bits(v1), (value, dtype)
            assert (math.isnan(v0) and math.isnan(v1)) or \
                (v0 == v1 and math.copysign(1, v0) == math.copysign(1, v1))


def test_negative_nan_constant_keeps_its_sign():
    def text():  # the original graph is gone before loading (no shared node to find)
        root = build.elementwise(Op.COPYSIGN, build.input(np.ones(2)), build.const(-NAN))
        assert np.signbit(build.const_value(root.src[1]))
        return dumps([root])
    (loaded,) = loads(text(), [np.ones(2)])
    assert np.signbit(build.const_value(loaded.src[1]))
    assert_same(interpret([loaded])[0], np.copysign(np.ones(2), -NAN))


# --- errors ---------------------------------------------------------------------------------
def _doc():
    root = build.elementwise(Op.SIN, build.input(np.ones(3)))
    return json.loads(dumps([root]))


def test_newer_version_is_refused():
    doc = _doc()
    doc["version"] = serialize.VERSION + 1
    with pytest.raises(GraphFormatError, match="newer"):
        loads(json.dumps(doc), [np.ones(3)])


@pytest.mark.parametrize("change", [
    pytest.param(lambda d: d.update(format="something-else"), id="format"),
    pytest.param(lambda d: d.pop("format"), id="no-format"),
    pytest.param(lambda d: d.update(version="1"), id="version-str"),
    pytest.param(lambda d: d.update(version=None), id="version-null"),
    pytest.param(lambda d: d["nodes"][-1].update(op="no_such_op"), id="unknown-op"),
    pytest.param(lambda d: d["nodes"][-1].update(arg={"pickle": "x"}), id="unknown-tag"),
])
def test_wrong_format_is_refused(change):
    doc = _doc()
    change(doc)
    with pytest.raises(GraphFormatError):
        loads(json.dumps(doc), [np.ones(3)])


def test_not_a_document_is_refused():
    for text in ("[]", "3", '"weldish-graph"', "null"):
        with pytest.raises(GraphFormatError):
            loads(text, [])
    assert issubclass(GraphFormatError, ValueError)


@pytest.mark.parametrize("change", [
    pytest.param(lambda d: d.pop("nodes"), id="no-nodes"),
    pytest.param(lambda d: d.pop("inputs"), id="no-inputs"),
    pytest.param(lambda d: d["nodes"][-1].update(src=[7]), id="bad-source-index"),
])
def test_malformed_document_is_a_format_error(change):
    doc = _doc()
    change(doc)
    with pytest.raises(GraphFormatError):
        loads(json.dumps(doc), [np.ones(3)])


@pytest.mark.parametrize("bad", [
    pytest.param(np.ones(3, np.float32), id="dtype"),
    pytest.param(np.ones(4), id="shape"),
    pytest.param(np.ones((3, 1)), id="ndim"),
    pytest.param([1, 2, 3], id="list-int"),
])
def test_input_mismatch_is_a_value_error(bad):
    text = dumps([build.elementwise(Op.SIN, build.input(np.ones(3)))])
    with pytest.raises(ValueError, match="expected"):
        loads(text, [bad])
    (ok,) = loads(text, [[1.0, 2.0, 3.0]])  # a list of the right dtype/shape is fine
    assert_same(interpret([ok])[0], np.sin([1.0, 2.0, 3.0]))


def test_missing_or_too_few_inputs_are_value_errors():
    a, b = np.arange(3.0), np.ones(3)
    root = build.elementwise(Op.ADD, build.input(a), build.input(b))
    text = dumps([root])
    with pytest.raises(ValueError):
        loads(text, [a])
    with pytest.raises(ValueError):
        loads(text, {"in0": a})
    (ok,) = loads(text, {"in0": a, "in1": b})
    assert_same(interpret([ok])[0], a + b)


def test_unserializable_argument_is_refused():
    node = build.input(np.ones(3))
    weird = Node(Op.ROUND, node.dtype, node.shape, (node,), build.kw(decimals=object()))
    with pytest.raises(TypeError):
        dumps([weird])

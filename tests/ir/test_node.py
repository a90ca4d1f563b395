"""Nodes are frozen and hash-consed: equal nodes are one object; distinct constants stay apart."""
from __future__ import annotations

import gc
import math
import pickle

import numpy as np
import pytest

from weldish.ir import build
from weldish.ir.node import Buffer, Node, canon, toposort
from weldish.ir.ops import Op

NAN = float("nan")


@pytest.fixture
def a():
    return build.input(np.arange(6.0).reshape(2, 3))


@pytest.fixture
def b():
    return build.input(np.ones((2, 3)))


def test_equal_nodes_are_the_same_object(a, b):
    assert build.elementwise(Op.ADD, a, b) is build.elementwise(Op.ADD, a, b)
    assert Node(Op.ADD, "float64", (2, 3), (a, b)) is build.elementwise(Op.ADD, a, b)
    assert Node(Op.ADD, np.float64, [2, 3], [a, b]) is Node(Op.ADD, "f8", (2, 3), (a, b))
    assert build.reduce(Op.SUM, a, axis=0) is build.reduce(Op.SUM, a, axis=-2)
    assert build.getitem(a, (slice(None, None, 2), 1)) is \
        build.getitem(a, (slice(None, None, 2), np.int64(1)))
    # A common subexpression built twice is shared, so the DAG has one copy of it.
    e1 = build.elementwise(Op.MULTIPLY, build.elementwise(Op.SIN, a), build.const(2.0))
    e2 = build.elementwise(Op.MULTIPLY, build.elementwise(Op.SIN, a), build.const(2.0))
    assert e1 is e2
    top = build.elementwise(Op.ADD, e1, e2)
    assert len(toposort([top])) == 5  # input, sin, const, multiply, add


def test_different_nodes_are_distinct(a, b):
    assert build.elementwise(Op.ADD, a, b) is not build.elementwise(Op.ADD, b, a)
    assert build.elementwise(Op.ADD, a, b) is not build.elementwise(Op.SUBTRACT, a, b)
    assert build.reduce(Op.SUM, a, axis=0) is not build.reduce(Op.SUM, a, axis=1)
    assert build.reduce(Op.SUM, a, axis=0) is not build.reduce(Op.SUM, a, axis=0, keepdims=True)
    assert build.astype(a, "float32") is not build.astype(a, "int32")
    n32 = Node(Op.ADD, "float32", (2, 3), (a, b))
    assert n32 is not build.elementwise(Op.ADD, a, b) and n32.dtype == np.float32
    assert Node(Op.ROUND, "float64", (2, 3), (a,), build.kw(decimals=1)) is not \
        Node(Op.ROUND, "float64", (2, 3), (a,), build.kw(decimals=True))


def test_inputs_are_keyed_by_buffer_identity_not_contents():
    x = np.arange(4.0)
    y = np.arange(4.0)  # equal contents, another array
    assert build.input(x) is build.input(x)
    assert build.input(x) is not build.input(y)
    assert dict(build.input(x).arg)["buffer"] is Buffer.of(x)
    assert dict(build.input(x).arg)["buffer"].data is x


def test_constants_zero_signs_are_distinct():
    pos, neg = build.const(0.0), build.const(-0.0)
    assert pos is not neg
    assert math.copysign(1, build.const_value(neg)) == -1
    assert math.copysign(1, build.const_value(pos)) == 1
    assert build.const(0.0, "float32") is not build.const(-0.0, "float32")
    assert build.const(np.float64(-0.0)) is not build.const(np.float64(0.0))


def test_nan_constants_are_shared():
    assert build.const(NAN) is build.const(float("nan"))
    assert build.const(np.nan) is build.const(NAN)
    assert build.const(np.float32(NAN)) is build.const(NAN, "float32")
    assert build.const(np.float64(NAN)) is build.const(np.float64("nan"))
    assert math.isnan(build.const_value(build.const(NAN)))


def test_negative_nan_constant_is_not_the_positive_one():
    """-NaN is observable (copysign, signbit): it must not be the +NaN node."""
    pos = build.const(NAN)
    neg = build.const(-NAN)
    assert neg is not pos
    assert np.signbit(build.const_value(neg))


def test_weak_and_strong_constants_are_distinct():
    weak, strong = build.const(2.0), build.const(2.0, "float64")
    assert weak.dtype == strong.dtype == np.float64
    assert weak is not strong
    assert build.is_weak(weak) and not build.is_weak(strong)
    assert type(build.const_value(weak)) is float
    assert type(build.const_value(strong)) is np.float64
    assert build.const(np.float64(2.0)) is strong
    assert build.const(np.float32(2.0)) is build.const(2.0, "float32")
    # 1, 1.0 and True are equal in Python but different constants to NumPy.
    one_int, one_float, one_bool = build.const(1), build.const(1.0), build.const(True)
    assert len({id(one_int), id(one_float), id(one_bool)}) == 3
    assert (one_int.dtype, one_float.dtype, one_bool.dtype) == \
        (np.dtype("int64"), np.dtype("float64"), np.dtype("bool"))
    assert build.const(1, "int8") is not build.const(1, "uint8")
    assert build.const(np.int64(1)) is not one_int


def test_weak_constant_promotes_like_numpy():
    x32 = build.input(np.ones(3, np.float32))
    u8 = build.input(np.ones(3, np.uint8))
    assert build.elementwise(Op.MULTIPLY, x32, build.const(2.0)).dtype == np.float32
    assert build.elementwise(Op.MULTIPLY, x32, build.const(2.0, "float64")).dtype == np.float64
    assert build.elementwise(Op.ADD, u8, build.const(255)).dtype == np.uint8
    with pytest.raises(OverflowError):
        build.elementwise(Op.ADD, u8, build.const(300))


def test_canon_keeps_distinctions_equality_loses():
    assert canon(0.0) != canon(-0.0)
    assert canon(1) != canon(1.0) != canon(True)
    assert canon(NAN) == canon(float("nan"))
    assert canon((1, 2)) != canon([1, 2])
    assert canon(slice(0, 2)) != canon(slice(0, 2.0))
    assert canon(np.float32(1.5)) != canon(1.5)
    hash(canon((slice(None), None, Ellipsis, np.dtype("f4"))))


def test_nodes_are_frozen_and_not_picklable(a):
    with pytest.raises(AttributeError):
        a.dtype = np.dtype("int8")
    with pytest.raises(AttributeError):
        a.new_attribute = 1
    with pytest.raises(TypeError):
        pickle.dumps(a)


def test_node_properties(a):
    s = build.reduce(Op.SUM, a, axis=1, keepdims=True)
    assert (s.shape, s.ndim, s.size, s.dtype) == ((2, 1), 2, 2, np.dtype("float64"))
    e = build.getitem(a, (slice(0, 0),))
    assert e.shape == (0, 3) and e.size == 0
    c = build.const(3)
    assert c.shape == () and c.ndim == 0 and c.size == 1
    assert "ADD" in repr(build.elementwise(Op.ADD, a, a))


def test_interning_does_not_keep_nodes_alive():
    data = np.arange(3.0)
    x = build.input(data)
    n = build.elementwise(Op.SIN, x)
    key_count = len(Node._interned)
    del n
    gc.collect()
    assert len(Node._interned) < key_count


def test_toposort_orders_sources_first_and_handles_deep_graphs(a, b):
    s = build.elementwise(Op.ADD, a, b)
    m = build.elementwise(Op.MULTIPLY, s, a)
    order = toposort([m, s])
    assert order.index(a) < order.index(s) < order.index(m)
    assert order.index(b) < order.index(s)
    assert len(order) == len(set(map(id, order))) == 4
    node = a
    for _ in range(5000):  # deeper than Python's recursion limit
        node = build.elementwise(Op.NEGATIVE, node)
    order = toposort([node])
    assert len(order) == 5001 and order[0] is a and order[-1] is node

"""Algebraic simplification and constant folding: checked on nodes, in ``explain()`` text,
and by the result (equal to NumPy's, including the sign of zeros)."""
from __future__ import annotations

import numpy as np
import pytest

import weldish
import weldish.numpy as wnp
from weldish.ir import build, passes
from weldish.ir.ops import Op
from weldish.ir.pattern import P, RewriteDidNotConverge, rewrite
from weldish.testing import assert_same, quiet, sample


def simp(node):
    (out,) = passes.simplify([node])
    return out


def optimized_text(*arrays) -> str:
    text = weldish.explain(*arrays, show=False)
    return text.split("== optimized", 1)[1].split("\n== ", 1)[0]


ARRAYS = {
    "f64": sample("float64", (8,), 0, special=True),
    "f32": sample("float32", (8,), 1, special=True),
    "i8": sample("int8", (8,), 2, special=True),
    "i16": sample("int16", (8,), 3, special=True),
    "i32": sample("int32", (8,), 4, special=True),
    "i64": sample("int64", (8,), 5, special=True),
    "u8": sample("uint8", (8,), 6, special=True),
    "b": sample("bool", (8,), 7),
}
for _k, _v in ARRAYS.items():
    _v.flags.writeable = False  # shared by every case


def run_both(expr):
    """expr(xp, arrays) with NumPy and weldish; returns (lazy, numpy value)."""
    lazies = {k: wnp.asarray(v) for k, v in ARRAYS.items()}
    with quiet():
        expected = expr(np, ARRAYS)
        got = expr(wnp, lazies)
    return got, expected


# (id, expression, input name it reduces to)
IDENTITIES = [
    ("f64*1", lambda xp, a: a["f64"] * 1, "f64"),
    ("1*f64", lambda xp, a: 1 * a["f64"], "f64"),
    ("f64*1.0", lambda xp, a: a["f64"] * 1.0, "f64"),
    ("f32*1.0", lambda xp, a: a["f32"] * 1.0, "f32"),
    ("f32*np.float32(1)", lambda xp, a: a["f32"] * np.float32(1), "f32"),
    ("i8*1", lambda xp, a: a["i8"] * 1, "i8"),
    ("i8*True", lambda xp, a: a["i8"] * True, "i8"),
    ("f64/1", lambda xp, a: a["f64"] / 1, "f64"),
    ("f32/1.0", lambda xp, a: a["f32"] / 1.0, "f32"),
    ("f64**1", lambda xp, a: a["f64"] ** 1, "f64"),
    ("i16**1", lambda xp, a: a["i16"] ** 1, "i16"),
    ("f64-0", lambda xp, a: a["f64"] - 0, "f64"),
    ("f64-0.0", lambda xp, a: a["f64"] - 0.0, "f64"),
    ("i8-0", lambda xp, a: a["i8"] - 0, "i8"),
    ("i32+0", lambda xp, a: a["i32"] + 0, "i32"),
    ("0+i32", lambda xp, a: 0 + a["i32"], "i32"),
    ("u8+0", lambda xp, a: a["u8"] + 0, "u8"),
    ("b+False", lambda xp, a: a["b"] + False, "b"),
    ("i64//1", lambda xp, a: a["i64"] // 1, "i64"),
    ("-(-f64)", lambda xp, a: -(-a["f64"]), "f64"),
    ("-(-i8)", lambda xp, a: -(-a["i8"]), "i8"),
    ("~~i16", lambda xp, a: ~~a["i16"], "i16"),
    ("~~b", lambda xp, a: ~~a["b"], "b"),
    ("not not b", lambda xp, a: xp.logical_not(xp.logical_not(a["b"])), "b"),
    ("+f64", lambda xp, a: +a["f64"], "f64"),
    ("-(-(-(-f32)))", lambda xp, a: -(-(-(-a["f32"]))), "f32"),
    ("((f64-0)*1)/1", lambda xp, a: ((a["f64"] - 0) * 1) / 1, "f64"),
]

# Not exact (or not the same dtype), so they must stay: (id, expression, op that remains)
KEPT = [
    ("f64+0.0", lambda xp, a: a["f64"] + 0.0, "add"),      # -0.0 + 0.0 is +0.0
    ("0.0+f64", lambda xp, a: 0.0 + a["f64"], "add"),
    ("f64+0", lambda xp, a: a["f64"] + 0, "add"),
    ("f32+0", lambda xp, a: a["f32"] + 0, "add"),
    ("i8*1.0", lambda xp, a: a["i8"] * 1.0, "multiply"),    # float64 result
    ("i8*np.int64(1)", lambda xp, a: a["i8"] * np.int64(1), "multiply"),  # int64 result
    ("b*1", lambda xp, a: a["b"] * 1, "multiply"),          # int64 result
    ("f32*np.float64(1)", lambda xp, a: a["f32"] * np.float64(1), "multiply"),
    ("i8+0.0", lambda xp, a: a["i8"] + 0.0, "add"),
    ("i8/1", lambda xp, a: a["i8"] / 1, "divide"),          # float64 result
    ("f64//1", lambda xp, a: a["f64"] // 1, "floor_divide"),  # floors
    ("b//True", lambda xp, a: a["b"] // True, "floor_divide"),  # int8 result
    ("not not i8", lambda xp, a: xp.logical_not(xp.logical_not(a["i8"])), "logical_not"),
    ("f64*2", lambda xp, a: a["f64"] * 2, "multiply"),
    ("f64**1.5", lambda xp, a: a["f64"] ** 1.5, "power"),
]


@pytest.mark.parametrize("expr,name", [pytest.param(e, n, id=i) for i, e, n in IDENTITIES])
def test_identity_rewritten(expr, name):
    got, expected = run_both(expr)
    x = wnp.asarray(ARRAYS[name]).node
    assert got.node is not x, "the premise: the recorded graph has the op"
    assert simp(got.node) is x
    text = optimized_text(got)
    assert text.strip().splitlines()[1:] == [
        f"%0 = input [user] : {ARRAYS[name].dtype}[8]  -> out0"], text
    assert_same(got, expected)


@pytest.mark.parametrize("expr,op", [pytest.param(e, o, id=i) for i, e, o in KEPT])
def test_not_rewritten_when_not_exact(expr, op):
    got, expected = run_both(expr)
    assert simp(got.node) is got.node
    assert f"= {op}(" in optimized_text(got)
    assert_same(got, expected)  # the data include -0.0, NaN, +-inf, min/max ints


@pytest.mark.parametrize("zero", [pytest.param(-0.0, id="weak"),
                                  pytest.param(np.float64(-0.0), id="strong")])
def test_subtract_negative_zero_is_not_rewritten(zero):
    """-0.0 == 0, but x - (-0.0) is not x: -0.0 - (-0.0) is +0.0."""
    x = np.array([-0.0, 0.0, 1.0])
    got = wnp.asarray(x) - zero
    assert simp(got.node) is got.node
    assert "= subtract(" in optimized_text(got)
    assert_same(got, x - zero)


def test_astype_to_same_dtype_is_removed():
    x = build.input(ARRAYS["f32"])
    same = build.astype(x, "float32")
    assert same is not x and simp(same) is x
    other = build.astype(x, "float64")
    assert simp(other) is other


def test_rewrites_below_the_root_and_shared_nodes():
    a = wnp.asarray(ARRAYS["f64"])
    y = wnp.sin(a * 1)
    z = y + (y - 0)
    got = simp(z.node)
    sin = build.elementwise(Op.SIN, a.node)
    assert got is build.elementwise(Op.ADD, sin, sin)
    text = optimized_text(z)
    assert text.count("sin(") == 1 and "multiply" not in text and "subtract" not in text
    with quiet():
        assert_same(z, np.sin(ARRAYS["f64"] * 1) + (np.sin(ARRAYS["f64"] * 1) - 0))


# --- constant folding -------------------------------------------------------------------
def test_fold_weak_constants():
    node = build.elementwise(Op.ADD, build.const(2), build.const(3))
    out = simp(node)
    assert out.op is Op.CONST and out.dtype == np.int64
    assert build.const_value(out) == 5 and type(build.const_value(out)) is np.int64
    assert out is build.const(5, "int64")  # a strong constant of the node's dtype


def test_fold_nested_constants():
    node = build.elementwise(Op.MULTIPLY, build.elementwise(Op.ADD, build.const(2),
                                                            build.const(3)),
                             build.const(4.5))
    out = simp(node)
    assert out is build.const(22.5, "float64")


@pytest.mark.parametrize("make", [
    pytest.param(lambda xp: xp.divide(np.float32(1), np.float32(3)), id="f32 1/3"),
    pytest.param(lambda xp: xp.add(np.int8(100), np.int8(100)), id="int8 wraps"),
    pytest.param(lambda xp: xp.divide(1.0, 0.0), id="1/0"),
    pytest.param(lambda xp: xp.sqrt(-1.0), id="sqrt(-1)"),
    pytest.param(lambda xp: xp.negative(0.0), id="-0.0"),
    pytest.param(lambda xp: xp.multiply(-1.0, 0.0), id="-1*0.0"),
    pytest.param(lambda xp: xp.floor_divide(np.int16(-7), 2), id="-7//2"),
    pytest.param(lambda xp: xp.exp(np.float32(100)), id="exp overflow f32"),
    pytest.param(lambda xp: xp.where(True, np.uint8(3), 7), id="where"),
    pytest.param(lambda xp: xp.power(np.float32(2), 0.5), id="pow"),
    pytest.param(lambda xp: xp.add(np.uint64(2**64 - 1), 1), id="uint64 wraps"),
])
def test_fold_matches_numpy(make):
    with quiet():
        expected = make(np)
        got = make(wnp)
    assert got.node.op is not Op.CONST  # recorded as an op ...
    folded = simp(got.node)
    assert folded.op is Op.CONST  # ... folded into a constant
    assert folded.dtype == np.asarray(expected).dtype
    assert "const" in optimized_text(got) and "(weak)" not in optimized_text(got)
    with quiet():
        assert_same(got, expected)


def test_folded_constant_inside_a_graph():
    a = ARRAYS["f32"]
    x = wnp.asarray(a)
    y = x * wnp.add(2, 3)  # NumPy: np.add(2, 3) is a (strong) int64 scalar -> float64
    text = optimized_text(y)
    assert "const 5 : int64[]" in text and "multiply(%0, %1)" in text
    with quiet():
        assert_same(y, a * np.add(2, 3))


def test_simplify_is_idempotent_and_keeps_types():
    a = wnp.asarray(ARRAYS["i16"])
    y = wnp.maximum(-(-a) * 1, (a + 0) // 1) - wnp.add(1, 1)
    once = simp(y.node)
    assert simp(once) is once
    assert once.dtype == y.dtype and once.shape == y.shape
    with quiet():
        i16 = ARRAYS["i16"]
        assert_same(y, np.maximum(-(-i16) * 1, (i16 + 0) // 1) - np.add(1, 1))


# --- the rewrite engine -------------------------------------------------------------------
def test_non_converging_rules_raise():
    a = build.input(np.ones(3))
    b = build.input(np.zeros(3))

    def swap(node, x, y):
        return build.elementwise(Op.ADD, y, x)
    rules = [(P(Op.ADD, src=(P(name="x"), P(name="y"))), swap)]
    with pytest.raises(RewriteDidNotConverge):
        rewrite([build.elementwise(Op.ADD, a, b)], rules, max_rounds=10)

    def grow(node, x):  # -x -> -(-(-x)): always "changes"
        n = build.elementwise
        return n(Op.NEGATIVE, n(Op.NEGATIVE, n(Op.NEGATIVE, x)))
    rules = [(P(Op.NEGATIVE, src=(P(name="x"),)), grow)]
    with pytest.raises(RewriteDidNotConverge):
        rewrite([build.elementwise(Op.NEGATIVE, a)], rules, max_rounds=5)


def test_rule_returning_none_means_no_change():
    a = build.input(np.ones(3))
    node = build.elementwise(Op.SIN, a)
    calls = []

    def never(node, **kw):
        calls.append(node)
        return None
    assert rewrite([node], [(P(), never)]) == [node]
    assert calls  # the rule was consulted


def test_rule_that_changes_the_type_is_refused():
    a = build.input(np.ones(3))

    def to_f32(node, x):
        return build.astype(x, "float32")
    with pytest.raises(AssertionError):
        rewrite([build.elementwise(Op.SIN, a)], [(P(Op.SIN, src=(P(name="x"),)), to_f32)])


def test_pattern_names_bind_one_node():
    a = build.input(np.ones(3))
    b = build.input(np.zeros(3))
    pat = P(Op.ADD, src=(P(name="x"), P(name="x")))
    bound: dict = {}
    assert pat.match(build.elementwise(Op.ADD, a, a), bound) and bound["x"] is a
    assert not pat.match(build.elementwise(Op.ADD, a, b), {})
    assert not P(Op.SUBTRACT).match(build.elementwise(Op.ADD, a, b), {})
    assert P(where=lambda n: n.op is Op.INPUT).match(a, {})

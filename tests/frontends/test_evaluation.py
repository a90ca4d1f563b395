"""Evaluation: what triggers it, what it returns, that it runs once, config, explain, pickle.

A counting backend wraps the real ``interp`` backend: every ``run`` call is recorded with
the nodes it computed, so the tests can tell when weldish evaluates and whether shared
work is done once.
"""
from __future__ import annotations

import copy
import operator
import pickle

import numpy
import numpy.testing as npt
import pytest

import weldish
import weldish.numpy as wnp
from weldish import backends
from weldish.ir.interpret import interpret


class CountingMemo(dict):
    """A memo that records every node the interpreter computes."""

    def __init__(self, log, *args):
        super().__init__(*args)
        self.log = log

    def __setitem__(self, node, value):
        self.log.append(node)
        super().__setitem__(node, value)


class Counter:
    def __init__(self, backend):
        self.backend = backend
        self.orig = backend.execute
        self.calls = 0
        self.roots = []
        self.computed = []

    def execute(self, program, memo, *args):  # the interpreter's program: its roots
        self.calls += 1
        self.roots.append(list(program))
        return self.orig(program, CountingMemo(self.computed, memo), *args)

    def computed_ops(self, name):
        return [n for n in self.computed if str(n.op) == name or
                getattr(n.op, "name", "").lower() == name]


@pytest.fixture
def counter(monkeypatch):
    with weldish.config(backend="interp"):
        backend = backends.BACKENDS["interp"]
        c = Counter(backend)
        monkeypatch.setattr(backend, "execute", c.execute)
        yield c


def black_scholes(xp, price, strike, t, rate=0.02, vol=0.3):
    sqrt_t = xp.sqrt(t)
    d1 = (xp.log(price / strike) + (rate + 0.5 * vol * vol) * t) / (vol * sqrt_t)
    d2 = d1 - vol * sqrt_t
    cdf = lambda x: 0.5 * (1.0 + xp.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))  # noqa
    disc = strike * xp.exp(-rate * t)
    return price * cdf(d1) - disc * cdf(d2), disc * cdf(-d2) - price * cdf(-d1)


RNG = numpy.random.default_rng(0)
PRICE, STRIKE, T = RNG.uniform(50, 150, 64), RNG.uniform(50, 150, 64), RNG.uniform(0.1, 2, 64)


# --- evaluate() ------------------------------------------------------------------------------
def test_evaluate_several_with_shared_subexpression(counter):
    x = wnp.asarray(PRICE)
    shared = wnp.exp(x / 100.0)
    a = shared * 2 + 1
    b = wnp.sqrt(shared).sum()
    assert counter.calls == 0  # nothing ran while the graph was built
    result = weldish.evaluate(a, b)
    assert isinstance(result, tuple) and len(result) == 2
    va, vb = result
    assert type(va) is numpy.ndarray and type(vb) is numpy.ndarray
    e = numpy.exp(PRICE / 100.0)
    npt.assert_allclose(va, e * 2 + 1, rtol=1e-14)
    npt.assert_allclose(vb, numpy.sqrt(e).sum(), rtol=1e-14)
    assert vb.shape == () and vb.dtype == numpy.float64
    assert counter.calls == 1  # one pass for both
    assert len(counter.computed_ops("exp")) == 1  # the shared exp ran once
    assert len(counter.computed) == len(set(counter.computed))  # no node computed twice


def test_evaluate_single_and_non_lazy_arguments(counter):
    x = wnp.arange(4.0) * 3
    v = weldish.evaluate(x)
    assert type(v) is numpy.ndarray
    npt.assert_array_equal(v, [0, 3, 6, 9])
    plain = numpy.ones(2)
    out = weldish.evaluate(x, 5, plain, "s")
    assert out[0] is v and out[1] == 5 and out[2] is plain and out[3] == "s"
    same = weldish.evaluate(x, x)
    assert same[0] is same[1] is v


def test_re_evaluation_does_not_recompute(counter):
    call, put = black_scholes(wnp, wnp.asarray(PRICE), wnp.asarray(STRIKE), wnp.asarray(T))
    vc, vp = weldish.evaluate(call, put)
    assert counter.calls == 1
    n_computed = len(counter.computed)
    assert n_computed > 10
    # every trigger below reuses the values
    assert weldish.evaluate(call) is vc
    assert numpy.asarray(put) is vp
    repr(call), str(put), call.tolist(), list(put), float(call[3]), call[::2].shape
    weldish.evaluate(call[1:], put.T)
    assert counter.calls == 1 and len(counter.computed) == n_computed
    # new work on top of evaluated values computes only the new nodes
    total = weldish.evaluate(call + put)
    assert counter.calls == 2
    assert len(counter.computed) - n_computed <= 3  # two inputs and one add at most
    ec, ep = black_scholes(numpy, PRICE, STRIKE, T)
    npt.assert_allclose(total, ec + ep, rtol=1e-12)


def test_evaluate_together_only_computes_pending(counter):
    x = wnp.asarray(PRICE)
    a = wnp.log(x)
    b = wnp.exp(-x / 50)
    weldish.evaluate(a)
    assert counter.calls == 1
    va, vb = weldish.evaluate(a, b)
    assert counter.calls == 2
    assert counter.roots[-1] and len(counter.roots[-1]) == 1  # only b was pending
    npt.assert_allclose(va, numpy.log(PRICE), rtol=1e-15)
    npt.assert_allclose(vb, numpy.exp(-PRICE / 50), rtol=1e-15)


def test_view_and_base_evaluated_together_alias(counter):
    a = wnp.arange(12.0).reshape(3, 4) * 2
    v = a[1:, ::2]
    va, vv = weldish.evaluate(a, v)
    assert counter.calls == 1
    assert numpy.shares_memory(va, vv)
    npt.assert_array_equal(vv, (numpy.arange(12.0).reshape(3, 4) * 2)[1:, ::2])


def test_metadata_does_not_evaluate(counter):
    call, _ = black_scholes(wnp, wnp.asarray(PRICE), wnp.asarray(STRIKE), wnp.asarray(T))
    m = call.reshape(8, 8)
    assert (m.shape, m.ndim, m.size, m.dtype, len(m), m.T.shape, m.nbytes, m.itemsize) == \
        ((8, 8), 2, 64, numpy.float64, 8, (8, 8), 512, 8)
    assert m[2:, None].shape == (6, 1, 8)
    assert counter.calls == 0


# --- triggers match NumPy --------------------------------------------------------------------
ARR = numpy.array([[1.5, -2.25, 3.0], [4.0, 0.0, -6.5]])

TRIGGERS = {
    "repr": repr, "str": str, "tolist": lambda x: x.tolist(),
    "repr-0d": lambda x: repr(x.sum()), "str-0d": lambda x: str(x.max()),
    "float": lambda x: float(x[0, 1]), "float-0d": lambda x: float(x.sum()),
    "int": lambda x: int(x[1, 0]), "bool": lambda x: bool(x[0, 0]),
    "bool-size1": lambda x: bool(x[:1, :1] > 0), "complex": lambda x: complex(x[1, 2]),
    "len": len, "iter-rows": lambda x: [r.tolist() for r in x],
    "iter-1d": lambda x: [(type(v), v) for v in x[0]], "item": lambda x: x.item(4),
    "item-0d": lambda x: x.sum().item(), "item-tuple": lambda x: x.item((1, 2)),
    "format": lambda x: f"{x.sum():.3f} {x.max():>8}", "format-array": lambda x: f"{x}",
    "index": lambda x: operator.index((x > 0).sum()),
    "list-index": lambda x: ["a", "b", "c"][x.argmax(axis=1)[1]],
    "range": lambda x: list(range((x > 0).sum())),
    "asarray-dtype": lambda x: numpy.asarray(x, dtype=numpy.float32).tolist(),
    "array-copy": lambda x: numpy.array(x, copy=True).tolist(),
    "tolist-int": lambda x: (x > 0).astype(int).tolist(),
    "in-1d": lambda x: (3.0 in x[0], 7.0 in x[1]),
    "sum-builtin": lambda x: sum(x[0]),
    "round": lambda x: round(float(x[0, 0])),
}


@pytest.mark.parametrize("name", list(TRIGGERS))
def test_trigger_matches_numpy(name):
    fn = TRIGGERS[name]
    expected = fn(ARR.copy())
    got = fn(wnp.asarray(ARR) * 1.0)  # unevaluated until the trigger
    assert type(got) is type(expected)
    assert got == expected


def test_contains_2d_matches_numpy():
    x = wnp.asarray(ARR) * 1.0
    assert (3.0 in x) is (3.0 in ARR) is True
    assert (7.0 in x) is (7.0 in ARR) is False


CONV_ERRORS = {
    "float": float, "int": int, "bool": bool, "complex": complex,
    "float-size1-1d": lambda x: float(x[:1, 1]), "index-float": operator.index,
    "len-0d": lambda x: len(x.sum()), "iter-0d": lambda x: iter(x.sum()),
}


@pytest.mark.parametrize("name", list(CONV_ERRORS))
def test_trigger_error_matches_numpy(name):
    conv = CONV_ERRORS[name]
    with pytest.raises((TypeError, ValueError)) as np_err:
        conv(ARR)
    with pytest.raises(np_err.type):
        conv(wnp.asarray(ARR) * 1.0)


# --- config ----------------------------------------------------------------------------------
class FakeBackend:
    """A second backend (the interpreter, counted) to see config switch between backends."""
    name = "fake"

    def __init__(self, available=True):
        self.calls = 0
        self._available = available

    def available(self):
        return self._available

    def prepare(self, roots):
        return roots

    def execute(self, roots, memo, *args):
        self.calls += 1
        return interpret(roots, memo)


def test_config_setter_and_current():
    before = weldish.config.current()
    try:
        weldish.config(backend="interp")
        assert weldish.config.current()["backend"] == "interp"
        weldish.config(num_threads=2)
        assert weldish.config.current()["num_threads"] == 2
        npt.assert_array_equal(numpy.asarray(wnp.arange(3) * 2), [0, 2, 4])
    finally:
        weldish.config(**before)
    assert weldish.config.current() == before


def test_config_context_manager_restores(monkeypatch):
    fake = FakeBackend()
    monkeypatch.setitem(backends.BACKENDS, "fake", fake)
    before = weldish.config.current()
    with weldish.config(backend="fake", num_threads=1) as cfg:
        assert isinstance(cfg, weldish.config)
        assert weldish.config.current() == dict(before, backend="fake", num_threads=1)
        v = numpy.asarray(wnp.arange(5.0) ** 2)
        assert fake.calls == 1
        with weldish.config(backend="interp"):  # nested
            numpy.asarray(wnp.arange(3.0) + 1)
            assert fake.calls == 1
        assert weldish.config.current()["backend"] == "fake"
    assert weldish.config.current() == before
    numpy.asarray(wnp.arange(4.0) - 1)
    assert fake.calls == 1
    npt.assert_array_equal(v, numpy.arange(5.0) ** 2)


def test_config_restores_after_exception():
    before = weldish.config.current()
    with pytest.raises(KeyError):
        with weldish.config(num_threads=1):
            raise KeyError("boom")
    assert weldish.config.current() == before


def test_config_rejects_unknown_or_unavailable(monkeypatch):
    before = weldish.config.current()
    with pytest.raises(ValueError):
        weldish.config(backend="no-such-backend")
    with pytest.raises(ValueError):
        with weldish.config(backend="no-such-backend"):
            pass  # pragma: no cover
    with pytest.raises(ValueError):
        weldish.config(num_threads=0)
    monkeypatch.setitem(backends.BACKENDS, "down", FakeBackend(available=False))
    with pytest.raises(RuntimeError):
        weldish.config(backend="down")
    assert weldish.config.current() == before
    assert "interp" in backends.available()


# --- explain ---------------------------------------------------------------------------------
def test_explain_lazy_black_scholes(counter, capsys):
    call, put = black_scholes(wnp, wnp.asarray(PRICE), wnp.asarray(STRIKE), wnp.asarray(T))
    text = weldish.explain(call, show=False)
    assert counter.calls == 0  # explain does not evaluate
    assert capsys.readouterr().out == ""
    for op in ["multiply", "exp", "log", "sqrt", "tanh", "divide", "subtract", "add"]:
        assert op in text, op
    assert "float64[64]" in text
    assert "-> out0" in text
    both = weldish.explain(call, put, names=["call", "put"], show=True)
    assert capsys.readouterr().out.strip() == both.strip()
    assert "-> call" in both and "-> put" in both
    assert counter.calls == 0
    # still lazy: the values come out right afterwards
    ec, ep = black_scholes(numpy, PRICE, STRIKE, T)
    vc, vp = weldish.evaluate(call, put)
    npt.assert_allclose(vc, ec, rtol=1e-12)
    npt.assert_allclose(vp, ep, rtol=1e-12)


# --- pickle and copy -------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: wnp.asarray(PRICE) * 2 - 1,
    lambda: (wnp.arange(12).reshape(3, 4) * 3).T[::2],
    lambda: wnp.asarray(PRICE).astype(numpy.float32).sum(),
    lambda: wnp.asarray(PRICE) > 100,
    lambda: wnp.zeros((0, 3), dtype=numpy.int16),
], ids=["expr", "view", "0d-float32", "bool", "empty"])
def test_pickle_gives_ndarray_value(make):
    x = make()
    data = pickle.dumps(x)
    y = pickle.loads(data)
    assert type(y) is numpy.ndarray
    expected = numpy.asarray(make())
    assert y.dtype == expected.dtype and y.shape == expected.shape
    npt.assert_array_equal(y, expected)
    nested = pickle.loads(pickle.dumps({"k": [x, 1]}))
    npt.assert_array_equal(nested["k"][0], expected)


def test_copy_module_gives_independent_lazy_copy():
    x = wnp.arange(3.0) + 1
    c, d = copy.copy(x), copy.deepcopy(x)
    x[0] = 100
    assert isinstance(c, weldish.LazyArray) and isinstance(d, weldish.LazyArray)
    npt.assert_array_equal(numpy.asarray(c), [1, 2, 3])
    npt.assert_array_equal(numpy.asarray(d), [1, 2, 3])


def test_two_lazy_arrays_of_one_value_get_their_own_buffers():
    a = numpy.arange(4.0)
    x, y = wnp.asarray(a) + 1, wnp.asarray(a) + 1   # one interned node
    vx, vy = weldish.evaluate(x, y)
    vx[0] = -5.0
    assert vy[0] == 1.0 and float(y[0]) == 1.0

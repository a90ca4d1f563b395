"""``weldish.function``: a NumPy-style function traced once per input signature, then run
from its prepared program. NumPy is the oracle: the same function run eagerly on NumPy.
"""
from __future__ import annotations

import numpy
import pytest

import weldish
import weldish.numpy as wnp
from weldish.testing import assert_same


def score(a, b, c):
    return ((a - b) ** 2 * c).sum()


def two_outputs(x, y):
    s = wnp.sqrt(x * x + y * y)
    return s, {"mean": s.mean(), "max": wnp.max(s, axis=0)}


@pytest.fixture
def rng():
    return numpy.random.default_rng(7)


def test_matches_numpy_and_traces_once_per_signature(rng):
    f = weldish.function(score)
    for n in (1000, 1000, 1000, 5, 5):
        a, b, c = (rng.random(n) for _ in range(3))
        got = f(a, b, c)
        assert type(got) is numpy.ndarray or numpy.isscalar(got) or got.shape == ()
        assert_same(numpy.asarray(got), numpy.asarray(score(a, b, c)))
    assert f.traces == 2                 # n=1000 and n=5
    a32 = rng.random(5).astype(numpy.float32)
    assert_same(numpy.asarray(f(a32, a32, a32)), numpy.asarray(score(a32, a32, a32)))
    assert f.traces == 3                 # a new dtype is a new signature


def test_nested_outputs_keep_their_structure(rng):
    f = weldish.function(two_outputs)
    x, y = rng.random((2, 30, 4))
    for _ in range(2):
        s, d = f(x, y)
        ref = numpy.sqrt(x * x + y * y)
        assert_same(s, ref)
        assert set(d) == {"mean", "max"}
        assert_same(numpy.asarray(d["mean"]), numpy.asarray(ref.mean()))
        assert_same(d["max"], ref.max(axis=0))
        assert type(s) is numpy.ndarray
    assert f.traces == 1


def test_results_are_fresh_arrays_never_the_inputs(rng):
    f = weldish.function(lambda a: a * 1)
    a = rng.random(10)
    for _ in range(2):
        out = f(a)
        assert out is not a and not numpy.shares_memory(out, a)
        out[0] = -1.0
        assert a[0] != -1.0


def test_python_scalars_are_part_of_the_signature(rng):
    # weak scalars keep NumPy's dtype rules: float32 * 2.5 stays float32
    f = weldish.function(lambda a, k: a * k)
    a = rng.random(8).astype(numpy.float32)
    assert_same(f(a, 2.5), a * 2.5)
    assert_same(f(a, 3.5), a * 3.5)
    assert f.traces == 2
    # a NumPy scalar is an input (strong, as in NumPy): no retrace for a new value
    assert_same(f(a, numpy.float64(2.0)), a * numpy.float64(2.0))
    assert_same(f(a, numpy.float64(4.0)), a * numpy.float64(4.0))
    assert f.traces == 3


def test_keyword_arguments(rng):
    f = weldish.function(lambda a, b=None, scale=1.0: (a + b) * scale)
    a, b = rng.random((2, 6))
    assert_same(f(a, b=b, scale=2.0), (a + b) * 2.0)
    assert_same(f(a, b=b, scale=2.0), (a + b) * 2.0)
    assert f.traces == 1


def test_strided_inputs(rng):
    f = weldish.function(score)
    big = rng.random((3, 40))
    got = f(big[0, ::2], big[1, 1::2], big[2, :20])
    assert_same(numpy.asarray(got), numpy.asarray(score(big[0, ::2], big[1, 1::2],
                                                        big[2, :20])))


def test_captured_arrays_are_read_at_call_time(rng):
    w = rng.random(5)
    f = weldish.function(lambda a: a * w)
    a = rng.random(5)
    assert_same(f(a), a * w)
    w[:] = 2.0  # the function reads the captured array when it runs, as eager code does
    assert_same(f(a), a * 2.0)


def test_data_dependent_control_flow_is_traced_every_call(rng):
    def clip_if_large(a):
        if float(a.max()) > 0.5:   # evaluates during the trace: the graph depends on data
            return a - 1.0
        return a + 1.0
    f = weldish.function(clip_if_large)
    small, large = numpy.full(4, 0.1), numpy.full(4, 0.9)
    assert_same(f(small), small + 1.0)
    assert_same(f(large), large - 1.0)
    assert_same(f(small), small + 1.0)


def test_writes_into_arguments_reach_the_caller_as_in_numpy(rng):
    def bump(a):
        a += 1.0
        return a.sum()
    f = weldish.function(bump)
    a = numpy.zeros(4)
    ref = numpy.zeros(4)
    assert_same(numpy.asarray(f(a)), numpy.asarray(bump(ref)))
    assert_same(a, ref)
    assert_same(numpy.asarray(f(a)), numpy.asarray(bump(ref)))
    assert_same(a, ref)


def test_non_array_results_and_arguments_pass_through(rng):
    f = weldish.function(lambda a, name: (name, a + 1, 3))
    a = rng.random(3)
    name, out, three = f(a, "x")
    assert name == "x" and three == 3
    assert_same(out, a + 1)


def test_errors_are_numpys(rng):
    f = weldish.function(lambda a, b: a + b)
    with pytest.raises(ValueError, match="broadcast"):
        f(numpy.ones(3), numpy.ones(4))
    with pytest.raises(TypeError):
        weldish.function(3)


def test_dropped_programs_are_prepared_again(rng):
    from weldish.evaluate import clear_programs   # what a backend reset calls
    f = weldish.function(score)
    a = rng.random(10)
    f(a, a, a)
    clear_programs()
    assert_same(numpy.asarray(f(a, a, a)), numpy.asarray(score(a, a, a)))
    assert f.traces == 2


def test_decorator_keeps_the_name_and_doc():
    @weldish.function
    def documented(a):
        """Doubles."""
        return a * 2
    assert documented.__name__ == "documented" and documented.__doc__ == "Doubles."
    assert_same(documented(numpy.arange(3.0)), numpy.arange(3.0) * 2)


def test_the_same_array_twice_is_another_signature(rng):
    f = weldish.function(lambda a, b: a - b)
    a, b = rng.random((2, 5))
    assert_same(f(a, a), a - a)
    assert_same(f(a, b), a - b)
    assert f.traces == 2


def test_two_results_of_one_value_are_two_arrays(rng):
    f = weldish.function(lambda a: (a + 1, a + 1))
    a = rng.random(4)
    for _ in range(2):
        x, y = f(a)
        x[0] = -5.0
        assert y[0] == a[0] + 1


def test_annotated_calls_still_run_by_pieces(rng):
    from weldish.annotate import ArraySplit

    calls = []

    @weldish.annotate(ArraySplit(), returns=ArraySplit())
    def scaled(a):
        calls.append(len(a))
        return a * 3.0

    f = weldish.function(lambda a: scaled(a) + 1.0)
    a = rng.random(1000)
    with weldish.config(split_piece=256):
        for _ in range(2):
            assert_same(f(a), a * 3.0 + 1.0)
    assert max(calls) <= 256   # pieces (and the one-element probes), never the whole

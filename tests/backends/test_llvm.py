"""The LLVM backend: fusion boundaries, determinism across threads, the compile cache,
and the interpreter fallback for a kernel that fails to compile."""
import warnings

import numpy
import pytest

import weldish
import weldish.numpy as wnp
from weldish import backends
from weldish.ir.passes import optimize

pytestmark = pytest.mark.skipif("llvm" not in backends.available(), reason="no llvmlite")
LLVM = backends.BACKENDS["llvm"]
RNG = numpy.random.default_rng(7)


def _plan(*lazies):
    return LLVM.plan(optimize([x.node for x in lazies]))


def test_streaming_reduction_is_one_kernel_reading_each_input_once():
    a, b, c = (RNG.standard_normal(1000) for _ in range(3))
    r = ((wnp.asarray(a) - wnp.asarray(b)) ** 2 * wnp.asarray(c)).sum()
    plan = _plan(r)
    (kernel,) = plan.kernels()
    assert kernel.reduce is not None and len(kernel.inputs) == 3
    assert [str(n.op) for n in kernel.body] == ["subtract", "power", "multiply", "sum"]
    with weldish.config(backend="llvm"):
        text = weldish.explain(r, show=False)
        got = float(r)
    assert "reduction loop over [1000]" in text
    numpy.testing.assert_allclose(got, ((a - b) ** 2 * c).sum(), rtol=1e-12)


def test_boundaries_have_reasons():
    x = wnp.asarray(RNG.standard_normal((4, 5)))
    shared = wnp.exp(x)
    out1, out2 = shared + 1, wnp.cumsum(shared, axis=1)
    plan = _plan(out1, out2)
    reasons = {str(k.output.op): k.why for k in plan.kernels()}
    assert reasons["exp"] == "used by 1 kernels" or "used" in reasons["exp"]
    assert any("no LLVM lowering" in r for r in plan.reasons.values())


@pytest.mark.parametrize("threads", [1, 2])
def test_results_do_not_depend_on_threads_or_runs(threads, monkeypatch):
    from weldish.backends.llvm import runtime
    monkeypatch.setattr(runtime, "PARALLEL_THRESHOLD", 1)
    x = RNG.standard_normal((64, 1001))
    base = None
    for _ in range(3):
        with weldish.config(backend="llvm", num_threads=threads):
            lx = wnp.asarray(x)
            vals = weldish.evaluate((lx * 1.5).sum(), (lx * 1.5).sum(axis=0),
                                    (lx * 1.5).max(axis=1), lx.sum(axis=1))
        if base is None:
            base = vals
        for v, b in zip(vals, base):
            assert numpy.array_equal(v, b)  # bit-identical run to run
    numpy.testing.assert_allclose(base[0], (x * 1.5).sum(), rtol=1e-12)
    numpy.testing.assert_allclose(base[1], (x * 1.5).sum(axis=0), rtol=1e-12)
    numpy.testing.assert_array_equal(base[2], (x * 1.5).max(axis=1))


def test_one_compiled_kernel_serves_every_size():
    with weldish.config(backend="llvm"):
        float((wnp.asarray(numpy.ones(10)) * 3.0 - 1.0).sum())
        before = len(LLVM._cache)
        for n in (1, 7, 1000, 100_003):
            a = numpy.arange(n, dtype=float)
            got = float((wnp.asarray(a) * 3.0 - 1.0).sum())
            numpy.testing.assert_allclose(got, (a * 3.0 - 1.0).sum(), rtol=1e-12)
    assert len(LLVM._cache) == before


def test_kernel_that_fails_to_compile_runs_on_the_interpreter(monkeypatch):
    from weldish.backends.llvm import emit

    def broken(*args, **kwargs):
        raise RuntimeError("synthetic codegen failure")
    monkeypatch.setattr(emit, "emit", broken)
    monkeypatch.setattr(LLVM, "_cache", {})
    x = RNG.standard_normal(100)
    with weldish.config(backend="llvm"), warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = numpy.asarray(wnp.sin(wnp.asarray(x)) * 2.0)
    assert any("did not compile" in str(m.message) for m in w)
    numpy.testing.assert_array_equal(got, numpy.sin(x) * 2.0)

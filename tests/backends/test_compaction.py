"""Boolean-mask compaction (``x[mask]``) compiled as a predicated append, with the
arithmetic on the selected values pushed before the compaction so it runs in the same loop.
NumPy is the oracle: values, dtypes and shapes of ``x[mask]`` and of what follows it."""
import numpy
import pytest

import weldish
import weldish.numpy as wnp
from weldish import backends
from weldish.ir.ops import Op
from weldish.ir.passes import optimize
from weldish.testing import assert_same

pytestmark = pytest.mark.skipif("llvm" not in backends.available(), reason="no llvmlite")
LLVM = backends.BACKENDS["llvm"]
RNG = numpy.random.default_rng(11)


def _plan(*lazies):
    return LLVM.plan(optimize([x.node for x in lazies]))


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def threads(request, monkeypatch):
    from weldish.backends.llvm import runtime
    monkeypatch.setattr(runtime, "PARALLEL_THRESHOLD", 1)
    with weldish.config(backend="llvm", num_threads=request.param):
        yield request.param


def test_arithmetic_after_a_mask_is_one_compaction_loop(threads):
    x = RNG.standard_normal(10_001)
    lx = wnp.asarray(x)
    out = wnp.exp(lx[lx > 0]) * 2.0 - 1.0
    plan = _plan(out)
    (kernel,) = plan.kernels()
    assert kernel.compact is not None and kernel.compact.op is Op.COMPRESS
    assert kernel.outputs == (kernel.compact,)
    assert "compaction" in weldish.explain(out, show=False)
    assert_same(weldish.evaluate(out), numpy.exp(x[x > 0]) * 2.0 - 1.0)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "uint8", "bool"])
def test_dtypes(threads, dtype):
    x = (RNG.standard_normal(3001) * 50).astype(dtype)
    m = RNG.random(3001) < 0.3
    lx = wnp.asarray(x)
    assert_same(weldish.evaluate(lx[m]), x[m])
    if dtype != "bool":
        assert_same(weldish.evaluate(lx[m] + lx[m] * 3), x[m] + x[m] * 3)


def test_multidimensional_masks_and_row_selection(threads):
    x = RNG.standard_normal((37, 23))
    lx = wnp.asarray(x)
    assert_same(weldish.evaluate(lx[lx > 0.5] * 2), x[x > 0.5] * 2)
    rows = x[:, 0] > 0
    assert_same(weldish.evaluate(wnp.sqrt(wnp.abs(lx[rows])) + 1), numpy.sqrt(numpy.abs(
        x[rows])) + 1)
    y = RNG.standard_normal((6, 5, 4))
    m2 = RNG.random((6, 5)) < 0.5
    assert_same(weldish.evaluate(wnp.asarray(y)[m2] - 1.0), y[m2] - 1.0)


def test_strided_and_broadcast_sources(threads):
    big = RNG.standard_normal((50, 80))
    x = big[::2, 1::3]
    m = x > 0
    lx = wnp.asarray(x)
    got = weldish.evaluate((lx * big[0, 1::3])[m])     # a broadcast row
    assert_same(got, (x * big[0, 1::3])[m])
    assert_same(weldish.evaluate(lx.T[m.T]), x.T[m.T])


def test_empty_and_full_selections(threads):
    x = RNG.standard_normal(1000)
    lx = wnp.asarray(x)
    none = weldish.evaluate(lx[lx > 10] + 1)
    assert none.shape == (0,) and none.dtype == numpy.float64
    assert_same(weldish.evaluate(lx[lx > -10] + 1), x + 1)
    assert weldish.evaluate(wnp.asarray(numpy.zeros(0))[numpy.zeros(0, bool)]).shape == (0,)


def test_reductions_and_chains_after_compaction(threads):
    x = RNG.standard_normal(5000)
    lx = wnp.asarray(x)
    sel = lx[lx > 0]
    pos = x[x > 0]
    assert_same(weldish.evaluate(sel.sum()), pos.sum(), scale=pos.sum())
    assert_same(weldish.evaluate((sel * sel).mean()), (pos * pos).mean(),
                scale=(pos * pos).mean())
    twice = sel[sel < 1.0] * 10                       # a mask of a compacted array
    assert_same(weldish.evaluate(twice), x[x > 0][x[x > 0] < 1.0] * 10)


def test_mixed_masks_and_shapes_are_not_pushed(threads):
    x, y = RNG.standard_normal((2, 400))
    lx, ly = wnp.asarray(x), wnp.asarray(y)
    m1, m2 = x > 0, y > 0
    k = int(min(m1.sum(), m2.sum()))
    # two different masks: each compacted on its own, then added
    a = lx[m1][:k] + ly[m2][:k]
    assert_same(weldish.evaluate(a), x[m1][:k] + y[m2][:k])
    # a compacted array with an array of its own shape
    z = RNG.standard_normal(int(m1.sum()))
    assert_same(weldish.evaluate(lx[m1] * z), x[m1] * z)


def test_results_are_the_same_run_to_run(threads):
    x = RNG.standard_normal((300, 77))
    lx = wnp.asarray(x)
    first = weldish.evaluate(wnp.log1p(wnp.abs(lx[lx < 0.2])))
    for _ in range(3):
        lx = wnp.asarray(x)
        assert numpy.array_equal(weldish.evaluate(wnp.log1p(wnp.abs(lx[lx < 0.2]))), first)
    assert_same(first, numpy.log1p(numpy.abs(x[x < 0.2])))


def test_the_mask_is_read_at_the_call_as_in_numpy(threads):
    x = RNG.standard_normal(100)
    m = x > 0
    lx = wnp.asarray(x)
    lazy_mask = lx < 0
    handed = numpy.asarray(lazy_mask)
    by_array, by_lazy = lx[m] * 2, lx[lazy_mask] * 2
    expected = (x[m] * 2, x[x < 0] * 2)
    m[:] = False                  # writes after the call change nothing, as in NumPy
    handed[:] = True
    assert_same(weldish.evaluate(by_array), expected[0])
    assert_same(weldish.evaluate(by_lazy), expected[1])


def test_a_mask_that_no_longer_fits_its_output_never_runs(threads):
    x = RNG.standard_normal(50)
    sel = wnp.asarray(x)[x > 0] + 1
    (mask_input,) = [n for n in optimize([sel.node])[0].src if n.op is Op.INPUT]
    mask_input.arg[0][1].data[:] = True   # behind weldish's back: the count changes
    with pytest.raises(ValueError, match="selects 50 values"):
        weldish.evaluate(sel)

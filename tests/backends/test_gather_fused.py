"""1-D gathers (``x[idx]``, op take) fused into loops: the source read whole, the index
computed in the loop, negative indices wrapped and NumPy's IndexError for the others.
Each test runs once per backend (conftest); NumPy is the oracle."""
import shutil
import tempfile

import numpy as np
import pytest
from weldish.ir.ops import Op
from weldish.ir.passes import COMPILED, optimize

import weldish
import weldish.numpy as wnp
from weldish import backends
from weldish.relational import segment_reduce
from weldish.testing import assert_same, quiet

RNG = np.random.default_rng(5)
LLVM = backends.BACKENDS["llvm"]
needs_llvm = pytest.mark.skipif("llvm" not in backends.available(), reason="no llvmlite")


def _kernels(*lazies):
    return LLVM.plan(optimize([x.node for x in lazies], COMPILED)).kernels()


def _idx(n, size, dtype="int64"):
    """``n`` valid indices into ``size`` elements, negative ones among them."""
    i = RNG.integers(-size, size, n)
    return i.astype(dtype) if np.dtype(dtype).kind == "i" else (i % size).astype(dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "int8", "uint8",
                                   "uint64", "bool"])
def test_values_of_each_dtype(dtype):
    x = (RNG.standard_normal(37) * 50).astype(dtype)
    i = _idx(200, 37)
    got = wnp.asarray(x)[wnp.asarray(i)]   # a lazy index: checked when it runs
    assert_same(weldish.evaluate(got), x[i])
    assert_same(weldish.evaluate(wnp.take(wnp.asarray(x), wnp.asarray(i))), np.take(x, i))


@pytest.mark.parametrize("idx_dtype", ["int8", "int16", "int32", "uint8", "uint32", "uint64"])
def test_index_dtypes(idx_dtype):
    x = RNG.standard_normal(100)
    i = _idx(64, 100, idx_dtype)
    assert_same(weldish.evaluate(wnp.asarray(x)[wnp.asarray(i)]), x[i])


def test_uint64_index_is_cast_to_intp_as_numpy_does():
    x = np.arange(5.0)
    i = np.array([2**64 - 1, 3, 2**64 - 5], np.uint64)   # -1 and -5 as intp
    assert_same(weldish.evaluate(wnp.asarray(x)[wnp.asarray(i)]), x[i])


def test_strided_source_and_index():
    x = RNG.standard_normal(60)[::3]
    i = _idx(90, 20)[::2]
    assert_same(weldish.evaluate(wnp.asarray(x)[wnp.asarray(i)] * 2), x[i] * 2)


def test_two_dimensional_index():
    x = RNG.standard_normal(11)
    i = _idx(24, 11).reshape(4, 6)
    assert_same(weldish.evaluate(wnp.asarray(x)[wnp.asarray(i)] + 1), x[i] + 1)
    assert_same(weldish.evaluate(wnp.sum(wnp.asarray(x)[wnp.asarray(i)], axis=1)),
                x[i].sum(axis=1), scale=np.abs(x).sum() * 6)


@pytest.mark.parametrize("bad,size", [([0, 7, 2], 5), ([-6], 5), ([1, 9, -12], 5),
                                      ([3, 2**64 - 9], 5)])
def test_out_of_bounds_is_numpys_index_error(bad, size):
    x = np.arange(float(size))
    i = np.array(bad, np.uint64 if max(bad) >= 2**63 else np.int64)
    with pytest.raises(IndexError) as numpy_error:
        x[i]
    out = wnp.asarray(x)[wnp.asarray(i) + 0] * 2
    with pytest.raises(IndexError) as ours:
        weldish.evaluate(out)
    assert type(ours.value) is IndexError
    assert str(ours.value) == str(numpy_error.value)


def test_out_of_bounds_under_a_reduction_and_a_mask():
    x = np.arange(8.0)
    i = np.array([1, 2, 30, 3])
    with pytest.raises(IndexError, match="index 30 is out of bounds for axis 0 with size 8"):
        weldish.evaluate(wnp.sum(wnp.asarray(x)[wnp.asarray(i)]))
    # NumPy gathers every element before the mask selects: the unselected one raises too
    keep = np.array([True, True, False, True])
    with pytest.raises(IndexError, match="index 30 is out of bounds"):
        weldish.evaluate(wnp.asarray(x)[wnp.asarray(i)][keep] + 1)


def test_empty():
    x, e = np.arange(4.0), np.zeros(0, np.int64)
    assert_same(weldish.evaluate(wnp.asarray(x)[wnp.asarray(e)] * 2), x[e] * 2)
    assert_same(weldish.evaluate(wnp.asarray(np.zeros(0))[wnp.asarray(e)]), np.zeros(0)[e])
    assert_same(weldish.evaluate(wnp.sum(wnp.asarray(x)[wnp.asarray(e)])), x[e].sum())


def test_gather_feeds_a_reduction_where_and_segment_sum():
    x = RNG.standard_normal(50)
    idx = RNG.integers(-1, 50, 300)          # -1: unmatched (a join's missing row)
    valid = idx >= 0
    li = wnp.asarray(idx)
    lvalid = li >= 0
    taken = wnp.where(lvalid, wnp.asarray(x)[wnp.where(lvalid, li, 0)], np.nan)
    expected = np.where(valid, x[np.where(valid, idx, 0)], np.nan)
    assert_same(weldish.evaluate(taken), expected)
    assert_same(weldish.evaluate(wnp.nansum(taken)), np.nansum(expected),
                scale=np.nansum(np.abs(expected)))
    assert_same(weldish.evaluate(wnp.max(wnp.asarray(x)[li * 2 // 3])), x[idx * 2 // 3].max())
    codes = RNG.integers(0, 7, 300)
    got = segment_reduce(wnp.asarray(x)[wnp.abs(li)] * 2, wnp.asarray(codes), 7, "sum")
    want = np.bincount(codes, x[np.abs(idx)] * 2, minlength=7)
    assert_same(weldish.evaluate(got), want, scale=np.abs(x).sum() * 300)


def test_gather_then_compaction():
    x = RNG.integers(-100, 100, 40)
    i = _idx(500, 40)
    m = i > 3
    assert_same(weldish.evaluate(wnp.asarray(x)[wnp.asarray(i)][m] * 3), x[i][m] * 3)


def test_multi_dimensional_source_keeps_numpys_take():
    x = RNG.standard_normal((5, 4))
    i = _idx(6, 4)
    assert_same(weldish.evaluate(wnp.take(wnp.asarray(x), wnp.asarray(i), axis=1) * 2),
                np.take(x, i, axis=1) * 2)
    rows = _idx(3, 5)
    assert_same(weldish.evaluate(wnp.asarray(x)[wnp.asarray(rows)]), x[rows])


@needs_llvm
def test_the_join_pattern_is_one_loop(backend):
    """where(valid, x[where(valid, idx, 0)], nan) feeding a sum: one loop reading x (whole)
    and idx; x stays an input."""
    x, idx = RNG.standard_normal(30), RNG.integers(-1, 30, 100)
    li = wnp.asarray(idx)
    valid = li >= 0
    out = wnp.nansum(wnp.where(valid, wnp.asarray(x)[wnp.where(valid, li, 0)], np.nan) * 2)
    (kernel,) = _kernels(out)
    assert any(n.op is Op.TAKE for n in kernel.body)
    assert len(kernel.gathered) == 1 and kernel.gathered[0].op is Op.INPUT
    assert kernel.gathered[0] not in kernel.streamed


@needs_llvm
def test_a_computed_source_of_the_loops_length_is_materialized_first(backend):
    """x computed by a loop of the same shape as the gather's: never fused into it (the
    gather reads any position of x), so two loops."""
    a, i = RNG.standard_normal(64), _idx(64, 64)
    x = wnp.asarray(a) * 2
    out = x[wnp.asarray(i)] + x
    kernels = _kernels(out)
    assert len(kernels) == 2
    assert kernels[0].outputs[0] in kernels[1].gathered
    assert kernels[0].outputs[0] in kernels[1].streamed   # read both ways
    assert_same(weldish.evaluate(out), (a * 2)[i] + a * 2)


@needs_llvm
@pytest.mark.parametrize("threads", [1, 2])
def test_threads(threads, monkeypatch):
    from weldish.backends.llvm import runtime
    monkeypatch.setattr(runtime, "PARALLEL_THRESHOLD", 1)
    x = RNG.standard_normal(1000)
    i = _idx(5000, 1000)
    with weldish.config(backend="llvm", num_threads=threads):
        assert_same(weldish.evaluate(wnp.sum(wnp.asarray(x)[wnp.asarray(i)])), x[i].sum(),
                    scale=np.abs(x[i]).sum())
        i[4000] = 1000   # in the second thread's half
        with pytest.raises(IndexError, match="^index 1000 is out of bounds for axis 0 "
                                             "with size 1000$"):
            weldish.evaluate(wnp.asarray(x)[wnp.asarray(i)] * 2)


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_cuda_kernels_on_the_host(backend):
    """The CUDA C of gathers compiled for the CPU (hostshim) and run by the cupy runtime:
    values, and NumPy's error for an index out of bounds."""
    if backend != "interp":
        pytest.skip("names its device itself: once is enough")
    from weldish.backends.cupy import CupyBackend
    from weldish.backends.cupy.hostshim import HostDevice, build
    x = RNG.standard_normal(40)
    i = _idx(300, 40)
    bad = i.copy()
    bad[[7, 200]] = [55, -41]
    cases = [lambda j: wnp.asarray(x)[wnp.asarray(j)] * 2,
             lambda j: wnp.sum(wnp.asarray(x)[wnp.asarray(j)]),
             lambda j: wnp.asarray(x)[wnp.asarray(j)][j > 0] + 1]

    def run(backend, thunk, j):
        return backend.run(optimize([thunk(j).node], COMPILED), {})[0]
    collecting = HostDevice()
    for thunk in cases:
        with quiet():
            run(CupyBackend(lambda: collecting), thunk, i)
    device = HostDevice(build(collecting.sources, tempfile.mkdtemp(prefix="weldish-gather-")))
    backend = CupyBackend(lambda: device)
    for thunk, want in zip(cases, [x[i] * 2, x[i].sum(), x[i][i > 0] + 1]):
        assert_same(run(backend, thunk, i), want, rtol=1e-12)   # (a sum in its order)
        with pytest.raises(IndexError, match="^index 55 is out of bounds for axis 0 with "
                                             "size 40$"):
            run(backend, thunk, bad)
    assert not backend.failed

"""The LLVM backend: fusion boundaries, determinism across threads, the compile cache,
and the interpreter fallback for a kernel that fails to compile."""
import warnings

import numpy
import pytest

import weldish
import weldish.numpy as wnp
from weldish import backends
from weldish.ir.passes import optimize
from weldish.testing import fresh_llvm

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
    out1, out2 = shared + 1, wnp.cumsum(shared)   # a scan of the flattened array
    plan = _plan(out1, out2)
    kernel, scan = plan.kernels()  # exp and +1 in one loop, writing both; then the scan
    reasons = {str(n.op): why for n, why in zip(kernel.outputs, kernel.why)}
    assert reasons == {"exp": "used by 1 node(s) outside this loop",
                       "add": "requested output"}
    assert scan.scan is not None and plan.reasons[scan.inputs[0]].startswith("a reshape")


def _check(lazies, expected):
    with weldish.config(backend="llvm"):
        got = weldish.evaluate(*lazies)
    for g, e in zip(got if isinstance(got, tuple) else (got,), expected):
        # vector math is within a few ulp; exp(a) - 1 near 0 turns that into more rtol
        numpy.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-14 * numpy.abs(e).max())


def test_horizontal_fusion_one_loop_for_outputs_sharing_work():
    a, b = RNG.uniform(1, 2, (3, 1000))[:2]
    la, lb = wnp.asarray(a), wnp.asarray(b)
    d = wnp.log(la / lb)                  # shared by both outputs
    call, put = wnp.exp(d) * 2.0, wnp.sqrt(d * d + 1.0) - lb
    plan = _plan(call, put)
    (kernel,) = plan.kernels()
    assert set(kernel.outputs) == {call.node, put.node} and len(kernel.inputs) == 2
    _check((call, put), (numpy.exp(numpy.log(a / b)) * 2.0,
                         numpy.sqrt(numpy.log(a / b) ** 2 + 1.0) - b))


def test_horizontal_fusion_with_a_reduction_writes_the_elementwise_value_too():
    a = RNG.standard_normal((64, 33))
    la = wnp.asarray(a)
    y = wnp.exp(la) - 1.0
    total = (y * 2.0).sum(axis=0)
    (kernel,) = _plan(y, total).kernels()
    assert kernel.reduce is total.node and kernel.outputs == (y.node, total.node)
    _check((y, total), (numpy.exp(a) - 1.0, ((numpy.exp(a) - 1.0) * 2.0).sum(axis=0)))


def test_no_horizontal_fusion_across_a_reduction_or_another_step():
    a = RNG.standard_normal(1000)
    la = wnp.asarray(a)
    s = (la * 2.0).sum()
    centered = la - s                     # reads the reduction: it needs the whole loop
    assert len(_plan(s, centered).kernels()) == 2
    _check((s, centered), ((a * 2.0).sum(), a - (a * 2.0).sum()))
    e = wnp.exp(la)
    c = wnp.cumsum(e)                     # a scan loop between the two loops
    out = c * 0.5 + e
    plan = _plan(out)
    assert not any(e.node in k.body and out.node in k.body for k in plan.kernels())
    _check((out,), (numpy.cumsum(numpy.exp(a)) * 0.5 + numpy.exp(a),))
    m = RNG.standard_normal((8, 9))
    lm = wnp.asarray(m)
    rows, cols = lm.sum(axis=1), (lm * 2.0).sum(axis=0)   # different axes: two loops
    assert len(_plan(rows, cols).kernels()) == 2
    _check((rows, cols), (m.sum(axis=1), (m * 2.0).sum(axis=0)))


@pytest.mark.parametrize("threads", [1, 2])
def test_reductions_over_the_same_axes_share_one_loop(threads, monkeypatch):
    from weldish.backends.llvm import runtime
    monkeypatch.setattr(runtime, "PARALLEL_THRESHOLD", 1)
    x = RNG.standard_normal((40, 33))
    lx = wnp.asarray(x)
    w = 1.0 / (lx * lx + 1.0)
    outs = [(lx * w).sum(axis=0), wnp.abs(lx).max(axis=0), (w > 0.5).any(axis=0),
            (lx * w).sum(), (w * w).sum()]
    plan = _plan(*outs)
    by_axes = sorted(len(k.reductions) for k in plan.kernels())
    assert by_axes == [2, 3]   # axis 0 (sum, max, any); all axes (two sums)
    expected = [(x / (x * x + 1.0)).sum(axis=0), numpy.abs(x).max(axis=0),
                (1.0 / (x * x + 1.0) > 0.5).any(axis=0), (x / (x * x + 1.0)).sum(),
                (1.0 / (x * x + 1.0) ** 2).sum()]
    with weldish.config(backend="llvm", num_threads=threads):
        got = weldish.evaluate(*outs)
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype and g.shape == e.shape
        numpy.testing.assert_allclose(g, e, rtol=1e-12)


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
        before = len(LLVM._functions)
        for n in (1, 7, 1000, 100_003):
            a = numpy.arange(n, dtype=float)
            got = float((wnp.asarray(a) * 3.0 - 1.0).sum())
            numpy.testing.assert_allclose(got, (a * 3.0 - 1.0).sum(), rtol=1e-12)
    assert len(LLVM._functions) == before


def test_kernel_that_fails_to_compile_runs_on_the_interpreter(monkeypatch, tmp_path):
    from weldish.backends.llvm import emit

    def broken(*args, **kwargs):
        raise RuntimeError("synthetic codegen failure")
    monkeypatch.setattr(emit, "emit", broken)
    fresh_llvm(tmp_path)  # cold: nothing compiled in memory or on disk
    x = RNG.standard_normal(100)
    try:
        with weldish.config(backend="llvm"), warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            got = numpy.asarray(wnp.sin(wnp.asarray(x)) * 2.0)
            text = weldish.explain(wnp.sin(wnp.asarray(x)) * 2.0, show=False)
        assert sum("did not compile" in str(m.message) for m in w) == 1
        numpy.testing.assert_array_equal(got, numpy.sin(x) * 2.0)
        assert "did not compile (RuntimeError: synthetic codegen failure)" in text
        with weldish.config(backend="llvm"), warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")  # the same program again: no retry, no warning
            again = numpy.asarray(wnp.sin(wnp.asarray(x)) * 2.0)
        assert not w
        numpy.testing.assert_array_equal(again, numpy.sin(x) * 2.0)
    finally:
        fresh_llvm()


@pytest.mark.parametrize("threads", [1, 2])
def test_concatenations_read_piecewise_instead_of_copied(threads, monkeypatch):
    from weldish.backends.llvm import runtime
    monkeypatch.setattr(runtime, "PARALLEL_THRESHOLD", 1)
    h = RNG.standard_normal((37, 50))
    w = RNG.standard_normal(50)
    lh, lw = wnp.asarray(h), wnp.asarray(w)
    cases = [
        (lambda xp, h, w: (xp.roll(h, 3, axis=1) - xp.roll(h, -1, axis=0)) * w,
         "two axes, a broadcast operand"),
        (lambda xp, h, w: xp.concatenate([h[:5], h[7:], h[:2] * 2.0]) + 1.0,
         "three parts of unequal size"),
        (lambda xp, h, w: (xp.roll(h, 1, axis=1) * h).sum(axis=0),
         "a reduction over the split axis' neighbour"),
        (lambda xp, h, w: (xp.roll(h, 5, axis=0) - h).sum(axis=0),
         "a reduction along the split axis"),
        (lambda xp, h, w: xp.exp(xp.roll(w, 2)) * w,
         "one dimension"),
    ]
    for f, what in cases:
        lazy = f(wnp, lh, lw)
        plan = _plan(lazy)
        assert any(k.pieces for k in plan.kernels()), what
        with weldish.config(backend="llvm", num_threads=threads):
            got = numpy.asarray(lazy)
        numpy.testing.assert_allclose(got, f(numpy, h, w), rtol=1e-12, atol=1e-12,
                                      err_msg=what)
    # a concatenation also used outside kernels is materialized as before
    both = wnp.concatenate([lh, lh])
    plan = _plan(both * 2.0, both)
    assert not any(k.pieces for k in plan.kernels())


@pytest.mark.parametrize("threads", [1, 2])
def test_argmin_argmax_compile_with_numpys_first_occurrence_and_nan_rules(threads,
                                                                          monkeypatch):
    from weldish.backends.llvm import runtime
    monkeypatch.setattr(runtime, "PARALLEL_THRESHOLD", 1)
    x = RNG.integers(-3, 3, (40, 21)).astype(float)   # many ties
    x[3, 5] = x[20, 0] = numpy.nan
    x[7, :] = numpy.nan
    ints = numpy.nan_to_num(x).astype(numpy.int16)
    arrays = [x, ints, ints > 1, x.T, x[::3, ::-2]]
    with weldish.config(backend="llvm", num_threads=threads):
        for a in arrays:
            for name in ("argmin", "argmax"):
                for axis, keepdims in ((None, False), (0, False), (1, True), (-1, False)):
                    lazy = getattr(wnp, name)(wnp.asarray(a) * 1, axis=axis,
                                              keepdims=keepdims)
                    (kernel,) = _plan(lazy).kernels()
                    assert kernel.reduce.op.name == name.upper()
                    want = getattr(numpy, name)(a * 1, axis=axis, keepdims=keepdims)
                    got = numpy.asarray(lazy)
                    assert got.dtype == want.dtype and got.shape == want.shape
                    numpy.testing.assert_array_equal(got, want, err_msg=f"{name} {axis}")


@pytest.mark.parametrize("threads", [1, 2])
def test_scans_compile_with_their_producers_bit_exact(threads, monkeypatch):
    """cumsum/cumprod are sequential in NumPy too: the compiled loop rounds the same."""
    from weldish.backends.llvm import runtime
    monkeypatch.setattr(runtime, "PARALLEL_THRESHOLD", 1)
    x = RNG.standard_normal((30, 17))
    x[3, 5] = numpy.nan
    ints = numpy.nan_to_num(x * 3).astype(numpy.int16)
    with weldish.config(backend="llvm", num_threads=threads):
        for a in (x, ints, ints > 0, x.T, x[::2, ::-3], x[:, :1], x[0]):
            for name in ("cumsum", "cumprod"):
                for axis in ((0,) if a.ndim == 1 else (0, 1, -1)) + (None,) * (a.ndim == 1):
                    for dtype in (None, "float64", "float32"):
                        lazy = getattr(wnp, name)(wnp.asarray(a) * 1, axis=axis, dtype=dtype)
                        (kernel,) = _plan(lazy).kernels()
                        assert kernel.scan.op.name == name.upper()
                        with numpy.errstate(all="ignore"):
                            want = getattr(numpy, name)(a * 1, axis=axis, dtype=dtype)
                        got = numpy.asarray(lazy)
                        assert got.dtype == want.dtype and got.shape == want.shape
                        numpy.testing.assert_array_equal(got, want, strict=True)
    for y in (x, x.T, x[:, ::2]):   # axis=None of a 2-D array: the scan of its reshape
        flat = wnp.cumsum(wnp.asarray(y))
        (kernel,) = _plan(flat).kernels()
        assert kernel.scan is not None and kernel.shape == (y.size,)
        with weldish.config(backend="llvm"):
            numpy.testing.assert_array_equal(numpy.asarray(flat), numpy.cumsum(y),
                                             strict=True)


def test_nanmin_nanmax_compile_and_warn_as_numpy_on_all_nan_slices():
    x = RNG.standard_normal((6, 5))
    x[1, 2] = numpy.nan
    x[:, 3] = numpy.nan                     # an all-NaN column
    for name in ("nanmin", "nanmax"):
        for axis, warns in ((None, False), (0, True), (1, False)):
            lazy = getattr(wnp, name)(wnp.asarray(x) * 1.0, axis=axis)
            assert _plan(lazy).kernels(), "compiled, not interpreted"
            with weldish.config(backend="llvm"), warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                got = numpy.asarray(lazy)
            messages = [str(m.message) for m in w if m.category is RuntimeWarning]
            assert messages == (["All-NaN slice encountered"] if warns else []), (name, axis)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                want = getattr(numpy, name)(x, axis=axis)
            numpy.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("threads", [1, 2])
def test_kernels_read_data_pointers_from_boxed_slots_too(threads, monkeypatch):
    """The kernels' entry reads each operand's data pointer from its array object; a NumPy
    that lays arrays out otherwise gets slots holding the pointers instead (same code)."""
    from weldish.backends.llvm import runtime
    monkeypatch.setattr(runtime, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(runtime, "_objects", runtime._objects_boxed)
    a = RNG.standard_normal((6, 50))
    b = RNG.standard_normal(50)[::-1]
    with weldish.config(backend="llvm", num_threads=threads):
        got = weldish.evaluate(wnp.exp(wnp.asarray(a[:, ::2]) * b[::2]).sum(axis=0),
                               wnp.asarray(a) - b)
    numpy.testing.assert_allclose(got[0], numpy.exp(a[:, ::2] * b[::2]).sum(axis=0),
                                  rtol=1e-13)
    numpy.testing.assert_array_equal(got[1], a - b)

"""The CuPy backend's CUDA C, checked with and without a GPU.

Without a GPU (CI): every kernel the op suite below produces is emitted by the backend's
own launch path (a collecting device records each source), all of them are compiled in
ONE ``nvcc --ptx`` run, and the same CUDA C is compiled for the CPU (``hostshim``: g++,
blocks run in turn, a block's threads as threads) and run through the backend's runtime,
values compared with NumPy. With CuPy and a GPU (``-m gpu``): the same suite, the
differential and random-DAG suites on ``backend="cupy"``.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from weldish.backends.cupy import CupyBackend, emit, nvrtc, runtime
from weldish.backends.cupy.hostshim import HostDevice, build
from weldish.backends.cupy.prelude import PRELUDE
from weldish.ir.ops import BINARY_UFUNCS, OPS, REDUCTIONS, SCANS, UNARY_UFUNCS
from weldish.ir.passes import COMPILED, optimize

import weldish
import weldish.numpy as wnp
from weldish import backends, workloads
from weldish.gpu import device_function, evaluate_on_device
from weldish.relational import segment_reduce
from weldish.testing import Raised, assert_same, outcome, quiet, sample

DTYPES = ("float64", "float32", "int64", "int8", "uint8", "bool")
SMALL_INT_UNARY = ("negative", "absolute", "square", "invert", "bitwise_count", "sign")
SMALL_INT_BINARY = ("add", "subtract", "multiply", "floor_divide", "remainder", "fmod",
                    "left_shift", "right_shift", "gcd", "lcm", "maximum", "less")
GPU = backends.BACKENDS["cupy"]


@pytest.fixture
def backend():
    """Overrides tests/backends/conftest.py's per-backend runs: each test here names
    its device itself."""
    yield "cupy"


# --- the op suite: (label, thunk making the lazy result, NumPy's value) -----------------
def _cases():
    """Every op with a CUDA lowering on small inputs of each dtype NumPy accepts, a few
    layouts (broadcast, strided, transposed, 0-d), reductions along axes, scans,
    compaction and a multi-output kernel."""
    cases = []

    def add(label, fn, *arrays):
        expected = outcome(fn, np, *arrays)
        if isinstance(expected, Raised) or not isinstance(expected, (np.ndarray, np.generic)):
            return
        cases.append((label, lambda: fn(wnp, *[wnp.asarray(a) for a in arrays]),
                      np.asarray(expected)))

    for dtype in DTYPES:
        a, b = sample(dtype, (9,), 1, special=True), sample(dtype, (9,), 2, special=True)
        # int8: C's integer promotion of narrow types, on the ops where it shows
        unary = SMALL_INT_UNARY if dtype == "int8" else UNARY_UFUNCS
        binary = SMALL_INT_BINARY if dtype == "int8" else BINARY_UFUNCS
        for name in unary:
            add(f"{name}[{dtype}]", lambda xp, x, n=name: getattr(xp, n)(x), a)
        for name in binary:
            if name != "ldexp":
                add(f"{name}[{dtype}]", lambda xp, x, y, n=name: getattr(xp, n)(x, y), a, b)
        add(f"where[{dtype}]", lambda xp, x, y: xp.where(x > y, x, y), a, b)
        add(f"clip[{dtype}]", lambda xp, x: xp.clip(x, x[1], x[4]), a)
        for to in ("float32", "int16", "bool"):
            if not (np.dtype(dtype).kind == "f" and np.dtype(to).kind in "iu"):
                add(f"astype[{dtype}->{to}]", lambda xp, x, t=to: x.astype(t), a)
    for e in ("int32", "int64"):
        add(f"ldexp[float64, {e}]", lambda xp, x, y: xp.ldexp(x, y),
            sample("float64", (9,), 1, special=True), sample(e, (9,), 2, special=True))
    add("int + weak scalar", lambda xp, x: x * 3 + 300, sample("int16", (9,), 3, True))
    add("float32 + weak float", lambda xp, x: xp.exp(x) * 2.5 + 10, sample("float32", (9,), 3))
    # layouts: broadcast, strided and transposed views, 0-d, empty
    m = sample("float64", (6, 8), 4)
    add("broadcast", lambda xp, x, y: xp.hypot(x, y), m[:3, :1], m[0, :4])
    add("strided", lambda xp, x: xp.sqrt(xp.abs(x)) * x, m[::2, 1::3])
    add("negative-step", lambda xp, x: x * 2, m[::-1, 5:1:-2])
    add("transposed", lambda xp, x, y: x + y, m[:4, :3].T, m[:3, 4:])
    add("0-d", lambda xp, x: xp.sin(x) + 1, np.float64(0.5))
    add("empty", lambda xp, x: xp.exp(x), np.zeros((0, 3)))
    # reductions: full, along each axis, keepdims; arg reductions with ties and NaNs
    for dtype in ("float64", "float32", "int64", "uint8", "bool"):
        x = sample(dtype, (5, 7), 5, special=True)
        kws = ({}, {"axis": 0}, {"axis": 1, "keepdims": True}) if dtype == "float64" else \
            ({"axis": 1},)
        for name in REDUCTIONS:
            for kw in kws:
                add(f"{name}[{dtype}]{kw}", lambda xp, v, n=name, k=kw: getattr(xp, n)(v, **k), x)
        for name in SCANS:
            for axis in (0, 1):
                add(f"{name}[{dtype}] axis={axis}",
                    lambda xp, v, n=name, ax=axis: getattr(xp, n)(v, axis=ax), x)
    big = sample("float64", (3, 300), 6)
    add("sum of 900 (several parts)", lambda xp, x: xp.sum(x * 2), big)
    add("argmax with ties", lambda xp, x: xp.argmax(x, axis=1), np.tile([1, 3, 3, 0], (3, 2)))
    add("sum over axes 0 and 2", lambda xp, x: xp.sum(x, axis=(0, 2)),
        sample("float32", (3, 4, 5), 7))
    add("cumsum 1-d", lambda xp, x: xp.cumprod(x + 1), sample("int32", (11,), 8))
    # compaction: values and arithmetic after the mask, rows of a matrix
    v = sample("float64", (6, 5), 9)
    add("compaction", lambda xp, x: xp.exp(x[x > 0]) * 2, v)
    add("compaction int", lambda xp, x: x[x % 3 == 0] + 1, sample("int64", (40,), 9))
    add("row selection", lambda xp, x: x[x[:, 0] > 0] * 3, v)
    for dtype in ("uint8", "bool"):
        add(f"compaction[{dtype}]", lambda xp, x, m: x[m], sample(dtype, (20,), 10),
            sample("bool", (20,), 11))
    # segment (groupby) reductions of a fused expression, rows with code -1 dropped
    vals, codes = sample("float64", (60,), 12, special=True), sample("int64", (60,), 13) % 5
    for how in ("sum", "min", "max", "prod", "mean", "count", "first"):
        thunk = (lambda h=how: segment_reduce(wnp.asarray(vals) * 2,
                                              wnp.asarray(codes) - 1, 4, h))
        with quiet():
            cases.append((f"segment_{how}", thunk, weldish.evaluate(thunk(), backend="interp")))
    for dtype, how in (("int64", "max"), ("bool", "max"), ("uint8", "min"),
                       ("uint8", "sum"), ("int64", "prod"), ("uint8", "max"),
                       ("uint8", "prod"), ("bool", "min")):
        thunk = (lambda d=dtype, h=how: segment_reduce(wnp.asarray(sample(d, (30,), 14)),
                                                       wnp.asarray(codes[:30]), 5, h))
        cases.append((f"segment_{how}[{dtype}]", thunk,
                      weldish.evaluate(thunk(), backend="interp")))
    # gathers (x[idx], x 1-D) at an index expression (negative ones wrap), then more
    i = sample("int32", (12,), 15)
    for dtype in ("float64", "int64", "uint8", "bool"):
        add(f"take[{dtype}]", lambda xp, x, j: x[j % 9 - 4], sample(dtype, (9,), 14), i)
    add("take, sum", lambda xp, x, j: xp.sum(x[j % 20] * 2), sample("float32", (20,), 16), i)
    add("take, compaction", lambda xp, x, j: x[j % 9][j > 0] + 1, sample("int64", (9,), 17), i)
    # multi-output: Black-Scholes' call and put share d1, d2 and the discount
    s, k = np.linspace(80, 120, 10), np.full(10, 100.0)
    add("black-scholes call", _black_scholes, s, k)
    return cases


def _black_scholes(xp, s, k, r=0.02, v=0.3, t=1.0):
    d1 = (xp.log(s / k) + (r + 0.5 * v * v) * t) / (v * xp.sqrt(t))
    d2 = d1 - v * np.sqrt(t)
    cdf1 = 0.5 * (1 + xp.tanh(0.8 * d1))   # a smooth stand-in for the normal cdf
    cdf2 = 0.5 * (1 + xp.tanh(0.8 * d2))
    disc = k * xp.exp(-r * t)
    call = s * cdf1 - disc * cdf2
    put = disc * (1 - cdf2) - s * (1 - cdf1)
    return call + put * 0.5


CASES = _cases()


def _run(backend, thunk):
    return backend.run(optimize([thunk().node], COMPILED), {})[0]


@pytest.fixture(scope="module")
def collected():
    """Every kernel's CUDA C, emitted through the backend's launch path (nothing runs)."""
    device = HostDevice()
    backend = CupyBackend(lambda: device)
    for label, thunk, _ in CASES:
        with quiet():
            _run(backend, thunk)
    with _registered(backend):
        device_function(_two_outputs)(*_TWO_OUTPUT_INPUTS)
    assert not backend.failed, backend.failed
    return device.sources


def _two_outputs(xp, price, strike, t, vol):
    """Black-Scholes' call and put: one loop writing two arrays."""
    return workloads.black_scholes(xp, price, strike, t, 0.02, vol)


_TWO_OUTPUT_INPUTS = [workloads.black_scholes_inputs(1000)[k]
                      for k in ("price", "strike", "t", "vol")]


@contextlib.contextmanager
def _registered(backend):
    """``backend`` as the registered "cupy" one inside the block."""
    old = backends.BACKENDS["cupy"]
    backends.BACKENDS["cupy"] = backend
    try:
        yield
    finally:
        backends.BACKENDS["cupy"] = old


def test_every_op_with_an_llvm_lowering_has_a_cuda_one_for_the_same_kinds():
    """Elementwise ops, reductions, scans, compaction and segment reductions."""
    for op, d in OPS.items():
        if d.llvm is not None and d.kind in ("elementwise", "reduce", "scan", "index",
                                             "segment"):
            assert d.cuda is not None, op
            assert set("".join(d.llvm)) <= set("".join(d.cuda)), op


# (op, loop kind) entries no kernel can reach: where's loop kind is its condition's
# (bool); positive and copy of a value are simplified away; NumPy squares bool in int8
UNREACHABLE = {"where:f", "where:i", "where:u", "positive:f", "positive:i", "positive:u",
               "copy:i", "copy:u", "square:b"}


def test_every_lowering_is_in_the_suite():
    """Each entry of the cuda column (op and dtype kind) is in some kernel of the suite,
    so the compile and value checks below cover every lowering."""
    backend = CupyBackend(lambda: None)
    seen = set()
    for label, thunk, _ in CASES:
        with quiet():
            plan = backend.plan(optimize([thunk().node], COMPILED))
        seen |= {f"{n.op}:{emit.kind(n)}" for k in plan.kernels() for n in k.body}
    entries = {f"{op}:{kind}" for op, d in OPS.items() if d.cuda is not None
               for kinds in d.cuda for kind in kinds}
    assert entries - seen == UNREACHABLE


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc is not installed")
def test_all_kernels_compile_with_nvcc_ptx(collected, tmp_path):
    source = tmp_path / "kernels.cu"
    source.write_text(PRELUDE + "\n".join(src for src, _ in collected.values()))
    # -Xcicc -O0: NVVM's optimizer skipped (11 s -> 2 s); parsing, checking and PTX
    # code generation of every kernel still run
    done = subprocess.run(["nvcc", "--ptx", "-arch=sm_80", *runtime.OPTIONS, "-w",
                           "-Xcicc", "-O0", str(source), "-o", str(tmp_path / "kernels.ptx")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    ptx = (tmp_path / "kernels.ptx").read_text()
    names = [c for _, fns in collected.values() for c, _ in fns]
    assert all(f".entry {n}(" in ptx for n in names)


def test_all_kernels_compile_with_nvrtc(collected):
    """NVRTC, as the backend runs it on a GPU (``CupyDevice.compile``): the prelude and
    every kernel of the suite in one program, with ``runtime.nvrtc_options``. NVRTC
    needs no device; the ``nvidia-cuda-nvrtc-cu12`` wheel (the ``test`` extra, Linux
    x86-64) brings the library. ``--Ofast-compile=max`` (NVRTC 12.8+) only lightens
    the optimizer (11 s -> 1.5 s): parsing, checking and code generation still run.
    No flush to zero in the PTX (libdevice's approximate steps aside, which scale
    subnormals themselves): float32 subnormals are NumPy's."""
    if nvrtc.load() is None:
        pytest.skip("libnvrtc not found (pip install nvidia-cuda-nvrtc-cu12)")
    source = PRELUDE + "\n".join(src for src, _ in collected.values())
    archs = nvrtc.supported_archs()
    options = runtime.nvrtc_options(80 if 80 in archs else archs[-1], "ptx")
    if nvrtc.version() >= (12, 8):
        options += ("--Ofast-compile=max",)
    ptx = nvrtc.compile_ptx(source, options)
    names = [c for _, fns in collected.values() for c, _ in fns]
    missing = [n for n in names if f".entry {n}(" not in ptx]
    assert not missing, missing
    flushed = {i for i in re.findall(r"\b[a-z0-9]+(?:\.[a-z0-9]+)*\.ftz\b", ptx)
               if ".approx" not in i}
    assert not flushed, flushed


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_kernel_values_on_the_host(collected, monkeypatch):
    """The emitted CUDA C compiled for the CPU, run through the backend's runtime: the
    values of every case equal NumPy's (within the compiled backends' ulps)."""
    library = build(collected, tempfile.mkdtemp(prefix="weldish-cuda-host-"))
    device = HostDevice(library)
    backend = CupyBackend(lambda: device)
    for label, thunk, expected in CASES:
        with quiet():
            got = _run(backend, thunk)
        assert_same(got, expected, context=label, scale=_scale(label, expected))
    # through weldish.evaluate(backend=...); results left on the "device"; inputs
    # bound in place, two outputs from one kernel
    with _registered(backend):
        label, thunk, expected = CASES[0]
        before = device.launches
        with quiet():
            assert_same(weldish.evaluate(thunk(), backend="cupy"), expected, context=label)
        assert device.launches > before
        for label, thunk, expected in CASES[:20]:
            with quiet():
                got = evaluate_on_device(thunk())
            assert_same(got, expected, context=f"{label} on the device")
        call, put = device_function(_two_outputs)(*_TWO_OUTPUT_INPUTS)
    exp_call, exp_put = _two_outputs(np, *_TWO_OUTPUT_INPUTS)
    assert_same(call, exp_call, scale=100.0)
    assert_same(put, exp_put, scale=100.0)
    assert not backend.failed, backend.failed
    assert device.launches >= len(collected)


def test_reductions_and_compaction_over_several_blocks_on_the_host():
    """Small parts and blocks: two-stage reductions, per-block compaction offsets."""
    x = sample("float64", (4, 50), 11)
    i = sample("int32", (4, 50), 12, special=True)
    cases = [("sum axis 1", lambda: wnp.sum(wnp.asarray(x), axis=1), x.sum(axis=1)),
             ("argmin", lambda: wnp.argmin(wnp.asarray(x)), np.argmin(x)),
             ("max axis 0", lambda: wnp.max(wnp.asarray(i), axis=0), i.max(axis=0)),
             ("compaction", lambda: wnp.asarray(x)[wnp.asarray(x) > 0.3], x[x > 0.3])]
    old = runtime.CHUNK
    runtime.CHUNK = 8
    try:
        device = HostDevice()
        collect = CupyBackend(lambda: device)
        for _, thunk, _ in cases:
            _run(collect, thunk)
        host = HostDevice(build(device.sources, tempfile.mkdtemp(prefix="weldish-cuda-")))
        backend = CupyBackend(lambda: host)
        for label, thunk, expected in cases:
            assert_same(_run(backend, thunk), expected, context=label,
                        scale=np.abs(x).sum(axis=1) if label == "sum axis 1" else None)
        assert not backend.failed
    finally:
        runtime.CHUNK = old


def _scale(label, expected):
    """A sum's rounding is relative to its terms' magnitudes (another order than
    NumPy's): the largest possible here."""
    if any(w in label for w in ("sum", "mean", "var", "std", "prod", "black", "segment")):
        return np.full(np.shape(expected), 1e3)
    return None


def test_missing_cupy_or_gpu_is_named():
    if GPU.available():
        pytest.skip("this machine has CuPy and a GPU")
    x = wnp.asarray(np.arange(3.0))
    with pytest.raises(RuntimeError, match="CuPy|GPU"):
        weldish.evaluate(x * 2, backend="cupy")
    with pytest.raises(RuntimeError, match="CuPy|GPU"):
        weldish.config(backend="cupy")
    assert backends.get("auto").name != "cupy"


# --- on a GPU ----------------------------------------------------------------------------
gpu = pytest.mark.skipif(not GPU.available(), reason=f"no GPU backend: {GPU.missing()}")


@pytest.mark.gpu
@gpu
def test_op_suite_on_the_gpu():
    for label, thunk, expected in CASES:
        with quiet():
            got = weldish.evaluate(thunk(), backend="cupy")
        assert_same(got, expected, context=label, scale=_scale(label, expected))
    assert not GPU.failed, GPU.failed
    assert backends.get("auto").name == "cupy"


@pytest.mark.gpu
@gpu
def test_device_arrays_in_and_out():
    import cupy

    from weldish.gpu import evaluate_on_device
    x = np.linspace(0, 1, 1000)
    y = evaluate_on_device(wnp.sin(wnp.asarray(x)) * 2)
    assert isinstance(y, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(y), np.sin(x) * 2, rtol=1e-14)


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("suite", ["test_ops_differential.py", "test_random_dags.py",
                                   "test_lowerings_extra.py", "test_lowerings_nan.py"])
def test_suites_on_the_gpu(suite):
    """The differential and random-DAG suites with the cupy backend (their backend
    fixture runs each test on every available backend: here cupy only)."""
    env = dict(os.environ, WELDISH_TEST_BACKENDS="cupy")
    done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                           str(Path(__file__).with_name(suite))], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode in (0, 5), done.stdout[-6000:]

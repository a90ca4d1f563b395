"""The cupy backend without a GPU, continued: parallel scans on the host shim (the CUDA C
run on the CPU, a block's threads as threads), device arrays as inputs, and the
host<->device transfers ``explain`` shows. (The op suite's kernels, the parallel scan
functions among them, compile with nvcc and NVRTC in ``test_cuda.py``.)"""
from __future__ import annotations

import contextlib
import re
import shutil
import tempfile

import numpy as np
import pytest
from weldish.backends.cupy import CupyBackend, runtime
from weldish.backends.cupy.hostshim import HostDevice, build
from weldish.ir.passes import COMPILED, optimize

import weldish
import weldish.numpy as wnp
from weldish import backends
from weldish.testing import assert_same, quiet, sample


@pytest.fixture
def backend():
    """Overrides tests/backends/conftest.py's per-backend runs: the device is named here."""
    yield "cupy"


def _run(backend, thunk):
    return backend.run(optimize([thunk().node], COMPILED), {})[0]


def _on_host_shim(cases, monkeypatch, chunk):
    """``cases`` (label, thunk, expected, scale) run through the backend's runtime on the
    host shim, scans cut in parts of ``chunk`` elements."""
    monkeypatch.setattr(runtime, "SCAN_CHUNK", chunk)
    device = HostDevice()
    collect = CupyBackend(lambda: device)
    for _, thunk, _, _ in cases:
        with quiet():
            _run(collect, thunk)
    host = HostDevice(build(device.sources, tempfile.mkdtemp(prefix="weldish-cuda-scan-")))
    backend = CupyBackend(lambda: host)
    for label, thunk, expected, scale in cases:
        with quiet():
            got = _run(backend, thunk)
        assert_same(got, expected, context=label, scale=scale)
    assert not backend.failed, backend.failed
    return host


def _scan_cases():
    cases = []

    def add(label, fn, x, scale=None):
        with quiet():
            expected = fn(np, x)
        cases.append((label, lambda: fn(wnp, wnp.asarray(x)), expected, scale))

    # lengths around the part size (16): empty, one, within a part, exactly parts, not
    for n in (0, 1, 5, 16, 17, 64, 101):
        f = sample("float64", (n,), 20 + n, special=False)
        add(f"cumsum[float64] n={n}", lambda xp, x: xp.cumsum(x), f,
            np.cumsum(np.abs(f)) if n else None)
        i = sample("int64", (n,), 30 + n, special=True)   # huge values: wraparound
        add(f"cumsum[int64] n={n}", lambda xp, x: xp.cumsum(x), i)
        add(f"cumprod[int64] n={n}", lambda xp, x: xp.cumprod(x | 1), i)
    n = 101
    add("cumsum[int8 -> int64]", lambda xp, x: xp.cumsum(x), sample("int8", (n,), 40, True))
    add("cumsum[uint8] fused", lambda xp, x: xp.cumsum(x * 3, dtype=np.uint8),
        sample("uint8", (n,), 41, True))
    add("cumsum[bool]", lambda xp, x: xp.cumsum(x), sample("bool", (n,), 42))
    f32 = sample("float32", (n,), 43)
    add("cumsum[float32] fused", lambda xp, x: xp.cumsum(x * 2 + 1), f32,
        np.cumsum(np.abs(f32 * 2 + 1)))
    p = 1 + sample("float64", (n,), 44) / 50
    add("cumprod[float64]", lambda xp, x: xp.cumprod(x), p, np.abs(np.cumprod(p)) * n)
    nan = sample("float64", (n,), 45)
    nan[::7], nan[30], nan[90] = np.nan, np.inf, -np.inf   # inf, then inf - inf: NaN
    add("nancumsum (NaN, inf)", lambda xp, x: xp.nancumsum(x), nan,
        np.nancumsum(np.abs(nan)))
    add("cumsum (NaN, inf)", lambda xp, x: xp.cumsum(x), nan)
    m = sample("float64", (3, 70), 46)
    add("cumsum axis=1 (3 long lines)", lambda xp, x: xp.cumsum(x, axis=1), m,
        np.cumsum(np.abs(m), axis=1))
    add("cumsum axis=0 of a transpose", lambda xp, x: xp.cumsum(x.T, axis=0), m,
        np.cumsum(np.abs(m.T), axis=0))
    return cases


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_parallel_scans_on_the_host(monkeypatch):
    """Scans of lines longer than a part: part totals, offsets, values (scan.py), each
    part a block of the shim's threads; lengths 0, 1, within a part, whole parts and
    not; integers exact (wraparound included), floats within their rounding."""
    host = _on_host_shim(_scan_cases(), monkeypatch, 16)
    assert host.launches


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_parallel_scan_default_parts_and_reproducible(monkeypatch):
    """Three parts of the default size (4096); the same values twice, and a float
    cumsum of positive numbers never decreasing (part and thread boundaries included)."""
    x = np.random.default_rng(5).random(3 * runtime.SCAN_CHUNK + 5)
    i = np.random.default_rng(6).integers(-2**62, 2**62, x.size)
    cases = [("cumsum of positives", lambda: wnp.cumsum(wnp.asarray(x)), np.cumsum(x), None),
             ("cumsum[int64]", lambda: wnp.cumsum(wnp.asarray(i)), np.cumsum(i), None)]
    monkeypatch.setattr(runtime, "SCAN_CHUNK", runtime.SCAN_CHUNK)
    device = HostDevice()
    collect = CupyBackend(lambda: device)
    for _, thunk, _, _ in cases:
        _run(collect, thunk)
    host = HostDevice(build(device.sources, tempfile.mkdtemp(prefix="weldish-cuda-scan-")))
    backend = CupyBackend(lambda: host)
    first = _run(backend, cases[0][1])
    # NumPy's sequential sum of 12k terms is off by up to ~n ulps itself
    assert_same(first, cases[0][2], rtol=1e-12)
    assert np.all(np.diff(first) >= 0)
    assert np.array_equal(_run(backend, cases[0][1]), first)
    assert_same(_run(backend, cases[1][1]), cases[1][2])
    assert host.launches >= 6   # totals, offsets, parts (twice)


# --- device arrays as inputs -------------------------------------------------------------
class FakeDeviceArray:
    """A stand-in for a CuPy array where CuPy is absent: ``__cuda_array_interface__``
    over host memory, ``.get()`` counted, and CuPy's refusal of implicit conversion."""

    gets = 0

    def __init__(self, host):
        self._host = host
        self.shape, self.dtype, self.strides = host.shape, host.dtype, host.strides
        self.ndim, self.itemsize, self.size = host.ndim, host.itemsize, host.size

    @property
    def __cuda_array_interface__(self):
        return {"shape": self.shape, "typestr": self.dtype.str, "strides": self.strides,
                "data": (self._host.__array_interface__["data"][0], False), "version": 3}

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def get(self):
        FakeDeviceArray.gets += 1
        return self._host.copy()


class FakeDevice(HostDevice):
    """The host shim, taking ``FakeDeviceArray`` as its device arrays (read in place)."""

    def is_device(self, x):
        return isinstance(x, (np.ndarray, FakeDeviceArray))

    def asarray(self, x):
        return x if isinstance(x, FakeDeviceArray) else np.asarray(x)

    def to_host(self, x):
        return x.get() if isinstance(x, FakeDeviceArray) else x

    def launch(self, fn, grid, block, args):
        super().launch(fn, grid, block,
                       [a._host if isinstance(a, FakeDeviceArray) else a for a in args])


@contextlib.contextmanager
def _as_cupy(backend):
    """``backend`` registered as "cupy" and configured, inside the block."""
    old = backends.BACKENDS["cupy"]
    backends.BACKENDS["cupy"] = backend
    try:
        with weldish.config(backend="cupy"):
            yield
    finally:
        backends.BACKENDS["cupy"] = old


def _device_cases(x, y):
    """(label, thunk, NumPy's value) reading the device arrays ``x`` and ``y``."""
    hx, hy = x._host, y._host
    h = np.arange(x.shape[0], dtype=np.float64)
    return [("asarray", lambda: wnp.asarray(x) * 2 + 1, hx * 2 + 1),
            ("lazy (op) device", lambda: wnp.sqrt(wnp.asarray(h) + y), np.sqrt(h + hy)),
            ("device (op) lazy, reduced", lambda: wnp.sum(y * wnp.asarray(h)), np.sum(hy * h)),
            ("asarray, dtype", lambda: wnp.asarray(x, dtype=np.float32) / 3,
             hx.astype(np.float32) / 3)]


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_device_arrays_as_inputs_read_in_place():
    """With the cupy backend, an object with ``__cuda_array_interface__`` is a lazy
    input that kernels read where it is: never copied to the host (no ``.get()``)."""
    x = FakeDeviceArray(np.linspace(-2, 2, 50))
    y = FakeDeviceArray(np.linspace(0, 5, 50))
    collect = FakeDevice()
    with _as_cupy(CupyBackend(lambda: collect)):
        for _, thunk, _ in _device_cases(x, y):
            weldish.evaluate(thunk())
    host = FakeDevice(build(collect.sources, tempfile.mkdtemp(prefix="weldish-cuda-dev-")))
    backend = CupyBackend(lambda: host)
    FakeDeviceArray.gets = 0
    with _as_cupy(backend):
        for label, thunk, expected in _device_cases(x, y):
            assert_same(weldish.evaluate(thunk()), expected, context=label,
                        scale=np.full(np.shape(expected), 1e3) if "reduced" in label else None)
    assert FakeDeviceArray.gets == 0
    assert host.launches >= 4
    assert not backend.failed, backend.failed


def test_device_arrays_with_a_host_backend_raise_type_error():
    """As ``np.asarray(cupy_array)``: no implicit device-to-host copy."""
    x = FakeDeviceArray(np.arange(4.0))
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(x)   # NumPy's behaviour, which weldish follows on a host backend
    with weldish.config(backend="interp"):
        with pytest.raises(TypeError, match=r"\.get\(\)"):
            wnp.asarray(x)
        with pytest.raises(TypeError, match=r"\.get\(\)"):
            wnp.asarray(np.arange(4.0)) + x
    assert_same(wnp.asarray(x.get()) * 2, np.arange(4.0) * 2)


@pytest.mark.gpu
@pytest.mark.skipif(not backends.BACKENDS["cupy"].available(),
                    reason=f"no GPU backend: {backends.BACKENDS['cupy'].missing()}")
def test_cupy_arrays_as_inputs_on_the_gpu():
    import cupy

    from weldish.gpu import evaluate_on_device
    x = cupy.linspace(0, 1, 1000)
    with weldish.config(backend="cupy"):
        lazy = wnp.sin(wnp.asarray(x)) * 2 + wnp.asarray(np.ones(1000))
        np.testing.assert_allclose(np.asarray(lazy), np.sin(x.get()) * 2 + 1, rtol=1e-14)
        on_device = evaluate_on_device(wnp.cumsum(wnp.asarray(x) + x))
        assert isinstance(on_device, cupy.ndarray)
        np.testing.assert_allclose(on_device.get(), np.cumsum(x.get() * 2), rtol=1e-12)
    host = "llvm" if "llvm" in backends.available() else "interp"
    with weldish.config(backend=host), pytest.raises(TypeError):
        wnp.asarray(x)


# --- explain: copies around steps run on the host ------------------------------------------
def _annotated():
    from weldish.annotate import ArraySplit

    @weldish.annotate(ArraySplit(), ArraySplit(), returns=ArraySplit())
    def black_box(a, b):
        return np.sqrt(np.abs(a)) + b
    return black_box


def test_explain_shows_copies_around_an_annotated_call():
    """An annotated call has no GPU version: on the cupy backend it runs on the host,
    its operand computed by a kernel copied down and its result copied up for the next
    kernel; ``explain`` says so with the bytes (from the plan: nothing runs)."""
    black_box = _annotated()
    x, h = np.linspace(-1, 1, 1000), np.ones(1000)
    device = HostDevice()
    with _as_cupy(CupyBackend(lambda: device)):
        y = black_box(wnp.asarray(x) * 2 + 1, h) * 3 - 1
        text = weldish.explain(y, show=False)
    assert device.launches == 0
    section = text.split("== host<->device copies around steps run on the host\n")[1]
    line = section.splitlines()[0]
    assert re.fullmatch(r"step \d+: %\d+ = call .*black_box.* on the host \(an annotated "
                        r"call\): device->host 8000 bytes \(%\d+\); host->device 8000 "
                        r"bytes \(%\d+ for kernel \d+\)", line), line
    with weldish.config(backend="interp"):
        assert "host<->device" not in weldish.explain(y, show=False)


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_annotated_call_between_kernels_on_the_host_shim():
    """The same graph evaluated (split stages, kernels on the host shim)."""
    black_box = _annotated()
    x, h = np.linspace(-1, 1, 1000), np.ones(1000)
    expected = (np.sqrt(np.abs(x * 2 + 1)) + h) * 3 - 1
    collect = FakeDevice()
    with _as_cupy(CupyBackend(lambda: collect)):
        weldish.evaluate(black_box(wnp.asarray(x) * 2 + 1, h) * 3 - 1)
    host = FakeDevice(build(collect.sources, tempfile.mkdtemp(prefix="weldish-cuda-call-")))
    backend = CupyBackend(lambda: host)
    with _as_cupy(backend):
        got = weldish.evaluate(black_box(wnp.asarray(x) * 2 + 1, h) * 3 - 1)
    assert_same(got, expected)
    assert host.launches >= 2 and not backend.failed


# --- CupyDevice.compile, with a stand-in for CuPy --------------------------------------------
def test_cupy_device_compiles_with_nvrtc_and_caches(monkeypatch, tmp_path):
    """CUBIN for the GPU's sm_XX by NVRTC (no -ftz=true: CuPy's RawModule(code=) would add
    it), stored in the cache directory and loaded with RawModule(path=); the second
    compile loads the file. Without a libnvrtc: RawModule(code=) with the options."""
    import types

    from weldish.backends.cupy import nvrtc
    if nvrtc.load() is None:
        pytest.skip("libnvrtc not found (pip install nvidia-cuda-nvrtc-cu12)")
    monkeypatch.setenv("WELDISH_CACHE_DIR", str(tmp_path))
    made = []

    class RawModule:
        def __init__(self, code=None, path=None, options=()):
            made.append((code, path, options))

        def get_function(self, name):
            return name

    device = runtime.CupyDevice.__new__(runtime.CupyDevice)
    device.cp = types.SimpleNamespace(RawModule=RawModule, cuda=types.SimpleNamespace(
        Device=lambda: types.SimpleNamespace(compute_capability="90")))
    source = 'extern "C" __global__ void k(float* x) { x[0] = wd_add(x[0], x[1]); }\n'
    assert device.compile(source, [("k", [])]) == {"k": "k"}
    path = made[0][1]
    assert path.startswith(str(tmp_path / "cuda")) and path.endswith(".cubin")
    with open(path, "rb") as f:
        assert f.read(4) == b"\x7fELF"
    stamp = (tmp_path / "cuda" / path.rsplit("/", 1)[1]).stat().st_mtime_ns
    device.compile(source, [("k", [])])
    assert made[1][1] == path and (tmp_path / "cuda" / path.rsplit("/", 1)[1]).stat() \
        .st_mtime_ns == stamp
    monkeypatch.setattr(nvrtc, "load", lambda: None)
    device.compile(source, [("k", [])])
    assert made[2][0].endswith(source) and made[2][2] == runtime.OPTIONS

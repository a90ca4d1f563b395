"""Vector math in the LLVM backend: libm calls widened to glibc's libmvec (vecmath).

The gate for ``vecmath.FUNCTIONS``: every op whose LLVM entry is a libm call, compiled in a
loop long enough to be vectorized (and at lengths and offsets that leave a scalar
remainder), agrees with NumPy within 4 ulp over the whole float range, with NaN, infinity
and zero-sign positions equal. A function that fails stays scalar (vecmath.SCALAR).
"""
import numpy
import pytest

import weldish
import weldish.numpy as wnp
from weldish import backends
from weldish.ir.ops import OPS
from weldish.ir.passes import optimize
from weldish.testing import assert_within_ulps, quiet

pytestmark = pytest.mark.skipif("llvm" not in backends.available(), reason="no llvmlite")
if "llvm" in backends.available():
    from weldish.backends.llvm import emit, lowering, vecmath

ULPS = 4


@pytest.fixture(autouse=True)
def backend():
    """Every test here is about the llvm backend: once, not once per backend (conftest)."""
    with weldish.config(backend="llvm"):
        yield "llvm"


FLOATS = (numpy.dtype("float64"), numpy.dtype("float32"))


def _libm_ops():
    """op name -> (C function, NumPy ufunc): the OPS table's ``libm:<fn>`` float entries."""
    if "llvm" not in backends.available():
        return {}
    found = {}
    for op, d in OPS.items():
        entry = lowering.entry(d.llvm, "f") if d.llvm else None
        if entry and entry.startswith("libm:"):
            found[str(op)] = (entry[5:], d.fn)
    return found


LIBM_OPS = _libm_ops()


def inputs(dtype, n=6000, seed=0):
    """Log-spaced magnitudes over the whole range of ``dtype`` (subnormals to the largest
    finite), both signs; uniform values at the scales where the functions change shape
    (around 0, +-1, the overflow thresholds, large trig arguments); special values."""
    dtype = numpy.dtype(dtype)
    fi = numpy.finfo(dtype)
    rng = numpy.random.default_rng(seed)
    emin, emax = (-1074, 1024) if dtype.itemsize == 8 else (-149, 128)
    magnitudes = numpy.exp2(rng.uniform(emin, emax, 2 * n))
    parts = [magnitudes * rng.choice([-1.0, 1.0], magnitudes.size)]
    for scale in (1.0, 4.0, 30.0, 120.0, 800.0, 1e5):
        parts.append(rng.uniform(-scale, scale, n))
    parts.append(1.0 + rng.uniform(-1e-3, 1e-3, n))     # log*, acosh near 1
    parts.append(-1.0 + rng.uniform(-1e-3, 1e-3, n))    # log1p, atanh near -1
    parts.append(numpy.pi / 2 * rng.integers(-1000, 1000, n))  # trig near zeros, poles
    with numpy.errstate(over="ignore"):
        values = numpy.concatenate(parts).astype(dtype)
    special = numpy.array(
        [numpy.nan, -numpy.nan, numpy.inf, -numpy.inf, 0.0, -0.0, 1.0, -1.0, 2.0, -2.0,
         0.5, -0.5, fi.max, -fi.max, fi.tiny, -fi.tiny, fi.smallest_subnormal,
         -fi.smallest_subnormal, 1 + fi.eps, 1 - fi.epsneg, -1 - fi.eps, -1 + fi.epsneg,
         numpy.pi, -numpy.pi, numpy.pi / 2, 709.78, 710.0, -745.2, 88.7, -103.9, 1e22,
         -1e22], dtype=dtype)
    values = numpy.concatenate([special, values, special])
    return values[:values.size - 1 + values.size % 2]  # odd: leaves a scalar remainder


def ulp_distance(actual, expected) -> numpy.ndarray:
    """Units in the last place between finite values of one float dtype (+0.0 and -0.0
    are 0 apart), as Python ints (opposite signs do not overflow)."""
    itype = numpy.int64 if actual.dtype.itemsize == 8 else numpy.int32
    mask = numpy.iinfo(itype).max

    def ordered(x):
        bits = x.view(itype).astype(numpy.int64)
        return numpy.where(bits < 0, -(bits & mask), bits).astype(object)

    return numpy.abs(ordered(actual) - ordered(expected))


def check(actual, expected, what):
    """NaN, infinity and zero-sign positions equal; finite values within ULPS; returns
    the largest ulp distance."""
    assert actual.dtype == expected.dtype, what
    assert_within_ulps(actual, expected, ULPS, f" [{what}]")  # NaN/inf positions, scale
    zeros = (actual == 0) & (expected == 0)
    assert numpy.array_equal(numpy.signbit(actual[zeros]), numpy.signbit(expected[zeros])), \
        f"sign of zero differs [{what}]"
    fin = numpy.isfinite(actual) & numpy.isfinite(expected)
    dist = ulp_distance(actual[fin], expected[fin])
    worst = int(dist.max()) if dist.size else 0
    if worst > ULPS:
        i = int(numpy.argmax(dist))
        pytest.fail(f"{worst} ulp > {ULPS} [{what}]: got {actual[fin][i]!r}, NumPy "
                    f"{expected[fin][i]!r}")
    return worst


def run_both(name, *args):
    np_fn, wl_fn = LIBM_OPS[name][1], getattr(wnp, name)
    with numpy.errstate(all="ignore"):
        expected = np_fn(*args)
    with weldish.config(backend="llvm"), quiet():
        actual = numpy.asarray(wl_fn(*[wnp.asarray(a) for a in args]))
    return actual, expected


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("name", sorted(LIBM_OPS))
def test_libm_op_within_4_ulp_of_numpy(name, dtype):
    x = inputs(dtype)
    arity = LIBM_OPS[name][1].nin
    rng = numpy.random.default_rng(1)
    worst = 0
    # odd lengths and shifted starts put other elements in the scalar remainder loop; a
    # strided view takes the loop over general strides
    for part in (slice(None), slice(1, None), slice(3, 3 + 10_007), slice(5, 8),
                 slice(None, None, 3)):
        args = (x, rng.permutation(x))[:arity]
        actual, expected = run_both(name, *(a[part] for a in args))
        worst = max(worst, check(actual, expected, f"{name} {dtype} [{part}]"))
    if arity == 2:  # every pair of special values, both ways round
        s = inputs(dtype)[:32]
        a, b = numpy.meshgrid(s, s)
        actual, expected = run_both(name, numpy.tile(a.ravel(), 40), numpy.tile(b.ravel(), 40))
        worst = max(worst, check(actual, expected, f"{name} {dtype} special pairs"))
    print(f"{name} {dtype}: max {worst} ulp"
          f" ({'vector' if vecmath.variants(_cname(name, dtype)) else 'scalar'})")


def _cname(name, dtype):
    return LIBM_OPS[name][0] + ("f" if numpy.dtype(dtype).itemsize == 4 else "")


# --- the vector variants are really called ----------------------------------------------
def _kernel_ir(lazy, reduce=False):
    (kernel,) = backends.BACKENDS["llvm"].plan(optimize([lazy.node])).kernels()
    nops = len(kernel.inputs) + (len(kernel.outputs) if hasattr(kernel, "outputs") else 1)
    classes = tuple(((emit.BROADCAST if reduce and k == nops - 1 else emit.UNIT),)
                    for k in range(nops))
    return emit.emit(kernel, "vecmath_probe", 1, classes, (reduce,))


def _assembly(ir_text):
    return backends.BACKENDS["llvm"].jit.assembly(ir_text)


def _needs(cname):
    found = vecmath.variants(cname)
    if not found:
        pytest.skip(f"no libmvec variant of {cname} here")
    return found


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_exp_times_y_calls_the_vector_exp(dtype):
    variants = _needs(_cname("exp", dtype))
    x, y = (wnp.asarray(numpy.ones(16, dtype)) for _ in range(2))
    ir_text = _kernel_ir(wnp.exp(x) * y)
    assert "vector-function-abi-variant" in ir_text
    asm = _assembly(ir_text)
    assert any(symbol in asm for _, symbol in variants), "exp(x) * y was not vectorized"


def test_sum_of_exp_times_b_calls_the_vector_exp():
    variants = _needs("exp")
    a, b = (wnp.asarray(numpy.ones(16)) for _ in range(2))
    asm = _assembly(_kernel_ir(wnp.sum(wnp.exp(a) * b), reduce=True))
    assert any(symbol in asm for _, symbol in variants)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("name", sorted(LIBM_OPS))
def test_every_advertised_variant_is_used(name, dtype):
    variants = _needs(_cname(name, dtype))
    args = [wnp.asarray(numpy.ones(16, dtype)) for _ in range(LIBM_OPS[name][1].nin)]
    asm = _assembly(_kernel_ir(getattr(wnp, name)(*args)))
    assert any(symbol in asm for _, symbol in variants), f"{name} on {dtype} stayed scalar"


# --- without libmvec: scalar libm, never a failure ---------------------------------------
def test_without_libmvec_kernels_call_scalar_libm(monkeypatch):
    monkeypatch.setattr(vecmath, "variants", lambda cname: ())
    x, y = (wnp.asarray(numpy.linspace(-3, 3, 1001)) for _ in range(2))
    ir_text = _kernel_ir(wnp.exp(x) * y)
    assert "_ZGV" not in ir_text and "vector-function-abi-variant" not in ir_text
    assert "_ZGV" not in _assembly(ir_text)


@pytest.mark.parametrize("system, machine", [("Darwin", "arm64"), ("Linux", "aarch64"),
                                             ("Windows", "AMD64")])
def test_load_answers_nothing_off_x86_64_linux(monkeypatch, system, machine):
    import platform
    monkeypatch.setattr(platform, "system", lambda: system)
    monkeypatch.setattr(platform, "machine", lambda: machine)
    assert vecmath.load.__wrapped__() == {}


def test_load_answers_nothing_without_the_library(monkeypatch):
    import ctypes
    import ctypes.util

    def missing(path):
        raise OSError(f"{path}: cannot open shared object file")

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(ctypes, "CDLL", missing)
    assert vecmath.load.__wrapped__() == {}


def test_load_advertises_only_exported_symbols(monkeypatch):
    if not vecmath.load():
        pytest.skip("no libmvec here")
    monkeypatch.setitem(vecmath.FUNCTIONS, "no_such_function", 1)
    found = vecmath.load.__wrapped__()
    assert "no_such_function" not in found and "no_such_functionf" not in found
    for cname, variants in found.items():
        for lanes, symbol in variants:
            assert symbol.endswith("_" + cname) and f"N{lanes}" in symbol

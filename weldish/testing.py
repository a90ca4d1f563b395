"""Helpers shared by weldish's tests: deterministic data, NumPy-vs-weldish comparison.

The tests run the same code with ``numpy`` and with ``weldish.numpy`` and compare with
``assert_same``: same dtype, same shape, same values, NaN equal to NaN and the sign of
zeros checked (``-0.0`` vs ``+0.0`` is an observable difference in NumPy: ``1 / x``,
``copysign``, ``signbit``).
"""
from __future__ import annotations

import contextlib
import warnings

import numpy as np

DTYPE_NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
               "uint64", "float32", "float64")
DTYPES = tuple(np.dtype(d) for d in DTYPE_NAMES)
INT_DTYPES = tuple(d for d in DTYPES if d.kind in "iu")
FLOAT_DTYPES = tuple(d for d in DTYPES if d.kind == "f")


def sample(dtype, shape=(), seed: int = 0, special: bool = False) -> np.ndarray:
    """A deterministic array of ``dtype`` and ``shape`` with values valid for the dtype.

    Integers are small and include zero (and negatives for signed types), so shifts,
    powers and gcd stay meaningful. Floats are in [-4, 4]: multiples of 0.25 (exact in
    every float type) mixed with uniform noise in [-1, 1]. ``special=True`` mixes in the edge values of the dtype: its min/max for
    integers; NaN, +-inf, -0.0, +0.0 and the largest/smallest normal for floats.
    """
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    n = int(np.prod(shape, dtype=np.int64))
    rng = np.random.default_rng([seed, DTYPES.index(dtype) if dtype in DTYPES else 99])
    if dtype.kind == "b":
        flat = rng.integers(0, 2, n).astype(bool)
        return flat.reshape(shape)
    if dtype.kind == "i":
        flat = rng.integers(-5, 6, n).astype(dtype)
        edges = [0, -1, 1, np.iinfo(dtype).min, np.iinfo(dtype).max]
    elif dtype.kind == "u":
        flat = rng.integers(0, 11, n).astype(dtype)
        edges = [0, 1, np.iinfo(dtype).max, np.iinfo(dtype).max - 1]
    elif dtype.kind == "f":
        flat = (rng.integers(-16, 17, n) / 4.0).astype(dtype)  # exact in every float type
        noise = rng.uniform(-1, 1, n).astype(dtype)
        flat = np.where(rng.integers(0, 3, n) == 0, noise, flat).astype(dtype)
        fi = np.finfo(dtype)
        edges = [np.nan, np.inf, -np.inf, -0.0, 0.0, fi.max, fi.tiny, -fi.max]
    else:
        raise TypeError(f"no sample data for dtype {dtype}")
    if special and n:
        # Spread the edge values over the array (deterministically), keep the rest.
        where = rng.permutation(n)[:min(n, len(edges))]
        for i, pos in enumerate(where):
            flat[pos] = dtype.type(edges[i % len(edges)])
    return flat.reshape(shape)


# --- comparison ---------------------------------------------------------------------------
def _as_ndarray(x) -> np.ndarray:
    from .lazy import LazyArray
    if isinstance(x, LazyArray):
        return x.__array__()
    return np.asarray(x)


def assert_same(actual, expected, *, rtol: float = 0.0, context: str = "",
                scale=None) -> None:
    """``actual`` (lazy or concrete) equals ``expected`` (NumPy's result) exactly.

    Checks the dtype (of the lazy array *before* evaluation, and of its value), the shape,
    the values (NaN == NaN) and, for floats, the sign of zeros. ``rtol > 0`` allows a
    relative difference for backends that are not bit-exact.
    """
    from .lazy import LazyArray
    msg = f" [{context}]" if context else ""
    exp = np.asarray(expected)
    if isinstance(actual, LazyArray):
        assert actual.dtype == exp.dtype, \
            f"traced dtype {actual.dtype} != NumPy's {exp.dtype}{msg}"
        assert actual.shape == exp.shape, \
            f"traced shape {actual.shape} != NumPy's {exp.shape}{msg}"
    with quiet():  # NumPy's side is computed without warnings too
        act = _as_ndarray(actual)
    assert type(act) is np.ndarray, f"evaluated to {type(act).__name__}{msg}"
    assert act.dtype == exp.dtype, f"value dtype {act.dtype} != NumPy's {exp.dtype}{msg}"
    assert act.shape == exp.shape, f"value shape {act.shape} != NumPy's {exp.shape}{msg}"
    if rtol and exp.dtype.kind == "f":
        np.testing.assert_allclose(act, exp, rtol=rtol, equal_nan=True, err_msg=msg)
        return
    if exp.dtype.kind == "f" and not backend_is_exact():
        assert_within_ulps(act, exp, ULPS, msg, scale)
    else:
        np.testing.assert_array_equal(act, exp, err_msg=msg, strict=True)
    if exp.dtype.kind == "f" and (backend_is_exact() or
                                  not any(op in context for op in ZERO_SIGN_PATH_DEPENDENT)):
        zeros = (exp == 0)
        bad = zeros & (np.signbit(act) != np.signbit(exp))
        assert not bad.any(), f"sign of zero differs at {np.argwhere(bad).tolist()}{msg}"


# Compiled backends call libm (or vector math) where NumPy may use its own SIMD code, and
# sum in another order: float results may differ from NumPy's by a few units in the last
# place. The interpreter runs NumPy's own functions: it must match bit for bit.
ULPS = 4
# Ops whose sign of a zero result on ties NumPy itself picks differently by code path
# (scalar vs SIMD loop, scalar vs array bounds): fmax(-0.0, 0.0) is -0.0 in one, +0.0 in
# another. A compiled backend follows one path; the sign of zero is not compared there.
# nanmin/nanmax are fmin/fmax reductions: on ties of -0.0 and +0.0 their order decides.
ZERO_SIGN_PATH_DEPENDENT = ("fmax", "fmin", "clip", "nanmin", "nanmax")


def backend_is_exact() -> bool:
    from .config import SETTINGS
    return SETTINGS.backend == "interp"


def assert_within_ulps(act, exp, ulps: int, msg: str = "", scale=None) -> None:
    """Same NaN/inf positions; finite values within ``ulps`` units in the last place of
    the larger of the value and ``scale`` (broadcast to the values: for a sum, the sum of
    its terms' magnitudes, since a sum of mixed signs computed in another order differs
    by rounding errors of that size)."""
    act, exp = np.asarray(act), np.asarray(exp)
    assert np.array_equal(np.isnan(act), np.isnan(exp)), f"NaN positions differ{msg}"
    inf = np.isinf(exp) | np.isinf(act)
    assert np.array_equal(act[inf], exp[inf]), f"infinities differ{msg}"
    fin = np.isfinite(exp) & np.isfinite(act)
    if not fin.any():
        return
    eps = np.finfo(exp.dtype).eps
    a64, e64 = act[fin].astype(np.float64), exp[fin].astype(np.float64)
    floor = np.finfo(exp.dtype).tiny if scale is None else \
        np.broadcast_to(np.asarray(scale, dtype=np.float64), exp.shape)[fin]
    scale = np.maximum(np.abs(e64), floor)
    bad = np.abs(a64 - e64) > ulps * eps * scale
    assert not bad.any(), (f"{int(bad.sum())} values differ by more than {ulps} ulp{msg}: "
                           f"got {a64[bad][:5]}, NumPy {e64[bad][:5]}")


# --- running the same call in NumPy and in weldish ----------------------------------------
@contextlib.contextmanager
def quiet():
    """No floating-point or runtime warnings (both sides compute the same things)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            yield


class Raised:
    """The outcome of a call that raised: its exception type (and the exception)."""

    def __init__(self, exc: BaseException):
        self.exc = exc
        self.type = type(exc)

    def __repr__(self):
        return f"Raised({self.type.__name__}: {self.exc})"


def outcome(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` or a ``Raised`` for its exception (warnings silenced)."""
    with quiet():
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - the exception type is what is compared
            return Raised(e)


@contextlib.contextmanager
def no_fallback(what: str = ""):
    """Fail if a weldish call inside the block ran eagerly in NumPy (a recorded fallback).

    A fallback gives NumPy's own answer, so a comparison with NumPy would test nothing.
    """
    from .fallback import LOG
    before = dict(LOG.counts)
    yield
    new = {k: v - before.get(k, 0) for k, v in LOG.counts.items() if v != before.get(k, 0)}
    assert not new, f"unexpected fallback(s) {new} {what}: " + \
        "; ".join(f"{k}: {LOG.reasons[k]}" for k in new)


def check_call(np_fn, wl_fn, np_args, wl_args, kwargs=None, *, context: str = "",
               require_lazy: bool = True, rtol: float = 0.0, scale=None):
    """Call ``np_fn(*np_args)`` and ``wl_fn(*wl_args)`` and compare their outcomes.

    - NumPy raises: weldish raises the same exception type, either at the call (errors
      that depend only on dtypes, shapes and arguments: checked by NumPy on all-zero
      operands of the same shapes) or, for errors that depend on the data, at evaluation.
    - NumPy returns: weldish returns a lazy array (no fallback when ``require_lazy``)
      whose traced dtype/shape and value equal NumPy's.
    Returns NumPy's outcome.
    """
    from .lazy import LazyArray
    kwargs = kwargs or {}
    expected = outcome(np_fn, *np_args, **kwargs)
    if isinstance(expected, Raised):
        with quiet():
            try:
                got = wl_fn(*wl_args, **kwargs)
            except Exception as e:  # noqa: BLE001
                assert isinstance(e, expected.type), \
                    f"weldish raised {type(e).__name__}: {e}; NumPy raised {expected}" \
                    f" [{context}]"
                return expected
            if _raises_on_zeros(np_fn, np_args, kwargs, expected.type):
                raise AssertionError(f"NumPy raised {expected} at the call; weldish did "
                                     f"not (it must, before evaluation) [{context}]")
            try:
                _as_ndarray(got)
            except Exception as e:  # noqa: BLE001
                assert isinstance(e, expected.type), \
                    f"weldish raised {type(e).__name__}: {e} at evaluation; NumPy raised " \
                    f"{expected} [{context}]"
                return expected
            raise AssertionError(f"NumPy raised {expected}; weldish gave a value "
                                 f"[{context}]")
    ctx = no_fallback(context) if require_lazy else contextlib.nullcontext()
    with ctx:
        with quiet():
            got = wl_fn(*wl_args, **kwargs)
    assert isinstance(got, LazyArray) or not require_lazy, \
        f"weldish returned {type(got).__name__}, not a lazy array [{context}]"
    with quiet():
        assert_same(got, expected, rtol=rtol, context=context, scale=scale)
    return expected


def _zeros_like(x):
    if isinstance(x, np.ndarray):
        return np.zeros(x.shape, dtype=x.dtype)
    return x


def _raises_on_zeros(np_fn, np_args, kwargs, exc_type) -> bool:
    """Whether the error does not depend on the data: NumPy raises it on all-zero arrays
    of the same dtypes and shapes too (a dtype, shape or argument error, which a lazy
    library must raise at the call; a data-dependent error may wait for evaluation)."""
    r = outcome(np_fn, *map(_zeros_like, np_args), **kwargs)
    return isinstance(r, Raised) and issubclass(r.type, exc_type)


__all__ = ["DTYPES", "DTYPE_NAMES", "FLOAT_DTYPES", "INT_DTYPES", "Raised", "assert_same",
           "check_call", "fresh_llvm", "no_fallback", "outcome", "quiet", "sample"]


def fresh_llvm(cache_dir=None):
    """Drop every compiled kernel and prepared program: the next evaluation on the llvm
    backend compiles again, or loads from ``cache_dir``'s disk cache (default: the
    configured one). Returns the backend's new ``Jit`` (its counters say what happened)."""
    from . import backends
    from .evaluate import clear_programs
    clear_programs()
    llvm = backends.BACKENDS["llvm"]
    llvm.reset(cache_dir)
    return llvm.jit


def backend_fixture():
    """An autouse pytest fixture running each test once per backend: the interpreter
    (NumPy itself, bit-exact) and each compiled backend (within the tolerances above).
    ``WELDISH_TEST_BACKENDS=interp,llvm`` narrows the list (default: all available)."""
    import os

    import pytest

    from . import backends, config
    asked = os.environ.get("WELDISH_TEST_BACKENDS")
    names = [b for b in backends.available() if not asked or b in asked.split(",")]

    @pytest.fixture(autouse=True, params=names)
    def backend(request):
        with config(backend=request.param):
            yield request.param
    return backend

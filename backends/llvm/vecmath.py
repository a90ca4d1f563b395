"""glibc's libmvec: vector variants of libm functions, for LLVM's loop vectorizer.

llvmlite has no SVML and its ``-vector-library`` option is not compiled in, so the mapping
clang's ``-fveclib=libmvec`` would install is written into the IR instead (``emit.Ctx.libm``):
the scalar declaration of ``exp`` carries the attribute
``"vector-function-abi-variant"="_ZGV_LLVM_N4v_exp(_ZGVdN4v_exp)"`` and the module declares
``<4 x double> @_ZGVdN4v_exp(<4 x double>)``; when the loop vectorizer widens a loop that
calls ``exp`` it calls the vector function on four lanes at once. The remainder iterations
keep the scalar call.

This module answers which variants exist here (the symbol is in the loaded libmvec and the
CPU runs its ISA) and loads libmvec into the process, where MCJIT resolves symbols. Without
libmvec (another libc, another architecture, a CPU without AVX2) it answers nothing and the
kernels call scalar libm as before. The op -> C function mapping stays in the OPS table;
this module only maps C function names to vector symbols.
"""
from __future__ import annotations

import ctypes
import functools
import platform

import llvmlite.binding as llvm

# libm function -> number of arguments: the functions of the OPS table whose libmvec variants
# agree with NumPy within 4 ulp over the whole range, special values included, for float64
# (``exp``) and float32 (``expf``) alike, except those in SCALAR. tests/backends/test_vecmath.py
# is the gate. Not in libmvec, so scalar: nextafter.
FUNCTIONS = {
    "exp": 1, "exp2": 1, "expm1": 1, "log": 1, "log2": 1, "log10": 1, "log1p": 1,
    "sin": 1, "cos": 1, "tan": 1, "asin": 1, "acos": 1, "atan": 1,
    "sinh": 1, "cosh": 1, "tanh": 1, "asinh": 1, "acosh": 1, "atanh": 1, "cbrt": 1,
    "atan2": 2, "hypot": 2, "pow": 2,
}
# C names kept scalar although libmvec has them, and why.
SCALAR = {
    # _ZGVdN8v_logf errs by up to 3.7 ulp and NumPy's own AVX2 float32 log by up to 2.8
    # the other way: they are up to 6 ulp apart. glibc's scalar logf (under 1 ulp) stays
    # within 4 ulp of NumPy.
    "logf",
}

# x86_64 vector function ABI: ISA letter, the CPU feature it needs (as LLVM names it), the
# register width in bits. 'b' (SSE, 2 doubles) and 'c' (AVX1) are left out: on a CPU with
# AVX2 the 'd' variants are the better choice, and below AVX2 scalar libm is kept.
ISAS = (("d", "avx2", 256), ("e", "avx512f", 512))
LIBRARY = "libmvec.so.1"


@functools.cache
def load() -> dict[str, tuple[tuple[int, str], ...]]:
    """Load libmvec into the process (once) and return the usable vector variants of each
    libm function, keyed by its C name (``"exp"``, ``"expf"``), as ``(lanes, symbol)``
    pairs. Empty where libmvec or a suitable CPU is absent; never raises."""
    if platform.system() != "Linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return {}
    try:
        features = llvm.get_host_cpu_features()
        isas = [(isa, bits) for isa, feature, bits in ISAS if features.get(feature)]
        path, lib = _open()
    except (OSError, RuntimeError):
        return {}
    found = {}
    for fn, arity in FUNCTIONS.items():
        for suffix, width in (("", 64), ("f", 32)):
            variants = []
            for isa, bits in isas:
                lanes = bits // width
                symbol = f"_ZGV{isa}N{lanes}{'v' * arity}_{fn}{suffix}"
                if _exports(lib, symbol):
                    variants.append((lanes, symbol))
            if variants and fn + suffix not in SCALAR:
                found[fn + suffix] = tuple(variants)
    if found:
        try:
            llvm.load_library_permanently(path)
        except RuntimeError:
            return {}
    return found


def _open():
    """(path, handle) of libmvec: glibc's soname first; ``find_library`` runs a subprocess
    (tens of ms on a new process' first call), so it is only the second try."""
    try:
        return LIBRARY, ctypes.CDLL(LIBRARY)
    except OSError:
        from ctypes import util  # its import and find_library cost ms: only when needed
        path = util.find_library("mvec")
        if path is None:
            raise
        return path, ctypes.CDLL(path)


def variants(cname: str) -> tuple[tuple[int, str], ...]:
    """The ``(lanes, symbol)`` vector variants of libm function ``cname`` (may be empty)."""
    return load().get(cname, ())


def _exports(lib, symbol: str) -> bool:
    try:
        lib[symbol]
    except AttributeError:
        return False
    return True

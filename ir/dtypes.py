"""Data types of the IR: NumPy dtypes plus weak Python scalars (NEP 50).

A value in the graph has a concrete ``numpy.dtype``. A constant written as a plain Python
scalar is *weak*: it takes the other operand's type (``float32_array * 2.0`` stays float32),
exactly as NumPy 2 does. Result types are never re-derived by hand: ``probe`` runs the
defining NumPy function on tiny stand-in arrays, so promotion, weak-scalar overflow errors
and unsupported-type errors are NumPy's own.
"""
from __future__ import annotations

import warnings

import numpy as np

# Real dtypes the IR computes natively; anything else (complex, datetime, object, strings)
# falls back to NumPy.
SUPPORTED = tuple(np.dtype(t) for t in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64"))
SUPPORTED_SET = frozenset(SUPPORTED)

WEAK_TYPES = (bool, int, float)


def is_supported(dtype) -> bool:
    return np.dtype(dtype) in SUPPORTED_SET


def is_weak_scalar(x) -> bool:
    """A plain Python bool/int/float (not a NumPy scalar): weak under NEP 50."""
    return type(x) in WEAK_TYPES


_DEFAULT = {bool: np.dtype(bool), int: np.dtype(np.int64), float: np.dtype(np.float64)}


def default_dtype(x) -> np.dtype:
    """The dtype of a weak Python scalar standing alone (what ``np.asarray`` gives it).

    A Python int beyond int64 is still nominally int64 here: as in NumPy, an operation
    decides from the value itself (OverflowError with an integer array).
    """
    return _DEFAULT[type(x)]


def kind(dtype) -> str:
    """'b' bool, 'i' signed, 'u' unsigned, 'f' float."""
    return np.dtype(dtype).kind


def stand_in(dtype, shape):
    """A read-only array of ``shape`` that owns one element (all strides 0).

    Views of it (slicing, transpose, reshape) are O(1) and give NumPy's exact result shape
    and errors without allocating the real data.
    """
    return np.broadcast_to(np.zeros((), dtype=dtype), shape)


def miniature(dtype, shape):
    """A tiny array with the same ndim: each non-zero dim shrunk to 1.

    Running a NumPy function on miniatures gives its result dtype and its dtype/axis/empty
    errors at the cost of a one-element call.
    """
    return np.zeros(tuple(min(d, 1) for d in shape), dtype=dtype)


def quiet():
    """Context for probes: their arithmetic on zeros must not warn (the real run will)."""
    return _Quiet()


class _Quiet:
    def __enter__(self):
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore")
        self._e = np.errstate(all="ignore")
        self._e.__enter__()

    def __exit__(self, *exc):
        self._e.__exit__(*exc)
        self._w.__exit__(*exc)
        return False

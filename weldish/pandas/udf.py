"""``Series.apply`` / ``Series.map`` with a Python function.

A scalar function of a float64 column is compiled with Numba (a loop over the column) when
Numba types it as returning float64 or bool. Python and Numba differ where Python raises
(``math.log(0)``, ``1 / 0.0``) or integers overflow, so integer columns stay in pandas, and
a compiled result with a non-finite value where the input was finite is discarded for
pandas' own call (its value or its exception): never silently wrong.
"""
from __future__ import annotations

import time
import types

import numpy as np

from ..lazy import Unsupported
from ._common import call_pandas, record_lazy

_COMPILED: dict = {}  # (code, closure values) -> compiled loop, or None when it did not type


def _loop(func):
    import numba
    jf = numba.njit(func)
    sig = jf.compile((numba.float64,))  # raises when Numba cannot type it
    ret = jf.overloads[sig.args].signature.return_type if hasattr(sig, "args") else \
        jf.nopython_signatures[0].return_type
    if ret not in (numba.float64, numba.boolean):
        raise Unsupported(f"returns {ret}")
    out_dtype = np.float64 if ret == numba.float64 else np.bool_

    @numba.njit(nogil=True)
    def run(x):
        out = np.empty(x.shape[0], out_dtype)
        for i in range(x.shape[0]):
            out[i] = jf(x[i])
        return out
    return run


def _compiled(func):
    if not isinstance(func, types.FunctionType):
        raise Unsupported("not a Python function")
    try:
        key = (func.__code__, tuple(c.cell_contents for c in func.__closure__ or ()),
               tuple(func.__defaults__ or ()))
        hash(key)
    except (TypeError, ValueError):
        raise Unsupported("closure not hashable") from None
    if key not in _COMPILED:
        try:
            _COMPILED[key] = _loop(func)
        except Unsupported:
            _COMPILED[key] = None
        except Exception:  # noqa: BLE001 - Numba could not type it: pandas runs it
            _COMPILED[key] = None
    if _COMPILED[key] is None:
        raise Unsupported("Numba could not compile it to a float64/bool function")
    return _COMPILED[key]


def apply_series(s, func, args, kwargs, name, by_row="compat"):
    from .series import Series
    t0 = time.perf_counter()
    try:
        if args or kwargs or by_row != "compat":
            raise Unsupported("arguments")
        if s._lazy is None or s.dtype != np.float64:
            raise Unsupported("not a float64 column")
        run = _compiled(func)
        x = np.asarray(s._lazy)
        with np.errstate(all="ignore"):
            out = run(x)
        if out.dtype.kind == "f" and not (np.isfinite(out) | ~np.isfinite(x)).all():
            raise Unsupported("non-finite result from a finite input (Python may raise)")
        record_lazy(f"pandas.Series.{name}[numba]", t0)
        return Series._from_pandas(__import__("pandas").Series(out, index=s.index,
                                                                name=s.name))
    except Unsupported as e:
        reason = str(e)
    except Exception as e:  # noqa: BLE001 - the compiled call raised: pandas' own error
        reason = f"compiled call raised {type(e).__name__}"
    return call_pandas(lambda p, *a, **k: getattr(p, name)(*a, **k), (s, func, *args),
                       kwargs, f"pandas.Series.{name}", reason)

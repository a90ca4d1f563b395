"""Eager fallback to the real library, recorded so ``weldish.explain()`` can show it.

A fallback evaluates every lazy argument (together, in one pass), calls the real function,
and wraps array results back into lazy arrays (as graph inputs whose source names the
function). It is also how errors reach the user: when the lazy path cannot build a node,
the real function runs, so the user gets NumPy's own result or NumPy's own exception.
"""
from __future__ import annotations

import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .ir.callsite import user_frame, warn_at_user
from .lifecycle.hooks import SUBSCRIBERS as _HOOKS, emit


@dataclass
class FallbackLog:
    counts: Counter = field(default_factory=Counter)
    reasons: dict = field(default_factory=dict)
    seconds: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str, reason: str, seconds: float = 0.0):
        with self.lock:
            self.counts[name] += 1
            self.seconds[name] += seconds
            self.reasons.setdefault(name, reason)
        if _HOOKS:
            emit("fallback", function=name, reason=reason, seconds=seconds)

    def clear(self):
        with self.lock:
            self.counts.clear()
            self.reasons.clear()
            self.seconds.clear()

    def report(self) -> str:
        if not self.counts:
            return "no fallbacks"
        lines = [f"{'function':<32} {'calls':>6} {'seconds':>9}  reason"]
        for name, n in self.counts.most_common():
            lines.append(f"{name:<32} {n:>6} {self.seconds[name]:>9.4f}  {self.reasons[name]}")
        return "\n".join(lines)


LOG = FallbackLog()


def _collect(obj, out):
    from .lazy import LazyArray
    if isinstance(obj, LazyArray):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _collect(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _collect(o, out)


def _replace(obj, values):
    from .lazy import LazyArray
    if isinstance(obj, LazyArray):
        return values[id(obj)]
    if isinstance(obj, list):
        return [_replace(o, values) for o in obj]
    if isinstance(obj, tuple) and type(obj) is tuple:
        return tuple(_replace(o, values) for o in obj)
    if isinstance(obj, dict):
        return {k: _replace(v, values) for k, v in obj.items()}
    return obj


def concrete(args, kwargs=None):
    """``args``/``kwargs`` with every lazy array replaced by its NumPy value."""
    from .evaluate import evaluate_many
    lazies: list = []
    _collect(args, lazies)
    _collect(kwargs or {}, lazies)
    arrays = evaluate_many(lazies)
    values = {id(l): a for l, a in zip(lazies, arrays)}
    return _replace(args, values), _replace(kwargs or {}, values)


def wrap_result(result, name: str):
    """ndarrays of numeric dtype become lazy inputs; everything else passes through."""
    from .lazy import LazyArray, wrap_array
    if isinstance(result, np.ndarray) and type(result) is np.ndarray and \
            result.dtype.kind in "biufc":
        return wrap_array(result, source=f"fallback:{name}")
    if isinstance(result, tuple) and hasattr(result, "_fields"):  # namedtuple results
        return type(result)(*(wrap_result(r, name) for r in result))
    if type(result) in (tuple, list):
        return type(result)(wrap_result(r, name) for r in result)
    if isinstance(result, LazyArray):
        return result
    return result


def call(fn, args, kwargs, name: str | None = None, reason: str = "not lazy in weldish"):
    """Run ``fn`` eagerly on concrete arguments and wrap the result (recorded)."""
    name = name or _qualname(fn)
    t0 = time.perf_counter()
    cargs, ckwargs = concrete(args, kwargs)
    result = as_caller(fn, *cargs, **ckwargs)
    LOG.record(name, reason, time.perf_counter() - t0)
    return wrap_result(result, name)


def _qualname(fn) -> str:
    mod = getattr(fn, "__module__", None) or "numpy"
    mod = "numpy" if mod.startswith("numpy") and not mod.startswith(("numpy.linalg",
          "numpy.fft", "numpy.random")) else mod
    return f"{mod}.{getattr(fn, '__name__', repr(fn))}"



def as_caller(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with the warnings it raises issued again at the user's line
    (the first frame outside weldish, NumPy and pandas), where the library would have
    pointed them without weldish in between, so Python's filters treat them as they would
    have (a DeprecationWarning is shown for ``__main__`` code, once per line...). Off the
    main thread (``catch_warnings`` is process-wide) warnings pass as raised."""
    if threading.current_thread() is not threading.main_thread():
        return fn(*args, **kwargs)
    caught = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            return fn(*args, **kwargs)
    finally:
        if caught:
            _issue_at_caller(caught)


def _issue_at_caller(caught):
    frame = user_frame()
    for w in caught:
        warn_at_user(w.message, w.category, frame, (w.filename, w.lineno))

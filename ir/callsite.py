"""The user's line: where a warning raised inside weldish (or NumPy, pandas under it)
would have pointed without weldish in between.

Shared by the fallbacks (NumPy's or pandas' own warnings, issued again) and the backends
(warnings of NumPy's that a compiled kernel reports itself), so Python's filters treat
them as they would have: a DeprecationWarning is shown for ``__main__`` code, a warning
once per line, ``filterwarnings(module=...)`` matches the user's module.
"""
from __future__ import annotations

import os
import sys
import warnings


def _library_roots() -> tuple:
    return tuple(os.path.dirname(m.__file__) + os.sep
                 for m in map(sys.modules.get, ("weldish", "weldish.ir", "weldish.backends",
                                                "ir", "backends", "numpy", "pandas"))
                 if m is not None and getattr(m, "__file__", None))


def user_frame():
    """The innermost frame outside weldish, NumPy and pandas (None if there is none)."""
    roots = _library_roots()
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(roots):
        frame = frame.f_back
    return frame


def warn_at_user(message, category=RuntimeWarning, frame=None, where=None):
    """Issue a warning at ``frame`` (default: ``user_frame()``); ``where``: the
    (filename, lineno) to use when there is no such frame."""
    frame = user_frame() if frame is None else frame
    if frame is None:
        filename, lineno = where or ("<weldish>", 0)
        warnings.warn_explicit(message, category, filename, lineno)
        return
    g = frame.f_globals
    args = (message, category, frame.f_code.co_filename, frame.f_lineno)
    kwargs = {"module": g.get("__name__"), "registry": g.setdefault("__warningregistry__", {})}
    try:
        warnings.warn_explicit(*args, **kwargs, module_globals=g)
    except ImportError:   # a loader that cannot give the source (``python -`` reads stdin)
        warnings.warn_explicit(*args, **kwargs)

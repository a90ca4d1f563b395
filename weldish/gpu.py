"""GPU entry points on top of the cupy backend (orchestration: the backend itself never
imports the frontends or ``weldish.evaluate``).

``evaluate_on_device(*lazy)`` returns CuPy arrays instead of NumPy ones;
``device_function(fn)`` runs ``fn(xp, *args)`` on CuPy arrays without copying them.
Both need CuPy and a GPU (``weldish.backends.get("cupy")`` says what is missing).

Device arrays as operands (``device_input``; ``weldish.numpy.asarray(x)`` and any
operation mixing a lazy array with ``x``): an object with ``__cuda_array_interface__``
(a CuPy array; others, e.g. Numba's or PyTorch's, viewed as one by ``cupy.asarray``,
no copy) becomes a lazy input when the configured backend is cupy: kernels read it in
place, nothing is copied to the host. With any other backend it is a ``TypeError``, as
``np.asarray(cupy_array)`` is (CuPy refuses implicit device-to-host copies): copy it
with ``.get()`` (``cupy.asnumpy``), or ``weldish.config(backend="cupy")``. A graph
holding a device input evaluated later with a host backend gets CuPy's own TypeError.
"""
from __future__ import annotations

import numpy as np

from . import backends
from . import numpy as wnp
from .evaluate import program_for


def evaluate_on_device(*arrays):
    """Lazy arrays' values as CuPy arrays, computed on the GPU (the lazy arrays are not
    rebound: the next evaluation computes them again)."""
    backend = _gpu()
    prepared, inputs = program_for([a.node for a in arrays], "cupy")
    memo = dict(zip(prepared.placeholders, [n.arg[0][1].data for n in inputs]))
    values = backend.execute(prepared.program, memo, on_device=True)
    return values[0] if len(values) == 1 else tuple(values)


def device_function(fn):
    """``fn(xp, *args)`` (written against a NumPy-like module) as a function of CuPy
    arrays: traced with ``weldish.numpy`` once per argument signature (on host
    stand-ins that are never filled), then run on the GPU with the CuPy arrays bound as
    its inputs, no copy; returns CuPy arrays (a tuple if ``fn`` returns several)."""
    programs: dict = {}

    def call(*args):
        backend = _gpu()
        key = tuple((a.shape, a.dtype.str) if backend.device.is_device(a) else ("s", a)
                    for a in args)
        found = programs.get(key)
        if found is None:
            found = programs[key] = _trace(fn, args, backend)
        prepared, positions, several = found
        memo = dict(zip(prepared.placeholders, [args[k] for k in positions]))
        values = backend.execute(prepared.program, memo, on_device=True)
        return tuple(values) if several else values[0]
    return call


def _trace(fn, args, backend):
    stand_ins = [np.empty(a.shape, a.dtype) if backend.device.is_device(a) else a
                 for a in args]
    lazies = [wnp.asarray(s) if isinstance(s, np.ndarray) else s for s in stand_ins]
    out = fn(wnp, *lazies)
    several = isinstance(out, tuple)
    prepared, inputs = program_for([o.node for o in (out if several else (out,))], "cupy")
    positions = [next(k for k, s in enumerate(stand_ins) if n.arg[0][1].data is s)
                 for n in inputs]
    return prepared, positions, several


def device_input(x):
    """The input node of a device array ``x`` (see the module's docstring)."""
    from .config import SETTINGS
    from .ir import build
    from .lazy import Unsupported
    backend = backends.get(SETTINGS.backend)
    if backend.name != "cupy":
        raise TypeError(
            f"{type(x).__name__} is a device array (__cuda_array_interface__) and the "
            f"backend is {backend.name!r}: NumPy does not copy it to the host implicitly "
            "(np.asarray(cupy_array) raises TypeError). Copy it with .get() "
            "(cupy.asnumpy), or use weldish.config(backend='cupy')")
    x = backend.device.asarray(x)   # a CuPy array (no copy: a view of the same memory)
    if np.dtype(x.dtype).kind not in "biufc":
        raise Unsupported(f"dtype {x.dtype}")
    return build.input(x)


def _gpu():
    return backends.get("cupy")


__all__ = ["device_function", "device_input", "evaluate_on_device"]

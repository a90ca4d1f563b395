"""The engines the runner compares, all in one process.

An engine is a name and ``make(workload, inputs)``, which returns a zero-argument callable
computing the workload (a tuple of results), or raises ``NotApplicable`` with the reason.
``numpy`` is the baseline; ``numexpr`` and ``jax`` are optional; ``weldish[b]`` exists for
every backend in ``weldish.backends.available()``, so a new backend is picked up here.
"""
from __future__ import annotations

import numpy

import weldish
import weldish.backends
import weldish.numpy as wnp
from weldish import workloads


class NotApplicable(Exception):
    """This engine has no version of this workload (the message says why)."""


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def make_numpy(name, inputs):
    return lambda: workloads.run(name, numpy, inputs)


def _peer(name, engine):
    from .peers import PEERS
    mod = PEERS.get(name)
    if mod is None or not hasattr(mod, f"with_{engine}"):
        raise NotApplicable(getattr(mod, f"{engine.upper()}_NA", "no hand-written version"))
    return mod


def make_numexpr(name, inputs):
    import numexpr
    from .peers import params_of
    fn, params = _peer(name, "numexpr").with_numexpr, params_of(name, inputs)
    return lambda: _as_tuple(fn(numexpr, **params))


def make_numba(name, inputs):
    from .peers import params_of
    fn, params = _peer(name, "numba").with_numba, params_of(name, inputs)
    return lambda: _as_tuple(fn(**params))


def make_jax(name, inputs):
    """``jax.jit`` of the workload written against ``jax.numpy`` (x64; arrays put on the
    device once, outside the timed call; the other inputs are compile-time constants)."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    fn = workloads.WORKLOADS[name][0]
    names = [k for k, v in inputs.items() if isinstance(v, numpy.ndarray)]
    consts = {k: v for k, v in inputs.items() if k not in names}
    jitted = jax.jit(lambda *arrays: fn(jnp, **dict(zip(names, arrays)), **consts))
    arrays = [jax.device_put(inputs[k]) for k in names]

    def call():
        return _as_tuple(jax.block_until_ready(jitted(*arrays)))
    return call


def make_weldish(name, inputs, backend=None):
    """The lazy path a user gets: trace with ``weldish.numpy``, then ``weldish.evaluate``."""
    def call():
        return _as_tuple(weldish.evaluate(*workloads.run(name, wnp, inputs)))
    if backend is None:
        return call

    def call_on_backend():
        with weldish.config(backend=backend):
            return call()
    return call_on_backend


def _importable(module):
    try:
        __import__(module)
    except Exception as e:  # ImportError, or a broken install failing differently
        return f"not importable ({type(e).__name__}: {e})".splitlines()[0][:100]
    return None


def engines() -> dict:
    """Every known engine in table order: name -> (make, reason it is unavailable or None)."""
    out = {
        "numpy": (make_numpy, None),
        "numexpr": (make_numexpr, _importable("numexpr")),
        "numba": (make_numba, _importable("numba")),
        "jax": (make_jax, _importable("jax")),
        "weldish": (make_weldish, None),
    }
    for b in weldish.backends.available():
        out[f"weldish[{b}]"] = (lambda name, inputs, b=b: make_weldish(name, inputs, b), None)
    return out


def is_weldish(engine: str) -> bool:
    return engine == "weldish" or engine.startswith("weldish[")

"""Hand-written peer versions of each workload in ``weldish.workloads``, one file per workload.

Each module may define ``with_numexpr(ne, **params)`` (or ``NUMEXPR_NA``, the reason there is
none) and ``with_numba(**params)``, where ``params`` are the workload's inputs plus the
defaults of its keyword parameters (``params_of``). They return a tuple of NumPy arrays or
scalars, in the workload's output order. ``NOTE`` (optional) is printed above its rows.
"""
from __future__ import annotations

import inspect

from weldish import workloads

from . import blackscholes, exp_dot, haversine, nbody, shallow_water, sqdiff_sum, zscore

PEERS = {
    "blackscholes": blackscholes,
    "haversine": haversine,
    "zscore": zscore,
    "nbody": nbody,
    "shallow_water": shallow_water,
    "sqdiff_sum": sqdiff_sum,
    "exp_dot": exp_dot,
}


def params_of(name: str, inputs: dict) -> dict:
    """The workload's inputs plus its keyword defaults, so a peer sees every constant."""
    fn = workloads.WORKLOADS[name][0]
    params = {k: p.default for k, p in inspect.signature(fn).parameters.items()
              if p.default is not inspect.Parameter.empty}
    params.update(inputs)
    return params

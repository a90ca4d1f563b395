"""Per-column statistics of a pipeline's inputs: what ``weldish.export`` stores and what
monitoring compares later inputs with.

A column is a 1-d run of numbers: a 1-d argument, one column of a 2-d argument (up to
``MAX_COLUMNS``) or of a DataFrame; a wider or higher-rank argument is profiled as one
column of all its values. Per column: dtype, count, nulls (NaN) and their rate, min, max,
mean, std (of the non-null values) and a histogram for the population stability index
(PSI): the inner bin edges are the example's deciles (repeated values merged), each bin
``(edge[i-1], edge[i]]`` with the outer ones open, and the fraction of the example in each.
Non-finite numbers are written as the strings "inf", "-inf", "nan" (strict JSON).
"""
from __future__ import annotations

import math

import numpy as np

BINS = 10          # deciles
MAX_COLUMNS = 64   # a 2-d argument with more columns is profiled as one column
EPSILON = 1e-4     # the smallest fraction PSI uses (an empty bin would make it infinite)


def number(x):
    """A JSON-safe float (non-finite as a string)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else str(x)


def value(x):
    """The float of a ``number``."""
    return None if x is None else float(x)


def columns(name: str, arr: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The profiled columns of one array argument: [(label, 1-d values)]."""
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return []
    if arr.ndim == 1:
        return [(name, arr)]
    if arr.ndim == 2 and arr.shape[1] <= MAX_COLUMNS:
        return [(f"{name}[{j}]", arr[:, j]) for j in range(arr.shape[1])]
    return [(name, arr.reshape(-1))]


def _numbers(values: np.ndarray) -> np.ndarray:
    """float64 values (bool and integers converted) for the statistics."""
    if values.dtype.kind == "f":
        return values.astype(np.float64, copy=False)
    return values.astype(np.float64)


def nulls(values: np.ndarray) -> int:
    return int(np.isnan(values).sum()) if values.dtype.kind in "fc" else 0


def column_profile(values: np.ndarray) -> dict:
    """The statistics of one column (see the module docstring)."""
    values = np.asarray(values)
    if values.dtype.kind == "c":   # complex: profiled by magnitude
        values = np.abs(values)
    x = _numbers(values)
    present = x[~np.isnan(x)]
    count = int(x.size)
    stats = {"dtype": values.dtype.str, "count": count, "nulls": count - int(present.size),
             "null_rate": (count - present.size) / count if count else 0.0,
             "min": None, "max": None, "mean": None, "std": None, "edges": [],
             "fractions": [1.0]}
    if present.size:
        finite = present[np.isfinite(present)]
        stats["min"], stats["max"] = number(present.min()), number(present.max())
        if finite.size:
            stats["mean"], stats["std"] = number(finite.mean()), number(finite.std())
        edges = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1]))
        edges = edges[np.isfinite(edges)]
        stats["edges"] = [float(e) for e in edges]
        stats["fractions"] = [float(f) for f in fractions(present, edges)]
    return stats


def fractions(present: np.ndarray, edges) -> np.ndarray:
    """The fraction of ``present`` (no NaN) in each bin ``(edge[i-1], edge[i]]``."""
    edges = np.asarray(edges, dtype=np.float64)
    if present.size == 0:
        return np.zeros(len(edges) + 1)
    counts = np.bincount(np.searchsorted(edges, present, side="left"),
                         minlength=len(edges) + 1)
    return counts / present.size


def psi(expected, actual, epsilon: float = EPSILON) -> float:
    """Population stability index: sum of (a - e) * ln(a / e) over the bins (fractions
    floored at ``epsilon``). Below 0.1: no shift; 0.1-0.2: some; above 0.2: significant."""
    e = np.maximum(np.asarray(expected, dtype=np.float64), epsilon)
    a = np.maximum(np.asarray(actual, dtype=np.float64), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def profile(cols) -> dict:
    """{"columns": {label: statistics}} for ``cols``: [(label, 1-d values)]."""
    return {"bins": BINS, "columns": {label: column_profile(v) for label, v in cols}}


def format_profile(prof: dict) -> str:
    """A readable table of a profile."""
    head = f"{'column':<20} {'dtype':<8} {'count':>8} {'null%':>6} {'min':>11} " \
           f"{'max':>11} {'mean':>11} {'std':>11}"
    lines = [head]

    def f(x):
        return "-" if x is None else f"{value(x):11.4g}"
    for label, s in prof.get("columns", {}).items():
        lines.append(f"{label:<20} {np.dtype(s['dtype']).name:<8} {s['count']:>8} "
                     f"{100 * s['null_rate']:>6.2f} {f(s['min'])} {f(s['max'])} "
                     f"{f(s['mean'])} {f(s['std'])}")
    return "\n".join(lines)

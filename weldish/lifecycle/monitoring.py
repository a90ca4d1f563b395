"""Monitoring: a loaded pipeline's inputs compared with the profile exported with it.

Per profiled column (see ``weldish.lifecycle.profile``) and call:

- ``schema``: the column is missing or its dtype changed (1.0), else 0.0;
- ``null_rate``: how much the share of nulls (NaN) grew over the example's;
- ``out_of_range``: the share of values outside the example's [min, max];
- ``psi``: the population stability index over the example's decile bins.

``out_of_range`` and ``psi`` are computed for batches (and examples) of at least
``min_rows`` values (default 100): on a handful of rows they are noise. A batch of more
than ``MAX_SAMPLE`` (16,384) values is checked on an evenly spaced sample of that many
(the statistics are estimates then; the cost stays flat). PSI's own noise is
about (bins - 1) / rows on each side, so profile a large sample (``export(...,
reference=...)``).

A statistic above its threshold (``DEFAULT_THRESHOLDS``; ``threshold=`` sets PSI's) emits a
``drift`` hook event (fields: ``column``, ``statistic``, ``value``, ``threshold``,
``pipeline``) and warns with ``weldish.DriftWarning``.

    report = weldish.lifecycle.monitoring.compare(pipeline.profile, {"x": new_x})
    pipeline = weldish.load(path, drift_threshold=0.1)   # checked at every call
"""
from __future__ import annotations

import warnings

import numpy as np

from . import profile as prof

DEFAULT_THRESHOLDS = {"psi": 0.2, "null_rate": 0.1, "out_of_range": 0.1, "schema": 0.5}
MIN_ROWS = 100
MAX_SAMPLE = 1 << 14   # a larger batch is checked on an evenly spaced sample of its rows


class DriftWarning(UserWarning):
    """A pipeline's inputs differ from the data it was exported with (see monitoring)."""


def thresholds_for(threshold=None, thresholds=None) -> dict:
    out = dict(DEFAULT_THRESHOLDS)
    if thresholds:
        unknown = set(thresholds) - set(out)
        if unknown:
            raise ValueError(f"unknown drift statistic(s) {sorted(unknown)}; known: "
                             f"{sorted(out)}")
        out.update(thresholds)
    if threshold is not None:
        out["psi"] = float(threshold)
    return out


def _column_checks(expected: dict, values: np.ndarray, min_rows: int) -> dict:
    values = np.asarray(values)
    if values.dtype.str != expected["dtype"]:
        return {"schema": 1.0}
    if values.size > MAX_SAMPLE:   # estimated from evenly spaced rows
        values = values[::-(-values.size // MAX_SAMPLE)]
    if values.dtype.kind == "c":
        values = np.abs(values)
    x = values.astype(np.float64, copy=False)
    count = x.size
    if count == 0:
        return {"schema": 0.0}
    isnan = np.isnan(x)
    present = x[~isnan] if isnan.any() else x
    out = {"schema": 0.0,
           "null_rate": max(0.0, (count - present.size) / count - expected["null_rate"])}
    lo, hi = prof.value(expected["min"]), prof.value(expected["max"])
    if lo is not None and present.size >= min_rows:
        out["out_of_range"] = float(np.count_nonzero((present < lo) | (present > hi))
                                    / present.size)
    if present.size >= min_rows and expected["count"] - expected["nulls"] >= min_rows:
        out["psi"] = prof.psi(expected["fractions"],
                              prof.fractions(present, expected["edges"]))
    return out


def compare(profile: dict, cols, threshold=None, thresholds=None,
            min_rows: int = MIN_ROWS) -> list[dict]:
    """Every statistic of every profiled column: [{column, statistic, value, threshold,
    drift}]. ``cols``: {label: 1-d values} or [(label, values)] (see ``profile.columns``)."""
    limits = thresholds_for(threshold, thresholds)
    cols = dict(cols)
    rows = []
    for label, expected in profile.get("columns", {}).items():
        checks = ({"schema": 1.0} if label not in cols else
                  _column_checks(expected, cols[label], min_rows))
        for stat, v in checks.items():
            rows.append({"column": label, "statistic": stat, "value": float(v),
                         "threshold": limits[stat], "drift": bool(v > limits[stat])})
    return rows


def format_report(rows) -> str:
    lines = [f"{'column':<20} {'statistic':<13} {'value':>9} {'threshold':>9}  drift"]
    for r in rows:
        lines.append(f"{r['column']:<20} {r['statistic']:<13} {r['value']:>9.4f} "
                     f"{r['threshold']:>9.4f}  {'DRIFT' if r['drift'] else ''}")
    return "\n".join(lines)


class Monitor:
    """Checks each call's inputs against a profile: drift events and ``DriftWarning``s."""

    def __init__(self, profile: dict, threshold=None, thresholds=None,
                 min_rows: int = MIN_ROWS):
        self.profile = profile
        self.thresholds = thresholds_for(threshold, thresholds)
        self.min_rows = int(min_rows)

    def check(self, cols, pipeline: str = "", stacklevel: int = 3) -> list[dict]:
        """The drifted statistics of ``cols`` (reported: events and a warning)."""
        rows = compare(self.profile, cols, thresholds=self.thresholds,
                       min_rows=self.min_rows)
        drifted = [r for r in rows if r["drift"]]
        if drifted:
            from . import hooks
            for r in drifted:
                if hooks.SUBSCRIBERS:
                    hooks.emit("drift", column=r["column"], statistic=r["statistic"],
                               value=r["value"], threshold=r["threshold"],
                               pipeline=pipeline)
            what = ", ".join(f"{r['column']} {r['statistic']}={r['value']:.3g} "
                             f"(> {r['threshold']:g})" for r in drifted)
            warnings.warn(f"pipeline {pipeline!r}: inputs drifted from the exported "
                          f"profile: {what}", DriftWarning, stacklevel=stacklevel)
        return drifted

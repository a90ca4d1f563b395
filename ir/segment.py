"""Segment (groupby) reductions: the OPS table's ``segment_*`` rows.

``segment_<how>(values, codes, *, ngroups, skipna, ddof, min_count)`` reduces the 1-D
``values`` per group: row i goes to group ``codes[i]`` (rows with code -1 are dropped),
giving ``ngroups`` values with pandas' groupby semantics and result dtypes (sum/prod of
bool and signed integers in int64, unsigned in uint64; mean/var/std in float64, float32
kept; count in int64; min/max/first/last keep the dtype; NaN skipped when ``skipna``).

The oracle below is NumPy (``ufunc.at`` scatters). The decompositions rewrite every form
into the few that backends lower (a sum or product with no NaN skipping, a NaN-skipping
min/max) plus elementwise ops that fuse into the same loop: mean = sum / count, count =
a sum of ``x == x``, var = the sum of squared deviations from the group means (read back
at each row by a gather), first/last = the value at the smallest/largest row number of
the group (a segment min/max of row numbers, then a gather).
"""
from __future__ import annotations

import numpy as np

SEGMENT_HOWS = frozenset({"sum", "prod", "count", "size", "min", "max", "mean", "var",
                          "std", "first", "last"})
SEGMENTS = tuple(f"segment_{h}" for h in ("sum", "prod", "count", "min", "max", "mean",
                                           "var", "std", "first", "last"))


def result_dtype(how: str, dtype) -> np.dtype:
    """pandas' groupby result dtype for ``how`` of values of ``dtype``."""
    dtype = np.dtype(dtype)
    if how in ("sum", "prod"):
        return {"b": np.dtype(np.int64), "i": np.dtype(np.int64),
                "u": np.dtype(np.uint64)}.get(dtype.kind, dtype)
    if how == "count":
        return np.dtype(np.int64)
    if how in ("mean", "var", "std"):
        return dtype if dtype == np.float32 else np.dtype(np.float64)
    return dtype


def _rows(values, codes, skipna):
    """The rows that take part: a code, and (when skipping) a value that is not NaN."""
    keep = codes >= 0
    if skipna and values.dtype.kind == "f":
        keep &= ~np.isnan(values)
    return keep


def _count(values, codes, ngroups, skipna=True):
    keep = _rows(values, codes, skipna)
    return np.bincount(codes[keep], minlength=ngroups)[:ngroups].astype(np.int64)


def _nan_where(out, bad):
    if bad.any():
        out = out.astype(np.result_type(out.dtype, np.float64) if out.dtype.kind != "f"
                         else out.dtype)
        out[bad] = np.nan
    return out


def oracle(how: str):
    """The NumPy function defining ``segment_<how>``."""
    def fn(values, codes, *, ngroups, skipna=True, ddof=1, min_count=0):
        values, codes = np.asarray(values), np.asarray(codes, np.int64)
        dtype = result_dtype(how, values.dtype)
        if how == "count":
            return _count(values, codes, ngroups)
        keep = _rows(values, codes, skipna)
        v, c = values[keep], codes[keep]
        if how in ("sum", "prod"):
            # sums start at +0.0, as pandas' (a group of -0.0 sums to +0.0)
            out = np.full(ngroups, 0 if how == "sum" else 1, dtype)
            (np.add if how == "sum" else np.multiply).at(out, c, v.astype(dtype))
            if min_count > 0 and dtype.kind == "f":
                out[_count(values, codes, ngroups, skipna) < min_count] = np.nan
            return out
        if how in ("min", "max"):
            ufunc = np.fmin if how == "min" else np.fmax
            if dtype.kind == "f":
                start = np.nan
            elif dtype.kind == "b":
                start = how == "min"
            else:
                info = np.iinfo(dtype)
                start = info.max if how == "min" else info.min
            out = np.full(ngroups, start, dtype)
            ufunc.at(out, c, v)
            if not skipna and dtype.kind == "f":   # a NaN in the group makes it NaN
                nan = np.zeros(ngroups, bool)
                nan[c[np.isnan(v)]] = True
                out[nan] = np.nan
            return out
        if how in ("first", "last"):
            n = len(values)
            pos = np.full(ngroups, n if how == "first" else -1, np.int64)
            (np.minimum if how == "first" else np.maximum).at(pos, c, np.flatnonzero(keep))
            found = (pos >= 0) & (pos < n)
            out = np.zeros(ngroups, dtype)
            out[found] = values[pos[found]]
            return _nan_where(out, ~found) if dtype.kind == "f" else out
        # mean, var, std: in float64 (float32 results rounded once at the end)
        count = np.bincount(c, minlength=ngroups)[:ngroups]
        total = np.zeros(ngroups)
        np.add.at(total, c, v.astype(np.float64))
        with np.errstate(all="ignore"):
            mean = total / count
            if how == "mean":
                return _nan_where(mean, count == 0).astype(dtype)
            dev = v.astype(np.float64) - mean[c]
            squares = np.zeros(ngroups)
            np.add.at(squares, c, dev * dev)
            var = squares / (count - ddof)
        var = _nan_where(var, count - ddof <= 0)
        return (np.sqrt(var) if how == "std" else var).astype(dtype)
    fn.__name__ = f"segment_{how}"
    fn.__qualname__ = fn.__name__
    return fn


# --- decompositions -----------------------------------------------------------------------
def _b():
    # build imports ops, which imports this module: bound at call time
    from . import build
    return build


def _op(how):
    from .ops import Op
    return Op[f"SEGMENT_{how.upper()}"]


def _args(node):
    return dict(node.arg)


def _seg(how, values, codes, node, **changes):
    arg = {**_args(node), **changes}
    return _b().segment(_op(how), values, codes, arg.pop("ngroups"), **arg)


def _ew(name, *srcs):
    from .ops import Op
    return _b().elementwise(Op[name.upper()], *srcs)


def _filled(x, fill):
    """NaNs replaced by ``fill`` (values without NaN as they are)."""
    b = _b()
    if x.dtype.kind != "f":
        return x
    return _ew("where", _ew("isnan", x), b.const(fill, dtype=x.dtype), x)


def _nan_if(bad, value):
    b = _b()
    return _ew("where", bad, b.const(np.nan, dtype=value.dtype), value)


def _count_of(values, codes, node, skipna=True):
    """The number of rows (non-NaN ones when ``skipna``) of each group, as a segment sum."""
    b = _b()
    present = _ew("equal", values, values) if skipna and values.dtype.kind == "f" \
        else _ew("greater_equal", codes, b.const(0))
    return _seg("sum", b.astype(present, np.int64), codes, node, skipna=False, min_count=0)


def decomposition(how: str):
    """The ``decompose`` column of ``segment_<how>`` (None: the node is lowered as it is,
    or it stays whole and runs on the oracle: first/last)."""
    def decompose(node):
        b = _b()
        x, codes = node.src
        arg = _args(node)
        skipna, floats = arg.get("skipna", True), x.dtype.kind == "f"
        if how == "count":
            return _count_of(x, codes, node)
        if how in ("sum", "prod"):
            min_count = arg.get("min_count", 0)
            if (not skipna or not floats) and min_count == 0:
                return _seg(how, x, codes, node, skipna=False) if skipna else None
            total = _seg(how, _filled(x, 0.0 if how == "sum" else 1.0) if skipna else x,
                         codes, node, skipna=False, min_count=0)
            if min_count > 0 and total.dtype.kind == "f":
                few = _ew("less", _count_of(x, codes, node, skipna), b.const(min_count))
                total = _nan_if(few, total)
            return total if total.dtype == node.dtype else None
        if how in ("min", "max"):
            if skipna or not floats:
                return None if skipna else _seg(how, x, codes, node, skipna=True)
            nan = _seg("max", _ew("isnan", x), codes, node, skipna=True)
            return _nan_if(nan, _seg(how, x, codes, node, skipna=True))
        if how in ("mean", "var", "std"):
            if how != "mean" and node.shape[0] == 0:
                return None   # no group to read a mean from: the oracle
            x64 = x if x.dtype == np.float64 else b.astype(x, np.float64)
            if skipna:
                x64 = _filled(x64, 0.0)
            count = _count_of(x, codes, node, skipna)
            total = _seg("sum", x64, codes, node, skipna=False, min_count=0)
            none = _ew("equal", count, b.const(0))
            safe = _ew("where", none, b.const(1), count)
            mean = _nan_if(none, _ew("divide", total, safe))
            if how != "mean":
                # deviations from the group's mean (read at each row: a gather), squared
                at = b.take(mean, _ew("where", _ew("less", codes, b.const(0)), b.const(0),
                                      codes), axis=0)
                dev = _ew("subtract", x64, at)
                sq = _ew("multiply", dev, dev)
                if skipna and floats:   # NaN rows count for nothing
                    sq = _ew("where", _ew("isnan", x), b.const(0.0, dtype=sq.dtype), sq)
                squares = _seg("sum", sq, codes, node, skipna=False, min_count=0)
                dof = _ew("subtract", count, b.const(arg.get("ddof", 1)))
                bad = _ew("less_equal", dof, b.const(0))
                var = _ew("divide", squares, _ew("where", bad, b.const(1), dof))
                mean = _nan_if(bad, var)
                if how == "std":
                    mean = _ew("sqrt", mean)
            return mean if mean.dtype == node.dtype else b.astype(mean, node.dtype)
        return _first_or_last(how, x, codes, node, skipna and floats)
    return decompose


def _first_or_last(how, x, codes, node, skip_nan):
    """The value at the group's first (last) row (with a value, when skipping NaN): the
    smallest (largest) row number per group, a segment min (max), then a gather; NaN for
    a group without such a row."""
    b = _b()
    n = x.shape[0]
    if n == 0:
        return None   # nothing to gather from: the oracle
    rows = b.arange(n)
    none = n if how == "first" else -1
    if skip_nan:
        rows = _ew("where", _ew("isnan", x), b.const(none, dtype=rows.dtype), rows)
    at = _seg("min" if how == "first" else "max", rows, codes, node, skipna=True)
    found = _ew("logical_and", _ew("greater_equal", at, b.const(0)),
                _ew("less", at, b.const(n)))
    value = b.take(x, _ew("where", found, at, b.const(0)), axis=0)
    return _nan_if(_ew("logical_not", found), value) if value.dtype.kind == "f" else value

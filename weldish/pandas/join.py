"""``merge``: row pairs from ``weldish.relational.join_indices`` (a compiled hash join),
columns gathered lazily (numeric) or by pandas ``take`` (others); anything else pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import numpy as wnp
from ..lazy import LazyArray, Unsupported
from ._common import call_pandas, record_lazy
from .series import Series


def _relational():
    try:
        from .. import relational
    except ImportError as e:  # the compiled kernels are not there: pandas runs it
        raise Unsupported(f"weldish.relational: {e}") from None
    return relational


def merge(left, right, how="inner", on=None, left_on=None, right_on=None,
          suffixes=("_x", "_y"), sort=False, **kwargs):
    """``pandas.merge``; inner/left/right/outer on key columns of equal dtypes run on the
    compiled hash join, the rest in pandas."""
    import time
    from .frame import DataFrame
    t0 = time.perf_counter()
    try:
        if not (isinstance(left, DataFrame) and isinstance(right, DataFrame)):
            raise Unsupported("merge of non-weldish frames")
        out = _merge(left, right, how, on, left_on, right_on, suffixes, sort, kwargs)
        record_lazy("pandas.merge", t0)
        return out
    except Unsupported as e:
        reason = str(e)
    return call_pandas(pd.merge, (left, right),
                       dict(how=how, on=on, left_on=left_on, right_on=right_on,
                            suffixes=suffixes, sort=sort, **kwargs), "pandas.merge", reason)


def _merge(left, right, how, on, left_on, right_on, suffixes, sort, kwargs):
    from .frame import DataFrame
    if kwargs or sort not in (True, False) or how not in ("inner", "left", "right", "outer") or \
            (on is not None and (left_on is not None or right_on is not None)):
        raise Unsupported("merge arguments")
    lc, rc = left._frame(), right._frame()
    if left_on is not None or right_on is not None:
        lk, rk = _names(left_on), _names(right_on)
        if lk is None or rk is None or len(lk) != len(rk):
            raise Unsupported("left_on/right_on")
        if lk == rk:
            on = lk
        else:
            return _merge_apart(lc, rc, lk, rk, how, suffixes, rel=_relational())
    if on is None:
        on = [c for c in lc if c in rc]
    on = [on] if isinstance(on, str) or not hasattr(on, "__iter__") else list(on)
    if not on or any(k not in lc or k not in rc for k in on) or len(set(on)) != len(on):
        raise Unsupported("merge keys")
    if any(lc[k].dtype != rc[k].dtype for k in on):
        raise Unsupported("key dtypes differ")
    if how == "outer" and any(isinstance(lc[k].dtype, pd.CategoricalDtype) for k in on):
        raise Unsupported("outer merge on a categorical key (pandas' row order)")
    if type(suffixes) is not tuple or len(suffixes) != 2 or \
            not all(isinstance(s, str) for s in suffixes):
        raise Unsupported("suffixes")
    rel = _relational()
    lkeys = [_key_values(lc[k]) for k in on]
    rkeys = [_key_values(rc[k]) for k in on]
    li, ri = rel.join_indices(lkeys, rkeys, how)
    n = len(li)
    index = pd.RangeIndex(n)
    if _is_identity(li, len(left)):  # every left row once, in order: no gather on the left
        li = None
    lmiss, rmiss = li is not None and bool((li < 0).any()), bool((ri < 0).any())
    lnames = [k for k in lc if k not in on]
    rnames = [k for k in rc if k not in on]
    overlap = set(lnames) & set(rnames)
    cols = {}
    for k, s in lc.items():
        if k in on:  # outer/right: the key from the right side where the left has none
            col = _gather(s, li, False, index, k) if not lmiss else \
                _key_col(s, rc[k], li, ri, index, k)
        else:
            k2 = f"{k}{suffixes[0]}" if k in overlap else k
            col = _gather(s, li, lmiss, index, k2)
        cols[k2 if k not in on else k] = col
    for k in rnames:
        k2 = f"{k}{suffixes[1]}" if k in overlap else k
        if k2 in cols:
            raise Unsupported("suffixed name collides")
        cols[k2] = _gather(rc[k], ri, rmiss, index, k2)
    out = DataFrame._from_cols(cols, index)
    if sort and how != "outer":   # keys in order, each key's rows as merged (stable)
        out = out.sort_values(on, kind="stable", ignore_index=True)
    return out


def _names(keys):
    keys = [keys] if isinstance(keys, str) else keys
    if type(keys) not in (list, tuple) or not keys or \
            not all(isinstance(k, str) for k in keys):
        return None
    return list(keys)


def _merge_apart(lc, rc, lk, rk, how, suffixes, rel):
    """left_on/right_on with different names: both key columns kept, nothing coalesced."""
    from .frame import DataFrame
    if any(k not in lc for k in lk) or any(k not in rc for k in rk) or \
            len(set(lk)) != len(lk) or len(set(rk)) != len(rk) or \
            set(lk) & set(rc) or set(rk) & set(lc) or set(lk) & set(rk):
        raise Unsupported("key names shared between the sides")
    if any(lc[a].dtype != rc[b].dtype for a, b in zip(lk, rk)) or \
            any(isinstance(lc[a].dtype, pd.CategoricalDtype) for a in lk):
        raise Unsupported("key dtypes")
    if type(suffixes) is not tuple or len(suffixes) != 2 or \
            not all(isinstance(x, str) for x in suffixes):
        raise Unsupported("suffixes")
    li, ri = rel.join_indices([_key_values(lc[k]) for k in lk],
                              [_key_values(rc[k]) for k in rk], how)
    index = pd.RangeIndex(len(li))
    lmiss, rmiss = bool((li < 0).any()), bool((ri < 0).any())
    overlap = set(lc) & set(rc)
    cols = {}
    for k, s in lc.items():
        name = f"{k}{suffixes[0]}" if k in overlap else k
        cols[name] = _gather(s, li, lmiss, index, name)
    for k, s in rc.items():
        name = f"{k}{suffixes[1]}" if k in overlap else k
        if name in cols:
            raise Unsupported("suffixed name collides")
        cols[name] = _gather(s, ri, rmiss, index, name)
    return DataFrame._from_cols(cols, index)


def _key_values(s: Series):
    return np.asarray(s._lazy) if s._lazy is not None else s._pd.array


def _is_identity(idx: np.ndarray, n: int) -> bool:
    """``idx`` is 0, 1, ..., n-1 (n distinct increasing integers from 0 to n-1 are)."""
    if len(idx) != n:
        return False
    if n == 0:
        return True
    if idx[0] != 0 or idx[-1] != n - 1:
        return False
    return bool((idx[1:] > idx[:-1]).all())


def _gather(s: Series, idx: np.ndarray | None, missing: bool, index, name) -> Series:
    """Column ``s`` at rows ``idx`` (-1: missing; None: every row, in order)."""
    if idx is None:
        if s._lazy is not None:   # a new lazy array of the same value: never aliased
            return Series._from_lazy(LazyArray(s._lazy.node), index, name)
        return Series._from_pandas(pd.Series(s._pd.array, index=index, name=name))
    if s._lazy is None:
        arr = s._pd.array.take(idx, allow_fill=True)
        return Series._from_pandas(pd.Series(arr, index=index, name=name))
    x = s._lazy
    # the row numbers as a lazy input (join_indices' are in bounds: not checked again
    # here), so the gather is a load in the loop of whatever reads the column, with the
    # missing rows' fill: one pass reading ``x`` and ``idx``, nothing materialized
    rows = wnp.asarray(idx)
    if not missing:
        return Series._from_lazy(x[rows], index, name)
    if x.dtype.kind == "b":
        raise Unsupported("boolean column with unmatched rows (object in pandas)")
    valid = rows >= 0
    taken = x[wnp.where(valid, rows, 0)] if len(x) else wnp.zeros(len(idx), x.dtype)
    return Series._from_lazy(wnp.where(valid, taken, np.nan), index, name)


def _key_col(a: Series, b: Series, li, ri, index, name) -> Series:
    valid = li >= 0
    if a._lazy is not None and b._lazy is not None:
        ka = a._lazy[np.maximum(li, 0)] if len(a) else None
        kb = b._lazy[np.maximum(ri, 0)] if len(b) else None
        out = kb if ka is None else ka if kb is None else wnp.where(valid, ka, kb)
        return Series._from_lazy(out, index, name)
    pa, pb = a.to_pandas().array, b.to_pandas().array
    ta = pa.take(li, allow_fill=True)
    tb = pb.take(ri, allow_fill=True)
    out = pd.Series(ta, index=index, name=name).where(valid, pd.Series(tb, index=index))
    if out.dtype != a.dtype:
        raise Unsupported("key dtype changed")
    return Series._from_pandas(out)

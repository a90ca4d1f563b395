"""``Series.str``: pyarrow.compute kernels on string columns (pandas' str dtype), results
typed as pandas types them; other columns, regex patterns and arguments run in pandas."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import numpy as wnp
from ..lazy import Unsupported
from ._common import call_pandas, record_lazy

_REGEX_CHARS = set(".^$*+?{}[]\\|()")


_POOL = []
PIECE = 1 << 20  # rows per piece below which one call is cheaper than threads


def _pieces(fn, arr):
    """``fn`` over row pieces of ``arr`` on the thread pool (pyarrow kernels release the
    GIL; string kernels are elementwise, so the pieces' results concatenate to the
    whole's)."""
    from ..config import SETTINGS
    n, k = len(arr), max(1, SETTINGS.num_threads)
    if n < 2 * PIECE or k == 1:
        return fn(arr)
    if not _POOL:
        from concurrent.futures import ThreadPoolExecutor
        _POOL.append(ThreadPoolExecutor(k, thread_name_prefix="weldish-str"))
    step = -(-n // k)
    parts = list(_POOL[0].map(fn, [arr.slice(i, step) for i in range(0, n, step)]))
    return pa.chunked_array(parts)


def _literal(pat) -> bool:
    return isinstance(pat, str) and not (set(pat) & _REGEX_CHARS)


class StringMethods:
    """``pandas.Series.str`` on a weldish Series."""

    def __init__(self, series):
        self._s = series

    def _arrow(self):
        ps = self._s._pd
        if ps is None or not isinstance(ps.dtype, pd.StringDtype):
            raise Unsupported("not a str-dtype column")
        return ps, pa.array(ps.array)

    def _call(self, name, args, kwargs, compute):
        from .series import Series
        t0 = time.perf_counter()
        try:
            ps, arr = self._arrow()
            out = compute(ps, arr)
            record_lazy(f"pandas.Series.str.{name}", t0)
            return out if isinstance(out, Series) else Series._from_pandas(out)
        except Unsupported as e:
            reason = str(e)
        return call_pandas(lambda s, *a, **k: getattr(s.str, name)(*a, **k),
                           (self._s, *args), kwargs, f"pandas.Series.str.{name}", reason)

    # -- result types as pandas' str dtype gives them -------------------------------------
    @staticmethod
    def _strings(ps, arr):
        if isinstance(arr, pa.ChunkedArray) and arr.num_chunks > 1:
            arr = arr.combine_chunks()
        return pd.Series(ps.dtype.__from_arrow__(arr), index=ps.index, name=ps.name)

    @staticmethod
    def _bools(ps, arr):
        return pd.Series(arr.fill_null(False).to_numpy(zero_copy_only=False), index=ps.index,
                         name=ps.name)

    @staticmethod
    def _ints(ps, arr):
        """Lengths as pandas types them (int64, or float64 with NaN where missing), the
        widening left lazy so that it fuses with what uses the lengths."""
        from .series import Series, as_lazy
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        vals = as_lazy(np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False)))
        if arr.null_count:
            valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            out = wnp.where(valid, vals.astype(np.float64), np.nan)
        else:
            out = vals.astype(np.int64)
        return Series._from_lazy(out, ps.index, ps.name)

    def _strfn(self, name, fn, args=(), kwargs=None):
        return self._call(name, args, kwargs or {},
                          lambda ps, a: self._strings(ps, _pieces(fn, a)))

    def lower(self):
        return self._strfn("lower", pc.utf8_lower)

    def upper(self):
        return self._strfn("upper", pc.utf8_upper)

    def _strip(self, name, ws, chars_fn, to_strip):
        if to_strip is None:
            return self._strfn(name, ws, (to_strip,))
        if not isinstance(to_strip, str):
            return self._call(name, (to_strip,), {}, _raise("to_strip"))
        return self._strfn(name, lambda a: chars_fn(a, to_strip), (to_strip,))

    def strip(self, to_strip=None):
        return self._strip("strip", pc.utf8_trim_whitespace, pc.utf8_trim, to_strip)

    def lstrip(self, to_strip=None):
        return self._strip("lstrip", pc.utf8_ltrim_whitespace, pc.utf8_ltrim, to_strip)

    def rstrip(self, to_strip=None):
        return self._strip("rstrip", pc.utf8_rtrim_whitespace, pc.utf8_rtrim, to_strip)

    def slice(self, start=None, stop=None, step=None):
        from .series import Series
        if start in (None, 0) and step in (None, 1) and type(stop) is int and stop >= 0 \
                and isinstance(self._s.dtype, pd.StringDtype):
            # a prefix: computed when used, except len / startswith, which read the source
            return Series._prefix_of(self._s, stop)
        return self._slice(start, stop, step)

    def _slice(self, start=None, stop=None, step=None):
        def fn(ps, a):
            if step == 0:
                raise Unsupported("step 0")
            st = 1 if step is None else step
            lo = start if start is not None else (0 if st > 0 else -1)
            if stop is None:
                hi = 2 ** 31 - 1 if st > 0 else -(2 ** 31)
            else:
                hi = stop
            res = _pieces(lambda p: pc.utf8_slice_codeunits(p, lo, hi, step=st), a)
            return self._strings(ps, res)
        return self._call("slice", (start, stop, step), {}, fn)

    def _prefix(self):
        """(source Series, k) when this Series is ``source.str.slice(0, k)`` not computed."""
        return self._s.__dict__.get("_prefix")

    def len(self):
        pre = self._prefix()
        if pre is not None:  # len(s[:k]) == min(len(s), k), in code points as pyarrow counts
            return StringMethods(pre[0]).len().clip(upper=pre[1])
        return self._call("len", (), {},
                          lambda ps, a: self._ints(ps, _pieces(pc.utf8_length, a)))

    def _match(self, name, pat, na, fn, args, kwargs):
        def run(ps, a):
            if not isinstance(pat, str) or na is not None:
                raise Unsupported("pattern or na=")
            return self._bools(ps, _pieces(lambda p: fn(p, pat), a))
        return self._call(name, args, kwargs, run)

    def contains(self, pat, case=True, flags=0, na=None, regex=True):
        args = (pat,)
        kw = dict(case=case, flags=flags, na=na, regex=regex)
        if flags or not (case is True) or (regex and not _literal(pat)):
            return self._call("contains", args, kw, _raise("regex, case or flags"))
        return self._match("contains", pat, na, pc.match_substring, args, kw)

    def startswith(self, pat, na=None):
        pre = self._prefix()
        if pre is not None and isinstance(pat, str) and len(pat) <= pre[1]:
            return StringMethods(pre[0]).startswith(pat, na)  # s[:k] starts with p: s does
        return self._match("startswith", pat, na, pc.starts_with, (pat,), {"na": na})

    def endswith(self, pat, na=None):
        return self._match("endswith", pat, na, pc.ends_with, (pat,), {"na": na})

    def replace(self, pat, repl, n=-1, case=None, flags=0, regex=False):
        kw = dict(n=n, case=case, flags=flags, regex=regex)
        if not (isinstance(pat, str) and isinstance(repl, str)) or flags or \
                case is False or (regex and not _literal(pat)) or not pat:
            return self._call("replace", (pat, repl), kw, _raise("replace arguments"))
        mx = None if n is None or n < 0 else n
        return self._strfn("replace", lambda a: pc.replace_substring(
            a, pat, repl, max_replacements=mx), (pat, repl), kw)

    def split(self, pat=None, n=-1, expand=False, *, regex=None):
        kw = dict(n=n, expand=expand, regex=regex)

        def run(ps, a):
            if expand or regex or (pat is not None and (not isinstance(pat, str) or
                                                          len(pat) == 0)):
                raise Unsupported("split arguments")
            mx = None if n is None or n <= 0 else n
            if pat is None:  # Python's str.split(): no empty pieces at the ends
                if mx is not None:
                    raise Unsupported("whitespace split with n")
                res = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(a))
            else:
                res = pc.split_pattern(a, pat, max_splits=mx)
            vals = [np.nan if v is None else [] if pat is None and v == [""] else v
                    for v in res.to_pylist()]
            out = np.empty(len(vals), dtype=object)
            out[:] = vals
            return pd.Series(out, index=ps.index, name=ps.name)
        return self._call("split", (pat,), kw, run)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *a, **k: call_pandas(lambda s, *a2, **k2: getattr(s.str, name)(*a2, **k2),
                                           (self._s, *a), k, f"pandas.Series.str.{name}",
                                           "no pyarrow version")


def _raise(reason):
    def fn(ps, a):
        raise Unsupported(reason)
    return fn

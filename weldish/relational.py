"""Relational kernels for the pandas frontend: group codes, segment reductions, joins.

- ``factorize``: rows -> dense group codes with pandas.groupby's group order (eager: the
  number of groups depends on the data). 64-bit keys: direct tables when they span a
  compact range (Numba), else the LLVM backend's hash tables (``backends/llvm/hashtable``:
  a table per row chunk on threads, merged); Arrow strings: compiled hash tables (Numba);
  other objects are dictionary-encoded by pandas first; several keys are combined into one
  composite code.
- ``segment_reduce``: a lazy per-group reduction, recorded as a ``segment_*`` op of the
  OPS table, so the values' expression fuses into the loop that scatters into per-thread
  accumulators (LLVM backend).
- ``join_indices``: the row pairs of ``pandas.merge`` (inner/left/right/outer) in its
  output order, from a compiled join (one integer key: the right side in a direct table
  the left keys index when its range is compact, else in the LLVM backend's hash table
  they probe; others: the keys factorized together first).

The Numba pieces are in ``weldish._relational_kernels``; the hash tables of int64 keys
are ``weldish.backends.llvm.hashtable``'s.
"""
from __future__ import annotations

import itertools

import numpy as np

from ._relational_kernels import (
    _combine_into,
    _integral,
    _outer,
    _pair_mark,
    _range_codes,
    _range_lookup,
    _range_mark,
    _range_number,
    _shift_codes,
    _slot_buckets,
    _slot_probe_count,
    _slot_probe_fill,
    _slots,
    _str_codes,
    _unique_probe,
    _window_scan,
)
from .backends.llvm import hashtable
from .ir import build
from .ir.ops import SEGMENT_HOWS, Op
from .lazy import LazyArray, to_node

__all__ = ["factorize", "join_indices", "segment_reduce"]


# --- helpers --------------------------------------------------------------------------------
def _combine(codes, col, width):
    """(codes * width + col, -1 where either is -1; whether any is), by row chunks on
    threads."""
    out = np.empty_like(codes)
    chunks = _chunks(len(codes))
    missing = _on_threads(_combine_into, [(codes[a:b], col[a:b], width, out[a:b])
                                          for a, b in chunks])
    return out, any(missing)


# --- factorize --------------------------------------------------------------------------------
def _int_codes(keys, valid, sort):
    """Codes of int64 keys (-1 where not ``valid``; an empty ``valid``: all are), numbered
    in key order (``sort``) or by first appearance, and each code's key. Keys within a
    window guessed from the first ones: one pass (bounds and marks, by row chunks on
    threads), then one lookup pass; else a direct table for a compact range, else hash
    tables (``hashtable.factorize``: one per row chunk on threads, merged)."""
    n = keys.shape[0]
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    chunks = _chunks(n)
    pieces = [(keys[a:b], valid[a:b] if valid.shape[0] else valid) for a, b in chunks]
    base, top, spread = _window(keys, valid, n)
    if spread >= max(_compact(n), top - base + 1):
        # the first keys alone span more than a direct table may: the hash tables
        return hashtable.factorize(keys, valid, sort, chunks)
    codes = np.empty(n, np.int64)
    outs = [codes[a:b] for a, b in chunks]
    if sort:   # marks only: a byte per key
        seen = [np.zeros(top - base + 1, np.uint8) for _ in chunks]
        parts = _on_threads(_window_scan, [p + (base, top, -1, s, o)
                                           for p, s, o in zip(pieces, seen, outs)])
        first = np.where(np.logical_or.reduce(seen) if len(seen) > 1 else seen[0], 0, -1)
    else:   # each key's first row
        seen = [np.full(top - base + 1, -1, np.int64) for _ in chunks]
        parts = _on_threads(_window_scan, [p + (base, top, a, s, o) for p, (a, _), s, o
                                           in zip(pieces, chunks, seen, outs)])
        first = seen[0]
        for other in seen[1:]:   # a chunk's rows all precede the next chunk's
            first = np.where(first >= 0, first, other)
    marked = np.flatnonzero(first >= 0)
    outside = sum(p[2] for p in parts)
    if not outside:   # every key in the window: its marks make the table
        if not len(marked):
            return np.full(n, -1, np.int64), np.empty(0, np.int64)
        a, b = int(marked[0]), int(marked[-1])
        table, uniques = _window_table(first[a:b + 1], sort)
        if a or len(uniques) != len(table) or not sort and \
                (uniques != np.arange(len(uniques))).any():
            # the slots are not the codes (keys missing from the range, the smallest key
            # not the window's first, or first appearances out of key order): remap
            _on_threads(_range_lookup, [(o, valid[a_:b_] if valid.shape[0] else valid,
                                         a, table, o) for o, (a_, b_) in zip(outs, chunks)])
        return codes, uniques + (base + a)
    ends = [base + int(marked[0]), base + int(marked[-1])] if len(marked) else []
    lo = min([p[0] for p in parts if p[2]] + ends)
    hi = max([p[1] for p in parts if p[2]] + ends)
    if hi - lo < _compact(n):
        if not sort:
            return _range_codes(keys, valid, lo, hi - lo + 1)
        table = np.full(hi - lo + 1, -1, np.int64)
        _on_threads(_range_mark, [p + (lo, table) for p in pieces])
        uniques = _range_number(table, lo)
        codes = np.empty(n, np.int64)
        _on_threads(_range_lookup, [p + (lo, table, codes[a:b])
                                    for p, (a, b) in zip(pieces, chunks)])
        return codes, uniques
    return hashtable.factorize(keys, valid, sort, chunks)


_WINDOW = 1 << 17   # keys a first pass marks in a direct table while finding the bounds
_I64 = np.iinfo(np.int64)


def _compact(n):
    """The widest span (largest - smallest key) of ``n`` keys that a direct table takes."""
    return min(max(4 * n, 1 << 16), 1 << 26)


def _window(keys, valid, n):
    """(base, top, spread): a direct table's range [base, top] guessed from the first
    keys (the keys' range if they are small non-negative integers, else one centred on
    the first keys'), and how far apart the first keys are (largest - smallest)."""
    width = min(_WINDOW, 4 * n + 64)
    head = keys[:256] if not valid.shape[0] else keys[:256][valid[:256]]
    lo, hi = (int(head.min()), int(head.max())) if head.size else (0, 0)
    base = 0 if lo >= 0 and hi < width else lo - max(0, (width - (hi - lo)) // 2)
    base = max(min(base, _I64.max - width + 1), _I64.min)
    return base, base + width - 1, hi - lo


def _window_table(first, sort):
    """Each slot's first row (-1: none) -> (slot -> code table, each code's slot): codes
    in slot order (``sort``) or by first appearance."""
    present = np.flatnonzero(first >= 0)
    if not sort:
        present = present[np.argsort(first[present], kind="stable")]
    table = np.full(len(first), -1, np.int64)
    table[present] = np.arange(len(present), dtype=np.int64)
    return table, present.astype(np.int64)


_PARALLEL_ROWS = 1 << 17   # below this, one thread (handing off costs more)
_pools: dict = {}


def _chunks(n):
    """Row ranges, one per thread of ``weldish.config(num_threads=...)``."""
    from .config import SETTINGS
    k = max(1, min(SETTINGS.num_threads, n // _PARALLEL_ROWS))
    bounds = [n * i // k for i in range(k + 1)]
    return list(itertools.pairwise(bounds))


def _on_threads(fn, arguments):
    """``[fn(*a) for a in arguments]``, on a thread pool when there are several (the
    compiled functions release the GIL)."""
    if len(arguments) == 1:
        return [fn(*arguments[0])]
    pool = _pools.get(len(arguments))
    if pool is None:
        from concurrent.futures import ThreadPoolExecutor
        pool = _pools.setdefault(len(arguments), ThreadPoolExecutor(
            len(arguments), thread_name_prefix="weldish-relational"))
    return [f.result() for f in [pool.submit(fn, *a) for a in arguments]]


def _ranks(order):
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank


_ALL = np.empty(0, bool)   # "every row is valid"


def _column_codes(col, sort):
    """(codes with -1 for missing, uniques: each code's value) of one key column, codes
    numbered in pandas' sorted order (``sort``) or by first appearance."""
    import pandas as pd
    if isinstance(col, (pd.Series, pd.Index)):
        col = col.array
    if isinstance(col, pd.arrays.NumpyExtensionArray):
        col = col.to_numpy()
    if isinstance(col, pd.Categorical):   # category order; observed categories only
        cat = np.asarray(col.codes, np.int64)
        codes, cat_codes = _int_codes(cat, cat >= 0 if (cat < 0).any() else _ALL, sort)
        return codes, pd.Categorical.from_codes(cat_codes, dtype=col.dtype)
    arr = np.asarray(col) if not isinstance(col, pd.api.extensions.ExtensionArray) else None
    if arr is not None and arr.dtype.kind in "biufmM":
        kind = arr.dtype.kind
        valid = _ALL
        if kind == "f":
            f64 = np.ascontiguousarray(arr, dtype=np.float64)
            ints, has_nan, integral = _integral(f64)
            if integral:   # (an integer column with NaN, typically): the integer path
                codes, keys = _int_codes(ints, ~np.isnan(f64) if has_nan else _ALL, sort)
                return codes, keys.astype(arr.dtype)
            nan = np.isnan(f64)   # (the check stopped early: NaNs may follow)
            valid = ~nan if nan.any() else _ALL
            # -0.0 and 0.0 are one key (pandas' float hash table): add +0.0 first
            bits = (f64 + 0.0).view(np.int64)
        elif kind in "mM":
            bits = arr.view(np.int64)
            nat = bits == np.iinfo(np.int64).min
            valid = ~nat if nat.any() else _ALL
        elif kind == "u" and arr.dtype.itemsize == 8:
            bits = arr.view(np.int64)
        else:
            bits = arr.astype(np.int64, copy=False)
        # floats and uint64 sort by value, not by their int64 bit patterns
        codes, keys = _int_codes(np.ascontiguousarray(bits), valid,
                                 sort and kind not in "fu")
        if kind == "f":
            uniques = keys.view(np.float64).astype(arr.dtype)
        elif kind in "mM" or (kind == "u" and arr.dtype.itemsize == 8):
            uniques = keys.view(arr.dtype)
        else:
            uniques = keys.astype(arr.dtype)
        if sort and kind in "fu":
            order = np.argsort(uniques, kind="stable")
            codes, uniques = hashtable.remap(codes, _ranks(order), _chunks(len(codes))), \
                uniques[order]
        return codes, uniques
    got = _arrow_string_codes(col, sort) if arr is None else None
    if got is not None:
        return got
    # strings, objects, extension arrays: pandas' dictionary encoding (and its sort)
    codes, uniques = pd.factorize(col, sort=sort, use_na_sentinel=True)
    codes = np.asarray(codes, np.int64)
    if not (codes.flags.owndata and codes.flags.writeable):   # ours to rewrite (factorize)
        codes = codes.copy()
    return codes, uniques


def _arrow_string_codes(col, sort):
    """``pd.factorize(col, sort=sort)`` of an Arrow-backed string array (pandas' str
    dtype), or None for anything else: compiled hash tables on the Arrow buffers by row
    chunks on threads, then pandas factorizes the chunks' distinct strings (few: their
    order and dtype are pandas'), and the chunks' codes are mapped to its codes."""
    import pandas as pd
    if not isinstance(getattr(col, "dtype", None), pd.StringDtype) or \
            col.dtype.storage != "pyarrow":
        return None
    import pyarrow as pa
    chunked = col.__arrow_array__()
    if not isinstance(chunked, pa.ChunkedArray) or not (
            pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type)):
        return None
    arr = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
    n = len(arr)
    if n < _PARALLEL_ROWS:
        return None   # pandas is as quick (and numbers it its way anyway)
    bitmap, off_buf, data_buf = arr.buffers()
    off_dtype = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(off_buf, off_dtype)[arr.offset:arr.offset + n + 1]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else \
        np.zeros(0, np.uint8)
    bits = np.frombuffer(bitmap, np.uint8) if bitmap is not None and arr.null_count \
        else np.zeros(0, np.uint8)
    words64 = np.zeros(len(data) // 8 + 2, np.uint64)   # aligned, padded: see _str_codes
    words64.view(np.uint8)[:len(data)] = data
    codes = np.empty(n, np.int64)
    chunks = _chunks(n)
    reps = _on_threads(_str_codes, [(offsets[a:b + 1], data, words64, bits,
                                     arr.offset + a, a, codes[a:b]) for a, b in chunks])
    rows = np.concatenate(reps)
    if len(rows) > max(n // 4, 1 << 16):   # mostly distinct: pandas' own pass is quicker
        return None
    mapping, uniques = pd.factorize(col.take(rows), sort=sort, use_na_sentinel=True)
    mapping = np.asarray(mapping, np.int64)
    bases = np.concatenate([[0], np.cumsum([len(r) for r in reps])])
    _on_threads(_shift_codes, [(codes[a:b], mapping, int(base))
                               for (a, b), base in zip(chunks, bases)])
    return codes, uniques


def _na_value(uniques):
    kind = getattr(uniques, "dtype", np.dtype(object)).kind
    return None if kind == "O" else np.nan


def _take_keys(uniques, codes):
    """uniques[codes], missing (-1) as pandas shows it (NaN/NaT/None, categorical NA)."""
    import pandas as pd
    if isinstance(uniques, pd.Categorical):
        return pd.Categorical.from_codes(
            np.where(codes >= 0, uniques.codes[np.maximum(codes, 0)], -1), dtype=uniques.dtype)
    if not isinstance(uniques, np.ndarray):   # an extension array: its own NA
        return uniques.take(codes, allow_fill=True)
    if (codes >= 0).all():
        return uniques[codes]
    if uniques.dtype.kind in "mM":
        out = uniques.take(np.maximum(codes, 0)) if uniques.size else \
            np.empty(codes.size, uniques.dtype)
        out[codes < 0] = np.datetime64("NaT") if uniques.dtype.kind == "M" \
            else np.timedelta64("NaT")
        return out
    dtype = uniques.dtype if uniques.dtype.kind in "fO" else np.dtype(np.float64)
    out = uniques.astype(dtype).take(np.maximum(codes, 0)) if uniques.size else \
        np.empty(codes.size, dtype)
    out[codes < 0] = _na_value(uniques)
    return out


def factorize(keys, sort: bool = True, dropna: bool = True):
    """Group codes of rows, as ``pandas.DataFrame.groupby(keys, sort=, dropna=)`` groups.

    Parameters
    ----------
    keys : list of array-like
        One equal-length array per key column (NumPy, pandas Series/Categorical/
        extension arrays, strings as objects or Arrow strings).
    sort : bool
        Groups sorted by their keys (lexicographically over the columns; a categorical by
        its category order; missing keys last), else in order of first appearance.
    dropna : bool
        Rows with a missing key get code -1; otherwise missing is a group of its own.

    Returns
    -------
    codes : ndarray of int64 (one per row), uniques : list of arrays (each group's value
    of each key column), ngroups : int. Eager: the number of groups depends on the data.
    """
    if not keys:
        raise ValueError("factorize needs at least one key column")
    n = len(keys[0])
    if any(len(k) != n for k in keys):
        raise ValueError("key columns differ in length")
    columns, combined, width_total, missing, last = [], None, 1, None, None
    for i, col in enumerate(keys):
        codes, uniques = _column_codes(col, sort)
        width = len(uniques)
        if not dropna:   # missing: one more code, after the others
            absent = codes < 0
            if absent.any():
                codes = np.where(absent, width, codes)
                width += 1
        if combined is None:
            combined, width_total = codes, width
        elif i == len(keys) - 1 and width_total * width <= _WINDOW:
            # the last column: combined while the groups are numbered (no composite array)
            last, width_total = (codes, width), width_total * width
        elif width_total * max(width, 1) >= (1 << 62):
            # the composite would overflow: number the combinations so far densely first
            combined, first = _int_codes(combined, combined >= 0 if missing else _ALL, sort)
            columns = [("recoded", first, columns)]
            (combined, missing), width_total = _combine(combined, codes, width), \
                len(first) * width
        else:
            (combined, missing), width_total = _combine(combined, codes, width), \
                width_total * width
        columns.append((uniques, width))
    if len(keys) == 1 and (sort or columns[0][1] == len(columns[0][0])):
        # one column: its codes are the groups' already (unless a missing group, coded
        # last, must take its place of first appearance)
        ngroups = columns[0][1]
        return combined, _split_keys(np.arange(ngroups, dtype=np.int64), columns), ngroups
    if last is not None:
        group_codes, composite = _pair_codes(combined, *last, width_total, sort)
    else:
        group_codes, composite = _int_codes(combined, combined >= 0 if missing else _ALL,
                                            sort)
    return group_codes, _split_keys(composite, columns), len(composite)


def _pair_codes(codes, col, width, size, sort):
    """``_int_codes`` of ``codes * width + col`` (-1 where either is) within [0, size),
    in ``codes`` (a fresh array of ours: rewritten in place): combined and marked by row
    chunks on threads, then renumbered in place unless every pair occurs and in order."""
    n = len(codes)
    chunks = _chunks(n)
    seen = [np.full(size, -1, np.int64) for _ in chunks]
    _on_threads(_pair_mark, [(codes[a:b], col[a:b], width, a, s)
                             for (a, b), s in zip(chunks, seen)])
    first = seen[0]
    for other in seen[1:]:   # a chunk's rows all precede the next chunk's
        first = np.where(first >= 0, first, other)
    table, composite = _window_table(first, sort)
    if len(composite) != size or (composite != np.arange(size)).any():
        _on_threads(_shift_codes, [(codes[a:b], table, 0) for a, b in chunks])
    return codes, composite


def _split_keys(composite, columns):
    """Each key column's value per group, from the composite codes (the last column
    varies fastest)."""
    out = []
    rest = composite
    for entry in reversed(columns):
        if isinstance(entry[0], str):   # ("recoded", first, inner columns)
            _, first, inner = entry
            out.extend(reversed(_split_keys(first[rest], inner)))
            continue
        uniques, width = entry
        col_codes = rest % max(width, 1)
        rest = rest // max(width, 1)
        col_codes = np.where(col_codes >= len(uniques), -1, col_codes)   # the missing code
        out.append(_take_keys(uniques, col_codes))
    return out[::-1]


# --- segment reductions ---------------------------------------------------------------------
def segment_reduce(values, codes, ngroups: int, how: str, skipna: bool = True, ddof=1,
                   min_count: int = 0) -> LazyArray:
    """Per-group reduction of ``values`` by ``codes`` (from ``factorize``), lazily.

    ``how``: sum, mean, count, size, min, max, prod, var, std, first, last (pandas'
    groupby semantics and result dtypes: NaN skipped when ``skipna``, count of non-NaN
    values, first/last non-NaN value; rows with code -1 are ignored). ``values`` may be a
    lazy expression: it is fused into the reduction's loop. Result: a lazy array of
    ``ngroups`` values. Signed/unsigned integer sums are int64/uint64 (pandas narrows a
    small integer dtype back when the sums fit: data-dependent, left to the caller).
    Raises NotImplementedError for min_count > 1 with non-float values (the caller falls
    back to pandas).
    """
    if how not in SEGMENT_HOWS:
        raise ValueError(f"unknown segment reduction {how!r}; known: {sorted(SEGMENT_HOWS)}")
    v, c = to_node(values), to_node(codes)
    if how in ("sum", "prod") and min_count > 1 and v.dtype.kind != "f":
        # pandas answers float64 with NaN only if some group has fewer values: the dtype
        # depends on the data, which a lazy result cannot
        raise NotImplementedError("min_count > 1 of non-float values (pandas' result "
                                  "dtype depends on the data)")
    if how == "size":   # rows per group: a count of values that are never missing
        how, v = "count", c
    return LazyArray(build.segment(Op[f"SEGMENT_{how.upper()}"], v, c, int(ngroups),
                                   skipna=bool(skipna), ddof=ddof, min_count=int(min_count)))


# --- joins ----------------------------------------------------------------------------------
def join_indices(left_keys, right_keys, how: str = "inner"):
    """Row indices of ``pandas.merge(left, right, on=keys, how=how)``: int64 arrays
    ``(left_idx, right_idx)`` with -1 where a row has no match, in merge's output order
    (inner/left: left rows in order, each with its matches in right order; right: the
    mirror; outer: keys sorted, missing keys last, left-major within a key). Missing keys
    match each other, as in pandas."""
    if how not in ("inner", "left", "right", "outer"):
        raise ValueError(f"how must be inner, left, right or outer, got {how!r}")
    if len(left_keys) != len(right_keys) or not left_keys:
        raise ValueError("len(right_on) must equal len(left_on)")
    if how == "right":
        r, l_ = join_indices(right_keys, left_keys, "left")
        return l_, r
    if how != "outer" and len(left_keys) == 1:
        lk, rk = _plain_ints(left_keys[0]), _plain_ints(right_keys[0])
        if lk is not None and rk is not None:
            pairs = _direct_join(lk, rk, how == "left")
            if pairs is not None:
                return pairs
            return hashtable.hash_join(lk, rk, how == "left", _chunks(len(lk)),
                                       _chunks(len(rk)))
    nl = len(left_keys[0])
    both = [_concat(a, b) for a, b in zip(left_keys, right_keys)]
    # any dense numbering serves inner/left (their order follows the rows); outer needs
    # the sorted one, which is also the one numbered on threads
    codes, _, ngroups = factorize(both, sort=True, dropna=False)
    lcodes, rcodes = codes[:nl], codes[nl:]
    if how == "outer":
        rstarts, rrows = hashtable.buckets(rcodes, ngroups)
        lstarts, lrows = hashtable.buckets(lcodes, ngroups)
        return _outer(np.arange(ngroups, dtype=np.int64), lstarts, lrows, rstarts, rrows)
    return _slot_join(lcodes, rcodes, 0, ngroups - 1, how == "left")


def _concat(a, b):
    import pandas as pd
    if isinstance(a, (pd.Series, pd.Index, pd.Categorical)) or \
            isinstance(b, (pd.Series, pd.Index, pd.Categorical)) or \
            isinstance(a, pd.api.extensions.ExtensionArray):
        return pd.concat([pd.Series(a), pd.Series(b)], ignore_index=True).array
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype and (a.dtype.kind in "OUS" or b.dtype.kind in "OUS"):
        return np.concatenate([a.astype(object), b.astype(object)])
    return np.concatenate([a, b])


def _plain_ints(a):
    """An int64 ndarray of a NumPy integer key column (no missing values), else None."""
    import pandas as pd
    if isinstance(a, (pd.Series, pd.Index)):
        a = a.array
    if isinstance(a, pd.arrays.NumpyExtensionArray):
        a = a.to_numpy()
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "iu" or \
            (a.dtype.kind == "u" and a.dtype.itemsize == 8):
        return None
    return np.ascontiguousarray(a, dtype=np.int64)


def _direct_join(lk, rk, keep_unmatched):
    """inner/left rows of integer keys whose right side spans a compact range: the right
    rows by key slot (a direct table), the left keys probing it by row chunks on threads
    (no factorization of the left side, no concatenation). None if the range is not
    compact."""
    if len(rk) == 0:
        return None
    lo, hi = int(rk.min()), int(rk.max())
    span = hi - lo + 1
    if span > max(4 * len(rk), 1 << 16) or span > (1 << 26):
        return None
    return _slot_join(lk, rk, lo, hi, keep_unmatched)


def _slot_join(lk, rk, lo, hi, keep_unmatched):
    """inner/left rows of int64 keys, the right keys all within [lo, hi] (slots of a
    direct table), the left ones anything: by left-row chunks on threads, in merge's
    order whatever the threads."""
    span = hi - lo + 1
    chunks = _chunks(len(lk))
    pos, repeats = _slots(rk, lo, span)
    if not repeats:   # unique right keys (a dimension table): each left row, 0 or 1 match
        left = np.empty(len(lk), np.int64)
        right = np.empty(len(lk), np.int64)
        counts = _on_threads(_unique_probe, [(lk[a:b], a, lo, hi, pos, keep_unmatched,
                                              left[a:], right[a:]) for a, b in chunks])
        if sum(counts) == len(lk):
            return left, right
        # some left rows unmatched (inner): each chunk's rows after the previous chunks'
        return (np.concatenate([left[a:a + c] for (a, _), c in zip(chunks, counts)]),
                np.concatenate([right[a:a + c] for (a, _), c in zip(chunks, counts)]))
    starts, rows = _slot_buckets(rk, lo, span)
    counts = _on_threads(_slot_probe_count, [(lk[a:b], lo, hi, starts, keep_unmatched)
                                             for a, b in chunks])
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    left = np.empty(offsets[-1], np.int64)
    right = np.empty(offsets[-1], np.int64)
    _on_threads(_slot_probe_fill, [(lk[a:b], a, lo, hi, starts, rows, keep_unmatched,
                                    left[o:e], right[o:e])
                                   for (a, b), o, e in zip(chunks, offsets[:-1],
                                                           offsets[1:])])
    return left, right

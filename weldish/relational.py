"""Relational kernels for the pandas frontend: group codes, segment reductions, joins.

- ``factorize``: rows -> dense group codes with pandas.groupby's group order (eager: the
  number of groups depends on the data). A compiled hash table (Numba, GIL released) on
  64-bit keys; strings/objects are dictionary-encoded by pandas first; several keys are
  combined into one composite code.
- ``segment_reduce``: a lazy per-group reduction, recorded as a ``segment_*`` op of the
  OPS table, so the values' expression fuses into the loop that scatters into per-thread
  accumulators (LLVM backend).
- ``join_indices``: the row pairs of ``pandas.merge`` (inner/left/right/outer) in its
  output order, from a compiled hash join (the keys factorized together, the right side
  bucketed by key, the left side probing it).
"""
from __future__ import annotations

import itertools

import numpy as np
from numba import njit

from .ir import build
from .ir.ops import SEGMENT_HOWS, Op
from .lazy import LazyArray, to_node

__all__ = ["factorize", "join_indices", "segment_reduce"]

_MIX = np.uint64(0x9E3779B97F4A7C15)   # Fibonacci hashing: multiply, keep the top bits


# --- compiled pieces ------------------------------------------------------------------------
@njit(nogil=True, cache=True)
def _hash_codes(keys, valid):
    """First-appearance codes of int64 ``keys`` (-1 where not ``valid``; an empty ``valid``:
    all are) and the key of each code. Open addressing, linear probing, grown at half
    load."""
    n = keys.shape[0]
    check = valid.shape[0] > 0
    bits = 10
    cap = 1 << bits
    slots = np.full(cap, -1, np.int64)        # slot -> code
    uniq = np.empty(min(n, 1024) + 1, np.int64)
    codes = np.empty(n, np.int64)
    count = 0
    for i in range(n):
        if check and not valid[i]:
            codes[i] = -1
            continue
        k = keys[i]
        h = (np.uint64(k) * _MIX) >> np.uint64(64 - bits)
        j = np.int64(h)
        while True:
            c = slots[j]
            if c < 0:
                break
            if uniq[c] == k:
                break
            j = (j + 1) & (cap - 1)
        if c >= 0:
            codes[i] = c
            continue
        if count == uniq.shape[0]:
            grown = np.empty(2 * count, np.int64)
            grown[:count] = uniq
            uniq = grown
        uniq[count] = k
        slots[j] = count
        codes[i] = count
        count += 1
        if 2 * count > cap:   # rehash into a table twice the size
            bits += 1
            cap = 1 << bits
            slots = np.full(cap, -1, np.int64)
            for c2 in range(count):
                j = np.int64((np.uint64(uniq[c2]) * _MIX) >> np.uint64(64 - bits))
                while slots[j] >= 0:
                    j = (j + 1) & (cap - 1)
                slots[j] = c2
    return codes, uniq[:count].copy()


@njit(nogil=True, cache=True)
def _range_codes(keys, valid, lo, span):
    """``_hash_codes`` for keys within [lo, lo + span): a direct table instead of hashing."""
    table = np.full(span, -1, np.int64)
    n = keys.shape[0]
    check = valid.shape[0] > 0
    codes = np.empty(n, np.int64)
    uniq = np.empty(min(span, n), np.int64)
    count = 0
    for i in range(n):
        if check and not valid[i]:
            codes[i] = -1
            continue
        t = keys[i] - lo
        c = table[t]
        if c < 0:
            c = count
            table[t] = c
            uniq[c] = keys[i]
            count += 1
        codes[i] = c
    return codes, uniq[:count].copy()


@njit(nogil=True, cache=True)
def _window_scan(keys, valid, base, top, first, seen, out):
    """Marks ``seen[key - base]`` with the first row (numbered from ``first``) of each
    valid key in [base, top] (-1: none); returns (smallest, largest, how many) of the
    valid keys outside it; ``out``: each row's slot (key - base; -1: not valid), the
    codes themselves when the table turns out to be the identity. One pass: a direct
    table's marks, and bounds only where the window misses (the marks give the others')."""
    check = valid.shape[0] > 0
    lo, hi, count = np.iinfo(np.int64).max, np.iinfo(np.int64).min, 0
    for i in range(keys.shape[0]):
        if check and not valid[i]:
            out[i] = -1
            continue
        k = keys[i]
        out[i] = k - base
        if base <= k <= top:
            if seen[k - base] < 0:   # read-mostly: threads do not share written lines
                seen[k - base] = first + i
        else:
            lo = min(lo, k)
            hi = max(hi, k)
            count += 1
    return lo, hi, count


@njit(nogil=True, cache=True)
def _window_mark(keys, valid, base, top, seen, out):
    """``_window_scan`` with marks only (``seen[key - base] = 1``: a table of this chunk's
    own, written without a test)."""
    check = valid.shape[0] > 0
    lo, hi, count = np.iinfo(np.int64).max, np.iinfo(np.int64).min, 0
    for i in range(keys.shape[0]):
        if check and not valid[i]:
            out[i] = -1
            continue
        k = keys[i]
        out[i] = k - base
        if base <= k <= top:
            seen[k - base] = 1
        else:
            lo = min(lo, k)
            hi = max(hi, k)
            count += 1
    return lo, hi, count


@njit(nogil=True, cache=True)
def _range_mark(keys, valid, lo, table):
    """table[key - lo] = 0 for each valid key (threads marking one table write the same
    value: the result does not depend on their order)."""
    check = valid.shape[0] > 0
    for i in range(keys.shape[0]):
        if (not check or valid[i]) and table[keys[i] - lo] != 0:   # no needless writes
            table[keys[i] - lo] = 0


@njit(nogil=True, cache=True)
def _range_number(table, lo):
    """Marked slots numbered in key order; returns the keys in that order."""
    uniq = np.empty(table.shape[0], np.int64)
    count = 0
    for t in range(table.shape[0]):
        if table[t] == 0:
            table[t] = count
            uniq[count] = lo + t
            count += 1
    return uniq[:count].copy()


@njit(nogil=True, cache=True)
def _range_lookup(keys, valid, lo, table, out):
    check = valid.shape[0] > 0
    for i in range(keys.shape[0]):
        out[i] = table[keys[i] - lo] if not check or valid[i] else -1


@njit(nogil=True, cache=True)
def _integral(values):
    """(int64 values, whether any is NaN, whether all others are integers within 2**53).
    Stops at the first value that is not: the first two are then unfinished."""
    ints = np.empty(values.shape[0], np.int64)
    has_nan = False
    for i in range(values.shape[0]):
        x = values[i]
        if x != x:
            ints[i] = 0
            has_nan = True
        elif -9007199254740992.0 <= x <= 9007199254740992.0 and x == np.floor(x):
            ints[i] = np.int64(x)
        else:
            return ints, has_nan, False
    return ints, has_nan, True


@njit(nogil=True, cache=True)
def _remap(codes, mapping):
    out = np.empty_like(codes)
    for i in range(codes.shape[0]):
        c = codes[i]
        out[i] = -1 if c < 0 else mapping[c]
    return out


@njit(nogil=True, cache=True)
def _combine_into(codes, col, width, out):
    """out = codes * width + col, -1 where either is -1; whether any is."""
    missing = False
    for i in range(codes.shape[0]):
        if codes[i] < 0 or col[i] < 0:
            out[i] = -1
            missing = True
        else:
            out[i] = codes[i] * width + col[i]
    return missing


def _combine(codes, col, width):
    """(codes * width + col, -1 where either is -1; whether any is), by row chunks on
    threads."""
    out = np.empty_like(codes)
    chunks = _chunks(len(codes))
    missing = _on_threads(_combine_into, [(codes[a:b], col[a:b], width, out[a:b])
                                          for a, b in chunks])
    return out, any(missing)


@njit(nogil=True, cache=True)
def _buckets(codes, ngroups):
    """Rows by code, each code's rows in row order (CSR: starts[g]..starts[g+1])."""
    starts = np.zeros(ngroups + 1, np.int64)
    for i in range(codes.shape[0]):
        starts[codes[i] + 1] += 1
    for g in range(ngroups):
        starts[g + 1] += starts[g]
    fill = starts[:-1].copy()
    rows = np.empty(codes.shape[0], np.int64)
    for i in range(codes.shape[0]):
        c = codes[i]
        rows[fill[c]] = i
        fill[c] += 1
    return starts, rows


@njit(nogil=True, cache=True)
def _outer(order, lstarts, lrows, rstarts, rrows):
    """Key by key (``order``: codes sorted by key): each left row of the key with each
    right row of it (left-major), or with -1 where the other side lacks the key."""
    total = 0
    for g in order:
        nl, nr = lstarts[g + 1] - lstarts[g], rstarts[g + 1] - rstarts[g]
        total += nl * nr if nl > 0 and nr > 0 else nl + nr
    left = np.empty(total, np.int64)
    right = np.empty(total, np.int64)
    at = 0
    for g in order:
        nl, nr = lstarts[g + 1] - lstarts[g], rstarts[g + 1] - rstarts[g]
        if nl == 0 or nr == 0:
            for j in range(lstarts[g], lstarts[g + 1]):
                left[at], right[at] = lrows[j], -1
                at += 1
            for j in range(rstarts[g], rstarts[g + 1]):
                left[at], right[at] = -1, rrows[j]
                at += 1
            continue
        for a in range(lstarts[g], lstarts[g + 1]):
            for b in range(rstarts[g], rstarts[g + 1]):
                left[at], right[at] = lrows[a], rrows[b]
                at += 1
    return left, right


@njit(nogil=True, cache=True)
def _slots(keys, lo, span):
    """Direct table of int64 ``keys`` within [lo, lo + span): slot -> its row (-1: none);
    whether a key repeats (the table is then unfinished)."""
    pos = np.full(span, -1, np.int64)
    for i in range(keys.shape[0]):
        t = keys[i] - lo
        if pos[t] >= 0:
            return pos, True
        pos[t] = i
    return pos, False


@njit(nogil=True, cache=True)
def _slot_buckets(keys, lo, span):
    """Rows by key slot, each slot's rows in row order (CSR: starts[t]..starts[t+1])."""
    starts = np.zeros(span + 1, np.int64)
    for i in range(keys.shape[0]):
        starts[keys[i] - lo + 1] += 1
    for t in range(span):
        starts[t + 1] += starts[t]
    fill = starts[:-1].copy()
    rows = np.empty(keys.shape[0], np.int64)
    for i in range(keys.shape[0]):
        t = keys[i] - lo
        rows[fill[t]] = i
        fill[t] += 1
    return starts, rows


@njit(nogil=True, cache=True)
def _unique_probe(keys, first, lo, hi, pos, keep_unmatched, left, right):
    """Left rows (numbered from ``first``) against a right side whose keys are unique
    (``pos``: slot -> right row): written from the start of ``left``/``right``; how many.
    Independent rows (no bucket walk): one random read per row."""
    at = 0
    for i in range(keys.shape[0]):
        k = keys[i]
        r = pos[k - lo] if lo <= k <= hi else -1
        if r >= 0 or keep_unmatched:
            left[at] = first + i
            right[at] = r
            at += 1
    return at


@njit(nogil=True, cache=True)
def _slot_probe_count(keys, lo, hi, starts, keep_unmatched):
    """How many output rows these left rows make (``_slot_probe_fill``'s)."""
    total = 0
    for i in range(keys.shape[0]):
        k = keys[i]
        m = starts[k - lo + 1] - starts[k - lo] if lo <= k <= hi else 0
        total += m if m > 0 else (1 if keep_unmatched else 0)
    return total


@njit(nogil=True, cache=True)
def _slot_probe_fill(keys, first, lo, hi, starts, rows, keep_unmatched, left, right):
    """Each left row in order (numbered from ``first``) with its right matches in right
    order (-1: none, kept only when ``keep_unmatched``), written from the start of
    ``left``/``right``; the left keys index the right side's buckets directly."""
    at = 0
    for i in range(keys.shape[0]):
        k = keys[i]
        a, b = (starts[k - lo], starts[k - lo + 1]) if lo <= k <= hi else (0, 0)
        if a == b:
            if keep_unmatched:
                left[at] = first + i
                right[at] = -1
                at += 1
            continue
        for j in range(a, b):
            left[at] = first + i
            right[at] = rows[j]
            at += 1


_FNV = np.uint64(0x100000001B3)


@njit(nogil=True, cache=True)
def _str_codes(offsets, data, words64, bitmap, bit0, first, out):
    """First-appearance codes of Arrow strings (``offsets``/``data``; ``bitmap``: the
    validity bits from bit ``bit0``, empty: all valid) into ``out`` (-1: missing); the
    row (numbered from ``first``) of each code's first appearance. Each string's first 8
    bytes packed in a word (short strings compare as one word, their length apart; longer
    ones byte by byte after it), read from ``words64`` (``data`` as aligned words, padded
    by one): two loads and shifts, no byte loop; open addressing, grown at half load."""
    n = out.shape[0]
    check = bitmap.shape[0] > 0
    bits = 10
    cap = 1 << bits
    slots = np.full(cap, -1, np.int64)        # slot -> code
    reps = np.empty(1024, np.int64)           # code -> its first row (local)
    words = np.empty(1024, np.uint64)         # code -> its first 8 bytes
    lens = np.empty(1024, np.int64)
    hashes = np.empty(1024, np.uint64)
    count = 0
    for i in range(n):
        if check and not (bitmap[(bit0 + i) >> 3] >> ((bit0 + i) & 7)) & 1:
            out[i] = -1
            continue
        a, b = offsets[i], offsets[i + 1]
        q = a >> 3
        sh = np.uint64(8 * (a & 7))   # (the high word shifted in two steps: sh may be 0)
        w = (words64[q] >> sh) | ((words64[q + 1] << (np.uint64(63) - sh)) << np.uint64(1))
        m = min(b - a, 8)
        w &= ((np.uint64(1) << np.uint64(8 * m - 1)) << np.uint64(1)) - np.uint64(1) \
            if m > 0 else np.uint64(0)
        h = w ^ (np.uint64(b - a) << np.uint64(56))
        for p in range(a + 8, b):
            h = (h ^ np.uint64(data[p])) * _FNV
        h *= _MIX
        j = np.int64(h >> np.uint64(64 - bits))
        while True:
            c = slots[j]
            if c < 0:
                break
            if hashes[c] == h and words[c] == w and lens[c] == b - a:
                if b - a <= 8:
                    break
                ra = offsets[reps[c]]
                same = True
                for p in range(8, b - a):
                    if data[ra + p] != data[a + p]:
                        same = False
                        break
                if same:
                    break
            j = (j + 1) & (cap - 1)
        if c >= 0:
            out[i] = c
            continue
        if count == reps.shape[0]:
            grown = np.empty(2 * count, np.int64)
            grown[:count] = reps
            reps = grown
            grown_w = np.empty(2 * count, np.uint64)
            grown_w[:count] = words
            words = grown_w
            grown_h = np.empty(2 * count, np.uint64)
            grown_h[:count] = hashes
            hashes = grown_h
            grown_l = np.empty(2 * count, np.int64)
            grown_l[:count] = lens
            lens = grown_l
        reps[count] = i
        words[count] = w
        lens[count] = b - a
        hashes[count] = h
        slots[j] = count
        out[i] = count
        count += 1
        if 2 * count > cap:   # rehash into a table twice the size
            bits += 1
            cap = 1 << bits
            slots = np.full(cap, -1, np.int64)
            for c2 in range(count):
                j = np.int64(hashes[c2] >> np.uint64(64 - bits))
                while slots[j] >= 0:
                    j = (j + 1) & (cap - 1)
                slots[j] = c2
    return reps[:count] + first


@njit(nogil=True, cache=True)
def _shift_codes(codes, mapping, base):
    """codes[i] = mapping[base + codes[i]] in place (-1 stays)."""
    for i in range(codes.shape[0]):
        c = codes[i]
        if c >= 0:
            codes[i] = mapping[base + c]


@njit(nogil=True, cache=True)
def _pair_mark(codes, col, width, first, seen):
    """codes = codes * width + col (-1 where either is -1), in place; seen[that]: the
    first row (numbered from ``first``) of each pair."""
    for i in range(codes.shape[0]):
        a, b = codes[i], col[i]
        if a < 0 or b < 0:
            codes[i] = -1
            continue
        t = a * width + b
        codes[i] = t
        if seen[t] < 0:   # read-mostly: threads do not share written lines
            seen[t] = first + i


# --- factorize --------------------------------------------------------------------------------
def _int_codes(keys, valid, sort):
    """Codes of int64 keys (-1 where not ``valid``; an empty ``valid``: all are), numbered
    in key order (``sort``) or by first appearance, and each code's key. Keys within a
    window guessed from the first ones: one pass (bounds and marks, by row chunks on
    threads), then one lookup pass; else a direct table for a compact range, else the
    hash table."""
    n = keys.shape[0]
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    chunks = _chunks(n)
    pieces = [(keys[a:b], valid[a:b] if valid.shape[0] else valid) for a, b in chunks]
    base, top = _window(keys, valid, n)
    codes = np.empty(n, np.int64)
    outs = [codes[a:b] for a, b in chunks]
    if sort:   # marks only: a byte per key
        seen = [np.zeros(top - base + 1, np.uint8) for _ in chunks]
        parts = _on_threads(_window_mark, [p + (base, top, s, o)
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
    if hi - lo < max(4 * n, 1 << 16) and hi - lo < (1 << 26):
        if not sort:
            return _range_codes(keys, valid, lo, hi - lo + 1)
        table = np.full(hi - lo + 1, -1, np.int64)
        _on_threads(_range_mark, [p + (lo, table) for p in pieces])
        uniques = _range_number(table, lo)
        codes = np.empty(n, np.int64)
        _on_threads(_range_lookup, [p + (lo, table, codes[a:b])
                                    for p, (a, b) in zip(pieces, chunks)])
        return codes, uniques
    codes, uniques = _hash_codes(keys, valid)
    if sort:
        order = np.argsort(uniques, kind="stable")
        codes, uniques = _remap(codes, _ranks(order)), uniques[order]
    return codes, uniques


_WINDOW = 1 << 17   # keys a first pass marks in a direct table while finding the bounds
_I64 = np.iinfo(np.int64)


def _window(keys, valid, n):
    """[base, top]: a direct table's range guessed from the first keys (the keys' range
    if they are small non-negative integers, else one centred on the first keys')."""
    width = min(_WINDOW, 4 * n + 64)
    head = keys[:256] if not valid.shape[0] else keys[:256][valid[:256]]
    lo, hi = (int(head.min()), int(head.max())) if head.size else (0, 0)
    base = 0 if lo >= 0 and hi < width else lo - max(0, (width - (hi - lo)) // 2)
    base = max(min(base, _I64.max - width + 1), _I64.min)
    return base, base + width - 1


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
            codes, uniques = _remap(codes, _ranks(order)), uniques[order]
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
    nl = len(left_keys[0])
    both = [_concat(a, b) for a, b in zip(left_keys, right_keys)]
    # any dense numbering serves inner/left (their order follows the rows); outer needs
    # the sorted one, which is also the one numbered on threads
    codes, _, ngroups = factorize(both, sort=True, dropna=False)
    lcodes, rcodes = codes[:nl], codes[nl:]
    if how == "outer":
        rstarts, rrows = _buckets(rcodes, ngroups)
        lstarts, lrows = _buckets(lcodes, ngroups)
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

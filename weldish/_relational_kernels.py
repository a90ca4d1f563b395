"""Compiled pieces of ``weldish.relational`` (Numba, GIL released, cached on disk): direct
tables for group codes and join probes, Arrow string hashing. Each works on one row chunk;
``weldish.relational`` splits rows into chunks and runs them on threads. (The hash tables
of int64 keys are the LLVM backend's: ``weldish.backends.llvm.hashtable``.)"""
from __future__ import annotations

import numpy as np
from numba import njit

_MIX = np.uint64(0x9E3779B97F4A7C15)   # Fibonacci hashing: multiply, keep the top bits
_FNV = np.uint64(0x100000001B3)   # FNV-1a's prime: the bytes past a string's first 8


@njit(nogil=True, cache=True)
def _range_codes(keys, valid, lo, span):
    """First-appearance codes of int64 ``keys`` within [lo, lo + span) (-1 where not
    ``valid``; an empty ``valid``: all are) and the key of each code: a direct table."""
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
    """Marks ``seen[key - base]`` for each valid key in [base, top]: with the first row
    (numbered from ``first``) of the key (-1: none), or, ``first < 0``, with 1 written
    without a test (a byte table of this chunk's own); returns (smallest, largest, how
    many) of the valid keys outside it; ``out``: each row's slot (key - base; -1: not
    valid), the codes themselves when the table turns out to be the identity. One pass: a
    direct table's marks, and bounds only where the window misses (the marks give the
    others')."""
    check = valid.shape[0] > 0
    mark_only = first < 0
    lo, hi, count = np.iinfo(np.int64).max, np.iinfo(np.int64).min, 0
    for i in range(keys.shape[0]):
        if check and not valid[i]:
            out[i] = -1
            continue
        k = keys[i]
        out[i] = k - base
        if base <= k <= top:
            if mark_only:
                seen[k - base] = 1
            elif seen[k - base] < 0:   # read-mostly: threads do not share written lines
                seen[k - base] = first + i
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


@njit(nogil=True, cache=True)
def _doubled(a, count):
    """``a``'s first ``count`` entries in an array twice as long."""
    out = np.empty(2 * count, a.dtype)
    out[:count] = a[:count]
    return out


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
            reps, words = _doubled(reps, count), _doubled(words, count)
            hashes, lens = _doubled(hashes, count), _doubled(lens, count)
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

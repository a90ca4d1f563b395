"""The LLVM backend's hash tables of int64 keys (backends/llvm/hashtable.py) against
pandas: ``pd.factorize`` (codes, uniques; first-appearance and sorted numbering), groupby's
group order and ``pd.merge``'s rows, directly and through ``weldish.relational``, on
awkward keys (negatives, the int64 extremes, keys that collide in the table, all missing,
empty, one row, more groups than a chunk has rows), by one and by several row chunks."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from weldish.backends.llvm import hashtable

from weldish import relational

I64 = np.iinfo(np.int64)
RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def backend():
    """Once, not once per backend (tests/backends/conftest.py): these kernels are the LLVM
    backend's whichever backend evaluates lazy arrays."""
    yield "llvm"


def _keys(kind, n):
    if kind == "random":   # negatives and positives over the whole range, repeated
        return RNG.integers(I64.min, I64.max, max(n // 3, 1), endpoint=True)[
            RNG.integers(0, max(n // 3, 1), n)]
    if kind == "small":
        return RNG.integers(-5, 6, n)
    if kind == "extremes":
        return RNG.choice(np.array([I64.min, I64.max, 0, -1, 1, I64.min + 1, I64.max - 1]),
                          n)
    if kind == "collide":   # multiples of large powers of two: equal low bits
        return RNG.integers(-300, 300, n) << RNG.choice(np.array([20, 40, 52]), n)
    if kind == "distinct":   # every row its own group: more groups than a chunk's rows
        return RNG.permutation(n).astype(np.int64) * 7919 - 3 * n
    raise ValueError(kind)


KINDS = ["random", "small", "extremes", "collide", "distinct"]
SIZES = [0, 1, 7, 2500]   # 2500: tables grown (from 512 keys) within chunks and merged


def _chunks(n, k):
    k = max(1, min(k, n))
    return [(n * i // k, n * (i + 1) // k) for i in range(k)]


def _pandas_factorize(keys, valid, sort):
    values = pd.array(keys, dtype="Int64")
    if valid.shape[0]:
        values[~valid] = pd.NA
    codes, uniques = pd.factorize(values, sort=sort, use_na_sentinel=True)
    return np.asarray(codes, np.int64), np.asarray(uniques, np.int64)


@pytest.mark.parametrize("kind", KINDS)
def test_factorize_matches_pandas(kind):
    for n, k, sort, missing in itertools.product(SIZES, (1, 3, 8), (False, True),
                                                 (None, 0.3, 1.0)):
        keys = _keys(kind, n)
        valid = np.empty(0, bool) if missing is None else RNG.random(n) >= missing
        codes, uniques = hashtable.factorize(keys, valid, sort, _chunks(n, k))
        want_codes, want_uniques = _pandas_factorize(keys, valid, sort)
        what = f"n={n} chunks={k} sort={sort} missing={missing}"
        np.testing.assert_array_equal(codes, want_codes, err_msg=what)
        np.testing.assert_array_equal(uniques, want_uniques, err_msg=what)
        assert codes.dtype == uniques.dtype == np.int64


@pytest.mark.parametrize("kind", KINDS)
def test_sorted_codes_by_lookup(kind, monkeypatch):
    """Many distinct keys: their ranks from a sort and table lookups (on threads)."""
    monkeypatch.setattr(hashtable, "_SORT_BY_LOOKUP", 4)
    monkeypatch.setattr(hashtable, "_PARALLEL_KEYS", 64)
    for n, k, missing in itertools.product(SIZES, (1, 3), (None, 0.3)):
        keys = _keys(kind, n)
        valid = np.empty(0, bool) if missing is None else RNG.random(n) >= missing
        codes, uniques = hashtable.factorize(keys, valid, True, _chunks(n, k))
        want_codes, want_uniques = _pandas_factorize(keys, valid, True)
        np.testing.assert_array_equal(codes, want_codes, err_msg=f"n={n} chunks={k}")
        np.testing.assert_array_equal(uniques, want_uniques, err_msg=f"n={n} chunks={k}")


def test_factorize_keys_stay_unchanged():
    keys = _keys("collide", 300)
    before = keys.copy()
    hashtable.factorize(keys, keys > 0, True, _chunks(300, 4))
    np.testing.assert_array_equal(keys, before)


@pytest.mark.parametrize("kind", ["random", "extremes", "collide", "distinct"])
def test_groupby_order_through_relational(kind, monkeypatch):
    """relational.factorize takes the hash tables for keys far apart (not the direct
    tables of a compact range: at once when the first keys are, else after the window
    pass), by row chunks on threads: groupby's groups and order."""
    monkeypatch.setattr(relational, "_PARALLEL_ROWS", 64)
    n = 1500
    keys = _keys(kind, n)
    if kind == "random":   # the first keys close: a direct window's pass first, missed
        keys[:300] = RNG.integers(-20, 30, 300)
    floats = np.where(RNG.random(n) < 0.2, np.nan, (keys >> 11).astype(np.float64))
    df = pd.DataFrame({"k": keys, "f": floats, "j": RNG.integers(0, 3, n)})
    for cols, sort, dropna in itertools.product((["k"], ["f"], ["k", "j"], ["j", "f"]),
                                                (True, False), (True, False)):
        codes, uniques, ngroups = relational.factorize([df[c] for c in cols], sort=sort,
                                                       dropna=dropna)
        want = df.groupby(cols, sort=sort, dropna=dropna).ngroup()
        np.testing.assert_array_equal(codes, want.fillna(-1).to_numpy().astype(np.int64),
                                      err_msg=f"{cols} sort={sort} dropna={dropna}")
        assert ngroups == want.max() + 1 if len(want) else ngroups == 0
        np.testing.assert_array_equal(uniques[0], df.groupby(
            cols, sort=sort, dropna=dropna).size().index.to_frame()[cols[0]].to_numpy())


def _merge_rows(lk, rk, how):
    m = pd.merge(pd.DataFrame({"k": lk, "_l": np.arange(len(lk))}),
                 pd.DataFrame({"k": rk, "_r": np.arange(len(rk))}), on="k", how=how)
    return (m["_l"].fillna(-1).to_numpy().astype(np.int64),
            m["_r"].fillna(-1).to_numpy().astype(np.int64))


@pytest.mark.parametrize("kind", KINDS)
def test_hash_join_matches_merge(kind):
    for nl, nr, k, how in itertools.product((0, 1, 700), (0, 1, 40, 300), (1, 3, 8),
                                            ("inner", "left")):
        keys = _keys(kind, nl + nr)
        lk, rk = keys[:nl], keys[nl:]
        got = hashtable.hash_join(lk, rk, how == "left", _chunks(nl, k), _chunks(nr, k))
        want = _merge_rows(lk, rk, how)
        what = f"nl={nl} nr={nr} chunks={k} how={how}"
        np.testing.assert_array_equal(got[0], want[0], err_msg=what)
        np.testing.assert_array_equal(got[1], want[1], err_msg=what)


@pytest.mark.parametrize("unique", [True, False])
def test_join_indices_takes_the_hash_join(unique, monkeypatch):
    """Integer keys too far apart for a direct table: the hash join, by chunks on threads,
    in merge's order for every how (right: the mirror; outer: factorized together)."""
    monkeypatch.setattr(relational, "_PARALLEL_ROWS", 64)
    right = _keys("distinct" if unique else "collide", 400) << 20
    left = np.concatenate([right[RNG.integers(0, 400, 900)], _keys("random", 100)])
    RNG.shuffle(left)
    for how in ("inner", "left", "right", "outer"):
        got = relational.join_indices([left], [right], how)
        want = _merge_rows(left, right, how)
        np.testing.assert_array_equal(got[0], want[0], err_msg=how)
        np.testing.assert_array_equal(got[1], want[1], err_msg=how)


def test_buckets_and_remap():
    codes = RNG.integers(0, 50, 1000)
    starts, rows = hashtable.buckets(codes, 60)
    np.testing.assert_array_equal(rows, np.argsort(codes, kind="stable"))
    np.testing.assert_array_equal(starts[:61], np.concatenate(
        [[0], np.cumsum(np.bincount(codes, minlength=60))]))
    mapping = RNG.permutation(50)
    codes[::7] = -1
    want = np.where(codes >= 0, mapping[np.maximum(codes, 0)], -1)
    np.testing.assert_array_equal(hashtable.remap(codes, mapping, _chunks(1000, 3)), want)
    with pytest.raises(ValueError):
        hashtable.remap(codes[::2], mapping, [(0, 500)])


def test_kernels_come_from_the_disk_cache(tmp_path):
    """The kernels go through the backend's engine: a new engine loads them from disk
    (and the module takes the new engine after a reset)."""
    from weldish.testing import fresh_llvm
    keys = _keys("random", 500)
    try:
        jit = fresh_llvm(tmp_path)
        want = hashtable.factorize(keys, np.empty(0, bool), True, _chunks(500, 2))
        assert jit.compiled == 3 and jit.disk.hits == 0   # factorize, lookup, remap
        jit = fresh_llvm(tmp_path)
        got = hashtable.factorize(keys, np.empty(0, bool), True, _chunks(500, 2))
        assert jit.compiled == 0 and jit.disk.hits == 3
    finally:
        fresh_llvm()   # back to the session's cache for the tests that follow
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])

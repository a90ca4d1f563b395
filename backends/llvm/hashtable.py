"""Hash tables of 64-bit integer keys, compiled by this backend: group codes (factorize)
and the build and probe of a hash join.

The kernels are emitted with llvmlite and go through the backend's one engine
(``Jit.function``: compiled once, kept in the disk cache). They share the fused kernels'
ABI, ``kernel(lo, hi, params, data, unused)``: ``[lo, hi)`` is the row range this call
covers, ``params`` an int64 array of settings (some written back: counts, where a call
stopped), ``data`` the operands' data pointers. Rows are split over the runtime's
persistent thread pool (a ctypes call releases the GIL).

The table: open addressing with linear probing, 2**bits slots of two int64 words (the key,
its code + 1; 0: empty), so a probe touches one cache line; the slot is the top bits of the
key mixed (xor-shift-multiply twice); at most half full. Each probe loop prefetches the
slot of the key 16 rows on. A call that would fill the table more stops and says where;
the table is grown (its keys re-inserted in code order, so the codes stay) and the call
resumes there. Memory is NumPy's throughout.

``factorize``: each row chunk numbers its keys by first appearance in a table of its own
(on threads), then the other chunks' distinct keys are inserted in chunk order into the
first chunk's table, which so numbers them by first appearance overall; the other chunks'
codes are mapped to those, on threads. Sorted numbering: each code's rank (the sorted keys
looked up in the table), and every chunk mapped. ``hash_join``: the right keys factorized
so (their table is the build; unique keys: each code is its row), their rows bucketed by
code (CSR), then the left rows probe it by chunks on threads: a count pass (which keeps
each row's code), then each chunk fills its part of the output from its offset, so the
order is merge's whatever the threads.
"""
from __future__ import annotations

import array
import ctypes
import hashlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import runtime
from .runtime import HEADER

_MIX = 0x9E3779B97F4A7C15   # Fibonacci hashing: multiply, keep the top bits
_MIX2 = 0xBF58476D1CE4E5B9   # (splitmix64's second multiplier)
_MIN_BITS = 10
_AHEAD = 16   # rows between a slot's prefetch and its probe
_SORT_BY_LOOKUP = 1 << 12   # distinct keys from which ranks come from a sort and lookups
_PARALLEL_KEYS = 1 << 16   # distinct keys from which they are looked up on threads
_ALL = np.empty(0, np.uint8)   # "every row is valid"


# --- emitting ------------------------------------------------------------------------------
class _Emitter:
    """One kernel function: its arguments, typed loads and stores, loops, the probe."""

    def __init__(self, name):
        from llvmlite import ir  # imported only when compiling
        self.ir = ir
        self.i64, self.i8, self.ptr = ir.IntType(64), ir.IntType(8), ir.PointerType()
        self.module = ir.Module(name=name)
        fn = ir.Function(self.module, ir.FunctionType(
            ir.VoidType(), [self.i64, self.i64, self.ptr, self.ptr, self.ptr]), name)
        for arg in fn.args:
            arg.add_attribute("noundef")
        self.fn = fn
        self.lo, self.hi, self.params, self.data, _ = fn.args
        # the allocas' block (the function's first: promoted to registers), then the code
        self.allocas = ir.IRBuilder(fn.append_basic_block("allocas"))
        self.b = ir.IRBuilder(fn.append_basic_block("entry"))

    def c(self, value):
        return self.ir.Constant(self.i64, value)

    def at(self, base, index, ty=None):
        return self.b.gep(base, [index], source_etype=ty or self.i64)

    def load(self, base, index, ty=None):
        return self.b.load(self.at(base, index, ty), typ=ty or self.i64)

    def store(self, value, base, index, ty=None):
        self.b.store(value, self.at(base, index, ty))

    def param(self, k):
        return self.load(self.params, self.c(k))

    def operand(self, k):
        return self.b.load(self.at(self.data, self.c(k), self.ptr), typ=self.ptr)

    def var(self, init):
        """A mutable int64 (an alloca in the entry block: promoted to a register)."""
        slot = self.allocas.alloca(self.i64)
        self.b.store(init, slot)
        return slot

    def get(self, slot):
        return self.b.load(slot, typ=self.i64)

    def set(self, slot, value):
        self.b.store(value, slot)

    @contextmanager
    def loop(self, lo, hi):
        """for i in [lo, hi): yields (i, the block that goes on to the next i)."""
        b = self.b
        slot = self.var(lo)
        cond, body = b.append_basic_block("cond"), b.append_basic_block("body")
        step, done = b.append_basic_block("step"), b.append_basic_block("done")
        b.branch(cond)
        b.position_at_end(cond)
        i = self.get(slot)
        b.cbranch(b.icmp_signed("<", i, hi), body, done)
        b.position_at_end(body)
        yield i, step
        if not b.block.is_terminated:
            b.branch(step)
        b.position_at_end(step)
        b.store(b.add(i, self.c(1)), slot)
        b.branch(cond)
        b.position_at_end(done)

    def table(self, bits):
        """(shift, mask) of a table of 2**bits slots."""
        b = self.b
        return b.sub(self.c(64), bits), b.sub(b.shl(self.c(1), bits), self.c(1))

    @contextmanager
    def probes(self, keys, tab, bits):
        """for each row i of the call: yields (i, the code of ``keys[i]`` in ``tab``, -1
        if absent), the slot of a row ahead prefetched. Only reads the table."""
        shift, mask = self.table(bits)
        with self.loop(self.lo, self.hi) as (i, _):
            self.prefetch(keys, i, tab, shift)
            yield i, self.find(tab, self.load(keys, i), shift, mask)

    def home(self, key, shift):
        """``key``'s first slot: the top bits of the key mixed (two rounds of xor-shift
        and multiply: keys in an arithmetic progression, or apart only in their high
        bits, spread over the table as random ones do)."""
        b = self.b
        x = b.mul(b.xor(key, b.lshr(key, self.c(32))), self.c(_MIX))
        x = b.mul(b.xor(x, b.lshr(x, self.c(29))), self.c(_MIX2))
        return b.lshr(x, shift)

    def prefetch(self, keys, i, tab, shift):
        """Ask for the slot of the key ``_AHEAD`` rows on (the last row's near the end):
        the table's random reads overlap instead of waiting one by one."""
        b, ir = self.b, self.ir
        ahead = b.add(i, self.c(_AHEAD))
        last = b.sub(self.hi, self.c(1))
        key = self.load(keys, b.select(b.icmp_signed("<", ahead, last), ahead, last))
        fn = self.module.globals.get("llvm.prefetch.p0")
        if fn is None:
            i32 = ir.IntType(32)
            fn = ir.Function(self.module, ir.FunctionType(ir.VoidType(), [
                self.ptr, i32, i32, i32]), "llvm.prefetch.p0")
        where = self.at(tab, b.shl(self.home(key, shift), self.c(1)))
        b.call(fn, [where] + [ir.Constant(ir.IntType(32), v) for v in (0, 3, 1)])

    def probe(self, tab, key, shift, mask):
        """Walk ``key``'s probe sequence: returns (slot, its code + 1, block where the key
        was found, block where an empty slot was found); the builder is left in neither."""
        b = self.b
        home = self.home(key, shift)
        before = b.block
        head = b.append_basic_block("probe")
        check, nxt = b.append_basic_block("check"), b.append_basic_block("next")
        found, empty = b.append_basic_block("found"), b.append_basic_block("empty")
        b.branch(head)
        b.position_at_end(head)
        j = b.phi(self.i64)
        j.add_incoming(home, before)
        where = b.shl(j, self.c(1))
        stored = self.load(tab, b.add(where, self.c(1)))
        b.cbranch(b.icmp_signed("==", stored, self.c(0)), empty, check)
        b.position_at_end(check)
        b.cbranch(b.icmp_signed("==", self.load(tab, where), key), found, nxt)
        b.position_at_end(nxt)
        j.add_incoming(b.and_(b.add(j, self.c(1)), mask), nxt)
        b.branch(head)
        return j, stored, found, empty

    def find(self, tab, key, shift, mask):
        """``key``'s code in the table, -1 if absent."""
        b = self.b
        _, stored, found, empty = self.probe(tab, key, shift, mask)
        joined = b.append_basic_block("joined")
        b.position_at_end(found)
        code = b.sub(stored, self.c(1))
        b.branch(joined)
        b.position_at_end(empty)
        b.branch(joined)
        b.position_at_end(joined)
        g = b.phi(self.i64)
        g.add_incoming(code, found)
        g.add_incoming(self.c(-1), empty)
        return g

    def text(self):
        self.allocas.branch(self.fn.basic_blocks[1])
        return str(self.module)


def _ir_factorize(name):
    """params: bits, count (in/out), where the call stopped (out: ``hi`` when done),
    whether ``valid`` is read; data: keys, valid (bytes), codes (out), table, uniques.
    Codes by first appearance, continuing the table's; stops before a key that would make
    the table more than half full."""
    e = _Emitter(name)
    b = e.b
    bits, count0, check = e.param(0), e.param(1), e.param(3)
    keys, valid, codes, tab, uniq = (e.operand(k) for k in range(5))
    shift, mask = e.table(bits)
    limit = b.shl(e.c(1), b.sub(bits, e.c(1)))
    count = e.var(count0)
    checking = b.icmp_signed("!=", check, e.c(0))
    with e.loop(e.lo, e.hi) as (i, step):
        with b.if_then(checking):
            missing = b.icmp_signed("==", e.load(valid, i, e.i8), e.ir.Constant(e.i8, 0))
            with b.if_then(missing):
                e.store(e.c(-1), codes, i)
                b.branch(step)
        e.prefetch(keys, i, tab, shift)
        key = e.load(keys, i)
        j, stored, found, empty = e.probe(tab, key, shift, mask)
        b.position_at_end(found)
        e.store(b.sub(stored, e.c(1)), codes, i)
        b.branch(step)
        b.position_at_end(empty)
        c = e.get(count)
        with b.if_then(b.icmp_signed("==", c, limit), likely=False):
            e.store(c, e.params, e.c(1))
            e.store(i, e.params, e.c(2))
            b.ret_void()
        where = b.shl(j, e.c(1))
        e.store(key, tab, where)
        e.store(b.add(c, e.c(1)), tab, b.add(where, e.c(1)))
        e.store(key, uniq, c)
        e.store(c, codes, i)
        e.set(count, b.add(c, e.c(1)))
    e.store(e.get(count), e.params, e.c(1))
    e.store(e.hi, e.params, e.c(2))
    b.ret_void()
    return e.text()


def _ir_lookup(name):
    """params: bits; data: keys, table, codes (out): each key's code, -1 if absent. Only
    reads the table: calls on other rows may run at the same time."""
    e = _Emitter(name)
    b = e.b
    keys, tab, codes = (e.operand(k) for k in range(3))
    with e.probes(keys, tab, e.param(0)) as (i, g):
        e.store(g, codes, i)
    b.ret_void()
    return e.text()


def _ir_remap(name):
    """data: codes, mapping, out: out[i] = mapping[codes[i]] (-1 stays -1)."""
    e = _Emitter(name)
    b = e.b
    codes, mapping, out = (e.operand(k) for k in range(3))
    with e.loop(e.lo, e.hi) as (i, _):
        c = e.load(codes, i)
        with b.if_else(b.icmp_signed(">=", c, e.c(0))) as (then, otherwise):
            with then:
                e.store(e.load(mapping, c), out, i)
            with otherwise:
                e.store(e.c(-1), out, i)
    b.ret_void()
    return e.text()


def _ir_buckets(name):
    """params: groups; data: codes (all >= 0), starts (groups + 2 zeros), rows (out).
    Rows by code, each code's rows in row order: rows[starts[g]:starts[g + 1]]."""
    e = _Emitter(name)
    b = e.b
    groups = e.param(0)
    codes, starts, rows = (e.operand(k) for k in range(3))
    with e.loop(e.lo, e.hi) as (i, _):   # counts at starts[code + 2]
        t = b.add(e.load(codes, i), e.c(2))
        e.store(b.add(e.load(starts, t), e.c(1)), starts, t)
    with e.loop(e.c(2), b.add(groups, e.c(2))) as (t, _):   # starts[code + 1]: its start
        e.store(b.add(e.load(starts, t), e.load(starts, b.sub(t, e.c(1)))), starts, t)
    with e.loop(e.lo, e.hi) as (i, _):   # ... moved on to its end: the next one's start
        t = b.add(e.load(codes, i), e.c(1))
        at = e.load(starts, t)
        e.store(i, rows, at)
        e.store(b.add(at, e.c(1)), starts, t)
    b.ret_void()
    return e.text()


def _ir_probe_unique(name):
    """params: bits, whether unmatched rows are kept, -, how many written (out); data:
    left keys, table (codes = right rows), left, right (out, from their start)."""
    e = _Emitter(name)
    b = e.b
    bits, keep = e.param(0), b.icmp_signed("!=", e.param(1), e.c(0))
    keys, tab, left, right = (e.operand(k) for k in range(4))
    at = e.var(e.c(0))
    with e.probes(keys, tab, bits) as (i, g):
        with b.if_then(b.or_(b.icmp_signed(">=", g, e.c(0)), keep)):
            a = e.get(at)
            e.store(i, left, a)
            e.store(g, right, a)
            e.set(at, b.add(a, e.c(1)))
    e.store(e.get(at), e.params, e.c(3))
    b.ret_void()
    return e.text()


def _ir_probe_count(name):
    """params: bits, whether unmatched rows are kept, how many output rows (out); data:
    left keys, table, starts (buckets of the right rows by code), codes (out: each left
    row's right code, -1: none; the fill pass reads them instead of probing again)."""
    e = _Emitter(name)
    b = e.b
    bits, keep = e.param(0), e.param(1)
    keys, tab, starts, codes = (e.operand(k) for k in range(4))
    total = e.var(e.c(0))
    with e.probes(keys, tab, bits) as (i, g):
        e.store(g, codes, i)
        s = b.select(b.icmp_signed(">=", g, e.c(0)), g, e.c(0))   # (starts has 2+ entries)
        m = b.sub(e.load(starts, b.add(s, e.c(1))), e.load(starts, s))
        e.set(total, b.add(e.get(total), b.select(b.icmp_signed(">=", g, e.c(0)), m, keep)))
    e.store(e.get(total), e.params, e.c(2))
    b.ret_void()
    return e.text()


def _ir_probe_fill(name):
    """params: -, whether unmatched rows are kept; data: codes (``probe_count``'s),
    starts, rows, left, right (out, from their start): each left row with its right
    matches in right order (-1: none)."""
    e = _Emitter(name)
    b = e.b
    keep = b.icmp_signed("!=", e.param(1), e.c(0))
    codes, starts, rows, left, right = (e.operand(k) for k in range(5))
    at = e.var(e.c(0))
    with e.loop(e.lo, e.hi) as (i, step):
        g = e.load(codes, i)
        with b.if_then(b.icmp_signed("<", g, e.c(0))):
            with b.if_then(keep):
                a = e.get(at)
                e.store(i, left, a)
                e.store(e.c(-1), right, a)
                e.set(at, b.add(a, e.c(1)))
            b.branch(step)
        with e.loop(e.load(starts, g), e.load(starts, b.add(g, e.c(1)))) as (j, _):
            a = e.get(at)
            e.store(i, left, a)
            e.store(e.load(rows, j), right, a)
            e.set(at, b.add(a, e.c(1)))
    b.ret_void()
    return e.text()


_IR = {"factorize": _ir_factorize, "lookup": _ir_lookup, "remap": _ir_remap, "buckets": _ir_buckets,
       "probe_unique": _ir_probe_unique, "probe_count": _ir_probe_count,
       "probe_fill": _ir_probe_fill}


# --- compiled kernels -----------------------------------------------------------------------
_compiled: dict = {}   # kind -> callable, for the engine in ``_compiled["jit"]``
_source: list = []
_backend: list = []


def _kernel(kind):
    """The compiled kernel ``kind``, from the LLVM backend's engine (its disk cache): keyed
    by this file's text too, so an edited emitter never serves stale code."""
    if not _backend:
        from .. import BACKENDS
        _backend.append(BACKENDS["llvm"])
    jit = _backend[0].jit
    if _compiled.get("jit") is not jit:   # first use, or the backend was reset
        _compiled.clear()
        _compiled["jit"] = jit
    fn = _compiled.get(kind)
    if fn is None:
        if not _source:
            _source.append(hashlib.sha256(Path(__file__).read_bytes()).hexdigest())
        fn = _compiled[kind] = jit.function(f"hashtable {kind} {_source[0]}", _IR[kind])
    return fn


def _addr_from_object(a):
    """An array's data pointer, read from the object (where the runtime's kernel entry
    reads it: this NumPy keeps it there): 8x quicker than ``__array_interface__``."""
    return _read_pointer(id(a) + HEADER).value


def _addr_from_interface(a):
    return a.__array_interface__["data"][0]


_read_pointer = ctypes.c_void_p.from_address
_addr = _addr_from_object if runtime._objects is runtime._objects_direct else \
    _addr_from_interface


def _call(fn, lo, hi, params, data):
    """fn(lo, hi, params, data): ``params`` an array.array('q') (read back by the
    caller), ``data`` the operands' addresses."""
    ptrs = array.array("Q", data)
    fn(lo, hi, params.buffer_info()[0], ptrs.buffer_info()[0], 0)


def _on_threads(tasks):
    """[task() for task in tasks], on the runtime's pool when there are several."""
    if len(tasks) <= 1:
        return [t() for t in tasks]
    workers = runtime.pool(len(tasks))
    return [f.result() for f in [workers.submit(t) for t in tasks]]


class Table:
    """A growing hash table: ``slots`` (2**bits (key, code + 1) pairs), ``uniques`` (each
    code's key; capacity: the most the table holds), ``count`` codes so far."""

    def __init__(self, bits=_MIN_BITS):
        self.bits = bits
        self.slots = np.zeros(2 << bits, np.int64)
        self.uniques = np.empty(1 << (bits - 1), np.int64)
        self.count = 0

    def insert(self, fn, keys, valid, codes, lo, hi):
        """codes[lo:hi] = the codes of keys[lo:hi] (-1 where ``valid`` is 0; empty: all
        valid), new keys numbered on from ``count``; grown as needed."""
        check = int(valid.shape[0] > 0)
        keys_at = _addr(keys)
        valid_at = _addr(valid) if check else 0
        codes_at = _addr(codes)
        while True:
            params = array.array("q", [self.bits, self.count, hi, check])
            _call(fn, lo, hi, params, [keys_at, valid_at, codes_at, _addr(self.slots),
                                       _addr(self.uniques)])
            self.count, lo = params[1], params[2]
            if lo == hi:
                return
            self._grow(fn)

    def find(self, keys, codes, chunks):
        """codes[lo:hi] = the codes of keys[lo:hi] (-1: absent) for each (lo, hi) of
        ``chunks``, on threads (the table is only read)."""
        fn = _kernel("lookup")
        params = array.array("q", [self.bits])
        _on_threads([lambda lo=lo, hi=hi: _call(fn, lo, hi, params, [
            _addr(keys), _addr(self.slots), _addr(codes)]) for lo, hi in chunks])

    def _grow(self, fn):
        old, count = self.uniques, self.count
        self.__init__(self.bits + 1)
        scratch = np.empty(count, np.int64)   # (the codes: 0, 1, ... again)
        self.insert(fn, old, _ALL, scratch, 0, count)

    def keys(self):
        return self.uniques[:self.count]


def _even(n, k):
    """[0, n) in ``k`` ranges (one if ``n`` is small: handing off costs more)."""
    k = k if n >= _PARALLEL_KEYS else 1
    return [(n * i // k, n * (i + 1) // k) for i in range(k)]


def _factorize(keys, valid, sort, chunks):
    """(codes, uniques, the table whose codes are the first-appearance ones)."""
    keys = np.ascontiguousarray(keys, np.int64)
    if valid.shape[0] not in (0, len(keys)):
        raise ValueError(f"{len(keys)} keys, {valid.shape[0]} validity flags")
    valid = np.ascontiguousarray(valid, bool).view(np.uint8) if valid.shape[0] else _ALL
    codes = np.empty(len(keys), np.int64)
    fn = _kernel("factorize")
    chunks = [c for c in chunks if c[1] > c[0]] or [(0, len(keys))]

    def number(lo, hi):
        table = Table()
        table.insert(fn, keys, valid, codes, lo, hi)
        return table
    tables = _on_threads([lambda lo=lo, hi=hi: number(lo, hi) for lo, hi in chunks])
    # the first chunk's codes are the first ones overall already: its table takes the
    # other chunks' keys, in chunk order (each chunk's in its first-appearance order).
    # Those it has already are looked up first, on threads; only the others are inserted
    # one chunk after the other (few, unless most keys are rare)
    table, mappings = tables[0], [None]
    others = [t.keys() for t in tables[1:]]
    del tables   # (their slots: freed before the first chunk's table grows)
    bounds = np.cumsum([0] + [len(k) for k in others])
    if len(others):
        flat = np.concatenate(others)
        found = np.empty(len(flat), np.int64)
        table.find(flat, found, _even(len(flat), len(chunks)))
    for keys_t, lo, hi in zip(others, bounds[:-1], bounds[1:]):
        mapping = found[lo:hi]
        absent = np.flatnonzero(mapping < 0)
        if len(absent):
            fresh = np.empty(len(absent), np.int64)
            table.insert(fn, keys_t[absent], _ALL, fresh, 0, len(absent))
            mapping[absent] = fresh
        mappings.append(mapping)
    uniques = table.keys()
    if sort:   # each code's rank
        if table.count < _SORT_BY_LOOKUP:
            found = np.argsort(uniques)
            uniques = uniques[found]
        else:   # the sorted keys' codes looked up in the table: a sort is quicker than
            # an argsort (distinct keys: either gives the one order)
            uniques = np.sort(uniques)
            found = np.empty(table.count, np.int64)
            table.find(uniques, found, _even(table.count, len(chunks)))
        rank = np.empty(table.count, np.int64)
        rank[found] = np.arange(table.count, dtype=np.int64)
        mappings = [rank if m is None else rank[m] for m in mappings]
    else:
        uniques = uniques.copy()
    if table.count:
        _remap(codes, [(lo, hi, m) for (lo, hi), m in zip(chunks, mappings)
                       if m is not None], len(chunks))
    return codes, uniques, table


def factorize(keys, valid, sort, chunks):
    """Group codes of int64 ``keys`` (-1 where ``valid`` is False; an empty ``valid``: all
    are valid) and each code's key: codes numbered by first appearance, or in key order
    (``sort``). ``chunks``: the row ranges, one per thread."""
    codes, uniques, _ = _factorize(keys, valid, sort, chunks)
    return codes, uniques


def _remap(codes, work, threads):
    """codes[lo:hi] = mapping[codes[lo:hi]] in place (-1 stays) for each (lo, hi,
    mapping) of ``work``, on ``threads`` threads (the rows split evenly: with
    first-appearance codes, the first chunk's need no mapping)."""
    rows = sum(hi - lo for lo, hi, _ in work)
    if not rows:
        return
    pieces = []
    for lo, hi, m in work:
        k = max(1, round(threads * (hi - lo) / rows))
        pieces += [(lo + (hi - lo) * i // k, lo + (hi - lo) * (i + 1) // k, m)
                   for i in range(k)]
    fn = _kernel("remap")
    params = array.array("q", [0])
    _on_threads([lambda lo=lo, hi=hi, m=m: _call(fn, lo, hi, params,
                                                 [_addr(codes), _addr(m), _addr(codes)])
                 for lo, hi, m in pieces if hi > lo])


def remap(codes, mapping, chunks):
    """codes[i] = mapping[codes[i]] in place (-1 stays; ``codes``: a contiguous int64
    array), by chunks on threads; returns ``codes``."""
    if codes.dtype != np.int64 or not codes.flags.c_contiguous or not codes.flags.writeable:
        raise ValueError("remap rewrites a writeable contiguous int64 array")
    mapping = np.ascontiguousarray(mapping, np.int64)
    _remap(codes, [(lo, hi, mapping) for lo, hi in chunks if hi > lo], len(chunks))
    return codes


def buckets(codes, groups):
    """(starts, rows): the rows of each code (all >= 0) in row order,
    rows[starts[g]:starts[g + 1]]; ``starts`` has ``groups + 2`` entries (the last one
    spare: a probe may read it)."""
    codes = np.ascontiguousarray(codes, np.int64)
    starts = np.zeros(groups + 2, np.int64)
    rows = np.empty(len(codes), np.int64)
    _call(_kernel("buckets"), 0, len(codes), array.array("q", [groups]),
          [_addr(codes), _addr(starts), _addr(rows)])
    return starts, rows


def hash_join(left_keys, right_keys, keep_unmatched, left_chunks, right_chunks):
    """Rows of ``pandas.merge(how="inner"/"left")`` on one int64 key (no missing values):
    (left rows, right rows, -1 where a left row has no match when ``keep_unmatched``), each
    left row in order with its matches in right order."""
    lk = np.ascontiguousarray(left_keys, np.int64)
    rcodes, runiques, table = _factorize(right_keys, _ALL, False, right_chunks)
    keep = int(bool(keep_unmatched))
    chunks = [c for c in left_chunks if c[1] > c[0]] or [(0, len(lk))]
    tab = _addr(table.slots)
    if len(runiques) == len(rcodes):   # unique right keys: each code is its row
        fn = _kernel("probe_unique")
        left = np.empty(len(lk), np.int64)
        right = np.empty(len(lk), np.int64)

        def unique(lo, hi):
            params = array.array("q", [table.bits, keep, 0, 0])
            _call(fn, lo, hi, params, [_addr(lk), tab, _addr(left) + 8 * lo,
                                       _addr(right) + 8 * lo])
            return params[3]
        counts = _on_threads([lambda lo=lo, hi=hi: unique(lo, hi) for lo, hi in chunks])
        if sum(counts) == len(lk):
            return left, right
        # some left rows unmatched (inner): each chunk's rows after the previous chunks'
        return (np.concatenate([left[a:a + c] for (a, _), c in zip(chunks, counts)]),
                np.concatenate([right[a:a + c] for (a, _), c in zip(chunks, counts)]))
    starts, rows = buckets(rcodes, len(runiques))
    count_fn = _kernel("probe_count")

    codes = np.empty(len(lk), np.int64)

    def count(lo, hi):
        params = array.array("q", [table.bits, keep, 0])
        _call(count_fn, lo, hi, params, [_addr(lk), tab, _addr(starts), _addr(codes)])
        return params[2]
    counts = _on_threads([lambda lo=lo, hi=hi: count(lo, hi) for lo, hi in chunks])
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    left = np.empty(offsets[-1], np.int64)
    right = np.empty(offsets[-1], np.int64)
    fill_fn = _kernel("probe_fill")

    def fill(lo, hi, at):
        _call(fill_fn, lo, hi, array.array("q", [table.bits, keep]),
              [_addr(codes), _addr(starts), _addr(rows), _addr(left) + 8 * at,
               _addr(right) + 8 * at])
    _on_threads([lambda lo=lo, hi=hi, at=int(at): fill(lo, hi, at)
                 for (lo, hi), at in zip(chunks, offsets[:-1])])
    return left, right

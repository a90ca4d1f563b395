"""LLVM IR for one fused kernel: a loop nest over the iteration space.

Kernel ABI (one per kernel, called from several threads on disjoint ranges):

    void kernel(i64 start, i64 end, i64* shape, ptr* data, i64* strides)

``[start, end)`` is the range of the outermost dimension this call covers; ``data[k]`` is
operand k's base pointer (the kernel's inputs, then its output or accumulator), and
``strides[k * ndim + d]`` its byte stride along dimension d (0 where it is broadcast, or
along reduced dimensions of an accumulator). Sizes are runtime values, so one compiled
kernel serves every size; a stride known to be 0 or one element is compiled in, so the
innermost loop of contiguous data vectorizes. (Python calls an entry wrapped around this
function, which takes the operands' array objects: ``runtime.entry_ir``.)

A compaction (``x[mask]``) appends instead of storing at the loop position: where the
mask operand is true, the value is computed and written at the cursor (its last operand,
where this call's first value goes), which moves on by one.

A gather (``x[idx]``, x 1-D and read whole) loads x at the index the loop computes, wrapped
as NumPy wraps a negative one; its operands come after all others: each gathered source,
then an int64 array of (length, byte stride) per source and an error flag. An index out of
[-n, n) reads nothing (x[0] stands in) and sets the flag when the call ends; the launcher
then lets the oracle raise NumPy's IndexError.

A segment reduction's accumulator holds one value per group: each row's value combines
into the one its group code points at (rows coded -1 skip); threads have their own
accumulators, combined in thread order by the launcher as for any reduction.
"""
from __future__ import annotations

import llvmlite.ir as ir
import numpy as np

from ...ir import build
from ...ir.ops import FPE_KINDS, OPS, REDUCE, SEGMENT, Op, start_value
from . import lowering, vecmath
from .recipes import RECIPES
from .runtime import (BROADCAST, FPE_ANY_BIT, GATHER_BIT, UNIT, fpe_bit, operand_count,
                      status_words)

I64 = ir.IntType(64)
PTR = ir.PointerType()


def llvm_type(dt: np.dtype):
    dt = np.dtype(dt)
    if dt.kind == "b":
        return ir.IntType(1)
    if dt.kind in "iu":
        return ir.IntType(dt.itemsize * 8)
    return ir.FloatType() if dt.itemsize == 4 else ir.DoubleType()


def memory_type(dt: np.dtype):
    return ir.IntType(8) if np.dtype(dt).kind == "b" else llvm_type(dt)


class Ctx:
    """What recipes need: the builder, typed constants, casts, libm and intrinsics."""

    def __init__(self, builder: ir.IRBuilder):
        self.b = builder
        self.module = builder.module
        self.vector_functions = []  # libmvec declarations the vectorizer may call

    def finish(self):
        """Keep the vector declarations alive until the loop vectorizer runs: nothing calls
        them before it, and the O3 pipeline drops unused declarations first."""
        if self.vector_functions:
            ty = ir.ArrayType(PTR, len(self.vector_functions))
            used = ir.GlobalVariable(self.module, ty, "llvm.compiler.used")
            used.linkage = "appending"
            used.section = "llvm.metadata"
            used.initializer = ir.Constant(ty, self.vector_functions)

    @staticmethod
    def int_type(bits):
        return ir.IntType(bits)

    @staticmethod
    def llconst(ty, value):
        return ir.Constant(ty, value)

    def const(self, value, dt):
        dt = np.dtype(dt)
        v = np.asarray(value).astype(dt)[()]
        if dt.kind == "b":
            return ir.Constant(ir.IntType(1), int(bool(v)))
        if dt.kind in "iu":
            return ir.Constant(llvm_type(dt), int(v))
        return ir.Constant(llvm_type(dt), float(v))

    def _function(self, name, ret, args):
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ret, args), name=name)
        return fn

    def intr(self, name, dt, *args):
        ty = llvm_type(dt)
        suffix = ".f32" if np.dtype(dt).itemsize == 4 else ".f64"
        return self.b.call(self._function(name + suffix, ty, [ty] * len(args)), args)

    def libm(self, name, dt, *args):
        """A call of libm's ``name`` (``namef`` for float32), declared free of side effects
        (errno is never read) and, where libmvec has them, with its vector variants, so the
        loop vectorizer can widen loops that call it (see vecmath)."""
        ty = llvm_type(dt)
        cname = name + ("f" if np.dtype(dt).itemsize == 4 else "")
        fn = self.module.globals.get(cname)
        if fn is None:
            fn = self._function(cname, ty, [ty] * len(args))
            mappings = []
            for lanes, symbol in vecmath.variants(cname):
                vty = ir.VectorType(ty, lanes)
                self.vector_functions.append(self._function(symbol, vty, [vty] * len(args)))
                mappings.append(f"_ZGV_LLVM_N{lanes}{'v' * len(args)}_{cname}({symbol})")
            fn.attributes = _MathFunctionAttributes(mappings)
        return self.b.call(fn, args)

    def cast(self, v, src, dst):
        """NumPy's cast of one value (only the casts ``can_fuse`` admits)."""
        src, dst = np.dtype(src), np.dtype(dst)
        b = self.b
        if src == dst:
            return v
        if dst.kind == "b":
            if src.kind == "f":
                return b.fcmp_unordered("une", v, self.const(0, src))
            return b.icmp_unsigned("!=", v, self.const(0, src))
        ty = llvm_type(dst)
        if src.kind == "b":
            return b.uitofp(v, ty) if dst.kind == "f" else b.zext(v, ty)
        if dst.kind == "f":
            if src.kind == "f":
                return b.fpext(v, ty) if dst.itemsize > src.itemsize else b.fptrunc(v, ty)
            return b.sitofp(v, ty) if src.kind == "i" else b.uitofp(v, ty)
        if src.kind == "f":
            raise NotImplementedError("float -> integer casts are not lowered")
        if dst.itemsize < src.itemsize:
            return b.trunc(v, ty)
        if dst.itemsize > src.itemsize:
            return b.sext(v, ty) if src.kind == "i" else b.zext(v, ty)
        return v  # same width, other signedness: same bits

    def apply(self, token: str, args, dt):
        """One lowering entry of the OPS table applied to operands of loop dtype ``dt``."""
        b = self.b
        if token == "copy":
            return args[0]
        if token.startswith("recipe:"):
            return RECIPES[token[7:]](self, args, np.dtype(dt))
        if token.startswith("libm:"):
            return self.libm(token[5:], dt, *args)
        if token.startswith("intr:"):
            return self.intr(token[5:], dt, *args)
        if token.startswith("fcmp:"):
            pred = token[5:]
            return (b.fcmp_unordered if pred.startswith("u") else b.fcmp_ordered)(
                {"oeq": "==", "une": "!=", "olt": "<", "ole": "<=", "ogt": ">",
                 "oge": ">="}[pred], *args)
        if token.startswith("icmp:"):
            pred = token[5:]
            op = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">=",
                  "ult": "<", "ule": "<=", "ugt": ">", "uge": ">="}[pred]
            signed = pred.startswith("s")
            return (b.icmp_signed if signed else b.icmp_unsigned)(op, *args)
        if token == "fneg":
            return b.fneg(args[0])
        return {"and": b.and_, "or": b.or_}.get(token, getattr(b, token, None))(*args)


class _MathFunctionAttributes(ir.FunctionAttributes):
    """``nounwind memory(none) willreturn`` (the loop vectorizer only widens calls free of
    side effects), plus the ``vector-function-abi-variant`` string attribute naming the
    vector variants: llvmlite's attribute sets take only bare attribute names it knows."""

    def __init__(self, mappings):
        super().__init__(("nounwind", "readnone"))  # readnone is parsed as memory(none)
        self.extra = ["willreturn"]
        if mappings:
            self.extra.append(f'"vector-function-abi-variant"="{",".join(mappings)}"')

    def _to_list(self, ret_type):
        return super()._to_list(ret_type) + self.extra


def emit(kernel, name: str, ndim: int, classes: tuple, reduced: tuple,
         exact: bool = False) -> str:
    """LLVM IR text of ``kernel`` for ``ndim`` coalesced dims; ``classes[k][d]`` is operand
    k's stride class along d; ``reduced[d]`` marks reduced dims (reductions only).
    ``exact``: the variant reporting each floating-point error by node and kind (else one
    status bit says that some node may have raised one: see runtime.FPE_ANY_BIT)."""
    module = ir.Module(name=name)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [I64, I64, PTR, PTR, PTR]), name)
    for arg in fn.args:
        arg.add_attribute("noundef")
    start, end, shape_p, data_p, strides_p = fn.args
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    ctx = Ctx(builder)
    # operands: the inputs, the outputs (reductions' accumulators last), then the best
    # value so far of each arg reduction (whose output is the best value's position), then
    # a compaction's cursor (where its next value goes)
    args = [n for n in kernel.outputs if n.op in lowering.ARG_REDUCTIONS]
    nops = operand_count(kernel)
    acc_dt = {r: lowering.accumulator_dtype(r) for r in kernel.reductions}
    dtypes = [n.dtype for n in kernel.inputs] + \
        [n.dtype if n in args else acc_dt.get(n, n.dtype) for n in kernel.outputs] + \
        [acc_dt[n] for n in args] + ([np.dtype(np.int64)] if kernel.compact is not None else [])
    gathered = kernel.gathered
    fpe_list = lowering.fpe_nodes(kernel)
    fpes = {n: (i, c) for i, (n, c) in enumerate(fpe_list)}
    # the fast variant tests these nodes' conditions, and these values for NaN or inf
    direct, tested = lowering.fpe_fast_checks(kernel, fpe_list) if not exact else \
        ((), frozenset())
    # a float sum's result is tested once per line when it is summed in a register (the
    # innermost dim reduced), else by the launcher: not each value the loop sums
    summed = tested.intersection(kernel.reductions)
    tested = tested.difference(kernel.reductions)
    first_gathered = len(dtypes)   # operands: the gathered sources, then their (length,
    dtypes += [n.dtype for n in gathered]   # stride) pairs and the status words (int64)
    if gathered or fpes:
        dtypes.append(np.dtype(np.int64))
    streamed = kernel.streamed
    stores = [(len(kernel.inputs) + j, n) for j, n in enumerate(kernel.outputs)
              if n not in acc_dt and n is not kernel.scan and n is not kernel.compact]
    scan = [(len(kernel.inputs) + kernel.outputs.index(kernel.scan), kernel.scan)] \
        if kernel.scan is not None else []
    scan_dim = reduced.index(True) if scan and True in reduced else None
    # per accumulator: (operand, reduction, operand of its best value or None)
    accs = [(len(kernel.inputs) + j, n,
             len(kernel.inputs) + len(kernel.outputs) + args.index(n) if n in args else None)
            for j, n in enumerate(kernel.outputs) if n in acc_dt]

    def load_i64(ptr, i):
        return builder.load(builder.gep(ptr, [ir.Constant(I64, i)], source_etype=I64), typ=I64)

    shape = [load_i64(shape_p, d) for d in range(ndim)]
    base = [builder.load(builder.gep(data_p, [ir.Constant(I64, k)], source_etype=PTR), typ=PTR) for k in range(nops)]
    # the gathered sources and the status array are addressed by index, never by the
    # loop: broadcast if ``classes`` leaves them out
    classes = tuple(classes) + ((BROADCAST,) * ndim,) * (nops - len(classes))
    stride = [[ir.Constant(I64, 0) if classes[k][d] == BROADCAST else
               ir.Constant(I64, np.dtype(dtypes[k]).itemsize) if classes[k][d] == UNIT else
               load_i64(strides_p, k * ndim + d) for d in range(ndim)] for k in range(nops)]

    if gathered or fpes:   # the status words, kept in registers (OR-ed per element)
        info = base[first_gathered + len(gathered)]
        words = [builder.alloca(I64, name=f"status{w}")   # promoted to registers at O3
                 for w in range(status_words(len(fpes)))]
        for w in words:
            builder.store(ir.Constant(I64, 0), w)
        if fpes and not exact:   # "some node may have raised an error", per element
            # an i64 of all ones where it holds: OR-ed as whole vector lanes (an i1 would
            # be packed and unpacked around each vector of the loop)
            maybe = builder.alloca(I64, name="maybe_fpe")
            builder.store(ir.Constant(I64, 0), maybe)
    if gathered:   # each source's length and byte stride
        lengths = [load_i64(info, 2 * g) for g in range(len(gathered))]
        gstrides = [load_i64(info, 2 * g + 1) for g in range(len(gathered))]

    def flag(bit, cond):
        """Set status bit ``bit`` where the i1 (or vector of) ``cond`` is true."""
        w = words[bit // 64]
        set_ = builder.shl(builder.zext(cond, I64), ir.Constant(I64, bit % 64))
        builder.store(builder.or_(builder.load(w, typ=I64), set_), w)

    def maybe_if(cond):
        hit = builder.zext(cond, I64)
        builder.store(builder.or_(builder.load(maybe, typ=I64), hit), maybe)

    def fp_flags(n, args, ins, result):
        """The OPS table's fpe conditions of node n at this element (``args``: its
        operands in the loop dtypes ``ins``), OR-ed into its status bits; in the fast
        variant, one cheap superset of them all into the "maybe" bit."""
        i, condition = fpes[n]
        atoms = {}

        def atom(a):
            if a not in atoms:
                atoms[a] = _fpe_atom(ctx, a, result, n.dtype, args, ins)
            return atoms[a]

        def holds(terms):
            hit = None
            for term in terms:
                t = None
                for a in term:
                    v = atom(a)
                    t = v if t is None else builder.and_(t, v)
                hit = t if hit is None else builder.or_(hit, t)
            return hit
        if not exact:
            maybe_if(holds(_fpe_superset(condition)))
            return
        for j, kind in enumerate(FPE_KINDS):
            if condition.get(kind):
                flag(fpe_bit(i, j), holds(condition[kind]))

    def gather(n, vals):
        """x[idx] at this element: idx (as int64, NumPy's intp) wrapped once if negative;
        outside [0, n) it flags the error and reads x[0] instead (the launcher never runs
        a loop over an empty source)."""
        g = gathered.index(n.src[0])
        idx = n.src[1]
        i = ctx.cast(_operand(ctx, vals, idx, idx.dtype), idx.dtype, np.dtype(np.int64))
        zero = ir.Constant(I64, 0)
        wrapped = builder.select(builder.icmp_signed("<", i, zero),
                                 builder.add(i, lengths[g]), i)
        ok = builder.icmp_unsigned("<", wrapped, lengths[g])
        flag(GATHER_BIT, builder.not_(ok))
        offset = builder.mul(builder.select(ok, wrapped, zero), gstrides[g])
        where = builder.gep(base[first_gathered + g], [offset], source_etype=ir.IntType(8))
        return _load(builder, where, n.dtype)

    def at(ptr, i, k, d):
        return builder.gep(ptr, [builder.mul(i, stride[k][d])], source_etype=ir.IntType(8))

    def body_values(ptrs):
        """Compute every body node at the current element; returns their values."""
        ends = {}   # dtype -> running sum of the values tested, times 0
        vals = {n: _load(builder, ptrs[k], dtypes[k]) for k, n in enumerate(kernel.inputs)
                if n in streamed}
        for n in kernel.body:
            if n.op is Op.TAKE:
                vals[n] = gather(n, vals)
                continue
            if n.op in lowering.SINGLE_ELEMENT:  # the result of its one element
                src, dt = n.src[0], acc_dt[n]
                work = dt if dt.kind == "f" else src.dtype
                v = ctx.cast(_operand(ctx, vals, src, src.dtype), src.dtype, work)
                vals[n] = ctx.apply(lowering.lowering(n)[len("only:"):], [v], work)
                continue
            if n is kernel.compact:   # the value (appended where the mask is true)
                vals[n] = vals[n.src[0]]
                continue
            if n.op in REDUCE or n is kernel.scan or n.op in SEGMENT:   # (its values)
                src, dt = n.src[0], acc_dt.get(n, n.dtype)
                vals[n] = ctx.cast(_operand(ctx, vals, src, src.dtype), src.dtype, dt)
                continue
            ins, out = lowering.loop_dtypes(n)
            args = [ctx.cast(_operand(ctx, vals, s, t), _value_dtype(s, t), t)
                    for s, t in zip(n.src, ins)]
            value = ctx.apply(lowering.lowering(n), args, ins[0])
            # astype's entry is the source value itself; the cast below is the op
            vals[n] = ctx.cast(value, ins[0] if n.op is Op.ASTYPE else out, n.dtype)
            if n in fpes and (exact or n in direct):
                fp_flags(n, args, ins, vals[n])
            if n in tested:   # the end of a chain carrying NaN and inf on: summed,
                # NaN or infinite where one of them is (or where the sum overflows: a
                # false alarm, which only makes the exact variant run)
                ends[n.dtype] = vals[n] if n.dtype not in ends else \
                    builder.fadd(ends[n.dtype], vals[n])
        for dt, total in ends.items():   # NaN or inf where any of the values tested is
            maybe_if(_fpe_atom(ctx, "nonfinite", total, dt, (), ()))
        return vals

    def combine(r, acc, v):
        dt = acc_dt[r]
        token = lowering.lowering(r)
        if token.startswith("only:"):   # one element per slice: combined exactly once
            return v
        if token.startswith("arg:"):   # acc, v: (best value, its position) pairs
            better = ctx.apply(token[4:], [v[0], acc[0]], dt)
            if dt.kind == "f":  # the first NaN wins and stays
                better = builder.or_(better, builder.and_(
                    builder.fcmp_unordered("uno", v[0], v[0]),
                    builder.fcmp_ordered("ord", acc[0], acc[0])))
            return (builder.select(better, v[0], acc[0]), builder.select(better, v[1], acc[1]))
        if token in ("fadd", "fmul"):
            # reassociation lets the loop vectorizer keep several partial sums: the order
            # is fixed by the compiled code and the thread split, so results reproduce
            return getattr(builder, token)(acc, v, flags=("reassoc",))
        return ctx.apply(token, [acc, v], dt)

    plain_accs = [a for a in accs if a[1].op not in SEGMENT]
    segment_accs = [a for a in accs if a[1].op in SEGMENT]

    def scatter(ptr, r, vals):
        """A segment reduction's step: the value combines into the accumulator of its
        row's group (``ptr``: the accumulators' start); rows with a negative code skip."""
        code = _operand(ctx, vals, r.src[1], np.dtype(np.int64))
        with builder.if_then(builder.icmp_signed(">=", code, ir.Constant(I64, 0))):
            size = ir.Constant(I64, np.dtype(acc_dt[r]).itemsize)
            where = builder.gep(ptr, [builder.mul(code, size)], source_etype=ir.IntType(8))
            acc = _load(builder, where, acc_dt[r])
            _store(builder, combine(r, acc, vals[r]), where, acc_dt[r])

    def load_acc(ptrs, k, r, kv):
        """An accumulator's value: a pair (best value, position) for arg reductions."""
        if kv is None:
            return _load(builder, ptrs[k], acc_dt[r])
        return (_load(builder, ptrs[kv], acc_dt[r]), _load(builder, ptrs[k], r.dtype))

    def store_acc(value, ptrs, k, r, kv):
        if kv is None:
            _store(builder, value, ptrs[k], acc_dt[r])
        else:
            _store(builder, value[0], ptrs[kv], acc_dt[r])
            _store(builder, value[1], ptrs[k], r.dtype)

    def scan_step(ptr, n, v, first):
        """out[i] = out[i - 1] (op) v, or (identity) (op) v at the start of a line: the
        element before is read through a pointer that stays in bounds at the start."""
        k_dt = n.dtype
        step = stride[scan[0][0]][scan_dim] if scan_dim is not None else ir.Constant(I64, 0)
        before = builder.gep(ptr, [builder.neg(step)], source_etype=ir.IntType(8))
        prev = _load(builder, builder.select(first, ptr, before), k_dt)
        ident = ctx.const(start_value(n.op, k_dt), k_dt)
        token = lowering.entry(OPS[n.op].llvm, np.dtype(k_dt).kind)
        value = ctx.apply(token, [builder.select(first, ident, prev), v], k_dt)
        _store(builder, value, ptr, k_dt)

    if kernel.compact is not None:
        cursor = builder.alloca(I64, name="cursor")   # promoted to a register at O3
        builder.store(builder.load(base[first_gathered - 1], typ=I64), cursor)
        mask_k = kernel.inputs.index(kernel.compact.src[1])
        out_k = len(kernel.inputs) + kernel.outputs.index(kernel.compact)
        out_size = ir.Constant(I64, kernel.compact.dtype.itemsize)

    def append(ptrs):
        """A compaction's step: where the mask is true, the value (computed there only)
        goes to the output at the cursor, which moves on."""
        # NumPy gathers every element before selecting: each index is checked
        early = body_values(ptrs) if gathered else None
        with builder.if_then(_load(builder, ptrs[mask_k], np.dtype(bool))):
            n = kernel.compact
            value = (body_values(ptrs) if early is None else early)[n]
            at_cursor = builder.load(cursor, typ=I64)
            where = builder.gep(base[out_k], [builder.mul(at_cursor, out_size)],
                                source_etype=ir.IntType(8))
            _store(builder, value, where, n.dtype)
            builder.store(builder.add(at_cursor, ir.Constant(I64, 1)), cursor)

    def level(d, ptrs, lo, hi, pos, first):
        """Loop over dim d from lo to hi with operand pointers ``ptrs``; ``pos``: the
        row-major position over the reduced dims of the enclosing loops (arg reductions);
        ``first``: whether this is the first element of a scan's line."""
        innermost = d == ndim - 1
        # accumulators as phis (a segment reduction's, one per group, stay in memory)
        in_register = plain_accs if innermost and reduced[d] else []
        pre = builder.block
        header = fn.append_basic_block(f"d{d}.head")
        body = fn.append_basic_block(f"d{d}.body")
        exit_ = fn.append_basic_block(f"d{d}.exit")
        start_values = [load_acc(ptrs, k, r, kv) for k, r, kv in in_register]
        builder.branch(header)
        builder.position_at_end(header)
        i = builder.phi(I64, name=f"i{d}")
        i.add_incoming(lo, pre)
        phis = []
        for (k, r, kv), v0 in zip(in_register, start_values):
            if kv is None:
                phi = builder.phi(llvm_type(acc_dt[r]), name=f"acc{k}")
                phi.add_incoming(v0, pre)
            else:
                phi = (builder.phi(llvm_type(acc_dt[r]), name=f"best{k}"),
                       builder.phi(I64, name=f"at{k}"))
                for p, v in zip(phi, v0):
                    p.add_incoming(v, pre)
            phis.append(phi)
        builder.cbranch(builder.icmp_signed("<", i, hi), body, exit_)
        builder.position_at_end(body)
        inner = [at(ptrs[k], i, k, d) for k in range(nops)]
        here = builder.add(builder.mul(pos, shape[d]), i) if reduced[d] else pos
        if d == scan_dim:
            first = builder.icmp_signed("==", i, ir.Constant(I64, 0))
        updated = []
        if innermost and kernel.compact is not None:
            append(inner)
        elif innermost:
            vals = body_values(inner)
            for k, n in stores:
                _store(builder, vals[n], inner[k], n.dtype)
            for k, n in scan:
                scan_step(inner[k], n, vals[n], first)

            def value(r):
                return (vals[r], here) if r.op in lowering.ARG_REDUCTIONS else vals[r]
            if in_register:
                updated = [combine(r, phi, value(r))
                           for (k, r, kv), phi in zip(in_register, phis)]
            else:
                for k, r, kv in plain_accs:
                    store_acc(combine(r, load_acc(inner, k, r, kv), value(r)), inner, k, r, kv)
            for k, r, _ in segment_accs:
                scatter(inner[k], r, vals)
        else:
            level(d + 1, inner, ir.Constant(I64, 0), shape[d + 1], here, first)
        latch = builder.block
        i.add_incoming(builder.add(i, ir.Constant(I64, 1), flags=("nsw",)), latch)
        for phi, v in zip(phis, updated):
            for p, x in zip(phi, v) if isinstance(phi, tuple) else ((phi, v),):
                p.add_incoming(x, latch)
        builder.branch(header)
        builder.position_at_end(exit_)
        for (k, r, kv), phi in zip(in_register, phis):
            store_acc(phi, ptrs, k, r, kv)
            if r in summed:
                maybe_if(_fpe_atom(ctx, "nonfinite", phi, acc_dt[r], (), ()))

    level(0, base, start, end, ir.Constant(I64, 0), ir.Constant(ir.IntType(1), 1))
    if fpes and not exact:
        flag(FPE_ANY_BIT, builder.icmp_unsigned("!=", builder.load(maybe, typ=I64),
                                                ir.Constant(I64, 0)))
    # several threads may set them: an atomic OR per word, once per call
    for w, word in enumerate(words if gathered or fpes else ()):
        value = builder.load(word, typ=I64)
        with builder.if_then(builder.icmp_unsigned("!=", value, ir.Constant(I64, 0))):
            at_w = builder.gep(info, [ir.Constant(I64, 2 * len(gathered) + w)],
                               source_etype=I64)
            builder.atomic_rmw("or", at_w, value, "monotonic")
    builder.ret_void()
    ctx.finish()
    return str(module)


def _fpe_superset(condition) -> tuple:
    """One condition holding wherever any of ``condition``'s kinds does: the alternatives
    of all kinds together."""
    return tuple(t for kind in FPE_KINDS for t in condition.get(kind, ()))


def _fpe_atom(ctx, atom, result, result_dt, args, ins):
    """One atom of the OPS table's fpe conditions (see ir.ops.FPE), as an i1."""
    b = ctx.b
    floats = [(a, t) for a, t in zip(args, ins) if t.kind == "f"]

    def infinite(v, dt):
        return b.fcmp_ordered("==", ctx.intr("llvm.fabs", dt, v), ctx.const(np.inf, dt))

    def all_of(values):
        out = ctx.llconst(ir.IntType(1), 1)
        for v in values:
            out = b.and_(out, v)
        return out
    if atom == "nan":
        return b.fcmp_unordered("uno", result, result)
    if atom == "inf":
        return infinite(result, result_dt)
    if atom == "nonfinite":   # NaN or +-inf
        return b.fcmp_unordered(">=", ctx.intr("llvm.fabs", result_dt, result),
                                ctx.const(np.inf, result_dt))
    if atom == "numbers":   # one compare per two operands
        return all_of(b.fcmp_ordered("ord", a, c) for a, c in
                      zip([a for a, _ in floats][::2], [a for a, _ in floats][1::2] +
                          [a for a, _ in floats][-1:] * (len(floats) % 2)))
    if atom == "finite":
        return all_of(b.fcmp_ordered("<", ctx.intr("llvm.fabs", t, a), ctx.const(np.inf, t))
                      for a, t in floats)
    if atom == "diff_inf":
        return infinite(b.fsub(args[0], args[1]), ins[0])
    name, k = atom.split(":")
    v, t = args[int(k)], ins[int(k)]
    if t.kind == "f":
        return b.fcmp_ordered("==", v, ctx.const(0, t)) if name == "zero" else \
            b.fcmp_unordered("!=", v, ctx.const(0, t))
    value = {"zero": 0, "nonzero": 0, "minus_one": -1,
             "min": np.iinfo(t).min if t.kind == "i" else -1}[name]
    return b.icmp_signed("!=" if name == "nonzero" else "==", v,
                         ir.Constant(llvm_type(t), int(value) if t.kind == "i" or value >= 0
                                     else int(value) & ((1 << (8 * t.itemsize)) - 1)))


def _operand(ctx, vals, node, loop_dt):
    if node in vals:
        return vals[node]
    # a scalar constant, inlined: a weak Python scalar takes the loop dtype (NEP 50)
    value = build.const_value(node)
    return ctx.const(value, loop_dt if build.is_weak(node) else node.dtype)


def _value_dtype(node, loop_dt):
    return loop_dt if build.is_weak(node) else node.dtype


def _load(builder, ptr, dt):
    v = builder.load(ptr, typ=memory_type(dt))
    if np.dtype(dt).kind == "b":
        return builder.icmp_unsigned("!=", v, ir.Constant(ir.IntType(8), 0))
    return v


def _store(builder, v, ptr, dt):
    if np.dtype(dt).kind == "b":
        v = builder.zext(v, ir.IntType(8))
    builder.store(v, ptr)

"""CUDA C for one fused kernel (``ir.passes.fuse.Kernel``): the second emitter of the same
partitioning the LLVM backend compiles. Op semantics come from the OPS table's ``cuda``
column (``ir/cuda.py``) and the device functions of ``prelude.py``; nothing here branches
on an op's name.

A layout (from ``runtime``) fixes the coalesced rank ``ndim``, each strided operand's
stride class per dim (broadcast and unit strides compiled in, general ones passed), and
which dims are reduced (a reduction's or scan's dims come last: the runtime permutes
them there). Sizes and strides are kernel arguments (bytes), so one compiled kernel
serves every size. The functions of a kernel, each ``extern "C"``:

- elementwise: ``NAME``, a grid-stride loop over all elements.
- reduction: ``NAME`` (stage 1: block ``b`` reduces part ``b % parts`` of slice
  ``b / parts``, a fixed ``chunk`` of the reduced elements: threads accumulate strided,
  then a shared-memory tree in fixed order) and ``NAME_combine`` (stage 2: one thread per
  slice folds its parts in order); ``NAME_rows`` for short slices (one thread per slice,
  in order). The order depends on sizes only: reproducible.
- segment reductions: ``NAME`` (each thread a part of the rows, in order, into its own
  row of per-group accumulators) and ``NAME_combine`` (one thread per group).
- scan: ``NAME``, one thread per line, sequential along it (NumPy's rounding), for many
  short lines; ``NAME_totals``, ``NAME_offsets``, ``NAME_parts`` for long ones (parts of
  a line on blocks, see ``scan.py``).
- gathers (``x[idx]``, x 1-D): each gathered source is a parameter ``q<g>`` with its
  length ``qn<g>`` and byte stride ``qs<g>``, read at the wrapped index; an index out of
  [-n, n) reads x[0] instead and sets ``*bad`` (the runtime lets the oracle raise).
- compaction: ``NAME_count`` (per-block counts of the mask over C-order chunks),
  ``NAME_offsets`` (their exclusive scan, one thread) and ``NAME`` (each block writes its
  selected values from its offset, ranks from a block-wide scan): C order, always.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...ir import build
from ...ir.ops import OPS, REDUCE, SCAN, SEGMENT, Op, start_value
from ..llvm import lowering
from ..llvm.runtime import BROADCAST, UNIT

BLOCK = 256   # threads per block (a power of two: the trees halve it)

CTYPE = {"b": "bool", "i1": "signed char", "i2": "short", "i4": "int", "i8": "long long",
         "u1": "unsigned char", "u2": "unsigned short", "u4": "unsigned int",
         "u8": "unsigned long long", "f4": "float", "f8": "double"}


def ctype(dt) -> str:
    dt = np.dtype(dt)
    return "bool" if dt.kind == "b" else CTYPE[f"{dt.kind}{dt.itemsize}"]


def storage(dt) -> str:
    return "unsigned char" if np.dtype(dt).kind == "b" else ctype(dt)


def literal(value, dt) -> str:
    """An exact C literal of ``value`` in ``dt`` (NaNs and infinities by their bits)."""
    dt = np.dtype(dt)
    v = np.asarray(value).astype(dt)[()]
    if dt.kind == "b":
        return "true" if v else "false"
    if dt.kind in "iu":
        if -2**31 < int(v) < 2**31:
            return f"(({ctype(dt)}){int(v)})"
        return f"(({ctype(dt)}){int(v) & (2**64 - 1):#x}ULL)"
    if np.isfinite(v):
        return f"(({ctype(dt)}){float(v).hex()})"
    if dt.itemsize == 4:
        return f"__int_as_float({int(v.view(np.int32))})"
    return f"__longlong_as_double({int(v.view(np.int64))}LL)"


def kind(node):
    """The dtype kind an op's entry is keyed by, as in the LLVM column."""
    if node.op in lowering.SINGLE_ELEMENT:
        return node.src[0].dtype.kind
    if node.op in REDUCE or node.op in SCAN or node.op in SEGMENT:
        return lowering.accumulator_dtype(node).kind
    if node.op is Op.COMPRESS or node.op is Op.TAKE:
        return node.dtype.kind
    return lowering.loop_dtypes(node)[0][0].kind


def apply(template: str, args, dt) -> str:
    dt = np.dtype(dt)
    return template.format(*args, T=ctype(dt), f="f" if dt == np.float32 else "")


def cast(expr: str, src, dst) -> str:
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return expr
    if dst.kind == "b":
        return f"({expr} != 0)"
    return f"(({ctype(dst)})({expr}))"


def strided(kernel) -> list:
    """Operands addressed by strides: the inputs, then the outputs written at loop
    positions (a scan's too); reductions and a compaction write elsewhere."""
    return list(kernel.inputs) + [o for o in kernel.outputs
                                  if o not in kernel.reductions and o is not kernel.compact]


def can_fuse(node):
    """The LLVM backend's answer (same dtypes and loops), plus a ``cuda`` entry."""
    why = lowering.can_fuse(node)
    if why is None and OPS[node.op].cuda is None:
        return f"{node.op} has no CUDA lowering"
    if why is None and not _cuda_entry(node):
        return f"{node.op}: no CUDA lowering for this dtype"
    return why


def _cuda_entry(node):
    table = OPS[node.op].cuda
    return None if table is None else lowering.entry(table, kind(node))


@dataclass
class Emitted:
    source: str
    functions: dict   # role -> (C name, [(param name, "ll" | "ptr")])


class _Writer:
    def __init__(self):
        self.lines = []

    def __call__(self, line, depth=1):
        self.lines.append("    " * depth + line)


def emit(kernel, name: str, ndim: int, classes: tuple, reduced: tuple) -> Emitted:
    """CUDA C of ``kernel`` for a layout; ``classes[k][d]``: strided operand k's stride
    class along dim d; ``reduced[d]``: reduced (or scanned) dims, all after the others."""
    ops = strided(kernel)
    dtypes = [n.dtype for n in ops]
    nk = reduced.count(False) if (kernel.reductions or kernel.scan is not None) else ndim
    assert all(not r for r in reduced[:nk]) and all(reduced[nk:]), reduced
    acc_dt = {r: lowering.accumulator_dtype(r) for r in kernel.reductions}
    shape_params = [(f"n{d}", "ll") for d in range(ndim)]
    op_params = []
    for k in range(len(ops)):
        op_params.append((f"p{k}", "ptr"))
        op_params += [(f"t{k}_{d}", "ll") for d in range(ndim) if classes[k][d] not in
                      (BROADCAST, UNIT)]
    gathered = kernel.gathered
    for g in range(len(gathered)):
        op_params += [(f"q{g}", "ptr"), (f"qn{g}", "ll"), (f"qs{g}", "ll")]
    if gathered:
        op_params.append(("bad", "ptr"))
    streamed = kernel.streamed
    common = shape_params + op_params
    out, functions = [], {}

    def signature(cname, params):
        decl = ", ".join(f"long long {p}" if t == "ll" else f"char* __restrict__ {p}"
                         for p, t in params)
        out.append(f'extern "C" __global__ void {cname}({decl})\n{{')

    def stride(k, d):
        c = classes[k][d]
        return None if c == BROADCAST else str(dtypes[k].itemsize) if c == UNIT else f"t{k}_{d}"

    def unravel(w, index, depth, which=None):
        """Byte offsets o<k> of flat C-order position ``index`` of the layout."""
        which = range(len(ops)) if which is None else which
        for k in which:
            w(f"long long o{k} = 0;", depth)
        w(f"long long rem = {index};", depth)
        for d in range(ndim - 1, -1, -1):
            if d:
                w(f"long long j{d} = rem % n{d}; rem /= n{d};", depth)
            else:
                w("long long j0 = rem;", depth)
            for k in which:
                s = stride(k, d)
                if s is not None:
                    w(f"o{k} += j{d} * {s};", depth)

    def load(k, depth, w):
        dt = dtypes[k]
        ref = f"*(const {storage(dt)}*)(p{k} + o{k})"
        w(f"{ctype(dt)} in{k} = {'(' + ref + ' != 0)' if dt.kind == 'b' else ref};", depth)

    def body(w, depth, only=None):
        """Statements computing the body's values (v<j>); returns node -> C name."""
        names = {}
        for k, n in enumerate(kernel.inputs):
            if n in streamed:   # (a source only gathered is read by index)
                load(k, depth, w)
                names[n] = f"in{k}"

        def operand(s, loop_dt):
            if s in names:
                return names[s]
            v = build.const_value(s)
            return literal(v, loop_dt if build.is_weak(s) else s.dtype)

        for j, n in enumerate(kernel.body):
            var = f"v{j}"
            if n.op in lowering.SINGLE_ELEMENT:
                src, dt = n.src[0], acc_dt[n]
                work = dt if dt.kind == "f" else src.dtype
                x = cast(operand(src, src.dtype), src.dtype, work)
                expr = apply(_cuda_entry(n)[len("only:"):], [x], work)
                w(f"{ctype(dt)} {var} = {cast(expr, dt if dt.kind == 'f' else np.int64, dt)};",
                  depth)
            elif n is kernel.compact:
                w(f"{ctype(n.dtype)} {var} = {names[n.src[0]]};", depth)
            elif n.op is Op.TAKE:   # the table's "gather"
                g, idx = gathered.index(n.src[0]), n.src[1]
                w(f"long long i{j} = (long long)({operand(idx, idx.dtype)});", depth)
                w(f"if (i{j} < 0) i{j} += qn{g};", depth)
                w(f"if ((unsigned long long)i{j} >= (unsigned long long)qn{g}) "
                  f"{{ *(int*)bad = 1; i{j} = 0; }}", depth)
                ref = f"*(const {storage(n.dtype)}*)(q{g} + i{j} * qs{g})"
                ref = f"({ref} != 0)" if n.dtype.kind == "b" else ref
                w(f"{ctype(n.dtype)} {var} = {ref};", depth)
            elif n.op in REDUCE or n.op in SEGMENT or n is kernel.scan:
                src, dt = n.src[0], acc_dt.get(n, n.dtype)
                w(f"{ctype(dt)} {var} = {cast(operand(src, src.dtype), src.dtype, dt)};",
                  depth)
            else:
                ins, res = lowering.loop_dtypes(n)
                args = []
                for s, t in zip(n.src, ins):
                    sdt = t if build.is_weak(s) else s.dtype
                    args.append(cast(operand(s, t), sdt, t))
                # operands as variables of the loop dtype (templates may repeat them)
                arg_names = []
                for i, (a, t) in enumerate(zip(args, ins)):
                    w(f"{ctype(t)} a{j}_{i} = {a};", depth)
                    arg_names.append(f"a{j}_{i}")
                expr = apply(_cuda_entry(n), arg_names, ins[0])
                src_dt = ins[0] if n.op is Op.ASTYPE else res
                w(f"{ctype(n.dtype)} {var} = {cast(expr, src_dt, n.dtype)};", depth)
            names[n] = var
        return names

    def store(k, value, depth, w):
        dt = dtypes[k]
        w(f"*({storage(dt)}*)(p{k} + o{k}) = ({storage(dt)})({value});", depth)

    stores = [(k, n) for k, n in enumerate(ops) if k >= len(kernel.inputs)
              and n is not kernel.scan]
    w = _Writer()
    if any(r.op in SEGMENT for r in kernel.reductions):
        _segments(kernel, name, ndim, common, acc_dt, signature, unravel, body, store,
                  stores, w, out, functions)
    elif kernel.compact is not None:
        _compaction(kernel, name, ops, common, signature, unravel, body, w, out, functions,
                    dtypes)
    elif kernel.reductions:
        _reduction(kernel, name, nk, ndim, common, acc_dt, signature, unravel, body, store,
                   stores, w, out, functions)
    elif kernel.scan is not None:
        params = common
        signature(name, params)
        functions["main"] = (name, params)
        nkeep = " * ".join(f"n{d}" for d in range(nk)) or "1"
        nscan = " * ".join(f"n{d}" for d in range(nk, ndim)) or "1"
        sk = ops.index(kernel.scan)
        sdt = kernel.scan.dtype
        w(f"const long long nkeep = {nkeep}, nscan = {nscan};")
        w("for (long long line = (long long)blockIdx.x * blockDim.x + threadIdx.x; "
          "line < nkeep; line += (long long)gridDim.x * blockDim.x) {")
        w(f"{ctype(sdt)} run = {literal(start_value(kernel.scan.op, sdt), sdt)};", 2)
        w("for (long long r = 0; r < nscan; ++r) {", 2)
        unravel(w, "line * nscan + r", 3)
        names = body(w, 3)
        w(f"run = {apply(_cuda_entry(kernel.scan), ['run', names[kernel.scan]], sdt)};", 3)
        store(sk, "run", 3, w)
        for k, n in stores:
            store(k, names[n], 3, w)
        w("}", 2)
        w("}")
        out.extend(w.lines)
        out.append("}")
        from .scan import emit_parallel  # long lines: parts on blocks (scan.py)
        emit_parallel(kernel, name, nk, ndim, common, ops, signature, unravel, body, store,
                      stores, out, functions)
    else:
        params = shape_params + op_params
        signature(name, params)
        functions["main"] = (name, params)
        total = " * ".join(f"n{d}" for d in range(ndim))
        w(f"const long long total = {total};")
        w("for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; "
          "i < total; i += (long long)gridDim.x * blockDim.x) {")
        unravel(w, "i", 2)
        names = body(w, 2)
        for k, n in stores:
            store(k, names[n], 2, w)
        w("}")
        out.extend(w.lines)
        out.append("}")
    return Emitted("\n".join(out) + "\n", functions)


def _segments(kernel, name, ndim, common, acc_dt, signature, unravel, body, store, stores,
              w, out, functions):
    """Segment reductions (and plain ones over the same loop, as one group): each
    thread runs one part of the rows in order into its own row of accumulators
    (``a<j>[part * g<j> + group]``); ``NAME_combine`` folds the parts in order, one
    thread per group. No atomics: the order depends on sizes only."""
    reds = kernel.reductions
    if any(r.op in lowering.ARG_REDUCTIONS for r in reds):
        raise NotImplementedError("arg reductions beside segment reductions")
    params = common + [p for j in range(len(reds)) for p in ((f"a{j}", "ptr"), (f"g{j}", "ll"))]
    params += [("chunk", "ll"), ("parts", "ll")]
    signature(name, params)
    functions["main"] = (name, params)
    total = " * ".join(f"n{d}" for d in range(ndim))
    w(f"const long long total = {total};")
    w("for (long long part = (long long)blockIdx.x * blockDim.x + threadIdx.x; "
      "part < parts; part += (long long)gridDim.x * blockDim.x) {")
    w("const long long lo = part * chunk, hi = lo + chunk < total ? lo + chunk : total;", 2)
    w("for (long long i = lo; i < hi; ++i) {", 2)
    unravel(w, "i", 3)
    names = body(w, 3)
    for k, n in stores:
        store(k, names[n], 3, w)
    for j, r in enumerate(reds):
        dt, st = acc_dt[r], storage(acc_dt[r])
        if r.op in SEGMENT:
            c = r.src[1]
            code = names[c] if c in names else literal(build.const_value(c), np.int64)
        else:
            code = "0"
        w(f"{{ const long long code = (long long)({code});", 3)
        w("if (code >= 0) {", 4)
        w(f"{st}* at = ({st}*)a{j} + part * g{j} + code;", 5)
        value = apply(_cuda_entry(r), [f"(({ctype(dt)})*at)", names[r]], dt) \
            if not _cuda_entry(r).startswith("only:") else names[r]
        w(f"*at = ({st})({value});", 5)
        w("} }", 4)
    w("}", 2)
    w("}")
    out.extend(w.lines)
    out.append("}")
    w2 = _Writer()
    params = [("parts", "ll"), ("gmax", "ll")]
    for j in range(len(reds)):
        params += [(f"a{j}", "ptr"), (f"g{j}", "ll"), (f"out{j}", "ptr")]
    cname = f"{name}_combine"
    signature(cname, params)
    functions["combine"] = (cname, params)
    w2("for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; o < gmax; "
       "o += (long long)gridDim.x * blockDim.x) {")
    for j, r in enumerate(reds):
        dt, st, ost = acc_dt[r], storage(acc_dt[r]), storage(r.dtype)
        w2(f"if (o < g{j}) {{", 2)
        w2(f"{ctype(dt)} acc = (({ctype(dt)})((const {st}*)a{j})[o]);", 3)
        w2("for (long long p = 1; p < parts; ++p) {", 3)
        w2(f"{ctype(dt)} b = (({ctype(dt)})((const {st}*)a{j})[p * g{j} + o]);", 4)
        _combine_into(w2, 4, r, dt, "acc", "b", None, None)
        w2("}", 3)
        w2(f"(({ost}*)out{j})[o] = ({ost})({cast('acc', dt, r.dtype)});", 3)
        w2("}", 2)
    w2("}")
    out.extend(w2.lines)
    out.append("}")


def _arg_take(acc_dt, better_tpl, bv, bi, av, ai):
    better = apply(better_tpl, [bv, av], acc_dt)
    return f"wd_arg_take({better}, {bv}, {bi}, {av}, {ai})"


def _declare_accumulators(w, reds, acc_dt):
    """Each reduction's accumulator at its start value (and an index for arg reductions)."""
    for j, r in enumerate(reds):
        dt = acc_dt[r]
        w(f"{ctype(dt)} acc{j} = {literal(start_value(r.op, dt), dt)};", 2)
        if r.op in lowering.ARG_REDUCTIONS:
            w(f"long long accx{j} = 0x7fffffffffffffffLL;", 2)


def _accumulate(w, reds, acc_dt, names):
    """Element r's values (``names``) folded into the accumulators, by the table's entry."""
    for j, r in enumerate(reds):
        tpl, dt, v = _cuda_entry(r), acc_dt[r], names[r]
        if tpl.startswith("arg:"):
            w(f"if ({_arg_take(dt, tpl[4:], v, 'r', f'acc{j}', f'accx{j}')}) "
              f"{{ acc{j} = {v}; accx{j} = r; }}", 3)
        elif tpl.startswith("only:"):
            w(f"acc{j} = {v};", 3)
        else:
            w(f"acc{j} = {apply(tpl, [f'acc{j}', v], dt)};", 3)


def _reduction(kernel, name, nk, ndim, common, acc_dt, signature, unravel, body, store,
               stores, w, out, functions):
    reds = kernel.reductions
    acc_params = []
    for j, r in enumerate(reds):
        acc_params.append((f"a{j}", "ptr"))
        if r.op in lowering.ARG_REDUCTIONS:
            acc_params.append((f"x{j}", "ptr"))
    params = common + acc_params + [("chunk", "ll"), ("parts", "ll")]
    signature(name, params)
    functions["main"] = (name, params)
    nkeep = " * ".join(f"n{d}" for d in range(nk)) or "1"
    nred = " * ".join(f"n{d}" for d in range(nk, ndim)) or "1"
    w(f"const long long nkeep = {nkeep}, nred = {nred};")
    for j, r in enumerate(reds):
        t = ctype(acc_dt[r])
        w(f"__shared__ {t} sh{j}[{BLOCK}];")
        if r.op in lowering.ARG_REDUCTIONS:
            w(f"__shared__ long long shx{j}[{BLOCK}];")
    w("const unsigned t = threadIdx.x;")
    w("for (long long blk = blockIdx.x; blk < nkeep * parts; blk += gridDim.x) {")
    w("const long long o = blk / parts, lo = (blk % parts) * chunk;", 2)
    w("const long long hi = lo + chunk < nred ? lo + chunk : nred;", 2)
    _declare_accumulators(w, reds, acc_dt)
    w("for (long long r = lo + t; r < hi; r += blockDim.x) {", 2)
    unravel(w, "o * nred + r", 3)
    names = body(w, 3)
    for k, n in stores:
        store(k, names[n], 3, w)
    _accumulate(w, reds, acc_dt, names)
    w("}", 2)
    # the block's tree, in a fixed order: element t takes t + s
    for j, r in enumerate(reds):
        w(f"sh{j}[t] = acc{j};", 2)
        if r.op in lowering.ARG_REDUCTIONS:
            w(f"shx{j}[t] = accx{j};", 2)
    w("__syncthreads();", 2)
    w("for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {", 2)
    w("if (t < s) {", 3)
    for j, r in enumerate(reds):
        _combine_into(w, 4, r, acc_dt[r], f"sh{j}[t]", f"sh{j}[t + s]", f"shx{j}[t]",
                      f"shx{j}[t + s]")
    w("}", 3)
    w("__syncthreads();", 3)
    w("}", 2)
    w("if (t == 0) {", 2)
    for j, r in enumerate(reds):
        st = storage(acc_dt[r])
        w(f"(({st}*)a{j})[blk] = ({st})sh{j}[0];", 3)
        if r.op in lowering.ARG_REDUCTIONS:
            w(f"((long long*)x{j})[blk] = shx{j}[0];", 3)
    w("}", 2)
    w("__syncthreads();", 2)
    w("}")
    out.extend(w.lines)
    out.append("}")
    # stage 2: each slice's parts, folded in order
    w2 = _Writer()
    params = [("nkeep", "ll"), ("parts", "ll")]
    for j, r in enumerate(reds):
        params.append((f"a{j}", "ptr"))
        if r.op in lowering.ARG_REDUCTIONS:
            params.append((f"x{j}", "ptr"))
        params.append((f"out{j}", "ptr"))
    cname = f"{name}_combine"
    signature(cname, params)
    functions["combine"] = (cname, params)
    w2("for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; o < nkeep; "
       "o += (long long)gridDim.x * blockDim.x) {")
    for j, r in enumerate(reds):
        dt = acc_dt[r]
        st = storage(dt)
        load = f"(({ctype(dt)})((const {st}*)a{j})[o * parts + p])"
        w2(f"{ctype(dt)} acc{j} = {load.replace('+ p]', '+ 0]')};", 2)
        if r.op in lowering.ARG_REDUCTIONS:
            w2(f"long long accx{j} = ((const long long*)x{j})[o * parts];", 2)
        w2("for (long long p = 1; p < parts; ++p) {", 2)
        w2(f"{ctype(dt)} b = {load};", 3)
        if r.op in lowering.ARG_REDUCTIONS:
            w2("long long bx = ((const long long*)x" + str(j) + ")[o * parts + p];", 3)
        _combine_into(w2, 3, r, dt, f"acc{j}", "b", f"accx{j}", "bx")
        w2("}", 2)
        if r.op in lowering.ARG_REDUCTIONS:
            w2(f"((long long*)out{j})[o] = accx{j};", 2)
        else:
            ost = storage(r.dtype)
            w2(f"(({ost}*)out{j})[o] = ({ost})({cast(f'acc{j}', dt, r.dtype)});", 2)
    w2("}")
    out.extend(w2.lines)
    out.append("}")
    # short slices: one thread per slice, in order (no block, no second stage)
    w3 = _Writer()
    params = common + [(f"out{j}", "ptr") for j in range(len(reds))]
    signature(f"{name}_rows", params)
    functions["rows"] = (f"{name}_rows", params)
    w3(f"const long long nkeep = {nkeep}, nred = {nred};")
    w3("for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; o < nkeep; "
       "o += (long long)gridDim.x * blockDim.x) {")
    _declare_accumulators(w3, reds, acc_dt)
    w3("for (long long r = 0; r < nred; ++r) {", 2)
    unravel(w3, "o * nred + r", 3)
    names = body(w3, 3)
    for k, n in stores:
        store(k, names[n], 3, w3)
    _accumulate(w3, reds, acc_dt, names)
    w3("}", 2)
    for j, r in enumerate(reds):
        ost = storage(r.dtype)
        result = f"accx{j}" if r.op in lowering.ARG_REDUCTIONS else \
            cast(f"acc{j}", acc_dt[r], r.dtype)
        w3(f"(({ost}*)out{j})[o] = ({ost})({result});", 2)
    w3("}")
    out.extend(w3.lines)
    out.append("}")


def _combine_into(w, depth, r, dt, a, b, ax, bx):
    """``a = a (op) b`` for partials: the earlier one on the left."""
    tpl = _cuda_entry(r)
    if tpl.startswith("arg:"):
        w(f"if ({_arg_take(dt, tpl[4:], b, bx, a, ax)}) {{ {a} = {b}; {ax} = {bx}; }}",
          depth)
    elif tpl.startswith("only:"):
        w(f"{a} = {a};", depth)   # one element per slice: the part that has it is first
    else:
        w(f"{a} = {apply(tpl, [a, b], dt)};", depth)


def _compaction(kernel, name, ops, common, signature, unravel, body, w, out, functions,
                dtypes):
    mask_k = kernel.inputs.index(kernel.compact.src[1])
    ndim = sum(1 for p, _ in common if p.startswith("n"))
    total = " * ".join(f"n{d}" for d in range(ndim))

    def mask_value(depth, wr):
        wr(f"flag = *(const unsigned char*)(p{mask_k} + o{mask_k}) != 0;", depth)

    # counts per block over C-order chunks
    wc = _Writer()
    params = common + [("counts", "ptr"), ("chunk", "ll")]
    signature(f"{name}_count", params)
    functions["count"] = (f"{name}_count", params)
    wc(f"const long long total = {total};")
    wc(f"__shared__ long long sh[{BLOCK}];")
    wc("const unsigned t = threadIdx.x;")
    wc("const long long nblocks = (total + chunk - 1) / chunk;")
    wc("for (long long blk = blockIdx.x; blk < nblocks; blk += gridDim.x) {")
    wc("const long long lo = blk * chunk, hi = lo + chunk < total ? lo + chunk : total;", 2)
    wc("long long c = 0;", 2)
    wc("for (long long i = lo + t; i < hi; i += blockDim.x) {", 2)
    unravel(wc, "i", 3, which=[mask_k])
    wc("bool flag;", 3)
    mask_value(3, wc)
    wc("c += flag;", 3)
    wc("}", 2)
    wc("sh[t] = c;", 2)
    wc("__syncthreads();", 2)
    wc("for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {", 2)
    wc("if (t < s) sh[t] += sh[t + s];", 3)
    wc("__syncthreads();", 3)
    wc("}", 2)
    wc("if (t == 0) ((long long*)counts)[blk] = sh[0];", 2)
    wc("__syncthreads();", 2)
    wc("}")
    out.extend(wc.lines)
    out.append("}")
    # exclusive scan of the counts (and the total after them), by one thread
    wo = _Writer()
    params = [("nblocks", "ll"), ("counts", "ptr")]
    signature(f"{name}_offsets", params)
    functions["offsets"] = (f"{name}_offsets", params)
    wo("if (blockIdx.x == 0 && threadIdx.x == 0) {")
    wo("long long* c = (long long*)counts;", 2)
    wo("long long s = 0;", 2)
    wo("for (long long b = 0; b < nblocks; ++b) { long long v = c[b]; c[b] = s; s += v; }", 2)
    wo("c[nblocks] = s;", 2)
    wo("}")
    out.extend(wo.lines)
    out.append("}")
    # the values, each at its offset plus its rank in the block's tile
    params = common + [("out", "ptr"), ("offsets", "ptr"), ("chunk", "ll")]
    signature(name, params)
    functions["main"] = (name, params)
    odt = kernel.compact.dtype
    w(f"const long long total = {total};")
    w(f"__shared__ long long rank[{BLOCK}];")
    w("const unsigned t = threadIdx.x;")
    w("const long long nblocks = (total + chunk - 1) / chunk;")
    w("for (long long blk = blockIdx.x; blk < nblocks; blk += gridDim.x) {")
    w("const long long lo = blk * chunk, hi = lo + chunk < total ? lo + chunk : total;", 2)
    w("long long cursor = ((const long long*)offsets)[blk];", 2)
    w("for (long long base = lo; base < hi; base += blockDim.x) {", 2)
    w("const long long i = base + t;", 3)
    w("bool flag = false;", 3)
    unravel(w, "i < hi ? i : lo", 3)
    w("if (i < hi) {", 3)
    mask_value(4, w)
    w("}", 3)
    w("rank[t] = flag;", 3)
    w("__syncthreads();", 3)
    w("for (unsigned s = 1; s < blockDim.x; s <<= 1) {", 3)
    w("long long add = t >= s ? rank[t - s] : 0;", 4)
    w("__syncthreads();", 4)
    w("rank[t] += add;", 4)
    w("__syncthreads();", 4)
    w("}", 3)
    if kernel.gathered:   # NumPy gathers every element before selecting: all checked
        names = body(w, 3)
    w("if (flag) {", 3)
    if not kernel.gathered:
        names = body(w, 4)
    st = storage(odt)
    w(f"(({st}*)out)[cursor + rank[t] - 1] = ({st})({names[kernel.compact]});", 4)
    w("}", 3)
    w("cursor += rank[blockDim.x - 1];", 3)
    w("__syncthreads();", 3)
    w("}", 2)
    w("}")
    out.extend(w.lines)
    out.append("}")

"""What the LLVM backend can compile, read from the OPS table's ``llvm`` column.

For each node: the dtypes of the NumPy loop that computes it (``loop_dtypes``, from
``ufunc.resolve_dtypes``, so casting is exactly NumPy's) and the lowering entry for that
loop's dtype kind. ``can_fuse`` answers the fusion pass: None, or why not.
"""
from __future__ import annotations

import numpy as np

from ...ir import build
from ...ir.ops import FPE_PROPAGATES, OPS, REDUCE, SCAN, SEGMENT, Op, single_element

SUPPORTED = frozenset(np.dtype(t) for t in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64"))
REDUCE_KWARGS = frozenset({"axis", "keepdims", "dtype"})


def _operand_type(node):
    if build.is_weak(node):
        return type(build.const_value(node))
    return node.dtype


def loop_dtypes(node) -> tuple:
    """(input loop dtypes, output dtype) of the NumPy loop for an elementwise node."""
    d = OPS[node.op]
    if isinstance(d.fn, np.ufunc):
        types = d.fn.resolve_dtypes(tuple(map(_operand_type, node.src)) + (None,) * d.fn.nout)
        return tuple(types[:d.fn.nin]), types[d.fn.nin]
    if node.op is Op.WHERE:
        return (np.dtype(bool), node.dtype, node.dtype), node.dtype
    if node.op is Op.CLIP:
        return (node.dtype,) * 3, node.dtype
    return (node.src[0].dtype,), node.dtype  # astype, copy


ARG_REDUCTIONS = frozenset({Op.ARGMIN, Op.ARGMAX})
# movement ops NumPy answers with a view of the same data (the interpreter does too)
VIEWS = frozenset({Op.GETITEM, Op.TRANSPOSE, Op.BROADCAST_TO})


def accumulator_dtype(node) -> np.dtype:
    """The dtype a reduction accumulates in (for argmin/argmax: the best value's)."""
    if node.op in ARG_REDUCTIONS:
        return node.src[0].dtype
    return np.dtype(bool) if node.op in (Op.ANY, Op.ALL) else node.dtype


def entry(table: dict, kind: str):
    for kinds, value in table.items():
        if kind in kinds:
            return value
    return None


# reductions compiled only with one element per slice (ir.ops.single_element): their
# entries ("only:<entry>") are keyed by the source's kind and make the result of that
# element alone, in the accumulator's dtype
SINGLE_ELEMENT = frozenset({Op.NANMEAN, Op.NANVAR, Op.NANARGMIN, Op.NANARGMAX})


def lowering(node) -> str | None:
    table = OPS[node.op].llvm
    if table is None:
        return None
    if node.op in SINGLE_ELEMENT:
        return entry(table, node.src[0].dtype.kind)
    if node.op is Op.COMPRESS or node.op is Op.TAKE:   # keyed by the value's kind
        return entry(table, node.dtype.kind)
    if node.op in REDUCE or node.op in SCAN or node.op in SEGMENT:
        return entry(table, accumulator_dtype(node).kind)
    ins, _ = loop_dtypes(node)
    return entry(table, ins[0].kind)


def _admitted_mixed_loop(op, ins) -> bool:
    """The NumPy loops with operands of several dtypes that the lowerings handle: where's
    (bool, T, T) and ldexp's (float, int32 | int64)."""
    if op is Op.WHERE:
        return True
    return op is Op.LDEXP and ins[0].kind == "f" and ins[1] in (np.dtype("int32"),
                                                                np.dtype("int64"))


def can_fuse(node) -> str | None:
    """None if the node compiles inside a loop, else the reason it runs elsewhere."""
    table = OPS[node.op].llvm
    if node.op in VIEWS:
        return "a view (O(1), no copy): kernels read it in place"
    if node.op is Op.RESHAPE:
        return "a reshape: a view where NumPy makes one (O(1)), else NumPy's copy"
    if table is None:
        return f"{node.op} has no LLVM lowering"
    if node.dtype not in SUPPORTED or any(s.dtype not in SUPPORTED for s in node.src):
        return "dtype without native support"
    if node.op is Op.COMPRESS:   # a compaction loop over the value's shape
        return None if entry(table, node.dtype.kind) else f"{node.op} of {node.dtype}"
    if node.op is Op.TAKE:
        return _gather_fusable(node)
    if node.op in SCAN:
        if dict(node.arg)["axis"] is None and node.src[0].ndim != 1:
            return "a scan of the flattened array (runs on the interpreter)"
        if node.src[0].dtype.kind == "f" and node.dtype.kind in "iu":
            return "float -> integer cast (out-of-range results are platform-defined)"
        return None if lowering(node) else f"{node.op} of {node.dtype}"
    if node.op in SINGLE_ELEMENT:
        if not single_element(node):
            return (f"{node.op} of several elements per slice (decomposed; NumPy's "
                    "data-dependent warning needs one element per slice to check)")
        return None if lowering(node) else f"{node.op} of {node.src[0].dtype}"
    if node.op in SEGMENT:
        return _segment_fusable(node)
    if node.op in REDUCE:
        if not set(dict(node.arg)) <= REDUCE_KWARGS:
            return "reduction arguments"
        if node.src[0].dtype.kind == "f" and accumulator_dtype(node).kind in "iu":
            return "float -> integer cast (out-of-range results are platform-defined)"
        return None if lowering(node) else f"{node.op} of {node.dtype}"
    try:
        ins, out = loop_dtypes(node)
    except (TypeError, ValueError) as e:
        return f"no NumPy loop: {e}"
    if len(set(ins)) != 1 and not _admitted_mixed_loop(node.op, ins):
        return "mixed-type NumPy loop"
    if out != node.dtype or any(t not in SUPPORTED for t in ins):
        return "loop dtype"
    for s, t in zip(node.src, ins):
        if build.is_weak(s) and type(build.const_value(s)) is int and t.kind in "iu" and \
                not np.iinfo(t).min <= build.const_value(s) <= np.iinfo(t).max:
            return "Python int out of the loop dtype's range (NumPy compares it exactly)"
    if node.op is Op.ASTYPE and node.src[0].dtype.kind == "f" and node.dtype.kind in "iu":
        return "float -> integer cast (out-of-range results are platform-defined)"
    return None if lowering(node) else f"{node.op} on {ins[0]}"


def _gather_fusable(node) -> str | None:
    """A gather: a 1-D source (read whole: a kernel input) at integer indices that are
    values of the loop (``x[idx]`` over ``idx``'s shape)."""
    x, idx = node.src
    if x.ndim != 1:
        return "a take from a multi-dimensional array (NumPy's take)"
    if idx.dtype.kind not in "iu":
        return "indices that are not integers"
    return None if lowering(node) else f"{node.op} of {node.dtype}"


def _segment_fusable(node) -> str | None:
    """A segment reduction in the form the table lowers (``ir.segment``: its other forms
    decompose into these before fusion)."""
    arg, floats = dict(node.arg), node.src[0].dtype.kind == "f"
    if node.src[1].dtype != np.int64:
        return "group codes that are not int64"
    if floats and node.dtype.kind in "iu":
        return "float -> integer cast (out-of-range results are platform-defined)"
    if node.op in (Op.SEGMENT_SUM, Op.SEGMENT_PROD) and floats and \
            (arg.get("skipna") or arg.get("min_count")):
        return "a NaN-skipping sum (decomposed into a where and a plain sum first)"
    if node.op in (Op.SEGMENT_MIN, Op.SEGMENT_MAX) and floats and not arg.get("skipna"):
        return "a NaN-propagating min/max (decomposed first)"
    return None if lowering(node) else f"{node.op} of {node.dtype}"


def fpe_condition(node) -> dict | None:
    """The OPS table's fpe entry for this node's loop ({kind: condition}), or None: its
    values never make NumPy warn (the loop has no flag code for it)."""
    table = OPS[node.op].fpe
    if table is None or node.op not in ELEMENTWISE_FPE:
        return None
    ins, out = loop_dtypes(node)
    if node.op is Op.ASTYPE and not (   # only a float narrowed to a float may overflow
            ins[0].kind == "f" and out.kind == "f" and out.itemsize < ins[0].itemsize):
        return None
    return entry(table, ins[0].kind) or None


def fpe_nodes(kernel) -> tuple:
    """(node, {kind: condition}) of the body nodes whose values may make NumPy warn, in
    the body's (topological) order: the order their warnings are issued in."""
    found = []
    for n in kernel.body:
        if n.op is Op.TAKE or n.op in REDUCE or n.op in SCAN or n.op in SEGMENT or \
                n.op in SINGLE_ELEMENT or n is kernel.compact:
            continue
        condition = fpe_condition(n)
        if condition:
            found.append((n, condition))
    return tuple(found)


ELEMENTWISE_FPE = frozenset(op for op, d in OPS.items()
                            if d.kind == "elementwise" and d.fpe is not None)


def _results_only(condition) -> bool:
    """Whether every alternative of ``condition`` needs a NaN or infinite result."""
    return all("nan" in t or "inf" in t for kind in condition for t in condition[kind])


def _propagating_consumer(node, kernel, consumers):
    """A body node computed in the loop whose float result is NaN or infinite whenever
    ``node``'s value is (the OPS table's FPE_PROPAGATES; a float sum or product of it),
    or None."""
    for u, k in consumers.get(node, ()):
        if u.op in (Op.SUM, Op.PROD) and u in kernel.reductions and \
                node.dtype.kind == "f" and accumulator_dtype(u).kind == "f":
            return u
        if u.op is Op.TAKE or u.op in REDUCE or u.op in SCAN or u.op in SEGMENT or \
                u.op in SINGLE_ELEMENT or u is kernel.compact or u.dtype.kind != "f" or \
                k not in FPE_PROPAGATES.get(str(u.op), ()):
            continue
        ins, _ = loop_dtypes(u)
        if ins[k].kind == "f":
            return u
    return None


def fpe_fast_checks(kernel, fpes) -> tuple:
    """What a kernel's fast variant tests to learn whether any node of ``fpes`` may have
    raised a floating-point error: (nodes whose conditions it tests, all kinds at once;
    values it tests for NaN or infinity). A node whose errors all give a NaN or infinite
    result is covered by the end of the chain of ops that carry such a value on (a
    kernel output, or the operand of a where, an exp, a comparison...): one test there
    covers every node up the chain."""
    consumers: dict = {}
    for u in kernel.body:
        for k, s in enumerate(u.src):
            consumers.setdefault(s, []).append((u, k))
    ends: dict = {}
    for v in reversed(kernel.body):   # a consumer comes later in the body
        u = _propagating_consumer(v, kernel, consumers)
        ends[v] = v if u is None else ends[u]
    direct, tested = [], set()
    for n, condition in fpes:
        if n.dtype.kind == "f" and _results_only(condition):
            tested.add(ends[n])
        else:
            direct.append(n)
    return tuple(direct), frozenset(tested)


def fpe_host_tests(kernel, fpes) -> tuple:
    """The reductions among a fast variant's tested values: a float sum or product is NaN
    or infinite where one of its values is, so the launcher tests its result instead
    (once, after the loop) and the loop tests nothing for it."""
    return tuple(n for n in fpe_fast_checks(kernel, fpes)[1] if n in kernel.reductions)

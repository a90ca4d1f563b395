"""The OPS table: the single source of truth for every operation of the IR.

Each row says what kind of op it is (which decides how shapes are inferred and how
backends schedule it), the NumPy function that *defines* it (the oracle calls exactly
``fn(*source_values, **dict(arg))``), its arity, and slots for the lowerings later backends
add (``llvm``, ``cuda``) or a decomposition into other ops. Result dtypes are NumPy's: the
builder probes ``fn`` on miniature arrays (see ``ir.dtypes``), so no promotion rule is
written twice.

Adding an op = one row here + a one-line frontend wrapper; the generated tests pick it up.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

# --- elementwise ufuncs (NumPy name == op name) -------------------------------------------
UNARY_UFUNCS = (
    "negative", "positive", "absolute", "fabs", "sign", "floor", "ceil", "trunc", "rint",
    "sqrt", "cbrt", "square", "reciprocal", "exp", "exp2", "expm1", "log", "log2", "log10",
    "log1p", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg", "degrees", "radians", "isnan",
    "isinf", "isfinite", "signbit", "logical_not", "invert", "spacing", "conjugate",
    "bitwise_count",
)
BINARY_UFUNCS = (
    "add", "subtract", "multiply", "divide", "floor_divide", "remainder", "fmod", "power",
    "float_power", "maximum", "minimum", "fmax", "fmin", "equal", "not_equal", "less",
    "less_equal", "greater", "greater_equal", "logical_and", "logical_or", "logical_xor",
    "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift", "arctan2",
    "hypot", "copysign", "logaddexp", "logaddexp2", "nextafter", "heaviside", "gcd", "lcm",
    "ldexp",
)
# --- reductions and scans: fn(x, axis=..., keepdims=..., dtype=..., ddof=...) ----------------
REDUCTIONS = (
    "sum", "prod", "min", "max", "mean", "var", "std", "argmin", "argmax", "any", "all",
    "nansum", "nanprod", "nanmin", "nanmax", "nanmean", "nanvar", "nanstd", "nanargmin",
    "nanargmax",
)
SCANS = ("cumsum", "cumprod", "nancumsum", "nancumprod")


def _const(*, value, dtype):
    # dtype None: a weak Python scalar, handed to NumPy as the Python object itself.
    return value if dtype is None else np.dtype(dtype).type(value)


def _input(*, buffer):
    return buffer.data


def _rebuild_key(key, arrays):
    # Index arrays travel as sources; the key holds "@i" placeholders for them.
    return tuple(arrays[int(k[1:])] if isinstance(k, str) else k for k in key)


def _getitem(x, *arrays, key):
    return x[_rebuild_key(key, arrays)]


def _setitem(x, value, *arrays, key):
    out = np.array(x, copy=True)  # functional update: the source value is never mutated
    out[_rebuild_key(key, arrays)] = value
    return out


def _astype(x, *, dtype):
    return np.astype(x, dtype)  # np.astype takes dtype positionally only


def _compress(x, mask):
    return x[mask]


def _concatenate(*xs, axis):
    return np.concatenate(xs, axis=axis)


def _reshape(x, *, shape):
    return np.reshape(x, shape)


@dataclass(frozen=True)
class OpDef:
    kind: str              # input|const|leaf|elementwise|reduce|scan|movement|index|linalg
    fn: Callable[..., Any]  # the oracle: fn(*source_values, **dict(arg))
    arity: int | None      # number of sources; None = variadic
    llvm: Any = None       # lowering, filled by the LLVM backend issue
    cuda: Any = None       # CUDA C template, filled by the GPU backend issue
    decompose: Callable | None = None
    doc: str = ""


# --- LLVM lowerings, by the kind of the loop dtype NumPy resolves for the op ---------------
# Keys: loop-dtype kinds ('f' float, 'i' signed, 'u' unsigned, 'b' bool; several kinds may
# share an entry). Values, read by backends/llvm (never by op name):
#   an LLVM instruction (fadd, add, and, ...), "fcmp:<pred>"/"icmp:<pred>",
#   "intr:<llvm intrinsic>", "libm:<C function>" (float32 calls the 'f' variant),
#   "copy" (the value itself), "recipe:<name>" (a short IR sequence in
#   backends/llvm/recipes.py, for ops whose NumPy semantics need more than one instruction).
# An op or kind without an entry is not lowered: its node runs on the interpreter.
LLVM = {
    "add": {"f": "fadd", "iu": "add", "b": "or"},
    "subtract": {"f": "fsub", "iu": "sub"},
    "multiply": {"f": "fmul", "iu": "mul", "b": "and"},
    "divide": {"f": "fdiv"},
    "floor_divide": {"f": "recipe:floor_divide", "iu": "recipe:floor_divide"},
    "remainder": {"f": "recipe:remainder", "iu": "recipe:remainder"},
    "fmod": {"f": "frem", "iu": "recipe:fmod"},
    "power": {"f": "intr:llvm.pow"},
    "float_power": {"f": "intr:llvm.pow"},
    "negative": {"f": "fneg", "iu": "recipe:negative"},
    "positive": {"fiu": "copy"},
    "absolute": {"f": "intr:llvm.fabs", "i": "recipe:absolute", "ub": "copy"},
    "fabs": {"f": "intr:llvm.fabs"},
    "sign": {"f": "recipe:sign", "iu": "recipe:sign"},
    "square": {"f": "recipe:square", "iu": "recipe:square", "b": "and"},
    "reciprocal": {"f": "recipe:reciprocal"},
    "sqrt": {"f": "intr:llvm.sqrt"},
    "cbrt": {"f": "libm:cbrt"},
    "exp": {"f": "libm:exp"},
    "exp2": {"f": "libm:exp2"},
    "expm1": {"f": "libm:expm1"},
    "log": {"f": "libm:log"},
    "log2": {"f": "libm:log2"},
    "log10": {"f": "libm:log10"},
    "log1p": {"f": "libm:log1p"},
    "sin": {"f": "libm:sin"},
    "cos": {"f": "libm:cos"},
    "tan": {"f": "libm:tan"},
    "arcsin": {"f": "libm:asin"},
    "arccos": {"f": "libm:acos"},
    "arctan": {"f": "libm:atan"},
    "sinh": {"f": "libm:sinh"},
    "cosh": {"f": "libm:cosh"},
    "tanh": {"f": "libm:tanh"},
    "arcsinh": {"f": "libm:asinh"},
    "arccosh": {"f": "libm:acosh"},
    "arctanh": {"f": "libm:atanh"},
    "arctan2": {"f": "libm:atan2"},
    "hypot": {"f": "libm:hypot"},
    "copysign": {"f": "intr:llvm.copysign"},
    "nextafter": {"f": "libm:nextafter"},
    "deg2rad": {"f": "recipe:deg2rad"},
    "radians": {"f": "recipe:deg2rad"},
    "rad2deg": {"f": "recipe:rad2deg"},
    "degrees": {"f": "recipe:rad2deg"},
    "floor": {"f": "intr:llvm.floor", "iub": "copy"},
    "ceil": {"f": "intr:llvm.ceil", "iub": "copy"},
    "trunc": {"f": "intr:llvm.trunc", "iub": "copy"},
    "rint": {"f": "intr:llvm.rint"},
    "isnan": {"f": "recipe:isnan"},
    "isinf": {"f": "recipe:isinf"},
    "isfinite": {"f": "recipe:isfinite"},
    "signbit": {"f": "recipe:signbit"},
    "logaddexp": {"f": "recipe:logaddexp"},
    "logaddexp2": {"f": "recipe:logaddexp2"},
    "spacing": {"f": "recipe:spacing"},
    "bitwise_count": {"iu": "recipe:bitwise_count"},  # uint8 result
    "gcd": {"iu": "recipe:gcd"},
    "lcm": {"iu": "recipe:lcm"},
    "ldexp": {"f": "recipe:ldexp"},   # the mixed loop (float, int32|int64) -> float
    "heaviside": {"f": "recipe:heaviside"},
    "maximum": {"f": "recipe:maximum", "iub": "recipe:maximum"},
    "minimum": {"f": "recipe:minimum", "iub": "recipe:minimum"},
    "fmax": {"f": "recipe:fmax", "iub": "recipe:maximum"},
    "fmin": {"f": "recipe:fmin", "iub": "recipe:minimum"},
    "equal": {"f": "fcmp:oeq", "iub": "icmp:eq"},
    "not_equal": {"f": "fcmp:une", "iub": "icmp:ne"},
    "less": {"f": "fcmp:olt", "i": "icmp:slt", "ub": "icmp:ult"},
    "less_equal": {"f": "fcmp:ole", "i": "icmp:sle", "ub": "icmp:ule"},
    "greater": {"f": "fcmp:ogt", "i": "icmp:sgt", "ub": "icmp:ugt"},
    "greater_equal": {"f": "fcmp:oge", "i": "icmp:sge", "ub": "icmp:uge"},
    "logical_and": {"fiub": "recipe:logical_and"},
    "logical_or": {"fiub": "recipe:logical_or"},
    "logical_xor": {"fiub": "recipe:logical_xor"},
    "logical_not": {"fiub": "recipe:logical_not"},
    "bitwise_and": {"iub": "and"},
    "bitwise_or": {"iub": "or"},
    "bitwise_xor": {"iub": "xor"},
    "invert": {"iu": "recipe:invert", "b": "recipe:logical_not"},
    "left_shift": {"iu": "recipe:left_shift"},
    "right_shift": {"iu": "recipe:right_shift"},
    "conjugate": {"fiu": "copy"},
    "where": {"fiub": "recipe:where"},
    "clip": {"f": "recipe:clip", "iub": "recipe:clip"},
    "astype": {"fiub": "copy"},   # the cast to the output dtype is the whole op
    "copy": {"fiub": "copy"},
    # reductions: how two partial values combine, in the accumulator's dtype
    "sum": {"f": "fadd", "iu": "add"},
    "prod": {"f": "fmul", "iu": "mul"},
    "min": {"f": "recipe:minimum", "iub": "recipe:minimum"},
    "max": {"f": "recipe:maximum", "iub": "recipe:maximum"},
    "any": {"b": "or"},
    "all": {"b": "and"},
}


def _table() -> dict:
    rows: dict[str, OpDef] = {
        "input": OpDef("input", _input, 0, doc="a user or fallback buffer"),
        "const": OpDef("const", _const, 0, doc="a scalar; weak if it was a Python scalar"),
        "full": OpDef("leaf", np.full, 0),
        "arange": OpDef("leaf", np.arange, 0),
        "linspace": OpDef("leaf", np.linspace, 0),
        "eye": OpDef("leaf", np.eye, 0),
        "where": OpDef("elementwise", np.where, 3),
        "clip": OpDef("elementwise", np.clip, 3),
        "round": OpDef("elementwise", np.round, 1),       # arg: decimals
        "astype": OpDef("elementwise", _astype, 1),       # arg: dtype
        "copy": OpDef("elementwise", np.copy, 1),         # a fresh buffer (np.copy/np.array)
        "reshape": OpDef("movement", _reshape, 1),
        "transpose": OpDef("movement", np.transpose, 1),  # arg: axes
        "broadcast_to": OpDef("movement", np.broadcast_to, 1),
        "getitem": OpDef("movement", _getitem, None),     # basic indexing: a view in NumPy
        "take": OpDef("index", np.take, 2),               # integer-array indexing on an axis
        "compress": OpDef("index", _compress, 2),         # boolean-mask indexing
        "setitem": OpDef("index", _setitem, None),        # functional x[key] = value
        "concatenate": OpDef("movement", _concatenate, None),
        "matmul": OpDef("linalg", np.matmul, 2),
        "dot": OpDef("linalg", np.dot, 2),
    }
    for name in UNARY_UFUNCS:
        rows[name] = OpDef("elementwise", getattr(np, name), 1)
    for name in BINARY_UFUNCS:
        rows[name] = OpDef("elementwise", getattr(np, name), 2)
    for name in REDUCTIONS:
        rows[name] = OpDef("reduce", getattr(np, name), 1)
    for name in SCANS:
        rows[name] = OpDef("scan", getattr(np, name), 1)
    for name, lowering in LLVM.items():
        rows[name] = replace(rows[name], llvm=lowering)
    return rows


_ROWS = _table()
# IntEnum: hashing is int hashing (C), which matters for tracing speed.
Op = enum.IntEnum("Op", [name.upper() for name in _ROWS])
Op.__str__ = lambda self: self.name.lower()
OPS: dict[Op, OpDef] = {Op[name.upper()]: row for name, row in _ROWS.items()}

# ufunc object -> op, for __array_ufunc__ (np.abs is np.absolute, np.mod is np.remainder, ...)
UFUNC_OPS: dict[np.ufunc, Op] = {
    d.fn: op for op, d in OPS.items() if d.kind == "elementwise" and isinstance(d.fn, np.ufunc)}

ELEMENTWISE = frozenset(op for op, d in OPS.items() if d.kind == "elementwise")
REDUCE = frozenset(op for op, d in OPS.items() if d.kind == "reduce")
SCAN = frozenset(op for op, d in OPS.items() if d.kind == "scan")
# Reductions without an identity: NumPy raises on an empty reduction.
NO_IDENTITY = frozenset({Op.MIN, Op.MAX, Op.ARGMIN, Op.ARGMAX, Op.NANMIN, Op.NANMAX,
                         Op.NANARGMIN, Op.NANARGMAX})


def call(op: Op, values, arg):
    """Run the oracle for one op: the definition of its semantics."""
    return OPS[op].fn(*values, **dict(arg or ()))

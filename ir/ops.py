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
import functools
import math
import warnings
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from .cuda import CUDA
from .segment import SEGMENT_HOWS, SEGMENTS  # noqa: F401 - SEGMENT_HOWS: the frontend's
from .segment import decomposition as _segment_decomposition
from .segment import oracle as _segment_oracle

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
    # what NumPy warns or raises from the result itself (data-dependent): run by backends
    # that compute the op without calling ``fn`` (the oracle does it on its own)
    check: Callable | None = None
    # sources read at data-dependent positions (a gather's table): a fused loop reads them
    # whole, so they stay kernel inputs (materialized), never computed in the loop
    whole: tuple = ()
    # when NumPy warns of a floating-point error, per loop-dtype kind (see FPE below)
    fpe: Any = None
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
    "power": {"f": "libm:pow"},
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
    # arg reductions: "arg:<comparison>" says when a value replaces the best so far (the
    # first occurrence wins; for floats the first NaN wins, as NumPy's argmin/argmax)
    "argmin": {"f": "arg:fcmp:olt", "i": "arg:icmp:slt", "ub": "arg:icmp:ult"},
    "argmax": {"f": "arg:fcmp:ogt", "i": "arg:icmp:sgt", "ub": "arg:icmp:ugt"},
    # float nanmin/nanmax are fmin/fmax reductions (NumPy's own), starting from NaN;
    # integer ones decompose to min/max
    "nanmin": {"f": "recipe:fmin"},
    "nanmax": {"f": "recipe:fmax"},
    # "only:<entry>": a reduction of ONE element per slice (``single_element``; keyed by
    # the source's kind): <entry> applied to that element is the result
    "nanmean": {"f": "only:recipe:mean_of_one"},      # x + 0.0 (NumPy's sum of one)
    "nanvar": {"f": "only:recipe:variance_of_one"},   # (x - x) ** 2: 0.0, or NaN
    "nanargmin": {"f": "only:recipe:nan_position"},   # 0, or -1 for NaN (checked)
    "nanargmax": {"f": "only:recipe:nan_position"},
    # scans: how the running value and the next element combine, in the output dtype
    # (sequential, as NumPy's: the same rounding, bit for bit)
    "cumsum": {"f": "fadd", "iu": "add"},
    "cumprod": {"f": "fmul", "iu": "mul"},
    # segment reductions (groupby): how a row's value combines into its group's
    # accumulator, in the accumulator's dtype (sums and products without NaN skipping,
    # min/max skipping NaN: their other forms decompose to these)
    "segment_sum": {"f": "fadd", "iu": "add"},
    "segment_prod": {"f": "fmul", "iu": "mul"},
    "segment_min": {"f": "recipe:fmin", "iub": "recipe:minimum"},
    "segment_max": {"f": "recipe:fmax", "iub": "recipe:maximum"},
    # boolean-mask indexing: a compaction loop, appending the value where the mask is
    # true at a cursor (keyed by the value's kind)
    "compress": {"fiub": "compact"},
    # integer-array indexing of a 1-D array (keyed by the value's kind): a load of the
    # source (read whole) at the index computed in the loop, wrapped as NumPy wraps
    # negative ones; an index out of [-n, n) sets the kernel's error flag (nothing is read
    # there) and the oracle, run on the kernel, raises NumPy's IndexError
    "take": {"fiub": "gather"},
}


# --- floating-point errors: what NumPy warns about, per element --------------------------
# NumPy reads the CPU's floating-point flags after each ufunc call (integer loops set them
# by hand) and, under errstate 'warn', issues "<kind> encountered in <ufunc>" once per kind
# per call. Backends that compute an op without NumPy (the LLVM column) tell the same from
# the values: the ``fpe`` column says, per loop-dtype kind (keys as in the LLVM column),
# when each kind is raised at one element. A condition is a tuple of alternatives, each a
# tuple of atoms that must all hold:
#   "nan" / "inf": the result is NaN / +-inf;  "numbers": no float operand is NaN;
#   "finite": every float operand is finite;  "zero:k" / "nonzero:k": operand k == 0 / != 0;
#   "min:k": operand k is its (signed) dtype's minimum;  "minus_one:k": operand k == -1;
#   "diff_inf": operand 0 - operand 1 overflows to +-inf.
# Kinds: "divide" (by zero), "overflow", "invalid" (value). Underflow, ignored by default,
# is not modelled: a non-default errstate for it evaluates on the interpreter. Every float
# ufunc with a float result and an LLVM lowering gets FPE_GENERIC unless listed (checked
# against NumPy itself in tests/backends/test_fp_warnings.py).
FPE_KINDS = ("divide", "overflow", "invalid")   # NumPy's order of warnings for one call
FPE_MESSAGES = {"divide": "divide by zero", "overflow": "overflow", "invalid": "invalid value"}
_NAN_FROM_NUMBERS = ("nan", "numbers")
FPE_GENERIC = {"overflow": (("inf", "finite"),), "invalid": (_NAN_FROM_NUMBERS,)}
_POLE = {"divide": (("inf", "finite"),), "invalid": (_NAN_FROM_NUMBERS,)}


def _pole_at_zero(k):
    """An infinite result from finite operands is a division by zero where operand k is 0
    (x / 0, 0 ** -1, 1 / 0), an overflow elsewhere (1e308 / 1e-308)."""
    return {"divide": (("inf", "finite", f"zero:{k}"),),
            "overflow": (("inf", "finite", f"nonzero:{k}"),),
            "invalid": (_NAN_FROM_NUMBERS,)}


_INT_BY_ZERO = {"divide": (("zero:1",),)}
FPE = {
    "divide": {"f": _pole_at_zero(1)},
    "reciprocal": {"f": _pole_at_zero(0)},
    "power": {"f": _pole_at_zero(0)},
    "float_power": {"f": _pole_at_zero(0)},
    # npy_divmod: a quotient that overflows is also an invalid floor of it
    "floor_divide": {"f": {"divide": (("inf", "finite", "zero:1"),),
                           "overflow": (("inf", "finite", "nonzero:1"),),
                           "invalid": (_NAN_FROM_NUMBERS, ("inf", "finite", "nonzero:1"))},
                     "i": {"divide": (("zero:1",),),
                           "overflow": (("min:0", "minus_one:1"),)},
                     "u": _INT_BY_ZERO},
    "remainder": {"f": _pole_at_zero(1), "iu": _INT_BY_ZERO},
    "fmod": {"f": FPE_GENERIC, "iu": _INT_BY_ZERO},
    "log": {"f": _POLE}, "log2": {"f": _POLE}, "log10": {"f": _POLE},
    "log1p": {"f": _POLE}, "arctanh": {"f": _POLE},
    # npy_logaddexp: any NaN is invalid (its comparisons signal); x - y may overflow
    "logaddexp": {"f": {"overflow": (("finite", "diff_inf"),), "invalid": (("nan",),)}},
    "logaddexp2": {"f": {"overflow": (("finite", "diff_inf"),), "invalid": (("nan",),)}},
    "spacing": {"f": {}},   # spacing(+-inf) is NaN without a warning
    "ldexp": {"f": FPE_GENERIC},   # (float, int) loops
    # a float cast to a narrower float: "overflow encountered in cast" (float -> integer
    # casts are not compiled)
    "astype": {"f": {"overflow": (("inf", "finite"),)}},
}


# float ufuncs whose result is never NaN from numbers nor infinite from finite operands:
# no flag code (they would never set it)
_NEVER_WARN = frozenset({"negative", "positive", "absolute", "fabs", "sign", "floor", "ceil",
                         "trunc", "rint", "conjugate", "copysign", "maximum", "minimum",
                         "fmax", "fmin"})


def _fpe_column(rows) -> dict:
    """FPE, plus FPE_GENERIC for every other float ufunc with a float result and a float
    LLVM lowering (comparisons, isnan, where, ... have none: NumPy never warns there)."""
    column = dict(FPE)
    for name, d in rows.items():
        if name in column or name in _NEVER_WARN or d.kind != "elementwise" or not isinstance(d.fn, np.ufunc) or \
                d.llvm is None or not any("f" in kinds for kinds in d.llvm):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                types = d.fn.resolve_dtypes((np.dtype(np.float64),) * d.fn.nin + (None,))
            except (TypeError, ValueError):
                continue
        if types[d.fn.nin].kind == "f":
            column[name] = {"f": FPE_GENERIC}
    return {name: {kinds: c for kinds, c in entry.items() if c} for name, entry in column.items()}


# Operands whose NaN or infinity always makes the op's result NaN or infinite (for a float
# loop): a kernel may test a value once where such ops carry it on (backends/llvm: the
# fast test of whether any op raised an error tests only the ends of these chains).
# Not x / inf (0), exp(-inf) (0), tanh, arctan, where, comparisons, maximum(-inf, x)...
FPE_PROPAGATES = {
    "add": (0, 1), "subtract": (0, 1), "multiply": (0, 1), "divide": (0,),
    "negative": (0,), "positive": (0,), "absolute": (0,), "fabs": (0,), "square": (0,),
    "sqrt": (0,), "cbrt": (0,), "log": (0,), "log2": (0,), "log10": (0,), "log1p": (0,),
    "floor": (0,), "ceil": (0,), "trunc": (0,), "rint": (0,), "sin": (0,), "cos": (0,),
    "tan": (0,), "sinh": (0,), "cosh": (0,), "deg2rad": (0,), "rad2deg": (0,),
    "degrees": (0,), "radians": (0,), "conjugate": (0,), "copysign": (0,), "astype": (0,),
}


def fpe_name(op) -> str:
    """The name NumPy's floating-point warnings give the op ("cast" for astype)."""
    fn = OPS[op].fn
    return fn.__name__ if isinstance(fn, np.ufunc) else "cast"


def fpe_raised(condition, result, operands) -> np.ndarray:
    """Where ``condition`` (an entry of the fpe column) holds: the column's meaning, in
    NumPy (``operands``: the values in the loop's dtypes; ``result``: the op's)."""
    def atom(a):
        floats = [np.asarray(x) for x in operands if np.asarray(x).dtype.kind == "f"]
        with np.errstate(all="ignore"):
            if a == "nan":
                return np.isnan(result)
            if a == "inf":
                return np.isinf(result)
            if a == "numbers":
                return functools.reduce(np.logical_and, [~np.isnan(x) for x in floats], True)
            if a == "finite":
                return functools.reduce(np.logical_and, map(np.isfinite, floats), True)
            if a == "diff_inf":
                return np.isinf(np.subtract(operands[0], operands[1]))
            name, k = a.split(":")
            x = np.asarray(operands[int(k)])
            return {"zero": x == 0, "nonzero": x != 0, "minus_one": x == -1,
                    "min": x == (np.iinfo(x.dtype).min if x.dtype.kind == "i" else -1)}[name]
    out = np.zeros(np.shape(result), bool)
    for term in condition:
        t = np.ones(np.shape(result), bool)
        for a in term:
            t = t & atom(a)
        out |= t
    return out


# --- decompositions: an op rewritten into other ops of the table -------------------------
# The ``decompose`` column, applied by ir/passes/decompose.py before fusion, so every
# backend compiles what it has lowerings for. Each function is NumPy's own algorithm for
# the op (numpy/_core/_methods.py, numpy/lib/_nanfunctions_impl.py, PyArray_Round), step
# by step with NumPy's dtypes, so the interpreter gives bit-identical results on the
# decomposed graph. It returns None where the op must stay whole: NumPy warns there
# (empty mean, ddof >= count, all-NaN slices: data-dependent), or the dtypes are not the
# ones these steps reproduce.
_FLOATS = (np.dtype("float32"), np.dtype("float64"))


def _build():
    from . import build  # build imports this module: bind at call time
    return build


def _power_of_ten(n: int) -> float:
    """PyArray_Round's power_of_ten: exact up to 1e8, then 1e9 times 10.0 repeatedly
    (past 1e22 that is not the correctly rounded 10**n, and NumPy uses this one)."""
    if n < 9:
        return 10.0 ** n
    ret = 1e9
    for _ in range(n - 9):
        ret *= 10.0
        if ret == math.inf:
            break
    return ret


def _decompose_round(node):
    """np.round: integers with decimals >= 0 are returned as they are; decimals == 0 is
    rint; otherwise y = x * 10**d (x / 10**-d), rint(y), then the inverse operation, in the
    float dtype (float64 for integers, cast back to the integer dtype at the end)."""
    b = _build()
    (x,) = node.src
    decimals = int(dict(node.arg or ()).get("decimals", 0))
    kind = x.dtype.kind
    if kind in "iu" and decimals >= 0:
        return x
    if kind not in "iuf":   # bool: NumPy's rint gives float16, its multiply raises
        return None
    if decimals == 0:
        return b.elementwise(Op.RINT, x)
    work = x.dtype if kind == "f" else np.dtype(np.float64)
    with np.errstate(all="ignore"):
        f = work.type(_power_of_ten(abs(decimals)))
    if not np.isfinite(f):  # NumPy warns converting it (float32) or computes NaN/inf
        return None
    ten = b.const(f, dtype=work)
    first, then = (Op.MULTIPLY, Op.DIVIDE) if decimals > 0 else (Op.DIVIDE, Op.MULTIPLY)
    y = b.elementwise(then, b.elementwise(Op.RINT, b.elementwise(first, x, ten)), ten)
    return y if kind == "f" else b.astype(y, x.dtype)


def _reduced_count(node) -> int:
    x, axis = node.src[0], dict(node.arg)["axis"]
    axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    return math.prod(x.shape[a] for a in axes)


def _sum_dtype(node):
    """The dtype _mean/_var sum in: dtype=, else float64 for bool and integer inputs."""
    dtype = dict(node.arg).get("dtype")
    if dtype is None and node.src[0].dtype.kind in "biu":
        return np.dtype(np.float64)
    return dtype


def _float_moment(node) -> bool:
    """The result and the summation dtype are float32/float64 (the cases whose steps are
    reproduced here; an integer dtype= truncates in between)."""
    dtype = _sum_dtype(node)
    return node.dtype in _FLOATS and (dtype is None or dtype in _FLOATS)


def _divide_by_count(b, total, count):
    """true_divide(total, count, out=total, casting='unsafe') with count an intp (or a
    float64 when ddof is a float): a float32 total is divided in float64, rounded once."""
    q = b.elementwise(Op.DIVIDE, total, b.const(count, dtype=np.asarray(count).dtype))
    return q if q.dtype == total.dtype else b.astype(q, total.dtype)


def _decompose_mean(node):
    b = _build()
    arg = dict(node.arg)
    count = np.intp(_reduced_count(node))
    if count == 0 or not _float_moment(node):  # empty: NumPy warns "Mean of empty slice"
        return None
    # 64-bit integers are rounded to float64 one by one and summed in float64, as NumPy
    # does (np.add.reduce(x, dtype=f8)): a compiled sum in another order than NumPy's
    # pairwise one differs by the rounding errors of any float64 sum of those terms
    total = b.reduce(Op.SUM, node.src[0], axis=arg["axis"], keepdims=arg["keepdims"],
                     dtype=_sum_dtype(node))
    return _divide_by_count(b, total, count)


def _decompose_var(node, sqrt=False):
    """_var: the mean (with keepdims), squared deviations, their sum over
    max(count - ddof, 0)."""
    b = _build()
    x, arg = node.src[0], dict(node.arg)
    count, ddof = np.intp(_reduced_count(node)), arg.get("ddof", 0)
    if count == 0 or ddof >= count or not _float_moment(node):
        return None  # NumPy warns "Degrees of freedom <= 0"
    axis, dtype = arg["axis"], _sum_dtype(node)
    mean = _divide_by_count(b, b.reduce(Op.SUM, x, axis=axis, keepdims=True, dtype=dtype),
                            count)
    dev = b.elementwise(Op.SUBTRACT, x, mean)
    # square for numbers; bool input takes _var's general x * conjugate(x) (same values)
    sq = b.elementwise(Op.MULTIPLY, dev, dev) if x.dtype.kind == "b" else \
        b.elementwise(Op.SQUARE, dev)
    squares = b.reduce(Op.SUM, sq, axis=axis, keepdims=arg["keepdims"], dtype=dtype)
    with np.errstate(all="ignore"):
        dof = np.maximum(count - ddof, 0)
    var = _divide_by_count(b, squares, dof)
    return b.elementwise(Op.SQRT, var) if sqrt else var


def _decompose_std(node):
    return _decompose_var(node, sqrt=True)


def _nan_filled(name, fill):
    """nansum/nanprod/nancumsum/nancumprod: NaNs replaced by the identity (_replace_nan),
    then the plain reduction or scan with the same arguments; non-float inputs have no
    NaNs."""
    def decompose(node):
        b = _build()
        x = node.src[0]
        if x.dtype.kind == "f":
            x = b.elementwise(Op.WHERE, b.elementwise(Op.ISNAN, x),
                              b.const(fill, dtype=x.dtype), x)
        op = Op[name.upper()]
        make = b.scan if OPS[op].kind == "scan" else b.reduce
        return make(op, x, **dict(node.arg))
    return decompose


def _plain_for_non_floats(name, floats=None):
    """The nan* functions of an input without NaNs (bool, integers) are the plain ones
    (NumPy calls them). Float inputs take ``floats`` (None: they stay whole)."""
    def decompose(node):
        if node.src[0].dtype.kind == "f":
            return None if floats is None else floats(node)
        return _build().reduce(Op[name.upper()], node.src[0], **dict(node.arg))
    return decompose


# --- the float nan* functions NumPy answers with data-dependent warnings or errors --------
# nanmean warns "Mean of empty slice" where a slice is all NaN, nanvar/nanstd "Degrees of
# freedom <= 0 for slice." where count - ddof <= 0, nanargmin/nanargmax raise ValueError.
# Only the data tells, so a check of a computed value must say it (the ``check`` column:
# backends run it on the values their kernels write). A check sees one value, not how it
# was made, so each of these ops has an exact check only for ONE element per slice: the
# result is NaN (nanmean, nanvar of values without infinities) or the position -1
# (nanargmin/nanargmax, as compiled) exactly when that element is NaN. Such one-element
# reductions are compiled whole (``single_element``); the decompositions below compute
# the general case with sums, counts and argmin/argmax, and route the warning or error
# through a one-element reduction of "this slice is bad" (NaN) or "fine" (0.0): a
# ``marker``, whose value is NumPy's result in the bad slices (its NaN, to the bit) and
# taken there (where), or added to argmin's position (+0; it raises in bad slices).
_NAN_KWARGS = frozenset({"axis", "keepdims", "dtype", "ddof"})


def _no_infinities(node, dtype) -> bool:
    """Whether every value of ``node`` (in ``dtype``) is finite or NaN, known from the
    graph: a constant, or a where choosing between such values."""
    if node.op is Op.CONST:
        with np.errstate(all="ignore"):
            return not np.isinf(np.asarray(_build().const_value(node)).astype(dtype))
    if node.op is Op.WHERE:
        return all(_no_infinities(s, dtype) for s in node.src[1:])
    return False


def single_element(node) -> bool:
    """A float nanmean/nanvar/nanargmin/nanargmax with one element per slice, compiled
    whole (the LLVM column's ``only:`` entries) with an exact check of its value."""
    x, arg = node.src[0], dict(node.arg)
    if node.op not in (Op.NANMEAN, Op.NANVAR, Op.NANARGMIN, Op.NANARGMAX) or \
            x.dtype not in _FLOATS or _reduced_count(node) != 1 or not set(arg) <= _NAN_KWARGS:
        return False
    if node.op in (Op.NANARGMIN, Op.NANARGMAX):
        return True
    if node.dtype != x.dtype:   # dtype=: a cast first (NumPy may warn on its overflow)
        return False
    # nanvar of one element: 0.0, or NaN for NaN (warned) and for +-inf (not warned)
    return node.op is Op.NANMEAN or (arg.get("ddof", 0) == 0 and _no_infinities(x, x.dtype))


def _nan_moment_steps(node) -> bool:
    """The float cases these steps reproduce (float32/float64, a float dtype=)."""
    arg = dict(node.arg)
    return (node.src[0].dtype in _FLOATS and node.dtype in _FLOATS and set(arg) <= _NAN_KWARGS
            and arg.get("dtype") in (None,) + _FLOATS)


def _count(b, isnan, axis, keepdims):
    """np.sum(~mask, axis, dtype=np.intp, keepdims): the non-NaN values of each slice."""
    return b.reduce(Op.SUM, b.elementwise(Op.LOGICAL_NOT, isnan), axis=axis,
                    keepdims=keepdims, dtype=np.dtype(np.intp))


def _divide_by_counts(b, total, count):
    """_divide_by_count(total, count): in float64 (a float32 total is rounded once), by 1
    where count <= 0 (NumPy divides by it there under errstate(ignore); the marker makes
    the result NaN then, and the interpreter gives no division warnings)."""
    safe = b.elementwise(Op.WHERE, b.elementwise(Op.LESS_EQUAL, count, b.const(0)),
                         b.const(1), count)
    q = b.elementwise(Op.DIVIDE, total, safe)
    return q if q.dtype == total.dtype else b.astype(q, total.dtype)


def _marker(b, op, bad, dtype, **reduce_kwargs):
    """A one-element ``op`` reduction of NaN where ``bad``, else 0.0: its check warns or
    raises as NumPy does for the bad slices. Over no axes (``axis=()``) unless given."""
    m = b.elementwise(Op.WHERE, bad, b.const(np.nan, dtype=dtype), b.const(0.0, dtype=dtype))
    return b.reduce(op, m, **(reduce_kwargs or {"axis": ()}))


def _ddof_const(b, ddof):
    if isinstance(ddof, (int, float)) and not isinstance(ddof, (bool, np.generic)):
        return b.const(ddof)   # weak: cnt - ddof stays intp for a Python int
    return b.const(ddof, dtype=np.asarray(ddof).dtype)


def _decompose_nanmean(node):
    """_nanmean: NaNs replaced by 0, summed (dtype=), divided by the count of non-NaN
    values; "Mean of empty slice" (and NaN) where that count is 0."""
    if single_element(node) or not _nan_moment_steps(node):
        return None
    b = _build()
    x, arg = node.src[0], dict(node.arg)
    axis, keepdims = arg["axis"], arg["keepdims"]
    nan = b.elementwise(Op.ISNAN, x)
    filled = b.elementwise(Op.WHERE, nan, b.const(0, dtype=x.dtype), x)
    total = b.reduce(Op.SUM, filled, axis=axis, keepdims=keepdims, dtype=arg.get("dtype"))
    count = _count(b, nan, axis, keepdims)
    mean = _divide_by_counts(b, total, count)
    empty = b.elementwise(Op.EQUAL, count, b.const(0))
    # NumPy's value there is 0 / 0: the marker's (one-element nanmean of NaN) is too
    return b.elementwise(Op.WHERE, empty, _marker(b, Op.NANMEAN, empty, mean.dtype), mean)


def _decompose_nanvar(node, sqrt=False):
    """_nanvar: the mean of the non-NaN values (keepdims), deviations of the NaN-replaced
    values cast back to the input dtype (NumPy subtracts into that array), 0 at the NaNs,
    squared, summed (dtype=), divided by count - ddof; "Degrees of freedom <= 0 for
    slice." and NaN where that is <= 0. nanstd: its square root."""
    if (not sqrt and single_element(node)) or not _nan_moment_steps(node):
        return None
    b = _build()
    x, arg = node.src[0], dict(node.arg)
    axis, keepdims, dtype = arg["axis"], arg["keepdims"], arg.get("dtype")
    nan = b.elementwise(Op.ISNAN, x)
    zero = b.const(0, dtype=x.dtype)
    filled = b.elementwise(Op.WHERE, nan, zero, x)
    avg = _divide_by_counts(b, b.reduce(Op.SUM, filled, axis=axis, keepdims=True,
                                        dtype=dtype), _count(b, nan, axis, True))
    dev = b.elementwise(Op.SUBTRACT, filled, avg)
    if dev.dtype != x.dtype:
        dev = b.astype(dev, x.dtype)
    dev = b.elementwise(Op.WHERE, nan, zero, dev)
    squares = b.reduce(Op.SUM, b.elementwise(Op.MULTIPLY, dev, dev), axis=axis,
                       keepdims=keepdims, dtype=dtype)
    dof = b.elementwise(Op.SUBTRACT, _count(b, nan, axis, keepdims),
                        _ddof_const(b, arg.get("ddof", 0)))
    var = _divide_by_counts(b, squares, dof)
    bad = b.elementwise(Op.LESS_EQUAL, dof, b.const(0))
    # NumPy's value there is np.nan (_copyto): the marker's too
    var = b.elementwise(Op.WHERE, bad, _marker(b, Op.NANVAR, bad, var.dtype), var)
    return b.elementwise(Op.SQRT, var) if sqrt else var


def _decompose_nanstd(node):
    return _decompose_nanvar(node, sqrt=True)


def _nan_arg(name, fill):
    """nanargmin/nanargmax: NaNs replaced by +inf/-inf, then argmin/argmax (ties and
    infinities: its first occurrence); ValueError for a slice that is all NaN."""
    def decompose(node):
        x, arg = node.src[0], dict(node.arg)
        if x.dtype not in _FLOATS or single_element(node):
            return None
        b = _build()
        axis, keepdims = arg["axis"], arg["keepdims"]
        nan = b.elementwise(Op.ISNAN, x)
        filled = b.elementwise(Op.WHERE, nan, b.const(fill, dtype=x.dtype), x)
        best = b.reduce(Op[name.upper()], filled, axis=axis, keepdims=keepdims)
        all_nan = b.reduce(Op.ALL, nan, axis=None if axis is None else (axis,),
                           keepdims=True)   # one element per slice left
        marker = _marker(b, node.op, all_nan, x.dtype, axis=axis, keepdims=keepdims)
        return b.elementwise(Op.ADD, best, marker)
    return decompose


def _flattened_scan(node):
    """cumsum/cumprod over the flattened array (axis=None) of a multi-dimensional one:
    the scan along the one axis of its C-order reshape (what NumPy computes)."""
    x, arg = node.src[0], dict(node.arg)
    if arg["axis"] is not None or x.ndim == 1:
        return None
    b = _build()
    return b.scan(node.op, b.reshape(x, (x.size,)), axis=0, dtype=arg["dtype"])


DECOMPOSE = {
    "round": _decompose_round,
    "cumsum": _flattened_scan,
    "cumprod": _flattened_scan,
    "mean": _decompose_mean,
    "var": _decompose_var,
    "std": _decompose_std,
    "nansum": _nan_filled("sum", 0),
    "nanprod": _nan_filled("prod", 1),
    "nancumsum": _nan_filled("cumsum", 0),
    "nancumprod": _nan_filled("cumprod", 1),
    "nanmin": _plain_for_non_floats("min"),
    "nanmax": _plain_for_non_floats("max"),
    "nanmean": _plain_for_non_floats("mean", _decompose_nanmean),
    "nanvar": _plain_for_non_floats("var", _decompose_nanvar),
    "nanstd": _plain_for_non_floats("std", _decompose_nanstd),
    "nanargmin": _plain_for_non_floats("argmin", _nan_arg("argmin", np.inf)),
    "nanargmax": _plain_for_non_floats("argmax", _nan_arg("argmax", -np.inf)),
}


def _warn_all_nan(value):
    """_nanmin/_nanmax: a NaN in the fmin/fmax reduction means an all-NaN slice."""
    if np.asarray(value).dtype.kind == "f" and np.isnan(value).any():
        warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=2)


def _warn_empty_mean(value):
    """A one-element nanmean is NaN exactly where its element is NaN (see single_element)."""
    if np.isnan(value).any():
        warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=2)


def _warn_no_dof(value):
    """A one-element nanvar of values without infinities is NaN exactly where its element
    is NaN: count - ddof is 0 there."""
    if np.isnan(value).any():
        warnings.warn("Degrees of freedom <= 0 for slice.", RuntimeWarning, stacklevel=2)


def _raise_all_nan(value):
    """A compiled one-element nanargmin/nanargmax gives -1 for a NaN element."""
    if (np.asarray(value) < 0).any():
        raise ValueError("All-NaN slice encountered")


CHECKS = {"nanmin": _warn_all_nan, "nanmax": _warn_all_nan, "nanmean": _warn_empty_mean,
          "nanvar": _warn_no_dof, "nanargmin": _raise_all_nan, "nanargmax": _raise_all_nan}


def _call(*values, call, output):
    """An annotated black-box call (``weldish.annotate``): the function on whole values;
    ``call`` (hashable by identity) holds the function and its split types, ``output``
    which of its results this node is (the return value or an argument written in place)."""
    return call.run_whole(values, output)


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
        "take": OpDef("index", np.take, 2, whole=(0,)),   # integer-array indexing on an axis
        "compress": OpDef("index", _compress, 2),         # boolean-mask indexing
        "setitem": OpDef("index", _setitem, None),        # functional x[key] = value
        "concatenate": OpDef("movement", _concatenate, None),
        "matmul": OpDef("linalg", np.matmul, 2),
        "dot": OpDef("linalg", np.dot, 2),
        "call": OpDef("call", _call, None, doc="annotated black-box function"),
    }
    for name in UNARY_UFUNCS:
        rows[name] = OpDef("elementwise", getattr(np, name), 1)
    for name in BINARY_UFUNCS:
        rows[name] = OpDef("elementwise", getattr(np, name), 2)
    for name in REDUCTIONS:
        rows[name] = OpDef("reduce", getattr(np, name), 1)
    for name in SCANS:
        rows[name] = OpDef("scan", getattr(np, name), 1)
    for name in SEGMENTS:
        rows[name] = OpDef("segment", _segment_oracle(name[len("segment_"):]), 2,
                           decompose=_segment_decomposition(name[len("segment_"):]),
                           doc="groupby reduction: values, codes -> ngroups values")
    for name, lowering in LLVM.items():
        rows[name] = replace(rows[name], llvm=lowering)
    for name, lowering in CUDA.items():   # the cuda column lives in ir/cuda.py
        rows[name] = replace(rows[name], cuda=lowering)
    for name, fn in DECOMPOSE.items():
        rows[name] = replace(rows[name], decompose=fn)
    for name, fn in CHECKS.items():
        rows[name] = replace(rows[name], check=fn)
    for name, entry in _fpe_column(rows).items():
        rows[name] = replace(rows[name], fpe=entry)
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
SEGMENT = frozenset(op for op, d in OPS.items() if d.kind == "segment")
# argument keys that only say how large a node is (in its shape too): a kernel's code does
# not depend on them (one compiled groupby loop serves every number of groups)
SIZE_ARGS = frozenset({"ngroups"})
# Reductions without an identity: NumPy raises on an empty reduction.
NO_IDENTITY = frozenset({Op.MIN, Op.MAX, Op.ARGMIN, Op.ARGMAX, Op.NANMIN, Op.NANMAX,
                         Op.NANARGMIN, Op.NANARGMAX})

# How partial results of a reduction (or scan) combine, for backends that split one over
# threads or blocks: the ufunc folding two partials. argmin/argmax carry (best value,
# position) pairs instead: a later partial wins only where it is strictly better (or the
# first NaN), so the first position of the best value is kept, as NumPy's.
COMBINE = {Op.SUM: np.add, Op.PROD: np.multiply, Op.MIN: np.minimum, Op.MAX: np.maximum,
           Op.ANY: np.logical_or, Op.ALL: np.logical_and, Op.NANMIN: np.fmin,
           Op.NANMAX: np.fmax, Op.CUMSUM: np.add, Op.CUMPROD: np.multiply,
           Op.SEGMENT_SUM: np.add, Op.SEGMENT_PROD: np.multiply,
           Op.SEGMENT_MIN: np.fmin, Op.SEGMENT_MAX: np.fmax}


def start_value(op: Op, dtype, empty: bool = False):
    """An accumulator's first value in ``dtype``: what combining with changes nothing
    (argmin/argmax: the best value's, before any element)."""
    dtype = np.dtype(dtype)
    kind = dtype.kind
    if op in (Op.NANMIN, Op.NANMAX) or (op in (Op.SEGMENT_MIN, Op.SEGMENT_MAX)
                                        and kind == "f"):
        return np.nan   # fmin/fmax: NaN gives way to any number
    if op is Op.SEGMENT_SUM:
        return 0   # +0.0, as pandas' group sums (a group of -0.0 sums to +0.0)
    op = {Op.SEGMENT_PROD: Op.PROD, Op.SEGMENT_MIN: Op.MIN, Op.SEGMENT_MAX: Op.MAX}.get(op, op)
    if op in (Op.SUM, Op.CUMSUM):
        # -0.0 + -0.0 is -0.0: a sum of negative zeros stays one (NumPy's empty sum: +0.0)
        return -0.0 if kind == "f" and not empty else 0
    if op in (Op.PROD, Op.CUMPROD):
        return 1
    if op in (Op.ANY, Op.ALL):
        return op is Op.ALL
    largest = op in (Op.MIN, Op.ARGMIN)   # min: start from the largest value, max: smallest
    if kind == "f":
        return np.inf if largest else -np.inf
    if kind in "iu":
        return np.iinfo(dtype).max if largest else np.iinfo(dtype).min
    return largest   # bool: True is the largest


def call(op: Op, values, arg):
    """Run the oracle for one op: the definition of its semantics."""
    return OPS[op].fn(*values, **dict(arg or ()))

"""The OPS table's ``cuda`` column: CUDA C lowerings, by the kind of the loop dtype.

Kept in its own file (the C templates would push ``ops.py`` past a readable size);
``ops.py`` reads ``CUDA`` into the column, so the table stays the one source of truth.
Pure strings: nothing here needs CUDA.

Keys: loop-dtype kinds, as in the ``llvm`` column ('f', 'i', 'u', 'b'; several kinds may
share an entry). Values, read by ``backends/cupy`` (never by op name): a C expression
template with the operands ``{0}``, ``{1}``, ``{2}`` (variables already of the loop dtype),
``{T}`` (the loop dtype's C type) and ``{f}`` (``f`` for float32: ``expf`` vs ``exp``).
``wd_*`` names are device functions of ``backends/cupy/prelude.cuh`` (NumPy's scalar-loop
semantics: wraparound, division by zero, NaN propagation, shifts past the width).
Reductions and scans give how two partial values combine; ``arg:<comparison>`` when a
value replaces the best so far; ``only:<template>`` a one-element reduction's result;
``compact`` a boolean-mask compaction; ``gather`` a 1-D integer-array take.
"""
from __future__ import annotations


def _libm(name: str, nargs: int = 1) -> dict:
    return {"f": f"{name}{{f}}(" + ", ".join(f"{{{k}}}" for k in range(nargs)) + ")"}


CUDA = {
    "add": {"f": "({0} + {1})", "iu": "wd_add({0}, {1})", "b": "({0} || {1})"},
    "subtract": {"f": "({0} - {1})", "iu": "wd_sub({0}, {1})"},
    "multiply": {"f": "({0} * {1})", "iu": "wd_mul({0}, {1})", "b": "({0} && {1})"},
    "divide": {"f": "({0} / {1})"},
    "floor_divide": {"fiu": "wd_floor_divide({0}, {1})"},
    "remainder": {"fiu": "wd_remainder({0}, {1})"},
    "fmod": {"f": "fmod{f}({0}, {1})", "iu": "wd_fmod({0}, {1})"},
    "power": _libm("pow", 2),
    "float_power": _libm("pow", 2),
    "negative": {"f": "(-{0})", "iu": "wd_sub(({T})0, {0})"},
    "positive": {"fiu": "{0}"},
    "absolute": {"f": "fabs{f}({0})", "i": "wd_abs({0})", "ub": "{0}"},
    "fabs": _libm("fabs"),
    "sign": {"fiu": "wd_sign({0})"},
    "square": {"f": "({0} * {0})", "iu": "wd_mul({0}, {0})", "b": "({0} && {0})"},
    "reciprocal": {"f": "(({T})1 / {0})"},
    "sqrt": _libm("sqrt"),
    "cbrt": _libm("cbrt"),
    "exp": _libm("exp"),
    "exp2": _libm("exp2"),
    "expm1": _libm("expm1"),
    "log": _libm("log"),
    "log2": _libm("log2"),
    "log10": _libm("log10"),
    "log1p": _libm("log1p"),
    "sin": _libm("sin"),
    "cos": _libm("cos"),
    "tan": _libm("tan"),
    "arcsin": _libm("asin"),
    "arccos": _libm("acos"),
    "arctan": _libm("atan"),
    "sinh": _libm("sinh"),
    "cosh": _libm("cosh"),
    "tanh": _libm("tanh"),
    "arcsinh": _libm("asinh"),
    "arccosh": _libm("acosh"),
    "arctanh": _libm("atanh"),
    "arctan2": _libm("atan2", 2),
    "hypot": _libm("hypot", 2),
    "copysign": _libm("copysign", 2),
    "nextafter": _libm("nextafter", 2),
    # the constant rounded to the loop dtype first, as NumPy's loop does
    "deg2rad": {"f": "({0} * ({T})0.017453292519943295)"},
    "radians": {"f": "({0} * ({T})0.017453292519943295)"},
    "rad2deg": {"f": "({0} * ({T})57.29577951308232)"},
    "degrees": {"f": "({0} * ({T})57.29577951308232)"},
    "floor": {"f": "floor{f}({0})", "iub": "{0}"},
    "ceil": {"f": "ceil{f}({0})", "iub": "{0}"},
    "trunc": {"f": "trunc{f}({0})", "iub": "{0}"},
    "rint": _libm("rint"),
    "isnan": {"f": "wd_isnan({0})"},
    "isinf": {"f": "wd_isinf({0})"},
    "isfinite": {"f": "wd_isfinite({0})"},
    "signbit": {"f": "wd_signbit({0})"},
    "logaddexp": {"f": "wd_logaddexp({0}, {1})"},
    "logaddexp2": {"f": "wd_logaddexp2({0}, {1})"},
    "spacing": {"f": "wd_spacing({0})"},
    "bitwise_count": {"iu": "wd_bitwise_count({0})"},   # uint8 result
    "gcd": {"iu": "wd_gcd({0}, {1})"},
    "lcm": {"iu": "wd_lcm({0}, {1})"},
    "ldexp": {"f": "wd_ldexp({0}, {1})"},   # the mixed loop (float, int32|int64) -> float
    "heaviside": {"f": "wd_heaviside({0}, {1})"},
    "maximum": {"fiub": "wd_maximum({0}, {1})"},
    "minimum": {"fiub": "wd_minimum({0}, {1})"},
    "fmax": {"f": "wd_fmax({0}, {1})", "iub": "wd_maximum({0}, {1})"},
    "fmin": {"f": "wd_fmin({0}, {1})", "iub": "wd_minimum({0}, {1})"},
    # C's comparisons of floats are NumPy's: ordered, except != (true with a NaN)
    "equal": {"fiub": "({0} == {1})"},
    "not_equal": {"fiub": "({0} != {1})"},
    "less": {"fiub": "({0} < {1})"},
    "less_equal": {"fiub": "({0} <= {1})"},
    "greater": {"fiub": "({0} > {1})"},
    "greater_equal": {"fiub": "({0} >= {1})"},
    # truth: != 0 (a NaN is true)
    "logical_and": {"fiub": "(({0} != 0) && ({1} != 0))"},
    "logical_or": {"fiub": "(({0} != 0) || ({1} != 0))"},
    "logical_xor": {"fiub": "(({0} != 0) != ({1} != 0))"},
    "logical_not": {"fiub": "({0} == 0)"},
    "bitwise_and": {"iub": "(({T})({0} & {1}))"},
    "bitwise_or": {"iub": "(({T})({0} | {1}))"},
    "bitwise_xor": {"iub": "(({T})({0} ^ {1}))"},
    "invert": {"iu": "(({T})~{0})", "b": "(!{0})"},
    "left_shift": {"iu": "wd_left_shift({0}, {1})"},
    "right_shift": {"iu": "wd_right_shift({0}, {1})"},
    "conjugate": {"fiu": "{0}"},
    "where": {"fiub": "({0} ? {1} : {2})"},
    "clip": {"fiub": "wd_minimum(wd_maximum({0}, {1}), {2})"},
    "astype": {"fiub": "{0}"},   # the cast to the output dtype is the whole op
    "copy": {"fiub": "{0}"},
    # reductions: how two partials combine, in the accumulator's dtype
    "sum": {"f": "({0} + {1})", "iu": "wd_add({0}, {1})"},
    "prod": {"f": "({0} * {1})", "iu": "wd_mul({0}, {1})"},
    "min": {"fiub": "wd_minimum({0}, {1})"},
    "max": {"fiub": "wd_maximum({0}, {1})"},
    "any": {"b": "({0} || {1})"},
    "all": {"b": "({0} && {1})"},
    # arg reductions: when value {0} is strictly better than {1} (ties and NaNs: the
    # first position wins, see backends/cupy/emit.py)
    "argmin": {"fiub": "arg:({0} < {1})"},
    "argmax": {"fiub": "arg:({0} > {1})"},
    "nanmin": {"f": "wd_fmin({0}, {1})"},
    "nanmax": {"f": "wd_fmax({0}, {1})"},
    # one element per slice (ir.ops.single_element; keyed by the source's kind)
    "nanmean": {"f": "only:wd_mean_of_one({0})"},
    "nanvar": {"f": "only:wd_variance_of_one({0})"},
    "nanargmin": {"f": "only:wd_nan_position({0})"},
    "nanargmax": {"f": "only:wd_nan_position({0})"},
    # scans: the running value and the next element (sequential per line, NumPy's
    # rounding; long lines in parts on blocks, a fixed order: backends/cupy/scan.py)
    "cumsum": {"f": "({0} + {1})", "iu": "wd_add({0}, {1})"},
    "cumprod": {"f": "({0} * {1})", "iu": "wd_mul({0}, {1})"},
    "compress": {"fiub": "compact"},
    # a 1-D gather: the source read whole at the wrapped index (see backends/cupy/emit.py)
    "take": {"fiub": "gather"},
    # segment (groupby) reductions: how a row's value combines into its group's
    "segment_sum": {"f": "({0} + {1})", "iu": "wd_add({0}, {1})"},
    "segment_prod": {"f": "({0} * {1})", "iu": "wd_mul({0}, {1})"},
    "segment_min": {"f": "wd_fmin({0}, {1})", "iub": "wd_minimum({0}, {1})"},
    "segment_max": {"f": "wd_fmax({0}, {1})", "iub": "wd_maximum({0}, {1})"},
}

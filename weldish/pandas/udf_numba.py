"""Python's scalar semantics for Numba: a user function compiled so it gives what Python gives.

pandas runs ``apply``/``map`` on Python scalars: an int64 column's values reach the function
as Python ints (no overflow), ``1 / 0`` raises ZeroDivisionError, ``math.log(0)`` raises
ValueError, ``2.0 ** 5000`` raises OverflowError, ``int(nan)`` raises ValueError. Numba's
integers wrap, its floats give inf/nan. So the function is compiled on two Numba types of
our own, ``PyInt`` (an int64) and ``PyFloat`` (a float64), and every operation on them is
written here with Python's result, or raises ``Diverge`` where Python's result is not
that of the machine operation (an integer overflow, a division by zero, a math domain or
range error, an int/float comparison beyond 2**53, a float ** float Python would answer
with a complex): that element is then run by Python itself (its value or its exception).

Every int and float constant of the function (literals, closure cells, globals, defaults)
is made a PyInt/PyFloat, so no plain Numba number is ever involved; after typing, the
function is refused unless every variable is a PyInt, a PyFloat, a bool, or one of the
functions written here (``Unsupported``: the caller runs it as a black box). Operations not
written here (tuples, ranges, strings, NumPy calls, ``~``...) do not type, so they are
refused too: what compiles is, by construction, what Python computes.

libm functions (exp, log, sin...) are called through their C entry points (the functions
CPython's ``math`` calls), never as LLVM intrinsics, so LLVM cannot replace them by other
code (``pow(x, 2.0)`` -> ``x * x``, vector variants).
"""
from __future__ import annotations

import builtins
import ctypes
import ctypes.util
import math
import operator
import struct
import types as pytypes

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core.imputils import lower_builtin, lower_constant
from numba.extending import intrinsic, models, overload, register_model, typeof_impl

from ..lazy import Unsupported

I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1
EXACT = 1 << 53   # ints of this magnitude or less convert to float exactly (an int: compared
#                   with an int64, a float 2**53 would round 2**53 + 1 down to it)
TINY = 2.2250738585072014e-308   # smallest normal double


class Diverge(Exception):
    """Python's result may not be the machine's here: Python runs this element."""


class PyIntType(types.Type):
    def __init__(self):
        super().__init__(name="PyInt")


class PyFloatType(types.Type):
    def __init__(self):
        super().__init__(name="PyFloat")


py_int, py_float = PyIntType(), PyFloatType()


@register_model(PyIntType)
class _IntModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.IntType(64))


@register_model(PyFloatType)
class _FloatModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.DoubleType())


class _Const:
    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __eq__(self, other):   # 0.0 and -0.0 differ, NaN equals NaN: compared as bytes
        return type(other) is type(self) and type(other.v) is type(self.v) and \
            struct.pack("<d", other.v) == struct.pack("<d", self.v) if type(self.v) is float \
            else type(other) is type(self) and other.v == self.v

    def __hash__(self):
        return hash((type(self), self.v))

    def __repr__(self):
        return f"{type(self).__name__}({self.v!r})"


class IntConst(_Const):
    """A Python int constant of the function, typed PyInt."""


class FloatConst(_Const):
    """A Python float constant of the function, typed PyFloat."""


@typeof_impl.register(IntConst)
def _typeof_int(val, c):
    return py_int


@typeof_impl.register(FloatConst)
def _typeof_float(val, c):
    return py_float


@lower_constant(PyIntType)
def _lower_int(context, builder, ty, pyval):
    return ir.Constant(ir.IntType(64), pyval.v)


@lower_constant(PyFloatType)
def _lower_float(context, builder, ty, pyval):
    return ir.Constant(ir.DoubleType(), pyval.v)


# --- conversions between the machine and the Python types -----------------------------------
def _same(context, builder, sig, args):
    return args[0]


@intrinsic
def mk_int(typingctx, v):
    if isinstance(v, types.Integer):
        return py_int(types.int64), _same


@intrinsic
def mk_float(typingctx, v):
    if isinstance(v, (types.Float, types.Integer)):
        return py_float(types.float64), _same


@intrinsic
def _get_int(typingctx, v):
    if v == py_int:
        return types.int64(py_int), _same


@intrinsic
def _get_float(typingctx, v):
    if v == py_float:
        return types.float64(py_float), _same


def _checked(name):
    def typer(typingctx, a, b):
        def codegen(context, builder, sig, args):
            pair = getattr(builder, name)(args[0], args[1])
            with builder.if_then(builder.extract_value(pair, 1), likely=False):
                context.call_conv.return_user_exc(builder, Diverge, ("integer overflow",))
            return builder.extract_value(pair, 0)
        return types.int64(types.int64, types.int64), codegen
    typer.__name__ = name
    return intrinsic(typer)


_add, _sub, _mul = (_checked(n) for n in ("sadd_with_overflow", "ssub_with_overflow",
                                         "smul_with_overflow"))


def _i(x):
    raise NotImplementedError


def _f(x):
    raise NotImplementedError


def out(x):
    """The machine value of a result (PyInt -> int64, PyFloat -> float64, bool)."""
    raise NotImplementedError


@overload(_i)
def _i_impl(x):
    if x == py_int:
        return lambda x: _get_int(x)
    if isinstance(x, types.Boolean):
        return lambda x: np.int64(1) if x else np.int64(0)


@overload(_f)
def _f_impl(x):
    if x == py_float:
        return lambda x: _get_float(x)
    if x == py_int:
        return lambda x: np.float64(_get_int(x))    # Python's float(int): round to even
    if isinstance(x, types.Boolean):
        return lambda x: 1.0 if x else 0.0


@overload(out)
def _out_impl(x):
    if x == py_int:
        return lambda x: _get_int(x)
    if x == py_float:
        return lambda x: _get_float(x)
    if isinstance(x, types.Boolean):
        return lambda x: x


def _is_bool(t):
    return isinstance(t, types.Boolean)


def _kind(a, b):
    """'i': two ints (a PyInt among them: bool with bool stays Numba's, and is refused);
    'f': a PyFloat with a PyFloat/PyInt/bool; None: not ours."""
    if (a == py_int or b == py_int) and all(t == py_int or _is_bool(t) for t in (a, b)):
        return "i"
    if (a == py_float or b == py_float) and \
            all(t in (py_int, py_float) or _is_bool(t) for t in (a, b)):
        return "f"
    return None


# --- libm through its C entry points ----------------------------------------------------------
_LIBM = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")


def _cfunc(name, nargs=1):
    f = getattr(_LIBM, name)
    f.restype = ctypes.c_double
    f.argtypes = [ctypes.c_double] * nargs
    return f


_c_pow, _c_fmod = _cfunc("pow", 2), _cfunc("fmod", 2)


# --- arithmetic -----------------------------------------------------------------------------
def _float_divmod(x, y):
    """CPython's float floor division and remainder (Objects/floatobject.c)."""
    mod = _c_fmod(x, y)
    div = (x - mod) / y
    if mod:
        if (y < 0) != (mod < 0):
            mod += y
            div -= 1.0
    else:
        mod = math.copysign(0.0, y)
    if div:
        floordiv = np.floor(div)
        if div - floordiv > 0.5:
            floordiv += 1.0
    else:
        floordiv = math.copysign(0.0, x / y)
    return floordiv, mod


_float_divmod_jit = numba.njit(_float_divmod)


def _int_pow(x, y):
    if y < 0:
        raise Diverge("negative power")   # Python gives a float
    r = np.int64(1)
    while y:
        if y & 1:
            r = _mul(r, x)
        y >>= 1
        if y:
            x = _mul(x, x)
    return r


def _float_pow(x, y):
    if y == 0.0:
        return 1.0
    if math.isnan(x):
        return x
    if math.isnan(y):
        return 1.0 if x == 1.0 else y
    if not (math.isfinite(x) and math.isfinite(y)):
        raise Diverge("pow of non-finite")
    if y == 0.0:
        return 1.0
    if x == 0.0 and y < 0.0:
        raise Diverge("zero to a negative power")
    if x < 0.0 and y != np.floor(y):
        raise Diverge("negative to a fractional power")   # Python gives a complex
    r = _c_pow(x, y)
    if not math.isfinite(r) or (r != 0.0 and abs(r) < TINY):
        raise Diverge("pow overflow or underflow")
    return r


_int_pow_jit, _float_pow_jit = numba.njit(_int_pow), numba.njit(_float_pow)


def _binary(op, int_impl, float_impl):
    def typer(a, b):
        k = _kind(a, b)
        if k == "i" and int_impl is not None:
            return int_impl
        if k == "f" and float_impl is not None:
            return float_impl
    overload(op)(typer)


def _i_add(a, b):
    return mk_int(_add(_i(a), _i(b)))


def _i_sub(a, b):
    return mk_int(_sub(_i(a), _i(b)))


def _i_mul(a, b):
    return mk_int(_mul(_i(a), _i(b)))


def _f_add(a, b):
    return mk_float(_f(a) + _f(b))


def _f_sub(a, b):
    return mk_float(_f(a) - _f(b))


def _f_mul(a, b):
    return mk_float(_f(a) * _f(b))


def _i_truediv(a, b):
    x, y = _i(a), _i(b)
    if y == 0 or x > EXACT or x < -EXACT or y > EXACT or y < -EXACT:
        raise Diverge("int division")
    return mk_float(np.float64(x) / np.float64(y))


def _f_truediv(a, b):
    y = _f(b)
    if y == 0.0:
        raise Diverge("division by zero")
    return mk_float(_f(a) / y)


def _i_floordiv(a, b):
    x, y = _i(a), _i(b)
    if y == 0 or (y == -1 and x == I64_MIN):
        raise Diverge("int floor division")
    q = x // y
    return mk_int(q)


def _i_mod(a, b):
    x, y = _i(a), _i(b)
    if y == 0 or (y == -1 and x == I64_MIN):
        raise Diverge("int modulo")
    return mk_int(x % y)


def _f_floordiv(a, b):
    y = _f(b)
    if y == 0.0:
        raise Diverge("division by zero")
    return mk_float(_float_divmod_jit(_f(a), y)[0])


def _f_mod(a, b):
    y = _f(b)
    if y == 0.0:
        raise Diverge("division by zero")
    return mk_float(_float_divmod_jit(_f(a), y)[1])


def _i_pow(a, b):
    return mk_int(_int_pow_jit(_i(a), _i(b)))


def _f_pow(a, b):
    return mk_float(_float_pow_jit(_f(a), _f(b)))


for _op, _ops in (((operator.add, operator.iadd), (_i_add, _f_add)),
                  ((operator.sub, operator.isub), (_i_sub, _f_sub)),
                  ((operator.mul, operator.imul), (_i_mul, _f_mul)),
                  ((operator.truediv, operator.itruediv), (_i_truediv, _f_truediv)),
                  ((operator.floordiv, operator.ifloordiv), (_i_floordiv, _f_floordiv)),
                  ((operator.mod, operator.imod), (_i_mod, _f_mod)),
                  ((operator.pow, operator.ipow), (_i_pow, _f_pow))):
    for _o in _op:
        _binary(_o, *_ops)


# --- comparisons ------------------------------------------------------------------------------
def _compare(op):
    def typer(a, b):
        k = _kind(a, b)
        if k == "i":
            return lambda a, b: op(_i(a), _i(b))
        if k != "f":
            return None
        if a == py_int:     # Python compares int with float exactly
            def impl(a, b):
                x = _i(a)
                if x > EXACT or x < -EXACT:
                    raise Diverge("int/float comparison")
                return op(np.float64(x), _f(b))
            return impl
        if b == py_int:
            def impl(a, b):
                y = _i(b)
                if y > EXACT or y < -EXACT:
                    raise Diverge("int/float comparison")
                return op(_f(a), np.float64(y))
            return impl
        return lambda a, b: op(_f(a), _f(b))
    overload(op)(typer)


for _op in (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge):
    _compare(_op)


# --- unary operators and builtins -------------------------------------------------------------
@overload(operator.neg)
def _neg(a):
    if a == py_int:
        def impl(a):
            x = _i(a)
            if x == I64_MIN:
                raise Diverge("integer overflow")
            return mk_int(-x)
        return impl
    if a == py_float:
        return lambda a: mk_float(-_f(a))


@overload(abs)
def _abs(a):
    if a == py_int:
        def impl(a):
            x = _i(a)
            if x == I64_MIN:
                raise Diverge("integer overflow")
            return mk_int(x if x >= 0 else -x)
        return impl
    if a == py_float:
        return lambda a: mk_float(math.fabs(_f(a)))


@overload(bool)
def _bool(a):
    if a == py_int:
        return lambda a: _i(a) != 0
    if a == py_float:
        return lambda a: _f(a) != 0.0


# Numba types bool(x) of any type itself, so the lowering is ours (nan is true, as Python)
@lower_builtin(bool, PyIntType)
def _bool_int(context, builder, sig, args):
    return builder.icmp_signed("!=", args[0], ir.Constant(ir.IntType(64), 0))


@lower_builtin(bool, PyFloatType)
def _bool_float(context, builder, sig, args):
    return builder.fcmp_unordered("!=", args[0], ir.Constant(ir.DoubleType(), 0.0))


@overload(operator.not_)
def _not(a):
    if a == py_int:
        return lambda a: _i(a) == 0
    if a == py_float:
        return lambda a: _f(a) == 0.0


@overload(operator.truth)
def _truth(a):
    if a == py_int:
        return lambda a: _i(a) != 0
    if a == py_float:
        return lambda a: _f(a) != 0.0


def _to_int(x):
    """Python's int() of an integral float (nan/inf: ValueError/OverflowError; beyond
    int64: a big int). Numba's math.floor/ceil/trunc give wrapped ints: np.floor is used."""
    if not math.isfinite(x) or x >= 9.2233720368547758e18 or x < -9.2233720368547758e18:
        raise Diverge("float to int")
    return np.int64(x)


_to_int_jit = numba.njit(_to_int)


def _round_even(x):
    r = np.floor(x)
    d = x - r
    if d > 0.5 or (d == 0.5 and _c_fmod(r, 2.0) != 0.0):
        r += 1.0
    return r


_round_even_jit = numba.njit(_round_even)


@overload(round)
def _round(a, ndigits=None):
    if not (ndigits is None or isinstance(ndigits, (types.NoneType, types.Omitted))):
        return None
    if a == py_int:
        return lambda a, ndigits=None: a
    if a == py_float:
        return lambda a, ndigits=None: mk_int(_to_int_jit(_round_even_jit(_f(a))))


@overload(int)
def _int(a):
    if a == py_int:
        return lambda a: a
    if a == py_float:
        return lambda a: mk_int(_to_int_jit(np.trunc(_f(a))))
    if _is_bool(a):
        return lambda a: mk_int(_i(a))


@overload(float)
def _float(a):
    if a in (py_int, py_float) or _is_bool(a):
        return lambda a: mk_float(_f(a))


def _minmax(fn, pick_second):
    @overload(fn)
    def typer(a, b):
        if a == b and a in (py_int, py_float):
            return lambda a, b: b if pick_second(b, a) else a


_minmax(min, operator.lt)    # Python's min(a, b): b only when b < a (a NaN first stays)
_minmax(max, operator.gt)


# --- math -------------------------------------------------------------------------------------
def _math1(name, fn):
    """A math function CPython runs as ``libm(x)`` (Modules/mathmodule.c, math_1): a NaN
    from a non-NaN, or an infinity from a finite value, is Python's ValueError or
    OverflowError."""
    cf = _cfunc(name) if fn is not math.sqrt else None

    def kernel(x):
        r = cf(x) if cf is not None else math.sqrt(x)
        if (math.isnan(r) and not math.isnan(x)) or (math.isinf(r) and math.isfinite(x)):
            raise Diverge("math domain or range error")
        return r
    k = numba.njit(kernel)

    @overload(fn)
    def typer(a):
        if a in (py_int, py_float) or _is_bool(a):
            return lambda a: mk_float(k(_f(a)))


MATH1 = ("exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "sin", "cos", "tan", "asin",
         "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "cbrt", "exp2")
for _name in MATH1:
    if hasattr(math, _name):
        _math1(_name, getattr(math, _name))


@overload(math.fabs)
def _fabs(a):
    if a in (py_int, py_float) or _is_bool(a):
        return lambda a: mk_float(math.fabs(_f(a)))


def _rounding(fn, machine):
    @overload(fn)
    def typer(a):
        if a == py_int:
            return lambda a: a
        if a == py_float:
            return lambda a: mk_int(_to_int_jit(machine(_f(a))))


_rounding(math.floor, np.floor)
_rounding(math.ceil, np.ceil)
_rounding(math.trunc, np.trunc)


def _test(fn, int_answer):
    @overload(fn)
    def typer(a):
        if a == py_float:
            return lambda a: fn(_f(a))
        if a == py_int:
            return lambda a: int_answer


_test(math.isnan, False)
_test(math.isinf, False)
_test(math.isfinite, True)


# --- compiling a user function -----------------------------------------------------------------
FUNCTIONS = {abs, bool, int, float, round, min, max, math.fabs, math.floor, math.ceil, math.trunc,
             math.isnan, math.isinf, math.isfinite, operator.truth, operator.not_,
             *(getattr(math, n) for n in MATH1 if hasattr(math, n))}


def _const(v):
    if type(v) is int and I64_MIN <= v <= I64_MAX:
        return IntConst(v)
    if type(v) is float:
        return FloatConst(v)
    return v


def python_semantics(func):
    """A copy of ``func`` whose int/float constants, closure cells, globals and defaults are
    PyInt/PyFloat constants, and a key for caching its compiled loops."""
    code = func.__code__
    if code.co_argcount != 1 or code.co_kwonlyargcount or code.co_flags & 0x0C:
        raise Unsupported("not a function of one argument")
    if any(isinstance(c, pytypes.CodeType) for c in code.co_consts):
        raise Unsupported("inner functions or comprehensions")   # their constants are plain
    glob = {"__builtins__": builtins}
    for name in code.co_names:
        if name in func.__globals__:
            glob[name] = _const(func.__globals__[name])
    closure = tuple(pytypes.CellType(_const(c.cell_contents)) for c in func.__closure__ or ())
    defaults = tuple(_const(d) for d in func.__defaults__ or ())
    key = (code, tuple(sorted(glob.items(), key=lambda kv: kv[0])),
           tuple(c.cell_contents for c in closure), defaults)
    try:
        hash(key)
    except TypeError:
        raise Unsupported("closure or globals not hashable") from None
    new = pytypes.FunctionType(code.replace(co_consts=tuple(_const(c) for c in code.co_consts)),
                               glob, func.__name__, defaults or None, closure or None)
    return new, key


ALLOWED = (PyIntType, PyFloatType, types.Boolean, types.NoneType, types.Module)


def _allowed(t):
    if isinstance(t, ALLOWED):
        return True
    if isinstance(t, types.Function):
        return getattr(t, "typing_key", None) in FUNCTIONS
    return False


def _known_name(func, name):
    """A global, builtin or math attribute name whose value can be typed here."""
    v = func.__globals__.get(name, getattr(builtins, name, None))
    if v is math or type(v) in (int, float, bool) or getattr(math, name, None) in FUNCTIONS:
        return True
    try:
        return v in FUNCTIONS
    except TypeError:
        return False


def compile_scalar(func, in_kind: str):
    """The Numba dispatcher of ``func`` on one Python scalar (in_kind 'i': int, 'f': float,
    'b': bool) and its result kind ('i', 'f', 'b'); Unsupported where it does not type with
    only Python-semantics values."""
    import dis
    new, _ = python_semantics(func)
    if any(i.opname in ("UNARY_INVERT", "UNARY_POSITIVE") for i in dis.get_instructions(func)):
        raise Unsupported("~ or unary +")   # Numba's ~True is not Python's -2
    for name in func.__code__.co_names:     # refused before Numba spends time typing it
        if not _known_name(func, name):
            raise Unsupported(f"uses {name}")
    arg = {"i": py_int, "f": py_float, "b": types.boolean}[in_kind]
    jf = numba.njit(new)
    try:
        jf.compile((arg,))
    except Exception as e:  # noqa: BLE001 - Numba could not type it with our types
        raise Unsupported(f"Numba: {type(e).__name__}") from None
    cres = jf.overloads[(arg,)]
    bad = sorted({str(t) for t in cres.fndesc.typemap.values() if not _allowed(t)})
    if bad:
        raise Unsupported(f"values of Numba types {', '.join(bad)}")
    ret = cres.signature.return_type
    kind = "i" if ret == py_int else "f" if ret == py_float else "b" if _is_bool(ret) else None
    if kind is None:
        raise Unsupported(f"returns {ret}")
    return jf, kind


def make_loop(jf, in_kind: str):
    """``run(x, res, start, pos)``: res[i] = f(x[i]) for i from start; an element where
    Python's answer may differ stops it with an exception, pos[0] naming that element.
    (A try/except per element in the loop would triple Numba's compile time.)"""
    wrap = {"i": mk_int, "f": mk_float, "b": _bool_in}[in_kind]

    @numba.njit(nogil=True)
    def run(x, res, start, pos):
        for i in range(start, x.shape[0]):
            pos[0] = i
            res[i] = out(jf(wrap(x[i])))
    return run


def run_loop(run, x, res, most=256):
    """Runs the compiled loop over x into res; the indexes (in order) of the elements
    Python must run: those where it stopped, and all the rest after ``most`` stops."""
    bad, start, pos = [], 0, np.zeros(1, np.int64)
    while start < len(x):
        try:
            run(x, res, start, pos)
            break
        except Exception:  # noqa: BLE001 - Diverge, or any error: Python decides
            bad.append(int(pos[0]))
            start = bad[-1] + 1
            if len(bad) >= most:
                bad.extend(range(start, len(x)))
                break
    return np.array(bad, dtype=np.int64)


@numba.njit
def _bool_in(x):
    return x

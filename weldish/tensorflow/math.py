"""``tf.math``: elementwise ops and reductions with TensorFlow's names and dtype rules.

Each op records graph nodes (the OPS table's, with NumPy's semantics for operands of one
dtype); what TensorFlow does differently from NumPy is done here: operands are matched to
one dtype (``_tensor.match``), ``divide`` of integers gives float32/float64 by width,
sums and products keep the input's dtype, the mean of integers truncates, ``argmax``
reduces axis 0 by default.
"""
from __future__ import annotations

import numpy as np

from ..ir import build
from ..ir.node import Node
from ..ir.ops import Op
from ._tensor import Tensor, as_dtype, elementwise, fmt, match, wrap
from .errors import invalid


def _float_only(node, op: str):
    if node.dtype.kind != "f":
        raise invalid(op, f"Value for attr 'T' of {node.dtype.name} is not in the list of "
                          "allowed values: half, float, double")
    return node


def _bool_only(node, op: str):
    if node.dtype.kind != "b":
        raise invalid(op, f"cannot compute {op} as input #0(zero-based) was expected to be "
                          f"a bool tensor but is a {as_dtype(node.dtype).tf_name} tensor")
    return node


def c(value, like) -> object:
    """A scalar constant in ``like``'s dtype (TensorFlow converts Python numbers so)."""
    return build.const(value, dtype=like.dtype)


# --- unary elementwise --------------------------------------------------------------------
def _unary(op: Op, tf_op: str, floats: bool = False, bools: bool = False):
    def f(x, name=None):
        (n,) = match([x], tf_op)
        if floats:
            _float_only(n, tf_op)
        if bools:
            _bool_only(n, tf_op)
        return wrap(build.elementwise(op, n))
    f.__name__ = tf_op.lower()
    f.__doc__ = f"``tf.math`` {tf_op}: elementwise, NumPy's ``{op}``."
    return f


abs = _unary(Op.ABSOLUTE, "Abs")  # noqa: A001 - TensorFlow's name
negative = _unary(Op.NEGATIVE, "Neg")
sign = _unary(Op.SIGN, "Sign")
square = _unary(Op.SQUARE, "Square")
reciprocal = _unary(Op.RECIPROCAL, "Reciprocal", floats=True)
exp = _unary(Op.EXP, "Exp", floats=True)
expm1 = _unary(Op.EXPM1, "Expm1", floats=True)
log = _unary(Op.LOG, "Log", floats=True)
log1p = _unary(Op.LOG1P, "Log1p", floats=True)
sqrt = _unary(Op.SQRT, "Sqrt", floats=True)
sin = _unary(Op.SIN, "Sin", floats=True)
cos = _unary(Op.COS, "Cos", floats=True)
tan = _unary(Op.TAN, "Tan", floats=True)
asin = _unary(Op.ARCSIN, "Asin", floats=True)
acos = _unary(Op.ARCCOS, "Acos", floats=True)
atan = _unary(Op.ARCTAN, "Atan", floats=True)
sinh = _unary(Op.SINH, "Sinh", floats=True)
cosh = _unary(Op.COSH, "Cosh", floats=True)
tanh = _unary(Op.TANH, "Tanh", floats=True)
asinh = _unary(Op.ARCSINH, "Asinh", floats=True)
acosh = _unary(Op.ARCCOSH, "Acosh", floats=True)
atanh = _unary(Op.ARCTANH, "Atanh", floats=True)
floor = _unary(Op.FLOOR, "Floor", floats=True)
ceil = _unary(Op.CEIL, "Ceil", floats=True)
is_nan = _unary(Op.ISNAN, "IsNan", floats=True)
is_inf = _unary(Op.ISINF, "IsInf", floats=True)
is_finite = _unary(Op.ISFINITE, "IsFinite", floats=True)
logical_not = _unary(Op.LOGICAL_NOT, "LogicalNot", bools=True)


def round(x, name=None):  # noqa: A001 - TensorFlow's name
    """Round half to even (``tf.math.round``); integers are returned as they are."""
    (n,) = match([x], "Round")
    return wrap(n if n.dtype.kind in "iu" else build.elementwise(Op.RINT, n))


def rsqrt(x, name=None):
    (n,) = match([x], "Rsqrt")
    _float_only(n, "Rsqrt")
    return wrap(build.elementwise(Op.DIVIDE, c(1, n), build.elementwise(Op.SQRT, n)))


def sigmoid(x, name=None):
    """1 / (1 + exp(-x))."""
    (n,) = match([x], "Sigmoid")
    _float_only(n, "Sigmoid")
    e = build.elementwise(Op.EXP, build.elementwise(Op.NEGATIVE, n))
    return wrap(build.elementwise(Op.DIVIDE, c(1, n), build.elementwise(Op.ADD, c(1, n), e)))


def log_sigmoid(x, name=None):
    """-softplus(-x)."""
    return negative(softplus(negative(x)))


def softplus(x, name=None):
    """log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)) (no overflow)."""
    (n,) = match([x], "Softplus")
    _float_only(n, "Softplus")
    tail = build.elementwise(Op.LOG1P, build.elementwise(
        Op.EXP, build.elementwise(Op.NEGATIVE, build.elementwise(Op.ABSOLUTE, n))))
    return wrap(build.elementwise(Op.ADD, build.elementwise(Op.MAXIMUM, n, c(0, n)), tail))


def erf(x, name=None):
    """The error function: SciPy's (or ``math.erf``) on the evaluated value, recorded as a
    fallback (the IR has no erf op)."""
    from .. import fallback
    (n,) = match([x], "Erf")
    _float_only(n, "Erf")
    try:
        from scipy.special import erf as fn
    except ImportError:   # SciPy is optional
        import math as _math
        fn = np.vectorize(_math.erf, otypes=[n.dtype])
    out = fallback.call(lambda a: np.asarray(fn(a), dtype=a.dtype), (Tensor(n),), {},
                        name="tf.math.erf", reason="no erf op in the IR")
    return wrap(out.node)


# --- binary elementwise -------------------------------------------------------------------
def _binary(op: Op, tf_op: str, floats: bool = False, bools: bool = False):
    def f(x, y, name=None):
        a, b = match([x, y], tf_op)
        if floats:
            _float_only(a, tf_op)
        if bools:
            _bool_only(a, tf_op)
        return wrap(elementwise(op, tf_op, a, b))
    f.__name__ = tf_op.lower()
    f.__doc__ = f"``tf.math`` {tf_op}: elementwise with broadcasting, one dtype."
    return f


add = _binary(Op.ADD, "AddV2")
subtract = _binary(Op.SUBTRACT, "Sub")
multiply = _binary(Op.MULTIPLY, "Mul")
maximum = _binary(Op.MAXIMUM, "Maximum")
minimum = _binary(Op.MINIMUM, "Minimum")
pow = _binary(Op.POWER, "Pow")  # noqa: A001 - TensorFlow's name
floordiv = _binary(Op.FLOOR_DIVIDE, "FloorDiv")
floormod = _binary(Op.REMAINDER, "FloorMod")
mod = floormod
equal = _binary(Op.EQUAL, "Equal")
not_equal = _binary(Op.NOT_EQUAL, "NotEqual")
less = _binary(Op.LESS, "Less")
less_equal = _binary(Op.LESS_EQUAL, "LessEqual")
greater = _binary(Op.GREATER, "Greater")
greater_equal = _binary(Op.GREATER_EQUAL, "GreaterEqual")
atan2 = _binary(Op.ARCTAN2, "Atan2", floats=True)
logical_and = _binary(Op.LOGICAL_AND, "LogicalAnd", bools=True)
logical_or = _binary(Op.LOGICAL_OR, "LogicalOr", bools=True)
logical_xor = _binary(Op.NOT_EQUAL, "LogicalXor", bools=True)

# TensorFlow's true division of integers: to float32 up to 16 bits, else float64
_TRUEDIV = {1: np.dtype("float32"), 2: np.dtype("float32"), 4: np.dtype("float64"),
            8: np.dtype("float64")}


def divide(x, y, name=None):
    """x / y (``tf.math.truediv``): integers are divided as floats."""
    a, b = match([x, y], "RealDiv")
    if a.dtype.kind == "b":
        raise TypeError("Invalid dtype bool in __truediv__")
    if a.dtype.kind in "iu":
        want = _TRUEDIV[a.dtype.itemsize]
        a, b = build.astype(a, want), build.astype(b, want)
    return wrap(elementwise(Op.DIVIDE, "RealDiv", a, b))


truediv = divide


def divide_no_nan(x, y, name=None):
    """x / y, and 0 where y == 0."""
    a, b = match([x, y], "DivNoNan")
    _float_only(a, "DivNoNan")
    zero = build.elementwise(Op.EQUAL, b, c(0, b))
    safe = build.elementwise(Op.WHERE, zero, c(1, b), b)   # no division by zero at all
    q = elementwise(Op.DIVIDE, "DivNoNan", a, safe)
    return wrap(build.elementwise(Op.WHERE, zero, c(0, a), q))


def squared_difference(x, y, name=None):
    """(x - y) ** 2."""
    a, b = match([x, y], "SquaredDifference")
    return wrap(build.elementwise(Op.SQUARE, elementwise(Op.SUBTRACT, "SquaredDifference",
                                                         a, b)))


def add_n(inputs, name=None):
    """The sum of a list of tensors of one shape and dtype."""
    nodes = match(list(inputs), "AddN")
    total = nodes[0]
    for i, n in enumerate(nodes[1:], 1):
        if n.shape != nodes[0].shape:
            raise invalid("AddN", f"Inputs to operation AddN must have the same size and "
                                  f"shape.  Input 0: {fmt(nodes[0].shape)} != input {i}: "
                                  f"{fmt(n.shape)}")
        total = build.elementwise(Op.ADD, total, n)
    return wrap(total)


# --- reductions ---------------------------------------------------------------------------
def _axes(axis, node, op: str):
    """A reduction's axes as a tuple of non-negative ints (None: all)."""
    if axis is None:
        return None
    if isinstance(axis, (Tensor, np.ndarray)):
        axis = np.asarray(axis).tolist()
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -max(node.ndim, 1) <= a < max(node.ndim, 1):
            raise invalid(op, f"Invalid reduction dimension ({a} for input with "
                              f"{node.ndim} dimension(s))")
        out.append(a % max(node.ndim, 1))
    return tuple(sorted(set(out)))


def _reduce(op: Op, tf_op: str, input_tensor, axis, keepdims, same_dtype=False):
    (n,) = match([input_tensor], tf_op)
    axes = _axes(axis, n, tf_op)
    extra = {"dtype": n.dtype} if same_dtype else {}
    if n.ndim == 0:
        return wrap(n)
    return wrap(build.reduce(op, n, axis=axes, keepdims=bool(keepdims), **extra))


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sum (in the input's dtype, as TensorFlow: int32 stays int32)."""
    _no_bool(input_tensor, "Sum")
    return _reduce(Op.SUM, "Sum", input_tensor, axis, keepdims, same_dtype=True)


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    _no_bool(input_tensor, "Prod")
    return _reduce(Op.PROD, "Prod", input_tensor, axis, keepdims, same_dtype=True)


def _extreme(op: Op, tf_op: str, input_tensor, axis, keepdims, empty_value):
    """max/min; over an empty axis, the dtype's lowest/highest value (TensorFlow's
    identity), where NumPy raises."""
    (n,) = match([input_tensor], tf_op)
    axes = _axes(axis, n, tf_op)
    reduced = range(n.ndim) if axes is None else axes
    if n.ndim and any(n.shape[a] == 0 for a in reduced):
        shape = tuple(1 if i in reduced else s for i, s in enumerate(n.shape) if
                      keepdims or i not in reduced)
        return wrap(build.full(shape, empty_value(n.dtype), dtype=n.dtype))
    return _reduce(op, tf_op, input_tensor, axis, keepdims)


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else False if dtype.kind == "b" else \
        np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if dtype.kind == "f" else True if dtype.kind == "b" else \
        np.iinfo(dtype).max


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    return _extreme(Op.MAX, "Max", input_tensor, axis, keepdims, _lowest)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    return _extreme(Op.MIN, "Min", input_tensor, axis, keepdims, _highest)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    _bool_only(match([input_tensor], "Any")[0], "Any")
    return _reduce(Op.ANY, "Any", input_tensor, axis, keepdims)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    _bool_only(match([input_tensor], "All")[0], "All")
    return _reduce(Op.ALL, "All", input_tensor, axis, keepdims)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Mean; of integers, the sum divided with truncation (TensorFlow's integer mean)."""
    (n,) = match([input_tensor], "Mean")
    _no_bool(n, "Mean")
    if n.dtype.kind == "f":
        return _reduce(Op.MEAN, "Mean", input_tensor, axis, keepdims)
    total = reduce_sum(input_tensor, axis, keepdims).node
    count = max(1, n.size // max(1, total.size)) if n.size else 1
    k = c(count, n)
    down = build.elementwise(Op.FLOOR_DIVIDE, total, k)
    up = build.elementwise(Op.NEGATIVE, build.elementwise(
        Op.FLOOR_DIVIDE, build.elementwise(Op.NEGATIVE, total), k))
    return wrap(build.elementwise(Op.WHERE, build.elementwise(Op.LESS, total, c(0, n)),
                                  up, down))


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))), shifted by the (finite) maximum as TensorFlow does."""
    (n,) = match([input_tensor], "Logsumexp")
    _float_only(n, "Logsumexp")
    top = reduce_max(input_tensor, axis, keepdims=True).node
    top = build.elementwise(Op.WHERE, build.elementwise(Op.ISFINITE, top), top, c(0, n))
    shifted = build.elementwise(Op.EXP, build.elementwise(Op.SUBTRACT, n, top))
    total = reduce_sum(wrap(shifted), axis, keepdims).node
    return wrap(build.elementwise(Op.ADD, build.elementwise(Op.LOG, total),
                                  build.reshape(top, total.shape)))


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """Population variance (ddof 0) of a float tensor."""
    _float_only(match([input_tensor], "Variance")[0], "Variance")
    return _reduce(Op.VAR, "Variance", input_tensor, axis, keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """Population standard deviation (ddof 0) of a float tensor."""
    _float_only(match([input_tensor], "Std")[0], "Std")
    return _reduce(Op.STD, "Std", input_tensor, axis, keepdims)


def _no_bool(x, op):
    n = x if isinstance(x, Node) else match([x], op)[0]
    if n.dtype.kind == "b":
        raise invalid(op, "Value for attr 'T' of bool is not in the list of allowed "
                          "values (a number type)")


def _arg(op: Op, tf_op: str, input, axis, output_type):
    (n,) = match([input], tf_op)
    if n.ndim == 0:
        raise invalid(tf_op, "Expected dimension in the range [0, 0), but got 0")
    axis = 0 if axis is None else int(np.asarray(axis))
    if not -n.ndim <= axis < n.ndim:
        raise invalid(tf_op, f"Expected dimension in the range [{-n.ndim}, {n.ndim}), "
                             f"but got {axis}")
    out = build.reduce(op, n, axis=axis % n.ndim)
    want = as_dtype(output_type).dtype
    return wrap(out if out.dtype == want else build.astype(out, want))


def argmax(input, axis=None, output_type="int64", name=None):  # noqa: A002
    """Index of the largest value along ``axis`` (default 0), first of ties."""
    return _arg(Op.ARGMAX, "ArgMax", input, axis, output_type)


def argmin(input, axis=None, output_type="int64", name=None):  # noqa: A002
    return _arg(Op.ARGMIN, "ArgMin", input, axis, output_type)


def _scan(op: Op, tf_op: str, x, axis, exclusive, reverse):
    """cumsum/cumprod along ``axis``; ``reverse``: from the end (a reversed view, scanned,
    reversed back); ``exclusive``: each position without its own element (the identity
    first, the scan shifted by one)."""
    (n,) = match([x], tf_op)
    _no_bool(n, tf_op)
    axis = int(np.asarray(axis))
    if n.ndim == 0 or not -n.ndim <= axis < n.ndim:
        raise invalid(tf_op, f"Expected scan axis in the range [{-n.ndim}, {n.ndim}), "
                             f"but got {axis}")
    axis %= n.ndim

    def along(sl):
        return tuple(sl if d == axis else slice(None) for d in range(n.ndim))
    flip = along(slice(None, None, -1))
    src = build.getitem(n, flip) if reverse else n
    out = build.scan(op, src, axis=axis, dtype=n.dtype)
    if exclusive and n.shape[axis]:
        first = build.full(n.shape[:axis] + (1,) + n.shape[axis + 1:],
                           0 if op is Op.CUMSUM else 1, dtype=n.dtype)
        out = build.concatenate([first, build.getitem(out, along(slice(None, -1)))],
                                axis=axis)
    return wrap(build.getitem(out, flip) if reverse else out)


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    return _scan(Op.CUMSUM, "Cumsum", x, axis, exclusive, reverse)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    return _scan(Op.CUMPROD, "Cumprod", x, axis, exclusive, reverse)


# --- Python operators on tensors ------------------------------------------------------------
def _install_operators():
    def bitwise_or_logical(logical, bitwise):
        def f(x, y):
            a, b = match([x, y], logical.__name__)
            if a.dtype.kind == "b":
                return logical(x, y)
            return wrap(elementwise(bitwise, logical.__name__, a, b))
        return f

    table = {
        "add": add, "sub": subtract, "mul": multiply, "truediv": divide,
        "floordiv": floordiv, "mod": floormod, "pow": pow,
        "and": bitwise_or_logical(logical_and, Op.BITWISE_AND),
        "or": bitwise_or_logical(logical_or, Op.BITWISE_OR),
        "xor": bitwise_or_logical(logical_xor, Op.BITWISE_XOR),
    }

    def pair(fn):
        return (lambda self, other: fn(self, other)), (lambda self, other: fn(other, self))

    for dunder, fn in table.items():
        fwd, rev = pair(fn)
        setattr(Tensor, f"__{dunder}__", fwd)
        setattr(Tensor, f"__r{dunder}__", rev)
        setattr(Tensor, f"__i{dunder}__", fwd)   # immutable: x += y rebinds x
    from .array_ops import matmul
    fwd, rev = pair(matmul)
    Tensor.__matmul__, Tensor.__rmatmul__, Tensor.__imatmul__ = fwd, rev, fwd
    for dunder, fn in {"lt": less, "le": less_equal, "gt": greater,
                       "ge": greater_equal}.items():
        setattr(Tensor, f"__{dunder}__", pair(fn)[0])
    # TensorFlow 2: == is elementwise; a comparison with None is plain False/True
    Tensor.__eq__ = lambda self, other: False if other is None else equal(self, other)
    Tensor.__ne__ = lambda self, other: True if other is None else not_equal(self, other)
    Tensor.__neg__ = lambda self: negative(self)
    Tensor.__abs__ = lambda self: abs(self)
    Tensor.__pos__ = lambda self: self

    def invert(self):
        n = self.node
        return logical_not(self) if n.dtype.kind == "b" else \
            wrap(build.elementwise(Op.INVERT, n))
    Tensor.__invert__ = invert

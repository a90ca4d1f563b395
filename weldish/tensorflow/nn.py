"""``tf.nn``: activations, softmax and the logistic loss, as elementwise graph nodes (so
they fuse with the matmul or arithmetic before them and the reduction after them)."""
from __future__ import annotations

import math as _math

from ..ir import build
from ..ir.ops import Op
from . import math as tfm
from ._tensor import elementwise, fmt, match, wrap
from .errors import invalid
from .math import sigmoid, softplus, tanh  # noqa: F401 - tf.nn names too

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float(x, op):
    (n,) = match([x], op)
    return tfm._float_only(n, op)


def _e(op, *srcs):
    return build.elementwise(op, *srcs)


def relu(features, name=None):
    """max(x, 0)."""
    (n,) = match([features], "Relu")
    return wrap(_e(Op.MAXIMUM, n, tfm.c(0, n)))


def relu6(features, name=None):
    """min(max(x, 0), 6)."""
    (n,) = match([features], "Relu6")
    return wrap(_e(Op.MINIMUM, _e(Op.MAXIMUM, n, tfm.c(0, n)), tfm.c(6, n)))


def leaky_relu(features, alpha=0.2, name=None):
    """x where x > 0, else alpha * x."""
    n = _float(features, "LeakyRelu")
    return wrap(_e(Op.WHERE, _e(Op.GREATER, n, tfm.c(0, n)), n,
                   _e(Op.MULTIPLY, n, tfm.c(alpha, n))))


def elu(features, name=None):
    """x where x > 0, else exp(x) - 1."""
    n = _float(features, "Elu")
    return wrap(_e(Op.WHERE, _e(Op.GREATER, n, tfm.c(0, n)), n, _e(Op.EXPM1, n)))


def selu(features, name=None):
    """scale * (x where x > 0, else alpha * (exp(x) - 1))."""
    n = _float(features, "Selu")
    neg = _e(Op.MULTIPLY, tfm.c(_SELU_ALPHA, n), _e(Op.EXPM1, n))
    inner = _e(Op.WHERE, _e(Op.GREATER, n, tfm.c(0, n)), n, neg)
    return wrap(_e(Op.MULTIPLY, tfm.c(_SELU_SCALE, n), inner))


def gelu(features, approximate=False, name=None):
    """0.5 x (1 + erf(x / sqrt 2)); ``approximate``: TensorFlow's tanh form. The exact form
    computes erf eagerly (``tf.math.erf``: the IR has no erf op)."""
    n = _float(features, "Gelu")
    half = _e(Op.MULTIPLY, tfm.c(0.5, n), n)
    if approximate:
        cube = _e(Op.MULTIPLY, tfm.c(0.044715, n), _e(Op.POWER, n, tfm.c(3, n)))
        inner = _e(Op.MULTIPLY, tfm.c(_math.sqrt(2 / _math.pi), n), _e(Op.ADD, n, cube))
        return wrap(_e(Op.MULTIPLY, half, _e(Op.ADD, tfm.c(1, n), _e(Op.TANH, inner))))
    scaled = _e(Op.DIVIDE, n, tfm.c(1.4142135623730951, n))
    return wrap(_e(Op.MULTIPLY, half, _e(Op.ADD, tfm.c(1, n), tfm.erf(wrap(scaled)).node)))


def silu(features, beta=1.0, name=None):
    """x * sigmoid(beta * x)."""
    n = _float(features, "Silu")
    scaled = n if beta == 1.0 else _e(Op.MULTIPLY, tfm.c(beta, n), n)
    return wrap(_e(Op.MULTIPLY, n, sigmoid(wrap(scaled)).node))


swish = silu


def _axis(n, axis, op):
    axis = -1 if axis is None else int(axis)
    if not -n.ndim <= axis < n.ndim:
        raise invalid(op, f"`axis` must be in the range [{-n.ndim}, {n.ndim}) where "
                          f"{n.ndim} is the number of dimensions in the input. Received: "
                          f"axis={axis}")
    return axis % n.ndim


def softmax(logits, axis=None, name=None):
    """exp(x - max) / sum(exp(x - max)) along ``axis`` (default the last)."""
    n = _float(logits, "Softmax")
    axis = _axis(n, axis, "Softmax")
    top = build.reduce(Op.MAX, n, axis=axis, keepdims=True)
    e = _e(Op.EXP, _e(Op.SUBTRACT, n, top))
    return wrap(_e(Op.DIVIDE, e, build.reduce(Op.SUM, e, axis=axis, keepdims=True)))


def log_softmax(logits, axis=None, name=None):
    """x - max - log(sum(exp(x - max))) along ``axis`` (default the last)."""
    n = _float(logits, "LogSoftmax")
    axis = _axis(n, axis, "LogSoftmax")
    shifted = _e(Op.SUBTRACT, n, build.reduce(Op.MAX, n, axis=axis, keepdims=True))
    total = build.reduce(Op.SUM, _e(Op.EXP, shifted), axis=axis, keepdims=True)
    return wrap(_e(Op.SUBTRACT, shifted, _e(Op.LOG, total)))


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """The logistic loss, max(x, 0) - x z + log(1 + exp(-|x|)) (x: logits, z: labels)."""
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")
    x, z = match([logits, labels], "SigmoidCrossEntropyWithLogits")
    tfm._float_only(x, "SigmoidCrossEntropyWithLogits")
    if x.shape != z.shape:
        raise ValueError(f"`logits` and `labels` must have the same shape, received "
                         f"({fmt(x.shape)} vs {fmt(z.shape)}).")
    relu_x = _e(Op.MAXIMUM, x, tfm.c(0, x))
    tail = _e(Op.LOG1P, _e(Op.EXP, _e(Op.NEGATIVE, _e(Op.ABSOLUTE, x))))
    return wrap(_e(Op.ADD, _e(Op.SUBTRACT, relu_x, _e(Op.MULTIPLY, x, z)), tail))


def bias_add(value, bias, data_format=None, name=None):
    """value + bias along the last axis (bias is 1-D of the last dimension's size)."""
    v, b = match([value, bias], "BiasAdd")
    if b.ndim != 1 or v.ndim < 2 or v.shape[-1] != b.shape[0]:
        raise invalid("BiasAdd", f"Must provide as many biases as the last dimension of the "
                                 f"input tensor: {fmt(b.shape)} vs. {fmt(v.shape)}")
    return wrap(elementwise(Op.ADD, "BiasAdd", v, b))


__all__ = ["bias_add", "elu", "gelu", "leaky_relu", "log_softmax", "relu", "relu6", "selu",
           "sigmoid", "sigmoid_cross_entropy_with_logits", "silu", "softmax", "softplus",
           "swish", "tanh"]

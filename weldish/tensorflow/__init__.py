"""``import weldish.tensorflow as tf``: TensorFlow's commonly used API, recording lazily.

Tensors are weldish lazy arrays with TensorFlow's dtype rules (see ``_tensor``): their
ops record into the same graph as ``weldish.numpy`` and ``weldish.pandas``, so feature
engineering and model scoring run as one fused program. TensorFlow is not required; when
it is installed, its tensors are accepted by conversion (``.numpy()``).

    import weldish.tensorflow as tf
    x = tf.constant(features)                       # or any NumPy / weldish array
    score = tf.reduce_sum(tf.cast(tf.sigmoid(tf.matmul(x, w) + b) > 0.5, tf.int32))
    weldish.explain(score)                          # one loop over x

Differences from TensorFlow worth knowing:
- ``tf.float32`` and friends are weldish ``DType``s: NumPy dtypes with TensorFlow's names
  (equal to ``np.float32``/``"float32"``); complex, string and bfloat16 tensors are not
  supported.
- NumPy's own functions and ufuncs on tensors (``np.exp(t)``, ``ndarray + t``) follow
  NumPy's rules and return ``weldish.numpy`` arrays; TensorFlow's rules apply to ``tf.*``
  functions and to operators whose left operand (or only tensor) is a ``Tensor``.
- A small ``tf.matmul`` (inner dimension <= 64, right operand <= 1024 values) is
  computed inside the fused loop of what follows it on the llvm backend: its float
  results agree with BLAS to rounding, summed in another order.
- Ops on dtypes TensorFlow has no kernel for (``tf.exp`` of int32...) raise
  ``InvalidArgumentError`` (TensorFlow raises NotFoundError or TypeError for some);
  exact ``gelu`` and ``tf.math.erf`` compute erf eagerly (the IR has no erf op;
  recorded as a fallback).
- Lazy tensors read NumPy arrays given to ``convert_to_tensor`` when evaluated
  (``tf.constant`` copies); a tensor built from a ``Variable`` before an ``assign``
  keeps the old value, and ``tf.function`` reads variables at every call.
"""
from . import errors, keras, math, nn
from ._function import Function, TensorSpec, function
from ._tensor import (DType, Tensor, TensorShape, Variable, as_dtype, constant,
                      convert_to_tensor, is_tensor)
from .array_ops import (broadcast_to, cast, clip_by_value, concat, expand_dims, fill, gather,
                        identity, matmul, one_hot, ones, ones_like, range, rank, reshape,
                        shape, size, squeeze, stack, tensordot, transpose, where, zeros,
                        zeros_like)
from .math import (abs, add, add_n, argmax, argmin, ceil, cos, cumprod, cumsum, divide,
                   equal, exp, floor, greater, greater_equal, less, less_equal, log,
                   logical_and, logical_not, logical_or, maximum, minimum, multiply,
                   negative, not_equal, pow, reduce_all, reduce_any, reduce_logsumexp,
                   reduce_max, reduce_mean, reduce_min, reduce_prod, reduce_std,
                   reduce_sum, reduce_variance, round, sigmoid, sign, sin, sqrt, square,
                   subtract, tanh, truediv)
from ._tensor import DTYPES as _DTYPES

math._install_operators()

float16 = half = _DTYPES[as_dtype("float16").dtype]
float32 = _DTYPES[as_dtype("float32").dtype]
float64 = double = _DTYPES[as_dtype("float64").dtype]
int8, int16, int32, int64 = (as_dtype(n) for n in ("int8", "int16", "int32", "int64"))
uint8, uint16, uint32, uint64 = (as_dtype(n) for n in ("uint8", "uint16", "uint32",
                                                       "uint64"))
bool = as_dtype("bool")  # noqa: A001 - TensorFlow's name
dtypes = type(math)("weldish.tensorflow.dtypes")
dtypes.__dict__.update(DType=DType, as_dtype=as_dtype, float16=float16, float32=float32,
                       float64=float64, double=double, half=half, int8=int8, int16=int16,
                       int32=int32, int64=int64, uint8=uint8, uint16=uint16, uint32=uint32,
                       uint64=uint64, bool=bool)
linalg = type(math)("weldish.tensorflow.linalg")
linalg.__dict__.update(matmul=matmul, tensordot=tensordot)


def executing_eagerly() -> "bool":
    """Tensors behave eagerly (values on demand), as in TensorFlow 2."""
    return True


__all__ = sorted(name for name in dir() if not name.startswith("_"))

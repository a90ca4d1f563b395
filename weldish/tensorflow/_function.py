"""``tf.function``: trace a TensorFlow-style function once per input signature.

Built on ``weldish.function``: arguments (tensors are evaluated first, as a graph
boundary) become NumPy arrays, the function is traced with them as ``Tensor``s, and later
calls with the same dtypes and shapes (Python values: the same values) run the prepared
program without calling the function. Results come back as tensors. Variables and
arrays the function captures are read at every call, so ``Variable.assign`` is seen.
"""
from __future__ import annotations

import functools

import numpy as np

from ..function import Function as _WeldishFunction
from ..lazy import LazyArray
from ._tensor import Tensor, as_dtype, convert_to_tensor


class TensorSpec:
    """``tf.TensorSpec``: a dtype and a shape (None: any size) an argument must match."""

    def __init__(self, shape=None, dtype="float32", name=None):
        self.shape = None if shape is None else tuple(shape)
        self.dtype, self.name = as_dtype(dtype), name

    def is_compatible_with(self, value) -> bool:
        dtype = getattr(value, "dtype", None)
        shape = np.shape(value)
        if dtype is None or as_dtype(dtype) != self.dtype:
            return False
        return self.shape is None or (len(shape) == len(self.shape) and all(
            s is None or s == n for s, n in zip(self.shape, shape)))

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype!r}, name={self.name!r})"


def _to_value(a):
    """A call argument as ``weldish.function`` takes it: tensors and lazy arrays evaluated."""
    if isinstance(a, LazyArray):
        return np.asarray(a)
    if hasattr(a, "numpy") and callable(a.numpy) and not isinstance(a, np.ndarray):
        return np.asarray(a.numpy())   # a real tf.Tensor
    return a


def _as_tensor(a):
    return Tensor(a.node) if isinstance(a, LazyArray) and not isinstance(a, Tensor) else a


def _to_tensors(out):
    if isinstance(out, (np.ndarray, np.generic)):
        return convert_to_tensor(np.asarray(out))
    if type(out) in (tuple, list):
        return type(out)(_to_tensors(o) for o in out)
    if type(out) is dict:
        return {k: _to_tensors(v) for k, v in out.items()}
    return out


class Function:
    """A traced TensorFlow-style function (see the module's doc)."""

    def __init__(self, python_function, input_signature=None, **options):
        functools.update_wrapper(self, python_function)
        self.python_function = python_function
        self.input_signature = None if input_signature is None else list(input_signature)

        def traced(*args, **kwargs):
            # traced arguments arrive as lazy arrays: the function sees TensorFlow tensors
            return python_function(*map(_as_tensor, args),
                                   **{k: _as_tensor(v) for k, v in kwargs.items()})
        self._traced = _WeldishFunction(traced)

    def __call__(self, *args, **kwargs):
        args = tuple(map(_to_value, args))
        kwargs = {k: _to_value(v) for k, v in kwargs.items()}
        if self.input_signature is not None:
            self._check(args)
        return _to_tensors(self._traced(*args, **kwargs))

    def _check(self, args):
        if len(args) != len(self.input_signature) or not all(
                spec.is_compatible_with(a) for spec, a in zip(self.input_signature, args)):
            got = [(getattr(a, "dtype", type(a).__name__), np.shape(a)) for a in args]
            raise TypeError(f"Binding inputs to tf.function failed: inputs {got} are "
                            f"incompatible with input_signature {self.input_signature}")

    def experimental_get_tracing_count(self) -> int:
        """How many times the Python function was traced (called)."""
        return self._traced.traces

    def __get__(self, obj, objtype=None):   # a decorated method
        return self if obj is None else functools.partial(self.__call__, obj)


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_autograph_options=None, **kwargs):
    """``tf.function`` as a decorator, with or without arguments."""
    if func is None:
        return lambda f: Function(f, input_signature)
    return Function(func, input_signature)


__all__ = ["Function", "TensorSpec", "function"]

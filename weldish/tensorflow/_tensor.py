"""Tensors, dtypes and TensorFlow's conversion rules, on weldish's lazy graph.

A ``Tensor`` is a lazy array (``weldish.LazyArray``) whose Python operators follow
TensorFlow's rules instead of NumPy's: the operands of an op must have one dtype (no
promotion between float32 and float64, or ints and floats: ``InvalidArgumentError``, as
TensorFlow raises); values that are not tensors (Python numbers and lists, NumPy arrays,
``weldish.numpy`` arrays) are converted to the dtype of the op's first tensor, as
TensorFlow converts them (``TypeError`` when a float would become an int). Everything
else about a lazy array holds: ``np.asarray(t)`` evaluates it, ``weldish.numpy``
functions and NumPy's ufuncs take it (with NumPy's semantics, returning lazy arrays), and
its ops record into the same graph, so TensorFlow-style, NumPy and pandas code fuse.
"""
from __future__ import annotations

import numpy as np

from ..ir import build
from ..ir.node import Node
from ..ir.ops import Op
from ..lazy import LazyArray
from .errors import invalid


# --- dtypes -------------------------------------------------------------------------------
class DType:
    """A TensorFlow dtype (``tf.float32``...): a NumPy dtype with TensorFlow's names.

    Compares equal to the NumPy dtype and to its name (``t.dtype == np.float32``);
    ``np.dtype(tf.float32)`` is ``float32``.
    """
    __slots__ = ("_np",)
    _TF_NAMES = {"float16": "half", "float32": "float", "float64": "double"}

    def __init__(self, np_dtype):
        self._np = np.dtype(np_dtype)

    name = property(lambda self: self._np.name)
    dtype = property(lambda self: self._np)           # what np.dtype(...) reads
    as_numpy_dtype = property(lambda self: self._np.type)
    base_dtype = property(lambda self: self)
    is_floating = property(lambda self: self._np.kind == "f")
    is_integer = property(lambda self: self._np.kind in "iu")
    is_unsigned = property(lambda self: self._np.kind in "ub")
    is_bool = property(lambda self: self._np.kind == "b")
    is_complex = property(lambda self: False)
    size = property(lambda self: self._np.itemsize)

    @property
    def min(self):
        return np.finfo(self._np).min if self.is_floating else np.iinfo(self._np).min \
            if self.is_integer else False

    @property
    def max(self):
        return np.finfo(self._np).max if self.is_floating else np.iinfo(self._np).max \
            if self.is_integer else True

    @property
    def tf_name(self) -> str:
        """The name TensorFlow's error messages use (float, double, int32...)."""
        return self._TF_NAMES.get(self._np.name, self._np.name)

    def __eq__(self, other):
        try:
            return self._np == as_dtype(other)._np
        except TypeError:
            return False

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._np)

    def __repr__(self):
        return f"tf.{self.name}"

    def __getattr__(self, name):   # kind, itemsize, type, char...: NumPy's
        return getattr(object.__getattribute__(self, "_np"), name)


_SUPPORTED = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
              "uint64", "float16", "float32", "float64")
DTYPES = {np.dtype(n): DType(n) for n in _SUPPORTED}
_ALIASES = {"float": "float32", "double": "float64", "half": "float16"}


def as_dtype(value) -> DType:
    """``tf.as_dtype``: a DType from a DType, NumPy dtype, type or name."""
    if isinstance(value, DType):
        return value
    if value is float:
        return DTYPES[np.dtype("float32")]   # TensorFlow's Python float
    if isinstance(value, str):
        value = _ALIASES.get(value, value)
    try:
        found = DTYPES.get(np.dtype(value))
    except TypeError:
        found = None
    if found is None:
        raise TypeError(f"Cannot convert value {value!r} to a TensorFlow DType.")
    return found


def tf_name(dtype) -> str:
    return as_dtype(dtype).tf_name


class TensorShape(tuple):
    """A tensor's shape: a tuple (so it compares with tuples) with TensorFlow's methods."""

    def as_list(self) -> list:
        return list(self)

    rank = property(lambda self: len(self))
    ndims = rank
    dims = property(lambda self: list(self))

    def num_elements(self) -> int:
        return int(np.prod(self, dtype=np.int64))

    def is_fully_defined(self) -> bool:
        return True

    def __repr__(self):
        return f"TensorShape({list(self)})"


def fmt(shape) -> str:
    """A shape as TensorFlow writes it in messages: [2,3]."""
    return "[" + ",".join(str(int(n)) for n in shape) + "]"


# --- the tensor ---------------------------------------------------------------------------
class Tensor(LazyArray):
    """An immutable lazy tensor (see the module's doc)."""
    __slots__ = ()

    shape = property(lambda self: TensorShape(self.node.shape))
    dtype = property(lambda self: DTYPES[self.node.dtype])

    def get_shape(self) -> TensorShape:
        return self.shape

    def numpy(self):
        """The value as NumPy (a NumPy scalar for a 0-d tensor), as ``EagerTensor.numpy``."""
        arr = np.array(self.__array__())
        return arr[()] if arr.ndim == 0 else arr

    def __repr__(self):
        value = self.numpy()
        return (f"<tf.Tensor: shape={tuple(self.shape)}, dtype={self.dtype.name}, "
                f"numpy={value!r}>")

    def __str__(self):
        return f"tf.Tensor({self.numpy()}, shape={tuple(self.shape)}, dtype={self.dtype.name})"

    def __getitem__(self, key):
        key = tuple(int(k) if isinstance(k, Tensor) and k.ndim == 0 else k for k in
                    (key if isinstance(key, tuple) else (key,)))
        return Tensor(LazyArray.__getitem__(self, key).node)

    def __setitem__(self, key, value):
        raise TypeError(f"'{type(self).__name__}' object does not support item assignment")

    def __iter__(self):
        if not self.node.shape:
            raise TypeError("Cannot iterate over a scalar tensor.")
        return (self[i] for i in range(self.node.shape[0]))


def wrap(node: Node) -> Tensor:
    return Tensor(node)


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


# --- conversion ---------------------------------------------------------------------------
def _castable(want: np.dtype, have: np.dtype) -> bool:
    """TensorFlow's conversion of an array to a requested dtype: ints to any int, ints and
    floats to any float; never a float to an int, nothing to or from bool."""
    if want == have:
        return True
    if want.kind in "iu":
        return have.kind in "iu"
    return want.kind == "f" and have.kind in "iuf"


def _cannot(value, want: np.dtype):
    text = value if isinstance(value, (int, float, bool, list, tuple)) else type(value).__name__
    return TypeError(f"Cannot convert {text} to EagerTensor of dtype {want.name}")


def _python_default(arr: np.ndarray) -> np.dtype:
    """TensorFlow's dtype for Python data: float32, int32 (int64 when it does not fit),
    bool."""
    kind = arr.dtype.kind
    if kind == "f":
        return np.dtype("float32")
    if kind in "iu":
        if arr.size and (arr.min() < -2**31 or arr.max() >= 2**31):
            return np.dtype("int64")
        return np.dtype("int32")
    if kind == "b":
        return np.dtype("bool")
    raise TypeError(f"Failed to convert elements of {arr!r} to Tensor (dtype {arr.dtype}).")


def _array_node(arr: np.ndarray, want, value) -> Node:
    if arr.dtype not in DTYPES:
        raise TypeError(f"Cannot convert {type(value).__name__} of dtype {arr.dtype} "
                        "to a Tensor")
    node = build.input(arr) if arr.ndim else build.const(arr[()], dtype=arr.dtype)
    if want is None or want == arr.dtype:
        return node
    if not _castable(want, arr.dtype):
        raise _cannot(value, want)
    return build.astype(node, want)


def _lazy_node(node: Node, want, value) -> Node:
    if node.dtype not in DTYPES:
        raise TypeError(f"Cannot convert an array of dtype {node.dtype} to a Tensor")
    if want is None or want == node.dtype:
        return node
    if not _castable(want, node.dtype):
        raise _cannot(value, want)
    return build.astype(node, want)


def _contains_lazy(value) -> bool:
    return isinstance(value, (list, tuple)) and any(
        isinstance(v, LazyArray) or _contains_lazy(v) for v in value)


def to_node(value, dtype=None) -> Node:
    """The graph node of ``value`` as a tensor of ``dtype`` (None: the value's own/TF's
    default), with TensorFlow's conversion rules."""
    want = None if dtype is None else as_dtype(dtype).dtype
    if isinstance(value, Tensor):
        node = value.node
        if want is not None and node.dtype != want:
            raise ValueError(f"Tensor conversion requested dtype {want.name} for Tensor "
                             f"with dtype {node.dtype.name}")
        return node
    if isinstance(value, LazyArray):    # a weldish.numpy array: like a NumPy array
        return _lazy_node(value.node, want, value)
    module = type(value).__module__
    if module.startswith("weldish.pandas") and hasattr(value, "to_numpy"):
        return to_node(value.to_numpy(), dtype)   # lazy columns stay lazy
    if isinstance(value, (np.ndarray, np.generic)):
        return _array_node(np.asarray(value), want, value)
    if hasattr(value, "numpy") and callable(value.numpy):   # a real tf.Tensor/Variable
        return _array_node(np.asarray(value.numpy()), want, value)
    if _contains_lazy(value):   # a list of tensors: packed, as tf.constant does
        parts = [to_node(v, dtype) for v in value]
        first = parts[0].dtype
        parts = [p if p.dtype == first else _lazy_node(p, first, value) for p in parts]
        return _stack_nodes(parts, 0, "Pack")
    if hasattr(value, "__array__") and not isinstance(value, (list, tuple)):
        return _array_node(np.asarray(value), want, value)   # pandas, Arrow...
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Failed to convert elements of {value!r} to Tensor.")
    if want is None:
        want = _python_default(arr)
    else:   # bools only to bool, floats only to floats, ints to ints and floats
        have = arr.dtype.kind
        if (have == "b") != (want.kind == "b") or (have == "f" and want.kind != "f"):
            raise _cannot(value, want)
    arr = np.asarray(arr, dtype=want)
    return build.input(arr) if arr.ndim else build.const(arr[()], dtype=want)


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None) -> Tensor:
    """``tf.convert_to_tensor``: a Tensor for ``value`` (the same Tensor for a Tensor).

    ``dtype_hint`` is tried first for Python data and ignored when the value cannot take
    it; NumPy and weldish arrays keep their dtype unless ``dtype`` asks for another.
    """
    if isinstance(value, Tensor) and dtype is None:
        return value
    if dtype is None and dtype_hint is not None and not isinstance(value, LazyArray):
        try:
            return Tensor(to_node(value, dtype_hint))
        except (TypeError, ValueError):
            pass
    return Tensor(to_node(value, dtype))


def constant(value, dtype=None, shape=None, name=None) -> Tensor:
    """``tf.constant``: a tensor holding a copy of ``value`` (optionally broadcast to
    ``shape``)."""
    if isinstance(value, np.ndarray):
        value = value.copy()   # a constant does not follow later writes into the array
    node = to_node(value, dtype)
    if shape is not None:
        shape = tuple(int(s) for s in (shape if isinstance(shape, (list, tuple)) else
                                        [shape]))
        if node.size == int(np.prod(shape)):
            node = build.reshape(node, shape)
        elif node.size == 1:
            node = build.broadcast_to(build.reshape(node, ()), shape)
        else:
            raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tensor "
                            f"{fmt(node.shape)} (converted from {type(value).__name__}) has "
                            f"{node.size} elements, but got `shape` {shape} with "
                            f"{int(np.prod(shape))} elements).")
    return Tensor(node)


def match(values, op: str) -> list[Node]:
    """The operands of an op as nodes of one dtype (``args_to_matching_eager``): the first
    tensor's dtype, else the first value's; a tensor of another dtype is an error."""
    want = next((v.node.dtype for v in values if isinstance(v, Tensor)), None)
    nodes = []
    for i, v in enumerate(values):
        if isinstance(v, Tensor):
            node = v.node
            if want is not None and node.dtype != want:
                raise invalid(op, f"cannot compute {op} as input #{i}(zero-based) was "
                                  f"expected to be a {tf_name(want)} tensor but is a "
                                  f"{tf_name(node.dtype)} tensor")
        else:
            node = to_node(v, want)
        want = node.dtype if want is None else want
        nodes.append(node)
    return nodes


def elementwise(op: Op, name: str, *nodes: Node, arg=None) -> Node:
    """``build.elementwise`` with TensorFlow's error for shapes that do not broadcast."""
    try:
        return build.elementwise(op, *nodes, arg=arg)
    except ValueError:
        shapes = [n.shape for n in nodes if n.ndim]
        raise invalid(name, "Incompatible shapes: " + " vs. ".join(map(fmt, shapes))) \
            from None


def _stack_nodes(nodes, axis, op) -> Node:
    first = nodes[0].shape
    for i, n in enumerate(nodes[1:], 1):
        if n.shape != first:
            raise invalid(op, f"Shapes of all inputs must match: values[0].shape = "
                              f"{fmt(first)} != values[{i}].shape = {fmt(n.shape)}")
    rank = len(first) + 1
    if not -rank <= axis < rank:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-rank}, {rank})")
    axis %= rank
    shape = first[:axis] + (1,) + first[axis:]
    return build.concatenate([build.reshape(n, shape) for n in nodes], axis=axis)


# --- variables ----------------------------------------------------------------------------
class Variable(Tensor):
    """``tf.Variable``: a tensor whose value ``assign`` changes (weights, counters).

    The value lives in an array the variable owns. Functions traced by ``tf.function``
    read it at every call, so they see assignments; lazy results built from the variable
    before an assignment keep the value they were built with, as in eager TensorFlow.
    """
    __slots__ = ("_name", "_trainable")

    def __init__(self, initial_value=None, trainable=True, name=None, dtype=None,
                 shape=None, **kwargs):
        if initial_value is None:
            raise ValueError("The `initial_value` arg (`None`) must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        held = np.array(np.asarray(Tensor(to_node(initial_value, dtype))), copy=True,
                        order="C")
        LazyArray.__init__(self, build.input(held))
        self._name, self._trainable = name or "Variable", bool(trainable)

    name = property(lambda self: self._name + ":0")
    trainable = property(lambda self: self._trainable)

    def _held(self) -> np.ndarray:
        return self._node.arg[0][1].data

    def value(self) -> Tensor:
        return Tensor(self._node)

    read_value = value

    def assign(self, value, use_locking=None, name=None, read_value=True):
        new = np.asarray(Tensor(to_node(value, self.dtype)))
        held = self._held()
        if new.shape != held.shape:
            raise ValueError(f"Cannot assign value to variable ' {self.name}': Shape "
                             f"mismatch.The variable shape {tuple(held.shape)}, and the "
                             f"assigned value shape {tuple(new.shape)} are incompatible.")
        # graphs recorded before keep the old value (their buffer now holds a copy); the
        # array itself is written, so traced functions reading it see the new value
        buf = self._node.arg[0][1]
        buf.data = held.copy()
        np.copyto(held, new)
        self._node = build.input(held)
        return self if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        return self.assign(self.value() + delta, read_value=read_value)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        return self.assign(self.value() - delta, read_value=read_value)

    def __array__(self, dtype=None, copy=None):   # a copy: the variable owns its array
        return np.array(self._held(), dtype=dtype, copy=True)

    def _materialize(self, value):   # evaluation never rebinds a variable to a copy
        pass

    def __repr__(self):
        return (f"<tf.Variable '{self.name}' shape={tuple(self.shape)} "
                f"dtype={self.dtype.name}, numpy={self.numpy()!r}>")

"""The lazy array: holds a graph node; NumPy protocols record operations, never compute.

Evaluation happens only at a trigger (``np.asarray``, repr/str, float/int/bool, iteration,
``tolist``, ``weldish.evaluate``). A lazy array whose value has been computed is rebound to
that value, so re-using it never recomputes.

Views. Basic slicing, transpose, reshape (when NumPy would not copy), expand_dims, squeeze
and broadcast_to return *views*: the view keeps its base and re-derives its node from the
base's current node. Writing into a view (``v[0] = 1``, ``v += 1``) writes back into the
base, and sibling views see the write, as with NumPy. Weldish never writes into an array
it was given: in-place operators rebind the lazy value to a new graph node.
"""
from __future__ import annotations

import numpy as np

from .ir import build
from .ir import dtypes as dt
from .ir.node import Node
from .ir.ops import Op


class Unsupported(Exception):
    """The lazy path does not handle this call: the real library runs it instead."""


def to_node(x) -> Node:
    """The graph node for an operand (lazy array, ndarray, scalar, nested list)."""
    if isinstance(x, LazyArray):
        return x.node
    if dt.is_weak_scalar(x):
        return build.const(x)
    if isinstance(x, np.generic):
        if x.dtype.kind not in "biufc":
            raise Unsupported(f"dtype {x.dtype}")
        return build.const(x, dtype=x.dtype)
    if type(x) is np.ndarray:
        if x.dtype.kind not in "biufc":
            raise Unsupported(f"dtype {x.dtype}")
        return build.input(x)
    if hasattr(x, "__cuda_array_interface__"):   # a device array: weldish.gpu's rule
        from .gpu import device_input
        return device_input(x)
    if isinstance(x, (list, tuple)):
        arr = np.asarray(x)
        if arr.dtype.kind not in "biufc":
            raise Unsupported(f"dtype {arr.dtype}")
        return build.input(arr)
    raise Unsupported(f"operand of type {type(x).__name__}")


def wrap_array(data: np.ndarray, source: str = "user") -> "LazyArray":
    return LazyArray(build.input(data, source))


# --- views --------------------------------------------------------------------------------
class View:
    """How a view is derived from its base (node and eager forms) and written back."""
    __slots__ = ("derive", "eager", "writeback")

    def __init__(self, derive, eager, writeback=None):
        self.derive, self.eager, self.writeback = derive, eager, writeback


def _layout_stand_in(x: "LazyArray"):
    """An array with ``x``'s strides and no real data (never read): decides if a reshape
    can be a view, exactly as NumPy decides it."""
    if x._base is not None:
        return x._view.eager(_layout_stand_in(x._base))
    node = x._node
    strides = None
    if node.op is Op.INPUT:
        strides = dict(node.arg)["buffer"].data.strides
    if strides is None:
        strides = _c_strides(node.shape, node.dtype)
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype=node.dtype), node.shape, strides)


def _c_strides(shape, dtype):
    strides, acc = [], np.dtype(dtype).itemsize
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


class LazyArray:
    __slots__ = ("_node", "_base", "_view", "_vcache", "__weakref__")
    __array_priority__ = 100.0
    __hash__ = None  # like ndarray: mutable, compares elementwise

    def __init__(self, node: Node, base: "LazyArray | None" = None, view: View | None = None):
        self._node, self._base, self._view, self._vcache = node, base, view, None

    # -- the graph node ------------------------------------------------------------------
    @property
    def node(self) -> Node:
        if self._base is None:
            return self._node
        bnode = self._base.node
        if self._vcache is None or self._vcache[0] is not bnode:
            self._vcache = (bnode, self._view.derive(bnode))
        return self._vcache[1]

    def _set_node(self, new: Node):
        """Rebind this array's value (in-place semantics); views write into their base."""
        if new.shape != self.shape:
            raise ValueError(f"non-broadcastable output operand with shape {self.shape} "
                             f"doesn't match the broadcast shape {new.shape}")
        if new.dtype != self.dtype:
            new = build.astype(new, self.dtype)
        if self._base is None:
            self._node = self._write_through(new) or new
            return
        if self._view.writeback is None:
            raise ValueError("assignment destination is read-only")
        self._base._set_node(self._view.writeback(self._base.node, new))

    def _write_through(self, new: Node) -> Node | None:
        """In-place update of a value already handed out: NumPy semantics say the array
        the user holds changes too. Graphs built earlier from the old value keep the old
        contents (their buffer object now holds a copy), as eager NumPy would have it."""
        node = self._node
        if node.op is not Op.INPUT:
            return None
        buf = dict(node.arg)["buffer"]
        if not (buf.exported and buf.source == "materialized"):
            return None
        from .evaluate import run_nodes
        value = run_nodes([new])[0]
        held = buf.data
        buf.data = held.copy()
        np.copyto(held, value)
        fresh = build.input(held, "materialized")
        dict(fresh.arg)["buffer"].exported = True
        return fresh

    def _make_view(self, derive, eager, writeback=None) -> "LazyArray":
        return LazyArray(None, self, View(derive, eager, writeback))

    def _is_materialized(self) -> bool:
        return self._base is None and self._node.op is Op.INPUT

    def _materialize(self, value: np.ndarray):
        self._node = build.input(value, "materialized")

    def _buffer_ref(self):
        return self._node.arg[0][1]  # an input's argument: (("buffer", buffer),)

    # -- ndarray attributes --------------------------------------------------------------
    shape = property(lambda self: self.node.shape)
    dtype = property(lambda self: self.node.dtype)
    ndim = property(lambda self: len(self.node.shape))
    size = property(lambda self: self.node.size)
    itemsize = property(lambda self: self.node.dtype.itemsize)
    nbytes = property(lambda self: self.node.size * self.node.dtype.itemsize)
    T = property(lambda self: self.transpose())
    mT = property(lambda self: _np().swapaxes(self, -1, -2) if self.ndim >= 2 else
                  _raise(ValueError("matrix transpose with ndim < 2 is undefined")))

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    # -- evaluation triggers -------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        from .evaluate import evaluate_many
        arr = evaluate_many([self])[0]
        if dtype is not None and np.dtype(dtype) != arr.dtype:
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as requested.")
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def numpy(self) -> np.ndarray:
        return self.__array__()

    def __repr__(self):
        # A 0-d result stands for what NumPy returns there: a NumPy scalar (x.sum(), x[0]).
        arr = self.__array__()
        return repr(arr[()] if arr.ndim == 0 else arr)

    def __str__(self):
        return str(self.__array__())

    def __format__(self, spec):
        return format(self.__array__(), spec)

    def __bool__(self):
        return bool(self.__array__())

    def __float__(self):
        return float(self.__array__())

    def __int__(self):
        return int(self.__array__())

    def __complex__(self):
        return complex(self.__array__())

    def __index__(self):
        return self.__array__().__index__()

    def __contains__(self, value):
        return bool((self == value).any())

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return iter(self.__array__())

    def tolist(self):
        return self.__array__().tolist()

    def item(self, *args):
        return self.__array__().item(*args)

    def __reduce__(self):  # pickling stores the value (lazy graphs are not picklable)
        return (np.asarray, (self.__array__(),))

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    # -- NumPy protocols -----------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from .numpy import _ufuncs
        return _ufuncs.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from .numpy import _dispatch
        return _dispatch.array_function(func, args, kwargs)

    # -- indexing ------------------------------------------------------------------------
    def __getitem__(self, key):
        from .numpy import _indexing
        return _indexing.getitem(self, key)

    def __setitem__(self, key, value):
        from .numpy import _indexing
        _indexing.setitem(self, key, value)

    # -- everything else ndarray has: fall back to the real method -------------------------
    def __getattr__(self, name):
        from .numpy import _methods
        return _methods.fallback_method(self, name)


_NUMPY = []


def _np():
    """``weldish.numpy`` (imported on first use: it imports this module)."""
    if not _NUMPY:
        from . import numpy
        _NUMPY.append(numpy)
    return _NUMPY[0]


def _raise(exc):
    raise exc


def _install_operators():
    """Python operators map to the ufuncs of ``weldish.numpy`` (reflected and in-place)."""
    table = {
        "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
        "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
        "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
        "lshift": "left_shift", "rshift": "right_shift",
    }

    def binary(uname):
        def fwd(self, other):
            return _np()._ufuncs.apply_binary_operator(uname, self, other)

        def rev(self, other):
            return _np()._ufuncs.apply_binary_operator(uname, other, self)

        def inplace(self, other):
            return _np()._ufuncs.apply_inplace(uname, self, other)
        return fwd, rev, inplace

    for dunder, uname in table.items():
        fwd, rev, inplace = binary(uname)
        setattr(LazyArray, f"__{dunder}__", fwd)
        setattr(LazyArray, f"__r{dunder}__", rev)
        setattr(LazyArray, f"__i{dunder}__", inplace)
    for dunder, uname in {"eq": "equal", "ne": "not_equal", "lt": "less",
                          "le": "less_equal", "gt": "greater", "ge": "greater_equal"}.items():
        setattr(LazyArray, f"__{dunder}__", binary(uname)[0])
    for dunder, uname in {"neg": "negative", "pos": "positive", "abs": "absolute",
                          "invert": "invert"}.items():
        setattr(LazyArray, f"__{dunder}__",
                (lambda u: lambda self: getattr(_np(), u)(self))(uname))

    def divmod_(self, other):
        return _np().divmod(self, other)

    def rdivmod(self, other):
        return _np().divmod(other, self)
    LazyArray.__divmod__, LazyArray.__rdivmod__ = divmod_, rdivmod


_install_operators()


def _methods():
    """ndarray methods that are NumPy functions too: each calls ``weldish.numpy``'s (lazy, or
    a recorded fallback)."""
    def shape_args(args):
        return args[0] if len(args) == 1 and not isinstance(args[0], int) else args

    def method(fname):
        def m(self, *args, **kwargs):
            return getattr(_np(), fname)(self, *args, **kwargs)
        m.__name__ = fname
        return m

    for fname in ("sum", "prod", "min", "max", "mean", "var", "std", "argmin", "argmax",
                  "any", "all", "cumsum", "cumprod", "ravel", "swapaxes", "squeeze", "clip",
                  "round", "dot", "take", "copy", "nonzero", "repeat", "argsort", "trace",
                  "diagonal", "conj", "conjugate", "searchsorted", "compress", "choose",
                  "ptp"):
        if not hasattr(LazyArray, fname):
            setattr(LazyArray, fname, method(fname))

    def reshape(self, *shape, order="C", copy=None):
        return _np().reshape(self, shape_args(shape), order=order, copy=copy)

    def transpose(self, *axes):
        return _np().transpose(self, shape_args(axes) if axes else None)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        if casting != "unsafe" and not np.can_cast(self.dtype, dtype, casting):
            raise TypeError(f"Cannot cast array data from {self.dtype!r} to "
                            f"{np.dtype(dtype)!r} according to the rule {casting!r}")
        return _np().astype(self, dtype, copy=copy)

    def flatten(self, order="C"):
        return _np().copy(_np().reshape(self, -1, order=order))

    def view(self, dtype=None, type=None):
        if (dtype is None or np.dtype(dtype) == self.dtype) and type is None:
            return self._make_view(lambda n: n, lambda a: a.view(), lambda b, new: new)
        return _np().asarray(np.asarray(self).view(dtype) if type is None else
                             np.asarray(self).view(dtype, type))

    for f in (reshape, transpose, astype, flatten, view):
        setattr(LazyArray, f.__name__, f)


_methods()

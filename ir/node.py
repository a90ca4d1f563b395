"""The lazy graph's node: frozen and hash-consed.

``Node(op, dtype, shape, src, arg)`` returns the existing node when an equal one is alive,
so common subexpressions are shared for free and a node's memoized value serves every
user of that expression. Inputs are ``Node(Op.INPUT, arg=Buffer)``: the buffer's identity,
not its contents, is part of the key.
"""
from __future__ import annotations

import math
import struct
import weakref

import numpy as np

from .ops import Op


class WeakTable:
    """key -> object, the object held weakly (its entry goes when it dies). What
    ``WeakValueDictionary`` does, without its Python-level get/set: interning is on the
    path of every recorded operation."""

    __slots__ = ("data",)

    def __init__(self):
        self.data = {}

    def get(self, key):
        ref = self.data.get(key)
        return None if ref is None else ref()

    def put(self, key, obj):
        data = self.data

        def gone(ref, key=key):
            if data.get(key) is ref:  # not replaced since
                del data[key]
        data[key] = weakref.ref(obj, gone)

    def __len__(self):
        return len(self.data)


class Buffer:
    """A reference to a concrete array fed into the graph (identity-keyed).

    ``source`` says where it came from: 'user' for arrays the user passed, 'mask' for the
    copy of a boolean mask taken when ``x[mask]`` was recorded,
    'fallback:<function>' for the result of a call that ran eagerly in NumPy, or
    'materialized' for an evaluated lazy value. ``exported``: the array was handed to the
    user (who may hold it and expect writes through the lazy array to reach it).
    """

    __slots__ = ("data", "name", "source", "exported", "__weakref__")
    _by_array: "WeakTable" = None  # set below: id(array) -> Buffer

    def __init__(self, data: np.ndarray, name: str | None = None, source: str = "user"):
        self.data = data
        self.name = name
        self.source = source
        self.exported = False

    @classmethod
    def of(cls, data: np.ndarray, source: str = "user") -> "Buffer":
        """The one Buffer for this array object (so wrapping it twice shares nodes)."""
        buf = cls._by_array.get(id(data))
        if buf is None or buf.data is not data:
            buf = cls(data, source=source)
            cls._by_array.put(id(data), buf)
        return buf

    def __repr__(self):
        label = self.name or self.source
        return f"Buffer({label}, {self.data.dtype}{list(self.data.shape)})"


def canon(arg):
    """A hashable key for an op argument that keeps distinctions ``==`` would lose.

    ``0.0 == -0.0`` and ``1 == 1.0 == True`` compare equal in Python, but are different
    constants to NumPy; NaN is unequal to itself, which would defeat sharing.
    On the path of every recorded operation: the common types are tested first, by type.
    """
    t = type(arg)
    if arg is None or t is str:
        return arg
    if t is tuple or t is list:
        return (t.__name__,) + tuple([canon(a) for a in arg])
    if t is bool or t is int:
        return (t.__name__, arg if t is int else int(arg))
    if t is float or isinstance(arg, np.floating):
        f = float(arg)
        # NaN's hex has no sign; -NaN is observable (copysign, signbit): keep the bits.
        return ("f", t.__name__, struct.pack("<d", f) if math.isnan(f) else f.hex())
    if isinstance(arg, (np.integer, np.bool_)):
        return ("np", t.__name__, int(arg))  # np.bool_ is named 'bool' too
    if t is slice:
        return ("slice", canon(arg.start), canon(arg.stop), canon(arg.step))
    if t is np.ndarray:  # small constant arrays are keyed by identity
        return ("ndarray", id(arg))
    return arg  # Ellipsis, np.dtype, Buffer (identity), Op


class Node:
    # ``key``: the interning key ((op, dtype, shape, canon(arg)), src), kept for reuse
    __slots__ = ("op", "dtype", "shape", "src", "arg", "key", "__weakref__")
    _interned = WeakTable()

    def __new__(cls, op, dtype, shape, src=(), arg=None):
        if not isinstance(dtype, np.dtype):
            dtype = np.dtype(dtype)
        shape = tuple(map(int, shape))
        src = tuple(src)
        # (head, sources); an input's argument is its buffer, keyed by identity as it is
        # (no canon walk). The head is the node's row in a graph's structure (``template``)
        key = ((op, dtype, shape, arg if op is Op.INPUT else canon(arg)), src)
        node = cls._interned.get(key)
        if node is not None:
            return node
        node = object.__new__(cls)
        for setter, value in zip(_SETTERS, (op, dtype, shape, src, arg, key)):
            setter(node, value)
        cls._interned.put(key, node)
        return node

    def __setattr__(self, name, value):
        raise AttributeError("Node is frozen")

    def __reduce__(self):
        raise TypeError("Node is not picklable: use weldish.ir.serialize (versioned JSON)")

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __repr__(self):
        return f"Node({self.op.name}, {self.dtype}{list(self.shape)}, nsrc={len(self.src)})"


Buffer._by_array = WeakTable()
_SETTERS = [getattr(Node, name).__set__ for name in Node.__slots__[:6]]


def toposort(roots) -> list[Node]:
    """Every node reachable from ``roots``, each after its sources (iterative: deep graphs)."""
    order, seen = [], set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.src))]
        while stack:
            node, pending = stack[-1]
            for s in pending:
                if s not in seen:
                    seen.add(s)
                    stack.append((s, iter(s.src)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order

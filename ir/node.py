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


class Buffer:
    """A reference to a concrete array fed into the graph (identity-keyed).

    ``source`` says where it came from: 'user' for arrays the user passed,
    'fallback:<function>' for the result of a call that ran eagerly in NumPy, or
    'materialized' for an evaluated lazy value. ``exported``: the array was handed to the
    user (who may hold it and expect writes through the lazy array to reach it).
    """

    __slots__ = ("data", "name", "source", "exported", "__weakref__")
    _by_array: "weakref.WeakValueDictionary[int, Buffer]" = weakref.WeakValueDictionary()

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
            cls._by_array[id(data)] = buf
        return buf

    def __repr__(self):
        label = self.name or self.source
        return f"Buffer({label}, {self.data.dtype}{list(self.data.shape)})"


def canon(arg):
    """A hashable key for an op argument that keeps distinctions ``==`` would lose.

    ``0.0 == -0.0`` and ``1 == 1.0 == True`` compare equal in Python, but are different
    constants to NumPy; NaN is unequal to itself, which would defeat sharing.
    """
    t = type(arg)
    if arg is None or t is str:
        return arg
    if t is float or isinstance(arg, np.floating):
        f = float(arg)
        # NaN's hex has no sign; -NaN is observable (copysign, signbit): keep the bits.
        return ("f", t.__name__, struct.pack("<d", f) if math.isnan(f) else f.hex())
    if t is bool or t is int or isinstance(arg, (np.integer, np.bool_)):
        return (t.__name__, int(arg))
    if t is tuple or t is list:
        return (t.__name__,) + tuple(canon(a) for a in arg)
    if t is slice:
        return ("slice", canon(arg.start), canon(arg.stop), canon(arg.step))
    if t is np.ndarray:  # small constant arrays are keyed by identity
        return ("ndarray", id(arg))
    return arg  # None, Ellipsis, str, np.dtype, Buffer (identity), Op


class Node:
    # ``key``: the interning key (op, dtype, shape, src, canon(arg)), kept for reuse
    __slots__ = ("op", "dtype", "shape", "src", "arg", "key", "__weakref__")
    _interned: "weakref.WeakValueDictionary[tuple, Node]" = weakref.WeakValueDictionary()

    def __new__(cls, op, dtype, shape, src=(), arg=None):
        dtype = np.dtype(dtype)
        shape = tuple(map(int, shape))
        src = tuple(src)
        # an input's argument is its buffer, keyed by identity as it is (no canon walk)
        key = (op, dtype, shape, src, arg if op is Op.INPUT else canon(arg))
        node = cls._interned.get(key)
        if node is not None:
            return node
        node = object.__new__(cls)
        for name, value in zip(cls.__slots__, (op, dtype, shape, src, arg, key)):
            object.__setattr__(node, name, value)
        cls._interned[key] = node
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

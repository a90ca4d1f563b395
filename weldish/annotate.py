"""Split annotations (Mozart, SOSP'19): black-box functions in the lazy graph, run by piece.

An annotation says how each argument of a function can be split into pieces and how the
pieces' results merge; weldish then runs a pipeline of annotated calls (and the lazy NumPy
operations between them) piece by piece: cache-sized pieces flow through every step before
the next piece starts, and pieces run in parallel on a thread pool::

    import scipy.special
    import weldish
    from weldish.annotate import ArraySplit, Broadcast, Mut, Reduce

    erf = weldish.annotate(ArraySplit(), out=Mut(ArraySplit()), returns=ArraySplit())(
        scipy.special.erf)

    @weldish.annotate(ArraySplit(), ArraySplit(), returns=Reduce("sum"))
    def sqdist(a, b):
        return ((a - b) ** 2).sum()

Split types (the ``SplitType`` protocol: ``elements``, ``split``, ``combine``):
``ArraySplit(axis)`` arrays along an axis; ``DataFrameSplit()``/``SeriesSplit()`` pandas by
rows; ``Broadcast()`` passed whole to every piece; ``Reduce("sum"|"min"|"max"|"concat")``
(return values only) pieces' results merged in piece order; ``Generic("A")``: arguments
annotated with the same name split the same way (resolved from the values at the call:
arrays along axis 0, DataFrames/Series by rows, or the split of the annotated call that
produced a lazy argument); ``Mut(t)`` an argument the function writes into (``out=``).

When a call runs (the decision is taken at the call, shown by ``weldish.explain``):
- with a lazy (weldish) argument, and a numeric array result: the call is recorded as a
  ``call`` node of the same graph as ``weldish.numpy``, evaluated later by stages
  (``weldish.split``). To learn the result's dtype and shape, the function is called ONCE
  at the call on a one-element piece of each split argument (zeros standing in for lazy
  values, warnings silenced): a "probe", as ``weldish.numpy`` probes NumPy on miniatures.
  A function with side effects sees that extra call.
- with no lazy argument: eagerly, at the call, split into pieces run on the thread pool
  (NumPy semantics: the result is what the function returns, an ``out=`` array is written).
- eagerly too (lazy arguments evaluated first, recorded in ``weldish.fallbacks``) when the
  graph cannot hold the call: a DataFrame/Series or ``Reduce("concat")`` result, a
  non-numeric result, a probe that raised (so the real data gives the real error), split
  arguments of different lengths, or a concrete array passed as ``Mut``.
A call whose arguments cannot split correctly runs whole: never a wrong answer.
"""
from __future__ import annotations

import functools
import inspect
import threading
from dataclasses import dataclass

import numpy as np

from .ir import dtypes as dt

__all__ = ["SplitType", "ArraySplit", "DataFrameSplit", "SeriesSplit", "Broadcast",
           "Reduce", "Generic", "Mut", "annotate", "Annotated"]


# --- split types ----------------------------------------------------------------------------
class SplitType:
    """How a value splits into pieces and how pieces merge (Mozart's split type).

    ``elements(value)``: how many elements the value has along its split dimension (None
    if it does not split, e.g. a scalar passed where an array may go: sent whole);
    ``split(value, start, end)``: the piece holding elements [start, end);
    ``combine(pieces)``: the whole value from its pieces (in order). Split types compare
    by value: two arguments split the same way when their types are equal and their
    ``elements`` agree.
    """
    splits = True   # False for Broadcast: the value is passed whole to every piece

    def elements(self, value):
        raise NotImplementedError

    def split(self, value, start: int, end: int):
        raise NotImplementedError

    def combine(self, pieces: list):
        raise NotImplementedError


@dataclass(frozen=True)
class ArraySplit(SplitType):
    """NumPy arrays along ``axis`` (negative counts from the last axis). A 0-d value (a
    scalar) is passed whole to every piece, as an elementwise function broadcasts it."""
    axis: int = 0

    def normalized(self, ndim: int) -> int | None:
        """The axis for an array of ``ndim`` dims as a negative index, None if absent."""
        axis = self.axis + ndim if self.axis < 0 else self.axis
        return axis - ndim if 0 <= axis < ndim else None

    def elements(self, value):
        shape = np.shape(value)
        if not shape:
            return None
        axis = self.normalized(len(shape))
        if axis is None:
            raise TypeError(f"ArraySplit(axis={self.axis}) of an array with {len(shape)} "
                            "dimension(s)")
        return shape[axis]

    def split(self, value, start, end):
        if np.ndim(value) == 0:
            return value
        axis = self.normalized(np.ndim(value))
        return value[(Ellipsis, slice(start, end)) + (slice(None),) * (-axis - 1)]

    def combine(self, pieces):
        pieces = list(pieces)
        if np.ndim(pieces[0]) == 0:
            return pieces[0]
        axis = self.normalized(np.ndim(pieces[0]))
        return np.concatenate(pieces, axis=axis)


@dataclass(frozen=True)
class DataFrameSplit(SplitType):
    """pandas DataFrames by rows (``iloc``); pieces merge with ``pd.concat``."""

    def elements(self, value):
        return len(value)

    def split(self, value, start, end):
        return value.iloc[start:end]

    def combine(self, pieces):
        import pandas as pd
        return pd.concat(list(pieces))


@dataclass(frozen=True)
class SeriesSplit(DataFrameSplit):
    """pandas Series by rows."""


@dataclass(frozen=True)
class Broadcast(SplitType):
    """Passed whole to every piece (a parameter, a lookup table, an axis number)."""
    splits = False

    def elements(self, value):
        return None

    def split(self, value, start, end):
        return value

    def combine(self, pieces):
        raise TypeError("Broadcast values are not split, so never combined")


def _minimum(a, b):
    if isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (np.ndarray, np.generic)):
        return np.minimum(a, b)     # NaN propagates, as np.min does
    return a if a != a else b if b != b or b < a else a


def _maximum(a, b):
    if isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (np.ndarray, np.generic)):
        return np.maximum(a, b)
    return a if a != a else b if b != b or b > a else a


def _concat(pieces):
    first = pieces[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(pieces, axis=0)
    if type(first).__module__.startswith("pandas"):
        import pandas as pd
        return pd.concat(pieces)
    if isinstance(first, (list, tuple)):
        return type(first)(x for p in pieces for x in p)
    raise TypeError(f"Reduce('concat') of {type(first).__name__} pieces")


@dataclass(frozen=True)
class Reduce(SplitType):
    """A return value whose pieces merge by ``"sum"``, ``"min"``, ``"max"`` (elementwise
    for arrays, NaN propagating as np.min/np.max) or ``"concat"`` (along the first axis /
    rows), or by a binary function ``op(a, b)``: a left fold in piece order, so the result
    is the same on every run. Return values only."""
    op: object = "sum"

    def __post_init__(self):
        if not callable(self.op) and self.op not in ("sum", "min", "max", "concat"):
            raise TypeError(f"Reduce: op must be 'sum', 'min', 'max', 'concat' or a "
                            f"function of two values, got {self.op!r}")

    def elements(self, value):
        raise TypeError("Reduce describes how results merge; it does not split arguments")

    def split(self, value, start, end):
        raise TypeError("Reduce describes how results merge; it does not split arguments")

    def combine(self, pieces):
        pieces = list(pieces)
        if self.op == "concat":
            return _concat(pieces)
        fold = {"sum": lambda a, b: a + b, "min": _minimum, "max": _maximum}.get(self.op,
                                                                               self.op)
        return functools.reduce(fold, pieces)


@dataclass(frozen=True)
class Generic(SplitType):
    """A split type unified by inference (Mozart's A, B): arguments annotated with the same
    name split the same way; the return value, annotated with it, splits that way too."""
    name: str = "A"

    def elements(self, value):
        return resolve_generic(value).elements(value)

    def split(self, value, start, end):
        return resolve_generic(value).split(value, start, end)

    def combine(self, pieces):
        pieces = list(pieces)
        return resolve_generic(pieces[0]).combine(pieces)


@dataclass(frozen=True)
class Mut(SplitType):
    """An argument the function writes into (``out=``), split as ``inner`` (an array
    split). A lazy argument is rebound to the written value (weldish never writes into
    an array it was given); a NumPy array is written in place, at the call."""
    inner: SplitType = ArraySplit()

    def __post_init__(self):
        if not isinstance(self.inner, (ArraySplit, Generic)):
            raise TypeError("Mut(...) takes an ArraySplit or a Generic split type (pieces "
                            f"written in place must be views), got {self.inner!r}")

    def elements(self, value):
        return self.inner.elements(value)

    def split(self, value, start, end):
        return self.inner.split(value, start, end)

    def combine(self, pieces):
        return self.inner.combine(pieces)


def resolve_generic(value) -> SplitType:
    """The concrete split type a generic takes for ``value``."""
    mod = type(value).__module__
    if mod.startswith("pandas"):
        import pandas as pd
        if isinstance(value, pd.DataFrame):
            return DataFrameSplit()
        if isinstance(value, pd.Series):
            return SeriesSplit()
    return ArraySplit(0)


# --- the decorator --------------------------------------------------------------------------
_NO_SIGNATURE = object()


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _check_type(t, where):
    if not isinstance(t, SplitType):
        raise TypeError(f"annotate: {where} must be a SplitType (ArraySplit(), Broadcast(), "
                        f"...), got {t!r}")
    if isinstance(t, Reduce):
        raise TypeError(f"annotate: {where}: Reduce(...) describes a return value, not an "
                        "argument")


class annotate:
    """``@weldish.annotate(*arg_types, returns=..., **kwarg_types)``: split types for a
    function's parameters (positionally, then by name) and for its return value.

    ``returns``: ``ArraySplit``/``Generic`` (the result splits as the inputs: one piece of
    result per piece of input), ``Reduce(...)`` (pieces' results merged), or None (the
    function returns nothing, or the ``Mut`` argument it wrote). Parameters without a
    split type may receive non-array values (passed whole); an array passed to one makes
    the call run whole. Raises TypeError when the annotation does not fit the function's
    signature (where ``inspect.signature`` can tell).
    """

    def __init__(self, *arg_types, returns=None, **kwarg_types):
        for i, t in enumerate(arg_types):
            _check_type(t, f"argument {i}")
        for name, t in kwarg_types.items():
            _check_type(t, f"parameter {name!r}")
        if returns is not None:
            if not isinstance(returns, SplitType) or isinstance(returns, (Broadcast, Mut)):
                raise TypeError("annotate: returns must be ArraySplit, DataFrameSplit, "
                                "SeriesSplit, Generic or Reduce (or None), got "
                                f"{returns!r}")
        self.arg_types = arg_types
        self.kwarg_types = kwarg_types
        self.returns = returns

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError(f"annotate(...) applies to a function, got {fn!r}")
        return Annotated(fn, self.arg_types, self.kwarg_types, self.returns)


class Annotated:
    """A function with split types; calling it records a ``call`` node (see the module
    docstring for when it runs eagerly instead). ``.fn`` is the original function."""

    def __init__(self, fn, arg_types, kwarg_types, returns):
        self.fn = fn
        self.returns = returns
        self.name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
        mod = getattr(fn, "__module__", None)
        self.qualname = f"{mod}.{self.name}" if mod else self.name
        self.signature = _signature(fn)
        self.types = self._by_name(arg_types, kwarg_types)
        functools.update_wrapper(self, fn, updated=())
        self.lock = threading.Lock()

    def _by_name(self, arg_types, kwarg_types) -> dict:
        """{parameter name or position: split type}, checked against the signature."""
        sig = self.signature
        if sig is None:  # nothing to check against: positions and names as given
            types = dict(enumerate(arg_types))
            types.update(kwarg_types)
            return types
        params = list(sig.parameters.values())
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                     p.POSITIONAL_OR_KEYWORD)]
        var_pos = any(p.kind is p.VAR_POSITIONAL for p in params)
        var_kw = any(p.kind is p.VAR_KEYWORD for p in params)
        if len(arg_types) > len(positional) and not var_pos:
            raise TypeError(f"annotate({self.name}): {len(arg_types)} positional split "
                            f"types for a function taking {len(positional)} positional "
                            f"parameter(s) {sig}")
        types = {}
        for i, t in enumerate(arg_types):
            types[positional[i].name if i < len(positional) else i] = t
        names = {p.name: p for p in params}
        for name, t in kwarg_types.items():
            p = names.get(name)
            if p is None and not var_kw:
                raise TypeError(f"annotate({self.name}): no parameter named {name!r} in "
                                f"{sig}")
            if p is not None and p.kind is p.POSITIONAL_ONLY:
                # positional-only (ufuncs' x1, x2): annotated by name, passed by position
                pass
            if name in types:
                raise TypeError(f"annotate({self.name}): parameter {name!r} annotated "
                                "twice (positionally and by name)")
            types[name] = t
        return types

    def __repr__(self):
        return f"<annotated {self.qualname}>"

    def bind(self, args, kwargs) -> tuple[list, dict]:
        """(positional [(value, split type or None)], keywords {name: (value, type)}),
        NumPy's/Python's TypeError for arguments the signature rejects."""
        sig = self.signature
        pos, kw = [], {}
        if sig is not None:
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as e:
                raise TypeError(f"{self.name}(): {e}") from None
            params = sig.parameters
            names = list(bound.arguments)
            i = 0
            for name in names:
                p = params[name]
                value = bound.arguments[name]
                if p.kind is p.VAR_POSITIONAL:
                    for v in value:
                        pos.append((v, self.types.get(i)))
                        i += 1
                elif p.kind is p.VAR_KEYWORD:
                    for k, v in value.items():
                        kw[k] = (v, self.types.get(k))
                elif p.kind is p.KEYWORD_ONLY or name in kwargs:
                    kw[name] = (value, self.types.get(name))
                else:
                    pos.append((value, self.types.get(name)))
                    i += 1
            return pos, kw
        pos = [(v, self.types.get(i)) for i, v in enumerate(args)]
        kw = {k: (v, self.types.get(k)) for k, v in kwargs.items()}
        return pos, kw

    def __call__(self, *args, **kwargs):
        from . import split
        return split.call(self, args, kwargs)


def probe_quiet():
    """Warnings and floating-point errors silenced while probing (the real run reports)."""
    return dt.quiet()


# ``weldish.annotate`` is the decorator (the module's name is shadowed by it in the
# package): the split types are reachable from it too, ``weldish.annotate.ArraySplit``.
for _t in (SplitType, ArraySplit, DataFrameSplit, SeriesSplit, Broadcast, Reduce, Generic, Mut):
    setattr(annotate, _t.__name__, _t)
del _t

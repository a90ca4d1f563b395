"""The floating-point errstate an op was recorded under.

NumPy reacts to an op's floating-point errors under the ``np.errstate`` in force at the
op's call; a lazy op is computed later, at evaluation. So an elementwise node recorded
under a state other than the process default remembers it (``note``), and an evaluation
of a graph holding such nodes runs under that state (``graph_state``):
``with np.errstate(divide="ignore"): y = np.log(x)`` stays quiet when ``y`` is evaluated
outside the block, and pandas' arithmetic (recorded under ``errstate(all="ignore")``, as
pandas computes it) does not warn.
"""
from __future__ import annotations

import weakref

import numpy as np

try:   # NumPy 2 keeps the state in a context variable: reading it costs ~50 ns
    from numpy._core._ufunc_config import _extobj_contextvar as _STATE
except ImportError:  # pragma: no cover - another NumPy: np.geterr() every time (~1 us)
    _STATE = None

_DEFAULT_STATE = _STATE.get() if _STATE is not None else None
_DEFAULT_MODES = np.geterr()
# id(node) -> (a weak reference that removes the entry when the node dies, its state): a
# plain dict, so the graph walk of an evaluation looks nodes up at ~50 ns each
_RECORDED: dict = {}


def note(node):
    """Remember the errstate in force now for ``node`` when it is not the default."""
    if _STATE is not None and _STATE.get() is _DEFAULT_STATE:
        return node
    modes = np.geterr()
    if modes != _DEFAULT_MODES and id(node) not in _RECORDED:
        key = id(node)
        _RECORDED[key] = (weakref.ref(node, lambda _, key=key: _RECORDED.pop(key, None)),
                          modes)
    return node


def graph_state(roots):
    """The errstate recorded by the nodes of ``roots``' graph (the first one found), or
    None when none was recorded under another state than the default: an evaluation runs
    under it. (One state per evaluation: a graph mixing ops recorded under different
    states takes the first's.)"""
    if not _RECORDED:
        return None
    seen, stack = set(), list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        entry = _RECORDED.get(id(node))
        if entry is not None and entry[0]() is node:
            return entry[1]
        stack.extend(node.src)
    return None

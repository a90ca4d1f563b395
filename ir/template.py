"""A graph's structure with its input buffers abstracted: the key of the program cache.

Re-running a pipeline on new arrays records a new graph (new input buffers, so new nodes)
with the same structure. ``structure`` reads that structure cheaply (one walk, no node
built): the ops, dtypes, shapes and arguments, with each input replaced by its position,
so ``x - y`` and ``x - x`` differ but ``a - b`` and ``c - d`` (same dtypes and shapes) do
not. ``instantiate`` builds the graph once with placeholder inputs, which never hold user
data; optimizing and planning that template is done once per structure, and each run
binds the placeholders to the run's arrays (see ``weldish.evaluate``).
"""
from __future__ import annotations

from .build import kw
from .dtypes import stand_in
from .node import Buffer, Node, toposort
from .ops import Op

INPUT = Op.INPUT


def structure(roots) -> tuple[tuple, list[Node]]:
    """(hashable key, the graph's input nodes in key order). One depth-first walk: a
    node's row is its head (op, dtype, shape, argument) and its sources' positions, an
    input's row its dtype and shape; sources come before their users, so positions are
    stable. On the path of every evaluation: recursive (cheap) unless the graph is deep."""
    index: dict = {}
    rows: list = []
    inputs: list = []

    def visit(node):
        src = node.src
        for s in src:
            if s not in index:
                visit(s)
        index[node] = len(rows)
        if src:
            n = len(src)  # (no comprehension for the common arities: a call each)
            rows.append((node.key[0], (index[src[0]],) if n == 1 else
                         (index[src[0]], index[src[1]]) if n == 2 else
                         tuple([index[s] for s in src])))
        elif node.op is INPUT:
            inputs.append(node)
            rows.append((node.dtype, node.shape))
        else:  # a constant or generated leaf: its head says everything
            rows.append(node.key[0])

    try:
        for root in roots:
            if root not in index:
                visit(root)
    except RecursionError:
        return _structure_deep(roots)
    return (tuple(rows), tuple([index[r] for r in roots])), inputs


def _structure_deep(roots):
    """``structure`` for graphs too deep to recurse: the same rows, iteratively."""
    index: dict = {}
    rows: list = []
    inputs: list = []
    for root in roots:
        if root in index:
            continue
        stack = [(root, iter(root.src))]
        while stack:
            node, pending = stack[-1]
            for s in pending:
                if s not in index:
                    index[s] = None  # on the stack
                    stack.append((s, iter(s.src)))
                    break
            else:
                stack.pop()
                index[node] = len(rows)
                if node.src:
                    rows.append((node.key[0], tuple([index[s] for s in node.src])))
                elif node.op is INPUT:
                    inputs.append(node)
                    rows.append((node.dtype, node.shape))
                else:
                    rows.append(node.key[0])
    return (tuple(rows), tuple(index[r] for r in roots)), inputs


def placeholder(node: Node) -> Node:
    """An input node of ``node``'s dtype and shape over a stand-in (no data)."""
    buf = Buffer(stand_in(node.dtype, node.shape), source="placeholder")
    return Node(Op.INPUT, node.dtype, node.shape, (), kw(buffer=buf))


def instantiate(roots, inputs) -> tuple[list[Node], list[Node]]:
    """(placeholders for ``inputs``, in order; ``roots`` rebuilt over them)."""
    new = {n: placeholder(n) for n in inputs}
    for n in toposort(roots):
        if n not in new:
            new[n] = Node(n.op, n.dtype, n.shape, tuple(new[s] for s in n.src), n.arg)
    return [new[n] for n in inputs], [new[r] for r in roots]

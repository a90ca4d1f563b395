"""Pattern-matching rewrites applied to a fixed point.

A rule is ``(Pat, fn)``: when ``Pat`` matches a node, ``fn(node, **bindings)`` returns the
replacement node, or ``None`` for "no change". ``rewrite`` rebuilds the graph bottom-up
until no rule fires; a rewrite loop that never settles raises instead of hanging.
"""
from __future__ import annotations

from dataclasses import dataclass

from .node import Node, toposort


@dataclass(frozen=True)
class Pat:
    """Matches a node by op set, sources and predicate; ``name`` binds the node."""
    ops: frozenset | None = None
    src: tuple | None = None
    name: str | None = None
    where: object = None  # optional predicate(node) -> bool

    def match(self, node: Node, bound: dict) -> bool:
        if self.ops is not None and node.op not in self.ops:
            return False
        if self.where is not None and not self.where(node):
            return False
        if self.src is not None:
            if len(self.src) != len(node.src):
                return False
            for p, s in zip(self.src, node.src):
                if not p.match(s, bound):
                    return False
        if self.name is not None:
            if self.name in bound and bound[self.name] is not node:
                return False
            bound[self.name] = node
        return True


def P(*ops, src=None, name=None, where=None) -> Pat:
    return Pat(frozenset(ops) if ops else None, tuple(src) if src is not None else None,
               name, where)


class RewriteDidNotConverge(RuntimeError):
    pass


def rewrite(roots, rules, max_rounds: int = 100) -> list:
    """Apply ``rules`` everywhere below ``roots`` until nothing changes."""
    roots = list(roots)
    for _ in range(max_rounds):
        new_roots, changed = _one_round(roots, rules)
        if not changed:
            return new_roots
        roots = new_roots
    raise RewriteDidNotConverge(f"rewrite rules did not converge in {max_rounds} rounds")


def _one_round(roots, rules):
    from .node import Node as _N  # rebuild with the same constructor (hash-consed)
    new: dict = {}
    changed = False
    for node in toposort(roots):
        src = tuple(new[s] for s in node.src)
        cur = node if src == node.src else _N(node.op, node.dtype, node.shape, src, node.arg)
        if cur is not node:
            changed = True
        for pat, fn in rules:
            bound: dict = {}
            if pat.match(cur, bound):
                out = fn(cur, **{k: v for k, v in bound.items()})
                if out is not None and out is not cur:
                    if out.dtype != node.dtype or out.shape != node.shape:
                        raise AssertionError(f"rule {fn.__name__} changed type of {node}")
                    cur, changed = out, True
                    break
        new[node] = cur
    return [new[r] for r in roots], changed

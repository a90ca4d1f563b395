"""Partition an optimized graph into fused kernels (the Plan).

A kernel is one loop nest: a chain of elementwise ops (broadcasts, casts, where, scalar
constants included), optionally ending in a reduction, reading each input once and
writing one output. Which nodes can be part of a kernel is the backend's call
(``can_fuse``); this pass only decides the grouping, so it never imports a backend.

Grouping: walking from the outputs back, a node joins the kernel of its consumers when all
of its consumers are in that kernel and it has that kernel's iteration shape; otherwise it
starts a kernel of its own (and its value is materialized). Each kernel therefore has a
single output, its topologically last node, and kernels form a DAG. Every boundary has a
reason, shown by ``explain``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..node import Node, toposort
from ..ops import REDUCE, Op


@dataclass(frozen=True)
class Kernel:
    output: Node                 # the one value the kernel writes
    body: tuple                  # nodes computed inside the loop, topological, output last
    inputs: tuple                # nodes read (materialized before the kernel runs)
    shape: tuple                 # iteration space (a reduction's source shape)
    reduce: Node | None = None   # the reduction node when the kernel ends in one
    why: str = ""                # why its output is a boundary


@dataclass
class Plan:
    roots: list
    steps: list = field(default_factory=list)   # Kernel | Node (run on the interpreter)
    reasons: dict = field(default_factory=dict)  # node -> why it is not in a kernel

    def kernels(self):
        return [s for s in self.steps if isinstance(s, Kernel)]


def partition(roots, can_fuse) -> Plan:
    """Group ``roots``' graph into kernels. ``can_fuse(node) -> str | None``: None when
    the backend can compile the node inside a loop, else the reason it cannot."""
    roots = list(roots)
    order = toposort(roots)
    consumers: dict = {n: [] for n in order}
    for n in order:
        for s in set(n.src):
            consumers[s].append(n)
    rootset = set(roots)
    plan = Plan(roots)
    group_of: dict = {}       # node -> its kernel's output node
    members: dict = {}        # kernel output -> member nodes
    shape_of: dict = {}       # kernel output -> iteration shape
    why: dict = {}
    for n in reversed(order):
        if n.op is Op.CONST or n.op is Op.INPUT:
            continue
        reason = can_fuse(n)
        if reason is not None:
            plan.reasons[n] = reason
            continue
        if n.op in REDUCE:
            group_of[n], members[n], shape_of[n] = n, [n], n.src[0].shape
            why[n] = "reduction output"
            continue
        groups = {group_of.get(c) for c in consumers[n]}
        if n not in rootset and len(groups) == 1 and None not in groups:
            g = groups.pop()
            if shape_of[g] == n.shape:
                group_of[n] = g
                members[g].append(n)
                continue
            why_not = f"shape {n.shape} differs from its consumer's loop {shape_of[g]}"
        elif n in rootset:
            why_not = "requested output"
        elif None in groups:
            why_not = "used outside fused code"
        else:
            why_not = f"used by {len(groups)} kernels"
        group_of[n], members[n], shape_of[n] = n, [n], n.shape
        why[n] = why_not
    position = {n: i for i, n in enumerate(order)}
    for n in order:
        if n.op is Op.CONST and n not in rootset:
            continue  # scalar constants are inlined into the kernels that use them
        if n not in group_of:
            plan.steps.append(n)
        elif group_of[n] is n:
            body = sorted(members[n], key=position.__getitem__)
            inside = set(body)
            inputs = []
            for b in body:
                for s in b.src:
                    if s not in inside and s.op is not Op.CONST and s not in inputs:
                        inputs.append(s)
            plan.steps.append(Kernel(n, tuple(body), tuple(inputs), shape_of[n],
                                     n if n.op in REDUCE else None, why[n]))
    return plan

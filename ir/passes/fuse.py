"""Partition an optimized graph into fused kernels (the Plan).

A kernel is one loop nest over one iteration space: elementwise ops (broadcasts, casts,
where, scalar constants included), optionally ending in one reduction, reading each input
once and writing each of its outputs once. Which nodes can be part of a kernel is the
backend's call (``can_fuse``); this pass only decides the grouping, so it never imports a
backend.

Grouping, in two phases:
1. vertical: walking from the outputs back, a node joins the kernel of its consumers when
   all of its consumers are in that kernel and it has that kernel's iteration shape;
   otherwise it starts a kernel of its own, whose output it is.
2. horizontal: two kernels with the same iteration space merge into one loop with several
   outputs when nothing else stands between them (no path from one to the other through
   another step), their reductions (if any) reduce the same axes, and no reduction's value
   is read inside the loop (it is known only when the loop ends). n-body's three force
   sums are one loop with three accumulators. So Black-Scholes' call and put, which
   share d1, d2 and the discount, are one loop reading four arrays and writing two.
A scan, and a boolean-mask compaction (``x[mask]``: a loop over ``x``'s shape appending,
in C order, the values where the mask is true; ``passes.masks`` moves the arithmetic on
the selected values before it), is a loop of its own: its producers fuse into it, but it
merges with no other loop. A segment (groupby) reduction is a reduction of its 1-D
source into one accumulator per group, the row's group code (a source) saying which:
sums and counts over the same rows share one loop. A gather (``x[idx]``) is a member of
its index's loop: it reads its source at data-dependent positions (the OPS table's
``whole`` sources), so that source is never computed in the loop that gathers from it
(nor merged with it, nor read piecewise): it is a kernel input, materialized before.
Kernels form a DAG. Every output has a reason, shown by ``explain``.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from ..node import Node, canon, toposort
from ..ops import OPS, REDUCE, SCAN, SEGMENT, SIZE_ARGS, Op


# Horizontal merging looks at pairs of kernels: graphs with more kernels than this keep
# the vertical grouping (still correct, only more loops).
MAX_HORIZONTAL = 256


@dataclass(frozen=True)
class Kernel:
    outputs: tuple               # values written: elementwise ones, then the reduction
    body: tuple                  # nodes computed inside the loop, topological
    inputs: tuple                # nodes read (materialized before the kernel runs)
    shape: tuple                 # iteration space (a reduction's source shape)
    reductions: tuple = ()       # reduction nodes (same axes), one accumulator each
    why: tuple = ()              # per output: why it is a boundary
    # inputs read piecewise: (input position, axis, parts) for a concatenation that is
    # never materialized; the loop runs once per region, each reading one part
    pieces: tuple = ()
    scan: Node | None = None     # a cumulative op (one of the outputs) along scan_axis
    # a boolean-mask compaction (COMPRESS, the only output): the loop runs over its
    # source's shape in C order and appends the values where the mask (an input, read
    # broadcast along the trailing dims it lacks) is true
    compact: Node | None = None

    @property
    def scan_axis(self) -> int | None:
        if self.scan is None:
            return None
        axis = dict(self.scan.arg)["axis"]
        return 0 if axis is None else axis

    @property
    def gathered(self) -> tuple:
        """The inputs some body node reads whole (a gather's source: ``OpDef.whole``), in
        order of first use; a loop addresses them by index, not by its position."""
        out = []
        for n in self.body:
            for i in OPS[n.op].whole:
                if n.src[i] not in out:
                    out.append(n.src[i])
        return tuple(out)

    @property
    def streamed(self) -> frozenset:
        """The inputs read at the loop's position (all but those only read whole)."""
        return frozenset(s for n in self.body for i, s in enumerate(n.src)
                         if i not in OPS[n.op].whole and s in self.inputs)

    @property
    def reads(self) -> tuple:
        """The values the kernel needs: its inputs, a piecewise input's parts instead."""
        parts = {self.inputs[k]: srcs for k, _, srcs in self.pieces}
        out = []
        for n in self.inputs:
            for r in parts.get(n, (n,)):
                if r not in out:
                    out.append(r)
        return tuple(out)

    @property
    def output(self) -> Node:
        """The last output (a reduction, if any)."""
        return self.outputs[-1]

    @property
    def reduce(self) -> Node | None:
        """The first reduction (all reduce the same axes), or None."""
        return self.reductions[0] if self.reductions else None

    def signature(self) -> tuple:
        """The kernel's structure: what its code depends on, never sizes or data (input
        dtypes; each body node's op, dtype, argument and sources, constants inlined; which
        body nodes are written out)."""
        index = {n: ("in", k) for k, n in enumerate(self.inputs)}
        rows = []
        for j, n in enumerate(self.body):
            srcs = tuple(index[s] if s in index else ("const", s.dtype.str, canon(s.arg))
                         for s in n.src)
            rows.append((n.op.name, n.dtype.str, canon(_code_arg(n)), srcs))
            index[n] = ("body", j)
        return (tuple(n.dtype.str for n in self.inputs), tuple(rows),
                tuple(index[o][1] for o in self.outputs))


@dataclass
class Plan:
    roots: list
    steps: list = field(default_factory=list)   # Kernel | Node (run on the interpreter)
    reasons: dict = field(default_factory=dict)  # node -> why it is not in a kernel

    def kernels(self):
        return [s for s in self.steps if isinstance(s, Kernel)]


def _code_arg(node):
    """The node's argument without the keys that only size it (``SIZE_ARGS``)."""
    if node.op in SEGMENT:
        return tuple((k, v) for k, v in node.arg if k not in SIZE_ARGS)
    return node.arg


def reduced_axes(node, ndim) -> tuple:
    """The axes a reduction node reduces, as a sorted tuple (its ``axis`` may be None, an
    int for argmin/argmax, or a tuple; a segment reduction reduces its 1-D source into
    groups: its one axis)."""
    if node.op in SEGMENT:
        return tuple(range(ndim))
    axis = dict(node.arg)["axis"]
    if axis is None:
        return tuple(range(ndim))
    return (axis,) if isinstance(axis, int) else tuple(sorted(axis))


class _Group:
    __slots__ = ("members", "shape", "reduces", "scan", "compact")

    def __init__(self, node, shape, reduces=(), scan=None, compact=None):
        self.members, self.shape, self.reduces, self.scan = [node], shape, list(reduces), scan
        self.compact = compact

    def solo(self) -> bool:
        """A scan or a compaction: a loop whose order matters, merged with no other."""
        return self.scan is not None or self.compact is not None

    def axes(self):
        """The reduced axes (None for an elementwise group)."""
        return reduced_axes(self.reduces[0], len(self.shape)) if self.reduces else None


def _read_whole(consumer, node) -> bool:
    """``consumer`` reads ``node`` at data-dependent positions (``OpDef.whole``)."""
    return any(consumer.src[i] is node for i in OPS[consumer.op].whole)


def partition(roots, can_fuse, horizontal: bool = True) -> Plan:
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
    group_of: dict = {}   # node -> its _Group
    for n in reversed(order):   # phase 1: vertical
        if n.op is Op.CONST or n.op is Op.INPUT:
            continue
        reason = can_fuse(n)
        if reason is not None:
            plan.reasons[n] = reason
            continue
        if n.op in REDUCE or n.op in SEGMENT:   # (a segment: scattered by its codes)
            group_of[n] = _Group(n, n.src[0].shape, reduces=[n])
            continue
        if n.op in SCAN:  # its producers fuse into its loop; its value is written out
            group_of[n] = _Group(n, n.src[0].shape, scan=n)
            continue
        if n.op is Op.COMPRESS:   # its value's producers fuse in; the mask is read
            group_of[n] = _Group(n, n.src[0].shape, compact=n)
            continue
        groups = {id(g): g for g in map(group_of.get, consumers[n]) if g is not None}
        if n not in rootset and len(groups) == 1 and len(consumers[n]) == sum(
                c in group_of for c in consumers[n]) and \
                not any(_read_whole(c, n) for c in consumers[n]):
            (g,) = groups.values()
            if g.shape == n.shape and (g.compact is None or n is not g.compact.src[1]):
                group_of[n] = g
                g.members.append(n)
                continue
        group_of[n] = _Group(n, n.shape)
    groups = list({id(g): g for g in group_of.values()}.values())
    if horizontal and len(groups) <= MAX_HORIZONTAL:
        groups = _merge_horizontally(groups, group_of, order)
    position = {n: i for i, n in enumerate(order)}
    piecewise = {n for n in order if _piecewise(n, consumers, group_of, rootset)}
    steps: dict = {}   # step key -> Kernel | Node, then ordered so each follows its sources
    for n in order:
        if (n.op is Op.CONST and n not in rootset) or n in piecewise:
            continue  # constants are inlined; piecewise concatenations read in place
        g = group_of.get(n)
        if g is None:
            steps[id(n)] = n
        elif id(g) not in steps:
            steps[id(g)] = _kernel(g, position, consumers, rootset, piecewise)
    plan.steps = _step_order(steps, group_of)
    return plan


def _step_key(n, group_of):
    g = group_of.get(n)
    return id(g) if g is not None else id(n)


def _step_order(steps, group_of):
    """Steps in an order where each follows every step it reads (Kahn; ties: the order
    of each step's first node in the graph's topological order)."""
    deps = {}
    for key, step in steps.items():
        srcs = step.reads if isinstance(step, Kernel) else step.src
        deps[key] = {_step_key(s, group_of) for s in srcs} & steps.keys()
    keys = list(steps)  # ranks
    users: dict = {k: [] for k in keys}
    waiting = {k: len(d) for k, d in deps.items()}
    for k, d in deps.items():
        for src in d:
            users[src].append(k)
    rank = {k: i for i, k in enumerate(keys)}
    ready = [rank[k] for k in keys if not waiting[k]]
    heapq.heapify(ready)
    ordered = []
    while ready:
        key = keys[heapq.heappop(ready)]
        ordered.append(steps[key])
        for u in users[key]:
            waiting[u] -= 1
            if not waiting[u]:
                heapq.heappush(ready, rank[u])
    return ordered


def _piecewise(n, consumers, group_of, rootset) -> bool:
    """A concatenation read only by kernels over its own shape, from parts of its dtype
    (``np.roll`` is one): each kernel reads the parts where they are, region by region,
    instead of a copy (``explain`` lists it as read piecewise)."""
    return (n.op is Op.CONCATENATE and n not in rootset and len(n.src) > 1
            and all(s.dtype == n.dtype for s in n.src) and bool(consumers[n])
            and all(c in group_of and group_of[c].shape == n.shape and not _read_whole(c, n)
                    # argmin/argmax count positions over the whole loop, not a region's;
                    # a scan carries its running value across regions
                    and not any(r.op in (Op.ARGMIN, Op.ARGMAX) for r in group_of[c].reduces)
                    and not group_of[c].solo()   # (a compaction appends in C order)
                    for c in consumers[n]))


def _kernel(g, position, consumers, rootset, piecewise=frozenset()) -> Kernel:
    body = sorted(g.members, key=position.__getitem__)
    inside = set(body)
    inputs = []
    for b in body:
        for s in b.src:
            if s not in inside and s.op is not Op.CONST and s not in inputs:
                inputs.append(s)
    outputs, why = [], []
    for n in body:
        if n in g.reduces:
            continue
        outside = [c for c in consumers[n] if c not in inside]
        if n in rootset or outside:
            outputs.append(n)
            why.append("requested output" if n in rootset else
                       f"used by {len(outside)} node(s) outside this loop")
    for r in sorted(g.reduces, key=position.__getitem__):
        outputs.append(r)
        why.append("reduction output")
    if g.compact is not None:
        why[outputs.index(g.compact)] = "compaction output (its length is the mask's count)"
    pieces = tuple((k, dict(n.arg)["axis"], n.src) for k, n in enumerate(inputs)
                   if n in piecewise)
    return Kernel(tuple(outputs), tuple(body), tuple(inputs), g.shape,
                  tuple(o for o in outputs if o in g.reduces), tuple(why),
                  pieces, g.scan, g.compact)


def _merge_horizontally(groups, group_of, order):
    """Merge kernels of the same iteration space while the step graph stays acyclic."""
    def step_of(n):
        g = group_of.get(n)
        return id(g) if g is not None else id(n)

    while True:
        # the step graph: which steps each step reads from (direct), then reachability
        reads: dict = {}
        for n in order:
            if n.op is Op.CONST:
                continue
            s = step_of(n)
            deps = reads.setdefault(s, set())
            for src in n.src:
                if src.op is not Op.CONST and step_of(src) != s:
                    deps.add(step_of(src))
        upstream: dict = {}

        def ancestors(s):
            if s not in upstream:
                acc = set()
                for d in reads.get(s, ()):
                    acc.add(d)
                    acc |= ancestors(d)
                upstream[s] = acc
            return upstream[s]
        for n in order:  # sources first: the recursion stays shallow
            ancestors(step_of(n))
        pair = _mergeable_pair(groups, reads, upstream)
        if pair is None:
            return groups
        a, b = pair
        a.members.extend(b.members)
        a.reduces.extend(b.reduces)
        for n in b.members:
            group_of[n] = a
        groups = [g for g in groups if g is not b]


def _mergeable_pair(groups, reads, upstream):
    for i, a in enumerate(groups):
        for b in groups[i + 1:]:
            if a.shape != b.shape or (a.reduces and b.reduces and a.axes() != b.axes()) \
                    or a.solo() or b.solo() or _gathers_from(a, b) or _gathers_from(b, a):
                continue
            ia, ib = id(a), id(b)
            if _blocked(ia, ib, a, reads, upstream) or _blocked(ib, ia, b, reads, upstream):
                continue
            return a, b
    return None


def _gathers_from(a, b) -> bool:
    """A member of ``a`` reads a value of ``b`` whole: it must be materialized first."""
    members = set(b.members)
    return any(n.src[i] in members for n in a.members for i in OPS[n.op].whole)


def _blocked(src, dst, src_group, reads, upstream) -> bool:
    """Whether step ``dst`` depends on step ``src`` in a way one loop cannot honour:
    through another step, or by reading ``src``'s reduction."""
    if src not in upstream[dst]:
        return False
    if src_group.reduces:
        return True
    return any(src in upstream[d] for d in reads[dst] if d != src)

"""Split-type inference over a graph with annotated calls: stages and pipeline breaks.

A *stage* is a set of nodes computed piece by piece over one range [0, n): its annotated
calls (split as their annotations say) and the lazy elementwise NumPy operations between
and around them (which split along any axis, following broadcasting: a value is split
along the axis its consumer splits, counted from the last axis, or passed whole where it
broadcasts). Every member has one split axis (negative, from the last axis); a call
merged by ``Reduce`` is a member whose value is not split (its pieces' results merge when
the stage ends). Everything else (reductions, movement, indexing, ...) is computed whole
by the normal evaluation, before the stage that reads it or after the stages it reads.

Forward, in topological order: a call joins the latest stage among its sources' stages
where every edge fits (same length; a source split along the axis the call splits it;
a value the call needs whole, or a merged result, is complete before that stage starts),
else it starts a new stage: a *pipeline break*, with its reason. An elementwise node
joins a stage of its sources the same way, else it is computed whole. Backward, an
elementwise node computed whole whose consumers all sit in one stage and split it the
same way joins that stage (producers pipelined with their consumers).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir.node import toposort
from ..ir.ops import OPS, Op


@dataclass
class Segment:
    kind: str              # "elementwise": one program per piece; "call": one function call
    nodes: list            # members, topological
    roots: list = field(default_factory=list)   # elementwise: values read after it
    spec: object = None    # call: the CallSpec


@dataclass
class Stage:
    index: int
    length: int
    members: list = field(default_factory=list)
    axis: dict = field(default_factory=dict)     # member -> negative axis | None (merged)
    inputs: list = field(default_factory=list)   # non-member sources (whole values)
    outputs: list = field(default_factory=list)  # members read after the stage
    segments: list = field(default_factory=list)


@dataclass
class SplitPlan:
    roots: list
    stages: list
    stage_of: dict
    breaks: list           # (node, text): why a node did not join a stage


def spec_of(node):
    return dict(node.arg)["call"]


def is_call(node) -> bool:
    return node.op is Op.CALL


def _elementwise(node) -> bool:
    return OPS[node.op].kind == "elementwise" and node.ndim > 0 and node.size > 0


def edge_axes(node, axis, n):
    """Per source of ``node`` (split along ``axis`` over ``n``): the axis the source is
    read split along, or None (read whole)."""
    if is_call(node):
        return spec_of(node).src_axes
    out = []
    for s in node.src:
        split = axis is not None and s.ndim >= -axis and s.shape[axis] == n
        out.append(axis if split else None)
    return out


def label(node) -> str:
    return f"call {spec_of(node).name}" if is_call(node) else str(node.op)


class _Planner:
    def __init__(self, roots):
        self.roots = list(roots)
        self.order = toposort(self.roots)
        self.stages: list[Stage] = []
        self.stage_of: dict = {}
        self.need: dict = {}       # node -> last stage that must finish before it exists
        self.breaks: list = []
        self.spec_stage: dict = {}

    def fits(self, node, k, axis) -> str | None:
        """None if ``node`` split along ``axis`` can join stage ``k``, else why not."""
        stage = self.stages[k]
        for s, a in zip(node.src, edge_axes(node, axis, stage.length)):
            if s.op is Op.CONST:
                continue
            if self.stage_of.get(s) == k:
                sa = stage.axis[s]
                if sa is None:
                    return (f"it needs the merged result of {label(s)}, complete only "
                            f"when stage {k} ends")
                if a is None:
                    return f"it needs {label(s)} whole, which stage {k} computes by piece"
                if a != sa:
                    return (f"it splits {label(s)} along axis {a}, stage {k} along "
                            f"axis {sa}")
            elif self.need.get(s, -1) >= k:
                return f"it needs {label(s)}, computed after stage {k}"
        return None

    def join(self, node, k, axis):
        stage = self.stages[k]
        stage.members.append(node)
        stage.axis[node] = axis
        self.stage_of[node] = k
        self.need[node] = k

    def candidates(self, node):
        """Stages of the node's split sources, latest first, with the axis each offers."""
        out = {}
        for s in node.src:
            k = self.stage_of.get(s)
            if k is not None:
                out.setdefault(k, self.stages[k].axis[s])
        return sorted(out.items(), reverse=True)

    def forward(self):
        for node in self.order:
            if not node.src:
                self.need[node] = -1
                continue
            if is_call(node):
                self.place_call(node)
            elif _elementwise(node):
                self.place_elementwise(node)
            else:
                self.whole(node)

    def whole(self, node, why=None):
        self.need[node] = max((self.need.get(s, -1) for s in node.src), default=-1)
        members = [s for s in node.src if s in self.stage_of]
        if members and why is None:
            why = (f"{node.op} is not split: it runs whole after stage "
                   f"{self.stage_of[members[0]]}")
        if why:
            self.breaks.append((node, why))

    def place_call(self, node):
        spec = spec_of(node)
        axis = spec.output_axes[dict(node.arg)["output"]]
        k = self.spec_stage.get(spec)
        if k is not None:   # another result of the same call: the same stage
            self.join(node, k, axis)
            return
        reasons = []
        # the stages of its sources first (latest first), then any other stage of the same
        # length (independent chains of calls pipelined together, Mozart's one DAG)
        tried = [k for k, _ in self.candidates(node)]
        tried += [k for k in reversed(range(len(self.stages))) if k not in tried]
        for k in tried:
            if self.stages[k].length != spec.n:
                if k not in dict(self.candidates(node)):
                    continue
                reasons.append(f"length {spec.n} != stage {k}'s {self.stages[k].length}")
                continue
            why = self.fits(node, k, axis)
            if why is None:
                self.spec_stage[spec] = k
                self.join(node, k, axis)
                return
            reasons.append(why)
        k = len(self.stages)
        self.stages.append(Stage(k, spec.n))
        self.spec_stage[spec] = k
        self.join(node, k, axis)
        if reasons:
            self.breaks.append((node, f"pipeline break: {label(node)} starts stage {k}: "
                                      + "; ".join(dict.fromkeys(reasons))))

    def place_elementwise(self, node):
        reasons = []
        for k, axis in self.candidates(node):
            n = self.stages[k].length
            if axis is None or node.ndim < -axis or node.shape[axis] != n:
                continue
            why = self.fits(node, k, axis)
            if why is None:
                self.join(node, k, axis)
                return
            reasons.append(why)
        self.whole(node, (f"{node.op} runs whole: " + "; ".join(dict.fromkeys(reasons)))
                   if reasons else None)

    def backward(self):
        consumers: dict = {}
        for node in self.order:
            for i, s in enumerate(node.src):
                consumers.setdefault(s, []).append((node, i))
        for node in reversed(self.order):
            if node in self.stage_of or not node.src or not _elementwise(node):
                continue
            uses = consumers.get(node)
            if not uses or any(c not in self.stage_of for c, _ in uses):
                continue
            ks = {self.stage_of[c] for c, _ in uses}
            if len(ks) != 1:
                continue
            k = ks.pop()
            stage = self.stages[k]
            axes = {edge_axes(c, stage.axis[c], stage.length)[i] for c, i in uses}
            if len(axes) != 1 or None in axes:
                continue
            axis = axes.pop()
            if self.fits(node, k, axis) is None:
                self.join(node, k, axis)

    def finish(self) -> SplitPlan:
        position = {n: i for i, n in enumerate(self.order)}
        roots = set(self.roots)
        read_by: dict = {}
        for node in self.order:
            for s in node.src:
                read_by.setdefault(s, set()).add(self.stage_of.get(node, -1))
        for stage in self.stages:
            stage.members.sort(key=position.get)
            members = set(stage.members)
            inputs = {}
            for m in stage.members:
                for s in m.src:
                    if s not in members and s.op is not Op.CONST:
                        inputs[s] = None
            stage.inputs = list(inputs)
            stage.outputs = [m for m in stage.members
                             if m in roots or read_by.get(m, set()) - {stage.index}]
            stage.segments = _segments(stage)
        # a node that could not join its sources' stage, pulled into its consumers' later
        breaks = []
        for node, why in self.breaks:
            k = self.stage_of.get(node)
            if k is not None and not is_call(node):
                why = why.replace(f"{node.op} runs whole: ",
                                  f"pipeline break: {node.op} runs in stage {k}: ")
            breaks.append((node, why))
        return SplitPlan(self.roots, self.stages, self.stage_of, breaks)


def _segments(stage) -> list:
    """Members in execution order: elementwise runs and calls by call depth (a call's
    depth is one more than its deepest member source's; an elementwise node's, its
    deepest source's), so each elementwise run is one program per piece."""
    members = set(stage.members)
    depth = {}
    for m in stage.members:
        d = max((depth[s] for s in m.src if s in members), default=0)
        depth[m] = d + 1 if is_call(m) else d
    top = max(depth.values(), default=0)
    segments = []
    for d in range(top + 1):
        calls = [m for m in stage.members if depth[m] == d and is_call(m)]
        by_spec: dict = {}
        for m in calls:
            by_spec.setdefault(spec_of(m), []).append(m)
        for spec, nodes in by_spec.items():
            segments.append(Segment("call", nodes, nodes, spec))
        run = [m for m in stage.members if depth[m] == d and not is_call(m)]
        if run:
            segments.append(Segment("elementwise", run))
    # an elementwise run's roots: its values read outside it (later segments, outputs)
    outputs = set(stage.outputs)
    for seg in segments:
        if seg.kind != "elementwise":
            continue
        inside = set(seg.nodes)
        read_later = {s for m in stage.members if m not in inside for s in m.src}
        seg.roots = [m for m in seg.nodes if m in outputs or m in read_later]
    return segments


def plan(roots) -> SplitPlan:
    p = _Planner(roots)
    p.forward()
    p.backward()
    return p.finish()


def describe(sp: SplitPlan) -> str:
    """Text for ``weldish.explain``: the stages and the pipeline breaks."""
    lines = []
    from .execute import piece_length, row_bytes
    for st in sp.stages:
        calls = [label(m) for m in st.members if is_call(m)]
        calls = list(dict.fromkeys(calls))
        plen = piece_length(row_bytes(st))
        pieces = max(1, -(-st.length // plen))
        lines.append(f"stage {st.index}: {len(st.members)} step(s) by piece over "
                     f"{st.length} element(s), {pieces} piece(s) of <= {plen}: "
                     f"{', '.join(calls)}; "
                     f"{sum(not is_call(m) for m in st.members)} elementwise op(s); "
                     f"reads {len(st.inputs)} whole value(s), writes {len(st.outputs)}")
    for node, why in sp.breaks:
        lines.append(f"  {why}")
    return "\n".join(lines) or "no stages"

"""Readable SSA-style text of a graph, for ``weldish.explain``."""
from __future__ import annotations

import numpy as np

from .node import Buffer, toposort
from .ops import Op


def _fmt_arg(v) -> str:
    if isinstance(v, slice):
        parts = ["" if x is None else str(x) for x in (v.start, v.stop)]
        return ":".join(parts) + ("" if v.step is None else f":{v.step}")
    if v is Ellipsis:
        return "..."
    if isinstance(v, tuple):
        return "(" + ", ".join(_fmt_arg(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, np.dtype):
        return str(v)
    if isinstance(v, Buffer):
        return v.name or v.source
    return repr(v)


def node_label(node) -> str:
    args = dict(node.arg or ())
    if node.op is Op.CONST:
        weak = " (weak)" if args["dtype"] is None else ""
        return f"const {args['value']!r}{weak}"
    if node.op is Op.INPUT:
        buf = args["buffer"]
        return f"input {buf.name or ''}".rstrip() + f" [{buf.source}]"
    text = str(node.op)
    if args:
        text += " " + ", ".join(f"{k}={_fmt_arg(v)}" for k, v in args.items())
    return text


def format_graph(roots, names=None) -> str:
    """One line per node: ``%3 = add(%1, %2) : float64[100]``; outputs marked with ``->``."""
    ids, lines = {}, []
    out_names = {}
    for i, r in enumerate(roots):
        out_names.setdefault(r, []).append(names[i] if names else f"out{i}")
    for node in toposort(roots):
        ids[node] = len(ids)
        srcs = ", ".join(f"%{ids[s]}" for s in node.src)
        label = node_label(node)
        if srcs:
            head, _, rest = label.partition(" ")
            label = f"{head}({srcs})" + (f" {rest}" if rest else "")
        shape = "[" + ", ".join(map(str, node.shape)) + "]"
        outs = f"  -> {', '.join(out_names[node])}" if node in out_names else ""
        lines.append(f"%{ids[node]} = {label} : {node.dtype}{shape}{outs}")
    return "\n".join(lines)


def format_plan(plan, notes=None) -> str:
    """The kernels of a fusion plan and why each boundary is there (ids as format_graph);
    ``notes``: kernel output -> a remark from the backend (e.g. it did not compile)."""
    from .passes.fuse import Kernel
    ids = {n: i for i, n in enumerate(toposort(plan.roots))}
    lines = []
    for k, step in enumerate(plan.steps):
        if isinstance(step, Kernel):
            ops = ", ".join(str(n.op) for n in step.body)
            split = {step.inputs[k]: (axis, parts) for k, axis, parts in step.pieces}
            reads = ", ".join(
                f"%{ids[n]}" + (f" (piecewise from {'|'.join(f'%{ids[p]}' for p in split[n][1])}"
                                f" along axis {split[n][0]})" if n in split else "")
                for n in step.inputs) or "nothing"
            kind = "reduction" if step.reductions else \
                f"{step.scan.op} (axis {step.scan_axis})" if step.scan is not None \
                else "compaction" if step.compact is not None else "elementwise"
            outs = ", ".join(f"%{ids[n]}" for n in step.outputs)
            why = "; ".join(f"%{ids[n]}: {w}" for n, w in zip(step.outputs, step.why))
            lines.append(f"kernel {k}: {outs} = {kind} loop over {list(step.shape)} "
                         f"[{ops}] reading {reads}; boundaries: {why}"
                         + (f"; {notes[step.output]}" if notes and step.output in notes
                            else ""))
        elif step.op is Op.CALL:   # the split executor runs it: see explain's stages
            lines.append(f"step {k}: %{ids[step]} = {node_label(step)}: an annotated "
                         f"black box, run by piece (split stages)")
        elif step.op is not Op.INPUT and step.op is not Op.CONST:
            why = plan.reasons.get(step, "")
            lines.append(f"step {k}: %{ids[step]} = {step.op} on the interpreter ({why})")
    return "\n".join(lines) if lines else "(nothing to compute)"

"""Pictures of a fused plan: Graphviz DOT text, and SVG through the ``dot`` program.

    text = plan_dot(roots, names=["score"])       # the plan the configured backend runs
    svg = render_svg(text)                         # needs Graphviz's ``dot`` on PATH

Each step of the plan is a box: a compiled kernel (its fused ops, its loop shape and
kind), a node run on the interpreter (with the reason), an annotated call; inputs are
parallelograms, outputs notes; edges carry the value's dtype and shape.
"""
from __future__ import annotations

import shutil
import subprocess

from ..ir.node import toposort
from ..ir.ops import Op
from ..ir.passes.fuse import Kernel, partition
from ..ir.printer import node_label

MAX_OPS = 14   # ops listed in a kernel's box; the rest are counted


def plan_for(roots):
    """(the optimized roots, the configured backend's plan of them). A backend without a
    planner (the interpreter) runs node by node: every node is its own step."""
    from .. import backends
    from ..config import SETTINGS
    from ..ir import passes
    backend = backends.get(SETTINGS.backend)
    optimized = passes.optimize(roots, passes.for_backend(backend)) \
        if hasattr(passes, "for_backend") else passes.optimize(roots)
    if hasattr(backend, "plan"):
        return optimized, backend.plan(optimized), backend.name
    return optimized, partition(optimized, lambda n: False), backend.name


def _q(text: str) -> str:
    """A DOT string literal (lines split with \\n)."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def _type(n) -> str:
    return f"{n.dtype}[{', '.join(map(str, n.shape))}]"


def plan_dot(roots, names=None, title=None) -> str:
    """DOT text of the plan that runs ``roots`` on the configured backend."""
    optimized, plan, backend = plan_for(roots)
    names = list(names) if names else [f"out{i}" for i in range(len(roots))]
    ids = {n: i for i, n in enumerate(toposort(plan.roots))}
    lines = ["digraph weldish {", "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9, color="#555555"];']
    caption = f"{title + ': ' if title else ''}fused plan ({backend} backend), " \
              f"{len(plan.kernels())} kernel(s), {len(plan.steps)} step(s)"
    lines.append(f"  label={_q(caption)}; labelloc=t; fontname=\"Helvetica\";")
    producer = {}   # value node -> DOT id of the step that makes it

    def declare(n):
        """A value read but made by no step (an input or a constant)."""
        if n in producer:
            return producer[n]
        sid = f"v{ids.get(n, len(producer))}"
        producer[n] = sid
        shape = "parallelogram" if n.op is Op.INPUT else "plaintext"
        label = f"%{ids.get(n, '?')} {node_label(n)}\n{_type(n)}"
        lines.append(f"  {sid} [shape={shape}, label={_q(label)}];")
        return sid

    for k, step in enumerate(plan.steps):
        sid = f"s{k}"
        if isinstance(step, Kernel):
            ops = [str(n.op) for n in step.body]
            shown = ops[:MAX_OPS] + ([f"... {len(ops) - MAX_OPS} more"]
                                     if len(ops) > MAX_OPS else [])
            kind = "reduction" if step.reductions else \
                f"scan {step.scan.op}" if step.scan is not None else \
                "compaction" if step.compact is not None else "elementwise"
            outs = ", ".join(f"%{ids[n]}" for n in step.outputs)
            label = f"kernel {k}: {kind} loop over {list(step.shape)}\n" + \
                "\n".join(shown) + f"\n-> {outs}"
            lines.append(f"  {sid} [shape=box, style=\"rounded,filled\", "
                         f"fillcolor=\"#dbe9f6\", label={_q(label)}];")
            for n in step.outputs:
                producer[n] = sid
            reads = step.inputs
        elif step.op is Op.INPUT or step.op is Op.CONST:
            declare(step)
            continue
        else:
            interp = step.op is not Op.CALL
            why = plan.reasons.get(step, "") if interp else "run by piece (split stages)"
            label = f"step {k}: %{ids[step]} = {node_label(step)}\n" + \
                ("on the interpreter" if interp else "annotated call") + \
                (f"\n{why}" if why else "")
            lines.append(f"  {sid} [shape={'box' if interp else 'hexagon'}, style=filled, "
                         f"fillcolor=\"{'#fbe3c8' if interp else '#e4d7f0'}\", "
                         f"label={_q(label)}];")
            producer[step] = sid
            reads = step.src
        for n in dict.fromkeys(reads):
            src = producer.get(n) or declare(n)
            lines.append(f"  {src} -> {sid} [label={_q(_type(n))}];")
    for i, (root, name) in enumerate(zip(optimized, names)):
        src = producer.get(root) or declare(root)
        lines.append(f"  o{i} [shape=note, style=filled, fillcolor=\"#e2f0d9\", "
                     f"label={_q(f'{name}: {_type(root)}')}];")
        lines.append(f"  {src} -> o{i};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_text: str) -> str:
    """SVG text of a DOT graph, drawn by Graphviz's ``dot`` program."""
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("SVG needs Graphviz's 'dot' program, which is not on PATH "
                           "(install graphviz, e.g. 'apt-get install graphviz'), or write "
                           "DOT text with --format dot and render it elsewhere")
    done = subprocess.run([exe, "-Tsvg"], input=dot_text, capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout

"""``weldish.explain``: the graph before and after optimization, and the fallbacks."""
from __future__ import annotations

from . import backends, fallback
from .config import SETTINGS
from .ir import passes
from .ir.printer import format_graph, format_plan


def explain(*arrays, names=None, show: bool = True, out=None) -> str:
    """Text of the lazy graph behind ``arrays``: as recorded, as optimized, fallbacks.

    Prints it (to ``out``, default stdout; unless ``show=False``) and returns it. Calls NumPy ran eagerly appear as
    inputs marked ``fallback:<function>``; the table at the end counts every fallback of
    this process (``weldish.fallbacks.clear()`` resets it).
    """
    from .lazy import LazyArray
    # weldish.pandas objects: their scans (pushed projection/predicate), lazy columns
    scans = [t for a in arrays if (t := getattr(a, "_explain_scan", lambda: None)())]
    arrays = [c for a in arrays for c in (a._lazy_columns() if hasattr(a, "_lazy_columns")
                                           else [a])]
    nodes = [a.node for a in arrays if isinstance(a, LazyArray)]
    names = list(names) if names else [f"out{i}" for i in range(len(nodes))]
    backend = backends.get(SETTINGS.backend)
    pipeline = passes.for_backend(backend)
    optimized = passes.optimize(nodes, pipeline)
    plan = []
    if hasattr(backend, "plan"):
        kernels = backend.plan(optimized)
        plan = [f"== kernels ({backend.name}): one loop each, boundaries and why",
                format_plan(kernels, backend.notes(kernels))]
        copies = backend.transfers(kernels) if hasattr(backend, "transfers") else []
        if copies:   # a GPU backend's steps run on the host
            plan += ["== host<->device copies around steps run on the host", *copies]
    from . import split
    stages = split.explain(nodes)   # annotated calls: stages and pipeline breaks
    if stages is not None:
        plan += ["== split stages (annotated calls, run by piece)", stages]
    text = "\n".join([
        f"== recorded graph ({len(nodes)} output(s))",
        format_graph(nodes, names),
        f"== optimized ({', '.join(p.__name__ for p in pipeline)}) "
        f"for backend {SETTINGS.backend!r}",
        format_graph(optimized, names),
        *plan,
        *(["== scans (pushed projection and predicate)", *scans] if scans else []),
        "== fallbacks (this process)",
        fallback.LOG.report(),
    ])
    if show:
        print(text, file=out)
    return text

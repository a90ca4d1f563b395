"""The ``weldish`` command line.

    weldish demo                      the main job: pipelines eager vs weldish (run recorded)
    weldish run ARTIFACT --input F --output F     a loaded pipeline over a file, in batches
    weldish inspect ARTIFACT          signature, plan and profile of an exported pipeline
    weldish explain ARTIFACT --format text|dot|svg    a picture of the fused plan
    weldish runs [list | show ID | lineage FINGERPRINT]   the tracked runs
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy


def median_seconds(fn, repeat: int, warmup: bool = False) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs (after one untimed run if asked)."""
    if warmup:
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _scale(a) -> float:
    """The largest finite magnitude: compiled math differs from NumPy's in the last bits,
    which after cancellation (n-body forces, call - put) is relative to this, not to each
    element."""
    finite = numpy.abs(numpy.asarray(a, dtype=float))
    finite = finite[numpy.isfinite(finite)]
    return float(finite.max()) if finite.size else 0.0


def demo(n: int = 1_000_000, repeat: int = 3, out=None, results=None) -> int:
    """The cross-library pipeline and NumPy pipelines run eagerly and through weldish:
    agreement, graphs, timings.
    ``results``: a list that gets (workload, numpy s, weldish s, agree) per workload."""
    import weldish
    import weldish.numpy as wnp
    from weldish import workloads
    from weldish.lifecycle.console import Progress
    out = sys.stdout if out is None else out

    progress = Progress(len(workloads.WORKLOADS) + 1, "demo", "workloads")

    def say(*a):
        progress.clear()  # (the bar is on stderr: a terminal shows both)
        print(*a, file=out)

    say(f"weldish {weldish.__version__} demo — n = {n:,}, backend = "
        f"{weldish.config.current()['backend']!r}, median of {repeat} runs\n")
    rows, ok = [], True
    # the cross-library pipeline: weldish.pandas -> weldish.numpy -> weldish.tensorflow
    credit = workloads.credit_inputs(n)
    expected = workloads.credit_score_eager(**credit)
    agree = int(workloads.credit_score_lazy(**credit)) == expected
    ok &= agree
    t_eager = median_seconds(lambda: workloads.credit_score_eager(**credit), repeat)
    t_lazy = median_seconds(lambda: int(workloads.credit_score_lazy(**credit)), repeat)
    rows.append(("credit_score", t_eager, t_lazy, agree))
    progress.update(1)
    say("Cross-library pipeline (credit_score): a DataFrame of 8 float columns -> fillna(0) "
        "-> standardize -> .to_numpy() -> tf.matmul + bias -> tf.sigmoid -> > 0.5 -> count, "
        "as weldish records it (8 rows):")
    out.flush()
    weldish.explain(workloads.credit_score_lazy(**workloads.credit_inputs(8)),
                    names=["count"], out=out)
    say("")
    for name, (_, make_inputs) in workloads.WORKLOADS.items():
        inputs = make_inputs(n)
        eager = workloads.run(name, numpy, inputs)

        def lazy():
            return weldish.evaluate(*workloads.run(name, wnp, inputs))
        got = lazy()
        got = got if isinstance(got, tuple) else (got,)
        agree = all(g.dtype == e.dtype and numpy.allclose(
            g, e, rtol=1e-12, atol=1e-12 * _scale(e), equal_nan=True)
            for g, e in zip(got, eager))
        ok &= agree
        t_np = median_seconds(lambda: workloads.run(name, numpy, inputs), repeat)
        t_w = median_seconds(lazy, repeat)
        rows.append((name, t_np, t_w, agree))
        progress.update(1)
        if name == "haversine":
            small = workloads.haversine_inputs(8)
            say("Haversine as weldish records it:")
            out.flush()
            weldish.explain(*workloads.run(name, wnp, small), names=["km"], out=out)
            say("")
    progress.close()
    if results is not None:
        results.extend(rows)
    say(f"{'workload':<14} {'eager s':>10} {'weldish s':>10} {'ratio':>7}  agree")
    for name, t_np, t_w, agree in rows:
        say(f"{name:<14} {t_np:>10.4f} {t_w:>10.4f} {t_np / t_w:>6.2f}x  "
            f"{'yes' if agree else 'NO'}")
    say("\neager = NumPy (credit_score: pandas + NumPy); ratio = eager time / weldish time "
        "(median, same process; `python -m benchmarks` compares more engines)")
    return 0 if ok else 1


# --- tracking -------------------------------------------------------------------------

def _tracker(enabled: bool = True):
    """The process' run tracker (None when off: --no-track, WELDISH_TRACKING=off, or a
    store that cannot be opened, which is warned about, never fatal)."""
    if not enabled:
        return None
    from weldish.lifecycle import tracking
    return tracking.ensure()


def _recorded(tracker, run):
    if tracker is not None and run is not None:
        print(f"run {run.id[:12]} recorded in {tracker.store.path} "
              f"(weldish runs show {run.id[:12]})", file=sys.stderr)


def cmd_demo(args) -> int:
    import weldish
    from weldish.lifecycle import hooks
    if args.backend:
        weldish.config(backend=args.backend)
    tracker = _tracker(not args.no_track)
    results: list = []
    with hooks.running(kind="demo", name="demo", version=weldish.__version__,
                       rows_in=args.n, repeat=args.repeat,
                       backend=weldish.config.current()["backend"]) as run:
        code = demo(args.n, args.repeat, results=results)
        run.fields.update(agree=code == 0, timings={
            name: {"numpy_s": t_np, "weldish_s": t_w} for name, t_np, t_w, _ in results})
    if tracker is not None:
        print(f"\nrun {run.id[:12]} recorded in {tracker.store.path}: "
              f"`weldish runs show {run.id[:12]}`")
    return code


def _store(args):
    from weldish.lifecycle import tracking
    path = args.db or tracking.default_path()
    if not os.path.exists(path):
        raise CliError(f"no tracking store at {path} (no run recorded yet; --db PATH or "
                       "WELDISH_TRACKING_DB chooses another)")
    return tracking.Store(path)


def _when(t) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else ""


def cmd_runs(args, out=None) -> int:
    out = sys.stdout if out is None else out
    from weldish.lifecycle import tracking
    from weldish.lifecycle.console import size, table
    if args.action == "list" and not os.path.exists(args.db or tracking.default_path()):
        print(f"no runs recorded yet in {args.db or tracking.default_path()}", file=out)
        return 0
    store = _store(args)
    if args.action == "list":
        if args.target:
            raise CliError("runs list takes no argument (did you mean: runs show ID?)")
        runs = store.runs(args.limit, args.name)
        print(f"{len(runs)} latest of {store.count()} runs in {store.path}", file=out)
        print(table([(r["id"][:12], _when(r["started"]), r["kind"], r["name"],
                      r["version"], r["seconds"], r["rows_in"], r["rows_out"],
                      size(r["bytes_in"]), f"{r['cache_hits'] or 0}/{r['compiles'] or 0}",
                      r["fallbacks"], r["status"]) for r in runs],
                    ["run", "started", "kind", "name", "version", "seconds", "rows in",
                     "rows out", "bytes in", "hits/compiled", "fallbacks", "status"],
                    ["<", "<", "<", "<", "<", ">", ">", ">", ">", ">", ">", "<"]),
              file=out)
        return 0
    if not args.target:
        raise CliError(f"runs {args.action} needs an argument")
    if args.action == "show":
        try:
            r = store.get(args.target)
        except KeyError as e:
            raise CliError(e.args[0]) from None
        _show_run(r, out)
        return 0
    fp = args.target
    if os.path.exists(fp):   # a file: its content fingerprint
        from weldish.lifecycle.tracking import file_fingerprint
        fp = file_fingerprint(fp)
    made = store.lineage(fp)
    if not made:
        print(f"no tracked run produced {fp}", file=out)
        return 1
    _print_lineage(made, out, "")
    return 0


def _show_run(r, out):
    from weldish.lifecycle.console import size, table
    fields = [("run", r["id"]), ("kind", r["kind"]), ("name", r["name"]),
              ("version", r["version"]), ("pipeline fingerprint", r["fingerprint"]),
              ("status", r["status"] + (f": {r['error']}" if r["error"] else "")),
              ("started", _when(r["started"])), ("seconds", r["seconds"]),
              ("rows in / out", f"{_count(r['rows_in'])} / {_count(r['rows_out'])}"),
              ("bytes in / out", f"{size(r['bytes_in'])} / {size(r['bytes_out'])}"),
              ("steps (seconds)", f"{r['steps']} ({r['execute_seconds'] or 0:.4f})"),
              ("kernels compiled (seconds)",
               f"{r['compiles']} ({r['compile_seconds'] or 0:.4f})"),
              ("kernel cache hits", r["cache_hits"]), ("fallbacks", r["fallbacks"]),
              ("nested runs", r["nested"]),
              ("host / pid", f"{r['host']} / {r['pid']}"),
              ("weldish", r["weldish_version"])]
    for k, v in (r.get("details") or {}).items():
        fields.append((k, v if not isinstance(v, (dict, list)) else _short(v)))
    print(table(fields, None, ["<", "<"]), file=out)
    for role in ("inputs", "outputs"):
        entries = r.get(role) or []
        if entries:
            print(f"\n{role}:", file=out)
            print(table([(e["label"], e["fingerprint"], e["rows"], size(e["bytes"]))
                         for e in entries], ["label", "fingerprint", "rows", "bytes"],
                        ["<", "<", ">", ">"]), file=out)


def _count(n) -> str:
    return "" if n is None else f"{n:,}"


def _short(v, limit=200) -> str:
    import json
    text = json.dumps(v, default=str)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _print_lineage(runs, out, indent):
    for r in runs:
        print(f"{indent}run {r['id'][:12]} {r['kind']} {r['name'] or ''} "
              f"{r['version'] or ''} at {_when(r['started'])}".rstrip(), file=out)
        for e in r["inputs"]:
            print(f"{indent}  <- {e['label']} {e['fingerprint']}", file=out)
            if e.get("upstream"):
                _print_lineage(e["upstream"], out, indent + "     ")


# --- artifacts ------------------------------------------------------------------------

class CliError(Exception):
    """A failure to report in one line (no traceback)."""


def _load(path):
    import weldish
    if not hasattr(weldish, "load"):
        raise CliError("this weldish has no weldish.load (artifact support)")
    if not os.path.exists(path):
        raise CliError(f"no such artifact: {path}")
    return weldish.load(path)


def cmd_run(args) -> int:
    from weldish.lifecycle import hooks
    from weldish.lifecycle.console import Progress, size, table
    from weldish.lifecycle.stream import run_file
    from weldish.lifecycle.tracking import file_fingerprint
    if not os.path.exists(args.input):
        raise CliError(f"no such input file: {args.input}")
    if args.batch_rows < 0:
        raise CliError("--batch-rows must be >= 0 (0: the whole input at once)")
    pipe = _load(args.artifact)
    tracker = _tracker(not args.no_track)
    t0 = time.perf_counter()
    with Progress(None, f"{pipe.name}", "rows") as progress, \
            hooks.running(kind="cli-run", name=pipe.name, version=pipe.version,
                          fingerprint=pipe.fingerprint, artifact=str(args.artifact),
                          batch_rows=args.batch_rows) as run:
        if tracker is not None:   # lineage: the files' contents
            run.fields["inputs"] = [{"label": str(args.input), "rows": None,
                                     "fingerprint": file_fingerprint(args.input),
                                     "bytes": os.path.getsize(args.input)}]
        stats = run_file(pipe, args.input, args.output, args.batch_rows, progress, run)
        if tracker is not None:
            run.fields["inputs"][0]["rows"] = stats["rows_in"]
            run.fields["outputs"] = [{"label": str(args.output),
                                      "fingerprint": file_fingerprint(args.output),
                                      "rows": stats["rows_out"],
                                      "bytes": os.path.getsize(args.output)}]
    seconds = time.perf_counter() - t0
    print(table([("pipeline", f"{pipe.name} {pipe.version}"),
                 ("input", f"{args.input} ({size(os.path.getsize(args.input))})"),
                 ("output", f"{args.output} ({size(os.path.getsize(args.output))})"),
                 ("rows in / out", f"{stats['rows_in']:,} / {stats['rows_out']:,}"),
                 ("batches", stats["batches"]), ("seconds", f"{seconds:.3f}"),
                 ("rows per second", f"{stats['rows_in'] / max(seconds, 1e-9):,.0f}")],
                None, ["<", "<"]))
    _recorded(tracker, run)
    return 0


def cmd_inspect(args) -> int:
    import numpy as np

    from weldish.lifecycle.console import size, table
    pipe = _load(args.artifact)
    sig = pipe.signature
    print(table([("pipeline", pipe.name), ("version", pipe.version),
                 ("file", f"{args.artifact} ({size(os.path.getsize(args.artifact))})"),
                 ("sha256", pipe.fingerprint),
                 ("exported by", f"weldish {pipe.weldish_version}"),
                 ("created", getattr(pipe, "created", None) or ""),
                 ("example rows", sig.example_rows)], None, ["<", "<"]))
    print("\nparameters:")
    print(table([(p["name"], p["kind"], sig.describe(p),
                  "yes" if p.get("rows", True) else "no") for p in sig.parameters],
                ["name", "kind", "type", "per row"], ["<", "<", "<", "<"]))
    print("\noutputs:")
    from weldish.lifecycle.artifact import format_dim
    print(table([(i, np.dtype(o["dtype"]).name, "[" + ", ".join(map(format_dim, o["shape"]))
                  + "]") for i, o in enumerate(sig.outputs)],
                ["#", "dtype", "shape"], ["<", "<", "<"]))
    print()
    print(pipe.explain(args.rows))
    return 0


def cmd_explain(args) -> int:
    pipe = _load(args.artifact)
    if args.format == "text":
        text = pipe.explain(args.rows)
    else:
        from weldish.lifecycle.draw import plan_dot, render_svg
        roots = pipe.graph(args.rows)
        text = plan_dot(roots, [f"out{i}" for i in range(len(roots))],
                        title=f"{pipe.name} {pipe.version}")
        if args.format == "svg":
            try:
                text = render_svg(text)
            except RuntimeError as e:
                raise CliError(str(e)) from None
    if args.output:
        with open(args.output, "w") as f:
            f.write(text if text.endswith("\n") else text + "\n")
        print(f"wrote {args.format} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


# --- the parser -----------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="weldish", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run NumPy pipelines eagerly and through weldish")
    p.add_argument("--n", type=int, default=1_000_000, help="elements per array")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per variant")
    p.add_argument("--backend", default=None, help="weldish backend (default: configured)")
    p.add_argument("--no-track", action="store_true", help="do not record the run")
    p = sub.add_parser("run", help="run an exported pipeline over a Parquet/CSV file")
    p.add_argument("artifact", help="a file written by weldish.export")
    p.add_argument("--input", required=True, help="FILE.parquet or FILE.csv")
    p.add_argument("--output", required=True, help="FILE.parquet or FILE.csv")
    p.add_argument("--batch-rows", type=int, default=65536,
                   help="rows per batch (default 65536; 0: the whole input at once)")
    p.add_argument("--no-track", action="store_true", help="do not record the run")
    p = sub.add_parser("inspect", help="signature, plan and profile of an artifact")
    p.add_argument("artifact")
    p.add_argument("--rows", type=int, default=None,
                   help="rows the plan is shown for (default: the example's)")
    p = sub.add_parser("explain", help="the fused plan of an artifact, as text or a picture")
    p.add_argument("artifact")
    p.add_argument("--format", choices=("text", "dot", "svg"), default="text")
    p.add_argument("--output", "-o", default=None, help="write to this file (default: stdout)")
    p.add_argument("--rows", type=int, default=None,
                   help="rows the plan is shown for (default: the example's)")
    p = sub.add_parser("runs", help="tracked runs: list, show ID, lineage FINGERPRINT|FILE")
    p.add_argument("action", nargs="?", choices=("list", "show", "lineage"), default="list")
    p.add_argument("target", nargs="?", help="a run id (or its prefix), a fingerprint or a file")
    p.add_argument("--limit", type=int, default=20, help="runs listed (default 20)")
    p.add_argument("--name", default=None, help="only runs of this pipeline name")
    p.add_argument("--db", default=None,
                   help="the tracking store (default: $WELDISH_TRACKING_DB, "
                        "$WELDISH_HOME/runs.sqlite or ~/.local/share/weldish/runs.sqlite)")
    return top


COMMANDS = {"demo": cmd_demo, "run": cmd_run, "inspect": cmd_inspect,
            "explain": cmd_explain, "runs": cmd_runs}


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CliError as e:
        print(f"weldish {args.command}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:   # `weldish inspect ... | head`: the reader left, not an error
        sys.stdout = open(os.devnull, "w")  # (no second error when Python flushes at exit)
        return 0
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
        # an artifact, input or pipeline error: its message is the report
        name = type(e).__name__
        print(f"weldish {args.command}: {name}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

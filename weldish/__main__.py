"""``python -m weldish ...``: the CLI, or an unmodified script run with weldish.

    python -m weldish [--report] script.py [args]

runs ``script.py`` with its ``import numpy`` / ``import pandas`` served by
``weldish.numpy`` / ``weldish.pandas`` (libraries keep the real ones: only imports from
code outside the installed packages are redirected). ``--report`` prints to stderr at exit
which calls ran lazily/compiled and which fell back to NumPy/pandas, with their seconds.
"""
import sys


def _user_code(globals_) -> bool:
    """Is the importing module the user's (not the standard library, an installed package
    or weldish itself)?"""
    import os
    import sysconfig
    name = (globals_ or {}).get("__name__") or ""
    if name == "weldish" or name.startswith("weldish."):  # weldish.ir, .backends too
        return False
    f = (globals_ or {}).get("__file__")
    if not f:
        return (globals_ or {}).get("__name__") == "__main__"
    f = os.path.realpath(f)
    here = os.path.dirname(os.path.realpath(__file__))
    roots = {here} | {os.path.realpath(p) for k in ("stdlib", "platstdlib", "purelib",
                                                    "platlib")
                      if (p := sysconfig.get_paths().get(k))}
    return not any(f == r or f.startswith(r + os.sep) for r in roots)


def install_import_hook():
    """Serve ``numpy``/``pandas`` imports of user code from weldish."""
    import builtins
    import importlib
    served = {"numpy": "weldish.numpy", "pandas": "weldish.pandas"}
    real_import = builtins.__import__
    cache = {}

    def weldish_import(name, globals=None, locals=None, fromlist=(), level=0):
        top = name.partition(".")[0]
        if level == 0 and top in served and _user_code(globals):
            module = real_import(name, globals, locals, fromlist, level)  # real submodules
            if top not in cache:
                cache[top] = importlib.import_module(served[top])
            if fromlist or "." not in name:
                if "." in name:  # from numpy.linalg import norm: the real submodule
                    return module
                return cache[top]
            return cache[top]
        return real_import(name, globals, locals, fromlist, level)
    builtins.__import__ = weldish_import


def report() -> str:
    """Calls that ran lazily (weldish.pandas) and evaluations, then the fallbacks."""
    from .fallback import LOG
    lines = ["== weldish report: lazy/compiled calls",
             f"{'call':<44} {'count':>7} {'seconds':>9}"]
    try:
        from .pandas._common import COMPILED, COMPILED_SECONDS
        for name, n in COMPILED.most_common():
            lines.append(f"{name:<44} {n:>7} {COMPILED_SECONDS[name]:>9.4f}")
    except ImportError:
        pass
    lines.append(f"{'graph evaluations (compiled kernels)':<44} {_EVALS['n']:>7} "
                 f"{_EVALS['s']:>9.4f}")
    lines += ["== fallbacks to NumPy/pandas", LOG.report()]
    return "\n".join(lines)


_EVALS = {"n": 0, "s": 0.0}


def _time_evaluations():
    import importlib
    import time
    ev = importlib.import_module("weldish.evaluate")  # the module (the package exports
    run = ev.run_nodes                                 # a function of the same name)

    def timed(*a, **k):
        t0 = time.perf_counter()
        try:
            return run(*a, **k)
        finally:
            _EVALS["n"] += 1
            _EVALS["s"] += time.perf_counter() - t0
    ev.run_nodes = timed


def run_script(argv) -> int:
    import atexit
    import os
    import runpy
    show = argv[0] == "--report"
    if show:
        argv = argv[1:]
    path = argv[0]
    if not os.path.isfile(path):  # what plain Python says and returns
        print(f"{sys.executable}: can't open file {os.path.abspath(path)!r}: [Errno 2] "
              "No such file or directory", file=sys.stderr)
        return 2
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    if show:
        _time_evaluations()
        atexit.register(lambda: print(report(), file=sys.stderr))
    install_import_hook()
    runpy.run_path(os.path.abspath(path), run_name="__main__")  # as python does
    return 0


def _is_script(argv) -> bool:
    args = argv[1:] if argv and argv[0] == "--report" else argv
    return bool(args) and args[0].endswith(".py")


if __name__ == "__main__":
    if _is_script(sys.argv[1:]):
        sys.exit(run_script(sys.argv[1:]))
    from .cli import main
    sys.exit(main())

"""Session settings: kernels the tests compile go to a disk cache of their own, unless the
caller chose one with WELDISH_CACHE_DIR (CI shares one directory between its two runs, so
the second run loads its kernels from disk: the suite passes with the cache cold and warm).
The suite runs on pytest-xdist workers (``-n auto`` in pyproject.toml); the workers inherit
the cache directory chosen here by the controller, so they share one disk cache."""
import atexit
import os
import shutil
import tempfile

if "WELDISH_CACHE_DIR" not in os.environ:
    _dir = tempfile.mkdtemp(prefix="weldish-test-kernels-")
    os.environ["WELDISH_CACHE_DIR"] = _dir
    atexit.register(shutil.rmtree, _dir, ignore_errors=True)

# loaded pipelines record their runs: the suite's go to a store of its own, never the user's
if "WELDISH_TRACKING_DB" not in os.environ:
    _db_dir = tempfile.mkdtemp(prefix="weldish-test-runs-")
    os.environ["WELDISH_TRACKING_DB"] = os.path.join(_db_dir, "runs.sqlite")
    atexit.register(shutil.rmtree, _db_dir, ignore_errors=True)

_COUNTS = [0, 0, 0]  # kernels compiled, loaded from disk, disk entries rejected


def _llvm_counts():
    from weldish import backends
    llvm = backends.BACKENDS.get("llvm")
    if llvm is None or llvm._jit is None:
        return (0, 0, 0)
    jits = llvm._retired + [llvm._jit]
    return (sum(j.compiled for j in jits), sum(j.disk.hits for j in jits),
            sum(j.disk.rejected for j in jits))


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: report to the controller
        workeroutput["weldish_kernels"] = _llvm_counts()


def pytest_testnodedown(node, error):
    for i, n in enumerate(getattr(node, "workeroutput", {}).get("weldish_kernels", ())):
        _COUNTS[i] += n


def pytest_terminal_summary(terminalreporter):
    """How the llvm backend got its kernels in this run (CI: cold run, then warm run)."""
    compiled, loaded, rejected = (a + b for a, b in zip(_COUNTS, _llvm_counts()))
    if compiled or loaded:
        terminalreporter.write_line(
            f"weldish llvm kernels: {compiled} compiled, {loaded} loaded from the disk cache "
            f"({rejected} entries rejected) [{os.environ['WELDISH_CACHE_DIR']}]")

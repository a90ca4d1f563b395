"""Session settings: kernels the tests compile go to a disk cache of their own, unless the
caller chose one with WELDISH_CACHE_DIR (CI shares one directory between its two runs, so
the second run loads its kernels from disk: the suite passes with the cache cold and warm)."""
import atexit
import os
import shutil
import tempfile

if "WELDISH_CACHE_DIR" not in os.environ:
    _dir = tempfile.mkdtemp(prefix="weldish-test-kernels-")
    os.environ["WELDISH_CACHE_DIR"] = _dir
    atexit.register(shutil.rmtree, _dir, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    """How the llvm backend got its kernels in this run (CI: cold run, then warm run)."""
    from weldish import backends
    llvm = backends.BACKENDS.get("llvm")
    if llvm is None or llvm._jit is None:
        return
    jits = llvm._retired + [llvm._jit]
    compiled = sum(j.compiled for j in jits)
    loaded = sum(j.disk.hits for j in jits)
    rejected = sum(j.disk.rejected for j in jits)
    terminalreporter.write_line(
        f"weldish llvm kernels: {compiled} compiled, {loaded} loaded from the disk cache "
        f"({rejected} entries rejected) [{os.environ['WELDISH_CACHE_DIR']}]")

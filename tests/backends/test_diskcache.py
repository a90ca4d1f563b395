"""The LLVM backend's disk cache of object code: a warm cache skips compilation (in this
process and in a new one), and an entry that is corrupt, truncated or written for another
key is detected and recompiled, never loaded."""
import os
import subprocess
import sys
import warnings

import numpy
import pytest

import weldish
import weldish.numpy as wnp
from weldish import backends
from weldish.testing import fresh_llvm

pytestmark = pytest.mark.skipif("llvm" not in backends.available(), reason="no llvmlite")
RNG = numpy.random.default_rng(3)
A, B = RNG.standard_normal(1000), RNG.standard_normal((10, 100))


def pipeline(xp, a, b):
    """Two loops (two iteration spaces): two kernels."""
    return xp.exp(a) * 2.0 - 1.0, ((b - 1.0) ** 2).sum(axis=1)


def expected():
    return pipeline(numpy, A, B)


def run_pipeline():
    with weldish.config(backend="llvm"):
        return weldish.evaluate(*pipeline(wnp, wnp.asarray(A), wnp.asarray(B)))


def check(values):
    want = expected()
    numpy.testing.assert_allclose(values[0], want[0], rtol=1e-13, atol=1e-14)
    numpy.testing.assert_allclose(values[1], want[1], rtol=1e-12)


@pytest.fixture
def cache(tmp_path):
    yield tmp_path
    fresh_llvm()  # back to the session's cache for the tests that follow


def entries(directory):
    return sorted(p for p in directory.rglob("*.o"))


def test_cold_then_warm_in_process(cache):
    jit = fresh_llvm(cache)
    check(run_pipeline())
    assert jit.compiled == 2 and jit.disk.hits == 0
    assert len(entries(cache)) == 2
    jit = fresh_llvm(cache)  # a new engine: nothing in memory, everything on disk
    check(run_pipeline())
    assert jit.compiled == 0 and jit.disk.hits == 2


@pytest.mark.parametrize("damage", ["flip a byte of the code", "truncate", "other key",
                                    "empty file", "garbage"])
def test_untrustworthy_entries_are_recompiled(cache, damage):
    fresh_llvm(cache)
    check(run_pipeline())
    files = entries(cache)
    blobs = [f.read_bytes() for f in files]
    for f, blob in zip(files, blobs):
        if damage == "flip a byte of the code":
            i = len(blob) - 100
            f.write_bytes(blob[:i] + bytes([blob[i] ^ 0x40]) + blob[i + 1:])
        elif damage == "truncate":
            f.write_bytes(blob[:len(blob) // 2])
        elif damage == "other key":  # a valid entry of another kernel under this name
            f.write_bytes(blobs[1 - files.index(f)])
        elif damage == "empty file":
            f.write_bytes(b"")
        else:
            f.write_bytes(os.urandom(len(blob)))
    jit = fresh_llvm(cache)
    check(run_pipeline())
    assert jit.disk.hits == 0 and jit.disk.rejected == 2 and jit.compiled == 2
    assert [f.read_bytes() for f in entries(cache)] == blobs  # rewritten, valid again


def test_unwritable_directory_warns_once_and_keeps_kernels_in_memory(cache):
    blocker = cache / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    jit = fresh_llvm(blocker / "kernels")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        check(run_pipeline())
        check(run_pipeline())
    assert sum("cannot write the kernel cache" in str(m.message) for m in w) == 1
    assert jit.compiled == 2


def test_disabled_by_environment(monkeypatch, cache):
    monkeypatch.setenv("WELDISH_CACHE_DIR", "none")
    jit = fresh_llvm()
    check(run_pipeline())
    assert jit.disk.directory is None and jit.compiled == 2


SCRIPT = """
import numpy, weldish, weldish.numpy as wnp
from weldish import backends
a = numpy.linspace(-3, 3, 5000)
with weldish.config(backend="llvm"):
    r = weldish.evaluate(wnp.sin(wnp.asarray(a)) * 2 + wnp.asarray(a) ** 2)
assert numpy.allclose(r, numpy.sin(a) * 2 + a ** 2, rtol=1e-13)
jit = backends.BACKENDS["llvm"].jit
print(jit.compiled, jit.disk.hits)
"""


def test_a_new_process_with_a_warm_cache_compiles_nothing(tmp_path):
    env = dict(os.environ, WELDISH_CACHE_DIR=str(tmp_path))

    def run():
        out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        return int(out[0]), int(out[1])
    assert run() == (1, 0)   # cold: compiled and stored
    assert run() == (0, 1)   # warm: loaded from disk

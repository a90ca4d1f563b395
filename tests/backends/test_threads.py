"""Evaluations from several Python threads at once on the LLVM backend.

Each case runs in a child process: the bug this guards against crashed the process
(two threads making the engine at once on first use; the engine that lost the race was
freed with the code of the kernels it had compiled, which then ran from unmapped memory).
"""
import os
import subprocess
import sys
import textwrap

import pytest

from weldish import backends

pytestmark = pytest.mark.skipif("llvm" not in backends.available(), reason="no llvmlite")

CHILD = textwrap.dedent("""
    import threading, time, numpy as np, weldish, weldish.numpy as wnp
    weldish.config(backend="llvm", num_threads={threads})
    x = np.random.default_rng(0).random(200_000)
    errors, stop = [], threading.Event()

    def runner(i):
        try:
            while not stop.is_set():   # one kernel, compiled by whichever thread is first
                got = float(wnp.exp(wnp.asarray(x)).sum())
                assert abs(got - np.exp(x).sum()) <= 1e-9 * abs(got), got
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    k, t0 = 0, time.time()
    while time.time() - t0 < 3 or k < 12:   # meanwhile: kernels compiled and run, a new constant
        # each; at least 12 however slow the machine is (a loaded CI box)
        c = 1.0 + k * 1e-3
        got = float((wnp.sin(wnp.asarray(x[:1000])) * c + k).sum())
        want = (np.sin(x[:1000]) * c + k).sum()
        assert abs(got - want) <= 1e-9 * abs(want), (got, want)
        k += 1
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors
    print("compiled", k)
""")


@pytest.mark.parametrize("threads", [1, 2])
def test_compiling_while_other_threads_run_kernels(threads):
    env = dict(os.environ, WELDISH_CACHE_DIR="none", WELDISH_PARALLEL_THRESHOLD="1000")
    done = subprocess.run([sys.executable, "-c", CHILD.format(threads=threads)],
                          capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert int(done.stdout.split()[-1]) >= 12   # evaluations made while the others ran

"""weldish.hooks: events of evaluation in order, subscriptions, errors in hooks contained."""
import warnings

import numpy as np
import pytest

import weldish
import weldish.numpy as wnp
from weldish import backends
from weldish.lifecycle import hooks

LLVM = "llvm" in backends.available()


def pipeline(a):
    return ((wnp.asarray(a) - 0.5) ** 2).sum()


@pytest.fixture
def fresh_kernels(tmp_path):
    """The llvm backend with no kernels in memory and an empty disk cache of its own."""
    from weldish.testing import fresh_llvm
    jit = fresh_llvm(tmp_path)
    yield tmp_path, jit
    fresh_llvm()


@pytest.mark.skipif(not LLVM, reason="llvmlite not available")
def test_events_in_order_with_compile_cache_states(fresh_kernels):
    cache_dir, _ = fresh_kernels
    from weldish.testing import fresh_llvm
    a = np.linspace(0, 1, 257)
    with weldish.config(backend="llvm"), hooks.listen() as log:
        got = weldish.evaluate(pipeline(a))                   # compiled
        weldish.evaluate(pipeline(a))                         # prepared program: no compile
        fresh_llvm(cache_dir)
        weldish.evaluate(pipeline(a))                         # object code from disk
        weldish.evaluate(pipeline(a[:100]))                   # new size: kernel in memory
    assert got == pytest.approx(((a - 0.5) ** 2).sum(), rel=1e-12)
    names = [e.event for e in log]
    assert names == ["trace", "optimize", "compile", "execute",
                     "trace", "execute",
                     "trace", "optimize", "compile", "execute",
                     "trace", "optimize", "compile", "execute"]
    compiles = [e for e in log if e.event == "compile"]
    assert [c.cache for c in compiles] == ["miss", "disk", "memory"]
    assert compiles[0].seconds > 0 and compiles[2].seconds == 0.0
    trace, opt, _, execute = log[:4]
    assert (trace.roots, trace.inputs) == (1, 1) and trace.nodes >= 4
    assert opt.passes[:2] == ["simplify", "decompose"]
    assert opt.nodes_after <= opt.nodes_before and opt.backend == "llvm"
    assert execute.kind == "kernel" and execute.rows == 1 and execute.bytes == 8
    assert all(e.run is None for e in log)
    assert log == sorted(log, key=lambda e: e.time)


def test_interpreter_reports_one_program_step():
    a = np.arange(6.0).reshape(2, 3)
    with weldish.config(backend="interp"), hooks.listen(["execute", "trace"]) as log:
        got = weldish.evaluate(wnp.asarray(a) * 2 + 1)
    np.testing.assert_array_equal(got, a * 2 + 1)
    assert [e.event for e in log] == ["trace", "execute"]
    assert (log[1].kind, log[1].rows, log[1].bytes) == ("program", 2, 48)


def test_fallback_event():
    a = np.array([3.0, 1.0, 2.0])
    with hooks.listen("fallback") as log:
        got = weldish.evaluate(wnp.median(wnp.asarray(a) + 1))
    assert got == np.median(a + 1)
    assert [(e.function, e.reason) for e in log] == [("numpy.median",
                                                       "no lazy implementation")]


def test_raising_hook_warns_once_and_others_still_run():
    seen = []

    def broken(event):
        raise KeyError("boom")
    first = hooks.subscribe(broken)
    second = hooks.subscribe(lambda e: seen.append(e.event), events=("trace",))
    before = len(hooks.errors)
    try:
        a = np.arange(10.0)
        with pytest.warns(RuntimeWarning, match="raised on event .*KeyError"):
            got = [weldish.evaluate(wnp.asarray(a) + i) for i in range(3)]
        with warnings.catch_warnings():
            warnings.simplefilter("error")   # warned once: the next errors are quiet
            weldish.evaluate(wnp.asarray(a) - 1)
    finally:
        hooks.unsubscribe(first)
        hooks.unsubscribe(second)
    for i, g in enumerate(got):
        np.testing.assert_array_equal(g, a + i)
    assert seen == ["trace"] * 4
    assert len(hooks.errors) > before and hooks.errors[-1][0] is first
    assert first not in hooks.SUBSCRIBERS and second not in hooks.SUBSCRIBERS


def test_subscriptions():
    with pytest.raises(ValueError, match="unknown event"):
        hooks.subscribe(print, events=["trace", "compiled"])
    with pytest.raises(TypeError):
        hooks.subscribe("not callable")
    got = []
    h = hooks.subscribe(got.append, events="drift")
    hooks.emit("trace", nodes=1)
    hooks.emit("drift", column="x", psi=0.3)
    assert hooks.unsubscribe(h) and not hooks.unsubscribe(h)
    hooks.emit("drift", column="y", psi=0.1)
    assert [(e.event, e.column, e["psi"]) for e in got] == [("drift", "x", 0.3)]
    with pytest.raises(AttributeError, match="no field"):
        got[0].missing


def test_running_groups_events_and_reports_errors():
    with hooks.listen() as log:
        with hooks.running(name="p", version="1") as run:
            hooks.emit("execute", step="s")
            run.fields["rows_out"] = 7
            inner_run = hooks.current_run()
        with pytest.raises(ZeroDivisionError):
            with hooks.running(name="q"):
                1 / 0
    assert inner_run == run.id and hooks.current_run() is None
    start, step, end, start2, end2 = log
    assert (start.phase, end.phase, end.rows_out, end.error) == ("start", "end", 7, None)
    assert start.run == step.run == end.run == run.id
    assert end.seconds >= 0 and end.name == "p"
    assert start2.run == end2.run != run.id
    assert end2.error.startswith("ZeroDivisionError")


def test_artifact_lifecycle_events_in_order(tmp_path):
    def f(x):
        return wnp.sqrt(x) + 1.0
    x = np.arange(23.0)
    with hooks.listen() as log:
        weldish.export(f, (np.arange(40.0),), tmp_path / "f.weldish", name="f")
        pipe = weldish.load(tmp_path / "f.weldish")
        got = pipe(x)
    np.testing.assert_allclose(got, np.sqrt(x) + 1.0, rtol=1e-15)
    names = [e.event for e in log]
    assert names[:3] == ["export", "load", "run"]
    assert names[-1] == "run" and "compile" in names and "execute" in names
    start, end = log[2], log[-1]
    assert (start.phase, end.phase, start.name, end.name) == ("start", "end", "f", "f")
    assert all(e.run == start.run for e in log[2:])   # every step inside the call's run
    assert names.index("compile") < names.index("execute")
    assert end.rows_in == 23 and end.error is None
    assert log[0].path == log[1].path == str(tmp_path / "f.weldish")


def test_runs_only_subscriber_sees_only_events_inside_runs():
    got = []
    h = hooks.subscribe(got.append, events=("execute", "run"), runs_only=True)
    try:
        a = np.arange(8.0)
        weldish.evaluate(wnp.asarray(a) * 3.0)            # outside a run: not reported
        assert got == [] and not hooks.wants("execute")
        with hooks.running(kind="job") as run:
            assert hooks.wants("execute")
            np.testing.assert_array_equal(weldish.evaluate(wnp.asarray(a) * 3.0), a * 3.0)
    finally:
        hooks.unsubscribe(h)
    assert [e.event for e in got] == ["run", "execute", "run"]
    assert {e.run for e in got} == {run.id}


def test_weldish_function_traces_once_per_signature():
    @weldish.function
    def sqdiff(a, b):
        return ((a - b) ** 2).sum()
    a, b = np.arange(10.0), np.ones(10)
    with hooks.listen(("trace", "execute")) as log:
        first, again = sqdiff(a, b), sqdiff(a, b)
        sqdiff(a[:5], b[:5])
    assert first == again == ((a - b) ** 2).sum()
    assert [e.event for e in log] == ["trace", "execute", "execute", "trace", "execute"]

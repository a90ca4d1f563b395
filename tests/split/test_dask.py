"""The Dask executor (``weldish.evaluate(x, scheduler=client)``) on a two-process
LocalCluster: annotated pipelines equal the local executor's (exactly) and eager NumPy's,
a piece that raises names its range, a worker killed mid-computation changes nothing, and
what is sent to a worker is a versioned JSON stage document plus the user's functions."""
from __future__ import annotations

import json
import os
import signal
import sys

import numpy as np
import pytest

import weldish
import weldish.numpy as wnp
from weldish.annotate import ArraySplit, Broadcast, Generic, Mut, Reduce
from weldish.ir import serialize

exp = weldish.annotate(ArraySplit(), out=Mut(ArraySplit()), returns=ArraySplit())(np.exp)
log = weldish.annotate(ArraySplit(), returns=ArraySplit())(np.log)
add = weldish.annotate(Generic("A"), Generic("A"), returns=Generic("A"))(np.add)
total = weldish.annotate(ArraySplit(), returns=Reduce("sum"))(np.sum)
lowest = weldish.annotate(ArraySplit(), returns=Reduce("min"))(np.min)
highest = weldish.annotate(ArraySplit(), returns=Reduce("max"))(np.max)
power = weldish.annotate(ArraySplit(), Broadcast(), returns=ArraySplit())(np.power)


def row_norm(m):
    return np.sqrt((m * m).sum(axis=1))


def col_scale(m, w):
    return m * w[:, None]


norm_rows = weldish.annotate(ArraySplit(0), returns=ArraySplit(0))(row_norm)
scale_cols = weldish.annotate(ArraySplit(1), Broadcast(), returns=ArraySplit(1))(col_scale)


def fragile(x):
    if (x > 0.999).any():
        raise FloatingPointError("value out of range")
    return x * 2


def twice_dying_once(x, marker):
    """x * 2; on a Dask worker, the first call (no marker file yet) kills its process."""
    try:
        from distributed import get_worker
        get_worker()
    except ValueError:          # not on a worker: the probe at the call, or the local run
        return x * 2
    if not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return x * 2


safe = weldish.annotate(ArraySplit(), returns=ArraySplit())(fragile)
dying = weldish.annotate(ArraySplit(), returns=ArraySplit())(twice_dying_once)

N = 100_003          # pieces of 4096: 24 full ones and one of 1707, over several tasks
PIECE = 4096
rng = np.random.default_rng(7)
X = rng.random(N) + 0.1
Y = rng.random(N)
M = rng.standard_normal((N, 5))


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    import cloudpickle
    # this module is imported by pytest, not importable on the workers: its functions
    # travel by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    cluster = distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                       dashboard_address=None, silence_logs=50)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.fixture(autouse=True)
def small_pieces():
    with weldish.config(split_piece=PIECE):
        yield


def both(make, client):
    """(local executor's values, Dask executor's values) of the lazy arrays ``make()``
    returns, each from a fresh graph."""
    def values(scheduler):
        out = weldish.evaluate(*make(), scheduler=scheduler)
        return out if isinstance(out, tuple) else (out,)
    return values("local"), values(client)


def same(local, remote, expected, rtol=1e-12):
    for lv, rv, ev in zip(local, remote, expected):
        np.testing.assert_array_equal(rv, lv, strict=True)     # the local executor's, exactly
        np.testing.assert_allclose(rv, ev, rtol=rtol, atol=0)  # NumPy's
        assert rv.dtype == np.asarray(ev).dtype and rv.shape == np.shape(ev)


# --- values ---------------------------------------------------------------------------------
def test_chain_of_calls_and_lazy_numpy(client):
    def make():
        x, y = wnp.asarray(X), wnp.asarray(Y)
        a = log(add(exp(x), y))
        return a, exp(x) * 2 + wnp.sqrt(y), log(x * 3 - 0.1) + y, power(a, 3)
    local, remote = both(make, client)
    same(local, remote, [np.log(np.add(np.exp(X), Y)), np.exp(X) * 2 + np.sqrt(Y),
                         np.log(X * 3 - 0.1) + Y, np.power(np.log(np.add(np.exp(X), Y)), 3)])


def test_the_clients_backend_runs_on_the_workers(client):
    def make():
        x = wnp.asarray(X)
        return log(exp(x) * 2 + 1) - x, total(wnp.sqrt(x))
    with weldish.config(backend="interp"):
        local, remote = both(make, client)
    same(local, remote, [np.log(np.exp(X) * 2 + 1) - X, np.sum(np.sqrt(X))])


def test_reductions_merge_in_piece_order(client):
    def make():
        d = exp(wnp.asarray(X)) - wnp.asarray(Y)
        return total(d), lowest(d), highest(d)
    local, remote = both(make, client)
    d = np.exp(X) - Y
    same(local, remote, [np.sum(d), np.min(d), np.max(d)])
    for _ in range(2):   # the same value every run
        np.testing.assert_array_equal(both(make, client)[1][0], remote[0], strict=True)


def test_reduction_then_broadcast_over_two_stages(client):
    def make():
        e = exp(wnp.asarray(X))
        return (log(e / total(e)),)
    local, remote = both(make, client)
    same(local, remote, [np.log(np.exp(X) / np.sum(np.exp(X)))])


def test_two_dimensional_along_axis_0_and_1(client):
    w = rng.random(5)

    def make():
        m = wnp.asarray(M)
        return norm_rows(m * 2), scale_cols(m.T, w) + 1
    local, remote = both(make, client)
    same(local, remote, [row_norm(M * 2), col_scale(M.T, w) + 1])


def test_float32_in_place_output_and_non_contiguous_input(client):
    x32 = X.astype(np.float32)
    big = rng.random((N, 3))

    def make():
        out = wnp.zeros(N)
        ret = exp(wnp.asarray(big[:, 1]) + 1, out=out)
        assert ret is out
        return exp(wnp.asarray(x32)) * 2.0 + 1, out
    local, remote = both(make, client)
    same(local, remote, [np.exp(x32) * 2.0 + 1, np.exp(big[:, 1] + 1)], rtol=1e-6)


def test_config_scheduler_applies_to_implicit_evaluation(client):
    expected = np.asarray(log(exp(wnp.asarray(X)) + 1))
    with weldish.config(scheduler=client):
        assert weldish.config.current()["scheduler"] is client
        got = np.asarray(log(exp(wnp.asarray(X)) + 1))
    assert weldish.config.current()["scheduler"] == "local"
    np.testing.assert_array_equal(got, expected, strict=True)


def test_dask_means_the_default_client(client):
    expected = np.asarray(total(exp(wnp.asarray(X))))
    got = weldish.evaluate(total(exp(wnp.asarray(X))), scheduler="dask")
    np.testing.assert_array_equal(got, expected, strict=True)


# --- errors and faults ----------------------------------------------------------------------
def test_a_piece_that_raises_names_its_range(client):
    x = np.linspace(0, 1, N)
    with pytest.raises(FloatingPointError) as local:
        weldish.evaluate(safe(wnp.asarray(x)) + 1)
    with pytest.raises(FloatingPointError, match=r"piece \[\d+, 100003\)") as remote:
        weldish.evaluate(safe(wnp.asarray(x)) + 1, scheduler=client)
    assert str(remote.value) == str(local.value)   # the same piece, the same range


def test_numpy_errstate_reaches_the_workers(client):
    x = wnp.asarray(np.linspace(-1, 1, N))
    with np.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError, match=r"piece \["):
            weldish.evaluate(log(x) + 1, scheduler=client)


def test_a_worker_killed_mid_computation_changes_nothing(client, tmp_path):
    marker = str(tmp_path / "killed-once")
    before = set(client.scheduler_info()["workers"])

    def make():
        y = dying(exp(wnp.asarray(X)), marker)
        return y + 1, total(y)
    local = weldish.evaluate(*make())
    assert not os.path.exists(marker)
    remote = weldish.evaluate(*make(), scheduler=client)
    assert os.path.exists(marker)          # a worker did die
    same(local, remote, [np.exp(X) * 2 + 1, np.sum(np.exp(X) * 2)])
    client.wait_for_workers(2, timeout=30)  # the nanny restarted it
    assert set(client.scheduler_info()["workers"]) != before


def test_scheduler_errors_without_dask(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)   # `import distributed` fails
    x = log(exp(wnp.asarray(X)))
    with pytest.raises(ImportError, match=r"pip install 'dask\[distributed\]'"):
        weldish.evaluate(x, scheduler="dask")
    with pytest.raises(ImportError, match=r"pip install 'dask\[distributed\]'"):
        weldish.config(scheduler="dask")
    with pytest.raises(ValueError, match="scheduler must be"):
        weldish.evaluate(x, scheduler="threads")
    np.testing.assert_allclose(weldish.evaluate(x), X, rtol=1e-12)  # nothing else changed


# --- what travels ---------------------------------------------------------------------------
def test_a_task_carries_json_and_the_user_functions_only():
    from weldish.split import plan
    from weldish.split.distributed_exec import load_stage, run_task, stage_document
    x = wnp.asarray(X)
    y = power(exp(x) * 2, 2) + wnp.asarray(Y)
    s = total(y)
    stage, = plan([y.node, s.node]).stages
    text, objects, slots = stage_document(stage, 1000)
    doc = json.loads(text)
    assert doc["format"] == "weldish-stage" and doc["graph"]["version"] == serialize.VERSION
    assert {o.__name__ for o in objects} == {"exp", "power", "sum"}   # the functions only
    call = next(c for c in doc["calls"] if c["name"] == "power")
    assert call["layout"][1] == [1, "const", {"value": 2}]           # a constant as JSON
    # the loaded stage on a piece computes what the local executor computes on it
    values = {n: dict(n.arg)["buffer"].data for n in stage.inputs}
    arrays = [values[s][:1000] if a is not None else values[s] for s, a in slots]
    cloudpickle = pytest.importorskip("cloudpickle")   # (comes with dask.distributed)
    outs, parts = run_task(text, cloudpickle.dumps(objects), 0, 256, weldish.config.current()["backend"],
                           np.geterr(), *arrays)
    np.testing.assert_allclose(outs[0], np.power(np.exp(X[:1000]) * 2, 2) + Y[:1000],
                               rtol=1e-12)
    assert len(parts[0]) == 4          # one result per piece of 256, merged on the client
    loaded, _ = load_stage(text, objects, arrays)
    assert [m.op for m in loaded.members] == [m.op for m in stage.members]
    doc["version"] += 1
    with pytest.raises(serialize.GraphFormatError, match="newer"):
        load_stage(json.dumps(doc), objects, arrays)


def test_a_graph_with_calls_needs_its_codec():
    from weldish.split.distributed_exec import Codec
    y = exp(wnp.asarray(X)) + 1
    codec = Codec()
    text = serialize.dumps([y.node], codec=codec)
    with pytest.raises(TypeError, match="cannot serialize"):
        serialize.dumps([y.node])
    with pytest.raises(serialize.GraphFormatError, match="codec"):
        serialize.loads(text, [X])
    (loaded,) = serialize.loads(text, [X], codec=Codec(codec.objects, codec.calls))
    assert loaded.src[0].op is y.node.src[0].op

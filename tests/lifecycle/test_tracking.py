"""weldish.lifecycle.tracking: runs in a SQLite store, concurrent writers, lineage."""
import os
import subprocess
import sys
import threading
import types

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import weldish
import weldish.numpy as wnp
from weldish.lifecycle import hooks, tracking


@pytest.fixture
def tracker(tmp_path):
    t = tracking.enable(tmp_path / "runs.sqlite")
    yield t
    tracking.disable()
    assert not hooks.SUBSCRIBERS and not weldish.config.current()["track"]


def test_eight_threads_eight_rows(tracker):
    results, errors = {}, []

    def work(i):
        try:
            a = np.arange(50.0) + i
            with tracking.track(name="score", version=2, inputs=[a], labels=["a"]) as run:
                out = weldish.evaluate(wnp.asarray(a) * 2.0)
                tracking.outputs(run, [out], ["y"])
            results[i] = (run.id, out)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i, (_, out) in results.items():
        np.testing.assert_array_equal(out, (np.arange(50.0) + i) * 2.0)
    rows = tracker.store.runs(limit=100)
    assert len(rows) == 8 == tracker.recorded
    assert {r["id"] for r in rows} == {run_id for run_id, _ in results.values()}
    for r in rows:
        assert (r["kind"], r["name"], r["version"], r["status"]) == ("pipeline", "score",
                                                                      "2", "ok")
        assert (r["rows_in"], r["bytes_in"], r["rows_out"], r["bytes_out"]) == (50, 400,
                                                                                 50, 400)
        assert r["steps"] >= 1 and r["seconds"] >= r["execute_seconds"] >= 0
    # each run's output was made from its own input
    for i, (run_id, out) in results.items():
        (made,) = tracking.lineage(tracking.fingerprint(out))
        assert made["id"] == run_id
        assert made["inputs"][0]["fingerprint"] == tracking.fingerprint(np.arange(50.0) + i)


WRITER = """
import os, sys, time
from weldish.lifecycle.tracking import Store
store = Store(sys.argv[1], timeout=60)
tag = sys.argv[2]
open(sys.argv[1] + ".ready-" + tag, "w").close()
while not all(os.path.exists(sys.argv[1] + ".ready-" + t) for t in "ab"):
    time.sleep(0.001)   # both writers start together: their transactions interleave
for i in range(200):
    store.record({"id": f"{tag}-{i}", "kind": "test", "started": float(i)},
                 outputs=[{"fingerprint": f"{tag}{i}", "rows": i, "bytes": 8 * i}])
"""


def test_two_processes_lose_nothing(tmp_path):
    db = tmp_path / "shared.sqlite"
    tracking.Store(db)  # the schema exists before the writers race
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), tag])
             for tag in "ab"]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    store = tracking.Store(db)
    assert store.count() == 400
    assert store.get("b-199")["outputs"] == [{"label": None, "fingerprint": "b199",
                                              "rows": 199, "bytes": 1592}]
    assert store._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_evaluate_runs_lineage_and_nesting(tracker):
    a = np.linspace(0.0, 1.0, 16)
    with weldish.config(track=True):
        b = weldish.evaluate(wnp.asarray(a) * 3.0)         # run 1: a -> b
        c = weldish.evaluate(wnp.sin(wnp.asarray(b)))       # run 2: b -> c
    weldish.evaluate(wnp.asarray(a) + 1.0)                  # not tracked
    with hooks.running(kind="job", name="batches") as outer:  # one row, two folded in
        for part in (a[:8], a[8:]):
            with tracking.track(name="inner", inputs=[part]):
                weldish.evaluate(wnp.asarray(part) - 1.0)
    rows = tracker.store.runs()
    assert [r["kind"] for r in rows] == ["job", "evaluate", "evaluate"]
    job = rows[0]
    assert (job["id"], job["nested"], job["steps"]) == (outer.id, 2, 2)
    assert rows[1]["fingerprint"] != rows[2]["fingerprint"]
    (made,) = tracking.lineage(tracking.fingerprint(c))
    assert made["id"] == rows[1]["id"]
    (source,) = made["inputs"]
    assert source["fingerprint"] == tracking.fingerprint(b)
    assert source["upstream"][0]["id"] == rows[2]["id"]
    assert source["upstream"][0]["inputs"][0]["fingerprint"] == tracking.fingerprint(a)
    assert tracking.lineage("0" * 32) == []


def test_failed_run_and_pipeline_fields(tracker):
    with pytest.raises(ValueError):
        with hooks.running(pipeline="p", version="3", fingerprint="abc", path="p.weldish",
                           inputs={"x": "f1"}):
            raise ValueError("bad input")
    with hooks.running(pipeline="p", version="3", rows_in=4,
                       outputs=["f2", "f3"], drift=["x:psi"]):
        pass
    ok, failed = tracker.store.runs()
    assert (failed["status"], failed["kind"], failed["name"]) == ("error", "pipeline", "p")
    assert failed["error"] == "ValueError: bad input"
    assert failed["details"] == {"path": "p.weldish"}
    assert tracker.store.get(failed["id"][:10])["inputs"][0]["fingerprint"] == "f1"
    assert ok["rows_in"] == 4 and ok["details"] == {"drift": ["x:psi"]}
    assert [e["fingerprint"] for e in tracker.store.get(ok["id"])["outputs"]] == ["f2", "f3"]
    with pytest.raises(KeyError, match="no tracked run"):
        tracker.store.get("zzz")


def test_fingerprints():
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    fp = tracking.fingerprint
    assert fp(a) == fp(a.copy()) == fp(np.asfortranarray(a))
    assert len({fp(a), fp(a.astype(np.int32)), fp(a.reshape(4, 3)), fp(a + 1)}) == 4
    df = pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]})
    assert fp(df) == fp(df.copy()) != fp(df.rename(columns={"x": "z"}))
    t = pa.table({"x": [1, 2, 3]})
    assert fp(t) == fp(pa.table({"x": [1, 2, 3]})) != fp(pa.table({"x": [1, 2, 4]}))
    assert tracking.describe([a], ["a"]) == [{"label": "a", "fingerprint": fp(a), "rows": 3,
                                              "bytes": 96}]


def test_default_path(monkeypatch, tmp_path):
    monkeypatch.delenv("WELDISH_TRACKING_DB", raising=False)
    monkeypatch.setenv("WELDISH_HOME", str(tmp_path))
    assert tracking.default_path() == tmp_path / "runs.sqlite"
    monkeypatch.setenv("WELDISH_TRACKING_DB", str(tmp_path / "x.db"))
    assert tracking.default_path() == tmp_path / "x.db"
    monkeypatch.setenv("WELDISH_TRACKING", "off")
    assert tracking.ensure() is None


def test_mlflow_forwarding(monkeypatch, tmp_path):
    calls = []
    fake = types.ModuleType("mlflow")

    class _Run:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False
    fake.start_run = lambda run_name: calls.append(("run", run_name)) or _Run()
    fake.log_params = lambda p: calls.append(("params", p))
    fake.log_metrics = lambda m: calls.append(("metrics", m))
    fake.log_dict = lambda d, name: calls.append(("artifact", name, d["outputs"]))
    monkeypatch.setitem(sys.modules, "mlflow", fake)
    tracking.enable(tmp_path / "runs.sqlite", mlflow=True)
    try:
        with tracking.track(name="m", version="1") as run:
            tracking.outputs(run, [np.ones(3)])
    finally:
        tracking.disable()
    kinds = [c[0] for c in calls]
    assert kinds == ["run", "params", "metrics", "artifact"]
    assert calls[1][1] == {"kind": "pipeline", "name": "m", "version": "1"}
    assert calls[2][1]["rows_out"] == 3.0 and calls[3][1] == "weldish_run.json"
    assert calls[3][2][0]["fingerprint"] == tracking.fingerprint(np.ones(3))
    assert os.path.exists(tmp_path / "runs.sqlite")


def test_loaded_pipeline_from_eight_threads(tracker, tmp_path):
    def f(x, df):
        return x * df["w"] - df["b"]
    rng = np.random.default_rng(3)
    example = pd.DataFrame({"w": rng.random(30), "b": rng.random(30)})
    weldish.export(f, (rng.random(30), example), tmp_path / "f.weldish", name="f",
                   version="7")
    pipe = weldish.load(tmp_path / "f.weldish")
    inputs = [(rng.random(40 + i), pd.DataFrame({"w": rng.random(40 + i),
                                                  "b": rng.random(40 + i)}))
              for i in range(8)]
    results = [None] * 8

    def work(i):
        results[i] = pipe(*inputs[i])
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (x, df), got in zip(inputs, results):
        np.testing.assert_allclose(got, x * df["w"].to_numpy() - df["b"].to_numpy(),
                                   rtol=1e-15)
    rows = tracker.store.runs(limit=100)
    assert len(rows) == 8
    assert {(r["kind"], r["name"], r["version"], r["status"]) for r in rows} == {
        ("pipeline", "f", "7", "ok")}
    assert sorted(r["rows_in"] for r in rows) == list(range(40, 48))
    assert {r["fingerprint"] for r in rows} == {pipe.fingerprint}
    for (x, _), got in zip(inputs, results):
        (made,) = tracking.lineage(tracking.fingerprint(got))
        assert made["rows_in"] == len(x)
        assert tracking.fingerprint(x) in {e["fingerprint"] for e in made["inputs"]}

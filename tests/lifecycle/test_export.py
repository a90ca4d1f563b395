"""weldish.export / weldish.load: artifacts that run anywhere, at any number of rows,
reject bad inputs and damaged files, and run safely from several threads."""
import json
import os
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pandas as pd
import pytest

import weldish
import weldish.numpy as wnp
from weldish.annotations import numpy as anp

RNG = np.random.default_rng(7)


def features(x, w):
    """NumPy pipeline: 2-d rows, a fixed weight vector, row-size slices, reductions."""
    z = wnp.tanh(x @ w) * 2.0 + 1.0
    step = x[1:, 0] - x[:-1, 0]
    return z, step.mean(), x.sum(axis=0)


def frame_pipeline(df):
    """pandas pipeline: columns in, a DataFrame out."""
    out = df.assign(total=df["price"] * df["qty"])
    out["big"] = wnp.where(out["total"] > 10.0, 1.0, 0.0)
    return out[["total", "big"]]


def mixed(x, df):
    """Arrays and a DataFrame sharing the rows."""
    return (x * df["qty"].to_numpy()[:, None]).sum(axis=1) + df["price"]


def filtered(df):
    """A boolean-mask filter: lengths that depend on the data."""
    keep = df["qty"] > 2
    sub = df[keep]
    return {"total": (sub["price"] * sub["qty"]).sum(), "rows": keep.sum(),
            "kept": sub["price"] * 2}


def _frame(n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"price": rng.uniform(1, 5, n), "qty": rng.integers(0, 6, n),
                         "label": ["a"] * n})


def _eager_frame(df):
    total = df["price"] * df["qty"]
    return pd.DataFrame({"total": total, "big": np.where(total > 10.0, 1.0, 0.0)})


def _export_all(tmp_path):
    x, w = RNG.normal(size=(40, 3)), RNG.normal(size=3)
    weldish.export(features, (x, w), tmp_path / "np.weldish", version="2")
    weldish.export(frame_pipeline, _frame(30, 1), tmp_path / "pd.weldish")
    weldish.export(mixed, (RNG.normal(size=(30, 2)), _frame(30, 2)), tmp_path / "mix.weldish")
    weldish.export(filtered, _frame(30, 3), tmp_path / "filter.weldish")
    return w


def test_numpy_pipeline_any_rows(tmp_path):
    w = _export_all(tmp_path)
    pipe = weldish.load(tmp_path / "np.weldish", monitor=False)
    assert isinstance(pipe, weldish.Pipeline)
    assert (pipe.name, pipe.version) == ("features", "2")
    assert str(pipe.signature) == ("(x: float64[n, 3], w: float64[3]) -> (float64[n], "
                                   "float64[], float64[3])")
    for n in (2, 41, 300):
        x = RNG.normal(size=(n, 3))
        z, m, s = pipe(x, w)
        np.testing.assert_allclose(z, np.tanh(x @ w) * 2.0 + 1.0, rtol=1e-12)
        np.testing.assert_allclose(m, (x[1:, 0] - x[:-1, 0]).mean(), rtol=1e-9)
        assert isinstance(m, np.float64)   # a 0-d result is a NumPy scalar, as in NumPy
        np.testing.assert_allclose(s, x.sum(axis=0), rtol=1e-12)
    text = pipe.explain(n=5)
    assert "signature: (x: float64[n, 3]" in text and "float64[5, 3]" in text
    assert "== profile" in text and pipe.profile["columns"]["x[0]"]["count"] == 40


def test_export_load_in_fresh_process(tmp_path):
    """NumPy, pandas and mixed pipelines loaded where their Python code is not."""
    w = _export_all(tmp_path)
    x, x2, df = RNG.normal(size=(77, 3)), RNG.normal(size=(55, 2)), _frame(55, 3)
    np.savez(tmp_path / "in.npz", x=x, w=w, x2=x2, price=df["price"].to_numpy(),
             qty=df["qty"].to_numpy())
    script = textwrap.dedent("""
        import sys, numpy as np, pandas as pd, weldish
        d = np.load("in.npz")
        df = pd.DataFrame({"price": d["price"], "qty": d["qty"]})
        z, m, s = weldish.load("np.weldish")(d["x"], d["w"])
        out = weldish.load("pd.weldish")(df)
        mix = weldish.load("mix.weldish")(d["x2"], df)
        f = weldish.load("filter.weldish")(df)
        np.savez("out.npz", z=z, m=m, s=s, total=out["total"].to_numpy(),
                 big=out["big"].to_numpy(), cols=np.array(list(out.columns)), mix=mix,
                 ftotal=f["total"], frows=f["rows"], fkept=f["kept"])
        print(sorted(k for k in sys.modules if k.startswith("test")))
    """)
    env = dict(os.environ, PYTHONPATH="")
    done = subprocess.run([sys.executable, "-c", script], check=False, cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"   # the defining module was never imported
    got = np.load(tmp_path / "out.npz")
    np.testing.assert_allclose(got["z"], np.tanh(x @ w) * 2.0 + 1.0, rtol=1e-12)
    np.testing.assert_allclose(got["m"], (x[1:, 0] - x[:-1, 0]).mean(), rtol=1e-9)
    np.testing.assert_allclose(got["s"], x.sum(axis=0), rtol=1e-12)
    expected = _eager_frame(df)
    assert list(got["cols"]) == ["total", "big"]
    np.testing.assert_allclose(got["total"], expected["total"], rtol=1e-12)
    np.testing.assert_array_equal(got["big"], expected["big"])
    np.testing.assert_allclose(got["mix"], (x2 * df["qty"].to_numpy()[:, None]).sum(axis=1)
                               + df["price"].to_numpy(), rtol=1e-12)
    sub = df[df["qty"] > 2]
    assert got["frows"] == len(sub) and got["fkept"].shape == (len(sub),)
    np.testing.assert_allclose(got["ftotal"], (sub["price"] * sub["qty"]).sum(), rtol=1e-12)
    np.testing.assert_allclose(got["fkept"], sub["price"] * 2)


def test_pandas_and_arrow_inputs(tmp_path):
    pa = pytest.importorskip("pyarrow")
    _export_all(tmp_path)
    pipe = weldish.load(tmp_path / "pd.weldish", monitor=False)
    assert [c for c, _ in pipe.signature.parameters[0]["columns"]] == ["price", "qty"]
    df = _frame(9, 4)
    pd.testing.assert_frame_equal(pipe(df), _eager_frame(df))
    pd.testing.assert_frame_equal(pipe(pa.Table.from_pandas(df)), _eager_frame(df))
    weldish.export(mixed, (RNG.normal(size=(20, 2)), pa.Table.from_pandas(_frame(20, 5))),
                   tmp_path / "arrow.weldish")
    x, df = RNG.normal(size=(6, 2)), _frame(6, 6)
    np.testing.assert_allclose(weldish.load(tmp_path / "arrow.weldish")(x, df),
                               (x * df["qty"].to_numpy()[:, None]).sum(axis=1) + df["price"])


def pandas_semantics(df):
    """pandas code where pandas and NumPy differ: NaN-skipping reductions, ddof=1, names,
    index labels of filtered rows."""
    clean = df["a"].fillna(0.0) * 2 + df["q"]
    kept = df[df["q"] > 1]
    return (clean, kept.assign(b=kept["a"].where(kept["q"] > 2, -1.0)),
            df["a"].sum(), df["a"].mean(), df["a"].std(), df["q"].var(), df["a"].count(),
            np.sqrt(df["a"].abs()))


def test_pandas_semantics_and_index(tmp_path):
    def frame(n, seed):
        rng = np.random.default_rng(seed)
        a = rng.normal(size=n)
        a[rng.random(n) < 0.2] = np.nan
        return pd.DataFrame({"a": a, "q": rng.integers(0, 5, n)},
                            index=pd.Index(np.arange(n) * 10 + 3, name="id"))
    weldish.export(pandas_semantics, frame(40, 0), tmp_path / "p.weldish")
    pipe = weldish.load(tmp_path / "p.weldish", monitor=False)
    for n in (3, 64):
        df = frame(n, n)
        got, expected = pipe(df), pandas_semantics(df)
        pd.testing.assert_series_equal(got[0], expected[0])
        pd.testing.assert_frame_equal(got[1], expected[1])
        for g, e in zip(got[2:7], expected[2:7]):
            assert type(g) is type(e) and np.isclose(g, e)
        pd.testing.assert_series_equal(got[7], expected[7])
    with pytest.raises(weldish.ExportError, match="Series.cumsum is not available"):
        weldish.export(lambda df: df["a"].cumsum(), frame(9, 0), tmp_path / "c.weldish")


def test_bad_inputs_rejected_with_the_signature(tmp_path):
    w = _export_all(tmp_path)
    pipe = weldish.load(tmp_path / "np.weldish", monitor=False)
    x = RNG.normal(size=(5, 3))
    with pytest.raises(TypeError, match=r"expected dtype float64 .*x: float64\[n, 3\].*got int64"):
        pipe(x.astype(np.int64), w)
    with pytest.raises(ValueError, match=r"expected a 2-d array .*got a 1-d array"):
        pipe(x[:, 0], w)
    with pytest.raises(ValueError, match=r"expected shape \[n, 3\].*got \[5, 4\]"):
        pipe(np.zeros((5, 4)), w)
    with pytest.raises(TypeError, match=r"missing a required argument: 'w'.*takes \(x:"):
        pipe(x)
    with pytest.raises(TypeError, match="too many positional arguments"):
        pipe(x, w, w)
    frame = weldish.load(tmp_path / "pd.weldish", monitor=False)
    with pytest.raises(KeyError, match=r"missing column\(s\) \['qty'\].*price: float64"):
        frame(pd.DataFrame({"price": [1.0]}))
    with pytest.raises(TypeError, match="column 'qty' has dtype float64.*int64"):
        frame(pd.DataFrame({"price": [1.0], "qty": [2.0]}))
    mix = weldish.load(tmp_path / "mix.weldish", monitor=False)
    with pytest.raises(ValueError, match=r"share their number of rows.*'x' has shape \[4, 2\]"):
        mix(np.zeros((4, 2)), _frame(3, 0))
    assert mix(x=np.zeros((3, 2)), df=_frame(3, 0)).shape == (3,)   # by name too


def test_damaged_artifacts_rejected(tmp_path):
    _export_all(tmp_path)
    path = tmp_path / "np.weldish"
    text = path.read_text()
    doc = json.loads(text)
    tampered = tmp_path / "tampered.weldish"
    doc["content"]["graph"]["nodes"][-1]["op"] = "subtract"
    tampered.write_text(json.dumps(doc))
    with pytest.raises(weldish.ArtifactError, match="checksum mismatch"):
        weldish.load(tampered)
    truncated = tmp_path / "truncated.weldish"
    truncated.write_text(text[: len(text) // 2])
    with pytest.raises(weldish.ArtifactError, match="truncated"):
        weldish.load(truncated)
    newer = tmp_path / "newer.weldish"
    doc = json.loads(text)
    doc["format_version"] = 99
    newer.write_text(json.dumps(doc))
    with pytest.raises(weldish.ArtifactError, match="format 99.*upgrade weldish"):
        weldish.load(newer)
    from weldish.lifecycle.artifact import digest
    doc = json.loads(text)   # a consistent checksum, a graph this weldish cannot read
    doc["content"]["graph"]["version"] = 9
    doc["sha256"] = digest(doc["content"])
    newer.write_text(json.dumps(doc))
    with pytest.raises(weldish.ArtifactError, match="graph format version 9 is newer"):
        weldish.load(newer)
    assert issubclass(weldish.ArtifactError, ValueError)


def test_refused_at_export(tmp_path):
    x = np.linspace(0.0, 1.0, 50)
    cases = [
        (lambda x: anp.exp(x) + 1, "annotated Python function.*allow_python"),
        (lambda x: x * float(x.max()), "evaluates a lazy value while traced"),
        (lambda x: wnp.unique(x), r"numpy.unique.*fallback"),
        (lambda x: x.reshape(-1, 2), "fails when traced with 257 rows"),
        (lambda x: wnp.concatenate([x, x[: len(x) // 2]]), "not of the form k \\* n \\+ c"),
        (lambda x: np.asarray(x) + 1, "not a lazy value"),
    ]
    for fn, message in cases:
        with pytest.raises(weldish.ExportError, match=message):
            weldish.export(fn, x, tmp_path / "bad.weldish")
    assert not (tmp_path / "bad.weldish").exists()


def test_allowed_python_function_imported_at_load(tmp_path):
    def fn(x):
        return anp.exp(x) * 2.0
    path = tmp_path / "py.weldish"
    weldish.export(fn, np.linspace(0.0, 1.0, 64), path,
                   allow_python=("weldish.annotations.numpy.exp",))
    with pytest.raises(weldish.ArtifactError, match=r"calls the Python function\(s\) "
                       r"\['weldish.annotations.numpy.exp'\].*nothing was imported"):
        weldish.load(path, allow_python=())
    pipe = weldish.load(path, monitor=False)
    assert "weldish.annotations.numpy.exp" in pipe.explain()
    x = np.linspace(-1.0, 2.0, 333)
    np.testing.assert_allclose(pipe(x), np.exp(x) * 2.0, rtol=1e-12)


def test_filters_size_what_follows(tmp_path):
    _export_all(tmp_path)
    pipe = weldish.load(tmp_path / "filter.weldish", monitor=False)
    assert str(pipe.signature) == (
        "(df: DataFrame[n]{price: float64, qty: int64}) -> {total: float64[], "
        "rows: int64[], kept: Series 'price' float64[count(mask0)]}")
    assert "== filters" in pipe.explain()
    for n in (1, 9, 200):
        df = _frame(n, n)
        sub = df[df["qty"] > 2]
        got = pipe(df)
        assert got["rows"] == len(sub)
        np.testing.assert_allclose(got["kept"], sub["price"] * 2)
    # every example row passes the filter: the sizes that follow it are still told
    # apart from the rows (by the graph: x + total is as long as x)
    def kept_all(x):
        return x + x[x > 0].sum(), x[x > 0] * 2
    weldish.export(kept_all, np.linspace(1.0, 2.0, 30), tmp_path / "all.weldish")
    pipe = weldish.load(tmp_path / "all.weldish", monitor=False)
    assert str(pipe.signature) == "(x: float64[n]) -> (float64[n], float64[count(mask0)])"
    x = np.linspace(-1.0, 1.0, 11)
    for got, expected in zip(pipe(x), kept_all(x)):
        np.testing.assert_allclose(got, expected)
    # a Series argument: pandas semantics and its index labels
    s = pd.Series([1.0, np.nan, 3.0, 4.0] * 10, name="v", index=np.arange(40) + 100)
    weldish.export(lambda s: s[s > 1] * 2 + s.sum(), s, tmp_path / "s.weldish")
    s2 = s.iloc[3:12]
    pd.testing.assert_series_equal(weldish.load(tmp_path / "s.weldish", monitor=False)(s2),
                                   s2[s2 > 1] * 2 + s2.sum())
    weldish.export(lambda x: x[x > 0][:-1], np.linspace(-1, 1, 40), tmp_path / "f.weldish")
    with pytest.raises(ValueError, match="too few.*its filters kept"):
        weldish.load(tmp_path / "f.weldish", monitor=False)(-np.ones(4))


def test_too_few_rows_for_a_fixed_slice(tmp_path):
    weldish.export(lambda x: x[:10] * 2, np.arange(40.0), tmp_path / "s.weldish")
    pipe = weldish.load(tmp_path / "s.weldish", monitor=False)
    np.testing.assert_array_equal(pipe(np.arange(12.0)), np.arange(10.0) * 2)
    with pytest.raises(ValueError, match="too few"):
        pipe(np.arange(5.0))


def test_threads_and_run_events(tmp_path):
    w = _export_all(tmp_path)
    pipe = weldish.load(tmp_path / "np.weldish", monitor=False)
    inputs = [RNG.normal(size=(50 + 7 * i, 3)) for i in range(8)]
    results, errors = [None] * 8, []
    barrier = threading.Barrier(8)

    def work(i):
        try:
            barrier.wait()
            results[i] = pipe(inputs[i], w)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    with weldish.hooks.listen(["run", "export", "load"]) as log:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        weldish.load(tmp_path / "np.weldish")
    assert not errors, errors
    for x, (z, m, s) in zip(inputs, results):
        np.testing.assert_allclose(z, np.tanh(x @ w) * 2.0 + 1.0, rtol=1e-12)
        np.testing.assert_allclose(s, x.sum(axis=0), rtol=1e-12)
    ends = [e for e in log if e.event == "run" and e.phase == "end"]
    assert len(ends) == 8 and len({e.run for e in ends}) == 8
    assert {e.fingerprint for e in ends} == {pipe.fingerprint}
    assert sorted(e.rows_in for e in ends) == [len(x) for x in inputs]
    assert all(e.error is None and [i["label"] for i in e.inputs] == ["x", "w"]
               and len(e.outputs) == 3 for e in ends)
    from weldish.lifecycle.tracking import fingerprint
    by_rows = {e.rows_in: e for e in ends}
    for x, (z, _, _) in zip(inputs, results):   # lineage: the very arrays in and out
        assert by_rows[len(x)].inputs[0]["fingerprint"] == fingerprint(x)
        assert by_rows[len(x)].outputs[0]["fingerprint"] == fingerprint(z)
    assert [e.event for e in log][-1] == "load"


def test_export_event_and_fingerprint(tmp_path):
    with weldish.hooks.listen(["export"]) as log, warnings.catch_warnings():
        warnings.simplefilter("error")
        fp = weldish.export(frame_pipeline, _frame(20, 0), tmp_path / "e.weldish",
                            name="orders", version="3.1")
    assert [(e.event, e.name, e.version, e.fingerprint) for e in log] == \
        [("export", "orders", "3.1", fp)]
    assert weldish.load(tmp_path / "e.weldish").fingerprint == fp

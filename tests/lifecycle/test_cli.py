"""The ``weldish`` command line end to end (subprocesses): run, inspect, explain, runs, demo."""
import io
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import weldish
import weldish.numpy as wnp
from weldish import cli
from weldish.lifecycle.console import Progress, table


def score(x, df):
    return wnp.exp(x * df["w"]) + df["b"], x * 2.0


def total(x):
    return x.sum()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(1)
    ex = pd.DataFrame({"w": rng.random(40), "b": rng.random(40)})
    weldish.export(score, (rng.random(40), ex), d / "score.weldish", name="score",
                   version="2")
    weldish.export(total, (rng.random(40),), d / "total.weldish", name="total")
    data = pd.DataFrame({"x": rng.random(250), "w": rng.random(250), "b": rng.random(250),
                         "unused": np.arange(250)})
    data.to_parquet(d / "in.parquet", row_group_size=64)
    data.to_csv(d / "in.csv", index=False)
    return d, data


def weldish_cli(*args, env_db, expect=0, path=None):
    env = dict(os.environ, WELDISH_TRACKING_DB=str(env_db))
    env.pop("WELDISH_TRACKING", None)
    if path is not None:
        env["PATH"] = path
    done = subprocess.run([sys.executable, "-m", "weldish", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=300,
                          cwd=os.path.dirname(env_db))
    assert done.returncode == expect, (done.stdout, done.stderr)
    return done


def expected(data):
    return np.exp(data.x * data.w) + data.b, data.x * 2.0


def in_process(*args, expect=0, capsys):
    """``weldish ARGS`` run in this process (cheaper than a subprocess): (stdout, stderr)."""
    assert cli.main([str(a) for a in args]) == expect
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_run_files_then_runs_table_show_and_lineage(files, monkeypatch, capsys):
    d, data = files
    db = d / "runs.sqlite"
    y0, y1 = expected(data)
    done = weldish_cli("run", d / "score.weldish", "--input", d / "in.parquet", "--output",
                       d / "out.parquet", "--batch-rows", 100, env_db=db)
    assert re.search(r"rows in / out\s+250 / 250", done.stdout)
    assert re.search(r"batches\s+3", done.stdout)
    ids = [re.search(r"run (\w+) recorded", done.stderr).group(1)]
    monkeypatch.setenv("WELDISH_TRACKING_DB", str(db))
    monkeypatch.delenv("WELDISH_TRACKING", raising=False)
    from weldish.lifecycle import tracking
    try:
        out, err = in_process("run", d / "score.weldish", "--input", d / "in.csv",
                              "--output", d / "out.csv", "--batch-rows", 100, capsys=capsys)
    finally:
        tracking.disable()
    assert re.search(r"batches\s+3", out)
    ids.append(re.search(r"run (\w+) recorded", err).group(1))
    for got in (pd.read_parquet(d / "out.parquet"), pd.read_csv(d / "out.csv")):
        assert list(got.columns) == ["out0", "out1"]
        np.testing.assert_allclose(got.out0, y0, rtol=1e-12)
        np.testing.assert_allclose(got.out1, y1, rtol=1e-15)
    listed = weldish_cli("runs", env_db=db).stdout
    assert "2 latest of 2 runs" in listed
    lines = [ln for ln in listed.splitlines() if ln.startswith(tuple(ids))]
    assert len(lines) == 2 and all("cli-run  score  2" in ln for ln in lines)
    shown, _ = in_process("runs", "show", ids[0], capsys=capsys)
    assert re.search(r"nested runs\s+3", shown) and re.search(r"status\s+ok", shown)
    assert "in.parquet" in shown and "out.parquet" in shown
    lineage, _ = in_process("runs", "lineage", d / "out.csv", capsys=capsys)
    assert lineage.startswith(f"run {ids[1]} cli-run score 2") and "in.csv" in lineage
    _, err = in_process("runs", "show", "nosuchrun", expect=2, capsys=capsys)
    assert "no tracked run 'nosuchrun'" in err


def test_inspect_and_explain(files, monkeypatch, capsys):
    d, _ = files
    db = d / "runs2.sqlite"
    shown = weldish_cli("inspect", d / "score.weldish", env_db=db).stdout
    assert re.search(r"pipeline\s+score", shown) and re.search(r"version\s+2", shown)
    assert re.search(r"df\s+frame\s+DataFrame\[n\]\{w: float64, b: float64\}", shown)
    assert "== kernels" in shown and "== profile of the example inputs" in shown
    in_process("explain", d / "score.weldish", "--format", "dot", "-o", d / "plan.dot",
               "--rows", 1000, capsys=capsys)
    dot = (d / "plan.dot").read_text()
    assert dot.startswith("digraph weldish {") and dot.rstrip().endswith("}")
    assert "float64[1000]" in dot and "out0: float64[1000]" in dot and "-> o1;" in dot
    if shutil.which("dot"):
        svg, _ = in_process("explain", d / "score.weldish", "--format", "svg",
                            capsys=capsys)
        assert "<svg" in svg and "kernel" in svg
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))
    out, err = in_process("explain", d / "score.weldish", "--format", "svg", expect=2,
                          capsys=capsys)
    assert "Graphviz" in err and out == ""
    assert not db.exists()   # nothing ran: nothing recorded


@pytest.mark.filterwarnings("ignore::UserWarning")   # drift of a 40-row example's profile
def test_run_errors_and_whole_input(files, tmp_path, capsys, monkeypatch):
    d, data = files
    monkeypatch.setenv("WELDISH_TRACKING", "off")
    assert cli.main(["run", str(d / "total.weldish"), "--input", str(d / "in.parquet"),
                     "--output", str(tmp_path / "t.parquet"), "--batch-rows", "100"]) == 1
    assert "--batch-rows 0" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())   # no partial output left
    assert cli.main(["run", str(d / "total.weldish"), "--input", str(d / "in.csv"),
                     "--output", str(tmp_path / "t.parquet"), "--batch-rows", "0"]) == 0
    assert re.search(r"rows in / out\s+250 / 1", capsys.readouterr().out)
    got = pd.read_parquet(tmp_path / "t.parquet")
    assert list(got.columns) == ["output"]
    assert got.output[0] == pytest.approx(data.x.sum(), rel=1e-12)
    data[["x", "b"]].to_parquet(tmp_path / "no_w.parquet")
    assert cli.main(["run", str(d / "score.weldish"), "--input",
                     str(tmp_path / "no_w.parquet"), "--output",
                     str(tmp_path / "o.parquet")]) == 1
    err = capsys.readouterr().err
    assert "no column(s) ['w']" in err
    assert cli.main(["run", str(d / "nope.weldish"), "--input", str(d / "in.csv"),
                     "--output", str(tmp_path / "o.parquet")]) == 2
    assert "no such artifact" in capsys.readouterr().err
    assert cli.main(["runs", "--db", str(tmp_path / "none.sqlite")]) == 0
    assert "no runs recorded yet" in capsys.readouterr().out


def test_demo_records_its_run(tmp_path, capsys):
    db = tmp_path / "runs.sqlite"
    done = weldish_cli("demo", "--n", 2000, "--repeat", 1, "--backend", "interp", env_db=db)
    assert "haversine" in done.stdout and " NO" not in done.stdout
    run_id = re.search(r"run (\w+) recorded in", done.stdout).group(1)
    shown, _ = in_process("runs", "show", run_id, "--db", db, capsys=capsys)
    assert re.search(r"kind\s+demo", shown) and re.search(r"agree\s+True", shown)
    assert re.search(r"kernels compiled \(seconds\)\s+0", shown)   # (the interpreter)


def test_progress_and_table():
    out = io.StringIO()
    with Progress(200, "rows", "rows", stream=out, enabled=True) as p:
        p.update(50)
        p.clear()
        p.update(150)
    text = out.getvalue()
    assert "[" + "#" * 28 + "] 100% 200/200 rows" in text and text.endswith("\n")
    quiet = io.StringIO()
    with Progress(10, stream=quiet) as p:   # not a terminal: nothing drawn
        p.update(10)
    assert quiet.getvalue() == ""
    assert table([("a", 1234), ("bb", 5)], ["name", "n"]).splitlines() == [
        "name      n", "----  -----", "a     1,234", "bb        5"]

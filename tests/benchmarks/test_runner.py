"""Smoke test of ``python -m benchmarks`` (tiny sizes; speed is never asserted here).

``benchmarks/`` is not in the wheel: from a repo checkout the test imports it from the
repository root next to ``tests/``; anywhere else (tests run against an installed wheel from
a copy of the tests) it skips.
"""
import json
import pathlib
import sys

import pytest

import weldish  # the installed package first, before the repo root is on sys.path
import weldish.backends
from weldish import workloads

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def runner(monkeypatch):
    if not (ROOT / "benchmarks" / "__main__.py").is_file():
        pytest.skip("benchmarks/ is not next to tests/ (not a repo checkout)")
    monkeypatch.setattr(sys, "path", sys.path + [str(ROOT)])  # appended: never shadows
    module = pytest.importorskip("benchmarks.__main__")
    if pathlib.Path(module.__file__).resolve().parent != ROOT / "benchmarks":
        pytest.skip(f"another 'benchmarks' package is importable: {module.__file__}")
    return module


def test_every_workload_runs_and_matches_numpy(runner, tmp_path, capsys):
    out = tmp_path / "rows.json"
    # numba is left out here: compiling its parallel kernels takes seconds (next test)
    engines = ["numpy", "numexpr", "jax", "weldish"] + \
        [f"weldish[{b}]" for b in weldish.backends.available()]
    status = runner.main(["--scale", "0.001", "--repeat", "1", "--json", str(out),
                          "--roofline-mb", "8", "--engines", ",".join(engines)])
    printed = capsys.readouterr().out
    rows = json.loads(out.read_text())
    assert status == 0, printed
    assert {r["workload"] for r in rows} == set(workloads.WORKLOADS)
    for r in rows:
        assert {"workload", "engine", "median_s", "speedup_vs_baseline", "matches_baseline",
                "compile_s", "gbps"} <= set(r)
        if r["note"].startswith("n/a"):
            assert r["median_s"] is None and r["matches_baseline"] is None
        else:
            assert r["matches_baseline"] is True, r
            assert r["median_s"] > 0 and r["compile_s"] >= 0
    ran = {r["engine"] for r in rows}
    assert {"numpy", "weldish"} | {f"weldish[{b}]" for b in weldish.backends.available()} <= ran
    assert "roofline" in printed and "blackscholes" in printed


def test_numba_peer_and_na(runner, tmp_path, capsys):
    out = tmp_path / "rows.json"
    status = runner.main(["--workloads", "haversine,nbody", "--scale", "0.001", "--repeat",
                          "1", "--json", str(out), "--roofline-mb", "8",
                          "--engines", "numba,numexpr"])
    rows = {(r["workload"], r["engine"]): r for r in json.loads(out.read_text())}
    assert status == 0, capsys.readouterr().out
    assert rows["haversine", "numba"]["matches_baseline"] is True
    assert rows["nbody", "numba"]["matches_baseline"] is True
    assert rows["haversine", "numpy"]["speedup_vs_baseline"] == 1.0
    numexpr_nbody = rows.get(("nbody", "numexpr"))
    if numexpr_nbody is not None:  # numexpr installed: a clear n/a, not an error
        assert numexpr_nbody["note"].startswith("n/a")


def test_compare_catches_a_wrong_answer(runner):
    import numpy
    e = (numpy.array([1.0, 2.0, numpy.nan]),)
    assert runner.compare((numpy.array([1.0, 2.0 + 1e-12, numpy.nan]),), e) is None
    assert runner.compare((numpy.array([1.0, 2.001, numpy.nan]),), e) is not None
    assert runner.compare((numpy.array([1.0, 2.0, numpy.nan], dtype=numpy.float32),), e)
    assert runner.compare((numpy.array([1.0, 2.0]),), e) is not None


def test_split_benchmark_pipelines_agree_with_eager(runner, capsys):
    """Both pipelines of ``python -m benchmarks.split`` check their results against the
    eager calls (numpy and pandas) before timing; tiny sizes and small pieces."""
    split = pytest.importorskip("benchmarks.split")
    split.main(["--n", "3000", "--repeat", "1", "--piece", "256", "--threads", "2"])
    printed = capsys.readouterr().out
    assert "vs numpy" in printed and "vs pandas" in printed

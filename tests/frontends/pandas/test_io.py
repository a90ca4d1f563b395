"""read_parquet/read_csv as lazy scans: only used columns read, filters pushed into the
parquet scan, results equal to pandas reading everything then running the same code."""
import numpy as np
import pandas
import pandas.testing as pdt
import pytest

import weldish
import weldish.pandas as wpd


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("scan")
    df = pandas.DataFrame({
        "x": [5, 1, 7, 3, 9, 2, 8],
        "y": [1.0, np.nan, 3.5, -2.0, 0.0, np.nan, 6.0],
        "z": ["a", "b", None, "a", "c", "b", "a"],
        "unused": np.arange(7.0),
    })
    df.to_parquet(d / "t.parquet")
    df.to_csv(d / "t.csv", index=False)
    return d / "t.parquet", d / "t.csv"


PIPELINES = {
    "filter_sum": lambda df: df[(df.x > 2) & (df.y < 5)][["x", "y"]],
    "ne_null": lambda df: df[df.y != 0.0]["y"],
    "str_eq_or": lambda df: df[(df.z == "a") | (df.x >= 8)][["z", "x"]],
    "invert": lambda df: df[~(df.y > 0)].x * 2,
    "two_filters": lambda df: df[df.x > 1][df[df.x > 1].y > 0][["y"]],
    "arith": lambda df: (df.x * 2 + df.y).sum(),
    "groupby": lambda df: df[df.x > 1].groupby("z")["y"].sum(),
    "whole": lambda df: df[df.x < 6],
    "mask_values": lambda df: (df.x > 3),
    "query": lambda df: df.query("x > 2 and y < 5")[["x", "y"]],
}


def _cmp(got, want):
    if isinstance(got, (wpd.Series, wpd.DataFrame)):
        got = got.to_pandas()
    if isinstance(want, pandas.DataFrame):
        pdt.assert_frame_equal(got, want)
    elif isinstance(want, pandas.Series):
        pdt.assert_series_equal(got, want)
    else:
        assert got == want and type(got) is type(want)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_scans_equal_pandas(files, fmt):
    path = files[0] if fmt == "parquet" else files[1]
    read_p = pandas.read_parquet if fmt == "parquet" else pandas.read_csv
    read_w = wpd.read_parquet if fmt == "parquet" else wpd.read_csv
    for name, fn in PIPELINES.items():
        _cmp(fn(read_w(path)), fn(read_p(path)))


def test_projection_and_predicate_pushed(files):
    df = wpd.read_parquet(files[0])
    out = df[(df.x > 2) & (df.y < 5)]
    sel = out[["x", "y"]]
    text = weldish.explain(sel, show=False)
    assert "projection: ['x', 'y']" in text and "predicate:" in text and "x" in text
    total = sel.y.sum()
    reads = out._scan.scan.log
    assert all("unused" not in cols and "z" not in cols for cols, _ in reads), reads
    assert any(pred and "mask" not in pred for _, pred in reads), reads  # pushed filter
    want = pandas.read_parquet(files[0])
    want = want[(want.x > 2) & (want.y < 5)]
    assert total == want.y.sum()
    assert len(sel) == len(want)


def test_query_pushes_its_filter_into_the_scan(files):
    low = 2
    out = wpd.read_parquet(files[0]).query("x > @low & y < 5")
    text = weldish.explain(out[["x", "y"]], show=False)
    assert "predicate:  ((x > 2) and (y < 5))" in text, text
    want = pandas.read_parquet(files[0]).query("x > @low & y < 5")
    _cmp(out, want)


def test_read_parquet_columns_and_csv_projection(files):
    p = wpd.read_parquet(files[0], columns=["z", "x"])
    pdt.assert_frame_equal(p.to_pandas(), pandas.read_parquet(files[0], columns=["z", "x"]))
    c = wpd.read_csv(files[1])
    assert c.x.max() == pandas.read_csv(files[1]).x.max()
    assert [cols for cols, _ in c._scan.scan.log] == [("x",)]
    with pytest.raises(KeyError):
        wpd.read_parquet(files[0])["nope"]


def test_csv_filter_reads_only_used_columns(files):
    df = wpd.read_csv(files[1])
    out = df[(df.x > 2) & (df.z == "a")]
    got = out.y.sum()
    want = pandas.read_csv(files[1])
    want = want[(want.x > 2) & (want.z == "a")]
    assert got == want.y.sum()
    pdt.assert_series_equal(out.y.to_pandas(), want.y)
    parsed = {c for cols, _ in df._scan.scan.log for c in cols}
    assert parsed == {"x", "z", "y"}, df._scan.scan.log

"""Series.str on pyarrow.compute against pandas' own str methods."""
import numpy as np
import pandas
import pandas.testing as pdt
import pytest

import weldish
import weldish.pandas as wpd

DATA = [" Apple ", "banana", None, "cherry pie", "", "ÄbC", "a,b,,c", "xx", "p  q r "]

CASES = [
    ("lower", (), {}), ("upper", (), {}), ("strip", (), {}), ("lstrip", (), {}),
    ("rstrip", (), {}), ("strip", (" Ae",), {}), ("len", (), {}),
    ("slice", (1, 4), {}), ("slice", (None, -2), {}), ("slice", (0, None, 2), {}),
    ("slice", (-3,), {}), ("contains", ("an",), {}), ("contains", ("a.",), {}),
    ("contains", ("an",), {"regex": False}), ("startswith", ("b",), {}),
    ("endswith", ("e",), {}), ("replace", ("a", "A"), {}), ("replace", ("a", "-"), {"n": 1}),
    ("split", (",",), {}), ("split", (), {}), ("split", (",",), {"n": 1}),
    ("title", (), {}),
]


@pytest.mark.parametrize("piece", [1 << 20, 2])
def test_str_methods_equal_pandas(piece, monkeypatch):
    from weldish.pandas import strings
    monkeypatch.setattr(strings, "PIECE", piece)  # 2: pieces on the thread pool
    weldish.fallbacks.clear()
    for data in (DATA, ["one"], []):
        ps = pandas.Series(data, dtype="str", name="t")
        ws = wpd.Series(data, dtype="str", name="t")
        for name, args, kw in CASES:
            want = getattr(ps.str, name)(*args, **kw)
            got = getattr(ws.str, name)(*args, **kw).to_pandas()
            pdt.assert_series_equal(got, want, obj=f"str.{name}{args}{kw}")
    fell = {k for k in weldish.fallbacks.counts if k.startswith("pandas.Series.str")}
    assert fell == {"pandas.Series.str.contains", "pandas.Series.str.title"}, fell


def test_len_without_missing_is_int64_and_chain_lazy():
    df = wpd.DataFrame({"z": ["02134", "1234", "98765-1111"], "v": [1.0, 2.0, 3.0]})
    out = df[df.z.str.len() == 5].v.sum()
    assert out == np.float64(1.0)
    zips = df.z.str.slice(0, 5)
    pdt.assert_series_equal(zips.to_pandas(), pandas.Series(["02134", "1234", "98765"],
                                                            dtype="str", name="z"))


def test_prefix_rewrites():
    """s.str.slice(0, k) is not computed for len/startswith (they read s), only when used
    otherwise; results equal pandas' either way, with and without missing values."""
    for data in (DATA, ["abcdef", "ab", ""]):
        ps, ws = pandas.Series(data, dtype="str", name="t"), wpd.Series(data, dtype="str", name="t")
        for k in (0, 2, 5):
            p, w = ps.str.slice(0, k), ws.str.slice(0, k)
            assert w.name == "t"
            pdt.assert_series_equal(w.str.len().to_pandas(), p.str.len())
            pdt.assert_series_equal(w.str.startswith("ab").to_pandas(), p.str.startswith("ab"))
            pdt.assert_series_equal(w.str.upper().to_pandas(), p.str.upper())
            pdt.assert_series_equal(w.to_pandas(), p)

"""Series.apply/map and DataFrame.map with Python functions, every column dtype x kind of
function, each compared with real pandas: values, dtype, and the exception (type and
message). Compiled ([numba]) where it gives pandas' result, else by pieces ([pieces])."""
import math

import numpy as np
import pandas
import pandas.testing as pdt
import pytest

import weldish
import weldish.pandas as wpd
from weldish.pandas import _common, udf

K = 7


def closure_fn(x):
    return (x - K) // 2


UDFS = {
    "arith": lambda x: x * 2 + 1,
    "cond": lambda x: x * 3 if x > 1 else -x,
    "math": lambda x: math.sqrt(abs(x)) + math.log1p(abs(x)),
    "closure": closure_fn,                           # and floor division
    "bool": lambda x: x % 3 == 1,
    "zerodiv": lambda x: 1 / (x - 1),
    "bigint": lambda x: x * 4611686018427387904,     # 2**62: ints overflow int64
    "log": lambda x: math.log(x),                    # ValueError at x <= 0
    "int": lambda x: int(x) + round(x * 0.5),        # ValueError/OverflowError at nan/inf
    "pow": lambda x: x ** 2 - x ** 0.5 if x > 0 else x ** 3,
    "str": lambda x: str(x),                         # pieces: strings
    "mixed": lambda x: x if x > 2 else 0.5,          # pieces: int/float mixed by branch
}

DATA = {
    "int64": np.array([3, 0, -5, 1, 2 ** 40, 7, 2, -(2 ** 62)], dtype=np.int64),
    "int32": np.array([3, 0, -5, 2, 2 ** 31 - 1, 7], dtype=np.int32),
    "uint8": np.array([3, 0, 255, 2, 9], dtype=np.uint8),
    "bool": np.array([True, False, True, True]),
    "float64": np.array([0.5, 2.0, -3.25, np.nan, 1e300, 4.0, 0.0]),
    "float32": np.array([0.5, 2.0, -3.25, 4.0, 1e30], dtype=np.float32),
}


def outcome(fn):
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - compared with pandas' own
        return None, (type(e), str(e))


def check(ps, ws, method, f, **kw):
    want, want_err = outcome(lambda: getattr(ps, method)(f, **kw))
    got, got_err = outcome(lambda: getattr(ws, method)(f, **kw))
    assert got_err == want_err
    if want_err is None:
        got = got.to_pandas() if hasattr(got, "to_pandas") else got
        if np.isscalar(want):
            assert got == want
        elif isinstance(want, pandas.DataFrame):
            pdt.assert_frame_equal(got, want)
        else:
            pdt.assert_series_equal(got, want)
            if want.dtype == object:   # the very Python objects pandas keeps
                assert [type(v) for v in got] == [type(v) for v in want]


@pytest.mark.parametrize("dtype", list(DATA))
@pytest.mark.parametrize("kind", list(UDFS))
def test_dtype_by_udf(dtype, kind):
    ps = pandas.Series(DATA[dtype], name="x", index=np.arange(len(DATA[dtype])) * 10)
    ws = wpd.Series(DATA[dtype], name="x", index=np.arange(len(DATA[dtype])) * 10)
    for method in ("apply", "map"):
        check(ps, ws, method, UDFS[kind])
    if dtype.startswith("float"):
        check(ps, ws, "map", UDFS[kind], na_action="ignore")


def test_compiled_paths_are_taken():
    _common.COMPILED.clear()
    weldish.fallbacks.clear()
    for dtype, kind in (("int64", "arith"), ("int32", "cond"), ("bool", "arith"),
                        ("float32", "math"), ("uint8", "bool"), ("float64", "closure")):
        ws = wpd.Series(DATA[dtype])
        ws.apply(UDFS[kind]).to_pandas()
    assert _common.COMPILED["pandas.Series.apply[numba]"] == 6
    assert not weldish.fallbacks.counts
    # overflow to big ints: compiled, the overflowing elements in Python, pandas infers
    wpd.Series(DATA["int64"]).apply(UDFS["bigint"])
    assert weldish.fallbacks.counts["pandas.Series.apply[numba+python]"] == 1
    wpd.Series(DATA["int64"]).apply(UDFS["str"])
    assert weldish.fallbacks.counts["pandas.Series.apply[pieces]"] == 1


def test_refused_by_numba_semantics():
    """Where Numba's answer is not Python's the function is not compiled."""
    ps, ws = pandas.Series(DATA["bool"]), wpd.Series(DATA["bool"])
    for f in (lambda x: ~x, lambda x: x + x, lambda x: -x, lambda x: x / x):
        check(ps, ws, "apply", f)
    ps, ws = pandas.Series(DATA["int64"]), wpd.Series(DATA["int64"])
    for f in (lambda x: x * np.int64(3),          # NumPy scalars wrap in Python too
              lambda x: x == 2 ** 62 * 1.0,       # int vs float compared exactly
              lambda x: -x if x < 0 else x ** 2,  # overflow in the power
              lambda x: x / 3):
        check(ps, ws, "apply", f)


@pytest.mark.parametrize("values", [[], [5], [2 ** 63 - 1], [np.nan], [np.nan] * 6 + [4.0]])
def test_empty_single_and_na(values):
    ps, ws = pandas.Series(values, dtype=None if values else float), \
        wpd.Series(values, dtype=None if values else float)
    for kind in ("arith", "bool", "log", "int", "str"):
        check(ps, ws, "apply", UDFS[kind])
        check(ps, ws, "map", UDFS[kind], na_action="ignore")


def test_strings_by_pieces_and_call_order(monkeypatch):
    monkeypatch.setattr(udf, "PIECE", 3)
    words = ["a", "bb", None, "ccc", "dd", "e", None, "ffff"]
    ps, ws = pandas.Series(words), wpd.Series(words)
    for f in (len, str.upper, lambda s: s * 2 if len(s) > 1 else 1, lambda s: s[5]):
        check(ps, ws, "map", f, na_action="ignore")
    check(ps, ws, "map", lambda s: s is None)
    check(ps, ws, "apply", lambda s: pandas.Series([s, s]))   # Series results: a DataFrame
    seen_p, seen_w = [], []
    ps.map(lambda v: seen_p.append(v), na_action="ignore")
    ws.map(lambda v: seen_w.append(v), na_action="ignore")
    assert seen_w == seen_p
    # inference over the whole column: ints in one piece, a float in the next
    ints = pandas.Series([1, 2, 3, 4, 5, 6, 7])
    check(ints, wpd.Series(ints), "apply", lambda v: [v] and (v if v < 6 else v + 0.5))


def test_args_kwargs_and_mappings():
    ps, ws = pandas.Series(DATA["float64"]), wpd.Series(DATA["float64"])
    check(ps, ws, "apply", lambda x, a, b=1: x * a + b, args=(3,), b=2)
    check(ps, ws, "map", lambda x, b: x - b, b=1.5)
    check(ps, ws, "map", {0.5: "half", 2.0: "two"})
    check(ps, ws, "apply", np.sqrt)
    check(ps, ws, "apply", "sum")


def test_python_elements_in_order():
    """The compiled loop hands Python the elements it cannot answer, in order: pandas'
    first exception (not a later one) reaches the user."""
    x = np.array([4, 2 ** 62, 0, 3, -1], dtype=np.int64)

    def f(v):
        return v * 8 if v > 0 else 10 // v
    check(pandas.Series(x), wpd.Series(x), "apply", f)     # big int first, then 10 // 0
    check(pandas.Series(x[2:]), wpd.Series(x[2:]), "apply", f)
    y = np.array([1.5, -1.0, 4.0])
    check(pandas.Series(y), wpd.Series(y), "apply", lambda v: math.sqrt(v) if v < 2 else 1 / 0)


def test_dataframe_map():
    data = {"i": DATA["int32"][:5], "f": DATA["float64"][:5], "b": [True, False] * 2 + [True]}
    pdf, wdf = pandas.DataFrame(data), wpd.DataFrame(data)
    _common.COMPILED.clear()
    for f in (UDFS["arith"], UDFS["bool"], UDFS["zerodiv"], UDFS["str"]):
        for na in (None, "ignore"):
            want, want_err = outcome(lambda f=f, na=na: pdf.map(f, na_action=na))
            got, got_err = outcome(lambda f=f, na=na: wdf.map(f, na_action=na).to_pandas())
            assert got_err == want_err
            if want_err is None:
                pdt.assert_frame_equal(got, want)
    # arith twice, bool without na_action (bools with NaN kept: object, pandas infers)
    assert _common.COMPILED["pandas.DataFrame.map[numba]"] == 3
    mixed = {"s": ["x", None, "zz"], "v": [1.0, np.nan, 3.0]}
    pdt.assert_frame_equal(wpd.DataFrame(mixed).map(str, na_action="ignore").to_pandas(),
                           pandas.DataFrame(mixed).map(str, na_action="ignore"))
    pdt.assert_frame_equal(wpd.DataFrame(mixed).map(lambda v: v, na_action="ignore")
                           .to_pandas(), pandas.DataFrame(mixed).map(lambda v: v,
                                                                     na_action="ignore"))


EDGE_INTS = [0, 1, -1, 3, -7, 2 ** 31, 2 ** 53 + 1, -(2 ** 53) - 1, 3037000500, 2 ** 62,
             2 ** 63 - 1, -(2 ** 63)]
EDGE_FLOATS = [0.0, -0.0, 0.5, -2.5, 1.5, 1e-320, 1e300, -1e300, math.inf, -math.inf,
               math.nan, 2.0 ** 53, 2.0 ** 63, 710.0]
OPS = [lambda x: x * x + 1, lambda x: x / 3 - 3 / x, lambda x: x // -3 + x % 3,
       lambda x: x ** 3 - 2 ** x, lambda x: x < 9007199254740993 and x != 2.0 ** 53,
       lambda x: -abs(x) // 0.3 + x % -0.7, lambda x: int(x) + round(x) + math.floor(x),
       lambda x: math.exp(x) + math.log(x) + math.sin(x), lambda x: x ** 0.5 + x ** -1.5,
       lambda x: min(x, K) - max(x, K) if x else -x]


def test_compiled_elements_equal_python():
    """Element by element, each compiled value is Python's own (type, value, sign of
    zero, NaN); the elements the loop hands back are the ones Python must run. (Not the
    sign bit of a NaN: nan + nan keeps either operand's, as the C compiler ordered it.)"""
    from weldish.lazy import Unsupported
    from weldish.pandas import udf_numba
    compiled = 0
    for f in OPS:
        for kind, values in (("i", EDGE_INTS), ("f", EDGE_FLOATS)):
            try:
                run, out = udf._compiled(f, kind)     # cached: compiled once per session
            except Unsupported:
                continue
            compiled += 1
            x = np.array(values, dtype=np.int64 if kind == "i" else np.float64)
            res = np.empty(len(x), udf._OUT[out])
            with np.errstate(all="ignore"):
                bad = set(udf_numba.run_loop(run, x, res).tolist())
            for i, v in enumerate(values):
                if i in bad:
                    continue
                want, got = f(v), res[i].item()
                assert type(got) is type(want), (f, v)
                nan = type(want) is float and math.isnan(want)
                assert got == want or (nan and math.isnan(got)), (f, v, got, want)
                if type(want) is float and not nan:
                    assert math.copysign(1, got) == math.copysign(1, want)
    assert compiled >= 16


def test_builtin_functions():
    """abs, int, float, bool, round, math.* passed as they are compile too (as a lambda)."""
    _common.COMPILED.clear()
    for values in (DATA["float64"], DATA["int32"], np.array([0.0, -0.0, 2.0, math.nan])):
        ps, ws = pandas.Series(values), wpd.Series(values)
        for f in (abs, int, float, bool, round, math.sqrt, math.floor):
            check(ps, ws, "map", f)
    assert _common.COMPILED["pandas.Series.map[numba]"] >= 8

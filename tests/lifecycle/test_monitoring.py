"""Monitoring: a loaded pipeline's inputs compared with the exported profile."""
import warnings

import numpy as np
import pandas as pd
import pytest

import weldish
from weldish.lifecycle import monitoring, profile


def score(df):
    return df["amount"] * 0.5 + df["age"]


def _frame(n, seed, shift=0.0, nan_share=0.0):
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3.0 + shift, 0.5, n)
    amount[rng.random(n) < nan_share] = np.nan
    return pd.DataFrame({"amount": amount, "age": rng.integers(18, 90, n)})


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    path = tmp_path_factory.mktemp("monitoring") / "score.weldish"
    weldish.export(score, _frame(50, 0), path, reference=_frame(4000, 1))
    return path


def _drift_of(pipe, df):
    with weldish.hooks.listen(["drift"]) as events, warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        result = pipe(df)
    np.testing.assert_allclose(result, df["amount"] * 0.5 + df["age"])
    return events, [x for x in w if issubclass(x.category, weldish.DriftWarning)]


def test_profile_is_the_reference_sample(artifact):
    pipe = weldish.load(artifact)
    cols = pipe.profile["columns"]
    assert set(cols) == {"amount", "age"}
    assert cols["amount"]["count"] == 4000 and cols["age"]["dtype"] == "<i8"
    assert len(cols["amount"]["edges"]) == 9
    assert sum(cols["amount"]["fractions"]) == pytest.approx(1.0)
    assert cols["age"]["min"] >= 18 and cols["age"]["max"] < 90


def test_no_drift_on_the_same_distribution(artifact):
    pipe = weldish.load(artifact)
    events, warned = _drift_of(pipe, _frame(3000, 2))
    assert events == [] and warned == []
    report = {(r["column"], r["statistic"]): r["value"] for r in pipe.check(_frame(3000, 3))}
    assert report[("amount", "psi")] < 0.05 and report[("age", "psi")] < 0.05


def test_drift_on_shifted_data(artifact):
    pipe = weldish.load(artifact)
    events, warned = _drift_of(pipe, _frame(3000, 4, shift=0.4))
    assert [(e.column, e.statistic) for e in events] == [("amount", "psi")]   # not age
    psi = events[0]
    assert psi.value > 0.2 and psi.threshold == 0.2 and psi.pipeline == "score"
    assert len(warned) == 1 and "amount psi=" in str(warned[0].message)
    assert warned[0].filename == __file__   # the warning points at the caller's line


def test_null_rate_and_threshold_settings(artifact):
    events, _ = _drift_of(weldish.load(artifact), _frame(3000, 5, nan_share=0.3))
    assert ("amount", "null_rate") in [(e.column, e.statistic) for e in events]
    strict = weldish.load(artifact, drift_threshold=0.0001)
    events, warned = _drift_of(strict, _frame(3000, 6))
    assert {e.statistic for e in events} == {"psi"} and warned
    events, warned = _drift_of(weldish.load(artifact, monitor=False),
                               _frame(3000, 7, shift=1.0))
    assert events == [] and warned == []
    with pytest.raises(ValueError, match="unknown drift statistic"):
        weldish.load(artifact, drift_thresholds={"kl": 0.1})


def test_compare_and_psi():
    rng = np.random.default_rng(0)
    prof = profile.profile(profile.columns("x", rng.normal(size=(5000, 2))))
    same = monitoring.compare(prof, profile.columns("x", rng.normal(size=(5000, 2))))
    assert not any(r["drift"] for r in same)
    moved = monitoring.compare(prof, {"x[0]": rng.normal(4.0, 1.0, 5000),
                                      "x[1]": rng.normal(size=5000).astype(np.float32)})
    drifted = {(r["column"], r["statistic"]) for r in moved if r["drift"]}
    assert drifted == {("x[0]", "psi"), ("x[0]", "out_of_range"), ("x[1]", "schema")}
    assert profile.psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert profile.psi([0.5, 0.5], [0.9, 0.1]) == pytest.approx(
        0.4 * np.log(0.9 / 0.5) - 0.4 * np.log(0.1 / 0.5))
    assert "DRIFT" in monitoring.format_report(moved)

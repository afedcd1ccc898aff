"""cohort.cuminc's curves from the count table against statsmodels' ``CumIncidenceRight``.

The Aalen-Johansen curves, cmprsk's variance and Gray's test come from one count table
(:mod:`cohort.survival.counting`) by cumulative sums. The oracle is what ``cohort.cuminc`` did before:
statsmodels' ``CumIncidenceRight`` per group, and cmprsk's variance from its estimates. Both are
compared on the cmprsk fixtures of tests/survival/test_cuminc.py (AMLSG, heavily tied times) and on random
tables with 3 causes, ties and a group whose everybody fails.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.survfunc import CumIncidenceRight

from cohort import cuminc
from cohort.errors import DataQualityWarning, StatisticalWarning
from cohort.survival.competing import _cmprsk_variance, _group_table
from cohort.survival.gray import gray_test

REF = Path(__file__).parents[1] / "reference"


def _statsmodels_table(time: np.ndarray, status: np.ndarray, causes: tuple[int, ...]):
    """The previous implementation: statsmodels' estimates, cmprsk's variance from them."""
    utimes, inverse = np.unique(time, return_inverse=True)
    n_t = len(utimes)
    removed = np.bincount(inverse, minlength=n_t)
    at_risk = len(time) - np.r_[0, np.cumsum(removed)[:-1]]
    counts = {c: np.bincount(inverse[status == c], minlength=n_t).astype(float) for c in causes}
    d_all = sum(counts.values())
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = CumIncidenceRight(time, status)
    assert np.array_equal(fit.times, utimes)
    cifs = {
        c: np.asarray(fit.cinc[c - 1], float) if c <= len(fit.cinc) else np.zeros(n_t)
        for c in causes
    }
    extinct = np.maximum.accumulate(at_risk == d_all)
    surv_after = np.where(extinct, 0.0, np.clip(1.0 - sum(cifs.values()), 0.0, 1.0))
    surv_before = np.r_[1.0, surv_after[:-1]]
    rows = []
    for c in causes:
        var = _cmprsk_variance(
            at_risk.astype(float), counts[c], d_all - counts[c], surv_before, surv_after, cifs[c]
        )
        rows.append(
            pd.DataFrame(
                {
                    "event": c,
                    "time": utimes,
                    "at_risk": at_risk,
                    "events": counts[c],
                    "competing": d_all - counts[c],
                    "cif": cifs[c],
                    "var": var,
                }
            )  # fmt: skip
        )
    return pd.concat(rows, ignore_index=True)


def _random(seed: int, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(
        {
            "cir_days": np.ceil(rng.exponential(40, n)),
            "cir_status": rng.choice([0, 1, 2, 3], n, p=[0.3, 0.35, 0.25, 0.1]),
            "arm": rng.choice(["a", "b", "c"], n),
        }
    )
    # group "c" ends with everybody failing at its last time (the all-cause KM reaches 0)
    last = d.loc[d.arm == "c", "cir_days"].max()
    d.loc[(d.arm == "c") & (d.cir_days == last), "cir_status"] = 1
    return d


def _cases():
    amlsg = pd.read_csv(REF / "data" / "cmprsk_amlsg.csv")
    ties = pd.read_csv(REF / "data" / "cmprsk_ties.csv")
    return [
        ("amlsg", amlsg, "npm1"),
        ("amlsg", amlsg, "eln2010"),
        ("ties", ties, "arm"),
        ("random1", _random(1), "arm"),
        ("random2", _random(2, 2000), "arm"),
    ]


@pytest.mark.parametrize(("name", "frame", "by"), _cases(), ids=lambda v: str(v)[:10])
def test_curves_equal_statsmodels_cumincidenceright(name, frame, by):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        warnings.simplefilter("ignore", StatisticalWarning)
        res = cuminc(frame, "cir", by=by)
    d = frame.dropna(subset=["cir_days", "cir_status", by])
    causes = tuple(sorted(int(c) for c in d["cir_status"].unique() if c > 0))
    for label in res.groups:
        value = label.split("=", 1)[1]
        part = d[d[by].astype(str).str.replace(".0", "", regex=False) == value]
        assert len(part), label
        t = part["cir_days"].to_numpy(float)
        st = part["cir_status"].to_numpy(int)
        want = _statsmodels_table(t, st, causes)
        got = res.curves[(res.curves.group == label) & (res.curves.time > 0)]
        got = got[got.time.isin(want.time)].reset_index(drop=True)
        assert len(got) == len(want)
        np.testing.assert_array_equal(got["time"], want["time"])
        np.testing.assert_array_equal(got["event"], want["event"])
        np.testing.assert_array_equal(got["at_risk"], want["at_risk"])
        np.testing.assert_array_equal(got["events"], want["events"])
        np.testing.assert_allclose(got["cif"], want["cif"], rtol=0, atol=1e-13)
        np.testing.assert_allclose(got["var"], want["var"], rtol=1e-10, atol=1e-16)
        # the single-group table gives the same rows
        one = _group_table(t, st, causes)
        np.testing.assert_allclose(one["cif"], want["cif"], rtol=0, atol=1e-13)
        np.testing.assert_allclose(one["var"], want["var"], rtol=1e-10, atol=1e-16)


@pytest.mark.parametrize("rho", [0.0, 1.0])
def test_gray_from_one_table_equals_gray_per_cause(rho):
    """Gray's test of every cause from cuminc's one table equals the per-cause gray_test."""
    d = _random(3, 1500)
    d["centre"] = np.random.default_rng(4).choice(["x", "y"], len(d))
    res = cuminc(d, "cir", by="arm", strata="centre", rho=rho)
    codes = pd.factorize(d["arm"], sort=True)[0]
    strata = pd.factorize(d["centre"], sort=True)[0]
    for cause, row in res.test.set_index("event").iterrows():
        g = gray_test(
            d["cir_days"].to_numpy(float), d["cir_status"].to_numpy(), codes, cause,
            strata=strata, rho=rho,
        )  # fmt: skip
        assert row["statistic"] == pytest.approx(g.statistic, rel=1e-12)
        assert row["dof"] == g.dof

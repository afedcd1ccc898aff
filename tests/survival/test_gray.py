"""Gray's test (cohort.cuminc(...).test, cohort.survival.gray) against R's cmprsk::cuminc.

Reference values: tests/reference/reference_cmprsk.R -> tests/reference/values/cmprsk_gray.csv.
R call: cuminc(d$cir_days, d$cir_status, d[[by]], strata = d[[strata]], rho = rho)$Tests
(columns stat, pv, df), on the AMLSG CIR table and on the heavily tied table.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort import cuminc
from cohort.errors import DataQualityWarning, StatisticalWarning
from cohort.survival.gray import gray_test

REF = Path(__file__).parents[1] / "reference"
ELN2010 = ["Favorable", "Inter-1", "Inter-2", "Adverse"]


def load(name: str) -> pd.DataFrame:
    d = pd.read_csv(REF / "data" / f"cmprsk_{name}.csv")
    if name == "amlsg":
        for b in ("npm1", "flt3_itd"):
            d[b] = d[b].astype("boolean")
        d["eln2010"] = pd.Categorical(d["eln2010"], ELN2010)
    else:
        d["x_pos"] = d["x"] > 0  # as the R script's as.integer(x > 0)
    return d


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return {"amlsg": load("amlsg"), "ties": load("ties")}


REF_ROWS = pd.read_csv(REF / "values" / "cmprsk_gray.csv", keep_default_na=False)
KEYS = sorted({(r.dataset, r.by, r.strata, float(r.rho)) for r in REF_ROWS.itertuples()})


@pytest.mark.parametrize(("dataset", "by", "strata", "rho"), KEYS)
def test_gray_statistic_equals_cmprsk(data, dataset, by, strata, rho):
    ref = REF_ROWS[
        (REF_ROWS.dataset == dataset) & (REF_ROWS.by == by) & (REF_ROWS.strata == strata)
        & (REF_ROWS.rho.astype(float) == rho)
    ].sort_values("event")  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = cuminc(data[dataset], "cir", by=by, strata=strata or None, rho=rho)
    test = res.test.sort_values("event")
    assert list(test["event"]) == list(ref["event"])
    np.testing.assert_allclose(test["statistic"], ref["statistic"].astype(float), rtol=1e-8)
    # R's 1 - pchisq() loses digits below ~1e-12; scipy's chi2.sf does not
    np.testing.assert_allclose(test["p_value"], ref["p_value"].astype(float), rtol=1e-6, atol=1e-12)
    assert list(test["dof"]) == list(ref["dof"].astype(int))


def test_statistic_does_not_depend_on_group_order(data):
    d = data["ties"]
    codes = pd.Categorical(d["arm"]).codes.astype(np.int64)
    a = gray_test(d["cir_days"], d["cir_status"], codes, 1)
    b = gray_test(d["cir_days"], d["cir_status"], 2 - codes, 1)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-10)
    assert a.statistic > 0


def test_identical_groups_give_zero(data):
    d = data["ties"]
    time = np.r_[d["cir_days"], d["cir_days"]]
    status = np.r_[d["cir_status"], d["cir_status"]]
    group = np.r_[np.zeros(len(d)), np.ones(len(d))].astype(np.int64)
    g = gray_test(time, status, group, 1)
    assert abs(g.score[0]) < 1e-10
    assert g.statistic == pytest.approx(0.0, abs=1e-12) and g.p_value == pytest.approx(1.0)


def test_singular_variance_warns_and_gives_nan():
    # group b leaves follow-up before the first event: no information to compare
    d = pd.DataFrame({"cir_days": [1.0, 2, 3, 10, 0.5, 0.6], "cir_status": [1, 2, 1, 0, 0, 0],
                      "arm": ["a", "a", "a", "a", "b", "b"]})  # fmt: skip
    with pytest.warns(StatisticalWarning):
        res = cuminc(d, by="arm")
    assert res.test["statistic"].isna().all()


def test_pooled_estimate_used_up_matches_cmprsk():
    """R: cuminc(c(.5,.5,.5,.5,1,2), c(0,1,1,1,1,1), c("a","a","a","a","b","b"))$Tests
    gives stat 2.5, pv 0.1138463: the pooled F reaches 1 before the last event."""
    d = pd.DataFrame({"cir_days": [0.5, 0.5, 0.5, 0.5, 1, 2], "cir_status": [0, 1, 1, 1, 1, 1],
                      "arm": list("aaaabb")})  # fmt: skip
    res = cuminc(d, by="arm")
    assert res.test["statistic"].iloc[0] == pytest.approx(2.5, abs=1e-12)
    assert res.test["p_value"].iloc[0] == pytest.approx(0.1138463, abs=1e-7)


def test_150_random_tied_tables_equal_cmprsk():
    """R (reference_cmprsk.R, set.seed(4242)): cuminc(cir_days, cir_status, arm)$Tests for 150
    small heavily tied tables with 2 or 3 arms."""
    data = pd.read_csv(REF / "data" / "cmprsk_random.csv")
    ref = pd.read_csv(REF / "values" / "cmprsk_random_gray.csv")
    # cmprsk reports -1 when the variance matrix is singular; cohort reports NaN (and warns)
    assert (ref["statistic"] == -1).sum() > 0
    ref["statistic"] = ref["statistic"].where(ref["statistic"] != -1)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sim, d in data.groupby("sim"):
            res = cuminc(d, "cir", by="arm")
            if res.test is not None:
                rows.append(res.test.assign(sim=sim))
    both = ref.merge(pd.concat(rows), on=["sim", "event"], how="left", suffixes=("_r", ""))
    assert len(both) == len(ref) > 200
    np.testing.assert_allclose(both["statistic"], both["statistic_r"], rtol=1e-9, atol=1e-9)
    assert (both["dof"] == both["dof_r"]).all()

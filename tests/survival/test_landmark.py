"""Landmark analysis (cohort.landmark) against the same survfit/coxph/cuminc/crr on the landmark data in R.

Reference values: tests/reference/reference_landmark.R (input tests/reference/data/cmprsk_landmark.csv,
derived there from the bundled AMLSG TSV). R, for a landmark L:
  dd <- subset(d, os_days > L); dd$t <- dd$os_days - L
  summary(survfit(Surv(t, os_event) ~ g, dd, conf.type = "log-log"), times = times)   -> landmark_km.csv
  coxph(Surv(t, os_event) ~ by [+ age], dd, ties = "efron")                           -> landmark_cox.csv
  timepoints(cuminc(dd$t, dd$cir_status, dd$flt3_itd), times); crr(..., cov1 = flt3_itd) -> CIR files
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort import landmark
from cohort.cohort import Cohort
from cohort.errors import CohortValidationError, DataQualityWarning, ModelError, SchemaError

REF = Path(__file__).parents[1] / "reference"
ANALYSES = {  # name -> (at_days, by, endpoint, adjust)
    "os_cr_by_90": (90, "cr_by_90", "os", None),
    "os_npm1_180_age": (180, "npm1", "os", "age"),
    "cir_flt3_60": (60, "flt3_itd", "cir", None),
}


@pytest.fixture(scope="module")
def amlsg() -> pd.DataFrame:
    d = pd.read_csv(REF / "data" / "cmprsk_landmark.csv")
    for b in ("npm1", "flt3_itd", "cr_by_90"):
        d[b] = d[b].astype("boolean")
    for c in ("os_event", "cir_status"):
        d[c] = d[c].astype("Int64")
    return d


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / "values" / name)


@pytest.fixture(scope="module")
def fits(amlsg) -> dict:
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # 271 patients without CR have no CIR
        for name, (at, by, endpoint, adjust) in ANALYSES.items():
            out[name] = landmark(amlsg, at, by, endpoint, adjust=adjust)
    return out


@pytest.mark.parametrize("name", list(ANALYSES))
def test_exclusion_counts_equal_r(fits, name):
    ref = _ref("landmark_counts.csv").set_index("analysis").loc[name]
    res = fits[name]
    assert res.n == ref["n"]
    assert res.n_input == ref["n_input"]
    for reason in ("missing_endpoint", "event_before_landmark", "censored_before_landmark"):
        assert res.excluded.get(reason, 0) == ref[reason], reason
    att = res.attrition()
    assert att["remaining"].iloc[-1] == res.n


@pytest.mark.parametrize("name", ["os_cr_by_90", "os_npm1_180_age"])
def test_km_from_landmark_equals_survfit(fits, name):
    ref = _ref("landmark_km.csv")
    ref = ref[(ref.analysis == name) & (ref.time > 0)]
    by = ANALYSES[name][1]
    km = fits[name].km
    mine = km.survival_at(sorted(ref["time"].unique()))
    mine["group"] = mine["group"].str.replace(f"{by}=", "").map({"True": 1, "False": 0})
    both = ref.merge(mine, on=["group", "time"], suffixes=("_r", ""), validate="1:1")
    assert len(both) == len(ref) > 5
    for col in ("survival", "lower", "upper"):
        np.testing.assert_allclose(both[col], both[f"{col}_r"], rtol=1e-8)
    assert (both["at_risk"] == both["at_risk_r"]).all()


@pytest.mark.parametrize("name", ["os_cr_by_90", "os_npm1_180_age"])
def test_cox_from_landmark_equals_coxph(fits, name):
    ref = _ref("landmark_cox.csv")
    ref = ref[ref.analysis == name].set_index("term")
    s = fits[name].cox.summary
    assert list(s.index) == list(ref.index)
    np.testing.assert_allclose(s["coef"], ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(s["se"], ref["se"], rtol=1e-6)


def test_cir_landmark_equals_cuminc_and_crr(fits):
    res = fits["cir_flt3_60"]
    assert res.km is None and res.cox is None
    ref = _ref("landmark_cuminc.csv")
    ref["group"] = "flt3_itd=" + ref["group"].map({0: "False", 1: "True"})
    mine = res.cuminc.at(sorted(ref["time"].unique()))
    both = ref.merge(mine, on=["group", "event", "time"], validate="1:1")
    assert len(both) == len(ref)
    np.testing.assert_allclose(both["cif"], both["est"], atol=1e-6)
    np.testing.assert_allclose(both["var_y"], both["var_x"], rtol=1e-6, atol=1e-14)
    crr = _ref("landmark_crr.csv").set_index("term")
    s = res.finegray.summary
    np.testing.assert_allclose(s.loc["flt3_itd", "coef"], crr.loc["flt3_itd", "coef"], atol=1e-6)
    np.testing.assert_allclose(s.loc["flt3_itd", "se"], crr.loc["flt3_itd", "se"], rtol=1e-5)


def test_times_are_reset_and_nobody_at_risk_before(fits, amlsg):
    res = fits["os_cr_by_90"]
    assert (res.data["os_days"] > 0).all()
    orig = amlsg.loc[res.data.index, "os_days"].astype(float)
    np.testing.assert_allclose(res.data["os_days"].to_numpy(), orig.to_numpy() - 90)


def test_ties_at_the_landmark_and_missing_group():
    """Event or censoring exactly at the landmark leaves the cohort; a missing status is counted."""
    d = pd.DataFrame({
        "os_days": [10.0, 30, 30, 30, 31, 40, 50, 60, 70, 80, 90, 100],
        "os_event": [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0],
        "mrd_neg": [True, False, True, None, True, False, True, False, None, True, False, True],
    })  # fmt: skip
    d["mrd_neg"] = d["mrd_neg"].astype("boolean")
    with pytest.warns(DataQualityWarning, match="1 patient"):
        res = landmark(Cohort(d), 30, "mrd_neg")
    assert res.excluded == {"event_before_landmark": 3, "censored_before_landmark": 1,
                            "missing_group": 1}  # fmt: skip
    assert res.n == 7
    assert res.data["os_days"].min() == 1.0
    assert set(res.km.table["group"]) == {"mrd_neg=True", "mrd_neg=False"}
    assert res.cox is not None and "mrd_neg" in res.cox.summary.index


def test_by_as_series(amlsg):
    status = pd.Series(amlsg["cr_by_90"].to_numpy(), index=amlsg.index, name="in_cr")
    a = landmark(amlsg, 90, status)
    b = landmark(amlsg, 90, "cr_by_90")
    assert a.by == ("in_cr",)
    assert a.cox.summary.loc["in_cr", "coef"] == pytest.approx(
        b.cox.summary.loc["cr_by_90", "coef"]
    )


def test_bad_input(amlsg):
    with pytest.raises(ModelError, match="at_days"):
        landmark(amlsg, -5, "npm1")
    with pytest.raises(ModelError, match="at_days"):
        landmark(amlsg, "ninety", "npm1")
    with pytest.raises(SchemaError, match="no_such"):
        landmark(amlsg, 90, "no_such")
    with pytest.raises(ModelError, match="no patient"):
        landmark(amlsg, 1e5, "npm1")
    d = amlsg.copy()
    d.loc[3, "os_days"] = -1.0
    with pytest.raises(CohortValidationError, match="os_days"):
        landmark(d, 90, "npm1")

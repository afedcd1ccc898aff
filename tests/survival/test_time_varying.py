"""Allo-HSCT as a time-dependent exposure, against R (tests/reference/reference_timevarying.R)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort.errors import ModelError, SchemaError
from cohort.survival.time_varying import cox_time_varying, mantel_byar, simon_makuch
from cohort.survival.tmerge import split_exposure

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "tests" / "reference" / "values"


@pytest.fixture(scope="module")
def amlsg_tv() -> pd.DataFrame:
    """The AMLSG table reduced to what the R script uses, built the same way from the raw file."""
    d = pd.read_csv(ROOT / "cohort" / "datasets" / "amlsg" / "AMLSG_Clinical_Anon.tsv", sep="\t")
    allo = (d["TPL_o"] == 1) & d["TPL_type"].notna() & (d["TPL_type"] != "AUTO")
    return pd.DataFrame(
        {
            "patient_id": d["PDID"].astype(str),
            "os_days": d["OS"].astype(float),
            "os_event": d["Status"].astype(int),
            "age": d["AOD"].astype(float),
            "hsct": allo.astype("boolean"),
            "hsct_days": d["TPL_date"].where(allo).astype(float),
        }
    )


def test_split_counts_equal_tmerge(amlsg_tv):
    """R: tmerge(base, base, id=id, death=event(os_days, os_event)); tmerge(..., hsct=tdc(hd))."""
    ref = pd.read_csv(VALUES / "timevarying_split_counts.csv")
    split = split_exposure(amlsg_tv, "os")
    assert len(split.intervals) == ref["n_intervals"].iloc[0]
    assert split.intervals["exposed"].sum() == ref["n_exposed_intervals"].iloc[0]
    assert split.n_patients == len(amlsg_tv)


def test_cox_time_varying_equals_r(amlsg_tv):
    """R: coxph(Surv(tstart, tstop, death) ~ hsct + age, data = tv)  (Efron ties)."""
    ref = pd.read_csv(VALUES / "timevarying_cox_hsct_age.csv").set_index("term")
    res = cox_time_varying(amlsg_tv, covariates=["age"], endpoint="os")
    for term in ("hsct", "age"):
        assert res.summary.loc[term, "coef"] == pytest.approx(ref.loc[term, "coef"], abs=1e-4)
        assert res.summary.loc[term, "se"] == pytest.approx(ref.loc[term, "se"], abs=1e-4)
    assert res.summary.loc["hsct", "hr"] == pytest.approx(np.exp(ref.loc["hsct", "coef"]), rel=1e-4)


def test_mantel_byar_equals_cox_score_tests(amlsg_tv):
    """R: coxph(Surv(tstart, tstop, death) ~ hsct, data = tv, ties = "breslow")$score (all patients) and
    coxph(..., data = tv[first 300 patients], ties = "exact")$score."""
    ref = pd.read_csv(VALUES / "timevarying_mantel_byar.csv").set_index("ties")
    binomial = mantel_byar(amlsg_tv, "os", variance="binomial")
    assert binomial.statistic == pytest.approx(ref.loc["breslow", "score"], rel=1e-6)
    exact = mantel_byar(amlsg_tv.iloc[:300], "os")
    assert exact.statistic == pytest.approx(ref.loc["exact", "score"], rel=1e-6)
    assert 0 <= exact.p_value <= 1


def test_simon_makuch_equals_survfit(amlsg_tv):
    """R: summary(survfit(Surv(tstart, tstop, death) ~ hsct, conf.type="log-log"), times=...)."""
    ref = pd.read_csv(VALUES / "timevarying_simon_makuch.csv")
    res = simon_makuch(amlsg_tv, "os")
    got = res.survival_at([180, 365, 730, 1825])
    label = {"hsct=0": "no hsct", "hsct=1": "hsct"}
    for _, row in ref.iterrows():
        g = got[(got["group"] == label[row["strata"]]) & (got["time"] == row["time"])].iloc[0]
        assert g["survival"] == pytest.approx(row["surv"], abs=1e-6)
        assert g["lower"] == pytest.approx(row["lower"], abs=1e-6)
        assert g["upper"] == pytest.approx(row["upper"], abs=1e-6)


def test_split_rules_on_hand_built_patients():
    frame = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d", "e", "f"],
            "os_days": [100.0, 100.0, 100.0, 100.0, 50.0, np.nan],
            "os_event": [1, 0, 1, 1, 1, 1],
            "hsct": pd.array([True, True, False, True, pd.NA, False], dtype="boolean"),
            "hsct_days": [40.0, 100.0, np.nan, np.nan, np.nan, np.nan],
        }
    )
    split = split_exposure(frame, "os")
    iv = split.intervals
    # a: transplanted at day 40 -> (0,40] unexposed no event, (40,100] exposed with the death
    a = iv[iv["patient_id"] == "a"]
    assert a[["start", "stop", "event", "exposed"]].to_numpy().tolist() == [
        [0, 40, 0, 0],
        [40, 100, 1, 1],
    ]
    # b: transplant on the last day of follow-up cannot have changed the outcome: one unexposed interval
    assert iv[iv["patient_id"] == "b"][["exposed"]].to_numpy().ravel().tolist() == [0]
    # d: transplanted without a date, e: unknown exposure, f: no follow-up time -> excluded with reasons
    reasons = dict(zip(split.excluded["patient_id"], split.excluded["reason"], strict=True))
    assert reasons == {
        "d": "hsct without hsct_days",
        "e": "hsct unknown",
        "f": "missing os_days or os_event",
    }
    assert split.n_patients + len(split.excluded) == len(frame)


def test_bad_endpoint_and_no_events():
    frame = pd.DataFrame(
        {"os_days": [1.0, 2.0], "os_event": [0, 0], "hsct": [True, False], "hsct_days": [0.5, None]}
    )
    with pytest.raises(SchemaError, match="cir"):
        split_exposure(frame, "cir")
    with pytest.raises(ModelError, match="no os events"):
        cox_time_varying(frame)

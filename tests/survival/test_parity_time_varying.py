"""Time-varying covariates (tmerge-style), text covariates and ties, against R.

Reference: tests/reference/reference_parity_cr_tv.R on the shipped synthetic cohort:
``tmerge(mut, mut, id = patient_id, death = event(os_days, os_event))`` then
``tmerge(tv, pb, id = patient_id, mrd = tdc(days, mrd_pos))`` and
``coxph(Surv(tstart, tstop, death) ~ mrd + age + sex, ties = "efron" | "breslow")``; and allo-HSCT
with the text covariate ``sex``: ``coxph(Surv(tstart, tstop, death) ~ hsct + age + sex)``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cohort
from cohort.errors import CohortValidationError, DataQualityWarning, SchemaError
from cohort.survival.time_varying import cox_time_varying
from cohort.survival.tmerge import split_changes

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "tests" / "reference" / "values"


def r_term(term: str) -> str:
    """R names a factor level 'sexmale'; cohort names it 'sex[male]'."""
    return "sex[male]" if term == "sexmale" else term


@pytest.fixture
def mrd_case(synthetic_for_r):
    mutated = synthetic_for_r[synthetic_for_r["npm1"].fillna(False).astype(bool)]
    mrd = pd.read_csv(ROOT / "synthetic_data" / "npm1_mrd.csv")
    pb = mrd[(mrd["sample"] == "PB") & mrd["patient_id"].isin(mutated["patient_id"])]
    changes = pd.DataFrame(
        {
            "patient_id": pb["patient_id"],
            "days": pb["days"],
            "mrd": (pb["npm1_abl1_pct"] > 0).astype(int),
        }
    )
    return mutated, changes


def test_split_changes_equals_tmerge(mrd_case):
    ref = pd.read_csv(VALUES / "parity_tmerge_counts.csv").iloc[0]
    mutated, changes = mrd_case
    split = split_changes(mutated, changes, "os", covariates=("age", "sex"))
    iv = split.intervals
    assert len(iv) == ref["n_intervals"]
    assert int(iv["mrd"].isna().sum()) == ref["n_missing"]
    assert int((iv["mrd"] == 1).sum()) == ref["n_positive"]
    assert iv["event"].sum() == mutated["os_event"].sum()
    assert (iv["start"] < iv["stop"]).all()


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_mrd_as_time_varying_covariate_equals_coxph(mrd_case, ties):
    ref = pd.read_csv(VALUES / "parity_tv_cox.csv")
    ref = ref[(ref["model"] == "mrd") & (ref["ties"] == ties)]
    mutated, changes = mrd_case
    res = cox_time_varying(mutated, ("age", "sex"), "os", changes=changes, ties=ties)
    assert res.ties == ties
    assert res.n_intervals == ref["n"].iloc[0] and res.events == ref["nevent"].iloc[0]
    for _, r in ref.iterrows():
        term = r_term(r["term"])
        assert res.summary.loc[term, "coef"] == pytest.approx(r["coef"], abs=1e-9)
        assert res.summary.loc[term, "se"] == pytest.approx(r["se"], abs=1e-9)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_exposure_with_a_text_covariate_equals_coxph(synthetic_for_r, ties):
    """Text 'sex' used to become NaN and refuse; it is a factor, as R's."""
    ref = pd.read_csv(VALUES / "parity_tv_cox.csv")
    ref = ref[(ref["model"] == "hsct") & (ref["ties"] == ties)]
    res = cox_time_varying(synthetic_for_r, ("age", "sex"), "os", exposure="hsct", ties=ties)
    assert list(res.summary.index) == [r_term(t) for t in ref["term"]]
    for _, r in ref.iterrows():
        term = r_term(r["term"])
        assert res.summary.loc[term, "coef"] == pytest.approx(r["coef"], abs=1e-9)
        assert res.summary.loc[term, "se"] == pytest.approx(r["se"], abs=1e-9)
    assert res.n_intervals == ref["n"].iloc[0]


def test_text_time_varying_values_equal_their_codes(mrd_case):
    mutated, changes = mrd_case
    coded = cox_time_varying(mutated, ("age",), changes=changes)
    text = changes.assign(mrd=changes["mrd"].map({0: "negative", 1: "positive"}))
    named = cox_time_varying(mutated, ("age",), changes=text)
    assert named.summary.loc["mrd[positive]", "coef"] == pytest.approx(
        coded.summary.loc["mrd", "coef"], abs=1e-12
    )


# ----------------------------------------------------------------------------- tmerge semantics


def _tiny() -> tuple[pd.DataFrame, pd.DataFrame]:
    patients = pd.DataFrame(
        {"patient_id": ["a", "b", "c"], "os_days": [10.0, 20.0, 5.0], "os_event": [1, 0, 1]}
    )
    changes = pd.DataFrame(
        {
            "patient_id": ["a", "a", "a", "b", "b", "b"],
            "days": [-3.0, 4.0, 10.0, 6.0, 12.0, 30.0],
            "x": [1, 0, 1, 1, 1, 0],
        }
    )
    return patients, changes


def test_split_rules_as_tmerge():
    patients, changes = _tiny()
    iv = split_changes(patients, changes).intervals
    a = iv[iv["patient_id"] == "a"]
    # -3 holds from the start, 4 cuts, 10 (= end of follow-up) has no effect
    assert a[["start", "stop", "event"]].to_numpy().tolist() == [[0, 4, 0], [4, 10, 1]]
    assert a["x"].tolist() == [1, 0]
    b = iv[iv["patient_id"] == "b"]
    # missing before the first change at 6; 12 cuts with the same value; 30 is after follow-up
    assert b["start"].tolist() == [0, 6, 12] and b["stop"].tolist() == [6, 12, 20]
    assert b["x"].isna().tolist() == [True, False, False]
    c = iv[iv["patient_id"] == "c"]
    assert len(c) == 1 and c["x"].isna().all()


@pytest.mark.filterwarnings("ignore::cohort.errors.StatisticalWarning")
def test_intervals_without_a_value_are_counted():
    patients, changes = _tiny()
    patients = pd.concat([patients] * 4, ignore_index=True)
    patients["patient_id"] = [f"{p}{i}" for i in range(4) for p in "abc"]
    patients["os_days"] = patients["os_days"] + np.arange(12)
    changes = pd.concat(
        [changes.assign(patient_id=changes["patient_id"] + str(i)) for i in range(4)]
    )
    with pytest.warns(DataQualityWarning, match="4 patient"):
        res = cox_time_varying(patients, changes=changes)
    assert res.n == 8 and any("left out" in n for n in res.notes)


def test_conflicting_changes_are_refused_with_their_rows():
    patients, changes = _tiny()
    changes = pd.concat([changes, changes.iloc[[1]].assign(x=1)], ignore_index=True)
    with pytest.raises(CohortValidationError) as info:
        split_changes(patients, changes)
    assert "row 1" in str(info.value) and "row 6" in str(info.value)


def test_bad_inputs_are_named():
    patients, changes = _tiny()
    with pytest.raises(SchemaError, match="'when'"):
        split_changes(patients, changes, changes_time="when")
    with pytest.raises(SchemaError, match="ties"):
        cox_time_varying(patients, changes=changes, ties="exact")
    with pytest.raises(SchemaError, match="no value column"):
        split_changes(patients, changes[["patient_id", "days"]])
    bad = changes.assign(days=changes["days"].astype(object))
    bad.loc[2, "days"] = "soon"
    with pytest.raises(CohortValidationError, match="row 2"):
        split_changes(patients, bad)
    with pytest.raises(SchemaError, match="cir"):
        split_changes(patients, changes, "cir")


def test_pair_endpoint(mrd_case):
    mutated, changes = mrd_case
    renamed = mutated.rename(columns={"os_days": "t", "os_event": "e"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = cox_time_varying(renamed, ("age",), ("t", "e"), changes=changes)
    b = cohort.cox_time_varying(mutated, ("age",), "os", changes=changes)
    pd.testing.assert_frame_equal(a.summary, b.summary)


def test_changes_of_unknown_patients_are_announced():
    patients, changes = _tiny()
    extra = pd.DataFrame({"patient_id": ["zz", "zz"], "days": [1.0, 2.0], "x": [0, 1]})
    with pytest.warns(DataQualityWarning, match="2 row"):
        split = split_changes(patients, pd.concat([changes, extra], ignore_index=True))
    assert "zz" not in set(split.intervals["patient_id"])

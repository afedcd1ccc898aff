"""Any endpoint and any number of causes, against R (tests/reference/reference_parity_cr_tv.R).

The input is tests/reference/data/cmprsk_amlsg.csv with death in CR split into two causes by age,
as the R script does: ``cause`` = 0 censored, 1 relapse, 2 death in CR before 50, 3 from 50 on;
``cause_gap`` = 0, 1, 3 (no code 2); ``nrm_event`` = death in CR as a 0/1 event.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cohort
from cohort.errors import CohortValidationError, ModelError, SchemaError
from cohort.survival.endpoint import endpoint_arrays, endpoint_columns, endpoint_key, endpoint_label

REF = Path(__file__).parents[1] / "reference"
VALUES = REF / "values"
PAIR = ("nrm_days", "nrm_event")


@pytest.fixture(scope="module")
def cr() -> pd.DataFrame:
    d = pd.read_csv(REF / "data" / "cmprsk_amlsg.csv")
    d["cause"] = np.where((d["cir_status"] == 2) & (d["age"] >= 50), 3, d["cir_status"])
    d["cause_gap"] = np.where(d["cir_status"] == 2, 3, d["cir_status"])
    d["nrm_days"] = d["cir_days"].astype(float)
    d["nrm_event"] = d["cause"].isin([2, 3]).astype(int)
    return d


# ----------------------------------------------------------------------------- the endpoint key


def test_endpoint_key_normalises_names_and_pairs():
    assert endpoint_key("OS") == "os"
    assert endpoint_key(["t", "e"]) == ("t", "e")
    assert endpoint_columns(("t", "e")) == ("t", "e")
    assert endpoint_columns("cir") == ("cir_days", "cir_status")
    assert endpoint_label(("t", "e")) == "t/e"
    assert endpoint_label("efs") == "EFS"
    for bad in ("dfs", ("t",), ("t", "t"), ("t", 3), 5):
        with pytest.raises(SchemaError, match="endpoint"):
            endpoint_key(bad, what="cohort.km")


def test_pair_with_unknown_column_is_named(cr):
    with pytest.raises(SchemaError, match="'nope'"):
        cohort.km(cr, ("nope", "nrm_event"))


def test_pair_with_several_causes_refused_by_single_event_functions(cr):
    with pytest.raises(CohortValidationError) as info:
        cohort.km(cr, ("nrm_days", "cause"))
    text = str(info.value)
    assert "'cause'" in text and "value 2" in text and "cohort.cuminc" in text


def test_cause_codes_must_be_whole_non_negative_numbers(cr):
    bad = cr.assign(cause=cr["cause"].astype(float))
    bad.loc[5, "cause"] = 1.5
    bad.loc[7, "cause"] = -1
    with pytest.raises(CohortValidationError) as info:
        cohort.cuminc(bad, ("nrm_days", "cause"))
    text = str(info.value)
    assert "row 5" in text and "1.5" in text and "row 7" in text


def test_endpoint_arrays_causes_flag(cr):
    frame, tcol, ecol = endpoint_arrays(cr, ("nrm_days", "cause"), causes=True)
    assert (tcol, ecol) == ("nrm_days", "cause")
    assert set(frame[ecol]) == {0, 1, 2, 3}
    assert frame.attrs["endpoint"] == ("nrm_days", "cause")


# ----------------------------------------------------------------------------- pair = R on 0/1


def test_km_on_a_pair_equals_survfit(cr):
    """R: summary(survfit(Surv(cir_days, nrm_event) ~ npm1, conf.type='log-log'), times)."""
    ref = pd.read_csv(VALUES / "parity_pair_km.csv")
    fit = cohort.km(cr, PAIR, by="npm1")
    assert fit.endpoint == PAIR
    got = fit.survival_at(sorted(ref["time"].unique()))
    for _, r in ref.iterrows():
        g = r["strata"]
        row = got[(got["group"] == g) & (got["time"] == r["time"])].iloc[0]
        assert row["survival"] == pytest.approx(r["surv"], abs=1e-12)
        assert row["lower"] == pytest.approx(r["lower"], abs=1e-10)
        assert row["upper"] == pytest.approx(r["upper"], abs=1e-10)


def test_logrank_and_cox_on_a_pair_equal_r(cr):
    """R: survdiff(Surv(cir_days, nrm_event) ~ npm1); coxph(... ~ npm1 + flt3_itd + age)."""
    lr = pd.read_csv(VALUES / "parity_pair_logrank.csv").iloc[0]
    res = cohort.logrank(cr, "npm1", PAIR)
    assert res.statistic == pytest.approx(lr["chisq"], rel=1e-10)
    ref = pd.read_csv(VALUES / "parity_pair_cox.csv").set_index("term")
    fit = cohort.cox(cr, "npm1 + flt3_itd + age", PAIR)
    assert fit.endpoint == PAIR
    for term, r in ref.iterrows():
        assert fit.summary.loc[term, "coef"] == pytest.approx(r["coef"], abs=1e-8)
        assert fit.summary.loc[term, "se"] == pytest.approx(r["se"], abs=1e-8)


def _as_os(cr: pd.DataFrame) -> pd.DataFrame:
    return cr.assign(os_days=cr["nrm_days"], os_event=cr["nrm_event"])


def test_pair_equals_the_schema_endpoint_everywhere_else(cr):
    """pairwise_logrank, rmst, median follow-up and landmark give what the same columns give as 'os'."""
    pair, named = cr, _as_os(cr)
    a = cohort.pairwise_logrank(pair, "flt3_itd", PAIR)
    b = cohort.pairwise_logrank(named, "flt3_itd", "os")
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    ra, rb = cohort.rmst(pair, 730, PAIR, by="npm1"), cohort.rmst(named, 730, "os", by="npm1")
    pd.testing.assert_frame_equal(ra.table, rb.table)
    assert ra.endpoint == PAIR
    la = cohort.landmark(pair, 90, by="npm1", endpoint=PAIR)
    lb = cohort.landmark(named, 90, by="npm1", endpoint="os")
    assert la.excluded == lb.excluded
    pd.testing.assert_frame_equal(la.cox.summary, lb.cox.summary)


def test_landmark_on_a_pair_with_causes_uses_competing_risks(cr):
    lm = cohort.landmark(cr, 30, by="npm1", endpoint=("nrm_days", "cause"))
    assert lm.km is None and lm.cuminc is not None and lm.finegray is not None
    assert lm.cuminc.causes == (1, 2, 3)


# ----------------------------------------------------------------------------- k causes = cmprsk


@pytest.mark.parametrize("status", ["cause", "cause_gap"])
def test_cuminc_with_any_causes_equals_cmprsk(cr, status):
    """R: timepoints(cuminc(cir_days, <status>, group = npm1, cencode = 0), times)."""
    ref = pd.read_csv(VALUES / "parity_cuminc_causes.csv")
    ref = ref[ref["status"] == status]
    res = cohort.cuminc(cr, ("nrm_days", status), by="npm1")
    assert res.causes == tuple(sorted(ref["event"].unique()))
    got = res.at(sorted(ref["time"].unique()))
    for _, r in ref.iterrows():
        row = got[
            (got["group"] == f"npm1={r['npm1']}")
            & (got["event"] == r["event"])
            & (got["time"] == r["time"])
        ].iloc[0]
        assert row["cif"] == pytest.approx(r["est"], abs=1e-12)
        assert row["var"] == pytest.approx(r["var"], abs=1e-12)


@pytest.mark.parametrize("status", ["cause", "cause_gap"])
def test_gray_test_for_each_cause_equals_cmprsk(cr, status):
    """R: cuminc(...)$Tests, one row per cause."""
    ref = pd.read_csv(VALUES / "parity_gray_causes.csv")
    ref = ref[ref["status"] == status].set_index("event")
    res = cohort.cuminc(cr, ("nrm_days", status), by="npm1")
    test = res.test.set_index("event")
    assert list(test.index) == list(ref.index)
    for k, r in ref.iterrows():
        assert test.loc[k, "statistic"] == pytest.approx(r["stat"], rel=1e-9)
        assert test.loc[k, "p_value"] == pytest.approx(r["pv"], rel=1e-8)
        assert test.loc[k, "dof"] == r["df"]


def test_cause_three_in_the_schema_cir_column(cr):
    """'cir' accepts a third cause in cir_status too (was refused)."""
    d = cr.assign(cir_status=cr["cause"])
    res = cohort.cuminc(d, "cir", by="npm1")
    assert res.causes == (1, 2, 3)


@pytest.mark.parametrize("failcode", [1, 2, 3])
def test_finegray_any_failcode_equals_crr(cr, failcode):
    """R: crr(cir_days, cause, cbind(npm1, flt3_itd, age), failcode = k, cencode = 0)."""
    ref = pd.read_csv(VALUES / "parity_crr_failcode.csv")
    ref = ref[ref["failcode"] == failcode].set_index("term")
    fit = cohort.finegray(cr, "npm1 + flt3_itd + age", ("nrm_days", "cause"), event=failcode)
    assert fit.event == failcode and fit.endpoint == ("nrm_days", "cause")
    assert fit.competing == int(((cr["cause"] != failcode) & (cr["cause"] > 0)).sum())
    for term, r in ref.iterrows():
        # crr stops at gtol = 1e-6 (see cohort.finegray): coefficients agree to that tolerance
        assert fit.summary.loc[term, "coef"] == pytest.approx(r["coef"], abs=1e-6)
        assert fit.summary.loc[term, "se"] == pytest.approx(r["se"], abs=1e-6)


def test_finegray_absent_cause_is_named(cr):
    with pytest.raises(ModelError, match="== 4"):
        cohort.finegray(cr, "npm1", ("nrm_days", "cause"), event=4)


def test_unused_cause_code_is_simply_absent(cr):
    d = cr.assign(cause=cr["cause"].where(cr["cause"] != 3, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = cohort.cuminc(d, ("nrm_days", "cause"))
    assert res.causes == (1, 2)


def test_km_dask_on_a_pair_equals_km(cr):
    dd = pytest.importorskip("dask.dataframe")
    from cohort.dask_engine import km_dask

    frame = cr[["nrm_days", "nrm_event", "npm1"]]
    got = km_dask(dd.from_pandas(frame, npartitions=3), PAIR, "npm1")
    want = cohort.km(frame, PAIR, "npm1")
    assert got.endpoint == PAIR
    pd.testing.assert_frame_equal(got.curves, want.curves, rtol=1e-10, atol=1e-10)

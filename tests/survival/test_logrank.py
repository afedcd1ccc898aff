"""Log-rank, stratified log-rank, test for trend and pairwise tests against R's survdiff.

Reference values: tests/reference/reference_survival.R; inputs from tests/reference/make_inputs.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort.errors import DataQualityWarning, ModelError
from cohort.survival.kaplan_meier import km
from cohort.survival.log_rank import logrank, logrank_trend, pairwise_logrank

REF = Path(__file__).parents[1] / "reference"
ELN2010 = ["Favorable", "Inter-1", "Inter-2", "Adverse"]


@pytest.fixture(scope="module")
def amlsg() -> pd.DataFrame:
    d = pd.read_csv(REF / "data" / "amlsg_survival.csv")
    for b in ("npm1", "flt3_itd"):
        d[b] = d[b].astype("boolean")
    d["eln2010"] = pd.Categorical(d["eln2010"], ELN2010)
    return d


@pytest.fixture(scope="module")
def edge() -> pd.DataFrame:
    return pd.read_csv(REF / "data" / "survival_edge.csv")


# test name in survival_logrank.csv -> (endpoint, by, strata, data)
CASES = {
    "os~npm1": ("os", "npm1", None, "amlsg"),
    "os~npm1+flt3_itd": ("os", ["npm1", "flt3_itd"], None, "amlsg"),
    "efs~flt3_itd": ("efs", "flt3_itd", None, "amlsg"),
    "os~npm1|study": ("os", "npm1", "study", "amlsg"),
    "os~flt3_itd|study+sex": ("os", "flt3_itd", ["study", "sex"], "amlsg"),
    "os~eln2010": ("os", "eln2010", None, "amlsg"),
    "os~eln2010|study": ("os", "eln2010", "study", "amlsg"),
    "os~arm(edge)": ("os", "arm", None, "edge"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_logrank_equals_r_survdiff(name, amlsg, edge):
    """sd <- survdiff(Surv(time, event) ~ by [+ strata(s)], data); sd$chisq, df = sum(sd$exp > 0) - 1"""
    ref = pd.read_csv(REF / "values" / "survival_logrank.csv").set_index("test").loc[name]
    endpoint, by, strata, data = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = logrank(edge if data == "edge" else amlsg, by, endpoint, strata=strata)
    assert res.statistic == pytest.approx(ref["chisq"], abs=1e-6, rel=0)
    assert res.dof == ref["df"]
    assert res.p_value == pytest.approx(ref["p"], rel=1e-6, abs=0)
    assert res.method == ("log-rank" if strata is None else "stratified log-rank")


def test_km_test_is_the_stratified_logrank_when_strata_given(amlsg):
    """survdiff(Surv(os_days, os_event) ~ npm1 + strata(study))"""
    ref = (
        pd.read_csv(REF / "values" / "survival_logrank.csv").set_index("test").loc["os~npm1|study"]
    )
    fit = km(amlsg, "os", by="npm1", strata="study")
    assert fit.test.statistic == pytest.approx(ref["chisq"], abs=1e-6)
    assert len(fit.table) == 2  # curves stay per group, not per stratum


def test_observed_expected_equal_r(amlsg):
    """sd <- survdiff(Surv(os_days, os_event) ~ eln2010); sd$obs, sd$exp"""
    ref = pd.read_csv(REF / "values" / "survival_logrank_oe.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        groups = logrank(amlsg, "eln2010").groups
    np.testing.assert_array_equal(groups["group"], ref["group"])
    np.testing.assert_array_equal(groups["observed"], ref["observed"])
    np.testing.assert_allclose(groups["expected"], ref["expected"], atol=1e-6, rtol=0)


@pytest.mark.parametrize("strata", [None, "study"])
def test_trend_equals_r(strata, amlsg):
    """sd <- survdiff(Surv(os_days, os_event) ~ eln2010 [+ strata(study)]); w <- 1:4
    (sum(w * (rowSums(sd$obs) - rowSums(sd$exp))))^2 / (t(w) %*% sd$var %*% w)"""
    ref = pd.read_csv(REF / "values" / "survival_logrank_trend.csv").set_index("test")
    ref = ref.loc["os~eln2010" if strata is None else "os~eln2010|study"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = logrank_trend(amlsg, "eln2010", strata=strata)
        via_km = km(amlsg, "os", by="eln2010", strata=strata).trend()
    assert res.statistic == pytest.approx(ref["chisq"], abs=1e-6, rel=0)
    assert res.p_value == pytest.approx(ref["p"], rel=1e-6)
    assert res.dof == 1
    assert via_km.statistic == res.statistic


def test_trend_scores_are_checked(amlsg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        with pytest.raises(ModelError, match="4 groups"):
            logrank_trend(amlsg, "eln2010", scores=[1, 2])
        # reversing the scores leaves a 1-df chi-square unchanged
        a = logrank_trend(amlsg, "eln2010", scores=[4, 3, 2, 1]).statistic
        b = logrank_trend(amlsg, "eln2010").statistic
    assert a == pytest.approx(b, rel=1e-12)


def test_oev_chisq_agrees_with_statsmodels(amlsg):
    """The internal O/E/V (used for trend) gives the same k-group chi-square as statsmodels' survdiff."""
    from cohort.survival.log_rank import _oev
    from cohort.survival.prepared import _prepare

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        prep = _prepare(amlsg, "os", "eln2010", "study", "test")
    from statsmodels.duration.survfunc import survdiff

    obs, exp, var = _oev(prep, prep.group_codes, 4)
    u = (obs - exp)[:-1]
    chisq = u @ np.linalg.solve(var[:-1, :-1], u)
    ref = (
        pd.read_csv(REF / "values" / "survival_logrank.csv")
        .set_index("test")
        .loc["os~eln2010|study"]
    )
    assert chisq == pytest.approx(ref["chisq"], abs=1e-6)
    oracle, _ = survdiff(prep.time, prep.event, prep.group_codes, strata=prep.strata_codes)
    assert chisq == pytest.approx(oracle, rel=1e-10)


@pytest.mark.parametrize(
    "adjust,column", [("holm", "holm"), ("BH", "BH"), ("bonferroni", "bonferroni")]
)
def test_pairwise_equals_r(adjust, column, amlsg):
    """For each pair: survdiff(Surv(os_days, os_event) ~ eln2010, data = pair); p.adjust(p, method)
    (what survminer::pairwise_survdiff does)."""
    ref = pd.read_csv(REF / "values" / "survival_pairwise.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        got = km(amlsg, "os", by="eln2010").pairwise(adjust=adjust)
    np.testing.assert_array_equal(got["group1"], ref["group1"])
    np.testing.assert_array_equal(got["group2"], ref["group2"])
    np.testing.assert_allclose(got["statistic"], ref["chisq"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(got["p_value"], ref["p"], rtol=1e-6, atol=0)
    np.testing.assert_allclose(got["p_adjusted"], ref[column], rtol=1e-6, atol=0)


def test_pairwise_function_and_bad_adjust(amlsg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        got = pairwise_logrank(amlsg, "eln2010", adjust="none")
        assert (got["p_adjusted"] == got["p_value"]).all()
        with pytest.raises(ModelError, match="adjust="):
            pairwise_logrank(amlsg, "eln2010", adjust="magic")


def test_single_group_cannot_be_tested(amlsg):
    with pytest.raises(ModelError, match="two groups"):
        logrank(amlsg[amlsg["npm1"] == True], "npm1")  # noqa: E712


def test_synthetic_cohort_logrank_matches_r_when_present(synthetic_for_r):
    """survdiff(Surv(os_days, os_event) ~ npm1, data = synthetic_data/npm1_cohort.csv)$chisq"""
    d = synthetic_for_r
    ref = pd.read_csv(REF / "values" / "survival_logrank.csv").set_index("test")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = logrank(d, "npm1")
    assert res.statistic == pytest.approx(ref.loc["synthetic:os~npm1", "chisq"], abs=1e-6)


def test_stratified_pairwise_equals_r(amlsg):
    """For each pair: survdiff(Surv(os_days, os_event) ~ eln2010 + strata(study), data = pair);
    p.adjust(p, "holm")"""
    ref = pd.read_csv(REF / "values" / "survival_pairwise_strata.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        got = pairwise_logrank(amlsg, "eln2010", strata="study")
    np.testing.assert_allclose(got["statistic"], ref["chisq"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(got["p_adjusted"], ref["holm"], rtol=1e-6, atol=0)


def test_singular_variance_fallback_matches_statsmodels_restricted_inverse():
    """When statsmodels cannot invert V (a group with no one at risk at any event time), the fallback
    restricts V to the groups with expected events, less one, as R's survdiff does, instead of a
    pseudo-inverse of rounding noise. Forced here on a regular table, it must give survdiff's statistic."""
    import numpy as np
    import pandas as pd

    from cohort.survival.log_rank import _logrank_prepared
    from cohort.survival.prepared import _prepare

    frame = pd.DataFrame(
        {
            "os_days": [1, 2, 2, 3, 4, 5, 6, 6, 7, 8, 20, 21],
            "os_event": [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0],
            "g": ["a", "a", "a", "a", "b", "b", "b", "b", "b", "a", "c", "c"],
        }
    )
    from unittest import mock

    with mock.patch("statsmodels.duration.survfunc.survdiff", side_effect=np.linalg.LinAlgError):
        forced = _logrank_prepared(_prepare(frame, "os", "g", None, "test"))
    from statsmodels.duration.survfunc import survdiff

    # the fallback's quadratic form (V restricted, one group dropped) is survdiff's statistic
    expected, _ = survdiff(
        frame["os_days"].to_numpy(float), frame["os_event"].to_numpy(int), frame["g"].to_numpy()
    )
    assert forced.statistic == pytest.approx(expected, rel=1e-10)

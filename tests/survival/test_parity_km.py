"""Kaplan-Meier and log-rank edge cases and R arguments against R (issue 12; values written by
``tests/reference/reference_parity_km_cox.R``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from parity_data import parity_input, reference

import cohort
from cohort.plots import at_risk_table

ADJUST = ["holm", "bonferroni", "hochberg", "hommel", "bh", "by", "none"]


@pytest.fixture(scope="module")
def d() -> pd.DataFrame:
    return parity_input()


@pytest.fixture(scope="module")
def time0() -> pd.DataFrame:
    return reference("time0_input").rename(columns={"time": "os_days", "status": "os_event"})


# ---- 1. a death and a censoring at time 0 ------------------------------------------------------


def test_survival_at_keeps_a_real_time_zero_row(time0):
    ref = reference("time0")
    got = cohort.km(time0, "os", conf_type="log").survival_at(ref["time"].to_list())
    assert got["survival"].iloc[0] == pytest.approx(5 / 6, abs=1e-15)
    np.testing.assert_allclose(got["survival"], ref["survival"], rtol=1e-13)
    np.testing.assert_allclose(got["lower"], ref["lower"], rtol=1e-12)
    np.testing.assert_array_equal(got["at_risk"], ref["at_risk"])


def test_at_risk_table_under_the_plot_counts_time_zero_exits(time0):
    ref = reference("time0")
    got = at_risk_table(cohort.km(time0, "os"), ref["time"].to_list())
    np.testing.assert_array_equal(got["at_risk"], ref["at_risk"])


def test_dask_km_inherits_the_time_zero_row(time0):
    dd = pytest.importorskip("dask.dataframe")
    from cohort.dask_engine import km_dask

    ref = reference("time0")
    got = km_dask(dd.from_pandas(time0, npartitions=2), "os", conf_type="log").survival_at(
        ref["time"].to_list()
    )
    np.testing.assert_allclose(got["survival"], ref["survival"], rtol=1e-13)
    np.testing.assert_array_equal(got["at_risk"], ref["at_risk"])


# ---- 2. pairwise log-rank with a degenerate pair -------------------------------------------------


@pytest.mark.parametrize("adjust", ADJUST)
def test_pairwise_degenerate_pair_gets_p_one_and_others_stay(d, adjust):
    ref = reference("pairwise")
    ref = ref[(ref["adjust"] == adjust) & (ref["rho"] == 0)].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = cohort.pairwise_logrank(d, "pgrp", adjust=adjust)
        via_fit = cohort.km(d, "os", by="pgrp").pairwise(adjust)
    assert list(got["group1"]) == list(ref["group1"])
    assert not got["p_adjusted"].isna().any()
    np.testing.assert_allclose(got["statistic"], ref["statistic"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got["p_value"], ref["p_value"], rtol=1e-9)
    np.testing.assert_allclose(got["p_adjusted"], ref["p_adjusted"], rtol=1e-9)
    pd.testing.assert_frame_equal(got, via_fit)


def test_pairwise_with_rho_equals_survminer(d):
    ref = reference("pairwise")
    ref = ref[(ref["adjust"] == "bh") & (ref["rho"] == 1)].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = cohort.pairwise_logrank(d, "pgrp", adjust="BH", rho=1)
        via_fit = cohort.km(d, "os", by="pgrp", rho=1).pairwise("BH")
    np.testing.assert_allclose(got["statistic"], ref["statistic"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got["p_adjusted"], ref["p_adjusted"], rtol=1e-9)
    pd.testing.assert_frame_equal(got, via_fit)


# ---- 5. timefix ---------------------------------------------------------------------------------


@pytest.mark.parametrize("timefix", [True, False])
def test_timefix_merges_times_equal_up_to_rounding_as_r(d, timefix):
    ref = reference("timefix")
    ref = ref[ref["timefix"] == timefix].set_index("what")["value"]
    e = d.assign(os_days=d["time_fp"])
    fit = cohort.km(e, "os", by="grp", conf_type="log", timefix=timefix)
    real_rows = fit.curves[fit.curves["events"] + fit.curves["censored"] > 0]
    assert len(real_rows) == ref["km_rows"]
    assert fit.table["median"].iloc[0] == ref["km_median_A"]
    at = fit.survival_at([100, 300, 600])["survival"].to_numpy()
    np.testing.assert_allclose(at, ref[[f"km_surv_{i}" for i in range(1, 10)]], rtol=1e-13)
    stat = cohort.logrank(e, "grp", timefix=timefix).statistic
    assert stat == pytest.approx(ref["logrank_chisq"], rel=1e-10)
    assert fit.test.statistic == pytest.approx(stat, rel=1e-14)


def test_timefix_changes_nothing_on_whole_days(d):
    a = cohort.km(d, "os", by="grp")
    b = cohort.km(d, "os", by="grp", timefix=False)
    pd.testing.assert_frame_equal(a.curves, b.curves)


# ---- 6. rho -------------------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [0, 0.5, 1])
@pytest.mark.parametrize("strata", [False, True])
def test_logrank_rho_equals_survdiff(d, rho, strata):
    ref = reference("logrank_rho")
    ref = ref[(ref["rho"] == rho) & (ref["strata"] == strata)]
    kw = {"strata": "st"} if strata else {}
    got = cohort.logrank(d, "grp", rho=rho, **kw)
    assert got.statistic == pytest.approx(ref["chisq"].iloc[0], rel=1e-10)
    assert got.p_value == pytest.approx(ref["p"].iloc[0], rel=1e-8)
    np.testing.assert_allclose(got.groups["observed"], ref["observed"], rtol=1e-12)
    np.testing.assert_allclose(got.groups["expected"], ref["expected"], rtol=1e-12)
    assert cohort.km(d, "os", by="grp", rho=rho, **kw).test.statistic == got.statistic
    assert ("rho" in got.method) == (rho != 0)


def test_rho_must_be_a_non_negative_number(d):
    from cohort.errors import ModelError

    with pytest.raises(ModelError, match="rho"):
        cohort.logrank(d, "grp", rho=-1)


# ---- 9-10. weights and delayed entry -----------------------------------------------------------


@pytest.mark.parametrize(
    "model,kwargs",
    [
        ("weights", {"weights": "w"}),
        ("entry", {"entry": "entry"}),
        ("entry_weights", {"entry": "entry", "weights": "w"}),
    ],
)
def test_km_with_weights_and_entry_equals_survfit(d, model, kwargs):
    ref = reference("km_weights_entry")
    ref = ref[ref["model"] == model].reset_index(drop=True)
    fit = cohort.km(d, "os", by="grp", conf_type="log", **kwargs)
    got = fit.curves[fit.curves["events"] + fit.curves["censored"] > 0].reset_index(drop=True)
    assert len(got) == len(ref)
    assert list(got["group"]) == list(ref["group"])
    np.testing.assert_allclose(got["time"], ref["time"], rtol=0)
    np.testing.assert_allclose(got["at_risk"], ref["at_risk"], rtol=1e-12)
    np.testing.assert_allclose(got["events"], ref["events"], rtol=1e-12)
    # R's curve ends at 1e-17 where weighted n - d rounds differently: absolute there
    np.testing.assert_allclose(got["survival"], ref["survival"], rtol=1e-12, atol=1e-15)
    # non-integer weights: R's robust (infinitesimal-jackknife) SE, stored by R as the SE of S
    finite = np.isfinite(ref["std_err"]) & (ref["survival"] > 1e-12)
    se = got["std_err"] * (got["survival"] if "weights" in kwargs else 1.0)
    np.testing.assert_allclose(se[finite], ref["std_err"][finite], rtol=1e-9)
    np.testing.assert_allclose(got["lower"][finite], ref["lower"][finite], rtol=1e-9)
    # summary(fit, times=) reads the same risk sets
    at = fit.survival_at([200.5])
    first = got[got["time"] >= 200.5].groupby("group", sort=False)["at_risk"].first()
    np.testing.assert_allclose(at["at_risk"], first.to_numpy(), rtol=0)


@pytest.mark.parametrize(
    "model,kwargs",
    [
        ("weights_int", {"weights": "wi"}),
        ("entry", {"entry": "entry"}),
        ("entry_strata", {"entry": "entry", "strata": "st"}),
        ("check_no_entry", {}),
    ],
)
def test_logrank_with_weights_and_entry_equals_r(d, model, kwargs):
    ref = reference("logrank_weights_entry").set_index("model").loc[model]
    got = cohort.logrank(d, "grp", **kwargs)
    assert got.statistic == pytest.approx(ref["chisq"], rel=1e-9)
    assert got.dof == ref["df"]


def test_integer_weights_equal_replicated_rows(d):
    rep = d.loc[d.index.repeat(d["wi"])]
    a = cohort.km(d, "os", by="grp", weights="wi")
    b = cohort.km(rep, "os", by="grp")
    pd.testing.assert_frame_equal(a.curves, b.curves)
    assert a.test.statistic == pytest.approx(b.test.statistic, rel=1e-12)


def test_bad_weights_and_entry_are_named(d):
    from cohort.errors import CohortValidationError

    e = d.copy()
    e.loc[4, "w"] = -1.0
    with pytest.raises(CohortValidationError, match="w"):
        cohort.km(e, "os", weights="w")
    e = d.copy()
    e.loc[7, "entry"] = e.loc[7, "os_days"]
    with pytest.raises(CohortValidationError, match="entry"):
        cohort.logrank(e, "grp", entry="entry")


def test_missing_weight_is_left_out_and_counted(d):
    from cohort.errors import DataQualityWarning

    e = d.copy()
    e.loc[[1, 2], "w"] = np.nan
    with pytest.warns(DataQualityWarning, match="2 patient"):
        fit = cohort.km(e, "os", weights="w")
    assert fit.excluded["missing_weights"] == 2
    assert fit.table["n"].iloc[0] == len(d) - 2


# ---- 11. RMST ratio ---------------------------------------------------------------------------


def test_rmst_ratio_next_to_the_difference_equals_rmst2(d):
    ref = reference("rmst").iloc[0]
    res = cohort.rmst(d[d["grp"].isin(["A", "B"])], float(ref["tau"]), "os", by="grp")
    assert res.table["rmst"].to_list() == pytest.approx([ref["rmst0"], ref["rmst1"]], rel=1e-12)
    row = res.difference.iloc[0]
    for col, key in [
        ("difference", "difference"),
        ("lower", "diff_lower"),
        ("upper", "diff_upper"),
        ("p_value", "diff_p"),
        ("ratio", "ratio"),
        ("ratio_lower", "ratio_lower"),
        ("ratio_upper", "ratio_upper"),
        ("ratio_p_value", "ratio_p"),
    ]:
        assert row[col] == pytest.approx(ref[key], rel=1e-10), col


@pytest.mark.parametrize("model", ["weights", "entry"])
def test_survival_at_and_risk_table_with_weights_and_entry(d, model):
    ref = reference("km_at")
    ref = ref[ref["model"] == model].reset_index(drop=True)
    fit = cohort.km(d, "os", by="grp", **{model: "w" if model == "weights" else "entry"})
    got = fit.survival_at([0, 365, 730])
    assert list(got["group"]) == list(ref["group"])
    np.testing.assert_allclose(got["survival"], ref["survival"], rtol=1e-12)
    np.testing.assert_allclose(got["at_risk"], ref["at_risk"], rtol=1e-12)
    table = at_risk_table(fit, [0, 365, 730])
    np.testing.assert_allclose(table["at_risk"], ref["at_risk"], rtol=1e-12)


def test_timefix_reaches_trend_and_rmst(d):
    e = d.assign(os_days=d["time_fp"])
    exact = cohort.logrank_trend(d, "grp").statistic
    assert cohort.logrank_trend(e, "grp").statistic == pytest.approx(exact, rel=1e-9)
    assert abs(cohort.logrank_trend(e, "grp", timefix=False).statistic - exact) > 1e-6
    fixed = cohort.rmst(e, 700, by="grp").table["rmst"]
    np.testing.assert_allclose(fixed, cohort.rmst(d, 700, by="grp").table["rmst"], rtol=1e-9)

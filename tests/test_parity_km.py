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

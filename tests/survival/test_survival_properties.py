"""Property tests of the Kaplan-Meier estimates, log-rank and RMST on random data (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort.errors import StatisticalWarning
from cohort.survival.kaplan_meier import km
from cohort.survival.log_rank import logrank
from cohort.survival.restricted_mean import rmst

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cohorts(draw, max_n: int = 40):
    n = draw(st.integers(min_value=2, max_value=max_n))
    # few distinct integer times so that ties (the clinical norm) are frequent
    times = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    events = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    groups = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    return pd.DataFrame(
        {"os_days": np.array(times, dtype=float), "os_event": events, "arm": groups}
    )


@SETTINGS
@given(cohorts(), st.sampled_from(["log-log", "log", "plain"]))
def test_curves_in_unit_interval_non_increasing_and_ci_contains_estimate(frame, conf_type):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        fit = km(frame, by="arm", conf_type=conf_type)
    for _, curve in fit.curves.groupby("group"):
        s = curve["survival"].to_numpy()
        assert ((s >= 0) & (s <= 1)).all()
        assert (np.diff(s) <= 1e-12).all()
        lo, up = curve["lower"].to_numpy(), curve["upper"].to_numpy()
        ok = ~np.isnan(lo) & ~np.isnan(up)
        assert (lo[ok] <= s[ok] + 1e-12).all() and (s[ok] <= up[ok] + 1e-12).all()
        assert ((lo[ok] >= 0) & (up[ok] <= 1 + 1e-12)).all()
        at_risk = curve["at_risk"].to_numpy()
        assert (np.diff(at_risk) <= 0).all()
    assert fit.table["n"].sum() == len(frame)
    assert fit.table["events"].sum() == frame["os_event"].sum()
    med = fit.table
    ok = med[["median", "median_lower", "median_upper"]].notna().all(axis=1)
    assert (med.loc[ok, "median_lower"] <= med.loc[ok, "median"]).all()
    assert (med.loc[ok, "median"] <= med.loc[ok, "median_upper"]).all()


@SETTINGS
@given(cohorts())
def test_logrank_is_invariant_to_relabelling_and_rmst_bounded(frame):
    if frame["arm"].nunique() < 2 or frame["os_event"].sum() == 0:
        return
    relabelled = frame.assign(arm=frame["arm"].map({"a": "z", "b": "y", "c": "x"}))
    a = logrank(frame, "arm").statistic
    b = logrank(relabelled, "arm").statistic
    assert a >= -1e-9 and np.isclose(a, b, rtol=1e-9, atol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = rmst(frame, 15.0).table.iloc[0]
    assert 0 <= res["rmst"] <= 15.0 + 1e-9 and res["se"] >= 0

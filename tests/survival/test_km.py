"""Kaplan-Meier estimates, limits, medians and median follow-up against R's survival package.

Reference values: tests/reference/reference_survival.R (run by tests/reference/make_reference.R).
Inputs: tests/reference/data/*.csv written by tests/reference/make_inputs.py from the bundled AMLSG table.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort.cohort import Cohort
from cohort.errors import CohortValidationError, DataQualityWarning, ModelError, SchemaError
from cohort.survival.kaplan_meier import km, median_follow_up

REF = Path(__file__).parents[1] / "reference"
ELN2010 = ["Favorable", "Inter-1", "Inter-2", "Adverse"]


def load_amlsg() -> pd.DataFrame:
    d = pd.read_csv(REF / "data" / "amlsg_survival.csv")
    for b in ("npm1", "flt3_itd"):
        d[b] = d[b].astype("boolean")
    for c in ("os_event", "efs_event"):
        d[c] = d[c].astype("Int64")
    for c in ("os_days", "efs_days", "age"):
        d[c] = d[c].astype("Float64")
    d["eln2010"] = pd.Categorical(d["eln2010"], ELN2010)
    return d


@pytest.fixture(scope="module")
def amlsg() -> pd.DataFrame:
    return load_amlsg()


@pytest.fixture(scope="module")
def edge() -> pd.DataFrame:
    return pd.read_csv(REF / "data" / "survival_edge.csv")


def _data(name, amlsg, edge):
    return edge if name == "edge" else amlsg


def _by(by: str):
    if not isinstance(by, str) or by == "":
        return None
    parts = by.split("+")
    return parts[0] if len(parts) == 1 else parts


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / "values" / name, keep_default_na=True)


SPECS = (
    _ref("survival_km_curves.csv")[["data", "endpoint", "by", "conf_type"]]
    .fillna("")
    .drop_duplicates()
    .query("data != 'synthetic'")
    .itertuples(index=False, name=None)
)
SPECS = list(SPECS)


def _fit(spec, amlsg, edge):
    data, endpoint, by, conf_type = spec
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return km(_data(data, amlsg, edge), endpoint, by=_by(by), conf_type=conf_type)


@pytest.mark.parametrize("spec", SPECS, ids=["-".join(s) for s in SPECS])
def test_curves_match_r(spec, amlsg, edge):
    """fit <- survfit(Surv(time, event) ~ g, conf.type = ct)
    data.frame(fit$time, fit$n.risk, fit$n.event, fit$n.censor, fit$surv, fit$std.err, fit$lower, fit$upper)
    """
    ref = _ref("survival_km_curves.csv").fillna({"by": ""})
    ref = ref[(ref[["data", "endpoint", "by", "conf_type"]] == list(spec)).all(axis=1)]
    fit = _fit(spec, amlsg, edge)
    got = fit.curves[fit.curves["at_risk"] > 0].copy()
    # our curves start with a synthetic time-0 row; R's do not
    got = got[~((got["time"] == 0) & (got["events"] == 0) & (got["censored"] == 0))]
    assert len(got) == len(ref)
    np.testing.assert_array_equal(got["group"].to_numpy(), ref["group"].to_numpy())
    np.testing.assert_array_equal(got["time"].to_numpy(), ref["time"].to_numpy())
    np.testing.assert_array_equal(got["at_risk"].to_numpy(), ref["n_risk"].to_numpy())
    np.testing.assert_array_equal(got["events"].to_numpy(), ref["n_event"].to_numpy())
    np.testing.assert_array_equal(got["censored"].to_numpy(), ref["n_censor"].to_numpy())
    for ours, theirs in [
        ("survival", "surv"),
        ("std_err", "std_err"),
        ("lower", "lower"),
        ("upper", "upper"),
    ]:
        a, b = got[ours].to_numpy(dtype=float), ref[theirs].to_numpy(dtype=float)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=ours)
        fin = np.isfinite(b)
        np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
        np.testing.assert_allclose(a[fin], b[fin], rtol=0, atol=1e-6, err_msg=ours)


@pytest.mark.parametrize("spec", SPECS, ids=["-".join(s) for s in SPECS])
def test_median_and_ci_equal_r(spec, amlsg, edge):
    """summary(survfit(Surv(time, event) ~ g, conf.type = ct))$table[, c("median", "0.95LCL", "0.95UCL")]
    (the rule of print.survfit: the CI of the median is where the upper and lower curves cross 0.5)."""
    ref = _ref("survival_km_medians.csv").fillna({"by": ""})
    ref = ref[(ref[["data", "endpoint", "by", "conf_type"]] == list(spec)).all(axis=1)]
    tab = _fit(spec, amlsg, edge).table
    np.testing.assert_array_equal(tab["group"].to_numpy(), ref["group"].to_numpy())
    np.testing.assert_array_equal(tab["n"].to_numpy(), ref["n"].to_numpy())
    np.testing.assert_array_equal(tab["events"].to_numpy(), ref["events"].to_numpy())
    for ours, theirs in [("median", "median"), ("median_lower", "lcl"), ("median_upper", "ucl")]:
        np.testing.assert_array_equal(
            tab[ours].to_numpy(dtype=float), ref[theirs].to_numpy(dtype=float)
        )


def test_median_midpoint_rule_on_a_flat_half():
    """R: survfit(Surv(c(1,2,3,4), c(1,1,0,1)) ~ 1) has S = 0.5 exactly on [2, 4): median (2 + 4) / 2 = 3."""
    d = pd.DataFrame({"os_days": [1.0, 2, 3, 4], "os_event": [1, 1, 0, 1]})
    assert km(d).table["median"].iloc[0] == 3.0


AT_SPECS = [s for s in SPECS if s[0] != "edge"]


@pytest.mark.parametrize("spec", AT_SPECS, ids=["-".join(s) for s in AT_SPECS])
def test_survival_at_times_matches_r_summary(spec, amlsg, edge):
    """summary(survfit(Surv(time, event) ~ g, conf.type = ct), times = c(180, 365, 730, 1825))"""
    ref = _ref("survival_km_at.csv").fillna({"by": ""})
    ref = ref[(ref[["data", "endpoint", "by", "conf_type"]] == list(spec)).all(axis=1)]
    got = _fit(spec, amlsg, edge).survival_at([180, 365, 730, 1825])
    ref = ref.rename(columns={"lower": "r_lower", "upper": "r_upper"})
    got = got.merge(ref, on=["group", "time"], how="inner")
    assert len(got) == len(ref)
    np.testing.assert_array_equal(got["at_risk"].to_numpy(), got["n_risk"].to_numpy())
    for ours, theirs in [("survival", "surv"), ("lower", "r_lower"), ("upper", "r_upper")]:
        np.testing.assert_allclose(got[ours], got[theirs], rtol=0, atol=1e-6)


def test_follow_up_interquartile_range_equals_r(amlsg, edge):
    """quantile(survfit(Surv(time, 1 - event) ~ g), probs = c(0.25, 0.75), conf.int = FALSE)"""
    ref = _ref("survival_followup_quantiles.csv").fillna({"by": ""})
    ref = ref[ref["data"] != "synthetic"]
    assert len(ref) > 10
    for (data, endpoint, by), block in ref.groupby(["data", "endpoint", "by"], sort=False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            got = median_follow_up(_data(data, amlsg, edge), endpoint, by=_by(by))
        np.testing.assert_array_equal(got["group"].to_numpy(), block["group"].to_numpy())
        np.testing.assert_array_equal(got["q25"].to_numpy(), block["q25"].to_numpy(dtype=float))
        np.testing.assert_array_equal(got["q75"].to_numpy(), block["q75"].to_numpy(dtype=float))
        assert (got["q25"].dropna() <= got["median_follow_up"][got["q25"].notna()]).all()


def test_follow_up_reverse_km_equals_r(amlsg, edge):
    """summary(survfit(Surv(time, 1 - event) ~ g, conf.type = "log-log"))$table[, c("median","0.95LCL","0.95UCL")]"""
    ref = _ref("survival_followup.csv").fillna({"by": ""})
    ref = ref[ref["data"] != "synthetic"]
    for (data, endpoint, by), block in ref.groupby(["data", "endpoint", "by"], sort=False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            got = median_follow_up(_data(data, amlsg, edge), endpoint, by=_by(by))
        np.testing.assert_array_equal(got["group"].to_numpy(), block["group"].to_numpy())
        np.testing.assert_array_equal(
            got["median_follow_up"].to_numpy(), block["median"].to_numpy()
        )
        np.testing.assert_array_equal(got["lower"].to_numpy(), block["lcl"].to_numpy(dtype=float))
        np.testing.assert_array_equal(got["upper"].to_numpy(), block["ucl"].to_numpy(dtype=float))


def test_result_method_follow_up_equals_function(amlsg):
    fit = km(amlsg, "os", by="npm1")
    pd.testing.assert_frame_equal(fit.median_follow_up(), median_follow_up(amlsg, "os", by="npm1"))


def test_synthetic_cohort_matches_r_when_present(synthetic_for_r):
    """survfit(Surv(os_days, os_event) ~ npm1, conf.type = ct) on synthetic_data/npm1_cohort.csv."""
    d = synthetic_for_r
    ref = _ref("survival_km_medians.csv")
    ref = ref[ref["data"] == "synthetic"]
    for ct, block in ref.groupby("conf_type"):
        tab = km(d, "os", by="npm1", conf_type=ct).table
        np.testing.assert_array_equal(
            tab["median"].to_numpy(), block["median"].to_numpy(dtype=float)
        )


def test_missing_group_is_excluded_counted_and_warned(amlsg):
    with pytest.warns(DataQualityWarning, match="129 patient"):
        fit = km(amlsg, "os", by="eln2010")
    assert fit.excluded == {"missing_group": 129}
    assert fit.table["n"].sum() == len(amlsg) - 129
    assert any("129" in n for n in fit.notes)


def test_missing_endpoint_is_excluded_and_counted(amlsg):
    with pytest.warns(DataQualityWarning, match="efs_days"):
        fit = km(amlsg, "efs")
    assert fit.excluded == {"missing_endpoint": 1}
    assert fit.table["n"].iloc[0] == len(amlsg) - 1


def test_cohort_input_and_group_labels(amlsg):
    fit = km(Cohort(amlsg), "os", by=["npm1", "flt3_itd"])
    assert list(fit.table["group"]) == [
        "npm1=False, flt3_itd=False",
        "npm1=False, flt3_itd=True",
        "npm1=True, flt3_itd=False",
        "npm1=True, flt3_itd=True",
    ]
    assert fit.test is not None and fit.test.dof == 3
    assert km(amlsg).test is None


def test_curves_are_tidy_and_start_at_one(amlsg):
    curves = km(amlsg, "os", by="npm1").curves
    assert list(curves.columns[:8]) == [
        "group",
        "time",
        "survival",
        "lower",
        "upper",
        "at_risk",
        "events",
        "censored",
    ]
    first = curves.groupby("group").head(1)
    assert (first["time"] == 0).all() and (first["survival"] == 1).all()


def test_survival_at_before_first_and_after_last_time():
    d = pd.DataFrame({"os_days": [5.0, 10, 20], "os_event": [1, 0, 0]})
    """summary(survfit(Surv(c(5, 10, 20), c(1, 0, 0)) ~ 1, conf.type = "log-log"), times = c(0, 5))
    gives surv 1, lower 1, upper 1 at time 0, and 0.6666667 (0.05407343, 0.9452064) at time 5."""
    got = km(d).survival_at([0, 5, 25])
    assert got.iloc[0][["survival", "lower", "upper"]].tolist() == [1.0, 1.0, 1.0]
    assert got["survival"].iloc[1] == pytest.approx(2 / 3)
    assert got["lower"].iloc[1] == pytest.approx(0.05407343, abs=1e-8)
    assert got["upper"].iloc[1] == pytest.approx(0.9452064, abs=1e-7)
    assert np.isnan(got["survival"].iloc[2])  # not extrapolated beyond follow-up
    assert got["at_risk"].tolist() == [3, 3, 0]


def test_bad_input_errors_name_the_problem(amlsg):
    bad = amlsg.head(5).copy()
    bad["os_days"] = bad["os_days"].astype(float)
    bad.loc[2, "os_days"] = -3.0
    with pytest.raises(CohortValidationError, match="os_days.*row 2"):
        km(bad)
    with pytest.raises(SchemaError, match="unknown endpoint"):
        km(amlsg, "pfs")
    with pytest.raises(SchemaError, match="nonexistent"):
        km(amlsg, by="nonexistent")
    with pytest.raises(ModelError, match="conf_type"):
        km(amlsg, conf_type="logit")
    with pytest.raises(ModelError, match="cuminc"):
        km(amlsg.assign(cir_days=1.0, cir_status=1), "cir")
    with pytest.raises(SchemaError, match="Cohort or a pandas DataFrame"):
        km([1, 2, 3])


def test_endpoint_arrays_contract():
    """The shared helper other survival modules import: kept rows, dtypes, counts, cir codes."""
    from cohort.survival.endpoint import endpoint_arrays

    d = pd.DataFrame(
        {
            "cir_days": pd.array([10.0, None, 30.0, 40.0], dtype="Float64"),
            "cir_status": pd.array([1, 2, None, 0], dtype="Int64"),
        }
    )
    with pytest.warns(DataQualityWarning, match="2 of 4"):
        frame, tcol, ecol = endpoint_arrays(d, "cir", what="test")
    assert (tcol, ecol) == ("cir_days", "cir_status")
    assert frame[ecol].tolist() == [1, 0] and frame[tcol].dtype == np.float64
    assert frame.attrs["n_missing_endpoint"] == 2 and frame.attrs["missing_index"] == [1, 2]
    with pytest.raises(CohortValidationError, match="os_event.*value 2"):
        endpoint_arrays(pd.DataFrame({"os_days": [1.0], "os_event": [2]}), "os", what="test")
    with pytest.raises(CohortValidationError, match="not a number|non-negative"):
        endpoint_arrays(pd.DataFrame({"os_days": ["soon"], "os_event": [1]}), "os", what="test")


def test_other_confidence_level_equals_r(amlsg):
    """f <- survfit(Surv(os_days, os_event) ~ npm1, conf.int = 0.9, conf.type = "log-log")
    summary(f)$table[, c("median", "0.9LCL", "0.9UCL")]; sum(f$lower, na.rm = TRUE); sum(f$upper, na.rm = TRUE)"""
    ref = _ref("survival_km_conf90.csv")
    fit = km(amlsg, "os", by="npm1", conf_level=0.9)
    np.testing.assert_array_equal(fit.table["median_lower"], ref["lcl"].astype(float))
    np.testing.assert_array_equal(fit.table["median_upper"], ref["ucl"].astype(float))
    rows = fit.curves[fit.curves["time"] > 0]
    assert rows["lower"].sum() == pytest.approx(ref["lower_sum"].iloc[0], abs=1e-6)
    assert rows["upper"].sum() == pytest.approx(ref["upper_sum"].iloc[0], abs=1e-6)

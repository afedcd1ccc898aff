"""Cumulative incidence (cohort.cuminc) against R's cmprsk::cuminc / cmprsk::timepoints.

Reference values: tests/reference/reference_cmprsk.R (run by tests/reference/make_reference.R), which
also writes the inputs tests/reference/data/cmprsk_amlsg.csv (AMLSG CIR table, derivation in the R
script's header) and tests/reference/data/cmprsk_ties.csv (heavily tied times).
R calls: fit <- cuminc(cir_days, cir_status, group); fit[["<group> <cause>"]]$time/$est/$var
(cmprsk_cuminc_curves.csv) and timepoints(fit, times) (cmprsk_cuminc_at.csv).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cohort import cuminc
from cohort.cohort import Cohort
from cohort.errors import CohortValidationError, DataQualityWarning, ModelError, SchemaError

REF = Path(__file__).parents[1] / "reference"
ELN2010 = ["Favorable", "Inter-1", "Inter-2", "Adverse"]


def load(name: str) -> pd.DataFrame:
    d = pd.read_csv(REF / "data" / f"cmprsk_{name}.csv")
    d["cir_days"] = d["cir_days"].astype("Float64")
    d["cir_status"] = d["cir_status"].astype("Int64")
    if name == "amlsg":
        for b in ("npm1", "flt3_itd"):
            d[b] = d[b].astype("boolean")
        d["eln2010"] = pd.Categorical(d["eln2010"], ELN2010)
    return d


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return {"amlsg": load("amlsg"), "ties": load("ties")}


def r_group(by: str, value: str) -> str:
    """cmprsk names a group by its value ('0', '1', 'Adverse'); cohort labels it 'npm1=False'."""
    if by == "":
        return "all"
    if by in ("npm1", "flt3_itd"):
        value = "True" if value == "1" else "False"
    return f"{by}={value}"


CASES = [("amlsg", ""), ("amlsg", "npm1"), ("amlsg", "flt3_itd"), ("amlsg", "eln2010"),
         ("ties", ""), ("ties", "arm")]  # fmt: skip


def _fit(data, dataset, by):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # eln2010 has 129 missing
        return cuminc(data[dataset], "cir", by=by or None)


@pytest.mark.parametrize(("dataset", "by"), CASES)
def test_curves_equal_cmprsk_at_every_event_time(data, dataset, by):
    """R: cuminc(d$cir_days, d$cir_status, d[[by]]); every corner of every step curve."""
    ref = pd.read_csv(REF / "values" / "cmprsk_cuminc_curves.csv", keep_default_na=False)
    ref = ref[(ref.dataset == dataset) & (ref.by == by)]
    res = _fit(data, dataset, by)
    n_checked = 0
    for (grp, ev), r in ref.groupby(["group", "event"]):
        # cmprsk gives each jump as two rows (before, after); the value at t is the last one
        r = r.drop_duplicates("time", keep="last")
        mine = res.at(r["time"].to_numpy(dtype=float))
        mine = mine[(mine.group == r_group(by, str(grp))) & (mine.event == ev)]
        assert len(mine) == len(r)
        np.testing.assert_allclose(mine["cif"], r["est"].astype(float), rtol=0, atol=1e-10)
        np.testing.assert_allclose(mine["var"], r["var"].astype(float), rtol=1e-8, atol=1e-14)
        n_checked += len(r)
    assert n_checked > 10


@pytest.mark.parametrize(("dataset", "by"), CASES)
def test_timepoints_equal_cmprsk(data, dataset, by):
    """R: timepoints(cuminc(...), times): est and var, NA beyond a group's last follow-up."""
    ref = pd.read_csv(REF / "values" / "cmprsk_cuminc_at.csv", keep_default_na=False,
                      na_values=["NA"])  # fmt: skip
    ref = ref[(ref.dataset == dataset) & (ref.by == by)].copy()
    ref["group"] = [r_group(by, str(g)) for g in ref["group"]]
    res = _fit(data, dataset, by)
    mine = res.at(sorted(ref["time"].unique()))
    both = ref.merge(mine, on=["group", "event", "time"], how="left", validate="1:1")
    assert len(both) == len(ref) and both["cif"].notna().sum() == both["est"].notna().sum()
    np.testing.assert_allclose(both["cif"], both["est"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(both["var_y"], both["var_x"], rtol=1e-6, atol=1e-14)


def test_log_log_interval_is_the_documented_formula(data):
    """lower, upper = F ** exp(-+ z se / (F log F)) with F, se^2 from R's timepoints()."""
    ref = pd.read_csv(REF / "values" / "cmprsk_cuminc_at.csv", keep_default_na=False,
                      na_values=["NA"])  # fmt: skip
    ref = ref[(ref.dataset == "amlsg") & (ref.by == "npm1") & (ref.time > 0) & ref.est.notna()]
    res = cuminc(data["amlsg"], "cir", by="npm1", conf_level=0.9)
    z = stats.norm.ppf(0.95)
    f, se = ref["est"].to_numpy(), np.sqrt(ref["var"].to_numpy())
    k = z * se / (f * np.log(f))
    mine = res.at(sorted(ref["time"].unique()))
    mine = mine[mine["cif"] > 0].reset_index(drop=True)
    assert len(mine) == len(ref)
    np.testing.assert_allclose(np.sort(mine["lower"]), np.sort(f ** np.exp(-k)), rtol=1e-6)
    np.testing.assert_allclose(np.sort(mine["upper"]), np.sort(f ** np.exp(k)), rtol=1e-6)
    assert (mine["lower"] < mine["cif"]).all() and (mine["cif"] < mine["upper"]).all()


def test_plain_interval_and_undefined_log_log_at_zero(data):
    res = cuminc(data["ties"], "cir", conf_type="plain")
    c = res.curves
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(c["lower"], np.clip(c["cif"] - z * c["std_err"], 0, 1))
    np.testing.assert_allclose(c["upper"], np.clip(c["cif"] + z * c["std_err"], 0, 1))
    ll = cuminc(data["ties"], "cir").curves
    assert ll.loc[ll["cif"] == 0, ["lower", "upper"]].isna().all().all()


def test_curves_are_tidy_and_start_at_zero(data):
    res = cuminc(data["ties"], "cir", by="arm")
    c = res.curves
    assert list(c.columns[:6]) == ["group", "event", "time", "cif", "lower", "upper"]
    first = c.groupby(["group", "event"]).head(1)
    assert (first["time"] == 0).all() and (first["cif"] == 0).all()
    assert res.groups == ("arm=a", "arm=b", "arm=c")
    assert res.causes == (1, 2)
    # table counts events per group and cause
    d = data["ties"]
    n_rel_a = int(((d.arm == "a") & (d.cir_status == 1)).sum())
    row = res.table[(res.table.group == "arm=a") & (res.table.event == 1)]
    assert int(row["events"].iloc[0]) == n_rel_a
    assert res.test is not None and list(res.test.columns) == [
        "event",
        "statistic",
        "dof",
        "p_value",
    ]


def test_without_by_has_no_test(data):
    assert cuminc(data["ties"]).test is None


def test_cohort_and_frame_give_the_same_result(data):
    a = cuminc(data["ties"], "cir", by="arm")
    b = cuminc(Cohort(data["ties"]), "cir", by="arm")
    pd.testing.assert_frame_equal(a.curves, b.curves)


def test_single_event_endpoint_is_one_minus_kaplan_meier(data):
    """With one event type the cumulative incidence is 1 - KM (cohort.km, R-checked)."""
    from cohort import km

    d = pd.DataFrame({"os_days": data["ties"]["cir_days"],
                      "os_event": (data["ties"]["cir_status"] > 0).astype("Int64")})  # fmt: skip
    ci = cuminc(d, "os").curves
    k = km(d, "os").curves
    both = ci.merge(k, on="time")
    np.testing.assert_allclose(both["cif"], 1 - both["survival"], atol=1e-12)


def test_at_beyond_follow_up_is_missing_and_before_first_event_is_zero(data):
    res = cuminc(data["ties"], "cir")
    out = res.at([0.5, 1000])
    assert (out.loc[out.time == 0.5, "cif"] == 0).all()
    assert out.loc[out.time == 1000, "cif"].isna().all()
    with pytest.raises(ModelError, match="non-negative"):
        res.at([-1])


# ---- bad input ------------------------------------------------------------------------------


def test_status_not_a_cause_code_names_row_and_value(data):
    """Codes 0..k are causes (issue 12: a third cause is accepted); -1 or 1.5 are not."""
    d = data["ties"].copy()
    d["cir_status"] = d["cir_status"].astype("Float64")
    d.loc[4, "cir_status"] = 1.5
    with pytest.raises(CohortValidationError) as err:
        cuminc(d)
    assert "cir_status" in str(err.value) and "row 4" in str(err.value) and "1.5" in str(err.value)
    d.loc[4, "cir_status"] = 3
    assert cuminc(d).causes == (1, 2, 3)


def test_negative_time_is_rejected(data):
    d = data["ties"].copy()
    d.loc[7, "cir_days"] = -2.0
    with pytest.raises(CohortValidationError, match="cir_days"):
        cuminc(d)


def test_missing_group_is_counted_and_announced(data):
    d = data["ties"].copy()
    d.loc[[1, 2, 3], "arm"] = None
    with pytest.warns(DataQualityWarning, match="3 patient"):
        res = cuminc(d, by="arm")
    assert res.excluded == {"missing_group": 3}
    assert int(res.table.groupby("group")["n"].first().sum()) == len(d) - 3


def test_missing_endpoint_is_counted(data):
    d = data["ties"].copy()
    d.loc[0, "cir_days"] = pd.NA
    with pytest.warns(DataQualityWarning):
        res = cuminc(d)
    assert res.excluded == {"missing_endpoint": 1}


def test_missing_column_and_bad_options(data):
    with pytest.raises(SchemaError, match="no_such"):
        cuminc(data["ties"], by="no_such")
    with pytest.raises(SchemaError, match="cir_days"):
        cuminc(data["ties"].drop(columns="cir_days"))
    with pytest.raises(ModelError, match="conf_type"):
        cuminc(data["ties"], conf_type="arcsine")
    with pytest.raises(ModelError, match="conf_level"):
        cuminc(data["ties"], conf_level=95)
    with pytest.raises(SchemaError):
        cuminc([1, 2, 3])


def test_no_events_is_a_model_error(data):
    d = data["ties"].copy()
    d["cir_status"] = 0
    with pytest.raises(ModelError, match="no events"):
        cuminc(d)


def test_150_random_tied_tables_equal_cmprsk():
    """R (reference_cmprsk.R, set.seed(4242)): for 150 small tables with times in {0.5,...,8},
    timepoints(cuminc(cir_days, cir_status, arm), c(distinct times, 0, 4, 100)): est and var.
    Covers curves reaching 0, groups without a cause, and follow-up ending before 100 (NA)."""
    data = pd.read_csv(REF / "data" / "cmprsk_random.csv")
    ref = pd.read_csv(REF / "values" / "cmprsk_random_at.csv")
    ref["group"] = "arm=" + ref["group"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine = [
            cuminc(d, "cir", by="arm").at(sorted(ref.loc[ref.sim == sim, "time"].unique()))
            .assign(sim=sim)
            for sim, d in data.groupby("sim")
        ]  # fmt: skip
    both = ref.merge(pd.concat(mine), on=["sim", "group", "event", "time"], how="left")
    assert len(both) == len(ref) > 5000
    assert (both["est"].isna() == both["cif"].isna()).all()
    np.testing.assert_allclose(both["cif"], both["est"], atol=1e-12)
    np.testing.assert_allclose(both["var_y"], both["var_x"], atol=1e-12)


def test_importing_the_modules_does_not_load_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys, cohort.survival.competing, cohort.survival.landmark; "
        "sys.exit(1 if 'matplotlib' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0

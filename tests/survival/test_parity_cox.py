"""Cox edge cases and R arguments against R's coxph / cox.zph (issue 12; values written by
``tests/reference/reference_parity_km_cox.R``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from parity_data import parity_input, reference

import cohort
from cohort.errors import DataQualityWarning


@pytest.fixture(scope="module")
def d() -> pd.DataFrame:
    return parity_input()


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


# ---- 3. cox.zph with a stratum without events ----------------------------------------------------


def test_ph_test_with_an_event_free_stratum_equals_cox_zph(d):
    assert d.loc[d["st"] == "s3", "os_event"].sum() == 0
    ref = reference("zph").set_index("term")
    got = _quiet(cohort.cox, d, "x1 + x2", strata="st").ph_test
    np.testing.assert_allclose(got.loc[ref.index, "chisq"], ref["chisq"], rtol=1e-6)
    np.testing.assert_allclose(got.loc[ref.index, "p_value"], ref["p"], rtol=1e-6)


# ---- 4. text covariate with missing values ---------------------------------------------------


def test_text_covariate_with_na_is_dropped_and_counted(d):
    ref = reference("cox_sex").set_index("term")
    assert isinstance(d["sex"].dtype, pd.StringDtype) and d["sex"].isna().sum() == 9
    with pytest.warns(DataQualityWarning, match="9 observation"):
        fit = cohort.cox(d, "sex + x1")
    assert fit.n_deleted == ref["n_deleted"].iloc[0] == 9
    assert fit.n == ref["n"].iloc[0]
    np.testing.assert_allclose(fit.summary["coef"], ref["coef"], rtol=1e-7)
    np.testing.assert_allclose(fit.summary["se"], ref["se"], rtol=1e-7)


def test_categorical_of_nullable_integer_with_na(d):
    e = d.copy()
    e["x2n"] = e["x2"].astype("Int64")
    e.loc[[3, 5], "x2n"] = pd.NA
    with pytest.warns(DataQualityWarning, match="2 observation"):
        fit = cohort.cox(e, "C(x2n) + x1")
    complete = _quiet(cohort.cox, e.drop(index=[3, 5]), "C(x2) + x1")
    np.testing.assert_allclose(fit.summary["coef"], complete.summary["coef"], rtol=1e-12)
    assert fit.n_deleted == 2


def test_finegray_and_landmark_accept_a_text_covariate_with_na(d):
    e = d.copy()
    e["cir_days"] = e["os_days"]
    e["cir_status"] = np.where(e["os_event"] == 1, np.where(e["x2"] == 1, 1, 2), 0)
    fg = _quiet(cohort.finegray, e, "sex + x1", "cir")
    assert fg.n_deleted >= 9
    lm = _quiet(cohort.landmark, d, 30, "x2", "os", adjust="sex")
    assert lm.cox.n_deleted == 9


# ---- 7-10. ties, robust / cluster, weights, delayed entry ----------------------------------------

COX_MODELS = {
    "efron": ("x1 + x2 + grp", {}),
    "breslow": ("x1 + x2 + grp", {"ties": "breslow"}),
    "robust": ("x1 + x2 + grp", {"robust": True}),
    "cluster": ("x1 + x2 + grp", {"cluster": "clus"}),
    "cluster_breslow": ("x1 + x2 + grp", {"cluster": "clus", "ties": "breslow"}),
    "weights_efron": ("x1 + x2 + grp", {"weights": "w"}),
    "weights_breslow": ("x1 + x2 + grp", {"weights": "w", "ties": "breslow"}),
    "entry_efron": ("x1 + x2 + grp", {"entry": "entry"}),
    "entry_breslow": ("x1 + x2 + grp", {"entry": "entry", "ties": "breslow"}),
    "entry_weights_cluster_strata": (
        "x1 + x2 + grp",
        {"entry": "entry", "weights": "w", "cluster": "clus", "strata": "st"},
    ),
    "weights_robust_strata": ("x1 + x2", {"weights": "w", "robust": True, "strata": "st"}),
}


@pytest.mark.parametrize("model", list(COX_MODELS))
def test_cox_arguments_equal_coxph(d, model):
    formula, kwargs = COX_MODELS[model]
    ref = reference("cox")
    ref = ref[ref["model"] == model].set_index("term")
    fit = _quiet(cohort.cox, d, formula, **kwargs)
    got = fit.summary.rename(index=lambda t: t.replace("[", "").replace("]", ""))
    assert list(got.index) == list(ref.index)
    np.testing.assert_allclose(got["coef"], ref["coef"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-9)
    np.testing.assert_allclose(got["p_value"], ref["p"], rtol=1e-8)
    assert fit.log_likelihood == pytest.approx(ref["loglik"].iloc[0], rel=1e-12)
    assert fit.n == ref["n"].iloc[0]
    robust = ref["robust_se"].notna().all()
    assert fit.robust == robust and ("robust_se" in fit.summary) == robust
    if robust:
        np.testing.assert_allclose(got["robust_se"], ref["robust_se"], rtol=1e-9)
        z = fit.summary["coef"] / fit.summary["robust_se"]
        np.testing.assert_allclose(fit.summary["z"], z, rtol=1e-14)
        assert "robust (sandwich)" in fit.methods
    assert fit.ties.capitalize() in fit.methods


@pytest.mark.parametrize("timefix", [True, False])
def test_cox_timefix_equals_coxph_control(d, timefix):
    ref = reference("timefix")
    ref = ref[ref["timefix"] == timefix].set_index("what")["value"]
    fit = cohort.cox(d.assign(os_days=d["time_fp"]), "x1 + grp", timefix=timefix)
    got = fit.summary["coef"].to_numpy()
    want = ref[["cox_coef_x1", "cox_coef_grpB", "cox_coef_grpC"]].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert fit.log_likelihood == pytest.approx(ref["cox_loglik"], rel=1e-12)


def test_cox_bad_arguments_are_named(d):
    from cohort.errors import ModelError, SchemaError

    with pytest.raises(ModelError, match="ties='exact'"):
        cohort.cox(d, "x1", ties="exact")
    with pytest.raises(SchemaError, match="centre"):
        cohort.cox(d, "x1", cluster="centre")


def test_integer_weights_equal_replicated_rows_in_cox(d):
    a = _quiet(cohort.cox, d, "x1 + grp", weights="wi", ties="breslow")
    b = _quiet(cohort.cox, d.loc[d.index.repeat(d["wi"])], "x1 + grp", ties="breslow")
    np.testing.assert_allclose(a.summary["coef"], b.summary["coef"], rtol=1e-10)
    np.testing.assert_allclose(a.summary["se"], b.summary["se"], rtol=1e-10)


ZPH_MODELS = {
    "breslow": ("x1 + x2 + grp", {"ties": "breslow"}),
    "weights": ("x1 + x2 + grp", {"weights": "w"}),
    "entry": ("x1 + x2 + grp", {"entry": "entry"}),
    "entry_weights_strata_breslow": (
        "x1 + x2",
        {"entry": "entry", "weights": "w", "strata": "st", "ties": "breslow"},
    ),
}


@pytest.mark.parametrize("model", list(ZPH_MODELS))
@pytest.mark.parametrize("transform", ["km", "identity", "rank"])
def test_ph_test_with_ties_weights_entry_equals_cox_zph(d, model, transform):
    formula, kwargs = ZPH_MODELS[model]
    ref = reference("zph_args")
    ref = ref[(ref["model"] == model) & (ref["transform"] == transform)].set_index("term")
    got = _quiet(cohort.cox, d, formula, **kwargs).zph(transform)
    assert list(got.index) == list(ref.index)
    np.testing.assert_allclose(got["chisq"], ref["chisq"], rtol=1e-8)
    np.testing.assert_array_equal(got["df"], ref["df"])


def test_entry_merged_into_its_exit_by_timefix_is_refused(d):
    from cohort.errors import ModelError

    e = d.copy()
    e.loc[0, "entry"] = e.loc[0, "os_days"] * (1 - 1e-13)
    with pytest.raises(ModelError, match="timefix=False"):
        _quiet(cohort.cox, e, "x1", entry="entry")
    with pytest.raises(ModelError, match="timefix=False"):
        cohort.km(e, "os", entry="entry")
    assert _quiet(cohort.cox, e, "x1", entry="entry", timefix=False).n == len(e)


def test_concordance_limits_with_weights_or_entry_are_stated(d):
    assert not any("concordance" in n for n in _quiet(cohort.cox, d, "x1").notes)
    for kw in ({"weights": "w"}, {"entry": "entry"}):
        assert any("concordance" in n for n in _quiet(cohort.cox, d, "x1", **kw).notes)

"""Cox models, cox.zph and formula safety against R's coxph / cox.zph.

Reference values: tests/reference/reference_survival.R; inputs from tests/reference/make_inputs.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort.cohort import Cohort
from cohort.errors import (
    CohortError,
    DataQualityWarning,
    FormulaError,
    ModelError,
    StatisticalWarning,
)
from cohort.survival.cox import cox
from cohort.survival.formula import design_matrix, parse_formula

REF = Path(__file__).parents[1] / "reference"
ELN2010 = ["Favorable", "Inter-1", "Inter-2", "Adverse"]

# model name in the reference CSVs -> (formula, endpoint, strata, R call)
MODELS = {
    "main": ("npm1 + flt3_itd + age", "os", None, "coxph(Surv(os_days, os_event) ~ npm1 + flt3_itd + age)"),
    "interaction": ("npm1 * flt3_itd", "os", None, "coxph(Surv(os_days, os_event) ~ npm1 * flt3_itd)"),
    "strata": ("npm1 + flt3_itd + age", "os", "study",
               "coxph(Surv(os_days, os_event) ~ npm1 + flt3_itd + age + strata(study))"),
    "categorical": ("eln2010 + age", "os", None, "coxph(Surv(os_days, os_event) ~ eln2010 + age)"),
    "efs_sex": ("npm1 + sex", "efs", None, "coxph(Surv(efs_days, efs_event) ~ npm1 + sex)"),
}  # fmt: skip


@pytest.fixture(scope="module")
def amlsg() -> pd.DataFrame:
    d = pd.read_csv(REF / "data" / "amlsg_survival.csv")
    for b in ("npm1", "flt3_itd"):
        d[b] = d[b].astype("boolean")
    for c in ("os_event", "efs_event"):
        d[c] = d[c].astype("Int64")
    d["eln2010"] = pd.Categorical(d["eln2010"], ELN2010)
    return d


@pytest.fixture(scope="module")
def fits(amlsg):
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        for name, (formula, endpoint, strata, _) in MODELS.items():
            out[name] = cox(amlsg, formula, endpoint, strata=strata)
    return out


@pytest.mark.parametrize("name", list(MODELS))
def test_coefficients_and_se_equal_r(name, fits):
    """summary(coxph(...))$coefficients[, c("coef", "se(coef)", "z", "Pr(>|z|)")]; the calls are in MODELS
    (Efron ties, the R default)."""
    ref = pd.read_csv(REF / "values" / "survival_cox_coef.csv")
    ref = ref[(ref["data"] == "amlsg") & (ref["model"] == name)].set_index("term")
    got = fits[name].summary
    assert list(got.index) == list(ref.index)
    np.testing.assert_allclose(got["coef"], ref["coef"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(got["se"], ref["se"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(got["z"], ref["z"], atol=1e-3, rtol=0)
    np.testing.assert_allclose(got["p_value"], ref["p"], rtol=1e-3, atol=0)
    np.testing.assert_allclose(got["hr"], np.exp(got["coef"]))
    assert (got["hr_lower"] < got["hr"]).all() and (got["hr"] < got["hr_upper"]).all()


@pytest.mark.parametrize("name", list(MODELS))
def test_counts_concordance_and_loglik_equal_r(name, fits):
    """fit$n, fit$nevent, length(fit$na.action), fit$concordance["concordance"], fit$loglik[2]"""
    ref = pd.read_csv(REF / "values" / "survival_cox_fit.csv")
    ref = ref[(ref["data"] == "amlsg") & (ref["model"] == name)].iloc[0]
    fit = fits[name]
    assert (fit.n, fit.events, fit.n_deleted) == (ref["n"], ref["nevent"], ref["n_deleted"])
    assert fit.concordance == pytest.approx(ref["concordance"], abs=1e-6)
    assert fit.log_likelihood == pytest.approx(ref["loglik"], abs=1e-4)


@pytest.mark.parametrize("transform", ["km", "identity", "rank", "log"])
@pytest.mark.parametrize("name", list(MODELS))
def test_ph_test_equals_r_cox_zph(name, transform, fits):
    """cox.zph(fit, transform = transform)$table[, c("chisq", "df", "p")], per term and GLOBAL
    (R >= 3.0 score test; the default transform is "km")."""
    ref = pd.read_csv(REF / "values" / "survival_coxzph.csv")
    key = name if transform == "km" else f"{name}:{transform}"
    ref = ref[(ref["data"] == "amlsg") & (ref["model"] == key)].set_index("term")
    got = fits[name].ph_test if transform == "km" else fits[name].zph(transform)
    assert list(got.index) == list(ref.index)
    np.testing.assert_allclose(got["chisq"], ref["chisq"], atol=1e-4, rtol=0)
    np.testing.assert_array_equal(got["df"], ref["df"])
    np.testing.assert_allclose(got["p_value"], ref["p"], atol=1e-4, rtol=0)


def test_categorical_term_has_multi_df_ph_test(fits):
    """cox.zph(coxph(Surv(os_days, os_event) ~ eln2010 + age))$table["eln2010", "df"] == 3"""
    assert fits["categorical"].ph_test.loc["eln2010", "df"] == 3
    assert fits["categorical"].terms["eln2010"] == [
        "eln2010[Inter-1]",
        "eln2010[Inter-2]",
        "eln2010[Adverse]",
    ]


def test_missing_covariates_counted_and_warned(amlsg):
    with pytest.warns(DataQualityWarning, match="129 observation"):
        fit = cox(Cohort(amlsg), "eln2010 + age")
    assert fit.n_deleted == 129 and any("deleted due to missingness" in n for n in fit.notes)


@pytest.mark.parametrize("name", ["main", "strata", "categorical"])
def test_core_fit_equals_the_lifelines_oracle(fits, name):
    """The numpy core (kept as ``.model``) and lifelines' CoxPHFitter agree on Efron fits."""
    from lifelines import CoxPHFitter

    from cohort.survival.cox_fit import CoxFit

    fit = fits[name]
    assert isinstance(fit.model, CoxFit) and fit.model.converged
    design = fit._design
    frame = pd.DataFrame(design.x, columns=list(fit.summary.index))
    frame["_ time"], frame["_ event"] = design.time, design.event
    if fit.strata:
        frame["_ stratum"] = design.strata
    oracle = CoxPHFitter().fit(
        frame,
        "_ time",
        "_ event",
        strata=["_ stratum"] if fit.strata else None,
        fit_options={"precision": 1e-12},
    )
    np.testing.assert_allclose(fit.summary["coef"], oracle.params_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fit.summary["se"], oracle.standard_errors_, rtol=1e-7)
    assert fit.log_likelihood == pytest.approx(oracle.log_likelihood_, rel=1e-10)


def test_penalised_fit_keeps_lifelines(amlsg):
    from lifelines import CoxPHFitter

    fit = cox(amlsg, "npm1 + flt3_itd + age", penalizer=0.1)
    assert isinstance(fit.model, CoxPHFitter)
    plain = cox(amlsg, "npm1 + flt3_itd + age")
    assert (fit.summary["coef"].abs() < plain.summary["coef"].abs()).all()
    with pytest.raises(ModelError, match="penalised"):
        cox(amlsg, "npm1 + age", penalizer=0.1, ties="breslow")


def test_group_without_events_warns_naming_the_covariate(amlsg):
    d = amlsg.copy()
    d.loc[d["flt3_itd"] == True, "os_event"] = 0  # noqa: E712
    with pytest.warns(StatisticalWarning, match="flt3_itd"):
        cox(d, "npm1 + flt3_itd")


def test_constant_covariate_and_no_events_raise(amlsg):
    d = amlsg[amlsg["npm1"] == True]  # noqa: E712
    with pytest.raises(ModelError, match="'npm1'"):
        cox(d, "npm1 + age")
    with pytest.raises(ModelError, match="no OS events"):
        cox(amlsg.assign(os_event=0), "age")


def test_collinear_covariates_give_model_error(amlsg):
    d = amlsg.assign(age2=amlsg["age"] * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(CohortError, match="age"):
            cox(d, "age + age2")


@pytest.mark.parametrize(
    "formula,token",
    [
        ("npm1 + __import__", "__import__"),
        ("npm1.__class__", ".__class__"),
        ("npm1 + 'x'", "'x'"),
        ("lambda", "lambda"),
        ("npm1 + exec(1)", "exec"),
        ("npm1 + 2", "2"),
        ("os_days ~ npm1", "~"),
        ("npm1; import os", ";"),
        ("npm1 + age**2", "*"),
    ],
)
def test_formula_rejects_anything_but_columns_and_operators(formula, token, amlsg):
    with pytest.raises(FormulaError) as err:
        cox(amlsg, formula)
    assert token in str(err.value)


def test_formula_expansion_follows_r():
    f = parse_formula("npm1 * flt3_itd - flt3_itd + (age + sex):npm1 - 1")
    # as R: factors in an interaction are ordered by first appearance in the formula (npm1:age)
    assert f.term_labels == ("npm1", "npm1:flt3_itd", "npm1:age", "npm1:sex")
    assert parse_formula("~ C(npm1) + age").term_labels == ("C(npm1)", "age")


def test_design_matrix_names_levels_and_interactions():
    frame = pd.DataFrame(
        {
            "npm1": pd.array([True, False, True, None], dtype="boolean"),
            "sex": ["male", "female", "female", "male"],
            "age": [50.0, 60.0, 70.0, 80.0],
        }
    )
    x, assign = design_matrix(parse_formula("npm1 * sex + age"), frame)
    assert list(x.columns) == ["npm1", "sex[male]", "npm1:sex[male]", "age"]
    assert x.loc[0, "npm1:sex[male]"] == 1.0 and np.isnan(x.loc[3, "npm1"])
    assert assign["npm1:sex"] == ["npm1:sex[male]"]


def test_public_name_cohort_cox_is_the_function_even_after_submodule_import(amlsg):
    import cohort
    import cohort.survival.cox  # noqa: F401  the module has its own name, so cohort.cox stays the function

    fit = cohort.cox(amlsg, "npm1")
    assert list(fit.summary.index) == ["npm1"]


def test_synthetic_cohort_cox_matches_r_when_present(synthetic_for_r):
    """coxph(Surv(os_days, os_event) ~ npm1 + flt3_itd + age, data = synthetic_data/npm1_cohort.csv)"""
    d = synthetic_for_r
    ref = pd.read_csv(REF / "values" / "survival_cox_coef.csv")
    ref = ref[ref["data"] == "synthetic"].set_index("term")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        got = cox(d, "npm1 + flt3_itd + age").summary
    np.testing.assert_allclose(got.loc[ref.index, "coef"], ref["coef"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(got.loc[ref.index, "se"], ref["se"], atol=1e-4, rtol=0)


def test_object_column_of_booleans_is_a_boolean_term():
    frame = pd.DataFrame({"npm1": [True, False, None, True], "age": [50.0, 60.0, 70.0, 80.0]})
    x, _ = design_matrix(parse_formula("npm1 + age"), frame)
    assert list(x.columns) == ["npm1", "age"] and np.isnan(x.loc[2, "npm1"])


def test_schema_column_absent_from_data_is_named(amlsg):
    with pytest.raises(FormulaError, match="'wbc'"):
        cox(amlsg, "npm1 + wbc")


def test_cox_zph_function_equals_method(fits):
    from cohort.survival.zph import cox_zph

    pd.testing.assert_frame_equal(cox_zph(fits["main"], "rank"), fits["main"].zph("rank"))

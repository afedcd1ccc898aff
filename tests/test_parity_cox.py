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

"""Restricted mean survival time against R's print(survfit(...), rmean = tau).

Reference values: tests/reference/reference_survival.R; inputs from tests/reference/make_inputs.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cohort.errors import DataQualityWarning, ModelError, StatisticalWarning
from cohort.survival.restricted_mean import rmst

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


REFS = pd.read_csv(REF / "values" / "survival_rmst.csv").fillna({"by": ""})
REFS = REFS[REFS["data"] != "synthetic"]
SPECS = list(
    REFS[["data", "endpoint", "by", "tau"]].drop_duplicates().itertuples(index=False, name=None)
)


@pytest.mark.parametrize("spec", SPECS, ids=[f"{d}-{e}-{b}-{t:g}" for d, e, b, t in SPECS])
def test_rmst_and_se_equal_r(spec, amlsg, edge):
    """tab <- summary(survfit(Surv(time, event) ~ g), rmean = tau)$table; tab[, c("rmean", "se(rmean)")]"""
    data, endpoint, by, tau = spec
    ref = REFS[(REFS[["data", "endpoint", "by", "tau"]] == list(spec)).all(axis=1)]
    parts = by.split("+") if by else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (DataQualityWarning, StatisticalWarning))
        res = rmst(
            edge if data == "edge" else amlsg,
            tau,
            endpoint,
            by=parts[0] if parts and len(parts) == 1 else parts,
        )
    np.testing.assert_array_equal(res.table["group"], ref["group"])
    np.testing.assert_allclose(res.table["rmst"], ref["rmean"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(res.table["se"], ref["se"], atol=1e-6, rtol=0)


def test_difference_uses_independent_variances(amlsg):
    """Difference of two R rmeans; se = sqrt(se1^2 + se2^2); two-sided z test (as survRM2)."""
    ref = REFS[
        (REFS["data"] == "amlsg") & (REFS["by"] == "npm1") & (REFS["tau"] == 1825)
    ].set_index("group")
    res = rmst(amlsg, 1825, "os", by="npm1")
    row = res.difference.iloc[0]
    assert (row["group"], row["reference"]) == ("npm1=True", "npm1=False")
    diff = ref.loc["npm1=True", "rmean"] - ref.loc["npm1=False", "rmean"]
    se = np.hypot(ref.loc["npm1=True", "se"], ref.loc["npm1=False", "se"])
    assert row["difference"] == pytest.approx(diff, abs=1e-6)
    assert row["se"] == pytest.approx(se, abs=1e-6)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(diff) / se), rel=1e-6)
    assert row["lower"] < row["difference"] < row["upper"]


def test_point_estimate_equals_lifelines(amlsg):
    """The point estimate is lifelines' restricted_mean_survival_time (only its variance is wrong)."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    kmf = KaplanMeierFitter().fit(amlsg["os_days"], amlsg["os_event"])
    expected = restricted_mean_survival_time(kmf, t=1825)
    assert rmst(amlsg, 1825).table["rmst"].iloc[0] == pytest.approx(expected, abs=1e-6)


def test_tau_beyond_follow_up_warns_and_bad_tau_raises(edge):
    with pytest.warns(StatisticalWarning, match="beyond the last follow-up"):
        rmst(edge, 20, by="arm")
    with pytest.raises(ModelError, match="tau"):
        rmst(edge, -1)
    with pytest.warns(StatisticalWarning):
        assert rmst(edge, 20).difference is None

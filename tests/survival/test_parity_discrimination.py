"""Harrell's C with its standard error, against R's survival::concordance and coxph.

Reference: tests/reference/reference_parity_cr_tv.R on tests/reference/data/amlsg_survival.csv:
``concordance(Surv(os_days, os_event) ~ risk, reverse = TRUE)`` with risk = ELN 2010 group (1..4),
and ``coxph(Surv(os_days, os_event) ~ npm1 + flt3_itd + age)$concordance[c("concordance", "std")]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cohort
from cohort.errors import DataQualityWarning, ModelError, SchemaError
from cohort.survival.discrimination import compare_systems, concordance_fit

REF = Path(__file__).parents[1] / "reference"
ELN2010 = {"Favorable": 1, "Inter-1": 2, "Inter-2": 3, "Adverse": 4}


@pytest.fixture(scope="module")
def am() -> pd.DataFrame:
    d = pd.read_csv(REF / "data" / "amlsg_survival.csv")
    d["risk"] = d["eln2010"].map(ELN2010)
    return d


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REF / "values" / "parity_concordance.csv").set_index("what")


def test_concordance_and_se_equal_r(am, ref):
    with pytest.warns(DataQualityWarning, match="129 patient"):
        res = cohort.concordance(am, "risk")
    r = ref.loc["eln2010"]
    assert res.n == r["n"] and res.n_excluded == len(am) - r["n"]
    assert res.concordance == pytest.approx(r["concordance"], abs=1e-12)
    assert res.std_err == pytest.approx(r["std"], abs=1e-12)
    assert res.concordant + res.discordant + res.tied_risk > 0


def test_cox_reports_concordance_se_as_coxph(am, ref):
    fit = cohort.cox(am, "npm1 + flt3_itd + age")
    r = ref.loc["cox_npm1_flt3_age"]
    assert fit.concordance == pytest.approx(r["concordance"], abs=1e-9)
    assert fit.concordance_se == pytest.approx(r["std"], abs=1e-9)


def test_compare_systems_reports_the_se(am):
    d = am.assign(eln=pd.Categorical(am["eln2010"], list(ELN2010), ordered=True))
    d["npm1_group"] = d["npm1"].map({True: "mut", False: "wt"})
    res = compare_systems(d, ["eln", "npm1_group"], n_boot=0)
    row = res.metrics.set_index("system").loc["eln"]
    kept = d.dropna(subset=["eln"])
    direct = concordance_fit(kept["os_days"], kept["os_event"], kept["eln"].cat.codes)
    assert row["harrell_c"] == pytest.approx(direct.concordance, abs=1e-12)
    assert row["harrell_c_se"] == pytest.approx(direct.std_err, abs=1e-12)


def test_strata_pool_pairs_within_strata(am):
    d = am.dropna(subset=["risk"])
    both = concordance_fit(d["os_days"], d["os_event"], d["risk"], d["npm1"].to_numpy())
    parts = [concordance_fit(g["os_days"], g["os_event"], g["risk"]) for _, g in d.groupby("npm1")]
    assert both.concordant == sum(p.concordant for p in parts)
    assert both.discordant == sum(p.discordant for p in parts)
    pooled = sum(p.concordant + p.tied_risk / 2 for p in parts) / sum(
        p.concordant + p.discordant + p.tied_risk for p in parts
    )
    assert both.concordance == pytest.approx(pooled, abs=1e-14)


def test_pair_rules_on_a_hand_example():
    # times 1 (event), 2 (event), 2 (censored), 3 (censored); risk 3, 2, 1, 2
    time = np.array([1.0, 2, 2, 3])
    event = np.array([1, 1, 0, 0])
    risk = np.array([3.0, 2, 1, 2])
    res = concordance_fit(time, event, risk)
    # comparable: (1,2) (1,3) (1,4) (2,3: censored at the same time counts as longer) (2,4)
    assert (res.concordant, res.discordant, res.tied_risk) == (4, 0, 1)
    assert res.concordance == pytest.approx(4.5 / 5)


def test_bad_inputs(am):
    with pytest.raises(SchemaError, match="competing"):
        cohort.concordance(am, "risk", "cir")
    with pytest.raises(SchemaError, match="'nope'"):
        cohort.concordance(am, "nope")
    with pytest.raises(ModelError, match="comparable"):
        concordance_fit(np.array([1.0, 2.0]), np.array([0, 0]), np.array([1.0, 2.0]))


# ----------------------------------------------------------------------------- riskRegression::Score

SCORE = REF / "values" / "parity_score.csv"
needs_score = pytest.mark.skipif(
    not SCORE.exists(), reason="parity_score.csv is written only where R has riskRegression"
)


def _score_inputs(am: pd.DataFrame, times: np.ndarray):
    d = am.dropna(subset=["risk"])
    time, event, risk = (d[c].to_numpy(float) for c in ("os_days", "os_event", "risk"))
    pred = 1 - np.exp(-(times[None, :] / 2000) * np.exp(0.4 * (risk[:, None] - 2)))
    return time, event.astype(int), risk, pred


@needs_score
def test_auc_brier_and_ibs_equal_riskregression_score(am):
    """R: Score(list(ord = risk), Surv(os_days, os_event) ~ 1, times, metrics = "auc" | "brier",
    summary = "ibs", cens.model = "km")."""
    from cohort.survival.discrimination import brier_score, integrated_brier, time_dependent_auc

    ref = pd.read_csv(SCORE)
    times = ref["time"].to_numpy(float)
    time, event, risk, pred = _score_inputs(am, times)
    np.testing.assert_allclose(time_dependent_auc(time, event, risk, times), ref["auc"], atol=1e-12)
    bs = brier_score(time, event, pred, times)
    np.testing.assert_allclose(bs, ref["brier"], atol=1e-12)
    for k in range(1, len(times)):
        assert integrated_brier(times[: k + 1], bs[: k + 1]) == pytest.approx(
            ref["ibs"].iloc[k], abs=1e-12
        )


@needs_score
def test_scikit_survival_differs_from_score_by_the_censoring_weight(am):
    """Pinned: sksurv weights events by 1/G(T) (at the event), Score by 1/G(T-) (just before)."""
    from sksurv.metrics import brier_score as sk_brier
    from sksurv.metrics import cumulative_dynamic_auc
    from sksurv.util import Surv

    ref = pd.read_csv(SCORE)
    times = ref["time"].to_numpy(float)
    time, event, risk, pred = _score_inputs(am, times)
    y = Surv.from_arrays(event.astype(bool), time)
    sk_auc = cumulative_dynamic_auc(y, y, risk, times)[0]
    sk_bs = sk_brier(y, y, 1 - pred, times)[1]
    assert 1e-9 < np.abs(sk_auc - ref["auc"]).max() < 1e-4
    assert 1e-9 < np.abs(sk_bs - ref["brier"]).max() < 1e-4

"""The numpy Cox engine (cohort.survival.cox_engine) against R's coxph and lifelines' CoxPHFitter.

R references: tests/reference/values/parity_cox.csv (reference_parity_km_cox.R), survival_cox_*.csv
(reference_survival.R) and engines_concordance.csv (reference_engines.R).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort.survival.cox_engine import concordance, concordance_counts, fit_cox

VALUES = Path(__file__).parents[1] / "reference" / "values"


@pytest.fixture(scope="module")
def parity() -> pd.DataFrame:
    return pd.read_csv(VALUES / "parity_input.csv")


def _x(d: pd.DataFrame, cols=("x1", "x2", "grpB", "grpC")) -> np.ndarray:
    full = {
        "x1": d["x1"],
        "x2": d["x2"],
        "grpB": d["grp"] == "B",
        "grpC": d["grp"] == "C",
    }
    return np.column_stack([full[c] for c in cols]).astype(float)


def _options(d: pd.DataFrame) -> dict[str, dict]:
    return {
        "efron": {},
        "breslow": {"ties": "breslow"},
        "robust": {"robust": True},
        "cluster": {"cluster": d["clus"].to_numpy()},
        "cluster_breslow": {"ties": "breslow", "cluster": d["clus"].to_numpy()},
        # R's coxph makes the variance robust by default for non-integer case weights
        "weights_efron": {"weights": d["w"].to_numpy(), "robust": True},
        "weights_breslow": {"weights": d["w"].to_numpy(), "ties": "breslow", "robust": True},
        "entry_efron": {"start": d["entry"].to_numpy()},
        "entry_breslow": {"start": d["entry"].to_numpy(), "ties": "breslow"},
        "entry_weights_cluster_strata": {
            "start": d["entry"].to_numpy(),
            "weights": d["w"].to_numpy(),
            "cluster": d["clus"].to_numpy(),
            "strata": d["st"].to_numpy(),
        },
    }


@pytest.mark.parametrize(
    "model",
    [
        "efron",
        "breslow",
        "robust",
        "cluster",
        "cluster_breslow",
        "weights_efron",
        "weights_breslow",
        "entry_efron",
        "entry_breslow",
        "entry_weights_cluster_strata",
    ],
)
def test_equals_r_coxph(model, parity):
    """coef, se, robust se and loglik of the coxph calls in reference_parity_km_cox.R."""
    ref = pd.read_csv(VALUES / "parity_cox.csv")
    ref = ref[ref["model"] == model]
    kw = _options(parity)[model]
    fit = fit_cox(_x(parity), parity["time"].to_numpy(), parity["status"].to_numpy(), **kw)
    assert fit.converged
    np.testing.assert_allclose(fit.coef, ref["coef"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.var)), ref["se"], rtol=1e-9)
    assert fit.loglik == pytest.approx(ref["loglik"].iloc[0], rel=1e-12)
    if ref["robust_se"].notna().all():
        np.testing.assert_allclose(np.sqrt(np.diag(fit.robust_var)), ref["robust_se"], rtol=1e-9)
    else:
        assert fit.robust_var is None


def test_weighted_robust_strata_equals_r(parity):
    ref = pd.read_csv(VALUES / "parity_cox.csv")
    ref = ref[ref["model"] == "weights_robust_strata"]
    fit = fit_cox(
        _x(parity, ("x1", "x2")),
        parity["time"].to_numpy(),
        parity["status"].to_numpy(),
        weights=parity["w"].to_numpy(),
        strata=parity["st"].to_numpy(),
        robust=True,
    )
    np.testing.assert_allclose(fit.coef, ref["coef"], rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.robust_var)), ref["robust_se"], rtol=1e-9)


CONCORDANCE_MODELS = {
    "plain": ({}, ("x1", "x2", "grpB", "grpC")),
    "breslow": ({"ties": "breslow"}, ("x1", "x2", "grpB", "grpC")),
    "weights": ({"weights": "w"}, ("x1", "x2", "grpB", "grpC")),
    "entry": ({"start": "entry"}, ("x1", "x2", "grpB", "grpC")),
    "strata": ({"strata": "st"}, ("x1", "x2", "grpB", "grpC")),
    "entry_weights_strata": (
        {"start": "entry", "weights": "w", "strata": "st"},
        ("x1", "x2", "grpB", "grpC"),
    ),
    "tied_lp": ({}, ("x2", "grpB", "grpC")),
}


@pytest.mark.parametrize("model", list(CONCORDANCE_MODELS))
def test_concordance_and_null_loglik_equal_r(model, parity):
    """fit$concordance (concordant, discordant, tied.x) and fit$loglik of reference_engines.R."""
    ref = pd.read_csv(VALUES / "engines_concordance.csv").set_index("model").loc[model]
    opts, cols = CONCORDANCE_MODELS[model]
    kw = {k: (v if k == "ties" else parity[v].to_numpy()) for k, v in opts.items()}
    time, status = parity["time"].to_numpy(), parity["status"].to_numpy()
    fit = fit_cox(_x(parity, cols), time, status, **kw)
    assert fit.loglik_null == pytest.approx(ref["loglik_null"], rel=1e-12)
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-12)
    assert fit.n_iter == ref["iter"]
    ckw = {k: v for k, v in kw.items() if k != "ties"}
    c, d, t = concordance_counts(time, status, fit.linear_predictor, **ckw)
    np.testing.assert_allclose([c, d, t], ref[["concordant", "discordant", "tied_x"]], rtol=1e-12)
    lp = fit.linear_predictor
    assert concordance(time, status, lp, **ckw) == pytest.approx(ref["concordance"], rel=1e-12)


def _brute_concordance(start, stop, event, lp, w, strata):
    num = den = 0.0
    for i in np.flatnonzero(event):
        t = stop[i]
        at_risk = (strata == strata[i]) & (start < t) & ((stop > t) | ((stop == t) & (event == 0)))
        ww = w[i] * w[at_risk]
        num += ww @ ((lp[at_risk] < lp[i]) + 0.5 * (lp[at_risk] == lp[i]))
        den += ww.sum()
    return num / den


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_concordance_equals_pair_count_with_ties_entry_weights(seed):
    rng = np.random.default_rng(seed)
    n = 300
    stop = rng.integers(1, 25, n).astype(float)
    start = np.where(rng.random(n) < 0.4, np.floor(rng.random(n) * stop), -np.inf)
    event = (rng.random(n) < 0.6).astype(int)
    lp = rng.integers(0, 6, n) * 0.25
    w = rng.uniform(0.5, 2, n)
    strata = rng.integers(0, 3, n)
    got = concordance(stop, event, lp, start=start, weights=w, strata=strata)
    assert got == pytest.approx(_brute_concordance(start, stop, event, lp, w, strata), rel=1e-12)
    plain = concordance(stop, event, lp)
    ones = np.ones(n)
    assert plain == pytest.approx(
        _brute_concordance(np.full(n, -np.inf), stop, event, lp, ones, np.zeros(n)), rel=1e-12
    )


def test_concordance_with_many_strata_and_large_counts():
    """Many strata x times (sparse keys, ranked before the wavelet) and 1e5 rows whose dense ranks
    take the hash path: still the brute-force pair count."""
    rng = np.random.default_rng(7)
    n = 3000
    stop = np.ceil(rng.exponential(50, n))
    start = np.minimum(np.where(rng.random(n) < 0.3, np.floor(stop * rng.random(n)), 0.0), stop - 1)
    event = (rng.random(n) < 0.6).astype(int)
    lp = rng.normal(size=n).round(1)
    w = rng.uniform(0.5, 2, n)
    strata = rng.integers(0, 400, n)
    got = concordance(stop, event, lp, start=start, weights=w, strata=strata)
    assert got == pytest.approx(_brute_concordance(start, stop, event, lp, w, strata), rel=1e-12)
    # 1e5 rows, few distinct times and risks: equal to the same count on 1/25 of the rows x 25
    small = 4000
    stop = rng.integers(1, 40, small).astype(float)
    event = (rng.random(small) < 0.6).astype(int)
    lp = rng.integers(0, 30, small) * 0.1
    want = concordance_counts(stop, event, lp)
    big = concordance_counts(np.tile(stop, 25), np.tile(event, 25), np.tile(lp, 25))
    # each comparable pair appears 25 x 25 times (a copy of an event row is a tied event, not
    # comparable), as with case weights 25
    weighted = concordance_counts(stop, event, lp, weights=np.full(small, 25.0))
    assert big == pytest.approx(weighted, rel=1e-12)
    assert weighted == pytest.approx(tuple(625 * v for v in want), rel=1e-12)


@pytest.mark.parametrize("strata", [False, True])
def test_equals_lifelines_on_ties_and_strata(strata):
    """lifelines' CoxPHFitter (Efron, converged tightly) is the Python oracle."""
    from lifelines import CoxPHFitter

    rng = np.random.default_rng(11)
    n = 2000
    x = np.column_stack([rng.random(n) < 0.3, rng.normal(0, 1, n), rng.integers(0, 3, n)])
    x = x.astype(float)
    time = np.ceil(rng.exponential(200 * np.exp(-x @ [0.5, 0.3, -0.2])))
    event = (rng.random(n) < 0.7).astype(int)
    st = rng.integers(0, 3, n) if strata else None
    fit = fit_cox(x, time, event, strata=st, eps=1e-14, max_iter=50)
    frame = pd.DataFrame(x, columns=["a", "b", "c"]).assign(t=time, e=event)
    if strata:
        frame["s"] = st
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ll = CoxPHFitter().fit(
            frame, "t", "e", strata=["s"] if strata else None, fit_options={"precision": 1e-12}
        )
    np.testing.assert_allclose(fit.coef, ll.params_.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.var)), ll.standard_errors_.to_numpy(), rtol=1e-8)
    assert fit.loglik == pytest.approx(ll.log_likelihood_, rel=1e-10)


def test_weights_equal_replicated_rows(parity):
    """Integer case weights are replication under Breslow ties (Efron's correction counts rows)."""
    x, time, status = _x(parity), parity["time"].to_numpy(), parity["status"].to_numpy()
    wi = parity["wi"].to_numpy()
    rep = np.repeat(np.arange(len(time)), wi)
    a = fit_cox(x, time, status, weights=wi, ties="breslow")
    b = fit_cox(x[rep], time[rep], status[rep], ties="breslow")
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9)
    np.testing.assert_allclose(a.var, b.var, rtol=1e-9)


def test_collinear_raises_and_bad_options():
    x = np.column_stack([np.arange(10.0), 2 * np.arange(10.0)])
    t = np.arange(1.0, 11.0)
    with pytest.raises(np.linalg.LinAlgError):
        fit_cox(x, t, np.ones(10))
    with pytest.raises(ValueError, match="ties"):
        fit_cox(x[:, :1], t, np.ones(10), ties="exact")
    with pytest.raises(ValueError, match="positive"):
        fit_cox(x[:, :1], t, np.ones(10), weights=np.r_[0.0, np.ones(9)])


def test_cohort_cox_reports_r_concordance_with_entry_weights_strata(parity):
    """cohort.cox uses the engine: coef and concordance of the R fit entry_weights_strata."""
    from cohort.survival.cox import cox

    ref = pd.read_csv(VALUES / "engines_concordance.csv").set_index("model")
    d = parity.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = cox(d, "x1 + x2 + grp", ("time", "status"), strata="st", weights="w", entry="entry")
    row = ref.loc["entry_weights_strata"]
    assert fit.concordance == pytest.approx(row["concordance"], rel=1e-12)
    assert fit.log_likelihood == pytest.approx(row["loglik"], rel=1e-12)

"""The cumulative-sum Fine-Gray engine (cohort.survival.finegray_engine) against crr and a dense oracle.

R references: tests/reference/values/cmprsk_random_crr.csv (tests/reference/reference_cmprsk.R);
tests/survival/test_finegray.py checks cohort.finegray, which runs this engine, against every crr reference.
The oracle forms crr's weight matrix w_kj (event times x patients) explicitly, as the block
implementation this engine replaced did, with scikit-survival's Kaplan-Meier for G.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort.survival import finegray_engine as _finegray_engine

REF = Path(__file__).parents[1] / "reference"


def _oracle_g(t: np.ndarray, censored: np.ndarray, at: np.ndarray) -> np.ndarray:
    from sksurv.nonparametric import kaplan_meier_estimator

    km_t, km_s = kaplan_meier_estimator(censored.astype(bool), t)
    idx = np.searchsorted(km_t, at * (1 - 100 * np.finfo(float).eps), side="right") - 1
    return np.where(idx >= 0, km_s[np.maximum(idx, 0)], 1.0)


def _oracle(time, status, x, beta, failcode=1):
    """loglik, score and information at ``beta`` from the dense weight matrix."""
    order = np.argsort(time, kind="stable")
    t, st, x = time[order], status[order], x[order]
    eps = np.where(st == failcode, 1, np.where(st == 0, 0, 2))
    g_own = _oracle_g(t, eps == 0, t)
    s, d = np.unique(t[eps == 1], return_counts=True)
    g_s = _oracle_g(t, eps == 0, s)
    kept = (t[None, :] < s[:, None]) & (eps[None, :] == 2)
    w = np.where(t[None, :] >= s[:, None], 1.0, np.where(kept, g_s[:, None] / g_own[None, :], 0))
    r = np.exp(x @ beta)
    s0 = w @ r
    s1 = w @ (x * r[:, None])
    s2 = np.einsum("kj,ja,jb->kab", w, x * r[:, None], x)
    e = s1 / s0[:, None]
    ev = eps == 1
    loglik = (x[ev] @ beta).sum() - d @ np.log(s0)
    score = x[ev].sum(axis=0) - d @ e
    info = (d[:, None, None] * (s2 / s0[:, None, None] - e[:, :, None] * e[:, None, :])).sum(0)
    return loglik, score, info


@pytest.mark.parametrize("seed", [0, 1])
def test_risk_sums_equal_the_dense_weight_matrix(seed):
    rng = np.random.default_rng(seed)
    n = 400
    x = np.column_stack([rng.random(n) < 0.4, rng.normal(size=n), rng.integers(0, 3, n)])
    x = x.astype(float)
    t = np.ceil(rng.exponential(100, n))
    st = rng.choice([0, 1, 2, 3], n, p=[0.3, 0.35, 0.2, 0.15])
    beta = np.array([0.3, -0.2, 0.1])
    for failcode in (1, 3):
        prob = _finegray_engine._Problem(t, st, x, failcode)
        loglik, score, info, _, _ = prob.derivatives(beta)
        ref = _oracle(t, st, x, beta, failcode)
        assert loglik == pytest.approx(ref[0], rel=1e-12)
        np.testing.assert_allclose(score, ref[1], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(info, ref[2], rtol=1e-11)


def test_censoring_distribution_equals_scikit_survival():
    rng = np.random.default_rng(5)
    t = np.sort(np.ceil(rng.exponential(50, 400)))
    censored = rng.random(400) < 0.4
    at = np.r_[0.0, t, t + 0.5]
    np.testing.assert_allclose(
        _finegray_engine._censoring_left_limits(t, censored, at),
        _oracle_g(t, censored, at),
        rtol=1e-14,
    )


def test_random_tied_tables_equal_crr():
    """crr(cir_days, cir_status, cov1 = cbind(x)) where crr converged (reference_cmprsk.R)."""
    data = pd.read_csv(REF / "data" / "cmprsk_random.csv")
    ref = pd.read_csv(REF / "values" / "cmprsk_random_crr.csv")
    ref = ref[ref["converged"]]
    for row in ref.itertuples():
        d = data[data["sim"] == row.sim].dropna(subset=["cir_days", "cir_status", "x"])
        t, st = d["cir_days"].to_numpy(float), d["cir_status"].to_numpy(int)
        fit = _finegray_engine.fit_finegray(t, st, d[["x"]].to_numpy(float))
        assert fit.coef[0] == pytest.approx(row.coef, abs=1e-8), row.sim
        assert np.sqrt(fit.var[0, 0]) == pytest.approx(row.se, rel=1e-7), row.sim

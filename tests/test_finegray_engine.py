"""The cumulative-sum Fine-Gray engine (cohort._finegray_engine) against crr and cohort._finegray.

R references: tests/reference/values/cmprsk_crr.csv and cmprsk_random_crr.csv
(tests/reference/reference_cmprsk.R).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort import _finegray, _finegray_engine

REF = Path(__file__).parent / "reference"


def _same(a, b, rtol=1e-10):
    np.testing.assert_allclose(a.coef, b.coef, rtol=rtol, atol=1e-13)
    np.testing.assert_allclose(a.var, b.var, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(a.information, b.information, rtol=rtol)
    np.testing.assert_allclose(a.baseline_jumps, b.baseline_jumps, rtol=rtol)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
    assert a.loglik_null == pytest.approx(b.loglik_null, rel=1e-12)
    assert a.converged == b.converged


@pytest.mark.parametrize("failcode", [1, 2])
def test_amlsg_equals_block_implementation_and_crr(failcode):
    d = pd.read_csv(REF / "data" / "cmprsk_amlsg.csv").dropna(
        subset=["cir_days", "cir_status", "npm1", "flt3_itd"]
    )
    x = d[["npm1", "flt3_itd"]].astype(float).to_numpy()
    t, st = d["cir_days"].to_numpy(float), d["cir_status"].to_numpy(int)
    new = _finegray_engine.fit_finegray(t, st, x, failcode=failcode)
    old = _finegray.fit_finegray(t, st, x, failcode=failcode)
    _same(new, old)
    assert new.n_iter == old.n_iter


def test_censoring_distribution_equals_scikit_survival():
    rng = np.random.default_rng(5)
    t = np.sort(np.ceil(rng.exponential(50, 400)))
    censored = rng.random(400) < 0.4
    at = np.r_[0.0, t, t + 0.5]
    np.testing.assert_allclose(
        _finegray_engine._censoring_left_limits(t, censored, at),
        _finegray._censoring_left_limits(t, censored, at),
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


@pytest.mark.parametrize("seed", [0, 1])
def test_random_cohort_with_three_causes_equals_block_implementation(seed):
    rng = np.random.default_rng(seed)
    n = 700
    x = np.column_stack([rng.random(n) < 0.4, rng.normal(size=n), rng.integers(0, 3, n)])
    t = np.ceil(rng.exponential(100, n))
    st = rng.choice([0, 1, 2, 3], n, p=[0.3, 0.35, 0.2, 0.15])
    for failcode in (1, 3):
        new = _finegray_engine.fit_finegray(t, st, x.astype(float), failcode=failcode)
        old = _finegray.fit_finegray(t, st, x.astype(float), failcode=failcode)
        _same(new, old)
        assert new.n_iter == old.n_iter

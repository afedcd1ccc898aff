"""The counting engine (cohort._counting) equals the current estimators it is to replace.

Compared with cohort._grouping.group_codes, cohort.survival's Kaplan-Meier table and log-rank
O/E/V, statsmodels' survdiff chi-square and cohort._gray.gray_test (cmprsk's crst); those are in
turn checked against R in test_km.py, test_logrank.py and test_gray.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort import _counting, _gray, _grouping, survival

REF = Path(__file__).parent / "reference"


def _frame(seed: int, n: int = 800) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "time": np.ceil(rng.exponential(60, n)),
            "status": rng.choice([0, 1, 2, 3], n, p=[0.3, 0.4, 0.2, 0.1]),
            "npm1": pd.array(rng.random(n) < 0.4, dtype="boolean"),
            "eln": pd.Categorical(
                rng.choice(["adverse", "favorable", "intermediate"], n),
                ["favorable", "intermediate", "adverse", "unused"],
            ),
            "grade": rng.integers(1, 4, n).astype(float),
            "centre": rng.choice(["b", "a", "c"], n),
        }
    )


@pytest.mark.parametrize(
    "cols", [(), ("npm1",), ("eln",), ("npm1", "eln"), ("grade", "centre", "npm1")]
)
def test_group_codes_equal_grouping(cols):
    d = _frame(1)
    d = d[~((d["npm1"]) & (d["eln"] == "favorable"))]  # a combination that is absent
    new_codes, new_labels = _counting.group_codes(d, cols)
    old_codes, old_labels = _grouping.group_codes(d, cols)
    assert new_labels == old_labels
    np.testing.assert_array_equal(new_codes, old_codes)


@pytest.mark.parametrize("seed", [2, 3])
def test_km_columns_equal_km_table(seed):
    d = _frame(seed)
    t, e = d["time"].to_numpy(), (d["status"] == 1).astype(int).to_numpy()
    counts = _counting.count_table(t, e, np.zeros(len(t), dtype=int), 1)
    got = _counting.km_columns(
        counts.at_risk[0, :, 0], counts.events[0, :, 0, 0], counts.removed[0, :, 0]
    )
    ref = survival._km_table(t, e, 0.95, "log")
    np.testing.assert_array_equal(counts.times[got["mask"]], ref["time"])
    np.testing.assert_array_equal(counts.at_risk[0, got["mask"], 0], ref["at_risk"])
    np.testing.assert_allclose(got["survival"], ref["survival"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(got["std_err"], ref["std_err"], rtol=1e-13)


@pytest.mark.parametrize("stratified", [False, True])
def test_logrank_equals_survival_oev_and_statsmodels(stratified):
    from statsmodels.duration.survfunc import survdiff

    d = _frame(4)
    t, e = d["time"].to_numpy(), (d["status"] == 1).astype(int).to_numpy()
    g, _ = _grouping.group_codes(d, ("eln",))
    s = _grouping.group_codes(d, ("centre",))[0] if stratified else None
    counts = _counting.count_table(t, e, g, 3, strata=s)
    obs, exp, var = _counting.logrank_oev(counts)
    o2, e2, v2 = survival._oev(t, e, g, 3, s)
    np.testing.assert_allclose(obs, o2, rtol=1e-13)
    np.testing.assert_allclose(exp, e2, rtol=1e-12)
    np.testing.assert_allclose(var, v2, rtol=1e-11, atol=1e-12)
    chisq = survdiff(t, e, g, strata=s)[0]
    assert _counting.survdiff_chisq(obs, exp, var) == pytest.approx(chisq, rel=1e-10)


def test_entry_and_weights_at_risk_by_definition():
    rng = np.random.default_rng(5)
    n = 300
    t = np.ceil(rng.exponential(30, n))
    entry = np.where(rng.random(n) < 0.5, np.floor(rng.random(n) * t), 0.0)
    w = rng.integers(1, 4, n).astype(float)
    g = rng.integers(0, 2, n)
    counts = _counting.count_table(t, np.ones(n, dtype=int), g, 2, weights=w, entry=entry)
    for j, tt in enumerate(counts.times):
        for grp in (0, 1):
            m = (g == grp) & (entry < tt) & (t >= tt)
            assert counts.at_risk[0, j, grp] == pytest.approx(w[m].sum())


@pytest.mark.parametrize("rho", [0.0, 1.0])
@pytest.mark.parametrize("cause", [1, 2])
def test_gray_equals_crst(rho, cause):
    d = _frame(6, n=1500)
    t, st = d["time"].to_numpy(), d["status"].to_numpy()
    g, _ = _grouping.group_codes(d, ("eln",))
    strata = _grouping.group_codes(d, ("centre",))[0]
    ref = _gray.gray_test(t, st, g, cause, strata=strata, rho=rho)
    causes = (1, 2, 3)
    counts = _counting.count_table(t, st, g, 3, strata=strata, causes=causes)
    s_tot, v_tot = np.zeros(2), np.zeros((2, 2))
    for s in range(counts.at_risk.shape[0]):
        ev = counts.events[s]
        d1 = ev[..., causes.index(cause)]
        s_k, v_k = _counting.gray_statistic(counts.at_risk[s], d1, ev.sum(axis=-1) - d1, rho)
        s_tot, v_tot = s_tot + s_k, v_tot + v_k
    np.testing.assert_allclose(s_tot, ref.score, rtol=1e-10)
    np.testing.assert_allclose(v_tot, ref.variance, rtol=1e-10)


def test_gray_equals_crst_on_cmprsk_random_tables():
    data = pd.read_csv(REF / "data" / "cmprsk_random.csv").dropna()
    for sim, d in list(data.groupby("sim"))[:60]:
        g, labels = _grouping.group_codes(d, ("arm",))
        if len(labels) < 2:
            continue
        t, st = d["cir_days"].to_numpy(float), d["cir_status"].to_numpy(int)
        ref = _gray.gray_test(t, st, g, 1)
        counts = _counting.count_table(t, st, g, len(labels), causes=(1, 2))
        ev = counts.events[0]
        s_k, v_k = _counting.gray_statistic(counts.at_risk[0], ev[..., 0], ev[..., 1])
        np.testing.assert_allclose(s_k, ref.score, rtol=1e-9, atol=1e-12, err_msg=str(sim))
        np.testing.assert_allclose(v_k, ref.variance, rtol=1e-9, atol=1e-12, err_msg=str(sim))

"""The counting engine (cohort.survival.counting) and the group codes equal the estimators they replace.

Compared with a row-wise np.unique group coding, cohort.survival.kaplan_meier's Kaplan-Meier table and log-rank
O/E/V, statsmodels' survdiff chi-square and a line-by-line translation of cmprsk's ``crst``
(below, the loop the counting version replaced); cohort.km, logrank and cuminc are in turn checked
against R in test_km.py, test_logrank.py and test_gray.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort.survival import counting as _counting
from cohort.survival import gray as _gray
from cohort.survival import grouping as _grouping
from cohort.survival import logrank
from cohort.survival.grouping import label, ordered_values
from cohort.survival.kaplan_meier import _km_table

REF = Path(__file__).parents[1] / "reference"


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


def _unique_rows_codes(frame, cols):
    """The former group coding: map every row, then np.unique over rows."""
    per_col = []
    for c in cols:
        levels = ordered_values(frame[c])
        lookup = {v: i for i, v in enumerate(levels)}
        per_col.append((levels, frame[c].astype(object).map(lookup).to_numpy(dtype=np.int64)))
    uniq, inverse = np.unique(
        np.stack([k for _, k in per_col], axis=1), axis=0, return_inverse=True
    )
    labels = tuple(
        ", ".join(
            f"{c}={label(per_col[j][0][k])}" for j, (c, k) in enumerate(zip(cols, row, strict=True))
        )
        for row in uniq
    )
    return inverse.reshape(-1), labels


@pytest.mark.parametrize(
    "cols", [("npm1",), ("eln",), ("npm1", "eln"), ("grade", "centre", "npm1")]
)
def test_group_codes_equal_unique_rows(cols):
    d = _frame(1)
    d = d[~((d["npm1"]) & (d["eln"] == "favorable"))]  # a combination that is absent
    codes, labels = _grouping.group_codes(d, cols)
    ref_codes, ref_labels = _unique_rows_codes(d, cols)
    assert labels == ref_labels
    np.testing.assert_array_equal(codes, ref_codes)


def _lifelines_km(t: np.ndarray, e: np.ndarray) -> pd.DataFrame:
    """The oracle: lifelines' KaplanMeierFitter event table and curve at the observed times."""
    from lifelines import KaplanMeierFitter

    fitter = KaplanMeierFitter().fit(t, e)
    et = fitter.event_table
    keep = et["removed"].to_numpy() > 0  # lifelines adds a time-0 row even when no one is there
    return pd.DataFrame(
        {
            "time": et.index.to_numpy(dtype=float)[keep],
            "at_risk": et["at_risk"].to_numpy()[keep],
            "events": et["observed"].to_numpy()[keep],
            "censored": et["censored"].to_numpy()[keep],
            "survival": fitter.survival_function_.iloc[:, 0].to_numpy()[keep],
        }
    )


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_km_columns_and_km_table_equal_lifelines(seed):
    d = _frame(seed)
    t, e = d["time"].to_numpy(), (d["status"] == 1).astype(int).to_numpy()
    if seed == 4:  # the curve reaches 0: everybody left at the last time dies
        e[t == t.max()] = 1
    ref = _lifelines_km(t, e)
    counts = _counting.count_table(t, e, np.zeros(len(t), dtype=int), 1)
    got = _counting.km_columns(
        counts.at_risk[0, :, 0], counts.events[0, :, 0, 0], counts.removed[0, :, 0]
    )
    np.testing.assert_array_equal(counts.times[got["mask"]], ref["time"])
    np.testing.assert_array_equal(counts.at_risk[0, got["mask"], 0], ref["at_risk"])
    np.testing.assert_allclose(got["survival"], ref["survival"], rtol=1e-13, atol=1e-15)
    tab = _km_table(t, e, 0.95, "log")
    for col in ("time", "at_risk", "events", "censored"):
        np.testing.assert_array_equal(tab[col], ref[col])
    np.testing.assert_allclose(tab["survival"], ref["survival"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(got["std_err"], tab["std_err"], rtol=1e-13)
    if seed == 4:
        assert tab["survival"].iloc[-1] == 0


@pytest.mark.parametrize("stratified", [False, True])
def test_logrank_equals_cohort_logrank_and_statsmodels(stratified):
    from statsmodels.duration.survfunc import survdiff

    d = _frame(4)
    d["event"] = (d["status"] == 1).astype(int)
    t, e = d["time"].to_numpy(), d["event"].to_numpy()
    g, _ = _grouping.group_codes(d, ("eln",))
    s = _grouping.group_codes(d, ("centre",))[0] if stratified else None
    counts = _counting.count_table(t, e, g, 3, strata=s)
    obs, exp, var = _counting.logrank_oev(counts)
    ref = logrank(d, "eln", ("time", "event"), strata="centre" if stratified else None)
    np.testing.assert_allclose(obs, ref.groups["observed"], rtol=1e-13)
    np.testing.assert_allclose(exp, ref.groups["expected"], rtol=1e-12)
    chisq = _counting.survdiff_chisq(obs, exp, var)
    assert chisq == pytest.approx(ref.statistic, rel=1e-10)
    assert chisq == pytest.approx(survdiff(t, e, g, strata=s)[0], rel=1e-10)


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
    got = _gray.gray_test(t, st, g, cause, strata=strata, rho=rho)
    m = np.where(st == cause, 1, np.where(st == 0, 0, 2))
    s_tot, v_tot = np.zeros(2), np.zeros((2, 2))
    for k in np.unique(strata):
        idx = np.flatnonzero(strata == k)
        idx = idx[np.argsort(t[idx], kind="stable")]
        s_k, v_k = _crst(t[idx], m[idx], g[idx], 3, rho)
        s_tot, v_tot = s_tot + s_k, v_tot + v_k
    np.testing.assert_allclose(got.score, s_tot, rtol=1e-10)
    np.testing.assert_allclose(got.variance, v_tot, rtol=1e-10)


def test_gray_equals_crst_on_cmprsk_random_tables():
    data = pd.read_csv(REF / "data" / "cmprsk_random.csv").dropna()
    for sim, d in list(data.groupby("sim"))[:60]:
        g, labels = _grouping.group_codes(d, ("arm",))
        if len(labels) < 2:
            continue
        t, st = d["cir_days"].to_numpy(float), d["cir_status"].to_numpy(int)
        got = _gray.gray_test(t, st, g, 1)
        order = np.argsort(t, kind="stable")
        m = np.where(st == 1, 1, np.where(st == 0, 0, 2))
        s_k, v_k = _crst(t[order], m[order], g[order], len(labels), 0.0)
        np.testing.assert_allclose(got.score, s_k, rtol=1e-9, atol=1e-12, err_msg=str(sim))
        np.testing.assert_allclose(got.variance, v_k, rtol=1e-9, atol=1e-12, err_msg=str(sim))


# the loop over distinct times that cohort.survival.gray ran before the counting engine (cmprsk crst)
def _crst(
    y: np.ndarray, m: np.ndarray, ig: np.ndarray, ng: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Score vector and covariance matrix within one stratum (cmprsk ``crst``).

    ``y`` sorted ascending; ``m`` 0 censored, 1 cause of interest, 2 other cause; ``ig`` group codes
    ``0..ng-1``.
    """
    ng1 = ng - 1
    n = len(y)
    rs = np.bincount(ig, minlength=ng).astype(float)
    s = np.zeros(ng1)
    v = np.zeros((ng1, ng1))
    f1m = np.zeros(ng)
    skmm = np.ones(ng)
    skm = np.ones(ng)
    v3 = np.zeros(ng)
    v2 = np.zeros((ng1, ng))
    c = np.zeros((ng, ng))
    fm = 0.0
    f = 0.0
    # blocks of tied times
    starts = np.flatnonzero(np.r_[True, y[1:] > y[:-1]])
    ends = np.r_[starts[1:], n]
    for ll, lu in zip(starts, ends, strict=True):
        block_m = m[ll:lu]
        block_g = ig[ll:lu]
        d1 = np.bincount(block_g[block_m == 1], minlength=ng).astype(float)
        d2 = np.bincount(block_g[block_m == 2], minlength=ng).astype(float)
        nd1 = d1.sum()
        nd2 = d2.sum()
        if nd1 > 0 or nd2 > 0:
            act = rs > 0
            rs_a = np.where(act, rs, 1.0)
            skmm_a = np.where(act, skmm, 1.0)
            # skm/f1 right-continuous Kaplan-Meier and cumulative incidence per group
            skm = np.where(act, skmm * (rs - d1 - d2) / rs_a, skm)
            f1 = np.where(act, f1m + skmm * d1 / rs_a, f1m)
            t1 = np.where(act, rs / skmm_a, 0.0)
            tr = t1.sum()  # sum_r h_r in the notation of the paper
            tq = np.where(act, rs * (1 - f1m) / skmm_a, 0.0).sum()  # sum_r R_r
            f = fm + nd1 / tr
            fb = (1 - fm) ** rho
            a = fb * (np.diag(t1) - np.outer(t1, t1) / tr)
            # crst updates c only for pairs of groups both at risk; elsewhere 0 * inf must not
            # leak NaN in (fm reaches 1 when the pooled estimate is used up)
            with np.errstate(divide="ignore", invalid="ignore"):
                inc = a * nd1 / (tr * (1 - fm))
            c = np.where(np.outer(act, act), c + inc, c)
            s += np.where(
                act[:ng1],
                fb * (d1[:ng1] - nd1 * rs[:ng1] * (1 - f1m[:ng1]) / (skmm_a[:ng1] * tq)),
                0.0,
            )
            if nd1 > 0:
                t4 = np.where(skm > 0, 1 - (1 - f) / np.where(skm > 0, skm, 1.0), 1.0)
                t5 = 1 - (nd1 - 1) / (tr * skmm_a - 1) if nd1 > 1 else np.ones(ng)
                t3 = np.where(act, t5 * skmm * nd1 / (tr * rs_a), 0.0)
                v3 += t4 * t4 * t3
                tt1 = a[:ng1, :] - t4[None, :] * c[:ng1, :]
                v2 += tt1 * (t4 * t3)[None, :]
                v += (tt1 * t3[None, :]) @ tt1.T
            if nd2 > 0:
                k2 = (skm > 0) & (d2 > 0)
                skm_k = np.where(k2, skm, 1.0)
                t4 = np.where(k2, (1 - f) / skm_k, 0.0)
                # R comment "changed 3-24-04": computed in floating point
                t5 = np.where(d2 > 1, 1 - (d2 - 1.0) / np.where(d2 > 1, rs - 1.0, 1.0), 1.0)
                t3 = np.where(k2, t5 * skmm**2 * d2 / rs_a**2, 0.0)
                v3 += t4 * t4 * t3
                tt1 = t4[None, :] * c[:ng1, :]
                v2 -= tt1 * (t4 * t3)[None, :]
                v += (tt1 * t3[None, :]) @ tt1.T
        else:
            f1 = f1m
        rs = rs - np.bincount(block_g, minlength=ng)
        fm = f
        f1m = f1
        skmm = skm
    c1 = c[:ng1, :]
    v += (c1 * v3[None, :]) @ c1.T + c1 @ v2.T + v2 @ c1.T
    return s, v

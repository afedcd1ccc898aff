"""Gray's (1988) k-sample test for cumulative incidence functions, as R's ``cmprsk::cuminc``.

Hand-written because no Python package implements it (lifelines, scikit-survival and statsmodels
offer the cumulative incidence but no test between groups). This is a line-by-line translation of
the subroutines ``crstm`` and ``crst`` of cmprsk (Robert Gray, GPL >= 2; ``src/crstm.f``), with the
inner loops over groups written as numpy array operations. Variable names follow the Fortran so the
two can be compared side by side.

Reference: Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a competing
risk. Ann Stat 1988;16:1141-54.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["GrayTest", "gray_test"]


@dataclass(frozen=True)
class GrayTest:
    """Scores of the first ``ng - 1`` groups, their covariance, and the chi-square statistic."""

    score: np.ndarray
    variance: np.ndarray
    statistic: float
    dof: int
    p_value: float


def _crst(
    y: np.ndarray, m: np.ndarray, ig: np.ndarray, ng: int, rho: float, w: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Score vector and covariance matrix within one stratum (cmprsk ``crst``).

    ``y`` sorted ascending; ``m`` 0 censored, 1 cause of interest, 2 other cause; ``ig`` group codes
    ``0..ng-1``; ``w`` integer patient counts per row (aggregated rows, :mod:`cohort.scale`).
    """
    ng1 = ng - 1
    n = len(y)
    w = np.ones(n) if w is None else w
    rs = np.bincount(ig, weights=w, minlength=ng).astype(float)
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
        block_w = w[ll:lu]
        d1 = np.bincount(block_g[block_m == 1], block_w[block_m == 1], minlength=ng)
        d2 = np.bincount(block_g[block_m == 2], block_w[block_m == 2], minlength=ng)
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
        rs = rs - np.bincount(block_g, weights=block_w, minlength=ng)
        fm = f
        f1m = f1
        skmm = skm
    c1 = c[:ng1, :]
    v += (c1 * v3[None, :]) @ c1.T + c1 @ v2.T + v2 @ c1.T
    return s, v


def gray_test(
    time: np.ndarray,
    status: np.ndarray,
    group: np.ndarray,
    cause: int,
    *,
    strata: np.ndarray | None = None,
    rho: float = 0.0,
    weights: np.ndarray | None = None,
) -> GrayTest:
    """Gray's test that the cumulative incidence of ``cause`` is equal in all groups.

    Parameters
    ----------
    time : array of float
    status : array of int
        0 censored, otherwise the cause of the event.
    group : array of int
        Group codes ``0..ng-1`` (every code present).
    cause : int
        The cause whose cumulative incidence is compared; every other non-zero code competes.
    strata : array of int, optional
        Stratum codes: scores and variances are summed over strata (cmprsk ``strata=``).
    rho : float
        Power of the weight ``(1 - F(t-))**rho``; 0 (default, cmprsk) weights all times equally.
    weights : array of int, optional
        Number of patients each row stands for (rows aggregated per time, group and status, as
        :mod:`cohort.scale` does); the test equals that of the patient-level rows.

    Returns
    -------
    GrayTest
        The statistic is ``s' V^-1 s`` on ``ng - 1`` degrees of freedom; NaN when ``V`` is singular
        (where cmprsk reports -1).
    """
    time = np.asarray(time, dtype=float)
    status = np.asarray(status)
    group = np.asarray(group, dtype=np.int64)
    ng = int(group.max()) + 1
    if strata is None:
        strata = np.zeros(len(time), dtype=np.int64)
    m = np.where(status == cause, 1, np.where(status == 0, 0, 2))
    order = np.argsort(time, kind="stable")
    s = np.zeros(ng - 1)
    v = np.zeros((ng - 1, ng - 1))
    for k in np.unique(strata):
        idx = order[strata[order] == k]
        sk, vk = _crst(
            time[idx], m[idx], group[idx], ng, rho, None if weights is None else weights[idx]
        )
        s += sk
        v += vk
    dof = ng - 1
    if not np.isfinite(v).all() or not np.isfinite(s).all() or np.linalg.matrix_rank(v) < dof:
        stat = float("nan")
    else:
        stat = float(s @ np.linalg.solve(v, s))
    return GrayTest(s, v, stat, dof, float(stats.chi2.sf(stat, dof)))

"""Gray's (1988) k-sample test for cumulative incidence functions, as R's ``cmprsk::cuminc``.

Hand-written because no Python package implements it (lifelines, scikit-survival and statsmodels
offer the cumulative incidence but no test between groups). The subroutines ``crstm`` and ``crst``
of cmprsk (Robert Gray, GPL >= 2; ``src/crstm.f``) loop over the distinct times; here the same
recursion is cumulative sums over the table of counts per time x group
(:func:`cohort.survival.counting.gray_statistic`, whose variable names follow the Fortran). The line-by-line
translation it replaced is kept in tests/survival/test_counting.py as the oracle.

Reference: Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a competing
risk. Ann Stat 1988;16:1141-54.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from cohort.survival.counting import Counts, count_table, dense_ranks, gray_statistic

__all__ = ["GrayTest", "gray_test", "gray_test_counts"]


@dataclass(frozen=True)
class GrayTest:
    """Scores of the first ``ng - 1`` groups, their covariance, and the chi-square statistic."""

    score: np.ndarray
    variance: np.ndarray
    statistic: float
    dof: int
    p_value: float


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
    codes = dense_ranks(strata)[1]
    counts = count_table(time, m, group, ng, strata=codes, causes=(1, 2), weights=weights)
    return gray_test_counts(counts, 0, rho)


def gray_test_counts(counts: Counts, cause_index: int, rho: float = 0.0) -> GrayTest:
    """Gray's test from a count table (:func:`cohort.survival.counting.count_table`, strata x times x
    groups x causes): the cause ``counts.causes[cause_index]`` against all the other causes.

    One table serves the test of every cause and the curves (``cohort.cuminc``).
    """
    ng = counts.at_risk.shape[-1]
    s = np.zeros(ng - 1)
    v = np.zeros((ng - 1, ng - 1))
    for k in range(counts.at_risk.shape[0]):
        events = counts.events[k]
        d1 = events[..., cause_index]
        sk, vk = gray_statistic(counts.at_risk[k], d1, events.sum(axis=-1) - d1, rho)
        s += sk
        v += vk
    dof = ng - 1
    if not np.isfinite(v).all() or not np.isfinite(s).all() or np.linalg.matrix_rank(v) < dof:
        stat = float("nan")
    else:
        stat = float(s @ np.linalg.solve(v, s))
    return GrayTest(s, v, stat, dof, float(stats.chi2.sf(stat, dof)))

"""The log-rank family (log-rank, stratified, Fleming-Harrington rho, trend, pairwise), as R's
``survdiff``.

Observed and expected counts and the variance matrix come from the counting table
(:func:`cohort.survival.counting.logrank_oev`); the test for trend and the pairwise tests need
them and neither lifelines nor statsmodels exposes them. Multiplicity adjustment is statsmodels'
``multipletests``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cohort.cohort import Cohort
from cohort.errors import ModelError
from cohort.scale.dispatch import scales
from cohort.survival.counting import count_table, logrank_oev
from cohort.survival.prepared import _prepare, _Prepared

__all__ = ["LogRankResult", "logrank", "logrank_trend", "pairwise_logrank"]

_ADJUST = {
    "holm": "holm",
    "bonferroni": "bonferroni",
    "hochberg": "simes-hochberg",
    "hommel": "hommel",
    "bh": "fdr_bh",
    "fdr": "fdr_bh",
    "by": "fdr_by",
    "none": None,
}


@dataclass(frozen=True)
class LogRankResult:
    """A log-rank type test.

    Attributes
    ----------
    statistic : float
        Chi-square statistic.
    dof : int
    p_value : float
    method : str
        ``"log-rank"``, ``"stratified log-rank"``, ``"log-rank test for trend"``, ...
    groups : pandas.DataFrame
        One row per group: ``group``, ``n``, ``observed``, ``expected`` (summed over strata).
    """

    statistic: float
    dof: int
    p_value: float
    method: str
    groups: pd.DataFrame = field(repr=False)


def _oev(prep: _Prepared, group: np.ndarray, k: int, rho: float = 0.0):
    """Observed, expected and the variance matrix of O - E, summed over strata (R ``survdiff``).

    The G-rho family of ``survdiff(rho=)``: each event time is weighted by ``S(t-)^rho``, ``S`` the
    Kaplan-Meier of the pooled stratum (rho = 0 the log-rank test, rho = 1 Peto & Peto's
    Gehan-Wilcoxon); O and E are weighted by it and V by its square, V the hypergeometric variance.
    Case weights count as replicated patients (integer weights give ``survdiff`` on the replicated
    rows); delayed entry uses the ``(entry, time]`` risk sets, which R's ``survdiff`` refuses: there
    the statistic equals the score test at beta = 0 of ``coxph(Surv(entry, time, event) ~ group,
    ties = "exact")``, as it does for right-censored data.

    Written out because neither lifelines nor statsmodels exposes O, E and V (the trend test needs
    them), nor takes delayed entry or case weights; the plain log-rank statistic is checked against
    statsmodels' ``survdiff`` and R in the tests. Computed from the counts per stratum x time x group
    of :mod:`cohort.survival.counting` (one ``np.bincount`` table, then cumulative sums).
    """
    counts = count_table(
        prep.time,
        prep.event,
        group,
        k,
        strata=prep.strata_codes,
        weights=prep.weights,
        entry=prep.entry,
    )
    return logrank_oev(counts, rho)


def _groups_frame(prep: _Prepared, obs: np.ndarray, exp: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": list(prep.labels),
            "n": np.bincount(prep.group_codes, minlength=len(prep.labels)),
            "observed": obs,
            "expected": exp,
        }
    )


def _check_rho(rho: float) -> float:
    if not isinstance(rho, int | float) or not np.isfinite(rho) or rho < 0:
        raise ModelError(f"rho={rho!r}: use a number >= 0 (0 log-rank, 1 Peto & Peto).")
    return float(rho)


def _logrank_prepared(prep: _Prepared, rho: float = 0.0) -> LogRankResult:
    k = len(prep.labels)
    if k < 2:
        raise ModelError("a log-rank test needs at least two groups; only one is present.")
    obs, exp, var = _oev(prep, prep.group_codes, k, rho)
    dof = int((exp > 0).sum()) - 1  # R print.survdiff
    if dof <= 0:
        statistic, p = 0.0, np.nan
    else:
        # R survdiff: V restricted to the groups with expected events, less the first (V's rows sum
        # to 0); np.linalg.pinv on the full V would instead invert a rounding-error eigenvalue
        u = obs - exp
        keep = np.flatnonzero(exp > 0)[1:]
        sub = var[np.ix_(keep, keep)]
        try:
            statistic = float(u[keep] @ np.linalg.solve(sub, u[keep]))
        except np.linalg.LinAlgError:
            # singular (e.g. a group whose every event time had everyone at risk die, so its
            # hypergeometric variance is 0): a generalised inverse that drops exact zeros only
            pinv = np.linalg.pinv(sub, rcond=1e-10, hermitian=True)
            statistic = float(u[keep] @ pinv @ u[keep])
        p = float(stats.chi2.sf(statistic, dof))
    method = "log-rank" if rho == 0 else f"G-rho log-rank (rho={rho:g})"
    if prep.strata_codes is not None:
        method = "stratified " + method
    return LogRankResult(float(statistic), dof, p, method, _groups_frame(prep, obs, exp))


@scales("logrank")
def logrank(
    data: Cohort | pd.DataFrame,
    by: str | list[str],
    endpoint: str = "os",
    *,
    strata: str | list[str] | None = None,
    rho: float = 0.0,
    weights: str | None = None,
    entry: str | None = None,
    timefix: bool = True,
) -> LogRankResult:
    """Log-rank test of equal survival across groups, optionally stratified (R ``survdiff``).

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    by : str or list of str
        Grouping column(s).
    endpoint : {"os", "efs", "rfs"}
    strata : str or list of str, optional
        Stratify: observed minus expected and its variance are summed over strata, as R's
        ``survdiff(Surv(t, e) ~ by + strata(s))``.
    rho : float
        The G-rho family of ``survdiff(rho=)``: event times weighted by ``S(t-)^rho`` (0 log-rank,
        1 Peto & Peto's modification of the Gehan-Wilcoxon test). ``groups`` then holds the
        weighted observed and expected counts, as R prints them.
    weights : str, optional
        Column of case weights; integer weights equal ``survdiff`` on the replicated rows.
    entry : str, optional
        Column of delayed-entry (left-truncation) times, on the endpoint's time scale:
        ``Surv(entry, time, event)``. R's ``survdiff`` refuses such data; the statistic equals the
        score test of ``coxph(Surv(entry, time, event) ~ by, ties = "exact")`` at beta = 0.
    timefix : bool
        Merge times equal up to floating-point rounding first, as R's default ``aeqSurv``.

    Returns
    -------
    LogRankResult
    """
    prep = _prepare(
        data, endpoint, by, strata, "cohort.logrank", weights=weights, entry=entry, timefix=timefix
    )
    return _logrank_prepared(prep, _check_rho(rho))


def _trend_prepared(prep: _Prepared, scores: list[float] | np.ndarray | None) -> LogRankResult:
    k = len(prep.labels)
    if k < 2:
        raise ModelError("a test for trend needs at least two ordered groups.")
    w = np.arange(1, k + 1, dtype=float) if scores is None else np.asarray(scores, dtype=float)
    if w.shape != (k,):
        raise ModelError(
            f"scores= has {w.size} value(s) but there are {k} groups ({', '.join(prep.labels)})."
        )
    obs, exp, var = _oev(prep, prep.group_codes, k)
    stat = float((w @ (obs - exp)) ** 2 / (w @ var @ w))
    method = (
        "log-rank test for trend"
        if prep.strata_codes is None
        else "stratified log-rank test for trend"
    )
    return LogRankResult(
        stat, 1, float(stats.chi2.sf(stat, 1)), method, _groups_frame(prep, obs, exp)
    )


def logrank_trend(
    data: Cohort | pd.DataFrame,
    by: str,
    endpoint: str = "os",
    *,
    scores: list[float] | None = None,
    strata: str | list[str] | None = None,
    timefix: bool = True,
) -> LogRankResult:
    """Log-rank test for trend across ordered groups (1 degree of freedom).

    The statistic is ``(w'(O - E))^2 / (w' V w)`` with ``O``, ``E`` and ``V`` from R's ``survdiff``
    and scores ``w`` (default 1, 2, ..., in group order: category order of ``by``, else sorted).
    ``timefix`` as in :func:`logrank`.
    """
    prep = _prepare(data, endpoint, by, strata, "cohort.logrank_trend", timefix=timefix)
    return _trend_prepared(prep, scores)


def _pairwise_prepared(prep: _Prepared, adjust: str, rho: float = 0.0) -> pd.DataFrame:
    from statsmodels.stats.multitest import multipletests

    key = adjust.lower()
    if key not in _ADJUST:
        raise ModelError(f"adjust={adjust!r} is not supported; use one of {', '.join(_ADJUST)}.")
    rows = []
    for a, b in itertools.combinations(range(len(prep.labels)), 2):
        m = (prep.group_codes == a) | (prep.group_codes == b)
        sub = prep.subset(
            m, (prep.group_codes[m] == b).astype(np.int64), (prep.labels[a], prep.labels[b])
        )
        res = _logrank_prepared(sub, rho)
        # a pair without expected events in both groups (0 df) has statistic 0: survminer's
        # pairwise_survdiff gives it p = 1 (pchisq(0, 1)), which keeps every adjustment defined
        p = 1.0 if res.dof <= 0 else res.p_value
        rows.append((prep.labels[a], prep.labels[b], res.statistic, p))
    out = pd.DataFrame(rows, columns=["group1", "group2", "statistic", "p_value"])
    method = _ADJUST[key]
    if method is None or len(out) == 0:
        out["p_adjusted"] = out["p_value"]
    else:
        out["p_adjusted"] = multipletests(out["p_value"].to_numpy(), method=method)[1]
    out["adjust"] = key
    return out


@scales("pairwise_logrank")
def pairwise_logrank(
    data: Cohort | pd.DataFrame,
    by: str | list[str],
    endpoint: str = "os",
    *,
    adjust: str = "holm",
    strata: str | list[str] | None = None,
    rho: float = 0.0,
    weights: str | None = None,
    entry: str | None = None,
    timefix: bool = True,
) -> pd.DataFrame:
    """Log-rank test for every pair of groups with multiplicity adjustment.

    Same as survminer's ``pairwise_survdiff(p.adjust.method=adjust, rho=rho)``: each pair is tested
    on its own patients and the p-values adjusted with statsmodels' ``multipletests`` (``"holm"`` by
    default; ``"bonferroni"``, ``"hochberg"``, ``"hommel"``, ``"BH"``, ``"BY"``, ``"none"``). A pair
    with no expected events in one of its groups (0 degrees of freedom, e.g. two groups without
    events) has statistic 0 and p = 1, as in survminer. ``rho``, ``weights``, ``entry`` and
    ``timefix`` as in :func:`logrank`.

    Returns
    -------
    pandas.DataFrame
        ``group1``, ``group2``, ``statistic``, ``p_value``, ``p_adjusted``, ``adjust``.
    """
    prep = _prepare(
        data,
        endpoint,
        by,
        strata,
        "cohort.pairwise_logrank",
        weights=weights,
        entry=entry,
        timefix=timefix,
    )
    return _pairwise_prepared(prep, adjust, _check_rho(rho))

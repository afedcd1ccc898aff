"""Kaplan-Meier estimates, the log-rank family, median follow-up and RMST, matching R's survival.

The Kaplan-Meier step function, its event table and the log-rank family come from one table of
counts per stratum x time x group (:mod:`cohort.survival.counting`, cumulative sums over ``np.bincount``);
lifelines' ``KaplanMeierFitter`` and statsmodels' ``survdiff`` give the same numbers and are the test
oracles, R the reference. Multiplicity adjustment is statsmodels' ``multipletests``. What is
computed here, and why:

- Confidence limits (Greenwood variance, R's ``survfit_confint``): lifelines offers only log-log and
  differs from R where the curve is 0 or 1; R's default is "log".
- Median and its CI by R's ``print.survfit`` rule (lifelines' median CI differs from R, lifelines#861).
- Observed/expected counts and the variance matrix of the log-rank statistic, needed for the test for
  trend and not exposed by either library.
- RMST variance: lifelines' ``return_variance`` is wrong (lifelines#1682); we use R's ``survmean``.

All functions take a :class:`~cohort.Cohort` or a canonical DataFrame and an ``endpoint``.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from cohort._arguments import check_conf_level, positive_number
from cohort.cohort import Cohort
from cohort.errors import ModelError, StatisticalWarning
from cohort.scale.dispatch import scales
from cohort.survival.counting import count_table, km_columns, logrank_oev
from cohort.survival.endpoint import endpoint_key
from cohort.survival.grouping import analysable_rows, case_columns
from cohort.survival.grouping import as_columns as _as_columns
from cohort.survival.grouping import group_codes as _group_codes
from cohort.survival.timefix import fix_times

__all__ = [
    "KaplanMeierResult",
    "LogRankResult",
    "RMSTResult",
    "km",
    "logrank",
    "logrank_trend",
    "median_follow_up",
    "pairwise_logrank",
    "rmst",
]

ConfType = Literal["log-log", "log", "plain"]
_CONF_TYPES = ("log-log", "log", "plain")
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
# R's quantile/print.survfit tolerance for "the curve equals 0.5"
_TOL = float(np.sqrt(np.finfo(float).eps))


# --------------------------------------------------------------------------------------------
# data preparation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    time: np.ndarray
    event: np.ndarray
    group_codes: np.ndarray  # int codes into labels
    labels: tuple[str, ...]
    strata_codes: np.ndarray | None
    excluded: dict[str, int]
    notes: tuple[str, ...]
    by: tuple[str, ...]
    weights: np.ndarray | None = None  # case weights (R weights=)
    entry: np.ndarray | None = None  # delayed-entry times (R Surv(entry, time, event))

    def subset(
        self, mask: np.ndarray, group_codes: np.ndarray, labels: tuple[str, ...]
    ) -> _Prepared:
        """The rows in ``mask`` with new group codes (for a pair of groups)."""
        return _Prepared(
            self.time[mask],
            self.event[mask],
            group_codes,
            labels,
            None if self.strata_codes is None else self.strata_codes[mask],
            {},
            (),
            self.by,
            None if self.weights is None else self.weights[mask],
            None if self.entry is None else self.entry[mask],
        )

    def rows(self, mask: np.ndarray) -> tuple[np.ndarray, ...]:
        """``time, event, weights, entry`` of the rows in ``mask`` (weights/entry may be None)."""
        return (
            self.time[mask],
            self.event[mask],
            None if self.weights is None else self.weights[mask],
            None if self.entry is None else self.entry[mask],
        )


def _prepare(
    data: Cohort | pd.DataFrame,
    endpoint: str,
    by: str | list[str] | tuple[str, ...] | None,
    strata: str | list[str] | tuple[str, ...] | None,
    what: str,
    *,
    weights: str | None = None,
    entry: str | None = None,
    timefix: bool = True,
) -> _Prepared:
    by_cols = _as_columns(by, what)
    strata_cols = _as_columns(strata, what)
    if isinstance(endpoint, str) and endpoint.lower() == "cir":
        raise ModelError(
            f"{what}: 'cir' is a competing-risks endpoint (relapse vs death in CR); 1 - Kaplan-Meier "
            "overestimates its incidence. Use cohort.cuminc(data, endpoint='cir') instead."
        )
    frame, tcol, ecol, excluded, notes = analysable_rows(data, endpoint, by_cols, strata_cols, what)
    frame, wts, ent, more = case_columns(frame, tcol, weights=weights, entry=entry, what=what)
    if more:
        excluded.update(more)
        notes.append(
            ", ".join(f"{k} patient(s) with a missing {r[8:]} left out" for r, k in more.items())
            + "."
        )
        if len(frame) == 0:
            raise ModelError(f"{what}: no patient is left to analyse.")
    time = frame[tcol].to_numpy(dtype=float)
    if timefix:
        time, ent = fix_times(time, ent, what=what, entry_col=entry)
    codes, labels = _group_codes(frame, by_cols)
    scodes = _group_codes(frame, strata_cols)[0] if strata_cols else None
    return _Prepared(
        time=time,
        event=frame[ecol].to_numpy(dtype=np.int64),
        group_codes=codes,
        labels=labels,
        strata_codes=scodes,
        excluded=excluded,
        notes=tuple(notes),
        by=by_cols,
        weights=wts,
        entry=ent,
    )


# --------------------------------------------------------------------------------------------
# Kaplan-Meier curve of one group
# --------------------------------------------------------------------------------------------


def _confint(
    surv: np.ndarray, std_err: np.ndarray, conf_level: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """R's ``survfit_confint`` with ``logse=TRUE``: ``std_err`` is the SE of the cumulative hazard."""
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = z * std_err * surv
            lower = np.maximum(surv - half, 0.0)
            upper = np.minimum(surv + half, 1.0)
            bad = ~np.isfinite(std_err)
            lower[bad] = np.nan
            upper[bad] = np.nan
        elif conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            lower = np.exp(np.log(xx) - z * std_err)
            upper = np.minimum(np.exp(np.log(xx) + z * std_err), 1.0)
        else:  # log-log: undefined where S is 0 or 1 (R returns NA there)
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            se2 = z * std_err / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
    return lower, upper


def _at_risk(
    at: np.ndarray, time: np.ndarray, weights: np.ndarray | None, entry: np.ndarray | None
):
    """Number (sum of weights) at risk at each time in ``at``: ``entry < t <= time``, as R's
    ``Surv(entry, time, event)`` risk sets (everyone with ``time >= t`` without entry)."""
    w = np.ones(len(time)) if weights is None else weights

    def at_or_after(values: np.ndarray) -> np.ndarray:
        order = np.argsort(values, kind="stable")
        suffix = np.concatenate([np.cumsum(w[order][::-1])[::-1], [0.0]])
        return suffix[np.searchsorted(values[order], at, side="left")]

    n = at_or_after(time)
    return n if entry is None else n - at_or_after(entry)


def _km_table(
    time: np.ndarray,
    event: np.ndarray,
    conf_level: float,
    conf_type: str,
    weights: np.ndarray | None = None,
    entry: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per distinct observed time: at_risk, events, censored, survival, std_err, limits.

    ``weights`` are case weights (R ``survfit(weights=)``); integer case counts let aggregated
    counts stand for the patients they count, as the Dask engine does. The counts are integers
    unless a weight is not. ``entry`` gives delayed-entry times (R ``Surv(entry, time, event)``).

    Without either, the step function and event table come from the count table
    (:func:`cohort.survival.counting.count_table`, :func:`cohort.survival.counting.km_columns`); lifelines'
    ``KaplanMeierFitter`` gives the same numbers and is the test oracle. With them the
    product-limit step is computed here from the rows: lifelines counts a patient entering at ``t``
    as at risk at ``t`` where R's ``(entry, time]`` does not, and its weighted event table drops
    some times and leaves 1e-16 residues where R's curve reaches 0.
    """
    if weights is None and entry is None:
        counts = count_table(time, event, np.zeros(len(time), dtype=np.int64), 1)
        at_risk, removed = counts.at_risk[0, :, 0], counts.removed[0, :, 0]
        cols = km_columns(at_risk, counts.events[0, :, 0, 0], removed)
        keep = cols["mask"]
        t, n, d = counts.times[keep], at_risk[keep], counts.events[0, keep, 0, 0]
        c = removed[keep] - d
        s = cols["survival"]
    else:
        w = np.ones(len(time)) if weights is None else weights
        t, idx = np.unique(time, return_inverse=True)
        d = np.bincount(idx, weights=w * event, minlength=len(t))
        c = np.bincount(idx, weights=w * (1 - event), minlength=len(t))
        n = _at_risk(t, time, weights, entry)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.cumprod(np.where(d > 0, (n - d) / n, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        # Greenwood: n == d makes the term infinite, as in R (std.err Inf once S reaches 0)
        inc = np.where(d > 0, d / (n * (n - d)), 0.0)
    std_err = np.sqrt(np.cumsum(inc))
    counts = weights is None or bool(np.all(weights == np.rint(weights)))
    if not counts:  # R survfitKM: non-integer weights switch to the robust variance
        std_err = _km_ij_std_err(t, d, n, time, event, weights, entry)
    lower, upper = _confint(s, std_err, conf_level, conf_type)

    def count(v: np.ndarray) -> np.ndarray:
        return np.rint(v).astype(np.int64) if counts else v

    return pd.DataFrame(
        {
            "time": t,
            "at_risk": count(n),
            "events": count(d),
            "censored": count(c),
            "survival": s,
            "std_err": std_err,
            "lower": lower,
            "upper": upper,
        }
    )


def _km_ij_std_err(
    t: np.ndarray,
    d: np.ndarray,
    n: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    weights: np.ndarray,
    entry: np.ndarray | None,
) -> np.ndarray:
    """Infinitesimal-jackknife SE of log S(t), R ``survfit``'s default with non-integer weights.

    (R stores this as ``std.err`` times S(t), the SE of S itself, with ``logse = FALSE``; the
    confidence limits are the same.)

    The influence of patient i on log S(t) is ``A_i(t) = sum_{s <= t} (d_s Y_i(s) - n_s dN_i(s)) h_s``
    with ``h_s = 1 / (n_s (n_s - d_s))``, and the variance ``sum_i w_i^2 A_i(t)^2``. With
    ``G(t) = sum_{s <= t} d_s h_s``, a patient still at risk after t contributes
    ``(G(t) - G(entry_i))^2`` and one who left at or before t the constant
    ``(G(T_i) - G(entry_i) - event_i n_{T_i} h_{T_i})^2``, so the sum is built from running sums in
    O(n log n) rather than an n x T matrix.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(d > 0, 1.0 / (n * (n - d)), 0.0)
    g = np.cumsum(d * h)
    entry_ = np.full(len(time), -np.inf) if entry is None else entry
    pos_e = np.searchsorted(t, entry_, side="right") - 1  # last curve time <= entry
    g_e = np.where(pos_e >= 0, g[np.clip(pos_e, 0, None)], 0.0)
    pos_t = np.searchsorted(t, time)
    w2 = weights**2
    left = (g[pos_t] - g_e - event * n[pos_t] * h[pos_t]) ** 2 * w2
    # patients who left at or before each curve time
    done = np.bincount(pos_t, weights=left, minlength=len(t)).cumsum()

    def active(values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over patients with entry < t < time, at each curve time t."""
        entered = np.bincount(
            np.searchsorted(t, entry_, side="right"), weights=values, minlength=len(t) + 1
        ).cumsum()[: len(t)]
        exited = np.bincount(pos_t, weights=values, minlength=len(t)).cumsum()
        return entered - exited

    var = done + g**2 * active(w2) - 2 * g * active(w2 * g_e) + active(w2 * g_e**2)
    return np.sqrt(np.maximum(var, 0.0))


def _minmin(y: np.ndarray, x: np.ndarray, level: float = 0.5) -> float:
    """R ``print.survfit``'s median rule: first time the curve is at or below ``level`` (0.5); if it
    sits at exactly ``level``, the midpoint between that time and the next time it drops below.
    Other levels give R's ``quantile.survfit`` (level 0.75 is the 25th percentile)."""
    keep = ~np.isnan(y) & (y < level + _TOL)
    if not keep.any():
        return np.nan
    xk, yk = x[keep], y[keep]
    if abs(yk[0] - level) < _TOL and (yk < yk[0]).any():
        return float((xk[0] + xk[np.argmax(yk < yk[0])]) / 2)
    return float(xk[0])


def _median_row(tab: pd.DataFrame) -> tuple[float, float, float]:
    t = tab["time"].to_numpy()
    return (
        _minmin(tab["survival"].to_numpy(), t),
        _minmin(tab["lower"].to_numpy(), t),  # the lower curve crosses 0.5 first: lower limit
        _minmin(tab["upper"].to_numpy(), t),
    )


# --------------------------------------------------------------------------------------------
# log-rank family
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Kaplan-Meier result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KaplanMeierResult:
    """Kaplan-Meier estimates per group.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group: ``group``, ``n``, ``events``, ``median``, ``median_lower``,
        ``median_upper`` (R ``print(survfit)``).
    curves : pandas.DataFrame
        Tidy step data for plotting: ``group``, ``time`` (starting at 0), ``survival``, ``lower``,
        ``upper``, ``at_risk``, ``events``, ``censored``, ``std_err`` (SE of the cumulative hazard,
        R's ``std.err``).
    test : LogRankResult or None
        Log-rank test across groups (stratified when ``strata`` was given); None without ``by``.
    excluded : dict
        Patients left out, by reason (``missing_endpoint``, ``missing_group``).
    notes : tuple of str
    endpoint, by, conf_level, conf_type, rho :
        The arguments (``rho`` of the test, as R ``survdiff(rho=)``).
    """

    table: pd.DataFrame
    curves: pd.DataFrame = field(repr=False)
    test: LogRankResult | None
    excluded: dict[str, int]
    notes: tuple[str, ...]
    endpoint: str
    by: tuple[str, ...]
    conf_level: float
    conf_type: str
    _prep: _Prepared = field(repr=False, compare=False)
    rho: float = 0.0

    @property
    def groups(self) -> tuple[str, ...]:
        return self._prep.labels

    def survival_at(self, times: float | list[float] | np.ndarray) -> pd.DataFrame:
        """Survival, confidence limits and number at risk at given times (R ``summary(fit, times=)``).

        Before the first observed time the survival and both limits are 1 (as R). Beyond the last
        follow-up time of a group the estimate is missing, unless the curve has already reached 0:
        R drops such times, or carries the last value forward with ``extend=TRUE``.

        Returns
        -------
        pandas.DataFrame
            ``group``, ``time``, ``survival``, ``lower``, ``upper``, ``at_risk``.
        """
        ts = np.atleast_1d(np.asarray(times, dtype=float))
        if np.isnan(ts).any() or (ts < 0).any():
            raise ModelError(f"survival_at: times must be non-negative numbers, got {list(ts)}.")
        rows = []
        for g, tab in self.curves.groupby("group", sort=False):
            # drop the added time-0 start row, never a real time-0 row (deaths or censorings at 0)
            first = tab.iloc[0]
            if first["time"] == 0 and first["events"] == 0 and first["censored"] == 0:
                tab = tab.iloc[1:]
            t = tab["time"].to_numpy()
            s = tab["survival"].to_numpy()
            lo = tab["lower"].to_numpy()
            up = tab["upper"].to_numpy()
            n_risk = tab["at_risk"].to_numpy()
            for x in ts:
                i = np.searchsorted(t, x, side="right") - 1
                j = np.searchsorted(t, x, side="left")
                # R: the number at risk at the first curve time >= x (0 after the last one)
                at_risk = n_risk[j] if j < len(t) else n_risk.dtype.type(0)
                if i < 0:  # before the first observed time: R's summary() reports 1, 1, 1
                    sv = lv = uv = 1.0
                elif x > t[-1] and s[-1] > 0:
                    sv = lv = uv = np.nan
                else:
                    sv, lv, uv = s[i], lo[i], up[i]
                rows.append((g, x, sv, lv, uv, at_risk))
        return pd.DataFrame(
            rows, columns=["group", "time", "survival", "lower", "upper", "at_risk"]
        )

    def pairwise(self, adjust: str = "holm") -> pd.DataFrame:
        """Pairwise log-rank tests (see :func:`pairwise_logrank`), stratified and with the ``rho``,
        weights and entry times of the fit."""
        return _pairwise_prepared(self._prep, adjust, self.rho)

    def trend(self, scores: list[float] | None = None) -> LogRankResult:
        """Log-rank test for trend over the groups in their order (see :func:`logrank_trend`)."""
        return _trend_prepared(self._prep, scores)

    def median_follow_up(self) -> pd.DataFrame:
        """Median follow-up per group by reverse Kaplan-Meier (see :func:`median_follow_up`)."""
        return _follow_up_prepared(self._prep, self.conf_level, self.conf_type)


def _group_curve(label: str, n_group: int, tab: pd.DataFrame) -> pd.DataFrame:
    """One group's step data, starting at time 0 (limits 1, as R's ``summary(fit, times = 0)``).

    The start row's number at risk is that of the first time (``n_group`` without delayed entry).
    """
    start = pd.DataFrame(
        {"time": [0.0], "at_risk": [tab["at_risk"].iloc[0] if len(tab) else n_group],
         "events": [0], "censored": [0],
         "survival": [1.0], "std_err": [0.0], "lower": [1.0], "upper": [1.0]}
    )  # fmt: skip
    if len(tab) and tab["time"].iloc[0] == 0:
        start = start.iloc[0:0]
    curve = pd.concat([start, tab], ignore_index=True)
    curve.insert(0, "group", label)
    return curve


def _km_frames(
    summary: list[tuple], curves: list[pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``table`` and ``curves`` of a :class:`KaplanMeierResult` from per-group pieces."""
    table = pd.DataFrame(
        summary, columns=["group", "n", "events", "median", "median_lower", "median_upper"]
    )
    curves_df = pd.concat(curves, ignore_index=True)[
        ["group", "time", "survival", "lower", "upper", "at_risk", "events", "censored", "std_err"]
    ]
    return table, curves_df


@scales("km")
def km(
    data: Cohort | pd.DataFrame,
    endpoint: str = "os",
    by: str | list[str] | None = None,
    *,
    strata: str | list[str] | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
    rho: float = 0.0,
    weights: str | None = None,
    entry: str | None = None,
    timefix: bool = True,
) -> KaplanMeierResult:
    """Kaplan-Meier survival by group, with R-equal confidence limits, medians and log-rank test.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    endpoint : {"os", "efs", "rfs"}
    by : str or list of str, optional
        Grouping column(s). Patients with a missing group are left out, counted in ``.excluded``
        and announced by a :class:`~cohort.errors.DataQualityWarning`.
    strata : str or list of str, optional
        Makes ``.test`` a stratified log-rank test (curves are still per ``by`` group).
    conf_level : float
    conf_type : {"log-log", "log", "plain"}
        Pointwise interval, as R's ``survfit(conf.type=)``. The default log-log differs from R's
        default "log"; pass ``conf_type="log"`` to reproduce ``survfit()`` output unchanged.
    rho : float
        The test's G-rho weight (R ``survdiff(rho=)``; 1 is Peto & Peto), see :func:`logrank`.
    weights : str, optional
        Column of case weights, as ``survfit(weights=)``: counts at risk and events are weighted
        (``table["events"]`` too; ``table["n"]`` stays the number of patients).
    entry : str, optional
        Column of delayed-entry (left-truncation) times: ``survfit(Surv(entry, time, event) ~ by)``;
        a patient is at risk at ``t`` when ``entry < t <= time``.
    timefix : bool
        Merge times equal up to floating-point rounding (R's ``aeqSurv``, the default of
        ``survfit``/``survdiff``/``coxph``); False keeps every distinct float as its own time.

    Returns
    -------
    KaplanMeierResult

    Examples
    --------
    >>> fit = cohort.km(c, "os", by="npm1")            # doctest: +SKIP
    >>> fit.table, fit.test.p_value, fit.survival_at([365, 730])  # doctest: +SKIP
    """
    if conf_type not in _CONF_TYPES:
        raise ModelError(f"conf_type={conf_type!r}: use one of {', '.join(_CONF_TYPES)}.")
    conf_level = check_conf_level(conf_level, "cohort.km")
    rho = _check_rho(rho)
    prep = _prepare(
        data, endpoint, by, strata, "cohort.km", weights=weights, entry=entry, timefix=timefix
    )
    summary, curves = [], []
    for code, label in enumerate(prep.labels):
        m = prep.group_codes == code
        time, event, wts, ent = prep.rows(m)
        tab = _km_table(time, event, conf_level, conf_type, weights=wts, entry=ent)
        med, lo, up = _median_row(tab)
        events = int(event.sum()) if wts is None else float(wts @ event)
        summary.append((label, int(m.sum()), events, med, lo, up))
        curves.append(_group_curve(label, int(m.sum()), tab))
    table, curves_df = _km_frames(summary, curves)
    test = None
    if prep.by and len(prep.labels) > 1:
        test = _logrank_prepared(prep, rho)
    for label, ev in zip(table["group"], table["events"], strict=True):
        if ev == 0:
            warnings.warn(
                f"cohort.km: group {label} has no events.", StatisticalWarning, stacklevel=2
            )
    return KaplanMeierResult(
        table=table,
        curves=curves_df,
        test=test,
        excluded=dict(prep.excluded),
        notes=prep.notes,
        endpoint=endpoint_key(endpoint),
        by=prep.by,
        conf_level=conf_level,
        conf_type=conf_type,
        _prep=prep,
        rho=rho,
    )


# --------------------------------------------------------------------------------------------
# median follow-up
# --------------------------------------------------------------------------------------------


def _follow_up_prepared(prep: _Prepared, conf_level: float, conf_type: str) -> pd.DataFrame:
    rows = []
    for code, label in enumerate(prep.labels):
        time, event, wts, ent = prep.rows(prep.group_codes == code)
        m = prep.group_codes == code
        tab = _km_table(time, 1 - event, conf_level, conf_type, weights=wts, entry=ent)
        med, lo, up = _median_row(tab)
        t, s = tab["time"].to_numpy(), tab["survival"].to_numpy()
        rows.append((label, int(m.sum()), med, lo, up, _minmin(s, t, 0.75), _minmin(s, t, 0.25)))
    return pd.DataFrame(
        rows, columns=["group", "n", "median_follow_up", "lower", "upper", "q25", "q75"]
    )


def median_follow_up(
    data: Cohort | pd.DataFrame,
    endpoint: str = "os",
    by: str | list[str] | None = None,
    *,
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
    timefix: bool = True,
) -> pd.DataFrame:
    """Median follow-up by the reverse Kaplan-Meier method (Schemper & Smith 1996).

    Censoring is the event and deaths are censored: R ``survfit(Surv(time, 1 - status) ~ by)``.
    The interquartile range is R's ``quantile(fit, c(0.25, 0.75))`` of the same curve.
    ``timefix`` merges times equal up to rounding first, as R's default.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``n``, ``median_follow_up`` (days), ``lower``, ``upper`` (its confidence limits),
        ``q25``, ``q75`` (interquartile range, days; missing where the curve does not reach it).
    """
    prep = _prepare(data, endpoint, by, None, "cohort.median_follow_up", timefix=timefix)
    return _follow_up_prepared(prep, conf_level, conf_type)


# --------------------------------------------------------------------------------------------
# restricted mean survival time
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RMSTResult:
    """Restricted mean survival time up to ``tau``.

    Attributes
    ----------
    table : pandas.DataFrame
        ``group``, ``n``, ``events``, ``tau``, ``rmst``, ``se``, ``lower``, ``upper`` (days).
    difference : pandas.DataFrame or None
        Each group against the first: ``group``, ``reference``, ``difference`` (group minus
        reference), ``se``, ``lower``, ``upper``, ``p_value`` (two-sided z test), and next to it
        the ratio of RMSTs (group over reference) as survRM2's ``rmst2``: ``ratio``,
        ``ratio_lower``, ``ratio_upper``, ``ratio_p_value``, from the log ratio with SE
        ``sqrt(var_g / rmst_g^2 + var_ref / rmst_ref^2)``. None without ``by``.
    tau, conf_level, endpoint, excluded, notes :
    """

    table: pd.DataFrame
    difference: pd.DataFrame | None
    tau: float
    conf_level: float
    endpoint: str
    excluded: dict[str, int]
    notes: tuple[str, ...]


def _rmst_one(
    time: np.ndarray, event: np.ndarray, tau: float, weights: np.ndarray | None = None
) -> tuple[float, float]:
    """RMST and its SE as R's ``survmean`` (``print(survfit, rmean=tau)``).

    ``weights`` are integer patient counts per row (the Dask path's compressed rows).

    Variance: sum over times t_j <= tau of A_j^2 d_j / (n_j (n_j - d_j)), A_j the area under the
    curve from t_j to tau. The point estimate equals lifelines' ``restricted_mean_survival_time``
    (tested); both come from one pass over the curve because the variance needs the areas A_j.
    """
    tab = _km_table(time, event, 0.95, "log", weights=weights)
    t = tab["time"].to_numpy()
    s = tab["survival"].to_numpy()
    n = tab["at_risk"].to_numpy(dtype=float)
    d = tab["events"].to_numpy(dtype=float)
    keep = t <= tau
    t, s, n, d = t[keep], s[keep], n[keep], d[keep]
    grid = np.concatenate([[min(0.0, t.min() if len(t) else 0.0)], t, [tau]])
    heights = np.concatenate([[1.0], s])
    rect = np.diff(grid) * heights
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(n - d == 0, 0.0, d / (n * (n - d)))
    # A_j = area from t_j to tau = sum of rectangles after j
    area_after = np.cumsum(rect[::-1])[::-1][1:]
    return float(rect.sum()), float(np.sqrt(np.sum(area_after**2 * h)))


def _rmst_differences(table: pd.DataFrame, z: float) -> pd.DataFrame:
    """Each group against the first: RMST difference and ratio with CIs and p (survRM2 ``rmst2``)."""
    ref = table.iloc[0]
    diffs = []
    for _, row in table.iloc[1:].iterrows():
        dif = row["rmst"] - ref["rmst"]
        se = float(np.hypot(row["se"], ref["se"]))
        p = float(2 * stats.norm.sf(abs(dif) / se)) if se > 0 else np.nan
        log_ratio = float(np.log(row["rmst"] / ref["rmst"]))
        se_log = float(np.hypot(row["se"] / row["rmst"], ref["se"] / ref["rmst"]))
        p_ratio = float(2 * stats.norm.sf(abs(log_ratio) / se_log)) if se_log > 0 else np.nan
        diffs.append(
            (row["group"], ref["group"], dif, se, dif - z * se, dif + z * se, p)
            + (np.exp(log_ratio), np.exp(log_ratio - z * se_log))
            + (np.exp(log_ratio + z * se_log), p_ratio)
        )
    return pd.DataFrame(
        diffs,
        columns=["group", "reference", "difference", "se", "lower", "upper", "p_value"]
        + ["ratio", "ratio_lower", "ratio_upper", "ratio_p_value"],
    )


@scales("rmst")
def rmst(
    data: Cohort | pd.DataFrame,
    tau: float,
    endpoint: str = "os",
    by: str | list[str] | None = None,
    *,
    conf_level: float = 0.95,
    timefix: bool = True,
) -> RMSTResult:
    """Restricted mean survival time up to ``tau`` days per group, and differences between groups.

    Matches R ``print(survfit(Surv(t, e) ~ g), rmean = tau)`` (``rmean`` and ``se(rmean)``); the CI
    is estimate +/- z * se and a difference's SE is the square root of the summed variances
    (independent groups).

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    tau : float
        Truncation time in days. A warning is given when it lies beyond a group's last follow-up
        (the curve is then extended flat, as R does).
    endpoint : {"os", "efs", "rfs"}
    by : str or list of str, optional
    conf_level : float
    timefix : bool
        Merge times equal up to floating-point rounding first, as R's default (``aeqSurv``).

    Returns
    -------
    RMSTResult
    """
    tau = positive_number(tau, "tau", "cohort.rmst")
    prep = _prepare(data, endpoint, by, None, "cohort.rmst", timefix=timefix)
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    rows = []
    for code, label in enumerate(prep.labels):
        m = prep.group_codes == code
        est, se = _rmst_one(prep.time[m], prep.event[m], float(tau))
        if prep.time[m].max() < tau:
            warnings.warn(
                f"cohort.rmst: tau={tau} is beyond the last follow-up of group {label} "
                f"({prep.time[m].max():g} days); its curve is extended flat to tau.",
                StatisticalWarning,
                stacklevel=2,
            )
        rows.append(
            (
                label,
                int(m.sum()),
                int(prep.event[m].sum()),
                float(tau),
                est,
                se,
                est - z * se,
                est + z * se,
            )
        )
    table = pd.DataFrame(
        rows, columns=["group", "n", "events", "tau", "rmst", "se", "lower", "upper"]
    )
    difference = _rmst_differences(table, z) if prep.by and len(table) > 1 else None
    return RMSTResult(
        table,
        difference,
        float(tau),
        conf_level,
        endpoint_key(endpoint),
        dict(prep.excluded),
        prep.notes,
    )

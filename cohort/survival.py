"""Kaplan-Meier estimates, the log-rank family, median follow-up and RMST, matching R's survival.

Estimation is delegated: the Kaplan-Meier step function and its event table come from lifelines'
``KaplanMeierFitter``; the log-rank and stratified log-rank statistics from statsmodels' ``survdiff``
(verified against R); multiplicity adjustment from statsmodels' ``multipletests``. What is computed
here, and why:

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

from cohort._endpoint import endpoint_key
from cohort._grouping import analysable_rows
from cohort._grouping import as_columns as _as_columns
from cohort._grouping import group_codes as _group_codes
from cohort.cohort import Cohort
from cohort.errors import ModelError, StatisticalWarning

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


def _prepare(
    data: Cohort | pd.DataFrame,
    endpoint: str,
    by: str | list[str] | tuple[str, ...] | None,
    strata: str | list[str] | tuple[str, ...] | None,
    what: str,
) -> _Prepared:
    by_cols = _as_columns(by, what)
    strata_cols = _as_columns(strata, what)
    if isinstance(endpoint, str) and endpoint.lower() == "cir":
        raise ModelError(
            f"{what}: 'cir' is a competing-risks endpoint (relapse vs death in CR); 1 - Kaplan-Meier "
            "overestimates its incidence. Use cohort.cuminc(data, endpoint='cir') instead."
        )
    frame, tcol, ecol, excluded, notes = analysable_rows(data, endpoint, by_cols, strata_cols, what)
    codes, labels = _group_codes(frame, by_cols)
    scodes = _group_codes(frame, strata_cols)[0] if strata_cols else None
    return _Prepared(
        time=frame[tcol].to_numpy(dtype=float),
        event=frame[ecol].to_numpy(dtype=np.int64),
        group_codes=codes,
        labels=labels,
        strata_codes=scodes,
        excluded=excluded,
        notes=tuple(notes),
        by=by_cols,
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


def _km_table(
    time: np.ndarray,
    event: np.ndarray,
    conf_level: float,
    conf_type: str,
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per distinct observed time: at_risk, events, censored, survival, std_err, limits.

    ``weights`` (integer case counts) lets aggregated counts stand for the patients they count, as
    the Dask engine does; the result is that of the patient-level fit.
    """
    from lifelines import KaplanMeierFitter

    fitter = KaplanMeierFitter().fit(time, event, weights=weights)
    et = fitter.event_table
    surv = fitter.survival_function_.iloc[:, 0].to_numpy()
    keep = et["removed"].to_numpy() > 0  # lifelines adds a time-0 row even when no one is there
    t = et.index.to_numpy(dtype=float)[keep]
    n = et["at_risk"].to_numpy(dtype=float)[keep]
    d = et["observed"].to_numpy(dtype=float)[keep]
    c = et["censored"].to_numpy(dtype=float)[keep]
    s = surv[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        # Greenwood: n == d makes the term infinite, as in R (std.err Inf once S reaches 0)
        inc = np.where(d > 0, d / (n * (n - d)), 0.0)
    std_err = np.sqrt(np.cumsum(inc))
    lower, upper = _confint(s, std_err, conf_level, conf_type)
    return pd.DataFrame(
        {
            "time": t,
            "at_risk": np.rint(n).astype(np.int64),
            "events": np.rint(d).astype(np.int64),
            "censored": np.rint(c).astype(np.int64),
            "survival": s,
            "std_err": std_err,
            "lower": lower,
            "upper": upper,
        }
    )


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


def _oev(time: np.ndarray, event: np.ndarray, group: np.ndarray, k: int, strata: np.ndarray | None):
    """Observed, expected and the variance matrix of O - E (R ``survdiff``, rho = 0), summed over strata.

    Written out because neither lifelines nor statsmodels exposes O, E and V, which the trend test
    needs; the resulting chi-square is checked against statsmodels and R in the tests.
    """
    strata = np.zeros(len(time), dtype=np.int64) if strata is None else strata
    obs = np.bincount(group, weights=event, minlength=k)
    exp = np.zeros(k)
    var = np.zeros((k, k))
    for s in np.unique(strata):
        m = strata == s
        ts, es, gs = time[m], event[m], group[m]
        ut, tidx = np.unique(ts, return_inverse=True)
        nt = len(ut)
        # deaths and exits per (time, group); at risk = exits at or after each time
        flat = tidx * k + gs
        exits = np.bincount(flat, minlength=nt * k).reshape(nt, k)
        deaths = np.bincount(flat, weights=es, minlength=nt * k).reshape(nt, k)
        at_risk = np.cumsum(exits[::-1], axis=0)[::-1]
        n = at_risk.sum(axis=1)
        d = deaths.sum(axis=1)
        use = d > 0
        at_risk, n, d = at_risk[use], n[use], d[use]
        frac = at_risk / n[:, None]
        exp += (frac * d[:, None]).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
        var += np.diag((w[:, None] * frac).sum(axis=0)) - frac.T @ (frac * w[:, None])
    return obs, exp, var


def _groups_frame(prep: _Prepared, obs: np.ndarray, exp: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": list(prep.labels),
            "n": np.bincount(prep.group_codes, minlength=len(prep.labels)),
            "observed": obs,
            "expected": exp,
        }
    )


def _logrank_prepared(prep: _Prepared) -> LogRankResult:
    from statsmodels.duration.survfunc import survdiff

    k = len(prep.labels)
    if k < 2:
        raise ModelError("a log-rank test needs at least two groups; only one is present.")
    obs, exp, var = _oev(prep.time, prep.event, prep.group_codes, k, prep.strata_codes)
    dof = int((exp > 0).sum()) - 1  # R print.survdiff
    if dof <= 0:
        statistic, p = 0.0, np.nan
    else:
        try:
            statistic, _ = survdiff(
                prep.time, prep.event, prep.group_codes, strata=prep.strata_codes
            )
        except np.linalg.LinAlgError:
            # A group with no one at risk at any event time makes V singular. R's survdiff then
            # inverts V restricted to the groups with expected events, less one (V's rows sum to 0);
            # np.linalg.pinv on the full V would instead invert a rounding-error eigenvalue.
            u = obs - exp
            keep = np.flatnonzero(exp > 0)[:-1]
            sub = var[np.ix_(keep, keep)]
            try:
                statistic = float(u[keep] @ np.linalg.solve(sub, u[keep]))
            except np.linalg.LinAlgError:
                # still singular (e.g. a group whose every event time had everyone at risk die, so its
                # hypergeometric variance is 0): a generalised inverse that drops exact zeros only
                pinv = np.linalg.pinv(sub, rcond=1e-10, hermitian=True)
                statistic = float(u[keep] @ pinv @ u[keep])
        p = float(stats.chi2.sf(statistic, dof))
    method = "log-rank" if prep.strata_codes is None else "stratified log-rank"
    return LogRankResult(float(statistic), dof, p, method, _groups_frame(prep, obs, exp))


def logrank(
    data: Cohort | pd.DataFrame,
    by: str | list[str],
    endpoint: str = "os",
    *,
    strata: str | list[str] | None = None,
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

    Returns
    -------
    LogRankResult
    """
    prep = _prepare(data, endpoint, by, strata, "cohort.logrank")
    return _logrank_prepared(prep)


def _trend_prepared(prep: _Prepared, scores: list[float] | np.ndarray | None) -> LogRankResult:
    k = len(prep.labels)
    if k < 2:
        raise ModelError("a test for trend needs at least two ordered groups.")
    w = np.arange(1, k + 1, dtype=float) if scores is None else np.asarray(scores, dtype=float)
    if w.shape != (k,):
        raise ModelError(
            f"scores= has {w.size} value(s) but there are {k} groups ({', '.join(prep.labels)})."
        )
    obs, exp, var = _oev(prep.time, prep.event, prep.group_codes, k, prep.strata_codes)
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
) -> LogRankResult:
    """Log-rank test for trend across ordered groups (1 degree of freedom).

    The statistic is ``(w'(O - E))^2 / (w' V w)`` with ``O``, ``E`` and ``V`` from R's ``survdiff``
    and scores ``w`` (default 1, 2, ..., in group order: category order of ``by``, else sorted).
    """
    prep = _prepare(data, endpoint, by, strata, "cohort.logrank_trend")
    return _trend_prepared(prep, scores)


def _pairwise_prepared(prep: _Prepared, adjust: str) -> pd.DataFrame:
    from statsmodels.stats.multitest import multipletests

    key = adjust.lower()
    if key not in _ADJUST:
        raise ModelError(f"adjust={adjust!r} is not supported; use one of {', '.join(_ADJUST)}.")
    rows = []
    for a, b in itertools.combinations(range(len(prep.labels)), 2):
        m = (prep.group_codes == a) | (prep.group_codes == b)
        sub = _Prepared(
            prep.time[m],
            prep.event[m],
            (prep.group_codes[m] == b).astype(np.int64),
            (prep.labels[a], prep.labels[b]),
            None if prep.strata_codes is None else prep.strata_codes[m],
            {},
            (),
            prep.by,
        )
        res = _logrank_prepared(sub)
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


def pairwise_logrank(
    data: Cohort | pd.DataFrame,
    by: str | list[str],
    endpoint: str = "os",
    *,
    adjust: str = "holm",
    strata: str | list[str] | None = None,
) -> pd.DataFrame:
    """Log-rank test for every pair of groups with multiplicity adjustment.

    Same as survminer's ``pairwise_survdiff(p.adjust.method=adjust)``: each pair is tested on its own
    patients and the p-values adjusted with statsmodels' ``multipletests`` (``"holm"`` by default;
    ``"bonferroni"``, ``"hochberg"``, ``"hommel"``, ``"BH"``, ``"BY"``, ``"none"``).

    Returns
    -------
    pandas.DataFrame
        ``group1``, ``group2``, ``statistic``, ``p_value``, ``p_adjusted``, ``adjust``.
    """
    prep = _prepare(data, endpoint, by, strata, "cohort.pairwise_logrank")
    return _pairwise_prepared(prep, adjust)


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
    endpoint, by, conf_level, conf_type :
        The arguments.
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
            n_start = int(self.table.loc[self.table["group"] == g, "n"].iloc[0])
            exits = tab["events"].to_numpy() + tab["censored"].to_numpy()
            for x in ts:
                i = np.searchsorted(t, x, side="right") - 1
                j = np.searchsorted(t, x, side="left")
                at_risk = int(n_start - exits[:j].sum())
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
        """Pairwise log-rank tests (see :func:`pairwise_logrank`), stratified if the test was."""
        return _pairwise_prepared(self._prep, adjust)

    def trend(self, scores: list[float] | None = None) -> LogRankResult:
        """Log-rank test for trend over the groups in their order (see :func:`logrank_trend`)."""
        return _trend_prepared(self._prep, scores)

    def median_follow_up(self) -> pd.DataFrame:
        """Median follow-up per group by reverse Kaplan-Meier (see :func:`median_follow_up`)."""
        return _follow_up_prepared(self._prep, self.conf_level, self.conf_type)


def _group_curve(label: str, n_group: int, tab: pd.DataFrame) -> pd.DataFrame:
    """One group's step data, starting at time 0 (limits 1, as R's ``summary(fit, times = 0)``)."""
    start = pd.DataFrame(
        {"time": [0.0], "at_risk": [n_group], "events": [0], "censored": [0],
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


def km(
    data: Cohort | pd.DataFrame,
    endpoint: str = "os",
    by: str | list[str] | None = None,
    *,
    strata: str | list[str] | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
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
    if not 0 < conf_level < 1:
        raise ModelError(f"conf_level must be between 0 and 1, got {conf_level!r}.")
    prep = _prepare(data, endpoint, by, strata, "cohort.km")
    summary, curves = [], []
    for code, label in enumerate(prep.labels):
        m = prep.group_codes == code
        tab = _km_table(prep.time[m], prep.event[m], conf_level, conf_type)
        med, lo, up = _median_row(tab)
        summary.append((label, int(m.sum()), int(prep.event[m].sum()), med, lo, up))
        curves.append(_group_curve(label, int(m.sum()), tab))
    table, curves_df = _km_frames(summary, curves)
    test = None
    if prep.by and len(prep.labels) > 1:
        test = _logrank_prepared(prep)
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
    )


# --------------------------------------------------------------------------------------------
# median follow-up
# --------------------------------------------------------------------------------------------


def _follow_up_prepared(prep: _Prepared, conf_level: float, conf_type: str) -> pd.DataFrame:
    rows = []
    for code, label in enumerate(prep.labels):
        m = prep.group_codes == code
        tab = _km_table(prep.time[m], 1 - prep.event[m], conf_level, conf_type)
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
) -> pd.DataFrame:
    """Median follow-up by the reverse Kaplan-Meier method (Schemper & Smith 1996).

    Censoring is the event and deaths are censored: R ``survfit(Surv(time, 1 - status) ~ by)``.
    The interquartile range is R's ``quantile(fit, c(0.25, 0.75))`` of the same curve.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``n``, ``median_follow_up`` (days), ``lower``, ``upper`` (its confidence limits),
        ``q25``, ``q75`` (interquartile range, days; missing where the curve does not reach it).
    """
    prep = _prepare(data, endpoint, by, None, "cohort.median_follow_up")
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
        reference), ``se``, ``lower``, ``upper``, ``p_value`` (two-sided z test). None without ``by``.
    tau, conf_level, endpoint, excluded, notes :
    """

    table: pd.DataFrame
    difference: pd.DataFrame | None
    tau: float
    conf_level: float
    endpoint: str
    excluded: dict[str, int]
    notes: tuple[str, ...]


def _rmst_one(time: np.ndarray, event: np.ndarray, tau: float) -> tuple[float, float]:
    """RMST and its SE as R's ``survmean`` (``print(survfit, rmean=tau)``).

    Variance: sum over times t_j <= tau of A_j^2 d_j / (n_j (n_j - d_j)), A_j the area under the
    curve from t_j to tau. The point estimate equals lifelines' ``restricted_mean_survival_time``
    (tested); both come from one pass over the curve because the variance needs the areas A_j.
    """
    tab = _km_table(time, event, 0.95, "log")
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


def rmst(
    data: Cohort | pd.DataFrame,
    tau: float,
    endpoint: str = "os",
    by: str | list[str] | None = None,
    *,
    conf_level: float = 0.95,
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

    Returns
    -------
    RMSTResult
    """
    if not np.isfinite(tau) or tau <= 0:
        raise ModelError(f"cohort.rmst: tau must be a positive number of days, got {tau!r}.")
    prep = _prepare(data, endpoint, by, None, "cohort.rmst")
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
    difference = None
    if prep.by and len(table) > 1:
        ref = table.iloc[0]
        diffs = []
        for _, row in table.iloc[1:].iterrows():
            dif = row["rmst"] - ref["rmst"]
            se = float(np.hypot(row["se"], ref["se"]))
            p = float(2 * stats.norm.sf(abs(dif) / se)) if se > 0 else np.nan
            diffs.append((row["group"], ref["group"], dif, se, dif - z * se, dif + z * se, p))
        difference = pd.DataFrame(
            diffs, columns=["group", "reference", "difference", "se", "lower", "upper", "p_value"]
        )
    return RMSTResult(
        table, difference, float(tau), conf_level, endpoint_key(endpoint), dict(prep.excluded), prep.notes
    )

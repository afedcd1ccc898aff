"""Kaplan-Meier estimates and median follow-up, matching R's ``survfit``.

The Kaplan-Meier step function and its event table come from one table of counts per stratum x
time x group (:mod:`cohort.survival.counting`, cumulative sums over ``np.bincount``); lifelines'
``KaplanMeierFitter`` gives the same numbers and is the test oracle, R the reference. What is
computed here, and why:

- Confidence limits (Greenwood variance, R's ``survfit_confint``): lifelines offers only log-log and
  differs from R where the curve is 0 or 1; R's default is "log".
- Median and its CI by R's ``print.survfit`` rule (lifelines' median CI differs from R, lifelines#861).
- Median follow-up by reverse Kaplan-Meier (censoring as the event).

The log-rank tests a :class:`KaplanMeierResult` carries come from :mod:`cohort.survival.log_rank`;
RMST is in :mod:`cohort.survival.restricted_mean`. All functions take a :class:`~cohort.Cohort` or a
canonical DataFrame and an ``endpoint``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from cohort._arguments import check_conf_level
from cohort.cohort import Cohort
from cohort.errors import ModelError, StatisticalWarning
from cohort.scale.dispatch import scales
from cohort.survival.counting import count_table, km_columns
from cohort.survival.endpoint import Endpoint, endpoint_key
from cohort.survival.log_rank import (
    LogRankResult,
    _check_rho,
    _logrank_prepared,
    _pairwise_prepared,
    _trend_prepared,
)
from cohort.survival.prepared import _prepare, _Prepared

__all__ = ["KaplanMeierResult", "km", "median_follow_up"]

ConfType = Literal["log-log", "log", "plain"]
_CONF_TYPES = ("log-log", "log", "plain")
# R's quantile/print.survfit tolerance for "the curve equals 0.5"
_TOL = float(np.sqrt(np.finfo(float).eps))


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
    return _km_result(
        prep, table, curves_df, test, endpoint, conf_level, conf_type, rho, "cohort.km", 2
    )


def _km_result(
    prep: _Prepared,
    table: pd.DataFrame,
    curves: pd.DataFrame,
    test: LogRankResult | None,
    endpoint: Endpoint,
    conf_level: float,
    conf_type: ConfType,
    rho: float,
    what: str,
    stacklevel: int,
) -> KaplanMeierResult:
    """The :class:`KaplanMeierResult` of :func:`km` (in memory or on Dask), warning of groups
    without events; ``stacklevel`` as seen from the caller."""
    for label, ev in zip(table["group"], table["events"], strict=True):
        if ev == 0:
            warnings.warn(
                f"{what}: group {label} has no events.", StatisticalWarning, stacklevel + 1
            )
    return KaplanMeierResult(
        table=table,
        curves=curves,
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

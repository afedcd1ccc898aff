"""Transplant (or any once-only exposure) as a time-dependent covariate.

Comparing transplanted with non-transplanted patients from diagnosis credits the transplanted group
with the time they had to survive to reach transplant (immortal-time bias). The remedies here:

- :func:`split_exposure` turns each patient into start-stop intervals, unexposed before ``hsct_days``
  and exposed after it (what R's ``survival::tmerge(..., tdc(hsct_days))`` does);
- :func:`cox_time_varying` fits the Cox model on those intervals with lifelines'
  ``CoxTimeVaryingFitter`` (Efron ties), equal to R's ``coxph(Surv(start, stop, event) ~ ...)``;
- :func:`mantel_byar` is the Mantel-Byar test: the log-rank test with patients moving from the
  unexposed to the exposed risk set at exposure (Mantel & Byar, JASA 1974). It equals the score test of
  R's ``coxph(Surv(start, stop, event) ~ exposed, ties = "exact")``;
- :func:`simon_makuch` gives Simon-Makuch curves: Kaplan-Meier estimates by current exposure state,
  i.e. with delayed entry into the exposed curve (Simon & Makuch, Stat Med 1984), equal to R's
  ``survfit(Surv(start, stop, event) ~ exposed)`` on the split data.

lifelines has the time-varying Cox fitter but neither the Mantel-Byar test nor Simon-Makuch curves,
so those two are computed here from risk-set counts.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cohort.cohort import Cohort, as_frame
from cohort.errors import ModelError, SchemaError, StatisticalWarning
from cohort.schema import ENDPOINTS

SPLIT_COLUMNS = ("patient_id", "start", "stop", "event", "exposed")


@dataclass(frozen=True)
class SplitData:
    """Start-stop intervals and the account of patients who could not be split.

    Attributes
    ----------
    intervals : pandas.DataFrame
        Columns ``patient_id``, ``start``, ``stop``, ``event``, ``exposed`` and any covariates.
    excluded : pandas.DataFrame
        One row per patient left out: ``patient_id`` (only when ``keep_ids``), ``reason``.
    n_patients : int
        Patients contributing intervals.
    """

    intervals: pd.DataFrame
    excluded: pd.DataFrame
    n_patients: int

    @property
    def excluded_counts(self) -> pd.Series:
        """Number of patients excluded per reason."""
        return self.excluded["reason"].value_counts()


def _endpoint_columns(endpoint: str) -> tuple[str, str]:
    if endpoint not in ENDPOINTS or endpoint == "cir":
        raise SchemaError(
            f"endpoint {endpoint!r} is not a survival endpoint for a time-dependent analysis; "
            "use one of 'os', 'efs', 'rfs'."
        )
    return ENDPOINTS[endpoint]


def split_exposure(
    data: Cohort | pd.DataFrame,
    endpoint: str = "os",
    *,
    exposure: str = "hsct",
    exposure_days: str = "hsct_days",
    covariates: tuple[str, ...] | list[str] = (),
) -> SplitData:
    """Split follow-up at the exposure time into unexposed and exposed intervals.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    endpoint : {"os", "efs", "rfs"}
        The outcome; time is measured from the endpoint's origin (diagnosis for OS and EFS).
    exposure : str
        Boolean column: did the patient receive the exposure (e.g. allo-HSCT) at any time.
    exposure_days : str
        Days from the time origin to the exposure.
    covariates : sequence of str
        Fixed covariates carried onto every interval.

    Returns
    -------
    SplitData

    Notes
    -----
    An exposure at day 0 makes the patient exposed from the start. An exposure on or after the end of
    follow-up does not change the patient's state (it cannot have affected the outcome), as in
    ``tmerge``. Patients with an unknown exposure, an exposure without a date, a missing or
    non-positive follow-up time, or missing covariates are excluded with a reason, never silently.
    """
    time_col, event_col = _endpoint_columns(endpoint)
    frame = as_frame(
        data,
        required=(time_col, event_col, exposure, exposure_days, *covariates),
        what="split_exposure",
    )
    ids = (
        frame["patient_id"]
        if "patient_id" in frame.columns
        else pd.Series(frame.index.astype(str), index=frame.index)
    )
    time = pd.to_numeric(frame[time_col], errors="coerce").astype(float)
    event = pd.to_numeric(frame[event_col], errors="coerce").astype(float)
    exposed_any = frame[exposure].astype("boolean")
    when = pd.to_numeric(frame[exposure_days], errors="coerce").astype(float)

    reason = pd.Series(pd.NA, index=frame.index, dtype="object")
    reason[time.isna() | event.isna()] = f"missing {time_col} or {event_col}"
    reason[reason.isna() & (time <= 0)] = f"{time_col} is zero or negative"
    reason[reason.isna() & exposed_any.isna()] = f"{exposure} unknown"
    reason[reason.isna() & exposed_any.fillna(False) & when.isna()] = (
        f"{exposure} without {exposure_days}"
    )
    for cov in covariates:
        reason[reason.isna() & frame[cov].isna()] = f"missing covariate {cov}"
    keep = reason.isna()

    t = time[keep].to_numpy()
    e = event[keep].to_numpy().astype(int)
    x = exposed_any[keep].fillna(False).to_numpy(dtype=bool)
    w = when[keep].to_numpy()
    pid = ids[keep].to_numpy()
    cov = {c: frame.loc[keep, c].to_numpy() for c in covariates}

    # Three kinds of patient: never exposed (or exposed at/after the end), exposed from day 0,
    # exposed during follow-up (two intervals).
    during = x & (w > 0) & (w < t)
    from_start = x & (w <= 0)
    first = pd.DataFrame(
        {
            "patient_id": pid,
            "start": 0.0,
            "stop": np.where(during, w, t),
            "event": np.where(during, 0, e),
            "exposed": from_start.astype(int),
            **cov,
        }
    )
    second = pd.DataFrame(
        {
            "patient_id": pid[during],
            "start": w[during],
            "stop": t[during],
            "event": e[during],
            "exposed": 1,
            **{c: v[during] for c, v in cov.items()},
        }
    )
    first["_order"] = np.arange(len(first)) * 2
    second["_order"] = np.flatnonzero(during) * 2 + 1
    intervals = (
        pd.concat([first, second], ignore_index=True)
        .sort_values("_order", kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    excluded = pd.DataFrame(
        {"patient_id": ids[~keep].to_numpy(), "reason": reason[~keep].to_numpy()}
    )
    return SplitData(intervals=intervals, excluded=excluded, n_patients=int(keep.sum()))


@dataclass(frozen=True)
class TimeVaryingCoxResult:
    """A Cox model with a time-dependent exposure.

    Attributes
    ----------
    summary : pandas.DataFrame
        Indexed by term: ``coef``, ``se``, ``hr``, ``hr_lower``, ``hr_upper``, ``z``, ``p_value``.
    split : SplitData
    conf_level : float
    model : lifelines.CoxTimeVaryingFitter
    """

    summary: pd.DataFrame
    split: SplitData
    conf_level: float
    model: Any = field(repr=False)
    n: int = 0
    events: int = 0


def cox_time_varying(
    data: Cohort | pd.DataFrame,
    covariates: tuple[str, ...] | list[str] = (),
    endpoint: str = "os",
    *,
    exposure: str = "hsct",
    exposure_days: str = "hsct_days",
    conf_level: float = 0.95,
    penalizer: float = 0.0,
) -> TimeVaryingCoxResult:
    """Cox model with ``exposure`` as a time-dependent covariate (Efron ties).

    Equal to R's ``coxph(Surv(start, stop, event) ~ exposed + covariates)`` on the same split data.
    The exposure's term is named after the ``exposure`` column (e.g. ``hsct``).

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    covariates : sequence of str
        Fixed numeric or boolean covariates (e.g. ``("age",)``).
    endpoint : {"os", "efs", "rfs"}
    exposure, exposure_days : str
        The exposure flag and its time (days from the endpoint's origin).
    conf_level : float
    penalizer : float
        Ridge penalty passed to lifelines (0 = ordinary partial likelihood).

    Returns
    -------
    TimeVaryingCoxResult
    """
    from lifelines import CoxTimeVaryingFitter

    split = split_exposure(
        data, endpoint, exposure=exposure, exposure_days=exposure_days, covariates=covariates
    )
    iv = split.intervals.copy()
    if iv["event"].sum() == 0:
        raise ModelError(
            f"no {endpoint} events among the {split.n_patients} patients: the Cox model cannot be fitted."
        )
    iv = iv.rename(columns={"exposed": exposure})
    for c in covariates:
        iv[c] = pd.to_numeric(
            iv[c].astype("float64") if iv[c].dtype == bool else iv[c], errors="coerce"
        )
    if iv[exposure].nunique() < 2:
        raise ModelError(
            f"'{exposure}' does not vary over follow-up (all intervals have the same value); nothing to estimate."
        )
    fitter = CoxTimeVaryingFitter(penalizer=penalizer, alpha=1 - conf_level)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fitter.fit(
                iv.drop(columns="patient_id").assign(_id=np.arange(len(iv))),
                id_col="_id",
                event_col="event",
                start_col="start",
                stop_col="stop",
            )
        except (
            Exception
        ) as exc:  # lifelines raises several types; re-raise as ours, naming the terms
            raise ModelError(
                f"the time-dependent Cox model for {exposure} + {', '.join(covariates) or 'no covariates'} "
                f"could not be fitted: {exc}"
            ) from exc
    for w in caught:
        if "converge" in str(w.message).lower():
            warnings.warn(
                f"time-dependent Cox model: {w.message}", StatisticalWarning, stacklevel=2
            )
    z_crit = stats.norm.ppf(0.5 + conf_level / 2)
    coef = fitter.params_
    se = fitter.standard_errors_
    summary = pd.DataFrame(
        {
            "coef": coef,
            "se": se,
            "hr": np.exp(coef),
            "hr_lower": np.exp(coef - z_crit * se),
            "hr_upper": np.exp(coef + z_crit * se),
            "z": coef / se,
            "p_value": 2 * stats.norm.sf(np.abs(coef / se)),
        }
    )
    summary.index.name = "term"
    return TimeVaryingCoxResult(
        summary, split, conf_level, fitter, split.n_patients, int(iv["event"].sum())
    )


@dataclass(frozen=True)
class MantelByarResult:
    """The Mantel-Byar test: observed minus expected exposed events over time-dependent risk sets."""

    statistic: float
    dof: int
    p_value: float
    observed_exposed: float
    expected_exposed: float
    variance: float
    split: SplitData


def _at_risk(start: np.ndarray, stop: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Intervals at risk at each of ``times`` by the counting-process rule start < t <= stop (R's).

    Counted with sorted arrays: #(stop >= t) - #(start >= t).
    """
    s_stop, s_start = np.sort(stop), np.sort(start)
    n_stop_ge = len(s_stop) - np.searchsorted(s_stop, times, side="left")
    n_start_ge = len(s_start) - np.searchsorted(s_start, times, side="left")
    return n_stop_ge - n_start_ge


def _events_at(stop: np.ndarray, event: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Number of events at each of ``times``."""
    hit = event == 1
    return pd.Series(event[hit]).groupby(stop[hit]).sum().reindex(times, fill_value=0).to_numpy()


def _risk_sets(iv: pd.DataFrame) -> pd.DataFrame:
    """At each distinct event time: at risk and events overall and among the exposed."""
    start = iv["start"].to_numpy(float)
    stop = iv["stop"].to_numpy(float)
    ev = iv["event"].to_numpy(int)
    exposed = iv["exposed"].to_numpy(int) == 1
    times = np.unique(stop[ev == 1])
    return pd.DataFrame(
        {
            "time": times,
            "n": _at_risk(start, stop, times),
            "n_exposed": _at_risk(start[exposed], stop[exposed], times),
            "d": _events_at(stop, ev, times),
            "d_exposed": _events_at(stop[exposed], ev[exposed], times),
        }
    )


def mantel_byar(
    data: Cohort | pd.DataFrame,
    endpoint: str = "os",
    *,
    exposure: str = "hsct",
    exposure_days: str = "hsct_days",
    variance: str = "hypergeometric",
) -> MantelByarResult:
    """Mantel-Byar test of a time-dependent exposure (e.g. allo-HSCT).

    The log-rank statistic in which each patient counts in the unexposed risk set until exposure and
    in the exposed one afterwards.

    Parameters
    ----------
    variance : {"hypergeometric", "binomial"}
        Variance at tied event times. "hypergeometric" (default, the Mantel-Haenszel form of the
        log-rank test) equals the score test of R's
        ``coxph(Surv(start, stop, event) ~ exposed, ties = "exact")``; "binomial" equals the score test
        with ``ties = "breslow"``. They differ only when several events share a time.
    """
    if variance not in ("hypergeometric", "binomial"):
        raise SchemaError(f"variance must be 'hypergeometric' or 'binomial', got {variance!r}.")
    split = split_exposure(data, endpoint, exposure=exposure, exposure_days=exposure_days)
    rs = _risk_sets(split.intervals)
    n, n1, d, d1 = (rs[c].to_numpy(float) for c in ("n", "n_exposed", "d", "d_exposed"))
    expected = d * n1 / n
    with np.errstate(invalid="ignore", divide="ignore"):
        ties = (n - d) / (n - 1) if variance == "hypergeometric" else 1.0
        var = np.where(n > 1, d * (n1 / n) * (1 - n1 / n) * ties, 0.0)
    o, e_, v = d1.sum(), expected.sum(), var.sum()
    if v <= 0:
        raise ModelError(
            f"Mantel-Byar test: no event time with both exposed and unexposed patients at risk ({exposure})."
        )
    chi2 = (o - e_) ** 2 / v
    return MantelByarResult(
        float(chi2), 1, float(stats.chi2.sf(chi2, 1)), float(o), float(e_), float(v), split
    )


@dataclass(frozen=True)
class SimonMakuchResult:
    """Simon-Makuch curves: Kaplan-Meier by current exposure state.

    Attributes
    ----------
    curves : pandas.DataFrame
        Tidy step data: ``group`` ("unexposed"/"exposed" labelled with the exposure name), ``time``,
        ``survival``, ``lower``, ``upper``, ``at_risk``, ``events``.
    landmark_days : float
        Curves start at this time (0 = from the origin).
    """

    curves: pd.DataFrame
    landmark_days: float
    conf_level: float
    split: SplitData

    def survival_at(self, times: list[float] | np.ndarray) -> pd.DataFrame:
        """Survival of each curve at ``times`` (step function, right-continuous)."""
        rows = []
        for g, cur in self.curves.groupby("group", sort=False):
            tt = cur["time"].to_numpy()
            for t in np.atleast_1d(times):
                i = np.searchsorted(tt, t, side="right") - 1
                rec = cur.iloc[max(i, 0)]
                rows.append(
                    {
                        "group": g,
                        "time": float(t),
                        "survival": rec["survival"] if i >= 0 else 1.0,
                        "lower": rec["lower"] if i >= 0 else 1.0,
                        "upper": rec["upper"] if i >= 0 else 1.0,
                    }
                )
        return pd.DataFrame(rows)


def simon_makuch(
    data: Cohort | pd.DataFrame,
    endpoint: str = "os",
    *,
    exposure: str = "hsct",
    exposure_days: str = "hsct_days",
    landmark_days: float = 0.0,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> SimonMakuchResult:
    """Simon-Makuch survival curves for a time-dependent exposure.

    Each patient is at risk in the unexposed curve until exposure and enters the exposed curve at its
    exposure time (delayed entry). With ``landmark_days`` > 0 only patients alive and under observation
    at the landmark contribute, as in the landmark variant of the Simon-Makuch plot. Greenwood variance;
    ``conf_type`` "log-log" (default) or "log" as in R's ``survfit``.
    """
    split = split_exposure(data, endpoint, exposure=exposure, exposure_days=exposure_days)
    iv = split.intervals
    if landmark_days > 0:
        iv = iv[iv["stop"] > landmark_days].copy()
        iv["start"] = iv["start"].clip(lower=landmark_days)
    if conf_type not in ("log-log", "log"):
        raise SchemaError(f"conf_type must be 'log-log' or 'log', got {conf_type!r}.")
    from cohort.survival import _confint

    frames = []
    for state, label in ((0, f"no {exposure}"), (1, exposure)):
        sub = iv[iv["exposed"] == state]
        if sub.empty:
            continue
        curve = _km_with_entry(
            sub["start"].to_numpy(float), sub["stop"].to_numpy(float), sub["event"].to_numpy(int)
        )
        lower, upper = _confint(
            curve["survival"].to_numpy(), curve["std_err"].to_numpy(), conf_level, conf_type
        )
        frames.append(curve.assign(group=label, lower=lower, upper=upper))
    curves = pd.concat(frames, ignore_index=True)[
        ["group", "time", "survival", "lower", "upper", "at_risk", "events"]
    ]
    return SimonMakuchResult(curves, float(landmark_days), conf_level, split)


def _km_with_entry(start: np.ndarray, stop: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier with delayed entry at the distinct event times, with R's ``std.err`` (Greenwood
    SE of the cumulative hazard). Risk sets follow the counting-process rule of :func:`_at_risk`,
    the same as the Mantel-Byar test uses."""
    times = np.unique(stop[event == 1])
    n = _at_risk(start, stop, times)
    d = _events_at(stop, event, times).astype(float)
    surv = np.cumprod(1 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(np.where(n > d, d / (n * (n - d)), np.inf))
    return pd.DataFrame(
        {
            "time": times,
            "survival": surv,
            "std_err": np.sqrt(greenwood),
            "at_risk": n,
            "events": d.astype(int),
        }
    )

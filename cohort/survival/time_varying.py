"""Transplant (or any once-only exposure) as a time-dependent covariate.

Comparing transplanted with non-transplanted patients from diagnosis credits the transplanted group
with the time they had to survive to reach transplant (immortal-time bias). The remedies here:

- :func:`split_exposure` (in :mod:`cohort.survival.tmerge`) turns each patient into start-stop
  intervals, unexposed before ``hsct_days`` and exposed after it (what R's
  ``survival::tmerge(..., tdc(hsct_days))`` does);
- :func:`split_changes` (also in :mod:`cohort.survival.tmerge`) does the same for any covariate that
  changes over follow-up, given as a long table of (patient, time, value) rows, e.g. NPM1 MRD at
  each sample (R's ``tmerge(..., x = tdc(time, value))``);
- :func:`cox_time_varying` fits the Cox model on those intervals, equal to R's
  ``coxph(Surv(tstart, tstop, event) ~ ..., ties = "efron" | "breslow")``. The fit is statsmodels'
  ``PHReg`` with each interval entering the risk set just after its start (``numpy.nextafter``), so
  that the risk set at ``t`` is ``start < t <= stop`` exactly as R's (statsmodels alone counts an
  interval starting at ``t``, which changes the estimates);
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

from cohort._arguments import check_conf_level
from cohort.cohort import Cohort
from cohort.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    ModelError,
    SchemaError,
    StatisticalWarning,
)
from cohort.survival.endpoint import endpoint_label
from cohort.survival.formula import design_matrix, parse_formula
from cohort.survival.tmerge import SPLIT_COLUMNS, SplitData, split_changes, split_exposure


@dataclass(frozen=True)
class TimeVaryingCoxResult:
    """A Cox model with time-dependent covariates.

    Attributes
    ----------
    summary : pandas.DataFrame
        Indexed by term: ``coef``, ``se``, ``hr``, ``hr_lower``, ``hr_upper``, ``z``, ``p_value``.
        Term names as :func:`cohort.cox` (``hsct``, ``age``, ``sex[male]``).
    split : SplitData
        The intervals (all of them, including those left out for a missing covariate).
    conf_level : float
    model : statsmodels PHRegResults (lifelines ``CoxTimeVaryingFitter`` when ``penalizer > 0``)
    n : int
        Patients with at least one interval in the fit.
    events : int
    ties : str
        ``"efron"`` or ``"breslow"``.
    n_intervals : int
        Intervals in the fit (R's ``fit$n``).
    notes : tuple of str
        Intervals and patients left out for a missing time-varying covariate.
    """

    summary: pd.DataFrame
    split: SplitData
    conf_level: float
    model: Any = field(repr=False)
    n: int = 0
    events: int = 0
    ties: str = "efron"
    n_intervals: int = 0
    notes: tuple[str, ...] = ()


_TIES = ("efron", "breslow")


def _fit_counting_process(
    x: np.ndarray, iv: pd.DataFrame, ties: str, penalizer: float, conf_level: float, what: str
) -> tuple[np.ndarray, np.ndarray, Any]:
    """Coefficients, standard errors and the fitted model of a start-stop Cox model."""
    start, stop = iv["start"].to_numpy(float), iv["stop"].to_numpy(float)
    event = iv["event"].to_numpy(int)
    if penalizer > 0:
        from lifelines import CoxTimeVaryingFitter

        frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
        frame = frame.assign(_start=start, _stop=stop, _event=event, _id=np.arange(len(frame)))
        fitter = CoxTimeVaryingFitter(penalizer=penalizer, alpha=1 - conf_level)
        fitter.fit(frame, id_col="_id", event_col="_event", start_col="_start", stop_col="_stop")
        return fitter.params_.to_numpy(), fitter.standard_errors_.to_numpy(), fitter
    from statsmodels.duration.hazard_regression import PHReg

    # statsmodels counts an interval as at risk at t when entry <= t; R when start < t: entering
    # at the next float after the start gives R's risk sets exactly
    model = PHReg(stop, x, status=event, entry=np.nextafter(start, np.inf), ties=ties)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(method="newton", maxiter=100, disp=0)
    if any("converge" in str(w.message).lower() for w in caught):
        warnings.warn(f"{what}: the fit did not converge.", ConvergenceWarning, stacklevel=3)
    return np.asarray(res.params), np.asarray(res.bse), res


def cox_time_varying(
    data: Cohort | pd.DataFrame,
    covariates: tuple[str, ...] | list[str] = (),
    endpoint: str | tuple[str, str] = "os",
    *,
    exposure: str = "hsct",
    exposure_days: str = "hsct_days",
    changes: pd.DataFrame | None = None,
    changes_id: str = "patient_id",
    changes_time: str = "days",
    ties: str = "efron",
    conf_level: float = 0.95,
    penalizer: float = 0.0,
) -> TimeVaryingCoxResult:
    """Cox model with time-dependent covariates, as R ``coxph(Surv(tstart, tstop, event) ~ ...)``.

    Two kinds of input:

    - a once-only exposure (default): ``exposure`` switches from 0 to 1 at ``exposure_days``
      (:func:`split_exposure`; R ``tmerge(..., exposure = tdc(exposure_days))``); its term is named
      after the ``exposure`` column (e.g. ``hsct``);
    - ``changes=``: a long table of (patient, time, value) rows, one column per time-varying
      covariate (:func:`split_changes`; R ``tmerge(..., x = tdc(time, value))``), e.g. NPM1 MRD
      status at each sample; ``exposure`` is then not used.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    covariates : sequence of str
        Fixed covariates: numbers, booleans or text (a text column becomes indicator terms
        ``sex[male]`` against its first level, as :func:`cohort.cox` and R's factors).
    endpoint : {"os", "efs", "rfs"} or (str, str)
    exposure, exposure_days : str
        The exposure flag and its time (days from the endpoint's origin).
    changes : pandas.DataFrame, optional
        The long table of covariate changes (see :func:`split_changes`).
    changes_id, changes_time : str
        Its patient and time columns.
    ties : {"efron", "breslow"}
        Handling of tied event times, as coxph's ``ties=``.
    conf_level : float
    penalizer : float
        Ridge penalty (lifelines, Efron ties only; 0 = ordinary partial likelihood, as R).

    Returns
    -------
    TimeVaryingCoxResult

    Raises
    ------
    ModelError
        No events, a covariate that does not vary, or a fit that fails.
    SchemaError
        Unknown columns, an unknown ``ties``, or a ``changes`` table without value columns.
    """
    what = "cohort.cox_time_varying"
    if ties not in _TIES:
        raise SchemaError(f"{what}: ties={ties!r}; use one of {', '.join(_TIES)}.")
    if penalizer < 0 or (penalizer > 0 and ties != "efron"):
        raise SchemaError(f"{what}: penalizer must be >= 0, and a penalty needs ties='efron'.")
    conf_level = check_conf_level(conf_level, what)
    covariates = tuple(covariates)
    if changes is None:
        split = split_exposure(
            data, endpoint, exposure=exposure, exposure_days=exposure_days, covariates=covariates
        )
        iv = split.intervals.rename(columns={"exposed": exposure})
        varying = [exposure]
    else:
        split = split_changes(
            data,
            changes,
            endpoint,
            changes_id=changes_id,
            changes_time=changes_time,
            covariates=covariates,
        )
        iv = split.intervals
        varying = [c for c in iv.columns if c not in SPLIT_COLUMNS and c not in covariates]
    names = [*varying, *covariates]
    formula = parse_formula(" + ".join(names), iv.columns)
    x_all, _ = design_matrix(formula, iv)
    incomplete = x_all.isna().any(axis=1).to_numpy()
    notes: list[str] = []
    if incomplete.any():
        n_out = int(incomplete.sum())
        lost = set(iv.loc[incomplete, "patient_id"]) - set(iv.loc[~incomplete, "patient_id"])
        msg = (
            f"{n_out} interval(s) with a missing time-varying covariate left out (before a "
            f"patient's first value, as tmerge + coxph); {len(lost)} patient(s) had no interval left"
        )
        notes.append(msg)
        warnings.warn(f"{what}: {msg}.", DataQualityWarning, stacklevel=2)
    fit_iv = iv.loc[~incomplete]
    if fit_iv["event"].sum() == 0:
        raise ModelError(
            f"{what}: no {endpoint_label(endpoint).lower()} events among the {split.n_patients} "
            "patients: the Cox model cannot be fitted."
        )
    x, _ = design_matrix(formula, fit_iv)
    xv = x.to_numpy(dtype=float)
    constant = [c for c, col in zip(x.columns, xv.T, strict=True) if np.ptp(col) == 0]
    if constant:
        raise ModelError(
            f"{what}: {', '.join(map(repr, constant))} does not vary over the intervals (all have "
            "the same value); nothing to estimate."
        )
    try:
        coef, se, model = _fit_counting_process(xv, fit_iv, ties, penalizer, conf_level, what)
    except (ValueError, np.linalg.LinAlgError, ArithmeticError) as exc:
        raise ModelError(
            f"{what}: the model for {' + '.join(names)} could not be fitted ({exc}); covariates may "
            "be collinear or separate the events completely."
        ) from exc
    z_crit = stats.norm.ppf(0.5 + conf_level / 2)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        summary = pd.DataFrame(
            {
                "coef": coef,
                "se": se,
                "hr": np.exp(coef),
                "hr_lower": np.exp(coef - z_crit * se),
                "hr_upper": np.exp(coef + z_crit * se),
                "z": coef / se,
                "p_value": 2 * stats.norm.sf(np.abs(coef / se)),
            },
            index=pd.Index(list(x.columns), name="term"),
        )
    if (np.abs(coef) > 15).any():
        msg = "extreme coefficient(s) (|coef| > 15): probable separation"
        warnings.warn(f"{what}: {msg}.", StatisticalWarning, stacklevel=2)
        notes.append(msg)
    return TimeVaryingCoxResult(
        summary=summary,
        split=split,
        conf_level=conf_level,
        model=model,
        n=int(fit_iv["patient_id"].nunique()),
        events=int(fit_iv["event"].sum()),
        ties=ties,
        n_intervals=len(fit_iv),
        notes=tuple(notes),
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
    endpoint: str | tuple[str, str] = "os",
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
    endpoint: str | tuple[str, str] = "os",
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
    from cohort.survival.kaplan_meier import _confint

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

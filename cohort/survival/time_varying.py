"""Transplant (or any once-only exposure) as a time-dependent covariate.

Comparing transplanted with non-transplanted patients from diagnosis credits the transplanted group
with the time they had to survive to reach transplant (immortal-time bias). The remedies here:

- :func:`split_exposure` turns each patient into start-stop intervals, unexposed before ``hsct_days``
  and exposed after it (what R's ``survival::tmerge(..., tdc(hsct_days))`` does);
- :func:`split_changes` does the same for any covariate that changes over follow-up, given as a long
  table of (patient, time, value) rows, e.g. NPM1 MRD at each sample (R's
  ``tmerge(..., x = tdc(time, value))``);
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
from cohort._counts import counts_by_frequency
from cohort.cohort import Cohort, as_frame
from cohort.errors import (
    CohortValidationError,
    ConvergenceWarning,
    DataQualityWarning,
    ModelError,
    Problem,
    SchemaError,
    StatisticalWarning,
)
from cohort.survival.endpoint import endpoint_columns, endpoint_key, endpoint_label
from cohort.survival.formula import design_matrix, parse_formula

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
        return counts_by_frequency(self.excluded["reason"])


def _endpoint_columns(endpoint: str | tuple[str, str]) -> tuple[str, str]:
    """Time and event columns of a schema endpoint or a (time, event) pair; 'cir' is refused."""
    if endpoint_key(endpoint, what="time-dependent analysis") == "cir":
        raise SchemaError(
            f"endpoint {endpoint!r} is not a survival endpoint for a time-dependent analysis; "
            "use one of 'os', 'efs', 'rfs' or a (time_column, event_column) pair with 0/1 events."
        )
    return endpoint_columns(endpoint)


def split_exposure(
    data: Cohort | pd.DataFrame,
    endpoint: str | tuple[str, str] = "os",
    *,
    exposure: str = "hsct",
    exposure_days: str = "hsct_days",
    covariates: tuple[str, ...] | list[str] = (),
) -> SplitData:
    """Split follow-up at the exposure time into unexposed and exposed intervals.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    endpoint : {"os", "efs", "rfs"} or (str, str)
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
    exposed_any = frame[exposure].astype("boolean")
    when = pd.to_numeric(frame[exposure_days], errors="coerce").astype(float)
    time, event, reason = _patient_reasons(frame, time_col, event_col)
    reason[reason.isna() & exposed_any.isna()] = f"{exposure} unknown"
    reason[reason.isna() & exposed_any.fillna(False) & when.isna()] = (
        f"{exposure} without {exposure_days}"
    )
    _missing_covariates(reason, frame, covariates)
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


def _patient_reasons(
    frame: pd.DataFrame, time_col: str, event_col: str
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Follow-up time, event, and the reason each patient cannot be split (NA: can be)."""
    time = pd.to_numeric(frame[time_col], errors="coerce").astype(float)
    event = pd.to_numeric(frame[event_col], errors="coerce").astype(float)
    reason = pd.Series(pd.NA, index=frame.index, dtype="object")
    reason[time.isna() | event.isna()] = f"missing {time_col} or {event_col}"
    reason[reason.isna() & (time <= 0)] = f"{time_col} is zero or negative"
    return time, event, reason


def _missing_covariates(reason: pd.Series, frame: pd.DataFrame, covariates) -> None:
    """Give patients still without a reason and with a missing fixed covariate that reason."""
    for cov in covariates:
        reason[reason.isna() & frame[cov].isna()] = f"missing covariate {cov}"


def _change_table(
    changes: pd.DataFrame, id_col: str, time_col: str, what: str
) -> tuple[pd.DataFrame, list[str]]:
    """The changes with a float time and string ids, checked; and the names of the value columns."""
    if not isinstance(changes, pd.DataFrame):
        raise SchemaError(
            f"{what}: changes= must be a pandas DataFrame with one row per (patient, time, value), "
            f"got {type(changes).__name__}."
        )
    lacking = [c for c in (id_col, time_col) if c not in changes.columns]
    if lacking:
        raise SchemaError(
            f"{what}: the changes table has no column {', '.join(map(repr, lacking))}; name the "
            f"patient and time columns with changes_id= and changes_time= (it has "
            f"{', '.join(map(str, changes.columns))})."
        )
    values = [c for c in changes.columns if c not in (id_col, time_col)]
    if not values:
        raise SchemaError(
            f"{what}: the changes table has no value column besides {id_col!r} and {time_col!r}."
        )
    clash = [c for c in values if c in SPLIT_COLUMNS]
    if clash:
        raise SchemaError(
            f"{what}: value column(s) {', '.join(map(repr, clash))} of the changes table clash with "
            f"the interval columns {', '.join(SPLIT_COLUMNS)}; rename them."
        )
    when = pd.to_numeric(changes[time_col], errors="coerce").astype(float)
    problems = [
        Problem(
            "bad_time",
            f"{what}: the time of a covariate change must be a number of days",
            column=time_col,
            row=int(pos),
            value=changes[time_col].iloc[pos],
            fix="correct or remove the row",
        )
        for pos in np.flatnonzero(when.isna().to_numpy() | np.isinf(when.to_numpy()))
    ]
    problems += [
        Problem(
            "missing_id",
            f"{what}: a covariate change without a patient",
            column=id_col,
            row=int(pos),
            value=None,
            fix="fill in the patient or remove the row",
        )
        for pos in np.flatnonzero(changes[id_col].isna().to_numpy())
    ]
    if problems:
        raise CohortValidationError(problems)
    ch = changes[values].copy()
    ch.insert(0, "_time", when.to_numpy())
    ch.insert(0, "_id", changes[id_col].astype(str).to_numpy())
    ch["_row"] = np.arange(len(ch))
    for v in values:
        known = ch[ch[v].notna()]
        n_values = known.groupby(["_id", "_time"])[v].nunique()
        if (n_values > 1).any():
            pid, t = n_values[n_values > 1].index[0]
            rows = known.loc[(known["_id"] == pid) & (known["_time"] == t), "_row"].tolist()
            raise CohortValidationError(
                [
                    Problem(
                        "conflicting_change",
                        f"{what}: two different values of {v} at the same time for one patient",
                        column=v,
                        row=int(r),
                        value=changes[v].iloc[r],
                        fix=f"keep one {v} per patient and {time_col}",
                    )
                    for r in rows
                ]
            )
    return ch, values


def split_changes(
    data: Cohort | pd.DataFrame,
    changes: pd.DataFrame,
    endpoint: str | tuple[str, str] = "os",
    *,
    changes_id: str = "patient_id",
    changes_time: str = "days",
    covariates: tuple[str, ...] | list[str] = (),
) -> SplitData:
    """Split follow-up wherever a covariate changes, as R's ``tmerge(..., x = tdc(time, value))``.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        One row per patient with the endpoint, ``changes_id`` and the fixed ``covariates``.
    changes : pandas.DataFrame
        Long table, one row per (patient, time, values): ``changes_id``, ``changes_time`` and one
        column per time-varying covariate (numbers, booleans or text), e.g. NPM1 MRD status at each
        sample. A value holds from its time until the patient's next change of that covariate.
    endpoint : {"os", "efs", "rfs"} or (str, str)
        The outcome (0/1 event); change times are on its time scale.
    changes_id, changes_time : str
        The patient and time columns of ``changes``.
    covariates : sequence of str
        Fixed covariates of ``data`` carried onto every interval.

    Returns
    -------
    SplitData
        ``intervals`` has ``patient_id``, ``start``, ``stop``, ``event``, one column per value
        column of ``changes`` and the fixed covariates.

    Notes
    -----
    As ``tmerge``: follow-up ``(0, T]`` is cut at every change time strictly inside it; a change at
    or before 0 holds from the start; a change at or after ``T`` has no effect; before a patient's
    first change the covariate is missing (``NA``, and the Cox model leaves those intervals out,
    counting them). A missing value in ``changes`` means "not measured then" and is not a change.
    Two different values of one covariate at the same time for a patient are refused. Patients with
    a missing or non-positive time or a missing fixed covariate are excluded with a reason; rows of
    ``changes`` for patients absent from ``data`` are not used, with a
    :class:`~cohort.errors.DataQualityWarning` saying how many.
    """
    what = "split_changes"
    time_col, event_col = _endpoint_columns(endpoint)
    covariates = tuple(covariates)
    frame = as_frame(data, required=(changes_id, time_col, event_col, *covariates), what=what)
    ch, values = _change_table(changes, changes_id, changes_time, what)
    ids = frame[changes_id].astype(str)
    dup = ids[ids.duplicated() & frame[changes_id].notna()]
    if len(dup):
        pos = int(np.flatnonzero(ids.duplicated().to_numpy())[0])
        raise CohortValidationError(
            [
                Problem(
                    "duplicate_id",
                    f"{what}: the patient table must have one row per patient",
                    column=changes_id,
                    row=pos,
                    value=frame[changes_id].iloc[pos],
                    fix="keep one row per patient; put repeated measurements in changes=",
                )
            ]
        )
    unknown = int((~ch["_id"].isin(set(ids))).sum())
    if unknown:
        warnings.warn(
            f"{what}: {unknown} row(s) of the changes table belong to no patient of the data "
            f"(by {changes_id}) and are not used.",
            DataQualityWarning,
            stacklevel=2,
        )
    time, event, reason = _patient_reasons(frame, time_col, event_col)
    reason[reason.isna() & frame[changes_id].isna()] = f"missing {changes_id}"
    _missing_covariates(reason, frame, covariates)
    keep = reason.isna().to_numpy()
    base = pd.DataFrame(
        {"patient_id": ids[keep].to_numpy(), "_T": time[keep].to_numpy(), "_e": event[keep]}
    )
    base["_order"] = np.arange(len(base))
    for c in covariates:
        base[c] = frame.loc[keep, c].to_numpy()
    # cut points: change times strictly inside (0, T)
    cuts = ch[["_id", "_time"]].merge(
        base[["patient_id", "_T"]], left_on="_id", right_on="patient_id"
    )
    cuts = cuts[(cuts["_time"] > 0) & (cuts["_time"] < cuts["_T"])]
    cuts = cuts[["patient_id", "_time"]].drop_duplicates().rename(columns={"_time": "start"})
    starts = pd.concat([base[["patient_id"]].assign(start=0.0), cuts], ignore_index=True)
    iv = starts.merge(base, on="patient_id").sort_values(["_order", "start"], kind="stable")
    nxt = iv.groupby("_order")["start"].shift(-1)
    iv["stop"] = nxt.fillna(iv["_T"]).to_numpy()
    last = nxt.isna().to_numpy()
    iv["event"] = np.where(last, iv["_e"].to_numpy(), 0).astype(int)
    iv = iv.reset_index(drop=True)
    for v in values:
        known = ch.loc[ch[v].notna(), ["_id", "_time", v]].sort_values("_time", kind="stable")
        known = known.drop_duplicates(["_id", "_time"])
        left = iv[["patient_id", "start"]].reset_index().sort_values("start", kind="stable")
        merged = pd.merge_asof(
            left, known, left_on="start", right_on="_time", left_by="patient_id", right_by="_id"
        )
        iv[v] = merged.set_index("index")[v].reindex(iv.index).to_numpy()
        if changes[v].dtype == bool or isinstance(changes[v].dtype, pd.BooleanDtype):
            iv[v] = iv[v].astype("boolean")
    intervals = iv[["patient_id", "start", "stop", "event", *values, *covariates]]
    excluded = pd.DataFrame(
        {"patient_id": frame.loc[~keep, changes_id].to_numpy(), "reason": reason[~keep].to_numpy()}
    )
    return SplitData(intervals=intervals, excluded=excluded, n_patients=int(keep.sum()))


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
    from cohort.survival.km import _confint

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

"""Start-stop intervals for a time-dependent covariate, as R's ``survival::tmerge``.

- :func:`split_exposure` turns each patient into start-stop intervals, unexposed before
  ``hsct_days`` and exposed after it (R's ``tmerge(..., tdc(hsct_days))``);
- :func:`split_changes` does the same for any covariate that changes over follow-up, given as a
  long table of (patient, time, value) rows, e.g. NPM1 MRD at each sample (R's
  ``tmerge(..., x = tdc(time, value))``).

The models on these intervals are in :mod:`cohort.survival.time_varying`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort._counts import counts_by_frequency
from cohort.cohort import Cohort, as_frame
from cohort.errors import (
    CohortValidationError,
    DataQualityWarning,
    Problem,
    SchemaError,
)
from cohort.survival.endpoint import endpoint_columns, endpoint_key

__all__ = ["SPLIT_COLUMNS", "SplitData", "split_changes", "split_exposure"]

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

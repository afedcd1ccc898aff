"""Extract and validate the time/event columns of a survival endpoint (shared by every survival helper).

Stable API (other modules import it)::

    frame, time_col, event_col = endpoint_arrays(data, "os", what="cohort.km")

``frame`` holds only the patients whose time and event are both known, with ``time_col`` as float64
and ``event_col`` as int64 numpy columns (all other columns untouched, index preserved). Patients
with an unknown time or event are never dropped silently: they are counted in
``frame.attrs["n_missing_endpoint"]`` (and their index labels in ``frame.attrs["missing_index"]``),
and a :class:`~cohort.errors.DataQualityWarning` says how many. Impossible values (negative times,
event codes outside the schema) raise :class:`~cohort.errors.CohortValidationError` naming the column,
row and value.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cohort.cohort import Cohort, as_frame
from cohort.errors import CohortValidationError, DataQualityWarning, Problem, SchemaError
from cohort.schema import ENDPOINTS

#: Allowed event codes per endpoint (cir: 0 censored, 1 relapse, 2 death without relapse).
EVENT_CODES: dict[str, tuple[int, ...]] = {
    "os": (0, 1),
    "efs": (0, 1),
    "rfs": (0, 1),
    "cir": (0, 1, 2),
}

__all__ = ["EVENT_CODES", "endpoint_arrays", "endpoint_columns"]


def endpoint_columns(endpoint: str, *, what: str = "") -> tuple[str, str]:
    """The (time column, event column) of ``endpoint``.

    Raises
    ------
    SchemaError
        If ``endpoint`` is not one of ``"os"``, ``"efs"``, ``"rfs"``, ``"cir"``.
    """
    key = str(endpoint).lower() if isinstance(endpoint, str) else endpoint
    if key not in ENDPOINTS:
        raise SchemaError(
            f"{what or 'this function'}: unknown endpoint {endpoint!r}. Use one of "
            f"{', '.join(repr(e) for e in ENDPOINTS)} (columns <endpoint>_days / <endpoint>_event; "
            "'cir' uses cir_days / cir_status)."
        )
    return ENDPOINTS[key]


def _scalar(value: object) -> object:
    """A plain Python value for messages (``2``, not ``np.int64(2)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _as_numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values and a mask of entries that were present but not numbers."""
    if isinstance(series.dtype, pd.BooleanDtype) or series.dtype == bool:
        values = series.astype("Float64")
    else:
        values = series
    numeric = pd.to_numeric(values, errors="coerce")
    out = numeric.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    not_number = series.notna().to_numpy() & np.isnan(out)
    return out, not_number


def endpoint_arrays(
    data: Cohort | pd.DataFrame,
    endpoint: str = "os",
    *,
    what: str = "",
    required: tuple[str, ...] = (),
    warn: bool = True,
) -> tuple[pd.DataFrame, str, str]:
    """The analysable rows of ``data`` for ``endpoint``, with validated time and event columns.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A cohort or a canonical DataFrame.
    endpoint : {"os", "efs", "rfs", "cir"}
        ``"os"``, ``"efs"``, ``"rfs"`` use ``<endpoint>_days`` / ``<endpoint>_event`` (0/1);
        ``"cir"`` uses ``cir_days`` / ``cir_status`` (0 censored, 1 relapse, 2 competing death).
    what : str
        Name of the calling analysis, used in messages (e.g. ``"cohort.km"``).
    required : tuple of str
        Further columns the caller needs (checked for presence only).
    warn : bool
        Emit a :class:`DataQualityWarning` when patients lack a time or an event.

    Returns
    -------
    frame : pandas.DataFrame
        A copy restricted to rows with a known time and event; ``time_col`` is float64 and
        ``event_col`` int64. ``frame.attrs`` carries ``n_missing_endpoint`` (int),
        ``missing_index`` (list of index labels left out) and ``endpoint``.
    time_col, event_col : str
        The column names.

    Raises
    ------
    SchemaError
        Unknown endpoint, or a needed column is absent.
    CohortValidationError
        A time is negative or not a number, or an event code is not allowed for the endpoint.
    """
    what = what or "this analysis"
    time_col, event_col = endpoint_columns(endpoint, what=what)
    key = endpoint.lower()
    frame = as_frame(data, required=(time_col, event_col, *required), what=what)

    times, time_not_number = _as_numbers(frame[time_col])
    events, event_not_number = _as_numbers(frame[event_col])
    allowed = EVENT_CODES[key]
    problems: list[Problem] = []
    for pos in np.flatnonzero(time_not_number | (times < 0) | np.isinf(times)):
        problems.append(
            Problem(
                "bad_time",
                f"{what}: survival time must be a non-negative number of days",
                column=time_col,
                row=int(pos),
                value=_scalar(frame[time_col].iloc[pos]),
                fix=f"correct {time_col}, or remove the patient with Cohort.subset",
            )
        )
    bad_event = event_not_number | (~np.isnan(events) & ~np.isin(events, allowed))
    for pos in np.flatnonzero(bad_event):
        problems.append(
            Problem(
                "bad_event",
                f"{what}: {key} event code must be one of {', '.join(map(str, allowed))}",
                column=event_col,
                row=int(pos),
                value=_scalar(frame[event_col].iloc[pos]),
                fix=f"recode {event_col} (1 event, 0 censored"
                + (", 2 competing death)" if key == "cir" else ")"),
            )
        )
    if problems:
        raise CohortValidationError(problems)

    known = ~np.isnan(times) & ~np.isnan(events)
    n_missing = int((~known).sum())
    missing_index = list(frame.index[~known])
    if n_missing and warn:
        warnings.warn(
            f"{what}: {n_missing} of {len(frame)} patient(s) have no {time_col} or {event_col} and "
            f"are left out of the {key.upper()} analysis.",
            DataQualityWarning,
            stacklevel=3,
        )
    out = frame.loc[known].copy()
    out[time_col] = times[known]
    out[event_col] = events[known].astype(np.int64)
    out.attrs = {"n_missing_endpoint": n_missing, "missing_index": missing_index, "endpoint": key}
    return out, time_col, event_col

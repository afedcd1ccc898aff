"""Extract and validate the time/event columns of a survival endpoint (shared by every survival helper).

Stable API (other modules import it)::

    frame, time_col, event_col = endpoint_arrays(data, "os", what="cohort.km")
    frame, time_col, event_col = endpoint_arrays(data, ("nrm_days", "nrm_event"), what="cohort.km")

An endpoint is a schema name (``"os"``, ``"efs"``, ``"rfs"``, ``"cir"``) or any
``(time_column, event_column)`` pair. Single-event analyses (Kaplan-Meier, log-rank, Cox) accept
event codes 0/1; competing-risk analyses (``causes=True``) accept 0 (censored) and any positive
integer cause ``1..k``.

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

#: An endpoint: a schema name or a ``(time_column, event_column)`` pair.
Endpoint = str | tuple[str, str]

__all__ = [
    "EVENT_CODES",
    "Endpoint",
    "endpoint_arrays",
    "endpoint_columns",
    "endpoint_key",
    "endpoint_label",
]


def endpoint_key(endpoint: object, *, what: str = "") -> str | tuple[str, str]:
    """``endpoint`` normalised: a lower-case schema name, or a ``(time_column, event_column)`` tuple.

    Parameters
    ----------
    endpoint : str or tuple of two str
        ``"os"``, ``"efs"``, ``"rfs"``, ``"cir"`` (any case), or a pair of column names such as
        ``("nrm_days", "nrm_event")`` (a list of two names is accepted too).
    what : str
        Name of the calling analysis, used in messages.

    Raises
    ------
    SchemaError
        An unknown schema name, or anything but a name or a pair of distinct column names.
    """
    where = what or "this function"
    if isinstance(endpoint, str):
        key = endpoint.lower()
        if key not in ENDPOINTS:
            raise SchemaError(
                f"{where}: unknown endpoint {endpoint!r}. Use one of "
                f"{', '.join(repr(e) for e in ENDPOINTS)} (columns <endpoint>_days / "
                "<endpoint>_event; 'cir' uses cir_days / cir_status), or a (time_column, "
                "event_column) pair such as ('nrm_days', 'nrm_event')."
            )
        return key
    if (
        isinstance(endpoint, tuple | list)
        and len(endpoint) == 2
        and all(isinstance(c, str) and c for c in endpoint)
        and endpoint[0] != endpoint[1]
    ):
        return (endpoint[0], endpoint[1])
    raise SchemaError(
        f"{where}: endpoint={endpoint!r} is neither a schema endpoint ("
        f"{', '.join(repr(e) for e in ENDPOINTS)}) nor a pair of two different column names "
        "(time_column, event_column), e.g. endpoint=('nrm_days', 'nrm_event')."
    )


def endpoint_label(endpoint: object) -> str:
    """A short name for messages and reports: ``"OS"``, or ``"nrm_days/nrm_event"`` for a pair."""
    key = endpoint_key(endpoint)
    return key.upper() if isinstance(key, str) else f"{key[0]}/{key[1]}"


def endpoint_columns(endpoint: object, *, what: str = "") -> tuple[str, str]:
    """The (time column, event column) of ``endpoint`` (a schema name or the pair itself).

    Raises
    ------
    SchemaError
        If ``endpoint`` is neither one of ``"os"``, ``"efs"``, ``"rfs"``, ``"cir"`` nor a pair of
        column names.
    """
    key = endpoint_key(endpoint, what=what)
    return ENDPOINTS[key] if isinstance(key, str) else key


def _allowed_codes(key: str | tuple[str, str], causes: bool) -> tuple[int, ...] | None:
    """The event codes allowed (None: 0 and any positive integer)."""
    if causes:
        return None
    return EVENT_CODES[key] if isinstance(key, str) else (0, 1)


def _scalar(value: object) -> object:
    """A plain Python value for messages (``2``, not ``np.int64(2)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _as_numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values and a mask of entries that were present but not numbers."""
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "fiu":
        # plain numpy numbers (the loader's float times, int events): no masked round trip
        return series.to_numpy(dtype=float), np.zeros(len(series), dtype=bool)
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
    endpoint: Endpoint = "os",
    *,
    what: str = "",
    required: tuple[str, ...] = (),
    warn: bool = True,
    causes: bool = False,
) -> tuple[pd.DataFrame, str, str]:
    """The analysable rows of ``data`` for ``endpoint``, with validated time and event columns.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        A cohort or a canonical DataFrame.
    endpoint : {"os", "efs", "rfs", "cir"} or (str, str)
        ``"os"``, ``"efs"``, ``"rfs"`` use ``<endpoint>_days`` / ``<endpoint>_event`` (0/1);
        ``"cir"`` uses ``cir_days`` / ``cir_status`` (0 censored, 1 relapse, 2 competing death);
        a ``(time_column, event_column)`` pair uses those columns (event 0/1).
    what : str
        Name of the calling analysis, used in messages (e.g. ``"cohort.km"``).
    required : tuple of str
        Further columns the caller needs (checked for presence only).
    warn : bool
        Emit a :class:`DataQualityWarning` when patients lack a time or an event.
    causes : bool
        Competing risks: accept 0 (censored) and any positive integer cause, for every endpoint.

    Returns
    -------
    frame : pandas.DataFrame
        A copy (shallow when no row is left out) restricted to rows with a known time and event;
        ``time_col`` is float64 and ``event_col`` int64 (new arrays, never the caller's).
        ``frame.attrs`` carries ``n_missing_endpoint`` (int),
        ``missing_index`` (list of index labels left out) and ``endpoint`` (the normalised key:
        a lower-case name or the column pair).
    time_col, event_col : str
        The column names.

    Raises
    ------
    SchemaError
        Unknown endpoint, or a needed column (including either column of a pair) is absent.
    CohortValidationError
        A time is negative or not a number, or an event code is not allowed for the endpoint.
    """
    what = what or "this analysis"
    key = endpoint_key(endpoint, what=what)
    time_col, event_col = endpoint_columns(key, what=what)
    frame = as_frame(data, required=(time_col, event_col, *required), what=what)

    times, time_not_number = _as_numbers(frame[time_col])
    events, event_not_number = _as_numbers(frame[event_col])
    allowed = _allowed_codes(key, causes)
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
    known_event = ~np.isnan(events)
    if allowed is None:
        with np.errstate(invalid="ignore"):
            ok = (events >= 0) & (events == np.floor(events)) & np.isfinite(events)
        rule, fix = (
            "an event code must be 0 (censored) or a positive whole number (the cause)",
            f"recode {event_col} as 0 censored, 1, 2, ... one code per cause",
        )
    else:
        ok = np.isin(events, allowed)
        rule = f"{endpoint_label(key)} event code must be one of {', '.join(map(str, allowed))}"
        fix = f"recode {event_col} (1 event, 0 censored" + (
            ", 2 competing death)" if key == "cir" else ")"
        )
        if not isinstance(key, str) or key == "cir":
            fix += "; for several competing causes use cohort.cuminc / cohort.finegray"
    bad_event = event_not_number | (known_event & ~ok)
    for pos in np.flatnonzero(bad_event):
        problems.append(
            Problem(
                "bad_event",
                f"{what}: {rule}",
                column=event_col,
                row=int(pos),
                value=_scalar(frame[event_col].iloc[pos]),
                fix=fix,
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
            f"are left out of the {endpoint_label(key)} analysis.",
            DataQualityWarning,
            stacklevel=3,
        )
    # all rows known (the usual case): a shallow copy, whose two replaced columns are new arrays
    out = frame.copy(deep=False) if n_missing == 0 else frame.loc[known].copy()
    out[time_col] = times[known]
    out[event_col] = events[known].astype(np.int64)
    out.attrs = {"n_missing_endpoint": n_missing, "missing_index": missing_index, "endpoint": key}
    return out, time_col, event_col

"""Merge survival times that differ only by floating-point rounding, as R's ``aeqSurv``.

R's ``survfit``, ``survdiff`` and ``coxph`` call ``aeqSurv`` by default (``timefix = TRUE``): times
entered in months and converted to days, or computed as differences of dates stored as fractions,
can differ in the last bits, and two deaths that a clinician records on the same day would otherwise
count as different times (changing risk sets, ties and every number downstream). The rule, from
``survival/R/aeqSurv.R``: sort the distinct finite times (entry and exit times together); a time is
tied to its predecessor when the gap is at most ``tolerance`` in absolute terms or relative to the mean
absolute time; every time is then replaced by the first time of its run of tied values.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TOLERANCE", "aeq_times", "fix_times"]

#: R's default ``sqrt(.Machine$double.eps)``.
TOLERANCE = float(np.sqrt(np.finfo(float).eps))


def aeq_times(
    *columns: np.ndarray | None, tolerance: float = TOLERANCE
) -> tuple[np.ndarray | None, ...]:
    """The columns with nearly equal times merged, as R ``aeqSurv(Surv(...))``.

    Parameters
    ----------
    *columns : numpy.ndarray or None
        Time columns sharing one time scale (exit times, and entry times for delayed entry); None
        entries are passed through. All columns are pooled to find the runs of tied values.
    tolerance : float
        R's ``tolerance`` (``sqrt(.Machine$double.eps)``).

    Returns
    -------
    tuple of numpy.ndarray or None
        The columns, in order, with each time replaced by the first time of its tied run (a copy
        only where something changed).
    """
    present = [np.asarray(c, dtype=float) for c in columns if c is not None]
    if not present:
        return tuple(columns)
    y = np.unique(np.concatenate(present))
    y = y[np.isfinite(y)]
    if len(y) < 2:
        return tuple(columns)
    dy = np.diff(y)
    tied = (dy <= tolerance) | (dy / np.mean(np.abs(y)) <= tolerance)
    if not tied.any():
        return tuple(columns)
    cuts = y[np.concatenate([[True], ~tied])]
    out: list[np.ndarray | None] = []
    for c in columns:
        if c is None:
            out.append(None)
            continue
        arr = np.asarray(c, dtype=float)
        idx = np.searchsorted(cuts, arr, side="right") - 1  # R findInterval
        fixed = np.where(np.isfinite(arr), cuts[np.clip(idx, 0, None)], arr)
        out.append(fixed)
    return tuple(out)


def fix_times(
    time: np.ndarray, entry: np.ndarray | None, *, what: str, entry_col: str | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Exit and entry times merged by :func:`aeq_times`, refusing an interval merged to length 0.

    Raises
    ------
    ModelError
        An entry time became equal to its exit time (R: "aeqSurv exception, an interval has
        effective length 0").
    """
    from cohort.errors import ModelError

    time, entry = aeq_times(time, entry)
    if entry is not None and (entry >= time).any():
        raise ModelError(
            f"{what}: after merging times equal up to rounding (timefix, as R's aeqSurv) an entry "
            f"time equals its exit time in {int((entry >= time).sum())} row(s); correct "
            f"{entry_col} or pass timefix=False."
        )
    return time, entry

"""Group codes and labels shared by the survival and competing-risk estimators.

Groups are labelled as R labels strata (``npm1=True, flt3_itd=False``) and ordered by each column's
categories when it is categorical (so an ordered ELN category keeps favorable < intermediate <
adverse), otherwise by sorted value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cohort.errors import SchemaError


def as_columns(by: str | list[str] | tuple[str, ...] | None, what: str) -> tuple[str, ...]:
    """``by`` as a tuple of column names (empty for None)."""
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    if isinstance(by, list | tuple) and all(isinstance(b, str) for b in by):
        return tuple(by)
    raise SchemaError(f"{what}: by= must be a column name or a list of column names, got {by!r}.")


def ordered_values(series: pd.Series) -> list:
    """The distinct non-missing values in category order (categorical) or sorted order."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [c for c in series.cat.categories if c in present]
    return sorted(series.dropna().unique(), key=lambda v: (str(type(v)), v))


def label(value: object) -> str:
    """A value as R prints it in a stratum label (True, 2, "adverse")."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def group_codes(frame: pd.DataFrame, cols: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer group codes (in category/sorted order of each column) and R-style labels.

    ``frame`` must have no missing value in ``cols`` (callers exclude and count those first).
    """
    if not cols:
        return np.zeros(len(frame), dtype=np.int64), ("all",)
    per_col = []
    for c in cols:
        levels = ordered_values(frame[c])
        lookup = {v: i for i, v in enumerate(levels)}
        per_col.append((levels, frame[c].astype(object).map(lookup).to_numpy(dtype=np.int64)))
    combos = np.stack([codes for _, codes in per_col], axis=1)
    uniq, inverse = np.unique(combos, axis=0, return_inverse=True)
    labels = tuple(
        ", ".join(
            f"{c}={label(per_col[j][0][k])}" for j, (c, k) in enumerate(zip(cols, row, strict=True))
        )
        for row in uniq
    )
    return inverse.reshape(-1).astype(np.int64), labels


def analysable_rows(
    data,
    endpoint,
    by_cols: tuple[str, ...],
    strata_cols: tuple[str, ...],
    what: str,
    *,
    causes: bool = False,
) -> tuple[pd.DataFrame, str, str, dict[str, int], list[str]]:
    """Rows with a known endpoint and known grouping values, and the account of the others.

    Returns ``(frame, time_col, event_col, excluded, notes)``: ``excluded`` counts patients left out
    by reason (``missing_endpoint``, ``missing_group``) and ``notes`` says so in words. Leaving out
    patients with a missing group warns (:class:`~cohort.errors.DataQualityWarning`). ``endpoint``
    is a schema name or a ``(time_column, event_column)`` pair; ``causes`` accepts event codes
    ``0..k`` (competing risks) instead of 0/1.
    """
    import warnings

    from cohort._endpoint import endpoint_arrays
    from cohort.errors import DataQualityWarning, ModelError

    frame, tcol, ecol = endpoint_arrays(
        data, endpoint, what=what, required=by_cols + strata_cols, causes=causes
    )
    excluded: dict[str, int] = {}
    notes: list[str] = []
    n_missing = frame.attrs.get("n_missing_endpoint", 0)
    if n_missing:
        excluded["missing_endpoint"] = n_missing
        notes.append(f"{n_missing} patient(s) without {tcol}/{ecol} left out.")
    grouping = by_cols + strata_cols
    if grouping:
        miss = frame[list(grouping)].isna().any(axis=1).to_numpy()
        if miss.any():
            k = int(miss.sum())
            excluded["missing_group"] = k
            msg = f"{k} patient(s) with missing {', '.join(grouping)} left out."
            notes.append(msg)
            warnings.warn(f"{what}: {msg}", DataQualityWarning, stacklevel=4)
            frame = frame.loc[~miss]
    if len(frame) == 0:
        raise ModelError(
            f"{what}: no patient has a known {tcol}, {ecol}"
            + (f" and {', '.join(grouping)}." if grouping else ".")
        )
    return frame, tcol, ecol, excluded, notes

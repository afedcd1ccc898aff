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

    ``frame`` must have no missing value in ``cols`` (callers exclude and count those first). Each
    column is factorised once (its few distinct values are ranked, not every row mapped) and the
    columns combine into one mixed-radix integer, so no row-wise ``np.unique(axis=0)`` is needed.
    """
    n = len(frame)
    if not cols:
        return np.zeros(n, dtype=np.int64), ("all",)
    combined = np.zeros(n, dtype=np.int64)
    levels_per_col = []
    for c in cols:
        series = frame[c]
        levels = ordered_values(series)
        if isinstance(series.dtype, pd.CategoricalDtype):
            cats = series.cat.categories
            rank_of_cat = np.full(len(cats), -1, dtype=np.int64)
            rank_of_cat[cats.get_indexer(levels)] = np.arange(len(levels))
            codes = rank_of_cat[series.cat.codes.to_numpy()]
        else:
            row_codes, uniques = pd.factorize(series)
            lookup = {v: i for i, v in enumerate(levels)}
            codes = np.array([lookup[v] for v in uniques], dtype=np.int64)[row_codes]
        combined = combined * len(levels) + codes
        levels_per_col.append(levels)
    radix = int(np.prod([len(levels) for levels in levels_per_col], dtype=float))
    if radix <= 4 * n + 1024:  # few combinations: dense codes by a count, not a sort
        seen = np.bincount(combined, minlength=radix) > 0
        present = np.flatnonzero(seen)
        inverse = (np.cumsum(seen) - 1)[combined]
    else:
        present, inverse = np.unique(combined, return_inverse=True)
    labels = []
    for code in present.tolist():
        digits = []
        for levels in reversed(levels_per_col):
            code, k = divmod(code, len(levels))
            digits.append(levels[k])
        values = digits[::-1]
        labels.append(", ".join(f"{c}={label(v)}" for c, v in zip(cols, values, strict=True)))
    return inverse.reshape(-1).astype(np.int64), tuple(labels)


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

    from cohort.errors import DataQualityWarning, ModelError
    from cohort.survival.endpoint import endpoint_arrays

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


def case_columns(
    frame: pd.DataFrame,
    time_col: str,
    *,
    weights: str | None,
    entry: str | None,
    what: str,
) -> tuple[pd.DataFrame, np.ndarray | None, np.ndarray | None, dict[str, int]]:
    """Case weights and delayed-entry times (R ``weights=``, ``Surv(entry, time, event)``).

    Rows with a missing weight or entry time are left out and counted (``missing_weights``,
    ``missing_entry``), as R's ``na.action`` does; impossible values raise.

    Returns
    -------
    frame : pandas.DataFrame
        The rows kept.
    weights, entry : numpy.ndarray or None
        Float arrays aligned with ``frame`` (None when the argument was None).
    excluded : dict
        Counts of rows left out, by reason.

    Raises
    ------
    SchemaError
        A named column is absent.
    CohortValidationError
        A weight that is negative or not a number, or an entry time not before the exit time
        (R: "Stop time must be > start time").
    """
    from cohort.errors import CohortValidationError, Problem
    from cohort.survival.endpoint import _scalar

    excluded: dict[str, int] = {}
    arrays: dict[str, np.ndarray] = {}
    for role, col in (("weights", weights), ("entry", entry)):
        if col is None:
            continue
        if not isinstance(col, str) or col not in frame.columns:
            raise SchemaError(
                f"{what}: {role}={col!r} must name a column of the data; columns include "
                f"{', '.join(map(str, list(frame.columns)[:12]))}."
            )
        raw = frame[col]
        values = pd.to_numeric(raw.astype(object), errors="coerce").to_numpy(dtype=float)
        not_number = raw.notna().to_numpy() & np.isnan(values)
        if role == "weights":
            bad = not_number | (values < 0) | np.isinf(values)
            rule, fix = "a case weight must be a finite number >= 0", f"correct {col}"
        else:
            bad = not_number | np.isinf(values) | (values >= frame[time_col].to_numpy(float))
            rule = f"an entry time must be a number before the exit time {time_col}"
            fix = f"correct {col} or {time_col} (a patient cannot enter the risk set after leaving it)"
        if bad.any():
            raise CohortValidationError(
                [
                    Problem(
                        f"bad_{role}",
                        f"{what}: {rule}",
                        column=col,
                        row=int(pos),
                        value=_scalar(raw.iloc[pos]),
                        fix=fix,
                    )
                    for pos in np.flatnonzero(bad)
                ]
            )
        arrays[role] = values
    keep = np.ones(len(frame), dtype=bool)
    for role, values in arrays.items():
        miss = np.isnan(values) & keep
        if miss.any():
            excluded[f"missing_{role}"] = int(miss.sum())
        keep &= ~np.isnan(values)
    if not keep.all():
        import warnings

        from cohort.errors import DataQualityWarning

        warnings.warn(
            f"{what}: "
            + ", ".join(
                f"{k} patient(s) with a missing {r[8:]} left out" for r, k in excluded.items()
            )
            + ".",
            DataQualityWarning,
            stacklevel=4,
        )
    w = arrays["weights"][keep] if "weights" in arrays else None
    e = arrays["entry"][keep] if "entry" in arrays else None
    return (frame if keep.all() else frame.loc[keep]), w, e, excluded

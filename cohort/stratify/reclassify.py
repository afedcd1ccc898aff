"""Cross-tabulate two classifications of the same patients and count who moved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cohort.cohort import Cohort, as_frame
from cohort.errors import ClassificationError

UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class Reclassification:
    """Result of :func:`reclassify`.

    Attributes
    ----------
    from_system, to_system : str
        What was compared (system names or column names).
    counts : pandas.DataFrame
        Patients by ``from`` category (rows) and ``to`` category (columns); undetermined patients
        have their own ``"undetermined"`` row and column. Row and column totals are not included.
    row_percent : pandas.DataFrame
        ``counts`` as percentages of each row (each row with patients sums to 100).
    n_moved : int
        Patients determined in both systems whose category differs.
    n_compared : int
        Patients determined in both systems.
    fraction_moved : float
        ``n_moved / n_compared`` (NaN when nobody is determined in both).
    per_patient : pandas.DataFrame
        Indexed like the input: ``from``, ``to`` (missing when undetermined) and ``moved``
        (nullable boolean, missing when either side is undetermined). No patient identifiers.
    """

    from_system: str
    to_system: str
    counts: pd.DataFrame = field(repr=False)
    row_percent: pd.DataFrame = field(repr=False)
    n_moved: int
    n_compared: int
    fraction_moved: float
    per_patient: pd.DataFrame = field(repr=False)

    @property
    def percent_moved(self) -> float:
        """``fraction_moved`` x 100."""
        return 100.0 * self.fraction_moved

    def __str__(self) -> str:
        return (
            f"{self.from_system} -> {self.to_system}: {self.n_moved} of {self.n_compared} patients "
            f"determined in both moved ({self.percent_moved:.1f}%).\n{self.counts.to_string()}"
        )


def _labels(frame: pd.DataFrame, data: Any, system: str, options: dict[str, Any]) -> pd.Series:
    if not isinstance(system, str):
        raise ClassificationError(
            f"reclassify expects system names or column names (str), got {type(system).__name__}."
        )
    if system in frame.columns:
        if options:
            raise ClassificationError(
                f"{system!r} is a column of the data; options apply only to system names."
            )
        return frame[system]
    try:
        from cohort.stratify import classify
    except ImportError as exc:  # the registry lives in cohort/stratify/__init__.py
        raise ClassificationError(
            f"{system!r} is not a column of the data and the classification registry "
            "(cohort.classify) is not available."
        ) from exc
    result = classify(data, system, **options)
    category = result["category"] if isinstance(result, pd.DataFrame) else result
    return pd.Series(category, index=frame.index)


def _order(raw: pd.Series) -> list[str]:
    """Categories in the order of an (ordered) categorical, otherwise sorted."""
    present = set(raw.dropna().astype(str))
    if isinstance(raw.dtype, pd.CategoricalDtype):
        return [str(c) for c in raw.cat.categories if str(c) in present]
    return sorted(present)


def reclassify(
    data: Cohort | pd.DataFrame,
    from_system: str,
    to_system: str,
    *,
    from_options: dict[str, Any] | None = None,
    to_options: dict[str, Any] | None = None,
) -> Reclassification:
    """Cross-table of two classifications with counts, row percentages and patients moved.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        Canonical table.
    from_system, to_system : str
        A system name passed to :func:`cohort.classify` (e.g. ``"eln2017"``, ``"icc2022"``) or
        the name of a column of ``data`` that already holds categories.
    from_options, to_options : dict, optional
        Options for the two classifications.

    Returns
    -------
    Reclassification
        Undetermined patients (missing category) are counted in their own ``"undetermined"`` row
        and column and are not counted as moved.
    """
    frame = as_frame(data, what="reclassify")
    src_raw = _labels(frame, data, from_system, dict(from_options or {}))
    dst_raw = _labels(frame, data, to_system, dict(to_options or {}))
    rows, cols = _order(src_raw), _order(dst_raw)
    src, dst = src_raw.astype("string"), dst_raw.astype("string")
    rows.append(UNDETERMINED)
    cols.append(UNDETERMINED)
    counts = pd.crosstab(
        pd.Categorical(src.fillna(UNDETERMINED), categories=rows),
        pd.Categorical(dst.fillna(UNDETERMINED), categories=cols),
        dropna=False,
    )
    counts = counts.reindex(index=rows, columns=cols, fill_value=0).astype(int)
    counts.index.name = f"from: {from_system}"
    counts.columns.name = f"to: {to_system}"
    totals = counts.sum(axis=1)
    row_percent = counts.div(totals.where(totals > 0), axis=0) * 100.0

    both = src.notna() & dst.notna()
    moved = (src != dst).astype("boolean").where(both, pd.NA)
    n_compared = int(both.sum())
    n_moved = int(moved.fillna(False).sum())
    per_patient = pd.DataFrame({"from": src, "to": dst, "moved": moved}, index=frame.index)
    return Reclassification(
        from_system=from_system,
        to_system=to_system,
        counts=counts,
        row_percent=row_percent,
        n_moved=n_moved,
        n_compared=n_compared,
        fraction_moved=n_moved / n_compared if n_compared else float("nan"),
        per_patient=per_patient,
    )


__all__ = ["Reclassification", "reclassify"]

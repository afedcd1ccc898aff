"""The rows the Kaplan-Meier family analyses: one endpoint, group and stratum codes.

:func:`_prepare` is the common first step of :func:`cohort.km`, :func:`cohort.logrank`,
:func:`cohort.logrank_trend`, :func:`cohort.pairwise_logrank`, :func:`cohort.rmst` and
:func:`cohort.median_follow_up` (and of their Dask paths): the analysable rows of the endpoint
(every row left out counted with its reason), case weights and delayed entry, R's ``aeqSurv``
time fix, and integer codes of the groups and strata.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort.cohort import Cohort
from cohort.errors import ModelError
from cohort.survival.grouping import analysable_rows, case_columns
from cohort.survival.grouping import as_columns as _as_columns
from cohort.survival.grouping import group_codes as _group_codes
from cohort.survival.timefix import fix_times


@dataclass(frozen=True)
class _Prepared:
    time: np.ndarray
    event: np.ndarray
    group_codes: np.ndarray  # int codes into labels
    labels: tuple[str, ...]
    strata_codes: np.ndarray | None
    excluded: dict[str, int]
    notes: tuple[str, ...]
    by: tuple[str, ...]
    weights: np.ndarray | None = None  # case weights (R weights=)
    entry: np.ndarray | None = None  # delayed-entry times (R Surv(entry, time, event))

    def subset(
        self, mask: np.ndarray, group_codes: np.ndarray, labels: tuple[str, ...]
    ) -> _Prepared:
        """The rows in ``mask`` with new group codes (for a pair of groups)."""
        return _Prepared(
            self.time[mask],
            self.event[mask],
            group_codes,
            labels,
            None if self.strata_codes is None else self.strata_codes[mask],
            {},
            (),
            self.by,
            None if self.weights is None else self.weights[mask],
            None if self.entry is None else self.entry[mask],
        )

    def rows(self, mask: np.ndarray) -> tuple[np.ndarray, ...]:
        """``time, event, weights, entry`` of the rows in ``mask`` (weights/entry may be None)."""
        return (
            self.time[mask],
            self.event[mask],
            None if self.weights is None else self.weights[mask],
            None if self.entry is None else self.entry[mask],
        )


def _prepare(
    data: Cohort | pd.DataFrame,
    endpoint: str,
    by: str | list[str] | tuple[str, ...] | None,
    strata: str | list[str] | tuple[str, ...] | None,
    what: str,
    *,
    weights: str | None = None,
    entry: str | None = None,
    timefix: bool = True,
) -> _Prepared:
    by_cols = _as_columns(by, what)
    strata_cols = _as_columns(strata, what)
    if isinstance(endpoint, str) and endpoint.lower() == "cir":
        raise ModelError(
            f"{what}: 'cir' is a competing-risks endpoint (relapse vs death in CR); 1 - Kaplan-Meier "
            "overestimates its incidence. Use cohort.cuminc(data, endpoint='cir') instead."
        )
    frame, tcol, ecol, excluded, notes = analysable_rows(data, endpoint, by_cols, strata_cols, what)
    frame, wts, ent, more = case_columns(frame, tcol, weights=weights, entry=entry, what=what)
    if more:
        excluded.update(more)
        notes.append(
            ", ".join(f"{k} patient(s) with a missing {r[8:]} left out" for r, k in more.items())
            + "."
        )
        if len(frame) == 0:
            raise ModelError(f"{what}: no patient is left to analyse.")
    time = frame[tcol].to_numpy(dtype=float)
    if timefix:
        time, ent = fix_times(time, ent, what=what, entry_col=entry)
    codes, labels = _group_codes(frame, by_cols)
    scodes = _group_codes(frame, strata_cols)[0] if strata_cols else None
    return _Prepared(
        time=time,
        event=frame[ecol].to_numpy(dtype=np.int64),
        group_codes=codes,
        labels=labels,
        strata_codes=scodes,
        excluded=excluded,
        notes=tuple(notes),
        by=by_cols,
        weights=wts,
        entry=ent,
    )

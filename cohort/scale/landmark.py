"""Landmark analysis of a Dask cohort: a lazy filter, then the distributed analyses.

The patients still at risk after the landmark are selected with a lazy filter on the cluster
(their times shifted to start at the landmark), and the Kaplan-Meier, Cox or cumulative incidence
of :mod:`cohort.scale` run on that filtered dask DataFrame (Kaplan-Meier and Cox, or cumulative
incidence and Fine-Gray). The counts of patients left out are computed in one pass. The result is a
:class:`cohort.survival.landmark.LandmarkResult` whose ``data`` is the (lazy) landmark dask DataFrame.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cohort.errors import DataQualityWarning, ModelError, SchemaError
from cohort.scale.dispatch import NotDistributed, dask_frame
from cohort.survival.endpoint import endpoint_columns, endpoint_key

if TYPE_CHECKING:  # pragma: no cover
    from cohort.survival.landmark import LandmarkResult

__all__ = ["landmark"]


def landmark(
    data: Any,
    at_days: float,
    by: str | list[str] | pd.Series,
    endpoint: str = "os",
    *,
    adjust: str | None = None,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> LandmarkResult:
    """:func:`cohort.landmark` of a Dask cohort (a ``LandmarkResult``; ``data`` stays lazy)."""
    import dask

    from cohort.survival.landmark import _estimates

    what = "cohort.landmark"
    if isinstance(by, pd.Series):
        raise NotDistributed("by= given as a pandas Series")
    try:
        at = float(at_days)
    except (TypeError, ValueError):
        raise ModelError(f"{what}: at_days must be a number of days, got {at_days!r}.") from None
    if not np.isfinite(at) or at < 0:
        raise ModelError(f"{what}: at_days must be a non-negative number of days, got {at_days!r}.")
    key = endpoint_key(endpoint, what=what)
    by_cols = (by,) if isinstance(by, str) else tuple(by)
    frame0 = dask_frame(data)
    tcol, ecol = endpoint_columns(key, what=what)
    missing = [c for c in by_cols if c not in frame0.columns]
    if missing:
        raise SchemaError(f"{what}: by= column(s) {', '.join(map(repr, missing))} not in the data.")
    t, e = frame0[tcol].astype("float64"), frame0[ecol].astype("float64")
    known = t.notnull() & e.notnull()
    before = known & (t <= at)
    after = known & (t > at)
    grouped = after
    for c in by_cols:
        grouped = grouped & frame0[c].notnull()
    n_input, n_missing, n_ev_before, n_cens_before, n_after, n_grouped, max_code = dask.compute(
        frame0.shape[0],
        (~known).sum(),
        (before & (e > 0)).sum(),
        (before & (e <= 0)).sum(),
        after.sum(),
        grouped.sum(),
        e.max(),
    )
    causes = not isinstance(key, str) or key == "cir"
    competing = key == "cir" or (causes and bool(max_code > 1))
    excluded: dict[str, int] = {}
    notes: list[str] = []
    if n_missing:
        excluded["missing_endpoint"] = int(n_missing)
        notes.append(f"{int(n_missing)} patient(s) without {tcol}/{ecol} left out.")
    excluded["event_before_landmark"] = int(n_ev_before)
    excluded["censored_before_landmark"] = int(n_cens_before)
    notes.append(
        f"landmark at {at:g} days: {int(n_ev_before)} patient(s) with an event and "
        f"{int(n_cens_before)} censored at or before it left out."
    )
    if n_after > n_grouped:
        k = int(n_after - n_grouped)
        excluded["missing_group"] = k
        msg = f"{k} patient(s) at risk at the landmark with missing {', '.join(by_cols)} left out."
        notes.append(msg)
        warnings.warn(f"{what}: {msg}", DataQualityWarning, stacklevel=3)
    if n_grouped == 0:
        raise ModelError(f"{what}: no patient is at risk after day {at:g} with a known {by_cols}.")
    frame = frame0[grouped]
    frame = frame.assign(**{tcol: frame[tcol].astype("float64") - at})

    return _estimates(frame, key, by_cols, adjust, competing, conf_level, conf_type, what,
                      excluded, at, n_input, notes)  # fmt: skip

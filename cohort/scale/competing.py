"""Cumulative incidence and Gray's test of a Dask cohort from per-time counts by cause.

The Aalen-Johansen cumulative incidence, cmprsk's variance and Gray's test depend on the patients
only through the number at risk and the events of each cause per (group, stratum, distinct time).
One ``groupby(...).size()`` on the cluster gives those counts (:func:`cohort.scale.survival.compress`);
the client computes the curves with cmprsk's variance (:func:`cohort.competing_risks._cmprsk_variance`,
the in-memory code) and Gray's test with :func:`cohort._gray.gray_test` given the counts as row
weights. The result is a :class:`cohort.competing_risks.CumulativeIncidenceResult` equal to the
in-memory one.

Fine-Gray regression is in :mod:`cohort.scale.finegray`.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cohort._arguments import check_conf_level
from cohort._endpoint import endpoint_key
from cohort._gray import gray_test
from cohort.errors import DataQualityWarning, ModelError, StatisticalWarning
from cohort.scale.survival import COUNT, _columns, compress

if TYPE_CHECKING:  # pragma: no cover
    from cohort.competing_risks import CumulativeIncidenceResult

__all__ = ["cuminc"]


def _group_table_counts(
    time: np.ndarray, status: np.ndarray, w: np.ndarray, causes: tuple[int, ...]
) -> pd.DataFrame:
    """:func:`cohort.competing_risks._group_table` from rows weighted by patient counts.

    The cumulative incidence is Aalen-Johansen's ``sum S(t-) d_c(t) / n(t)`` (what statsmodels'
    ``CumIncidenceRight`` computes in memory); the variance is cmprsk's, by the in-memory code.
    """
    from cohort.competing_risks import _cmprsk_variance

    utimes, inverse = np.unique(time, return_inverse=True)
    n_t = len(utimes)
    removed = np.bincount(inverse, weights=w, minlength=n_t)
    at_risk = removed.sum() - np.r_[0, np.cumsum(removed)[:-1]]
    counts = {c: np.bincount(inverse, weights=w * (status == c), minlength=n_t) for c in causes}
    d_all = sum(counts.values())
    with np.errstate(divide="ignore", invalid="ignore"):
        km_after = np.cumprod(np.where(at_risk > 0, 1 - d_all / at_risk, 1.0))
    km_before = np.r_[1.0, km_after[:-1]]
    cifs = {c: np.cumsum(km_before * counts[c] / at_risk) for c in causes}
    extinct = np.maximum.accumulate(at_risk == d_all)
    surv_after = np.where(extinct, 0.0, np.clip(1.0 - sum(cifs.values()), 0.0, 1.0))
    surv_before = np.r_[1.0, surv_after[:-1]]
    rows = []
    for c in causes:
        d_cause = counts[c]
        var = _cmprsk_variance(at_risk, d_cause, d_all - d_cause, surv_before, surv_after, cifs[c])
        rows.append(
            pd.DataFrame(
                {
                    "event": c,
                    "time": utimes,
                    "at_risk": np.rint(at_risk).astype(np.int64),
                    "events": np.rint(d_cause).astype(np.int64),
                    "competing": np.rint(d_all - d_cause).astype(np.int64),
                    "censored": np.rint(removed - d_all).astype(np.int64),
                    "cif": cifs[c],
                    "var": var,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def cuminc(
    data: Any,
    endpoint: Any = "cir",
    by: str | list[str] | None = None,
    *,
    strata: str | list[str] | None = None,
    rho: float = 0.0,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> CumulativeIncidenceResult:
    """:func:`cohort.cuminc` of a Dask cohort (a ``CumulativeIncidenceResult``)."""
    from cohort.competing_risks import _CONF_TYPES, CumulativeIncidenceResult, _limits, _prepare

    what = "cohort.cuminc"
    if conf_type not in _CONF_TYPES:
        raise ModelError(f"{what}: conf_type={conf_type!r}; use one of {', '.join(_CONF_TYPES)}.")
    conf_level = check_conf_level(conf_level, what)
    if not np.isfinite(rho):
        raise ModelError(f"{what}: rho must be a finite number, got {rho!r}.")
    counts, excluded = compress(data, endpoint, _columns(by) + _columns(strata), what)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        prep = _prepare(counts, endpoint, by, strata, what)
    if len(prep.time) != len(counts):  # pragma: no cover - compress keeps known rows only
        raise ModelError(f"{what}: the aggregated rows lost some patients.")
    w = counts[COUNT].to_numpy(dtype=float)
    curves, table = [], []
    for code, label in enumerate(prep.labels):
        m = prep.group_codes == code
        n = int(np.rint(w[m].sum()))
        tab = _group_table_counts(prep.time[m], prep.status[m], w[m], prep.causes)
        for c, part in tab.groupby("event", sort=True):
            table.append((label, int(c), n, int(part["events"].sum())))
            if part["time"].iloc[0] > 0:
                start = pd.DataFrame(
                    {"event": [c], "time": [0.0], "at_risk": [n], "events": [0], "competing": [0],
                     "censored": [0], "cif": [0.0], "var": [0.0]}
                )  # fmt: skip
                part = pd.concat([start, part], ignore_index=True)
            curves.append(part.assign(group=label))
    curves_df = pd.concat(curves, ignore_index=True)
    curves_df["std_err"] = np.sqrt(curves_df["var"])
    curves_df["lower"], curves_df["upper"] = _limits(
        curves_df["cif"].to_numpy(), curves_df["var"].to_numpy(), conf_level, conf_type
    )
    curves_df = curves_df[
        ["group", "event", "time", "cif", "lower", "upper", "var", "std_err", "at_risk", "events",
         "competing", "censored"]
    ]  # fmt: skip
    test = None
    if len(prep.labels) > 1:
        rows = []
        for c in prep.causes:
            g = gray_test(
                prep.time, prep.status, prep.group_codes, c, strata=prep.strata_codes, rho=rho,
                weights=w,
            )  # fmt: skip
            if np.isnan(g.statistic):
                warnings.warn(
                    f"{what}: Gray's test for event {c} is undefined (singular variance).",
                    StatisticalWarning,
                    stacklevel=3,
                )
            rows.append((c, g.statistic, g.dof, g.p_value))
        test = pd.DataFrame(rows, columns=["event", "statistic", "dof", "p_value"])
    for label, c, _, ev in table:
        if ev == 0:
            warnings.warn(
                f"{what}: group {label} has no events of type {c}.", StatisticalWarning, 3
            )
    notes = tuple(f"{k} patient(s) left out ({r.replace('_', ' ')})." for r, k in excluded.items())
    return CumulativeIncidenceResult(
        curves=curves_df,
        table=pd.DataFrame(table, columns=["group", "event", "n", "events"]),
        test=test,
        excluded=excluded,
        notes=notes,
        endpoint=endpoint_key(endpoint),
        by=prep.by,
        strata=prep.strata,
        rho=float(rho),
        conf_level=conf_level,
        conf_type=conf_type,
    )

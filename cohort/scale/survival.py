"""Kaplan-Meier, log-rank tests and RMST of a Dask cohort from per-time counts.

These estimators depend on the patients only through the number of events and of censorings per
(stratum, group, distinct time). One ``groupby(...).size()`` on the cluster compresses the cohort
into those counts; the client then runs the *in-memory* code (:func:`cohort.survival.kaplan_meier._km_table`,
``_logrank_prepared``, ``_pairwise_prepared``) on the compressed rows with the counts as integer
case weights, which R and the in-memory code treat as replicated patients. The results are the
result classes of :func:`cohort.km`, :func:`cohort.logrank`, :func:`cohort.pairwise_logrank` and
:func:`cohort.rmst`, equal to the in-memory ones.

Case ``weights`` and delayed ``entry`` aggregate too (:func:`compress`): the entry time is one more
key of the compression, and each compressed row carries the sum of its patients' weights (the
case weight the in-memory code sees), their minimum (the check of negative weights) and, for R's
infinitesimal-jackknife variance of a Kaplan-Meier curve with non-integer weights, their sum of
squares.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cohort._arguments import check_conf_level
from cohort.errors import DataQualityWarning, ModelError, SchemaError
from cohort.scale.dispatch import dask_frame
from cohort.survival.endpoint import endpoint_columns, endpoint_key, endpoint_label

if TYPE_CHECKING:  # pragma: no cover
    from cohort.survival.kaplan_meier import KaplanMeierResult
    from cohort.survival.log_rank import LogRankResult
    from cohort.survival.restricted_mean import RMSTResult

__all__ = [
    "compress",
    "km",
    "km_prepared",
    "logrank",
    "pairwise_logrank",
    "prepared_counts",
    "rmst",
]

COUNT = "_n patients"  # the weight column of the compressed rows (cannot clash: has a space)
WSUM, WMIN = "_w sum", "_w min"  # sums and minima of the case weights per compressed row
W2SUM, NONINT = "_w2 sum", "_w nonint"  # sums of squared weights, non-integer weights


def _columns(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def compress(
    data: Any,
    endpoint: str,
    columns: list[str],
    what: str,
    *,
    causes: bool = False,
    weights: str | None = None,
    entry: str | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Count patients per distinct (columns, entry, time, event) on the cluster.

    With case ``weights`` each row also carries the sum (:data:`WSUM`), the smallest (:data:`WMIN`,
    for the check of negative weights), the sum of squares (:data:`W2SUM`) and the number of
    non-integer values (:data:`NONINT`) of its patients' weights (R's Kaplan-Meier variance is
    the infinitesimal jackknife's, from the squared weights, when a weight is not an integer),
    and with delayed
    ``entry`` the entry time is one more key. Patients with a missing weight or entry time are
    left out and counted (``missing_weights``, ``missing_entry``), as in memory.

    Returns
    -------
    counts : pandas.DataFrame
        ``columns``, the endpoint's time and event columns and :data:`COUNT`, one row per distinct
        combination among the patients with a known endpoint and known ``columns``.
    excluded : dict
        ``missing_endpoint`` and ``missing_group`` patients left out (announced by a
        DataQualityWarning, as in memory).
    """
    import dask

    frame = dask_frame(data)
    key = endpoint_key(endpoint, what=what)
    tcol, ecol = endpoint_columns(key, what=what)
    case = [c for c in (weights, entry) if c is not None]
    lacking = [c for c in [tcol, ecol, *columns, *case] if c not in frame.columns]
    if lacking:
        raise SchemaError(f"{what}: the data lack column(s) {', '.join(lacking)}.")
    sub = frame[list(dict.fromkeys([tcol, ecol, *columns, *case]))]
    known = sub[tcol].notnull() & sub[ecol].notnull()
    grouped = known
    for c in columns:
        grouped = grouped & sub[c].notnull()
    use, missing_case = grouped, {}
    for role, c in (("weights", weights), ("entry", entry)):
        if c is not None:  # as cohort.survival.grouping.case_columns: weights first, then entry
            missing_case[f"missing_{role}"] = (use & sub[c].isnull()).sum()
            use = use & sub[c].notnull()
    keys = list(dict.fromkeys([*columns, *([entry] if entry else []), tcol, ecol]))
    rows = sub[use].assign(**{COUNT: 1})
    if weights is None:
        agg = rows.groupby(keys, observed=True)[COUNT].sum()
    else:
        w = rows[weights].astype("float64")
        rows = rows.assign(**{WSUM: w, WMIN: w, W2SUM: w * w, NONINT: (w != w.round()) * 1})
        agg = rows.groupby(keys, observed=True).agg(
            {COUNT: "sum", WSUM: "sum", WMIN: "min", W2SUM: "sum", NONINT: "sum"}
        )
    counts, n_missing, n_group, n_case = dask.compute(
        agg, (~known).sum(), (known & ~grouped).sum(), missing_case
    )
    counts = counts.reset_index().sort_values(keys, ignore_index=True)
    excluded: dict[str, int] = {}
    if n_missing:
        excluded["missing_endpoint"] = int(n_missing)
        warnings.warn(
            f"{what}: {int(n_missing)} patient(s) have no {tcol} or {ecol} and are left out of "
            f"the {endpoint_label(key)} analysis.",
            DataQualityWarning,
            stacklevel=4,
        )
    if n_group:
        excluded["missing_group"] = int(n_group)
        warnings.warn(
            f"{what}: {int(n_group)} patient(s) with a missing {', '.join(columns)} left out.",
            DataQualityWarning,
            stacklevel=4,
        )
    n_case = {k: int(v) for k, v in n_case.items() if v}
    if n_case:
        excluded.update(n_case)
        warnings.warn(
            f"{what}: "
            + ", ".join(
                f"{k} patient(s) with a missing {r[8:]} left out" for r, k in n_case.items()
            )
            + ".",
            DataQualityWarning,
            stacklevel=4,
        )
    if len(counts) == 0:
        raise ModelError(f"{what}: no patient has a known {tcol}, {ecol}.")
    return counts, excluded


def _prepared(data, endpoint, by, strata, what, timefix=True, weights=None, entry=None):
    """The in-memory ``_Prepared`` of the compressed rows (weighted by their patient counts, or
    by their sums of case weights) and each row's number of patients."""
    columns = _columns(by) + _columns(strata)
    counts, excluded = compress(data, endpoint, columns, what, weights=weights, entry=entry)
    return prepared_counts(counts, excluded, endpoint, by, strata, what, timefix, weights, entry)


def prepared_counts(
    counts, excluded, endpoint, by, strata, what, timefix=True, weights=None, entry=None
):
    """The in-memory ``_Prepared`` of rows compressed by :func:`compress`, and each row's number
    of patients. A negative case weight raises as in memory (naming the compressed row)."""
    from cohort.survival.grouping import case_columns
    from cohort.survival.prepared import _prepare

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        if weights is not None:
            tcol = endpoint_columns(endpoint, what=what)[0]
            case_columns(counts, tcol, weights=WMIN, entry=None, what=what)
        wcol = COUNT if weights is None else WSUM
        prep = _prepare(
            counts, endpoint, by, strata, what, weights=wcol, entry=entry, timefix=timefix
        )
    notes = tuple(f"{k} patient(s) left out ({r.replace('_', ' ')})." for r, k in excluded.items())
    if len(prep.time) != len(counts):  # pragma: no cover - compress keeps known rows only
        raise ModelError(f"{what}: the aggregated rows lost some patients.")
    return replace(prep, excluded=excluded, notes=notes), counts


def _group_n(prep, rows) -> np.ndarray:
    n = rows[COUNT].to_numpy(dtype=float)
    return np.rint(np.bincount(prep.group_codes, weights=n, minlength=len(prep.labels)))


def _ij_variance(tab, m, prep, rows, conf_level, conf_type) -> pd.DataFrame:
    """The group's table with R's infinitesimal-jackknife SE (``cohort.survival.kaplan_meier._km_ij_std_err``, which
    reads the weights only squared: the rows' sums of squared weights stand for their patients)
    and non-integer counts, as in memory when a patient's weight is not an integer."""
    from cohort.survival.kaplan_meier import _confint, _km_ij_std_err

    time, event, _, ent = prep.rows(m)
    tab = tab.astype({c: float for c in ("at_risk", "events", "censored")})
    t, d, n = (tab[c].to_numpy(dtype=float) for c in ("time", "events", "at_risk"))
    root_w2 = np.sqrt(rows[W2SUM].to_numpy(dtype=float)[m])
    se = _km_ij_std_err(t, d, n, time, event, root_w2, ent)
    tab["std_err"] = se
    tab["lower"], tab["upper"] = _confint(tab["survival"].to_numpy(), se, conf_level, conf_type)
    return tab


def _fix_n(result, prep, n):
    groups = result.groups.copy()
    groups["n"] = _group_n(prep, n).astype(np.int64)
    return replace(result, groups=groups)


def km(
    data: Any,
    endpoint: str = "os",
    by: str | list[str] | None = None,
    *,
    strata: str | list[str] | None = None,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    rho: float = 0.0,
    weights: str | None = None,
    entry: str | None = None,
    timefix: bool = True,
) -> KaplanMeierResult:
    """:func:`cohort.km` of a Dask cohort (a :class:`cohort.survival.kaplan_meier.KaplanMeierResult`)."""
    from cohort.survival.kaplan_meier import _CONF_TYPES
    from cohort.survival.log_rank import _check_rho

    if conf_type not in _CONF_TYPES:
        raise ModelError(f"conf_type={conf_type!r}: use one of {', '.join(_CONF_TYPES)}.")
    conf_level = check_conf_level(conf_level, "cohort.km")
    rho = _check_rho(rho)
    prep, n = _prepared(data, endpoint, by, strata, "cohort.km", timefix, weights, entry)
    return km_prepared(prep, n, endpoint, conf_level, conf_type, rho, "cohort.km", weights)


def km_prepared(
    prep, n, endpoint, conf_level, conf_type, rho, what, weights=None
) -> KaplanMeierResult:
    """The :class:`~cohort.survival.kaplan_meier.KaplanMeierResult` of compressed rows (``n`` patients each;
    their counts, or with user ``weights`` their weight sums, as case weights)."""
    from cohort.survival.kaplan_meier import (
        _group_curve,
        _km_frames,
        _km_result,
        _km_table,
        _median_row,
    )
    from cohort.survival.log_rank import _logrank_prepared

    n_group = _group_n(prep, n)
    summary, curves = [], []
    for code, label in enumerate(prep.labels):
        m = prep.group_codes == code
        time, event, wts, ent = prep.rows(m)
        tab = _km_table(time, event, conf_level, conf_type, weights=wts, entry=ent)
        if weights is not None and n[NONINT].to_numpy()[m].any():
            tab = _ij_variance(tab, m, prep, n, conf_level, conf_type)
        med, lo, up = _median_row(tab)
        events = int(np.rint(wts @ event)) if weights is None else float(wts @ event)
        summary.append((label, int(n_group[code]), events, med, lo, up))
        curves.append(_group_curve(label, int(n_group[code]), tab))
    table, curves_df = _km_frames(summary, curves)
    test = None
    if prep.by and len(prep.labels) > 1:
        test = _fix_n(_logrank_prepared(prep, rho), prep, n)
    return _km_result(prep, table, curves_df, test, endpoint, conf_level, conf_type, rho, what, 4)


def logrank(
    data: Any,
    by: str | list[str],
    endpoint: str = "os",
    *,
    strata: str | list[str] | None = None,
    rho: float = 0.0,
    weights: str | None = None,
    entry: str | None = None,
    timefix: bool = True,
) -> LogRankResult:
    """:func:`cohort.logrank` of a Dask cohort (a :class:`cohort.survival.log_rank.LogRankResult`)."""
    from cohort.survival.log_rank import _check_rho, _logrank_prepared

    rho = _check_rho(rho)
    prep, n = _prepared(data, endpoint, by, strata, "cohort.logrank", timefix, weights, entry)
    return _fix_n(_logrank_prepared(prep, rho), prep, n)


def pairwise_logrank(
    data: Any,
    by: str | list[str],
    endpoint: str = "os",
    *,
    adjust: str = "holm",
    strata: str | list[str] | None = None,
    rho: float = 0.0,
    weights: str | None = None,
    entry: str | None = None,
    timefix: bool = True,
) -> pd.DataFrame:
    """:func:`cohort.pairwise_logrank` of a Dask cohort."""
    from cohort.survival.log_rank import _check_rho, _pairwise_prepared

    rho = _check_rho(rho)
    what = "cohort.pairwise_logrank"
    prep, _ = _prepared(data, endpoint, by, strata, what, timefix, weights, entry)
    return _pairwise_prepared(prep, adjust, rho)


def rmst(
    data: Any,
    tau: float,
    endpoint: str = "os",
    by: str | list[str] | None = None,
    *,
    conf_level: float = 0.95,
) -> RMSTResult:
    """:func:`cohort.rmst` of a Dask cohort (a :class:`cohort.survival.restricted_mean.RMSTResult`)."""
    from scipy import stats

    from cohort.errors import StatisticalWarning
    from cohort.survival.restricted_mean import RMSTResult, _rmst_differences, _rmst_one

    if not np.isfinite(tau) or tau <= 0:
        raise ModelError(f"cohort.rmst: tau must be a positive number of days, got {tau!r}.")
    prep, n_rows = _prepared(data, endpoint, by, None, "cohort.rmst")
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    n = _group_n(prep, n_rows)
    rows = []
    for code, label in enumerate(prep.labels):
        m = prep.group_codes == code
        time, event, wts, _ = prep.rows(m)
        est, se = _rmst_one(time, event, float(tau), weights=wts)
        if time.max() < tau:
            warnings.warn(
                f"cohort.rmst: tau={tau} is beyond the last follow-up of group {label} "
                f"({time.max():g} days); its curve is extended flat to tau.",
                StatisticalWarning,
                stacklevel=3,
            )
        events = int(np.rint(wts @ event))
        rows.append((label, int(n[code]), events, float(tau), est, se, est - z * se, est + z * se))
    table = pd.DataFrame(
        rows, columns=["group", "n", "events", "tau", "rmst", "se", "lower", "upper"]
    )
    difference = _rmst_differences(table, z) if prep.by and len(table) > 1 else None
    return RMSTResult(
        table, difference, float(tau), conf_level, endpoint_key(endpoint), prep.excluded, prep.notes
    )

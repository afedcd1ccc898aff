"""Restricted mean survival time and its differences between groups, as R's ``survmean``.

The variance is R's (lifelines' ``return_variance`` is wrong, lifelines#1682); the area is taken
under the Kaplan-Meier table of :mod:`cohort.survival.kaplan_meier`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cohort._arguments import positive_number
from cohort.cohort import Cohort
from cohort.errors import StatisticalWarning
from cohort.scale.dispatch import scales
from cohort.survival.endpoint import endpoint_key
from cohort.survival.kaplan_meier import _km_table
from cohort.survival.prepared import _prepare

__all__ = ["RMSTResult", "rmst"]


@dataclass(frozen=True)
class RMSTResult:
    """Restricted mean survival time up to ``tau``.

    Attributes
    ----------
    table : pandas.DataFrame
        ``group``, ``n``, ``events``, ``tau``, ``rmst``, ``se``, ``lower``, ``upper`` (days).
    difference : pandas.DataFrame or None
        Each group against the first: ``group``, ``reference``, ``difference`` (group minus
        reference), ``se``, ``lower``, ``upper``, ``p_value`` (two-sided z test), and next to it
        the ratio of RMSTs (group over reference) as survRM2's ``rmst2``: ``ratio``,
        ``ratio_lower``, ``ratio_upper``, ``ratio_p_value``, from the log ratio with SE
        ``sqrt(var_g / rmst_g^2 + var_ref / rmst_ref^2)``. None without ``by``.
    tau, conf_level, endpoint, excluded, notes :
    """

    table: pd.DataFrame
    difference: pd.DataFrame | None
    tau: float
    conf_level: float
    endpoint: str
    excluded: dict[str, int]
    notes: tuple[str, ...]


def _rmst_one(
    time: np.ndarray, event: np.ndarray, tau: float, weights: np.ndarray | None = None
) -> tuple[float, float]:
    """RMST and its SE as R's ``survmean`` (``print(survfit, rmean=tau)``).

    ``weights`` are integer patient counts per row (the Dask path's compressed rows).

    Variance: sum over times t_j <= tau of A_j^2 d_j / (n_j (n_j - d_j)), A_j the area under the
    curve from t_j to tau. The point estimate equals lifelines' ``restricted_mean_survival_time``
    (tested); both come from one pass over the curve because the variance needs the areas A_j.
    """
    tab = _km_table(time, event, 0.95, "log", weights=weights)
    t = tab["time"].to_numpy()
    s = tab["survival"].to_numpy()
    n = tab["at_risk"].to_numpy(dtype=float)
    d = tab["events"].to_numpy(dtype=float)
    keep = t <= tau
    t, s, n, d = t[keep], s[keep], n[keep], d[keep]
    grid = np.concatenate([[min(0.0, t.min() if len(t) else 0.0)], t, [tau]])
    heights = np.concatenate([[1.0], s])
    rect = np.diff(grid) * heights
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(n - d == 0, 0.0, d / (n * (n - d)))
    # A_j = area from t_j to tau = sum of rectangles after j
    area_after = np.cumsum(rect[::-1])[::-1][1:]
    return float(rect.sum()), float(np.sqrt(np.sum(area_after**2 * h)))


def _rmst_differences(table: pd.DataFrame, z: float) -> pd.DataFrame:
    """Each group against the first: RMST difference and ratio with CIs and p (survRM2 ``rmst2``)."""
    ref = table.iloc[0]
    diffs = []
    for _, row in table.iloc[1:].iterrows():
        dif = row["rmst"] - ref["rmst"]
        se = float(np.hypot(row["se"], ref["se"]))
        p = float(2 * stats.norm.sf(abs(dif) / se)) if se > 0 else np.nan
        log_ratio = float(np.log(row["rmst"] / ref["rmst"]))
        se_log = float(np.hypot(row["se"] / row["rmst"], ref["se"] / ref["rmst"]))
        p_ratio = float(2 * stats.norm.sf(abs(log_ratio) / se_log)) if se_log > 0 else np.nan
        diffs.append(
            (row["group"], ref["group"], dif, se, dif - z * se, dif + z * se, p)
            + (np.exp(log_ratio), np.exp(log_ratio - z * se_log))
            + (np.exp(log_ratio + z * se_log), p_ratio)
        )
    return pd.DataFrame(
        diffs,
        columns=["group", "reference", "difference", "se", "lower", "upper", "p_value"]
        + ["ratio", "ratio_lower", "ratio_upper", "ratio_p_value"],
    )


@scales("rmst")
def rmst(
    data: Cohort | pd.DataFrame,
    tau: float,
    endpoint: str = "os",
    by: str | list[str] | None = None,
    *,
    conf_level: float = 0.95,
    timefix: bool = True,
) -> RMSTResult:
    """Restricted mean survival time up to ``tau`` days per group, and differences between groups.

    Matches R ``print(survfit(Surv(t, e) ~ g), rmean = tau)`` (``rmean`` and ``se(rmean)``); the CI
    is estimate +/- z * se and a difference's SE is the square root of the summed variances
    (independent groups).

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    tau : float
        Truncation time in days. A warning is given when it lies beyond a group's last follow-up
        (the curve is then extended flat, as R does).
    endpoint : {"os", "efs", "rfs"}
    by : str or list of str, optional
    conf_level : float
    timefix : bool
        Merge times equal up to floating-point rounding first, as R's default (``aeqSurv``).

    Returns
    -------
    RMSTResult
    """
    tau = positive_number(tau, "tau", "cohort.rmst")
    prep = _prepare(data, endpoint, by, None, "cohort.rmst", timefix=timefix)
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    rows = []
    for code, label in enumerate(prep.labels):
        m = prep.group_codes == code
        est, se = _rmst_one(prep.time[m], prep.event[m], float(tau))
        if prep.time[m].max() < tau:
            warnings.warn(
                f"cohort.rmst: tau={tau} is beyond the last follow-up of group {label} "
                f"({prep.time[m].max():g} days); its curve is extended flat to tau.",
                StatisticalWarning,
                stacklevel=2,
            )
        rows.append(
            (
                label,
                int(m.sum()),
                int(prep.event[m].sum()),
                float(tau),
                est,
                se,
                est - z * se,
                est + z * se,
            )
        )
    table = pd.DataFrame(
        rows, columns=["group", "n", "events", "tau", "rmst", "se", "lower", "upper"]
    )
    difference = _rmst_differences(table, z) if prep.by and len(table) > 1 else None
    return RMSTResult(
        table,
        difference,
        float(tau),
        conf_level,
        endpoint_key(endpoint),
        dict(prep.excluded),
        prep.notes,
    )

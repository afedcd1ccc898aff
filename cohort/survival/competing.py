"""Competing risks: cumulative incidence (Aalen-Johansen) with cmprsk's variance and Gray's test.

Results equal R's ``cmprsk`` (``cuminc``, ``timepoints``, ``crr``); the tests compare against values
written by ``tests/reference/reference_cmprsk.R``. What comes from where:

- **Cumulative incidence**: Aalen-Johansen (exact for tied times) from one count table per
  stratum x time x group x cause (:mod:`cohort.survival.counting`, one ``np.bincount``), by cumulative
  products and sums; statsmodels' ``CumIncidenceRight`` gives the same numbers and is the test
  oracle (lifelines' ``AalenJohansenFitter`` jitters ties and is not used).
- **Its variance**: cmprsk's own delta-method variance (Fortran ``cinc``), which neither statsmodels
  (Aalen-type) nor scikit-survival (Aalen/Dinse) reports, from the same counts (see
  :func:`_cmprsk_variance`), so ``var`` equals what ``cmprsk::timepoints`` prints.
- **Confidence limits**: the log(-log) interval that cmprsk-based tools (tidycmprsk, ggsurvfit)
  show, ``F ** exp(±z * se / (F * log F))``; or ``"plain"`` ``F ± z * se`` clipped to [0, 1].
  cmprsk itself prints no interval.
- **Gray's test**: :mod:`cohort.survival.gray` (no Python package has it).
- **Fine-Gray**: :func:`cohort.finegray` is in :mod:`cohort.survival.finegray` (no mature Python
  package fits it).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from cohort._arguments import check_conf_level
from cohort.cohort import Cohort
from cohort.errors import (
    ModelError,
    StatisticalWarning,
)
from cohort.scale.dispatch import scales
from cohort.survival.counting import aalen_johansen, count_table
from cohort.survival.endpoint import Endpoint, endpoint_key
from cohort.survival.gray import gray_test_counts
from cohort.survival.grouping import analysable_rows
from cohort.survival.grouping import as_columns as _as_columns
from cohort.survival.grouping import group_codes as _group_codes

__all__ = [
    "CAUSE_NAMES",
    "CumulativeIncidenceResult",
    "cuminc",
]

#: What the event codes of the ``"cir"`` endpoint mean.
CAUSE_NAMES: dict[int, str] = {1: "relapse", 2: "death without relapse"}

ConfType = Literal["log-log", "plain"]
_CONF_TYPES = ("log-log", "plain")


# --------------------------------------------------------------------------------------------
# grouping (labels as cohort.km: "npm1=True, flt3_itd=False")
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    time: np.ndarray
    status: np.ndarray
    group_codes: np.ndarray
    labels: tuple[str, ...]
    strata_codes: np.ndarray | None
    excluded: dict[str, int]
    notes: tuple[str, ...]
    by: tuple[str, ...]
    strata: tuple[str, ...]
    causes: tuple[int, ...]


def _prepare(data, endpoint, by, strata, what) -> _Prepared:
    by_cols = _as_columns(by, what)
    strata_cols = _as_columns(strata, what)
    frame, tcol, ecol, excluded, notes = analysable_rows(
        data, endpoint, by_cols, strata_cols, what, causes=True
    )
    status = frame[ecol].to_numpy(dtype=np.int64)
    causes = tuple(int(c) for c in np.sort(pd.unique(status[status > 0])))
    if not causes:
        raise ModelError(f"{what}: no events among the {len(frame)} analysed patients.")
    codes, labels = _group_codes(frame, by_cols)
    scodes = _group_codes(frame, strata_cols)[0] if strata_cols else None
    return _Prepared(
        time=frame[tcol].to_numpy(dtype=float),
        status=status,
        group_codes=codes,
        labels=labels,
        strata_codes=scodes,
        excluded=excluded,
        notes=tuple(notes),
        by=by_cols,
        strata=strata_cols,
        causes=causes,
    )


# --------------------------------------------------------------------------------------------
# cumulative incidence of one group
# --------------------------------------------------------------------------------------------


def _cmprsk_variance(
    at_risk: np.ndarray,
    d_cause: np.ndarray,
    d_other: np.ndarray,
    surv_before: np.ndarray,
    surv_after: np.ndarray,
    cif: np.ndarray,
) -> np.ndarray:
    """cmprsk's variance of the cumulative incidence at each distinct time (Fortran ``cinc``).

    Inputs are per distinct time: number at risk, events of the cause and of other causes, the
    all-cause Kaplan-Meier just before and at the time, and the cumulative incidence at the time.
    cmprsk accumulates three sums ``v1, v2, v3`` over event times and reports
    ``v1 + F^2 v3 - 2 F v2`` at the times where the cause has events, carrying it forward in between
    (so the variance, like cmprsk's, changes only where the estimate does). Written out because no
    Python package reports this variance; the sums are cumulative, so they vectorise.
    """
    fk, fkn, rs = surv_before, surv_after, at_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_fkn = np.where(fkn > 0, 1.0 / np.where(fkn > 0, fkn, 1.0), 0.0)
        # other causes: only while someone survives (fkn > 0)
        other = (d_other > 0) & (fkn > 0)
        t5 = np.where(d_other > 1, 1 - (d_other - 1.0) / (rs - 1.0), 1.0)
        t6 = np.where(other, fk * fk * t5 * d_other / rs**2, 0.0)
        t3, t4 = inv_fkn, cif * inv_fkn
        v1 = t4 * t4 * t6
        v2 = t3 * t4 * t6
        v3 = t3 * t3 * t6
        # the cause itself
        own = d_cause > 0
        t5 = np.where(d_cause > 1, 1 - (d_cause - 1.0) / (rs - 1.0), 1.0)
        t6 = np.where(own, fk * fk * t5 * d_cause / rs**2, 0.0)
        t4 = 1 + inv_fkn * cif
        v1 = v1 + t4 * t4 * t6
        v2 = v2 + inv_fkn * t4 * t6
        v3 = v3 + inv_fkn * inv_fkn * t6
    v1, v2, v3 = np.cumsum(v1), np.cumsum(v2), np.cumsum(v3)
    var = np.where(own, v1 + cif * cif * v3 - 2 * cif * v2, np.nan)
    var = pd.Series(var).ffill().fillna(0.0).to_numpy()
    return var


def _cause_columns(
    times: np.ndarray,
    at_risk: np.ndarray,
    events: np.ndarray,
    removed: np.ndarray,
    causes: tuple[int, ...],
) -> list[dict[str, np.ndarray]]:
    """Per cause, the columns of one group's curve over the times where someone in it leaves.

    Inputs are one group's counts per distinct time of a count table
    (:func:`cohort.survival.counting.count_table`; ``events`` (T, C) per cause in ``causes`` order). The
    Aalen-Johansen estimate is :func:`cohort.survival.counting.aalen_johansen`, its variance cmprsk's
    (:func:`_cmprsk_variance`); statsmodels' ``CumIncidenceRight`` is the test oracle.
    """
    aj = aalen_johansen(at_risk, events, removed)
    keep = aj["mask"]
    n, d = at_risk[keep], events[keep]
    d_all = d.sum(axis=1)
    censored = (removed[keep] - d_all).astype(np.int64)
    out = []
    for j, c in enumerate(causes):
        d_cause = d[:, j]
        cif = aj["cif"][:, j]
        var = _cmprsk_variance(
            n, d_cause, d_all - d_cause, aj["surv_before"], aj["surv_after"], cif
        )
        out.append(
            {
                "event": np.full(len(n), c, dtype=np.int64),
                "time": times[keep],
                "at_risk": n.astype(np.int64),
                "events": d_cause.astype(np.int64),
                "competing": (d_all - d_cause).astype(np.int64),
                "censored": censored,
                "cif": cif,
                "var": var,
            }
        )
    return out


def _group_table(time: np.ndarray, status: np.ndarray, causes: tuple[int, ...]) -> pd.DataFrame:
    """One row per (cause, distinct time): at_risk, events, cif, var (cmprsk)."""
    counts = count_table(time, status, np.zeros(len(time), dtype=np.int64), 1, causes=causes)
    parts = _cause_columns(
        counts.times,
        counts.at_risk[0, :, 0],
        counts.events[0, :, 0],
        counts.removed[0, :, 0],
        causes,
    )
    return pd.DataFrame({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})


def _limits(cif: np.ndarray, var: np.ndarray, conf_level: float, conf_type: str):
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            lower = np.clip(cif - z * se, 0.0, 1.0)
            upper = np.clip(cif + z * se, 0.0, 1.0)
        else:  # undefined where F is 0 or 1 (log F = 0): reported missing
            f = np.where((cif <= 0) | (cif >= 1), np.nan, cif)
            k = z * se / (f * np.log(f))
            lower = f ** np.exp(-k)
            upper = f ** np.exp(k)
    return lower, upper


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CumulativeIncidenceResult:
    """Cumulative incidence of each cause, per group, with Gray's test.

    Attributes
    ----------
    curves : pandas.DataFrame
        Tidy step data for plotting, one row per group, cause and distinct time (starting with a
        time-0 row): ``group``, ``event``, ``time``, ``cif``, ``lower``, ``upper``, ``var`` (cmprsk's
        variance), ``std_err``, ``at_risk``, ``events`` (of this cause), ``competing``, ``censored``.
        The curve is a right-continuous step function.
    table : pandas.DataFrame
        One row per group and cause: ``group``, ``event``, ``n``, ``events``.
    test : pandas.DataFrame or None
        Gray's test per cause: ``event``, ``statistic``, ``dof``, ``p_value`` (None without ``by`` or
        with a single group).
    excluded : dict
        Patients left out, by reason (``missing_endpoint``, ``missing_group``).
    notes : tuple of str
    endpoint, by, strata, rho, conf_level, conf_type :
        The arguments.
    """

    curves: pd.DataFrame = field(repr=False)
    table: pd.DataFrame
    test: pd.DataFrame | None
    excluded: dict[str, int]
    notes: tuple[str, ...]
    endpoint: str | tuple[str, str]
    by: tuple[str, ...]
    strata: tuple[str, ...]
    rho: float
    conf_level: float
    conf_type: str

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(self.table["group"].drop_duplicates())

    @property
    def causes(self) -> tuple[int, ...]:
        return tuple(int(c) for c in self.table["event"].drop_duplicates())

    def at(self, times: float | list[float] | np.ndarray) -> pd.DataFrame:
        """Cumulative incidence and confidence limits at given times (``cmprsk::timepoints``).

        Beyond a group's last follow-up time the estimate is missing, as in ``timepoints``.

        Returns
        -------
        pandas.DataFrame
            ``group``, ``event``, ``time``, ``cif``, ``lower``, ``upper``, ``var``, ``std_err``.
        """
        ts = np.atleast_1d(np.asarray(times, dtype=float))
        if np.isnan(ts).any() or (ts < 0).any():
            raise ModelError(f"cuminc.at: times must be non-negative numbers, got {list(ts)}.")
        frames = []
        for (g, c), tab in self.curves.groupby(["group", "event"], sort=False):
            t = tab["time"].to_numpy()
            i = np.searchsorted(t, ts, side="right") - 1
            beyond = ts > t[-1]
            out = {"group": g, "event": c, "time": ts}
            for col in ("cif", "lower", "upper", "var", "std_err"):
                v = tab[col].to_numpy()[i]
                out[col] = np.where(beyond, np.nan, v)
            frames.append(pd.DataFrame(out))
        return pd.concat(frames, ignore_index=True)


@scales("cuminc")
def cuminc(
    data: Cohort | pd.DataFrame,
    endpoint: Endpoint = "cir",
    by: str | list[str] | None = None,
    *,
    strata: str | list[str] | None = None,
    rho: float = 0.0,
    conf_level: float = 0.95,
    conf_type: ConfType = "log-log",
) -> CumulativeIncidenceResult:
    """Cumulative incidence of competing events by group, with Gray's test, as R ``cmprsk::cuminc``.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    endpoint : str or (str, str)
        ``"cir"`` (default) uses ``cir_days`` / ``cir_status``: 0 censored, 1 relapse, 2 death
        without relapse. A ``(time_column, event_column)`` pair uses those columns. Status codes
        are 0 (censored) and any positive whole numbers ``1..k``, one per cause (cmprsk's
        ``fstatus`` with ``cencode=0``); every cause gets its curves and its Gray's test. An
        endpoint with a single event gives one minus Kaplan-Meier.
    by : str or list of str, optional
        Grouping column(s). Patients with a missing group are left out, counted in ``.excluded``
        and announced by a :class:`~cohort.errors.DataQualityWarning`.
    strata : str or list of str, optional
        Stratifies Gray's test (cmprsk ``strata=``); curves are still per ``by`` group.
    rho : float
        Power of the weight of Gray's test, ``(1 - F(t-))**rho`` (cmprsk ``rho``, default 0).
    conf_level : float
    conf_type : {"log-log", "plain"}
        ``"log-log"``: ``F ** exp(±z se / (F log F))``, missing where F is 0 or 1 (the interval of
        tidycmprsk / ggsurvfit); ``"plain"``: ``F ± z se`` clipped to [0, 1]. ``se`` is the square
        root of cmprsk's variance.

    Returns
    -------
    CumulativeIncidenceResult

    Raises
    ------
    CohortValidationError
        Negative times, or status codes that are not 0 or a positive whole number.
    ModelError
        No events, or no patient left to analyse.

    Examples
    --------
    >>> res = cohort.cuminc(c, "cir", by="npm1")                 # doctest: +SKIP
    >>> res.at([365, 1095]), res.test                            # doctest: +SKIP
    """
    what = "cohort.cuminc"
    if conf_type not in _CONF_TYPES:
        raise ModelError(f"{what}: conf_type={conf_type!r}; use one of {', '.join(_CONF_TYPES)}.")
    conf_level = check_conf_level(conf_level, what)
    if not np.isfinite(rho):
        raise ModelError(f"{what}: rho must be a finite number, got {rho!r}.")
    prep = _prepare(data, endpoint, by, strata, what)
    return _cuminc_prepared(prep, endpoint, rho, conf_level, conf_type, what)


def _cuminc_prepared(
    prep: _Prepared,
    endpoint: Endpoint,
    rho: float,
    conf_level: float,
    conf_type: ConfType,
    what: str,
    weights: np.ndarray | None = None,
    excluded: dict[str, int] | None = None,
    notes: tuple[str, ...] | None = None,
) -> CumulativeIncidenceResult:
    """The curves, table and Gray's test of :func:`cuminc` from prepared rows; ``weights`` are
    patient counts per row (the Dask path's compressed rows), ``excluded`` and ``notes`` replace
    the prepared ones."""
    k = len(prep.labels)
    # one count table (strata x times x groups x causes) for the curves and every Gray's test
    counts = count_table(
        prep.time,
        prep.status,
        prep.group_codes,
        k,
        strata=prep.strata_codes,
        causes=prep.causes,
        weights=weights,
    )
    at_risk, events = counts.at_risk.sum(axis=0), counts.events.sum(axis=0)
    removed = counts.removed.sum(axis=0)
    n_group = np.rint(np.bincount(prep.group_codes, weights=weights, minlength=k)).astype(np.int64)
    columns: dict[str, list] = {}
    table = []
    for code, label in enumerate(prep.labels):
        parts = _cause_columns(
            counts.times, at_risk[:, code], events[:, code], removed[:, code], prep.causes
        )
        for c, part in zip(prep.causes, parts, strict=True):
            table.append((label, c, int(n_group[code]), int(part["events"].sum())))
            if not len(part["time"]) or part["time"][0] > 0:  # the curve starts at time 0
                start = {"event": c, "time": 0.0, "at_risk": n_group[code], "events": 0,
                         "competing": 0, "censored": 0, "cif": 0.0, "var": 0.0}  # fmt: skip
                part = {key: np.r_[np.asarray(start[key], v.dtype), v] for key, v in part.items()}
            columns.setdefault("group", []).append(np.full(len(part["time"]), label, dtype=object))
            for key, v in part.items():
                columns.setdefault(key, []).append(v)
    curves_df = pd.DataFrame({key: np.concatenate(v) for key, v in columns.items()})
    curves_df["std_err"] = np.sqrt(curves_df["var"])
    lower, upper = _limits(
        curves_df["cif"].to_numpy(), curves_df["var"].to_numpy(), conf_level, conf_type
    )
    curves_df["lower"] = lower
    curves_df["upper"] = upper
    curves_df = curves_df[
        ["group", "event", "time", "cif", "lower", "upper", "var", "std_err", "at_risk", "events",
         "competing", "censored"]
    ]  # fmt: skip
    table_df = pd.DataFrame(table, columns=["group", "event", "n", "events"])
    test = None
    if len(prep.labels) > 1:
        rows = []
        for j, c in enumerate(prep.causes):
            g = gray_test_counts(counts, j, rho)
            if np.isnan(g.statistic):
                warnings.warn(
                    f"{what}: Gray's test for event {c} is undefined (singular variance; a group may "
                    "have no patients at risk at the event times).",
                    StatisticalWarning,
                    stacklevel=3,
                )
            rows.append((c, g.statistic, g.dof, g.p_value))
        test = pd.DataFrame(rows, columns=["event", "statistic", "dof", "p_value"])
    for label, c, _, ev in table:
        if ev == 0:
            warnings.warn(
                f"{what}: group {label} has no events of type {c}.",
                StatisticalWarning,
                stacklevel=3,
            )
    return CumulativeIncidenceResult(
        curves=curves_df,
        table=table_df,
        test=test,
        excluded=dict(prep.excluded) if excluded is None else excluded,
        notes=prep.notes if notes is None else notes,
        endpoint=endpoint_key(endpoint),
        by=prep.by,
        strata=prep.strata,
        rho=float(rho),
        conf_level=conf_level,
        conf_type=conf_type,
    )

"""Comparing risk classifications by how well they separate outcomes.

:func:`compare_systems` puts two or more classifications (ELN 2017, its 2020 refinement, ELN 2022,
or any categorical column) side by side on the same patients: Harrell's and Uno's concordance,
time-dependent AUC, the integrated Brier score, the AIC of a Cox model on each, and bootstrap
confidence intervals for the differences in Harrell's C. The metrics are scikit-survival's; the Cox
models are lifelines'. What is added here is fitting each classification the same way, on the same
patients, and the paired bootstrap.

:func:`concordance` is Harrell's C with its standard error as R's ``survival::concordance``
(infinitesimal-jackknife variance from each patient's counts of concordant, discordant and tied
pairs; no Python package reports it). Harrell's C equals R to machine precision.

:func:`time_dependent_auc`, :func:`brier_score` and :func:`integrated_brier` are those of R's
``riskRegression::Score`` (``cens.model = "km"``), to machine precision. scikit-survival's
``cumulative_dynamic_auc`` and ``brier_score`` weight an event at ``T_i`` by ``1 / G(T_i)``, the
censoring survival *at* the event time; Score uses ``1 / G(T_i-)``, just *before* it, which is
the inverse-probability-of-censoring weight of Gerds & Schumacher (2006). The two differ (by
1e-7..1e-5 on AMLSG) whenever patients are censored at an event time. The censoring distribution
itself is scikit-survival's (``kaplan_meier_estimator(reverse=True)``). Uno's C remains
scikit-survival's ``concordance_index_ipcw`` (weights ``1 / G(T_i)^2``, truncated at ``tau``); no
R implementation of it is installable here to compare with (``docs/r_parity_competing.md``).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cohort._arguments import (
    aligned_values,
    check_conf_level,
    column_names,
    numeric_values,
    positive_numbers,
    whole_number,
)
from cohort._counts import counts_by_frequency
from cohort.cohort import Cohort, as_frame
from cohort.errors import DataQualityWarning, ModelError, SchemaError
from cohort.survival.endpoint import endpoint_columns, endpoint_key

ELN_ORDER = {"favorable": 0, "intermediate": 1, "adverse": 2}
_CHUNK = 256  # event rows per block of the pair comparison (bounds memory at n * 256)


@dataclass(frozen=True)
class Concordance:
    """Harrell's C with its standard error, as R's ``survival::concordance``.

    Attributes
    ----------
    concordance : float
        Harrell's C: concordant pairs plus half the pairs tied on the risk score, over comparable
        pairs (R's ``concordance``).
    std_err : float
        Its infinitesimal-jackknife standard error (R's ``sqrt(var)``, coxph's ``concordance["std"]``).
    concordant, discordant, tied_risk : int
        Comparable pairs by outcome (R's ``count``; pairs tied on time are not comparable).
    n : int
        Patients used.
    n_excluded : int
        Patients left out for a missing time, event or score.
    """

    concordance: float
    std_err: float
    concordant: int
    discordant: int
    tied_risk: int
    n: int
    n_excluded: int = 0


def _pair_influence(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """Per patient: comparable pairs it belongs to that are concordant, discordant, tied on risk.

    A pair is comparable when the patient with the shorter time had the event; a patient censored at
    the time of another's event counts as the longer (R's rule). Higher risk = shorter survival.
    Computed in blocks of event rows against all patients (O(events x n) time, O(n) memory).
    """
    n = len(time)
    influence = np.zeros((n, 3))
    events = np.flatnonzero(event == 1)
    for s in range(0, len(events), _CHUNK):
        i = events[s : s + _CHUNK]
        ti, xi = time[i][:, None], risk[i][:, None]
        comparable = (time[None, :] > ti) | ((time[None, :] == ti) & (event[None, :] == 0))
        for k, relation in enumerate((xi > risk[None, :], xi < risk[None, :], xi == risk[None, :])):
            pairs = comparable & relation
            influence[i, k] += pairs.sum(axis=1)
            influence[:, k] += pairs.sum(axis=0)
    return influence


def concordance_fit(
    time: np.ndarray, event: np.ndarray, risk: np.ndarray, strata: np.ndarray | None = None
) -> Concordance:
    """Harrell's C and its standard error from arrays (complete data), as R ``concordancefit``.

    Pairs are formed within strata (R's ``strata``, as coxph does for a stratified model) and pooled.
    The variance is R's: ``dfbeta_k = ((C_k - D_k) - S (C_k + D_k + T_k)) / N`` from each patient's
    concordant/discordant/tied counts, ``S`` Somers' d and ``N`` the comparable pairs, and
    ``var(C) = sum(dfbeta_k^2) / 4``.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event).astype(int)
    risk = np.asarray(risk, dtype=float)
    codes = np.zeros(len(time), dtype=int) if strata is None else pd.factorize(strata)[0]
    influence = np.zeros((len(time), 3))
    for code in np.unique(codes):
        m = codes == code
        influence[m] = _pair_influence(time[m], event[m], risk[m])
    conc, disc, tied = influence.sum(axis=0) / 2
    npair = conc + disc + tied
    if npair == 0:
        raise ModelError("concordance: no comparable pair (no event before another's follow-up).")
    somers = (conc - disc) / npair
    dfbeta = (influence[:, 0] - influence[:, 1]) / npair - somers / npair * influence.sum(axis=1)
    return Concordance(
        concordance=float((somers + 1) / 2),
        std_err=float(np.sqrt((dfbeta**2).sum() / 4)),
        concordant=int(round(conc)),
        discordant=int(round(disc)),
        tied_risk=int(round(tied)),
        n=len(time),
    )


def concordance(
    data: Cohort | pd.DataFrame,
    risk: str | pd.Series | np.ndarray,
    endpoint: str | tuple[str, str] = "os",
    *,
    strata: str | None = None,
) -> Concordance:
    """Harrell's C of a risk score with its standard error, as R's ``survival::concordance``.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    risk : str, pandas.Series or numpy.ndarray
        A column name, or values aligned with the rows; a higher value means a worse prognosis
        (a Cox linear predictor, an ordinal risk group). R: ``concordance(Surv(t, e) ~ risk,
        reverse = TRUE)``.
    endpoint : {"os", "efs", "rfs"} or (str, str)
    strata : str, optional
        Column within whose levels pairs are formed.

    Returns
    -------
    Concordance

    Raises
    ------
    SchemaError
        Unknown columns, a competing-risks endpoint, or a score of the wrong length.
    ModelError
        No comparable pair.
    """
    what = "cohort.concordance"
    if endpoint_key(endpoint, what=what) == "cir":
        raise SchemaError(f"{what}: 'cir' is a competing-risks endpoint; use 'os', 'efs' or 'rfs'.")
    time_col, event_col = endpoint_columns(endpoint, what=what)
    required = (time_col, event_col) + ((risk,) if isinstance(risk, str) else ())
    frame = as_frame(data, required=required + ((strata,) if strata else ()), what=what)
    score = frame[risk] if isinstance(risk, str) else aligned_values(risk, frame, "risk", what)
    score = numeric_values(score, f"risk {risk!r}" if isinstance(risk, str) else "risk", what)
    time = pd.to_numeric(frame[time_col], errors="coerce")
    event = pd.to_numeric(frame[event_col], errors="coerce")
    keep = (time.notna() & event.notna() & score.notna()).to_numpy()
    if strata:
        keep &= frame[strata].notna().to_numpy()
    n_out = int((~keep).sum())
    if n_out:
        warnings.warn(
            f"{what}: {n_out} patient(s) with a missing {time_col}, {event_col}, score"
            f"{' or ' + strata if strata else ''} left out.",
            DataQualityWarning,
            stacklevel=2,
        )
    res = concordance_fit(
        time.to_numpy(float)[keep],
        event.to_numpy(float)[keep],
        score.to_numpy(float)[keep],
        frame[strata].to_numpy()[keep] if strata else None,
    )
    return Concordance(**{**res.__dict__, "n_excluded": n_out})


@dataclass(frozen=True)
class SystemComparison:
    """Result of :func:`compare_systems`.

    Attributes
    ----------
    metrics : pandas.DataFrame
        One row per system: ``system``, ``n``, ``events``, ``n_groups``, ``score`` (which risk score
        was used), ``harrell_c``, ``harrell_c_se`` (R's ``survival::concordance`` standard error),
        ``uno_c``,
        ``auc_<days>`` for each time, ``integrated_brier``, ``aic``.
    differences : pandas.DataFrame
        One row per system after the first: ``system``, ``reference``, ``delta_harrell_c``, ``lower``,
        ``upper`` (percentile bootstrap), ``n_boot``.
    excluded : pandas.Series
        Patients left out, by reason (undetermined category, missing outcome).
    times : tuple of float
        The time points (days) of the time-dependent AUC.
    """

    metrics: pd.DataFrame
    differences: pd.DataFrame
    excluded: pd.Series
    times: tuple[float, ...]
    conf_level: float
    seed: int | None


def _categories(data: Cohort | pd.DataFrame, frame: pd.DataFrame, system: str) -> pd.Series:
    if system in frame.columns:
        return frame[system]
    from cohort.stratify import SYSTEMS, classify

    if system not in SYSTEMS:
        raise SchemaError(
            f"'{system}' is neither a column of the data nor a classification system "
            f"(systems: {', '.join(sorted(SYSTEMS))})."
        )
    return classify(data, system)["category"].set_axis(frame.index)


def _risk_score(cat: pd.Series, time: np.ndarray, event: np.ndarray, times_grid: np.ndarray):
    """Cox model on the category as a factor: linear predictor, survival predictions, AIC."""
    from lifelines import CoxPHFitter

    levels = [lv for lv in pd.unique(cat) if not pd.isna(lv)]
    order = sorted(levels, key=lambda v: (ELN_ORDER.get(str(v), 99), str(v)))
    dummies = pd.get_dummies(pd.Categorical(cat, categories=order), drop_first=True, dtype=float)
    dummies.columns = [f"g{i}" for i in range(dummies.shape[1])]
    df = dummies.assign(_t=time, _e=event)
    fitter = CoxPHFitter()
    try:
        fitter.fit(df, duration_col="_t", event_col="_e")
    except Exception as exc:  # lifelines raises several types; name the classification instead
        raise ModelError(f"Cox model on the categories {order} could not be fitted: {exc}") from exc
    lp = fitter.predict_log_partial_hazard(dummies).to_numpy()
    surv = fitter.predict_survival_function(dummies, times=times_grid).to_numpy().T
    return lp, surv, float(fitter.AIC_partial_), len(order)


def _ordinal_score(cat: pd.Series) -> np.ndarray | None:
    """The pre-specified order of the categories, if they have one (ELN names, or an ordered Categorical)."""
    if isinstance(cat.dtype, pd.CategoricalDtype) and cat.dtype.ordered:
        return cat.cat.codes.to_numpy(float)
    values = set(cat.dropna().astype(str))
    if values and values <= set(ELN_ORDER):
        return cat.astype(str).map(ELN_ORDER).to_numpy(float)
    return None


def _censoring_left_limit(time: np.ndarray, event: np.ndarray):
    """``G(t-)`` and ``G(t)``: Kaplan-Meier of censoring (events before censorings at a tie)."""
    from sksurv.nonparametric import kaplan_meier_estimator

    times, surv = kaplan_meier_estimator(event.astype(bool), time, reverse=True)

    def at(x: np.ndarray, *, left: bool) -> np.ndarray:
        idx = np.searchsorted(times, x, side="left" if left else "right") - 1
        return np.where(idx >= 0, surv[np.maximum(idx, 0)], 1.0)

    return at


def _survival_arrays(time, event, what: str) -> tuple[np.ndarray, np.ndarray]:
    time = np.asarray(time, dtype=float)
    event = np.asarray(event).astype(int)
    if np.isnan(time).any() or len(time) != len(event):
        raise ModelError(f"{what}: time and event must be complete arrays of the same length.")
    return time, event


def time_dependent_auc(
    time: np.ndarray, event: np.ndarray, risk: np.ndarray, times: list[float] | np.ndarray
) -> np.ndarray:
    """Cumulative/dynamic AUC at each of ``times``, as R ``riskRegression::Score(metrics="auc")``.

    Cases are patients with an event by ``t``, weighted by ``1 / G(T_i-)``; controls are patients
    still event-free after ``t`` (equal weights ``1 / G(t)``); a case and a control tied on the
    score count one half.

    Parameters
    ----------
    time, event : numpy.ndarray
        Follow-up and 0/1 event, complete.
    risk : numpy.ndarray
        Higher = worse; one column per time (n x len(times)) or one score for all times.
    times : sequence of float

    Returns
    -------
    numpy.ndarray
        The AUC at each time (NaN where there is no case or no control).
    """
    time, event = _survival_arrays(time, event, "time_dependent_auc")
    g = _censoring_left_limit(time, event)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    risk = np.asarray(risk, dtype=float)
    out = np.full(len(times), np.nan)
    for k, t in enumerate(times):
        r = risk[:, k] if risk.ndim == 2 else risk
        case = (time <= t) & (event == 1)
        controls = np.sort(r[time > t])
        if not case.any() or len(controls) == 0:
            continue
        w = 1.0 / g(time[case], left=True)
        below = np.searchsorted(controls, r[case], side="left")
        tied = np.searchsorted(controls, r[case], side="right") - below
        out[k] = float((w * (below + 0.5 * tied)).sum() / (w.sum() * len(controls)))
    return out


def brier_score(
    time: np.ndarray, event: np.ndarray, risk: np.ndarray, times: list[float] | np.ndarray
) -> np.ndarray:
    """Brier score of predicted risks at each of ``times``, as R ``riskRegression::Score``.

    ``BS(t) = mean_i [ (1 - P_i(t))^2 1(T_i <= t, event) / G(T_i-) + P_i(t)^2 1(T_i > t) / G(t) ]``
    with ``P_i(t)`` the predicted probability of an event by ``t`` (one minus predicted survival).

    Parameters
    ----------
    time, event : numpy.ndarray
    risk : numpy.ndarray
        n x len(times) predicted event probabilities.
    times : sequence of float

    Returns
    -------
    numpy.ndarray
    """
    time, event = _survival_arrays(time, event, "brier_score")
    g = _censoring_left_limit(time, event)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    risk = np.asarray(risk, dtype=float).reshape(len(time), len(times))
    out = np.empty(len(times))
    for k, t in enumerate(times):
        p = risk[:, k]
        case = (time <= t) & (event == 1)
        control = time > t
        terms = np.zeros(len(time))
        terms[case] = (1 - p[case]) ** 2 / g(time[case], left=True)
        terms[control] = p[control] ** 2 / g(np.array([t]), left=False)[0]
        out[k] = terms.mean()
    return out


def integrated_brier(times: np.ndarray, brier: np.ndarray) -> float:
    """Integrated Brier score up to the last time, as riskRegression's ``summary = "ibs"``.

    ``IBS = (1 / t_K) sum_k BS(t_k) (t_{k+1} - t_k)`` with ``t_0 = 0`` and ``BS(0) = 0``: a step
    function from 0 to the last time (scikit-survival integrates by the trapezoid rule from the
    first time instead).
    """
    x = np.r_[0.0, np.asarray(times, dtype=float)]
    y = np.r_[0.0, np.asarray(brier, dtype=float)]
    return float((y[:-1] * np.diff(x)).sum() / x[-1])


def _harrell(event: np.ndarray, time: np.ndarray, risk: np.ndarray) -> float:
    # lifelines' O(n log n) implementation (sksurv's compares all pairs: ~100x slower in the bootstrap).
    # lifelines expects predicted times (higher = longer survival), hence the minus sign; tied
    # predictions count 1/2 as in R's concordance(), checked by the test against R.
    from lifelines.utils import concordance_index

    return float(concordance_index(time, -np.asarray(risk, dtype=float), event))


def _boot_chunk(event, time, risks, idx_chunk) -> np.ndarray:
    out = np.empty((len(idx_chunk), len(risks)))
    for b, idx in enumerate(idx_chunk):
        for s, r in enumerate(risks):
            try:
                out[b, s] = _harrell(event[idx], time[idx], r[idx])
            except Exception:  # a resample with no comparable pair
                out[b, s] = np.nan
    return out


def compare_systems(
    data: Cohort | pd.DataFrame,
    systems: list[str] | tuple[str, ...],
    endpoint: str | tuple[str, str] = "os",
    *,
    times: tuple[float, ...] = (365.25, 730.5, 1826.25),
    n_boot: int = 1000,
    seed: int | None = 2020,
    conf_level: float = 0.95,
    n_jobs: int | None = None,
    score: str = "ordinal",
) -> SystemComparison:
    """Compare the prognostic discrimination of two or more classifications.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    systems : list of str
        Column names of the data, or system names for :func:`cohort.classify` ("eln2017",
        "eln2017_eisfeld2020", "eln2022", ...). The first is the reference for differences.
    endpoint : {"os", "efs", "rfs"} or (str, str)
    times : tuple of float
        Days at which the cumulative/dynamic AUC is computed (1, 2 and 5 years by default); times
        beyond the last observed time are dropped with a note.
    n_boot : int
        Bootstrap resamples for the differences in Harrell's C (0 to skip).
    seed : int or None
        Seed of the bootstrap (numpy Generator); results are reproducible for a given seed.
    conf_level : float
    n_jobs : int or None
        Parallel workers for the bootstrap (default: the machine's cores).
    score : {"ordinal", "cox"}
        Risk score for the concordance measures and the AUC. "ordinal" (default) uses the
        classification's own order (favorable < intermediate < adverse, or the order of an ordered
        Categorical) where it has one, so that a system is judged by the order it claims; a
        classification without an order, or ``score="cox"``, uses the Cox linear predictor, whose
        data-driven order flatters the system (it can only raise C).

    Returns
    -------
    SystemComparison

    Notes
    -----
    Every system is evaluated on the same patients: those with a known outcome and a determined
    category in every system (the others are counted in ``excluded``). Each classification enters a
    Cox model as a factor (for the AIC and the predicted survival curves); its risk score (see
    ``score``) is used for Harrell's C and its standard error (as R's ``survival::concordance``),
    Uno's C (scikit-survival's ``concordance_index_ipcw``, truncated at the last AUC time) and the
    cumulative/dynamic AUC (:func:`time_dependent_auc`, as R's ``riskRegression::Score``); its
    predicted survival curves give the integrated Brier score (:func:`brier_score` on a grid of 50
    times, integrated as Score's ``summary = "ibs"``). All are apparent (in-sample) measures: they
    compare the systems, they do not validate them.
    """
    systems = column_names(systems, "systems", "compare_systems")
    times = positive_numbers(times, "times", "compare_systems")
    n_boot = whole_number(n_boot, "n_boot", "compare_systems")
    seed = None if seed is None else whole_number(seed, "seed", "compare_systems")
    n_jobs = None if n_jobs is None else whole_number(n_jobs, "n_jobs", "compare_systems")
    conf_level = check_conf_level(conf_level, "compare_systems")
    if len(systems) < 2:
        raise SchemaError("compare_systems needs at least two classifications to compare.")
    if endpoint_key(endpoint, what="compare_systems") == "cir":
        raise SchemaError(f"endpoint must be 'os', 'efs' or 'rfs', got {endpoint!r}.")
    time_col, event_col = endpoint_columns(endpoint)
    frame = as_frame(data, required=(time_col, event_col), what="compare_systems")
    cats = {s: _categories(data, frame, s) for s in systems}

    time_all = pd.to_numeric(frame[time_col], errors="coerce")
    event_all = pd.to_numeric(frame[event_col], errors="coerce")
    reasons = pd.Series(pd.NA, index=frame.index, dtype="object")
    reasons[time_all.isna() | event_all.isna() | (time_all <= 0)] = (
        f"missing or non-positive {time_col}"
    )
    for s in systems:
        reasons[reasons.isna() & cats[s].isna()] = f"undetermined in {s}"
    keep = reasons.isna().to_numpy()
    if keep.sum() < 10:
        raise ModelError(
            f"only {int(keep.sum())} patients have an outcome and a category in every system."
        )
    time = time_all.to_numpy(float)[keep]
    event = event_all.to_numpy(float)[keep].astype(bool)

    from sksurv.metrics import concordance_index_ipcw
    from sksurv.util import Surv

    y = Surv.from_arrays(event=event, time=time)
    t_max = time[event].max() if event.any() else time.max()
    use_times = tuple(float(t) for t in times if time.min() < t < t_max)
    grid = np.linspace(max(time.min(), 1.0), (max(use_times) if use_times else t_max * 0.9), 50)
    grid = grid[(grid > time.min()) & (grid < time.max())]

    if score not in ("ordinal", "cox"):
        raise SchemaError(f"score must be 'ordinal' or 'cox', got {score!r}.")
    rows, risks = [], []
    for s in systems:
        cat = cats[s][keep].reset_index(drop=True)
        lp, surv, aic, n_groups = _risk_score(cat, time, event, grid)
        ordinal = _ordinal_score(cat) if score == "ordinal" else None
        risk = ordinal if ordinal is not None else lp
        risks.append(risk)
        row: dict[str, Any] = {
            "system": s,
            "n": int(keep.sum()),
            "events": int(event.sum()),
            "n_groups": n_groups,
            "score": "ordinal" if ordinal is not None else "cox",
            "harrell_c": _harrell(event, time, risk),
            "harrell_c_se": concordance_fit(time, event, risk).std_err,
            "uno_c": float(
                concordance_index_ipcw(y, y, risk, tau=max(use_times) if use_times else None)[0]
            ),
        }
        if use_times:
            auc = time_dependent_auc(time, event, risk, use_times)
            for t, a in zip(use_times, auc, strict=True):
                row[f"auc_{int(round(t))}"] = float(a)
        row["integrated_brier"] = (
            integrated_brier(grid, brier_score(time, event, 1 - surv, grid))
            if len(grid) > 1
            else np.nan
        )
        row["aic"] = aic
        rows.append(row)
    metrics = pd.DataFrame(rows)

    diffs = []
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        n = len(time)
        # Resample positions of a canonical order (by time, event and every risk score), so that
        # the intervals do not depend on the row order of the input; rows equal in all of these
        # are interchangeable.
        canonical = np.lexsort((*[np.asarray(r, float) for r in reversed(risks)], event, time))
        idx = canonical[rng.integers(0, n, size=(n_boot, n))]
        workers = n_jobs or os.cpu_count() or 1
        chunks = np.array_split(np.arange(n_boot), workers)
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=workers)(
            delayed(_boot_chunk)(event, time, risks, idx[c]) for c in chunks if len(c)
        )
        boot = np.vstack(parts)
        alpha = 1 - conf_level
        for s_i in range(1, len(systems)):
            d = boot[:, s_i] - boot[:, 0]
            d = d[~np.isnan(d)]
            diffs.append(
                {
                    "system": systems[s_i],
                    "reference": systems[0],
                    "delta_harrell_c": metrics.loc[s_i, "harrell_c"] - metrics.loc[0, "harrell_c"],
                    "lower": float(np.quantile(d, alpha / 2)),
                    "upper": float(np.quantile(d, 1 - alpha / 2)),
                    "n_boot": int(len(d)),
                }
            )
    differences = pd.DataFrame(
        diffs, columns=["system", "reference", "delta_harrell_c", "lower", "upper", "n_boot"]
    )
    excluded = counts_by_frequency(reasons[~keep])
    return SystemComparison(metrics, differences, excluded, use_times, conf_level, seed)

"""One counting engine for the nonparametric estimators: counts per stratum x group x time x cause.

Kaplan-Meier (with Greenwood's variance), the log-rank family (observed, expected, variance), the
Aalen-Johansen cumulative incidence and Gray's test depend on the data only through how many
patients are at risk, have each kind of event and are censored in every group at every distinct
time. :func:`count_table` forms those counts once, with integer codes and ``np.bincount`` (one sort
of the times); everything else here is cumulative sums over that table, so the cost after the
counting is independent of the number of patients (with whole-day times the table has at most a
few thousand rows per group). The Dask engine aggregates exactly these counts per partition.
Group codes come from :func:`cohort.survival.grouping.group_codes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Counts",
    "aalen_johansen",
    "count_table",
    "dense_ranks",
    "gray_statistic",
    "km_columns",
    "logrank_oev",
    "survdiff_chisq",
]


def dense_ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` (no NaN), faster for few distinct values.

    Whole-day times or a linear predictor of a few binary covariates have few distinct values: a
    hash pass (``pd.factorize``) and a sort of the distinct values beat sorting every row. With many
    distinct values sorting wins, so the choice is made on a sample of every ``n // 32768``-th row.
    """
    values = np.asarray(values)
    n = len(values)
    step = max(1, n // 32768)
    if n > 65536 and len(pd.unique(values[::step])) <= 16384:
        codes, uniq = pd.factorize(values)
        order = np.argsort(uniq, kind="stable")
        rank = np.empty(len(uniq), dtype=np.int64)
        rank[order] = np.arange(len(uniq))
        return np.asarray(uniq)[order], rank[codes]
    uniq, inv = np.unique(values, return_inverse=True)
    return uniq, inv.reshape(-1).astype(np.int64, copy=False)


@dataclass(frozen=True)
class Counts:
    """Counts per stratum ``s``, distinct time ``t``, group ``g`` (and cause ``c``).

    Attributes
    ----------
    times : ndarray (T,)
        Distinct times (of all strata together).
    at_risk : ndarray (S, T, k)
        Patients with ``entry < t <= time`` (weighted when weights are given).
    events : ndarray (S, T, k, C)
        Events of each cause in ``causes`` at ``t``.
    removed : ndarray (S, T, k)
        Patients leaving at ``t`` (events of any cause and censorings).
    causes : tuple of int
    """

    times: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    removed: np.ndarray
    causes: tuple[int, ...]


def count_table(
    time: np.ndarray,
    status: np.ndarray,
    group: np.ndarray,
    k: int,
    *,
    strata: np.ndarray | None = None,
    causes: tuple[int, ...] = (1,),
    weights: np.ndarray | None = None,
    entry: np.ndarray | None = None,
) -> Counts:
    """Count at-risk, events by cause and exits per stratum x distinct time x group.

    Parameters
    ----------
    time : ndarray (n,)
    status : ndarray (n,)
        0 censored, otherwise the cause code.
    group : ndarray (n,)
        Group codes ``0..k-1``.
    k : int
    strata : ndarray (n,), optional
        Stratum codes ``0..S-1``.
    causes : tuple of int
    weights : ndarray (n,), optional
    entry : ndarray (n,), optional
        Delayed entry: a patient is at risk at ``t`` when ``entry < t <= time``.
    """
    time = np.asarray(time, dtype=float)
    ut, ti = dense_ranks(time)
    n_t = len(ut)
    cell = ti * k + np.asarray(group, dtype=np.int64)
    if strata is not None:
        cell += np.asarray(strata, np.int64) * (n_t * k)
    n_s = 1 if strata is None or not len(time) else int(np.max(strata)) + 1
    shape = (n_s, n_t, k)
    # one bincount over (cell, kind): kind 0 is censored or another code, 1.. the causes in order
    status = np.asarray(status)
    kind = np.zeros(len(time), dtype=np.int64)
    for j, c in enumerate(causes):
        kind[status == c] = j + 1
    n_kind = len(causes) + 1
    both = np.bincount(
        cell * n_kind + kind, weights=weights, minlength=n_s * n_t * k * n_kind
    ).reshape(shape + (n_kind,))
    removed = both.sum(axis=-1)
    events = both[..., 1:]
    at_risk = np.cumsum(removed[:, ::-1], axis=1)[:, ::-1]
    if entry is not None:
        # not yet at risk at every t <= entry: remove at the last such time, reverse-cumulate
        ei = np.searchsorted(ut, np.asarray(entry, dtype=float), side="right") - 1
        inside = ei >= 0
        ecell = ei[inside] * k + np.asarray(group, np.int64)[inside]
        if strata is not None:
            ecell += np.asarray(strata, np.int64)[inside] * (n_t * k)
        wts = None if weights is None else np.asarray(weights)[inside]
        late = np.bincount(ecell, weights=wts, minlength=n_s * n_t * k).reshape(shape)
        at_risk = at_risk - np.cumsum(late[:, ::-1], axis=1)[:, ::-1]
    return Counts(ut, at_risk.astype(float), events.astype(float), removed.astype(float), causes)


def km_columns(
    at_risk: np.ndarray, events: np.ndarray, removed: np.ndarray
) -> dict[str, np.ndarray]:
    """Kaplan-Meier of one group over the times where someone leaves, as R ``survfit``.

    Returns ``mask`` (the kept times), ``survival`` and ``std_err`` (Greenwood's SE of the
    cumulative hazard, R's ``std.err``: infinite once the curve reaches 0).
    """
    keep = removed > 0
    n, d = at_risk[keep], events[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n)
        inc = np.where(d > 0, d / (n * (n - d)), 0.0)
    return {"mask": keep, "survival": surv, "std_err": np.sqrt(np.cumsum(inc))}


def aalen_johansen(
    at_risk: np.ndarray, events: np.ndarray, removed: np.ndarray
) -> dict[str, np.ndarray]:
    """Aalen-Johansen cumulative incidence of one group over the times where someone leaves.

    ``at_risk`` and ``removed`` are (T,), ``events`` (T, C) per cause, as :func:`count_table`
    gives them for one stratum and group. As cmprsk's ``cinc``: the all-cause Kaplan-Meier
    ``S(t) = prod (n - d) / n`` and ``F_c(t) = sum S(u-) d_c(u) / n(u)`` over ``u <= t``.

    Returns ``mask`` (the kept times), ``surv_before`` / ``surv_after`` (``S(t-)``, ``S(t)``;
    exactly 0 once everybody at risk has failed) and ``cif`` (T', C).
    """
    keep = removed > 0
    n, d = at_risk[keep], events[keep]
    d_all = d.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv_after = np.cumprod(np.where(n > 0, (n - d_all) / n, 1.0))
        surv_before = np.r_[1.0, surv_after[:-1]]
        cif = np.cumsum(
            np.where(n[:, None] > 0, surv_before[:, None] * d / n[:, None], 0.0), axis=0
        )
    return {"mask": keep, "surv_before": surv_before, "surv_after": surv_after, "cif": cif}


def logrank_oev(counts: Counts, rho: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed, expected and the variance matrix of O - E (R ``survdiff``), summed over strata,
    from the first cause's events.

    The G-rho family: each event time weighted by ``S(t-)^rho``, ``S`` the Kaplan-Meier of the
    pooled stratum; O and E by it, the hypergeometric variance by its square.
    """
    deaths = counts.events[..., 0]  # (S, T, k)
    k = deaths.shape[-1]
    n = counts.at_risk.sum(axis=-1)  # (S, T)
    d = deaths.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if rho:
            step = np.where(d > 0, 1.0 - d / np.where(n > 0, n, 1.0), 1.0)
            km = np.cumprod(step, axis=1)
            km_before = np.concatenate([np.ones((km.shape[0], 1)), km[:, :-1]], axis=1)
            wt = (km_before**rho).reshape(-1)
        else:
            wt = np.ones(n.size)
    n_r, d_g = counts.at_risk.reshape(-1, k), deaths.reshape(-1, k)
    n, d = n.reshape(-1), d.reshape(-1)
    use = d > 0
    n_r, d_g, n, d, wt = n_r[use], d_g[use], n[use], d[use], wt[use]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(n[:, None] > 0, n_r / n[:, None], 0.0)
        hyper = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    obs = (wt[:, None] * d_g).sum(axis=0)
    exp = (wt[:, None] * frac * d[:, None]).sum(axis=0)
    w2 = wt**2 * hyper
    var = np.diag((w2[:, None] * frac).sum(axis=0)) - frac.T @ (frac * w2[:, None])
    return obs, exp, var


def survdiff_chisq(obs: np.ndarray, exp: np.ndarray, var: np.ndarray) -> float:
    """R ``survdiff``'s chi-square: groups with expected events, the first one left out."""
    keep = np.flatnonzero(exp > 0)
    if len(keep) < 2:
        return 0.0
    keep = keep[1:]
    u = (obs - exp)[keep]
    return float(u @ np.linalg.solve(var[np.ix_(keep, keep)], u))


def gray_statistic(
    at_risk: np.ndarray, d1: np.ndarray, d2: np.ndarray, rho: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gray's score and covariance in one stratum (cmprsk ``crst``) from counts per time x group.

    ``at_risk``, ``d1`` (events of the cause) and ``d2`` (competing events) are (T, ng) over the
    stratum's distinct times in order. cmprsk's loop over times becomes cumulative products and
    sums: only the times with an event update anything, the group Kaplan-Meier ``skm`` and
    incidence ``f1`` are cumulative, ``c`` is the cumulative sum of its increments, and the
    variance terms are sums over times of outer products.
    """
    ng = at_risk.shape[1]
    ng1 = ng - 1
    nd1_all, nd2_all = d1.sum(axis=1), d2.sum(axis=1)
    ev = (nd1_all > 0) | (nd2_all > 0)
    rs, d1, d2 = at_risk[ev], d1[ev], d2[ev]
    nd1 = nd1_all[ev]
    if not len(rs):
        return np.zeros(ng1), np.zeros((ng1, ng1))
    act = rs > 0
    rs_a = np.where(act, rs, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        skm = np.cumprod(np.where(act, (rs - d1 - d2) / rs_a, 1.0), axis=0)
        skmm = np.vstack([np.ones(ng), skm[:-1]])
        f1 = np.cumsum(np.where(act, skmm * d1 / rs_a, 0.0), axis=0)
        f1m = np.vstack([np.zeros(ng), f1[:-1]])
        skmm_a = np.where(act, skmm, 1.0)
        t1 = np.where(act, rs / skmm_a, 0.0)
        tr = t1.sum(axis=1)
        tq = np.where(act, rs * (1 - f1m) / skmm_a, 0.0).sum(axis=1)
        f = np.cumsum(nd1 / tr)
        fm = np.r_[0.0, f[:-1]]
        fb = (1 - fm) ** rho
        eye = np.eye(ng)
        a = fb[:, None, None] * (
            eye[None] * t1[:, None, :] - t1[:, :, None] * t1[:, None, :] / tr[:, None, None]
        )
        inc = a * (nd1 / (tr * (1 - fm)))[:, None, None]
        both = act[:, :, None] & act[:, None, :]
        c = np.cumsum(np.where(both, inc, 0.0), axis=0)
        score = np.where(
            act[:, :ng1],
            fb[:, None]
            * (
                d1[:, :ng1]
                - (nd1[:, None] * rs[:, :ng1] * (1 - f1m[:, :ng1]))
                / (skmm_a[:, :ng1] * tq[:, None])
            ),
            0.0,
        ).sum(axis=0)
        skm_pos = skm > 0
        skm_a = np.where(skm_pos, skm, 1.0)
        # the cause's events
        t4 = np.where(skm_pos, 1 - (1 - f)[:, None] / skm_a, 1.0)
        t5 = np.where((nd1 > 1)[:, None], 1 - (nd1[:, None] - 1) / (tr[:, None] * skmm_a - 1), 1.0)
        t3 = np.where(act, t5 * skmm * nd1[:, None] / (tr[:, None] * rs_a), 0.0)
        t3 = np.where((nd1 > 0)[:, None], t3, 0.0)
        v3 = (t4 * t4 * t3).sum(axis=0)
        tt1 = a[:, :ng1, :] - t4[:, None, :] * c[:, :ng1, :]
        v2 = (tt1 * (t4 * t3)[:, None, :]).sum(axis=0)
        v = np.einsum("tik,tk,tjk->ij", tt1, t3, tt1)
        # competing events
        k2 = skm_pos & (d2 > 0)
        t4 = np.where(k2, (1 - f)[:, None] / skm_a, 0.0)
        t5 = np.where(d2 > 1, 1 - (d2 - 1.0) / np.where(d2 > 1, rs - 1.0, 1.0), 1.0)
        t3 = np.where(k2, t5 * skmm**2 * d2 / rs_a**2, 0.0)
        v3 += (t4 * t4 * t3).sum(axis=0)
        tt1 = t4[:, None, :] * c[:, :ng1, :]
        v2 -= (tt1 * (t4 * t3)[:, None, :]).sum(axis=0)
        v += np.einsum("tik,tk,tjk->ij", tt1, t3, tt1)
    c1 = c[-1, :ng1, :]
    v += (c1 * v3[None, :]) @ c1.T + c1 @ v2.T + v2 @ c1.T
    return score, v

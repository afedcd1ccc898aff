"""The Cox partial-likelihood fit behind :func:`cohort.cox`: a small vectorised numpy core.

Why not lifelines: ``CoxPHFitter`` has Efron ties only (no Breslow), no delayed entry with strata
and case weights together (``CoxTimeVaryingFitter`` has no robust variance), and its weighted Efron
terms are not R's. This module reproduces R's ``coxph`` (``coxfit6.c`` / ``agfit4.c``) for
``Surv(entry, time, event)`` data with strata, case weights, ``ties = "efron" | "breslow"`` and the
robust (sandwich) variance of ``coxph(robust = TRUE)`` / ``cluster =``. lifelines remains the test
oracle where it applies (tests/test_parity_cox.py).

The core takes plain arrays and returns a :class:`CoxFit`; nothing here knows about cohorts,
formulas or endpoints, so a faster implementation can replace :func:`fit_cox` as long as it returns
the same fields.

Notation (R's): for an event time ``t`` in a stratum, the risk set is ``entry < t <= time``;
``r = exp(x beta)``; ``S0, S1, S2`` are the weighted sums of ``r``, ``r x``, ``r x x'`` over the risk
set and ``D0, D1, D2`` the same sums over the ``d`` patients who die at ``t`` (total weight ``dw``).
Breslow: each event time contributes ``sum_dead w x beta - dw log S0``. Efron: the tied deaths are
removed from the denominator in ``d`` equal steps, ``denom_k = S0 - (k / d) D0`` for
``k = 0 .. d - 1``, each step carrying weight ``dw / d``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TIES", "CoxFit", "fit_cox"]

TIES = ("efron", "breslow")


@dataclass(frozen=True)
class CoxFit:
    """A fitted Cox model (arrays only).

    Attributes
    ----------
    coef : numpy.ndarray
        Coefficients (p,).
    var : numpy.ndarray
        Inverse of the information matrix (p, p): R's ``fit$naive.var`` when robust, else ``vcov``.
    robust_var : numpy.ndarray or None
        Sandwich variance ``D'D`` from the dfbeta residuals summed within clusters (R's ``vcov`` of
        a ``robust = TRUE`` / ``cluster =`` fit); None when not asked for.
    loglik, loglik0 : float
        Log partial likelihood at ``coef`` and at zero (R's ``fit$loglik``).
    score_test : float
        Score test of all coefficients being zero (R's ``fit$score``).
    iterations : int
    converged : bool
    ties : str
    """

    coef: np.ndarray
    var: np.ndarray
    robust_var: np.ndarray | None
    loglik: float
    loglik0: float
    score_test: float
    iterations: int
    converged: bool
    ties: str


@dataclass(frozen=True)
class _Stratum:
    """Index arrays of one stratum, fixed across Newton iterations."""

    rows: np.ndarray  # positions of the stratum's rows in the data
    times: np.ndarray  # distinct event times (k,)
    exit_pos: np.ndarray  # per row: number of event times < time (risk sets start being left here)
    entry_pos: np.ndarray  # per row: number of event times <= entry
    dead_row: np.ndarray  # rows (stratum positions) that die, and their event time index
    dead_t: np.ndarray
    ndead: np.ndarray  # deaths per event time (count, Efron's d)


def _strata(time, event, entry, strata) -> list[_Stratum]:
    out = []
    for s in np.unique(strata):
        rows = np.flatnonzero(strata == s)
        ts, es = time[rows], event[rows]
        ut = np.unique(ts[es == 1])
        exit_pos = np.searchsorted(ut, ts, side="right")  # event times <= time
        entry_pos = (
            np.zeros(len(rows), dtype=np.int64)
            if entry is None
            else np.searchsorted(ut, entry[rows], side="right")  # event times <= entry
        )
        dead_row = np.flatnonzero(es == 1)
        dead_t = np.searchsorted(ut, ts[dead_row])
        ndead = np.bincount(dead_t, minlength=len(ut)).astype(float)
        out.append(_Stratum(rows, ut, exit_pos, entry_pos, dead_row, dead_t, ndead))
    return out


def _risk_sums(values: np.ndarray, st: _Stratum) -> np.ndarray:
    """Sum of ``values`` (rows of the stratum) over each event time's risk set.

    A row is at risk at event time j (0-based) when ``entry_pos <= j < exit_pos``: add its value
    from ``entry_pos`` on and remove it from ``exit_pos`` on, then take running sums.
    """
    k = len(st.times)
    shape = (k + 1,) + values.shape[1:]
    delta = np.zeros(shape)
    np.add.at(delta, st.entry_pos, values)
    np.add.at(delta, st.exit_pos, -values)
    return np.cumsum(delta, axis=0)[:k]


def _death_sums(values: np.ndarray, st: _Stratum) -> np.ndarray:
    out = np.zeros((len(st.times),) + values.shape[1:])
    np.add.at(out, st.dead_t, values[st.dead_row])
    return out


def _efron_steps(st: _Stratum, ties: str) -> int:
    return int(st.ndead.max()) if ties == "efron" and len(st.ndead) else 1


def _loglik_score_info(
    beta: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    strata: list[_Stratum],
    ties: str,
    with_info: bool = True,
):
    """Log partial likelihood, score and information at ``beta`` (R ``coxfit6``/``agfit4``)."""
    p = x.shape[1]
    eta = x @ beta
    ll, u, imat = 0.0, np.zeros(p), np.zeros((p, p))
    for st in strata:
        if len(st.times) == 0:
            continue
        xs, ws = x[st.rows], w[st.rows]
        wr = ws * np.exp(eta[st.rows])
        xx = xs[:, :, None] * xs[:, None, :] if with_info else None
        s0, s1 = _risk_sums(wr, st), _risk_sums(wr[:, None] * xs, st)
        d0, d1 = _death_sums(wr, st), _death_sums(wr[:, None] * xs, st)
        dw = _death_sums(ws, st)
        ll += float(ws[st.dead_row] @ eta[st.rows][st.dead_row])
        u += (ws[st.dead_row, None] * xs[st.dead_row]).sum(axis=0)
        if with_info:
            s2, d2 = _risk_sums(wr[:, None, None] * xx, st), _death_sums(wr[:, None, None] * xx, st)
        nd = st.ndead if ties == "efron" else np.ones(len(st.times))
        for k in range(_efron_steps(st, ties)):
            act = nd > k
            frac = (k / nd[act]) if ties == "efron" else np.zeros(act.sum())
            wt = dw[act] / nd[act]  # Efron: the tied deaths' mean weight per step
            den = s0[act] - frac * d0[act]
            a = (s1[act] - frac[:, None] * d1[act]) / den[:, None]
            ll -= float(wt @ np.log(den))
            u -= (wt[:, None] * a).sum(axis=0)
            if with_info:
                c = (s2[act] - frac[:, None, None] * d2[act]) / den[:, None, None]
                imat += (wt[:, None, None] * (c - a[:, :, None] * a[:, None, :])).sum(axis=0)
    return ll, u, imat


def _score_residuals(
    beta: np.ndarray, x: np.ndarray, w: np.ndarray, strata: list[_Stratum], ties: str
) -> np.ndarray:
    """Per-row score residuals (R ``residuals(fit, type = "score")``, unweighted).

    ``U_i = sum over event times t in (entry_i, time_i] of (death term) - r_i (x_i - xbar) dLambda``;
    with Efron ties a patient dying at t takes part in step k with weight ``1 - k/d`` and its death
    term is ``x_i`` minus the mean of the step means ``xbar_k``.
    """
    n, p = x.shape
    resid = np.zeros((n, p))
    eta = x @ beta
    for st in strata:
        k = len(st.times)
        if k == 0:
            continue
        xs, ws = x[st.rows], w[st.rows]
        r = np.exp(eta[st.rows])
        wr = ws * r
        s0, s1 = _risk_sums(wr, st), _risk_sums(wr[:, None] * xs, st)
        d0, d1 = _death_sums(wr, st), _death_sums(wr[:, None] * xs, st)
        dw = _death_sums(ws, st)
        nd = st.ndead if ties == "efron" else np.ones(k)
        h, xh = np.zeros(k), np.zeros((k, p))  # all at risk: sum_k haz_k, sum_k haz_k xbar_k
        hd, xhd = np.zeros(k), np.zeros((k, p))  # the dying: weighted by 1 - k/d
        xbar_mean = np.zeros((k, p))
        for step in range(_efron_steps(st, ties)):
            act = nd > step
            frac = (step / nd[act]) if ties == "efron" else np.zeros(act.sum())
            den = s0[act] - frac * d0[act]
            haz = dw[act] / nd[act] / den
            xbar = (s1[act] - frac[:, None] * d1[act]) / den[:, None]
            h[act] += haz
            xh[act] += haz[:, None] * xbar
            hd[act] += (1 - frac) * haz
            xhd[act] += ((1 - frac) * haz)[:, None] * xbar
            xbar_mean[act] += xbar / nd[act][:, None]
        ch = np.concatenate([[0.0], np.cumsum(h)])
        cxh = np.concatenate([np.zeros((1, p)), np.cumsum(xh, axis=0)])
        sum_h = ch[st.exit_pos] - ch[st.entry_pos]
        sum_xh = cxh[st.exit_pos] - cxh[st.entry_pos]
        res = -r[:, None] * (xs * sum_h[:, None] - sum_xh)
        i, j = st.dead_row, st.dead_t
        res[i] += r[i, None] * ((xs[i] * h[j, None] - xh[j]) - (xs[i] * hd[j, None] - xhd[j]))
        res[i] += xs[i] - xbar_mean[j]
        resid[st.rows] = res
    return resid


def fit_cox(
    x: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    *,
    entry: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    ties: str = "efron",
    robust: bool = False,
    cluster: np.ndarray | None = None,
    max_iter: int = 50,
    tol: float = 1e-12,
) -> CoxFit:
    """Newton-Raphson fit of the Cox model, equal to R ``coxph``.

    Parameters
    ----------
    x : numpy.ndarray
        Design matrix (n, p), no intercept, no missing values.
    time, event : numpy.ndarray
        Exit times and 0/1 events.
    entry : numpy.ndarray, optional
        Delayed-entry times (``Surv(entry, time, event)``), each below its ``time``.
    weights : numpy.ndarray, optional
        Case weights (R ``weights=``).
    strata : numpy.ndarray, optional
        Integer stratum codes.
    ties : {"efron", "breslow"}
    robust : bool
        Also compute the sandwich variance (each row its own cluster unless ``cluster`` is given).
    cluster : numpy.ndarray, optional
        Cluster codes: dfbeta residuals are summed within clusters (implies ``robust``).
    max_iter, tol :
        Newton steps stop when the log-likelihood changes by less than ``tol`` relative to it (R's
        default is 1e-9; tighter here so results agree with R to its printed precision).

    Returns
    -------
    CoxFit

    Raises
    ------
    numpy.linalg.LinAlgError
        Singular information (collinear covariates); the caller names the covariates.
    """
    if ties not in TIES:
        raise ValueError(f"ties={ties!r}: use one of {', '.join(TIES)}")
    x = np.asarray(x, dtype=float)
    n, p = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    event = np.asarray(event).astype(np.int64)
    sts = _strata(
        np.asarray(time, dtype=float),
        event,
        None if entry is None else np.asarray(entry, dtype=float),
        np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata),
    )
    xc = x - x.mean(axis=0)  # centring, as R, for numerical stability only
    beta = np.zeros(p)
    ll0, u0, i0 = _loglik_score_info(beta, xc, w, sts, ties)
    score_test = float(u0 @ np.linalg.solve(i0, u0))
    ll, u, imat = ll0, u0, i0
    converged = False
    it = 0
    while it < max_iter:
        it += 1
        step = np.linalg.solve(imat, u)
        new = beta + step
        ll_new, u_new, i_new = _loglik_score_info(new, xc, w, sts, ties)
        halvings = 0
        while (not np.isfinite(ll_new) or ll_new < ll - 1e-12 * abs(ll)) and halvings < 30:
            new = (beta + new) / 2  # R: step halving when the likelihood got worse
            ll_new, u_new, i_new = _loglik_score_info(new, xc, w, sts, ties)
            halvings += 1
        done = abs(ll_new - ll) <= tol * abs(ll) and np.max(np.abs(new - beta)) < 1e-8
        beta, ll, u, imat = new, ll_new, u_new, i_new
        if done:
            converged = True
            break
    var = np.linalg.inv(imat)
    robust_var = None
    if robust or cluster is not None:
        dfbeta = (w[:, None] * _score_residuals(beta, xc, w, sts, ties)) @ var
        if cluster is not None:
            codes = np.unique(np.asarray(cluster), return_inverse=True)[1].reshape(-1)
            summed = np.zeros((codes.max() + 1, p))
            np.add.at(summed, codes, dfbeta)
            dfbeta = summed
        robust_var = dfbeta.T @ dfbeta
    return CoxFit(
        coef=beta,
        var=var,
        robust_var=robust_var,
        loglik=float(ll),
        loglik0=float(ll0),
        score_test=score_test,
        iterations=it,
        converged=converged,
        ties=ties,
    )

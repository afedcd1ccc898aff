"""Fine-Gray proportional subdistribution hazards regression, computed as R's ``cmprsk::crr``.

Hand-written because no mature Python package fits it (``comprisk`` 0.8.0 and the GPL ``pycmprsk``
are young and unverified). The estimating equations and the sandwich variance follow Fine & Gray
(JASA 1999;94:496-509) exactly as cmprsk's Fortran computes them (``crrfsv``, ``crrf``, ``crrvv`` in
``src/crr.f``, Robert Gray, GPL >= 2): the sums that the Fortran forms with nested loops over
patients are written here as matrix products and cumulative sums, which give the same numbers.

Notation: patients sorted by time ``t``; ``eps`` 1 for the event of interest, 2 for a competing
event, 0 censored; ``G`` the Kaplan-Meier estimate of the censoring distribution and ``G(t-)`` its
left limit, evaluated as crr does (``approx(..., xout = t * (1 - 100 * eps))``). At the k-th distinct
time ``s_k`` of an event of interest (``d_k`` events), patient ``j`` has weight

    w_kj = 1                            if t_j >= s_k   (still in the risk set)
         = G(s_k-) / G(t_j-)            if t_j < s_k and eps_j = 2 (kept after a competing event)
         = 0                            otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FineGrayFit", "fit_finegray"]

_EPS = np.finfo(float).eps
_CHUNK = 256  # failure times per block when forming weight matrices (bounds memory at n * 256)


@dataclass(frozen=True)
class FineGrayFit:
    coef: np.ndarray
    var: np.ndarray  # sandwich covariance (crr ``$var``)
    information: np.ndarray  # crr ``$inf``
    score: np.ndarray
    loglik: float
    loglik_null: float
    converged: bool
    n_iter: int
    event_times: np.ndarray  # distinct times of the event of interest (crr ``$uftime``)
    baseline_jumps: (
        np.ndarray
    )  # jumps of the baseline cumulative subdistribution hazard (``$bfitj``)


def _censoring_left_limits(time: np.ndarray, censored: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``G(at-)``: Kaplan-Meier of censoring (scikit-survival), looked up as crr's ``approx`` call."""
    from sksurv.nonparametric import kaplan_meier_estimator

    if not censored.any():
        return np.ones(len(at))
    km_t, km_s = kaplan_meier_estimator(censored.astype(bool), time)
    # crr evaluates the step function at t * (1 - 100 eps), i.e. just before t (at 0 itself for t = 0)
    idx = np.searchsorted(km_t, at * (1 - 100 * _EPS), side="right") - 1
    return np.where(idx >= 0, km_s[np.maximum(idx, 0)], 1.0)


@dataclass(frozen=True)
class _Data:
    t: np.ndarray
    eps: np.ndarray
    x: np.ndarray
    g_own: np.ndarray  # G(t_j-) per patient
    s: np.ndarray  # distinct event times
    d: np.ndarray  # events at each
    g_s: np.ndarray  # G(s_k-)


def _weights(data: _Data, k0: int, k1: int) -> np.ndarray:
    """Weights w_kj for failure times k0..k1-1 (rows) and all patients (columns)."""
    s = data.s[k0:k1, None]
    at_risk = data.t[None, :] >= s
    kept = (data.t[None, :] < s) & (data.eps[None, :] == 2)
    ratio = data.g_s[k0:k1, None] / np.where(data.g_own > 0, data.g_own, 1.0)[None, :]
    return np.where(at_risk, 1.0, np.where(kept, ratio, 0.0))


def _risk_sums(data: _Data, beta: np.ndarray, second: bool = True):
    """S0 (K), S1 (K x p) and S2 (K x p x p) of the weighted risk sets at the failure times."""
    r = np.exp(data.x @ beta)
    xr = data.x * r[:, None]
    big_k, p = len(data.s), data.x.shape[1]
    s0 = np.empty(big_k)
    s1 = np.empty((big_k, p))
    s2 = np.empty((big_k, p, p)) if second else None
    xx = np.einsum("ij,ik->ijk", xr, data.x) if second else None
    for k0 in range(0, big_k, _CHUNK):
        k1 = min(k0 + _CHUNK, big_k)
        w = _weights(data, k0, k1)
        s0[k0:k1] = w @ r
        s1[k0:k1] = w @ xr
        if second:
            s2[k0:k1] = np.einsum("kj,jab->kab", w, xx)
    return s0, s1, s2


def _loglik(data: _Data, beta: np.ndarray) -> float:
    s0, _, _ = _risk_sums(data, beta, second=False)
    ev = data.eps == 1
    return float((data.x[ev] @ beta).sum() - (data.d * np.log(s0)).sum())


def _derivatives(data: _Data, beta: np.ndarray):
    s0, s1, s2 = _risk_sums(data, beta)
    ev = data.eps == 1
    e = s1 / s0[:, None]
    loglik = float((data.x[ev] @ beta).sum() - (data.d * np.log(s0)).sum())
    score = data.x[ev].sum(axis=0) - (data.d[:, None] * e).sum(axis=0)
    cov = s2 / s0[:, None, None] - np.einsum("ka,kb->kab", e, e)
    info = (data.d[:, None, None] * cov).sum(axis=0)
    return loglik, score, info, s0, e


def _sandwich(data: _Data, beta: np.ndarray, info: np.ndarray, s0: np.ndarray, e: np.ndarray):
    """``inv(I) (sum_i (eta_i + psi_i)(eta_i + psi_i)') inv(I)`` as crr's ``crrvv``.

    ``eta_i`` is patient i's martingale score term and ``psi_i`` the correction for estimating G
    (Fine & Gray 1999, section 3.2; the terms of ``crrvv`` are named in the comments).
    """
    t, eps, x = data.t, data.eps, data.x
    n, p = x.shape
    r = np.exp(x @ beta)
    # e(t_i) for the event patients: their own distinct time's index
    k_of = np.searchsorted(data.s, t)
    eta = np.zeros((n, p))
    ev = eps == 1
    eta[ev] = x[ev] - e[k_of[ev]]  # "d N_i portion of eta_i"
    cvec = data.d / s0
    a = np.zeros(n)
    b = np.zeros((n, p))
    for k0 in range(0, len(data.s), _CHUNK):
        k1 = min(k0 + _CHUNK, len(data.s))
        w = _weights(data, k0, k1)
        a += w.T @ cvec[k0:k1]
        b += w.T @ (cvec[k0:k1, None] * e[k0:k1])
    eta -= r[:, None] * (x * a[:, None] - b)  # "d lambda hat portion of eta_i"

    # psi_i: q(u) at each distinct censoring time u, combined with dN^c and its compensator
    psi = np.zeros((n, p))
    cens = eps == 0
    if cens.any():
        u, c_count = np.unique(t[cens], return_counts=True)
        at_risk_u = n - np.searchsorted(t, u, side="left")  # t sorted: patients with t >= u
        comp = eps == 2
        wc = np.where(comp, r / np.where(data.g_own > 0, data.g_own, 1.0), 0.0)
        p0 = np.r_[0.0, np.cumsum(wc)]
        p1 = np.vstack([np.zeros(p), np.cumsum(wc[:, None] * x, axis=0)])
        before = np.searchsorted(t, u, side="left")  # patients with t < u
        p0_u, p1_u = p0[before], p1[before]
        ga = data.d * data.g_s / s0
        a_rev = np.r_[np.cumsum(ga[::-1])[::-1], 0.0]
        b_rev = np.vstack([np.cumsum((ga[:, None] * e)[::-1], axis=0)[::-1], np.zeros(p)])
        first_k = np.searchsorted(data.s, u, side="left")  # failure times s_k >= u
        q = p1_u * a_rev[first_k][:, None] - p0_u[:, None] * b_rev[first_k]
        # "d lambda c hat portion": -sum over censorings at u <= t_i of q(u) / R(u)^2
        comp_part = np.cumsum(-(c_count / at_risk_u**2)[:, None] * q, axis=0)
        m_of = np.searchsorted(u, t, side="right") - 1
        has = m_of >= 0
        psi[has] = comp_part[m_of[has]]
        # "dNc portion of psi"
        m_c = np.searchsorted(u, t[cens])
        psi[cens] += q[m_c] / at_risk_u[m_c][:, None]
    z = eta + psi
    meat = z.T @ z
    h = np.linalg.inv(info)
    return h @ meat @ h.T


def fit_finegray(
    time: np.ndarray,
    status: np.ndarray,
    x: np.ndarray,
    failcode: int = 1,
    *,
    gtol: float = 1e-6,
    max_iter: int = 50,
) -> FineGrayFit:
    """Fit the Fine-Gray model by Newton-Raphson with step halving, as ``crr``.

    From ``b = 0`` the iterates are crr's, so with crr's ``gtol`` the estimate is crr's to rounding.

    Parameters
    ----------
    time : array of float
    status : array of int
        0 censored, ``failcode`` the event of interest, any other code a competing event.
    x : array (n, p)
        Covariates without intercept, no missing values.
    failcode : int
    gtol : float
        crr's convergence criterion ``max|U| * max(|b|, 1) < gtol * max(|loglik|, 1)`` (crr's default
        1e-6). It is loose: on AMLSG CIR ~ npm1 crr stops 1.4e-5 from the maximum; a smaller value
        (1e-12) gives the fully converged estimate.
    max_iter : int
        crr's ``maxiter`` is 10; more are allowed here, which changes nothing when crr converges.
    """
    order = np.argsort(time, kind="stable")
    t = np.asarray(time, dtype=float)[order]
    st = np.asarray(status)[order]
    x = np.asarray(x, dtype=float)[order]
    eps = np.where(st == failcode, 1, np.where(st == 0, 0, 2))
    censored = eps == 0
    g_own = _censoring_left_limits(t, censored, t)
    s, d = np.unique(t[eps == 1], return_counts=True)
    data = _Data(t, eps, x, g_own, s, d.astype(float), _censoring_left_limits(t, censored, s))

    p = x.shape[1]
    beta = np.zeros(p)
    loglik_null = _loglik(data, beta)
    converged = False
    n_iter = 0
    for n_iter in range(max_iter + 1):  # noqa: B007 - n_iter is reported
        loglik, score, info, s0, e = _derivatives(data, beta)
        if np.max(np.abs(score) * np.maximum(np.abs(beta), 1)) < max(abs(loglik), 1) * gtol:
            converged = True
            break
        if n_iter == max_iter:
            break
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            break
        # step halving on the (negative) log-likelihood, crr's Armijo rule
        for _ in range(21):
            new = beta + step
            ll_new = _loglik(data, new)
            if np.isfinite(ll_new) and -ll_new <= -loglik - 1e-4 * float(step @ score):
                break
            step = step * 0.5
        else:
            break
        beta = new
    loglik, score, info, s0, e = _derivatives(data, beta)
    try:
        var = _sandwich(data, beta, info, s0, e)
    except np.linalg.LinAlgError:
        var = np.full((p, p), np.nan)
    # crr's crrfit: d_k / S0(s_k), the Breslow-type jump at each distinct event time
    jumps = data.d / s0
    return FineGrayFit(
        beta, var, info, score, loglik, loglik_null, converged, n_iter, data.s, jumps
    )

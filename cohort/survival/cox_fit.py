"""The Cox partial-likelihood fit behind :func:`cohort.cox`.

Why not lifelines: ``CoxPHFitter`` has Efron ties only (no Breslow), no delayed entry with strata
and case weights together (``CoxTimeVaryingFitter`` has no robust variance), its weighted Efron
terms are not R's, and at 1e6 patients it takes a per-row Python loop. The numbers come from
:mod:`cohort.survival.cox_engine`, a numpy port of R's ``coxph`` (``coxfit6.c`` / ``agfit4.c``) for
``Surv(entry, time, event)`` data with strata, case weights, ``ties = "efron" | "breslow"`` and the
robust (sandwich) variance of ``coxph(robust = TRUE)`` / ``cluster =``, in cumulative sums (one
setup pass, a few ``np.bincount`` per Newton step). lifelines remains the test oracle where it
applies (tests/survival/test_parity_cox.py, tests/survival/test_cox_engine.py).

This module keeps the small array-level interface :func:`cohort.survival.cox.cox` calls (:class:`CoxFit`,
:func:`fit_cox`) and the per-event-time terms that ``cox.zph`` weights (:func:`event_time_terms`,
:func:`strata_index`); nothing here knows about cohorts, formulas or endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cohort.survival import cox_engine as _cox_engine

__all__ = ["TIES", "CoxFit", "event_time_terms", "fit_cox", "strata_index", "zph_tests"]

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


def strata_index(
    time: np.ndarray, event: np.ndarray, entry: np.ndarray | None, strata: np.ndarray
) -> list[_Stratum]:
    """Per stratum: its rows, distinct event times and each row's risk-set positions."""
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


def _scatter(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """``out[index[i]] += values[i]`` for arrays of any trailing shape (one ``bincount`` per column,
    far faster than ``np.add.at``)."""
    columns = np.ascontiguousarray(values.reshape(len(values), -1).T)
    out = np.empty((columns.shape[0], size))
    for j, col in enumerate(columns):
        out[j] = np.bincount(index, weights=col, minlength=size)
    return out.T.reshape((size,) + values.shape[1:])


def _risk_sums(values: np.ndarray, st: _Stratum) -> np.ndarray:
    """Sum of ``values`` (rows of the stratum) over each event time's risk set.

    A row is at risk at event time j (0-based) when ``entry_pos <= j < exit_pos``: add its value
    from ``entry_pos`` on and remove it from ``exit_pos`` on, then take running sums.
    """
    k = len(st.times)
    delta = _scatter(st.entry_pos, values, k + 1) - _scatter(st.exit_pos, values, k + 1)
    return np.cumsum(delta, axis=0)[:k]


def _death_sums(values: np.ndarray, st: _Stratum) -> np.ndarray:
    return _scatter(st.dead_t, values[st.dead_row], len(st.times))


def _scatter_outer(index: np.ndarray, weight: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
    """``out[index[i]] += weight[i] x_i x_i'`` without forming the n x p x p array (memory-bound
    and slow for large n): one ``bincount`` per entry of the symmetric p x p matrix."""
    p = x.shape[1]
    out = np.empty((size, p, p))
    for a in range(p):
        wa = weight * x[:, a]
        for b in range(a, p):
            out[:, a, b] = np.bincount(index, weights=wa * x[:, b], minlength=size)
            out[:, b, a] = out[:, a, b]
    return out


def _efron_steps(st: _Stratum, ties: str) -> int:
    return int(st.ndead.max()) if ties == "efron" and len(st.ndead) else 1


def event_time_terms(
    beta: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    st: _Stratum,
    ties: str,
    with_info: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Each event time's contribution to the log-likelihood, score and information.

    Returns ``(loglik_t (k,), score_t (k, p), info_t (k, p, p) or None)`` for the ``k`` event times
    of one stratum; the sums are the model's (R ``coxfit6``/``agfit4``), and ``cox.zph`` weights the
    score and information by a function of the event time (``zph1.c``/``zph2.c``).
    """
    k = len(st.times)
    xs, ws = x[st.rows], w[st.rows]
    eta = xs @ beta
    wr = ws * np.exp(eta)
    s0, s1 = _risk_sums(wr, st), _risk_sums(wr[:, None] * xs, st)
    d0, d1 = _death_sums(wr, st), _death_sums(wr[:, None] * xs, st)
    dw = _death_sums(ws, st)
    ll = _death_sums(ws * eta, st)
    score = _death_sums(ws[:, None] * xs, st)
    # Efron's steps only rescale the same sums: accumulate the scalar weights of S1, D1, S2, D2 over
    # the steps, then form score and information once per event time (p x p work, not d times)
    nd = st.ndead if ties == "efron" else np.ones(k)
    a0, a1 = np.zeros(k), np.zeros(k)  # sum wt / den, sum wt f / den
    b0, b1, b2 = np.zeros(k), np.zeros(k), np.zeros(k)  # sum wt f^m / den^2
    for step in range(_efron_steps(st, ties)):
        act = nd > step
        frac = (step / nd[act]) if ties == "efron" else np.zeros(act.sum())
        wt = dw[act] / nd[act]  # Efron: the tied deaths' mean weight per step
        den = s0[act] - frac * d0[act]
        ll[act] -= wt * np.log(den)
        a0[act] += wt / den
        a1[act] += wt * frac / den
        b0[act] += wt / den**2
        b1[act] += wt * frac / den**2
        b2[act] += wt * frac**2 / den**2
    score -= s1 * a0[:, None] - d1 * a1[:, None]
    info = None
    if with_info:
        k1 = k + 1
        s2 = np.cumsum(
            _scatter_outer(st.entry_pos, wr, xs, k1) - _scatter_outer(st.exit_pos, wr, xs, k1),
            axis=0,
        )[:k]
        dr = st.dead_row
        d2 = _scatter_outer(st.dead_t, wr[dr], xs[dr], k)
        outer = lambda u, v: u[:, :, None] * v[:, None, :]  # noqa: E731
        info = (
            s2 * a0[:, None, None]
            - d2 * a1[:, None, None]
            - outer(s1, s1) * b0[:, None, None]
            + (outer(s1, d1) + outer(d1, s1)) * b1[:, None, None]
            - outer(d1, d1) * b2[:, None, None]
        )
    return ll, score, info


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
    tol: float = 1e-9,
) -> CoxFit:
    """Newton-Raphson fit of the Cox model, equal to R ``coxph``: :func:`cohort.survival.cox_engine.fit_cox`
    (see it for the parameters) returned as a :class:`CoxFit`.

    ``entry`` is the engine's ``start`` and ``tol`` its ``eps``. ``tol=1e-9`` is R's
    ``coxph.control(eps)``, so the iterates (and the number of Newton steps) are R's; ``max_iter=50``
    is looser than R's 20 so a slow fit still converges (it is reported when it does not). The Dask
    path (:mod:`cohort.scale.cox`) iterates with the same values.

    Raises
    ------
    ValueError
        ``ties`` not one of :data:`TIES`.
    numpy.linalg.LinAlgError
        Singular information (collinear covariates); the caller names the covariates.
    """
    if ties not in TIES:
        raise ValueError(f"ties={ties!r}: use one of {', '.join(TIES)}")
    fit = _cox_engine.fit_cox(
        x,
        time,
        event,
        start=entry,
        weights=weights,
        strata=strata,
        ties=ties,
        cluster=cluster,
        robust=robust,
        eps=tol,
        max_iter=max_iter,
    )
    return CoxFit(
        coef=fit.coef,
        var=fit.var,
        robust_var=fit.robust_var,
        loglik=fit.loglik,
        loglik0=fit.loglik_null,
        score_test=fit.score_test,
        iterations=fit.n_iter,
        converged=fit.converged,
        ties=ties,
    )


def zph_tests(
    u2: np.ndarray, info: np.ndarray, terms: dict[str, list[str]], names: list[str]
) -> pd.DataFrame:
    """R ``cox.zph``'s score tests from the summed per-event-time terms.

    Parameters
    ----------
    u2 : numpy.ndarray
        ``sum_t g(t) U_t`` (p,): the score of the time interactions.
    info : numpy.ndarray
        ``(sum V_t, sum g V_t, sum g^2 V_t)`` (3, p, p).
    terms : dict
        Term label -> its design columns.
    names : list of str
        The design columns in coefficient order.

    Returns
    -------
    pandas.DataFrame
        ``chisq``, ``df``, ``p_value`` per term and ``GLOBAL`` (index ``term``).
    """
    p = len(names)
    imat = np.block([[info[0], info[1]], [info[1], info[2]]])
    col = {name: i for i, name in enumerate(names)}
    rows = []
    for label, cols in terms.items():
        jj = [col[c] for c in cols]
        kk = list(range(p)) + [p + j for j in jj]
        u = np.concatenate([np.zeros(p), u2[jj]])
        rows.append((label, float(u @ np.linalg.solve(imat[np.ix_(kk, kk)], u)), len(jj)))
    u = np.concatenate([np.zeros(p), u2])
    rows.append(("GLOBAL", float(u @ np.linalg.solve(imat, u)), p))
    out = pd.DataFrame(rows, columns=["term", "chisq", "df"]).set_index("term")
    out["p_value"] = stats.chi2.sf(out["chisq"], out["df"])
    return out

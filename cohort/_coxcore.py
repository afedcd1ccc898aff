"""The Cox partial-likelihood fit behind :func:`cohort.cox`.

Why not lifelines: ``CoxPHFitter`` has Efron ties only (no Breslow), no delayed entry with strata
and case weights together (``CoxTimeVaryingFitter`` has no robust variance), its weighted Efron
terms are not R's, and at 1e6 patients it takes a per-row Python loop. The numbers come from
:mod:`cohort._cox_engine`, a numpy port of R's ``coxph`` (``coxfit6.c`` / ``agfit4.c``) for
``Surv(entry, time, event)`` data with strata, case weights, ``ties = "efron" | "breslow"`` and the
robust (sandwich) variance of ``coxph(robust = TRUE)`` / ``cluster =``, in cumulative sums (one
setup pass, a few ``np.bincount`` per Newton step). lifelines remains the test oracle where it
applies (tests/test_parity_cox.py, tests/test_cox_engine.py).

This module keeps the small array-level interface :func:`cohort.coxph.cox` calls (:class:`CoxFit`,
:func:`fit_cox`); nothing here knows about cohorts, formulas or endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohort import _cox_engine

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
        coxph's iteration (step halving, stop when ``|1 - loglik_old / loglik_new| <= tol`` after
        a full step); R's default ``tol`` is 1e-9, tighter here so results agree with R to its
        printed precision.

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

"""The Newton-Raphson iterations of R's ``coxph`` and ``cmprsk::crr``, written once.

Both take a callable that evaluates the model at a coefficient vector, so the same iterates come
from the in-memory engines (:mod:`cohort.survival.cox_engine`, :mod:`cohort.survival.finegray_engine`, which
evaluate on arrays) and from the Dask path (:mod:`cohort.scale.cox`, :mod:`cohort.scale.finegray`,
which evaluate with one pass of per-time sums over the partitions).

- :func:`newton_coxph`: ``coxph``'s loop (``coxfit6.c`` / ``agfit4.c``): from 0, a full Newton
  step, halving towards the last accepted point while the log-likelihood falls, stopping when
  ``|1 - loglik_old / loglik_new| <= eps`` after a full step.
- :func:`newton_crr`: ``crr``'s loop: from 0, stop when
  ``max|U| * max(|b|, 1) < gtol * max(|loglik|, 1)``, else a Newton step shortened by halving
  until the Armijo rule on ``-loglik`` holds (at most 20 halvings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["NewtonFit", "newton_coxph", "newton_crr", "solve_cholesky"]

Evaluate = Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class NewtonFit:
    """Where a Newton iteration stopped.

    Attributes
    ----------
    coef : numpy.ndarray
        The last accepted coefficients (p,).
    loglik : float
        Log-likelihood at ``coef``.
    score, information : numpy.ndarray
        Score (p,) and information (p, p) at ``coef``.
    loglik_null : float
        Log-likelihood at 0.
    score_test : float
        Score test of all coefficients being 0 (``U' I^-1 U`` at 0; NaN for :func:`newton_crr`).
    n_iter : int
    converged : bool
    """

    coef: np.ndarray
    loglik: float
    score: np.ndarray
    information: np.ndarray
    loglik_null: float
    score_test: float
    n_iter: int
    converged: bool


def solve_cholesky(imat: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Newton step ``I^-1 U`` through a Cholesky factor (raises LinAlgError when singular)."""
    chol = np.linalg.cholesky(imat)
    y = np.linalg.solve(chol, score)
    return np.linalg.solve(chol.T, y)


def newton_coxph(evaluate: Evaluate, p: int, *, eps: float, max_iter: int) -> NewtonFit:
    """R ``coxph``'s Newton-Raphson iteration.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(beta) -> (loglik, score, information)``.
    p : int
        Number of coefficients.
    eps, max_iter : float, int
        ``coxph.control(eps, iter.max)``.

    Returns
    -------
    NewtonFit

    Raises
    ------
    numpy.linalg.LinAlgError
        Singular information (collinear covariates).
    """
    beta = np.zeros(p)
    loglik, score, imat = evaluate(beta)
    loglik_null = loglik
    step = solve_cholesky(imat, score)
    score_test = float(score @ step)
    newbeta = beta + step
    halving = converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - reported
        newlk, nscore, nimat = evaluate(newbeta)
        if np.isfinite(newlk) and abs(1 - loglik / newlk) <= eps and not halving:
            beta, loglik, score, imat = newbeta, newlk, nscore, nimat
            converged = True
            break
        if n_iter == max_iter:
            beta, loglik, score, imat = newbeta, newlk, nscore, nimat
            break
        if not np.isfinite(newlk) or newlk < loglik:
            halving = True
            newbeta = (newbeta + beta) / 2
        else:
            halving = False
            beta, loglik, score, imat = newbeta, newlk, nscore, nimat
            newbeta = beta + solve_cholesky(imat, score)
    return NewtonFit(beta, loglik, score, imat, loglik_null, score_test, n_iter, converged)


def newton_crr(
    evaluate: Evaluate,
    loglik: Callable[[np.ndarray], float],
    p: int,
    *,
    gtol: float,
    max_iter: int,
) -> NewtonFit:
    """``cmprsk::crr``'s Newton-Raphson iteration with step halving.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(beta) -> (loglik, score, information)``.
    loglik : callable
        ``loglik(beta) -> float`` (the trial points of the step halving need only this).
    p : int
        Number of coefficients.
    gtol, max_iter : float, int
        crr's convergence criterion and the most Newton steps.

    Returns
    -------
    NewtonFit
        ``coef`` the last accepted point; a singular information or 20 failed halvings stop the
        iteration there (``converged`` False), as crr.
    """
    beta = np.zeros(p)
    loglik_null = loglik(beta)
    converged = False
    n_iter = 0
    for n_iter in range(max_iter + 1):  # noqa: B007 - reported
        ll, score, info = evaluate(beta)
        if np.max(np.abs(score) * np.maximum(np.abs(beta), 1)) < max(abs(ll), 1) * gtol:
            converged = True
            break
        if n_iter == max_iter:
            break
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            break
        for _ in range(21):  # crr's step halving (Armijo rule on -loglik)
            new = beta + step
            ll_new = loglik(new)
            if np.isfinite(ll_new) and -ll_new <= -ll - 1e-4 * float(step @ score):
                break
            step = step * 0.5
        else:
            break
        beta = new
    # every exit above follows an evaluation at ``beta``: ll, score and info are its
    return NewtonFit(beta, ll, score, info, loglik_null, float("nan"), n_iter, converged)

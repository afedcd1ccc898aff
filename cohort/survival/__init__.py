"""Estimation: Kaplan-Meier, log-rank, RMST, Cox, competing risks, landmarks, time-varying models.

The modules, each named after what a user would search for:

======================  ============================================================================
``counting``            one table of events and censorings per stratum x group x time x cause
``km``                  Kaplan-Meier (:func:`km`), the log-rank family, median follow-up, RMST
``cox``                 Cox regression (:func:`cohort.cox`) and ``cox.zph``
``cox_fit``             the array-level Cox fit behind ``cox``; ``cox_engine`` the numpy engine
``newton``              the Newton-Raphson loops of ``coxph`` and ``crr``, written once
``competing``           Aalen-Johansen cumulative incidence with cmprsk's variance, Fine-Gray
``gray``                Gray's test; ``finegray`` / ``finegray_engine`` the ``crr`` model and sums
``landmark``            landmark analysis
``time_varying``        time-varying covariates, Mantel-Byar, Simon-Makuch
``discrimination``      Harrell's C, time-dependent AUC, Brier score, comparison of systems
``formula``             safe model formulas and design matrices
``endpoint``,           endpoint columns; group codes and labels; R's ``aeqSurv`` time fix
``grouping``,
``timefix``
======================  ============================================================================

This package re-exports what the module ``cohort.survival`` offered in release 0.1.0
(``from cohort.survival import km, KaplanMeierResult`` keeps working): so
``cohort.survival.km`` is the function. The module is ``cohort.survival.km`` in ``sys.modules``;
import from it with ``from cohort.survival.km import ...`` or ``importlib.import_module``.
"""

from __future__ import annotations

from cohort.survival.km import (
    KaplanMeierResult,
    LogRankResult,
    RMSTResult,
    km,
    logrank,
    logrank_trend,
    median_follow_up,
    pairwise_logrank,
    rmst,
)

__all__ = [
    "KaplanMeierResult",
    "LogRankResult",
    "RMSTResult",
    "km",
    "logrank",
    "logrank_trend",
    "median_follow_up",
    "pairwise_logrank",
    "rmst",
]

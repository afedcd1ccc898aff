"""Estimation: Kaplan-Meier, log-rank, RMST, Cox, competing risks, landmarks, time-varying models.

The modules, each named after what a user would search for:

======================  ============================================================================
``counting``            one table of events and censorings per stratum x group x time x cause
``prepared``            the analysable rows, groups and strata the Kaplan-Meier family starts from
``kaplan_meier``        Kaplan-Meier (:func:`km`) and median follow-up
``log_rank``            the log-rank family: stratified, rho, trend, pairwise
``restricted_mean``     restricted mean survival time (:func:`rmst`)
``cox``                 Cox regression (:func:`cohort.cox`); ``zph`` its ``cox.zph`` test
``cox_fit``             the array-level Cox fit behind ``cox``; ``cox_engine`` the numpy engine
``newton``              the Newton-Raphson loops of ``coxph`` and ``crr``, written once
``competing``           Aalen-Johansen cumulative incidence with cmprsk's variance (``cuminc``)
``gray``                Gray's test
``finegray``            Fine-Gray regression (``crr``); ``finegray_engine`` its cumulative sums
``landmark``            landmark analysis
``tmerge``              start-stop intervals of a time-dependent covariate (R's ``tmerge``)
``time_varying``        the Cox model on them, Mantel-Byar, Simon-Makuch
``discrimination``      Harrell's C, time-dependent AUC, Brier score, comparison of systems
``formula``             safe model formulas and design matrices
``endpoint``,           endpoint columns; group codes and labels; R's ``aeqSurv`` time fix
``grouping``,
``timefix``
======================  ============================================================================

This package re-exports what the module ``cohort.survival`` offered in release 0.1.0
(``from cohort.survival import km, KaplanMeierResult`` keeps working). The modules are named so
that none shadows a function of the same name: ``cohort.survival.km`` is the function,
``cohort.survival.kaplan_meier`` its module (likewise ``logrank``/``log_rank`` and
``rmst``/``restricted_mean``).
"""

from __future__ import annotations

from cohort.survival.kaplan_meier import KaplanMeierResult, km, median_follow_up
from cohort.survival.log_rank import LogRankResult, logrank, logrank_trend, pairwise_logrank
from cohort.survival.restricted_mean import RMSTResult, rmst

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

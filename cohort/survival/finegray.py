"""Fine-Gray proportional subdistribution hazards regression, computed as R's ``cmprsk::crr``.

Hand-written because no mature Python package fits it (``comprisk`` 0.8.0 and the GPL ``pycmprsk``
are young and unverified). The estimating equations and the sandwich variance follow Fine & Gray
(JASA 1999;94:496-509) exactly as cmprsk's Fortran computes them (``crrfsv``, ``crrf``, ``crrvv`` in
``src/crr.f``, Robert Gray, GPL >= 2): the sums that the Fortran forms with nested loops over
patients are cumulative sums in :mod:`cohort.survival.finegray_engine`, which give the same numbers in
time and memory linear in the number of patients.

Notation: patients sorted by time ``t``; ``eps`` 1 for the event of interest, 2 for a competing
event, 0 censored; ``G`` the Kaplan-Meier estimate of the censoring distribution and ``G(t-)`` its
left limit, evaluated as crr does (``approx(..., xout = t * (1 - 100 * eps))``). At the k-th distinct
time ``s_k`` of an event of interest (``d_k`` events), patient ``j`` has weight

    w_kj = 1                            if t_j >= s_k   (still in the risk set)
         = G(s_k-) / G(t_j-)            if t_j < s_k and eps_j = 2 (kept after a competing event)
         = 0                            otherwise.
"""

from __future__ import annotations

from cohort.survival.finegray_engine import FineGrayFit, fit_finegray

__all__ = ["FineGrayFit", "fit_finegray"]

"""The public ``cohort.*`` analyses on a Dask cohort: dispatch and the distributed computations.

:mod:`cohort.scale.dispatch` routes a :class:`~cohort.dask_engine.DaskCohort` (or a dask DataFrame
in the canonical schema) given to ``cohort.km``, ``cohort.cox``, ... to the distributed path of
:mod:`cohort.scale.survival` (Kaplan-Meier, log-rank, RMST from per-time counts),
:mod:`cohort.scale.cox` (Cox by per-time sums, exact Newton steps on the client) or
:mod:`cohort.scale.competing` (cumulative incidence and Gray's test from per-time counts by cause), :mod:`cohort.scale.finegray`
(crr by per-time sums) and :mod:`cohort.scale.landmark` (a lazy filter, then the above).
"""

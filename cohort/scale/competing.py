"""Cumulative incidence and Gray's test of a Dask cohort from per-time counts by cause.

The Aalen-Johansen cumulative incidence, cmprsk's variance and Gray's test depend on the patients
only through the number at risk and the events of each cause per (group, stratum, distinct time).
One ``groupby(...).size()`` on the cluster gives those counts (:func:`cohort.scale.survival.compress`);
the client runs the in-memory code on the compressed rows with the counts as row weights
(:func:`cohort.survival.competing._cuminc_prepared`: Aalen-Johansen curves with cmprsk's variance,
Gray's test by :func:`cohort.survival.gray.gray_test`), so the result is the in-memory
:class:`cohort.survival.competing.CumulativeIncidenceResult`.

Fine-Gray regression is in :mod:`cohort.scale.finegray`.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from cohort._arguments import check_conf_level
from cohort.errors import DataQualityWarning, ModelError
from cohort.scale.survival import COUNT, _columns, compress

if TYPE_CHECKING:  # pragma: no cover
    from cohort.survival.competing import CumulativeIncidenceResult

__all__ = ["cuminc"]


def cuminc(
    data: Any,
    endpoint: Any = "cir",
    by: str | list[str] | None = None,
    *,
    strata: str | list[str] | None = None,
    rho: float = 0.0,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> CumulativeIncidenceResult:
    """:func:`cohort.cuminc` of a Dask cohort (a ``CumulativeIncidenceResult``)."""
    from cohort.survival.competing import _CONF_TYPES, _cuminc_prepared, _prepare

    what = "cohort.cuminc"
    if conf_type not in _CONF_TYPES:
        raise ModelError(f"{what}: conf_type={conf_type!r}; use one of {', '.join(_CONF_TYPES)}.")
    conf_level = check_conf_level(conf_level, what)
    if not np.isfinite(rho):
        raise ModelError(f"{what}: rho must be a finite number, got {rho!r}.")
    counts, excluded = compress(data, endpoint, _columns(by) + _columns(strata), what)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        prep = _prepare(counts, endpoint, by, strata, what)
    if len(prep.time) != len(counts):  # pragma: no cover - compress keeps known rows only
        raise ModelError(f"{what}: the aggregated rows lost some patients.")
    notes = tuple(f"{k} patient(s) left out ({r.replace('_', ' ')})." for r, k in excluded.items())
    weights = counts[COUNT].to_numpy(dtype=float)
    return _cuminc_prepared(
        prep, endpoint, rho, conf_level, conf_type, what, weights, excluded, notes
    )

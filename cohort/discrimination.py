"""Deprecated path of :mod:`cohort.survival.discrimination`; it works until the next release."""

from __future__ import annotations

import warnings

from cohort.survival.discrimination import (
    Concordance,
    SystemComparison,
    brier_score,
    compare_systems,
    concordance,
    concordance_fit,
    integrated_brier,
    time_dependent_auc,
)

__all__ = [
    "Concordance",
    "SystemComparison",
    "brier_score",
    "compare_systems",
    "concordance",
    "concordance_fit",
    "integrated_brier",
    "time_dependent_auc",
]

warnings.warn(
    "cohort.discrimination moved to cohort.survival.discrimination; "
    "the old path works until the next release",
    DeprecationWarning,
    stacklevel=2,
)

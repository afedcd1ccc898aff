"""Deprecated path of :mod:`cohort.survival.competing`; it works until the next release."""

from __future__ import annotations

import warnings

from cohort.survival.competing import (
    CAUSE_NAMES,
    CumulativeIncidenceResult,
    FineGrayResult,
    cuminc,
    finegray,
)

__all__ = [
    "CAUSE_NAMES",
    "CumulativeIncidenceResult",
    "FineGrayResult",
    "cuminc",
    "finegray",
]

warnings.warn(
    "cohort.competing_risks moved to cohort.survival.competing; "
    "the old path works until the next release",
    DeprecationWarning,
    stacklevel=2,
)

"""Deprecated path of :mod:`cohort.survival.competing` and :mod:`cohort.survival.finegray`.

It works until the next release.
"""

from __future__ import annotations

import warnings

from cohort.survival.competing import CAUSE_NAMES, CumulativeIncidenceResult, cuminc
from cohort.survival.finegray import FineGrayResult, finegray

__all__ = [
    "CAUSE_NAMES",
    "CumulativeIncidenceResult",
    "FineGrayResult",
    "cuminc",
    "finegray",
]

warnings.warn(
    "cohort.competing_risks moved to cohort.survival.competing (cuminc) and "
    "cohort.survival.finegray (finegray); "
    "the old path works until the next release",
    DeprecationWarning,
    stacklevel=2,
)

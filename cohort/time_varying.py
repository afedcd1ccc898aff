"""Deprecated path of :mod:`cohort.survival.time_varying`; it works until the next release."""

from __future__ import annotations

import warnings

from cohort.survival.time_varying import (
    MantelByarResult,
    SimonMakuchResult,
    TimeVaryingCoxResult,
    cox_time_varying,
    mantel_byar,
    simon_makuch,
)
from cohort.survival.tmerge import SplitData, split_changes, split_exposure

__all__ = [
    "MantelByarResult",
    "SimonMakuchResult",
    "SplitData",
    "TimeVaryingCoxResult",
    "cox_time_varying",
    "mantel_byar",
    "simon_makuch",
    "split_changes",
    "split_exposure",
]

warnings.warn(
    "cohort.time_varying moved to cohort.survival.time_varying; "
    "the old path works until the next release",
    DeprecationWarning,
    stacklevel=2,
)

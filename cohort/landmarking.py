"""Deprecated path of :mod:`cohort.survival.landmark`; it works until the next release."""

from __future__ import annotations

import warnings

from cohort.survival.landmark import (
    LandmarkResult,
    landmark,
)

__all__ = [
    "LandmarkResult",
    "landmark",
]

warnings.warn(
    "cohort.landmarking moved to cohort.survival.landmark; "
    "the old path works until the next release",
    DeprecationWarning,
    stacklevel=2,
)

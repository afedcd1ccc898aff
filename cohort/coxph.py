"""Deprecated path of :mod:`cohort.survival.cox`; it works until the next release."""

from __future__ import annotations

import warnings

from cohort.survival.cox import CoxResult, cox
from cohort.survival.zph import cox_zph

__all__ = [
    "CoxResult",
    "cox",
    "cox_zph",
]

warnings.warn(
    "cohort.coxph moved to cohort.survival.cox; the old path works until the next release",
    DeprecationWarning,
    stacklevel=2,
)

"""Deprecated path of :mod:`cohort.survival.formula`; it works until the next release."""

from __future__ import annotations

import warnings

from cohort.survival.formula import (
    Factor,
    Formula,
    design_matrix,
    parse_formula,
)

__all__ = [
    "Factor",
    "Formula",
    "design_matrix",
    "parse_formula",
]

warnings.warn(
    "cohort.formula moved to cohort.survival.formula; the old path works until the next release",
    DeprecationWarning,
    stacklevel=2,
)

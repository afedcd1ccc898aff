"""Deprecated: the blocks of this module moved to modules named for what they hold; this path keeps
working for one release.

=====================================================  =============================================
old name (``cohort.report.extra_blocks``)              new module
=====================================================  =============================================
``fmt_p``, ``describe_km``, ``describe_cuminc``,       :mod:`cohort.report.prose`
``describe_cox``
``MIN_PATIENTS``, ``MIN_EVENTS``, ``guarded_km``,      :mod:`cohort.report.guarded`
``guarded_cuminc``, ``guarded_cox``
``group_flow``, ``npm1_mutated``, ``ordered``,         :mod:`cohort.report.subsets`
``classification``, ``UNDETERMINED``
``reclassification_block``, ``compare_systems_block``  :mod:`cohort.report.classification_blocks`
``mrd_block``, ``simon_makuch_block``,                 :mod:`cohort.report.exposure_blocks`
``time_varying_block``, ``landmark_block``
``comutation_block``                                   :mod:`cohort.report.blocks`
=====================================================  =============================================
"""

from __future__ import annotations

import warnings

from cohort.report.blocks import comutation_block
from cohort.report.classification_blocks import compare_systems_block, reclassification_block
from cohort.report.exposure_blocks import (
    landmark_block,
    mrd_block,
    simon_makuch_block,
    time_varying_block,
)
from cohort.report.guarded import MIN_EVENTS, MIN_PATIENTS, guarded_cox, guarded_cuminc, guarded_km
from cohort.report.prose import describe_cox, describe_cuminc, describe_km, fmt_p
from cohort.report.subsets import UNDETERMINED, classification, group_flow, npm1_mutated, ordered

__all__ = [
    "MIN_EVENTS",
    "MIN_PATIENTS",
    "UNDETERMINED",
    "classification",
    "compare_systems_block",
    "comutation_block",
    "describe_cox",
    "describe_cuminc",
    "describe_km",
    "fmt_p",
    "group_flow",
    "guarded_cox",
    "guarded_cuminc",
    "guarded_km",
    "landmark_block",
    "mrd_block",
    "npm1_mutated",
    "ordered",
    "reclassification_block",
    "simon_makuch_block",
    "time_varying_block",
]

warnings.warn(
    "cohort.report.extra_blocks is deprecated and will be removed in the next release; import from "
    "cohort.report.prose, .guarded, .subsets, .classification_blocks, .exposure_blocks or .blocks "
    "(see this module's docstring for where each name went).",
    DeprecationWarning,
    stacklevel=2,
)

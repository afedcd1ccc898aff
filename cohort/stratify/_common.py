"""Deprecated: the rule engine moved to named modules; this path keeps working for one release.

========================================  ==========================================================
old name (``cohort.stratify._common``)    new module
========================================  ==========================================================
``Tri``                                   :mod:`cohort.stratify.logic`
``Inputs``, ``recording_columns``         :mod:`cohort.stratify.inputs`
``Terms``                                 :mod:`cohort.stratify.terms`
``Rule``, ``Modifier``, ``Option``,       :mod:`cohort.stratify.rule_table`
``resolve_options``, ``options_table``,
``rules_table``, ``ELN_CATEGORIES``,
``NOT_APPLICABLE``, ``RESULT_COLUMNS``
``walk``, ``run``                         :mod:`cohort.stratify.walk`
``explain_rules``, ``row_frame``          :mod:`cohort.stratify.explanation`
========================================  ==========================================================
"""

from __future__ import annotations

import warnings

from cohort.stratify.explanation import explain_rules, row_frame
from cohort.stratify.inputs import Inputs, recording_columns
from cohort.stratify.logic import Tri
from cohort.stratify.rule_table import (
    ELN_CATEGORIES,
    NOT_APPLICABLE,
    RESULT_COLUMNS,
    Modifier,
    Option,
    Rule,
    options_table,
    resolve_options,
    rules_table,
)
from cohort.stratify.terms import Terms
from cohort.stratify.walk import run, walk

__all__ = [
    "ELN_CATEGORIES",
    "NOT_APPLICABLE",
    "RESULT_COLUMNS",
    "Inputs",
    "Modifier",
    "Option",
    "Rule",
    "Terms",
    "Tri",
    "explain_rules",
    "options_table",
    "recording_columns",
    "resolve_options",
    "row_frame",
    "rules_table",
    "run",
    "walk",
]

warnings.warn(
    "cohort.stratify._common is deprecated and will be removed in the next release; import from "
    "cohort.stratify.logic, .inputs, .terms, .rule_table, .walk or .explanation instead (see this "
    "module's docstring for where each name went).",
    DeprecationWarning,
    stacklevel=2,
)

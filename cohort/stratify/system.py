"""A rule-table classification system assembled from its parts (:class:`RuleSystem`).

Every ELN module classifies and explains the same way: check the options, read the columns, build
the terms, walk the rows (:func:`~cohort.stratify.walk.run`) with the module's notes, or explain one
patient's rows. :class:`RuleSystem` does that once; a guideline module declares its parts and its
public ``classify_*`` / ``explain_patient`` functions call :meth:`RuleSystem.classify` and
:meth:`RuleSystem.explain`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cohort.stratify.explanation import explain_rules, row_frame
from cohort.stratify.inputs import Inputs
from cohort.stratify.rule_table import Modifier, Option, Rule, resolve_options
from cohort.stratify.terms import Terms
from cohort.stratify.walk import run


def _no_notes(t: Terms, o: Any) -> list[tuple[str, np.ndarray]]:
    return []


@dataclass(frozen=True)
class RuleSystem:
    """The parts of a rule-table system.

    Attributes
    ----------
    name : str
        The system's name (as in ``cohort.stratify.SYSTEMS``), used in option errors.
    options : sequence of Option
    rules : sequence of Rule
        In precedence order.
    categories : sequence of str
    make_inputs : callable
        ``make_inputs(frame, o) -> Inputs`` (``o``: the resolved options).
    build_terms : callable
        ``build_terms(inputs, o) -> Terms``.
    notes : callable
        ``notes(terms, o)`` -> per-patient notes as ``(text, mask)`` pairs.
    modifiers : sequence of Modifier
        Refinements applied after the table.
    """

    name: str
    options: Sequence[Option]
    rules: Sequence[Rule]
    categories: Sequence[str]
    make_inputs: Callable[[pd.DataFrame, Any], Inputs]
    build_terms: Callable[[Inputs, Any], Terms]
    notes: Callable[[Terms, Any], Sequence[tuple[str, np.ndarray]]] = _no_notes
    modifiers: Sequence[Modifier] = ()

    def classify(self, frame: pd.DataFrame, options: Mapping[str, Any]) -> pd.DataFrame:
        """Every patient's ``category``, ``rule``, ``candidates`` and ``notes`` (see
        :func:`~cohort.stratify.walk.run`).

        Raises
        ------
        ClassificationError
            For an unknown option or a value outside its choices.
        """
        o = resolve_options(self.name, self.options, options)
        return run(
            self.make_inputs(frame, o),
            frame.index,
            lambda i: self.build_terms(i, o),
            self.rules,
            self.categories,
            notes=lambda t: self.notes(t, o),
            modifiers=self.modifiers,
        )

    def explain(self, row: pd.Series, result: Any, options: Mapping[str, Any]) -> list[str]:
        """The rows considered for one patient and why each did or did not apply (see
        :func:`~cohort.stratify.explanation.explain_rules`)."""
        o = resolve_options(self.name, self.options, options)
        terms = self.build_terms(self.make_inputs(row_frame(row), o), o)
        return explain_rules(self.rules, terms, self.modifiers, result=result)

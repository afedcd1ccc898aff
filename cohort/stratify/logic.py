"""Three-valued (Kleene) truth vectors: the values every guideline rule reads and returns.

A guideline row is a condition over facts about a patient; the inputs behind those facts may be
missing, so each fact is known True, known False or unknown. :class:`Tri` holds one such value per
patient as two numpy boolean arrays and combines them with ``&``, ``|`` and ``~``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Tri:
    """A vector of three-valued truths: known True, known False, or unknown (neither).

    Kleene logic: ``x & y`` is False as soon as one side is False, ``x | y`` is True as soon as one
    side is True; otherwise unknown propagates. The arrays may be shared with other terms or with
    the input table (to keep memory down at millions of patients): never modify them in place.
    """

    true: np.ndarray
    false: np.ndarray

    @property
    def unknown(self) -> np.ndarray:
        return ~(self.true | self.false)

    @property
    def possible(self) -> np.ndarray:
        return ~self.false

    def __and__(self, other: Tri) -> Tri:
        return Tri(self.true & other.true, self.false | other.false)

    def __or__(self, other: Tri) -> Tri:
        return Tri(self.true | other.true, self.false & other.false)

    def __invert__(self) -> Tri:
        return Tri(self.false, self.true)

    def __len__(self) -> int:
        return len(self.true)

    @staticmethod
    def const(value: bool, n: int) -> Tri:
        return Tri(np.full(n, bool(value)), np.full(n, not value))

    @staticmethod
    def unknown_of(n: int) -> Tri:
        return Tri(np.zeros(n, bool), np.zeros(n, bool))

    @staticmethod
    def any_of(items: Sequence[Tri], n: int) -> Tri:
        true = np.zeros(n, bool)
        false = np.ones(n, bool)
        for t in items:
            true |= t.true
            false &= t.false
        return Tri(true, false)

    @staticmethod
    def all_of(items: Sequence[Tri], n: int) -> Tri:
        true = np.ones(n, bool)
        false = np.zeros(n, bool)
        for t in items:
            true &= t.true
            false |= t.false
        return Tri(true, false)

    def value_at(self, i: int) -> str:
        """``"yes"``, ``"no"`` or ``"unknown"`` for patient ``i`` (for explanations)."""
        if self.true[i]:
            return "yes"
        if self.false[i]:
            return "no"
        return "unknown"

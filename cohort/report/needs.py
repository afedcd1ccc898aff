"""What an analysis needs from a cohort, and what a cohort lacks.

Each analysis script declares ``REQUIRES`` (without them it is not run) and ``OPTIONAL`` (without
them a section is left out with a sentence). A need is one of

- a canonical column (``"dnmt3a"``): present with at least one known value;
- an endpoint name of :data:`cohort.schema.ENDPOINTS` (``"os"``): its time and event columns both
  present and both known for at least one patient;
- ``"mrd"``: an NPM1 MRD table attached to the cohort (``cohort.load(..., mrd=path)``);
- :class:`AnyOf`: at least one of several needs (``AnyOf("cytogenetics", ("karyotype", ...))``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cohort.schema import CYTOGENETIC_FLAGS, ENDPOINTS

_ENDPOINT_WORDS = {"os": "overall survival", "efs": "event-free survival",
                   "rfs": "relapse-free survival", "cir": "relapse incidence"}  # fmt: skip


@dataclass(frozen=True)
class AnyOf:
    """A need met by any one of ``names`` (described as ``label`` when none is there)."""

    label: str
    names: tuple[str, ...]


Need = str | AnyOf

CYTOGENETICS = AnyOf("cytogenetics (a karyotype column or cytogenetic flags)",
                     ("karyotype", *CYTOGENETIC_FLAGS))  # fmt: skip
"""The karyotype or any cytogenetic flag (the loader derives the flags from a karyotype)."""


def _frame(data: Any) -> pd.DataFrame:
    return data.data if hasattr(data, "data") else data


def has(data: Any, need: Need) -> bool:
    """Whether ``data`` (a Cohort or canonical DataFrame) meets ``need``."""
    if isinstance(need, AnyOf):
        return any(has(data, n) for n in need.names)
    if need == "mrd":
        mrd = getattr(data, "mrd", None)
        return mrd is not None and len(mrd) > 0
    frame = _frame(data)
    if need in ENDPOINTS:
        tcol, ecol = ENDPOINTS[need]
        if tcol not in frame.columns or ecol not in frame.columns:
            return False
        return bool((frame[tcol].notna() & frame[ecol].notna()).any())
    return need in frame.columns and bool(frame[need].notna().any())


def describe(need: Need) -> str:
    """A need in words: ``"os"`` -> ``"overall survival (os_days and os_event)"``."""
    if isinstance(need, AnyOf):
        return need.label
    if need == "mrd":
        return "an NPM1 MRD table (cohort.load(..., mrd=path))"
    if need in ENDPOINTS:
        tcol, ecol = ENDPOINTS[need]
        return f"{_ENDPOINT_WORDS[need]} ({tcol} and {ecol})"
    return need


def lacking(data: Any, needs: Iterable[Need]) -> list[str]:
    """The needs ``data`` does not meet, in words (empty when every need is met)."""
    return [describe(n) for n in needs if not has(data, n)]


def join(words: list[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def section_needs(report: Any, what: str, *needs: Need) -> bool:
    """True when the report's cohort meets ``needs``; otherwise a sentence says what is left out."""
    missing = lacking(report.cohort, needs)
    if missing:
        report.text(f"{what}: left out, this cohort lacks {join(missing)}.")
        return False
    return True


__all__ = ["CYTOGENETICS", "AnyOf", "Need", "describe", "has", "join", "lacking", "section_needs"]

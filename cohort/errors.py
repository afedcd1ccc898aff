"""Exception and warning classes raised by cohort.

Every error the toolkit raises derives from :class:`CohortError`; every warning from
:class:`CohortWarning`. Catch ``CohortError`` to handle any toolkit failure in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


class CohortError(Exception):
    """Base class of every error raised by cohort."""


class CohortWarning(UserWarning):
    """Base class of every warning emitted by cohort."""


class DataQualityWarning(CohortWarning):
    """Input data are usable but suspicious (derived values, disagreements, unparsed text)."""


class StatisticalWarning(CohortWarning):
    """An estimate is computable but fragile (small groups, no events, separation)."""


class ConvergenceWarning(StatisticalWarning):
    """A model fit did not converge cleanly."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, located as precisely as the input allows.

    Attributes
    ----------
    reason : str
        A short, stable code naming the rule (e.g. ``"duplicate_id"``).
    message : str
        What is wrong, in words.
    column : str or None
        The input column (canonical name, or the user's name when known).
    row : int or None
        1-based row number in the input file, counting the header as row 1 (as a spreadsheet shows it);
        for a DataFrame input, the 0-based position.
    value : object
        The offending value.
    fix : str
        What the user can do about it.
    patient_id : str or None
        The patient's identifier when known.
    """

    reason: str
    message: str
    column: str | None = None
    row: int | None = None
    value: object = None
    fix: str = ""
    patient_id: str | None = None

    def describe(self, source: str | None = None) -> str:
        where = []
        if source:
            where.append(f"file {source}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        loc = ", ".join(where)
        text = f"{loc}: {self.message}" if loc else self.message
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class CohortValidationError(CohortError):
    """Every problem found in one input, collected into one error.

    Attributes
    ----------
    problems : list of Problem
    source : str or None
        The file name (or "<DataFrame>") the problems were found in.
    """

    def __init__(self, problems: list[Problem], source: str | None = None, max_listed: int = 20):
        self.problems = list(problems)
        self.source = source
        lines = [f"{len(self.problems)} problem(s) found in {source or 'the input'}:"]
        for p in self.problems[:max_listed]:
            lines.append("  - " + p.describe(source))
        if len(self.problems) > max_listed:
            lines.append(f"  ... and {len(self.problems) - max_listed} more (see .problems).")
        lines.append(
            "Correct the input, declare the codes or units in a mapping file, or load with "
            "on_error='exclude' to move the offending rows to .exclusions."
        )
        super().__init__("\n".join(lines))


class LoadError(CohortError):
    """A file cannot be read at all (missing, empty, unknown format, undecodable)."""


class OutputError(CohortError):
    """An output (report folder, CSV) cannot be written where asked, e.g. ``--out`` is a file."""


class MappingError(CohortError):
    """A mapping file or preset is invalid."""


class SchemaError(CohortError):
    """A table does not follow the canonical schema where a function needs it to."""


class ClassificationError(CohortError):
    """A risk classification cannot be applied (unknown system, missing required columns, bad option)."""


class ModelError(CohortError):
    """A survival model cannot be fitted (no events, separation, failure to converge, bad formula)."""


class FormulaError(ModelError):
    """A model formula contains something other than schema columns, numbers and model operators."""


class KaryotypeError(CohortError):
    """A karyotype string cannot be parsed (raised only by strict parsing)."""


__all__ = [
    "ClassificationError",
    "CohortError",
    "CohortValidationError",
    "CohortWarning",
    "ConvergenceWarning",
    "DataQualityWarning",
    "FormulaError",
    "KaryotypeError",
    "LoadError",
    "MappingError",
    "ModelError",
    "OutputError",
    "Problem",
    "SchemaError",
    "StatisticalWarning",
]


class ScaleError(CohortError):
    """An analysis of a Dask cohort has no distributed path and the data are too large to gather."""


class ScaleWarning(CohortWarning):
    """An analysis of a Dask cohort gathered its rows into memory (no distributed path yet)."""

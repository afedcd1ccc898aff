"""Raise every problem at once, or move each offending input row (once) to the exclusions.

A problem confined to one endpoint blanks that endpoint only (``scope``); any other problem costs
the patient.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from cohort.cohort import EXCLUSION_COLUMNS, empty_exclusions
from cohort.errors import CohortValidationError, LoadError, Problem
from cohort.io.normalise import (
    Context,
)
from cohort.io.validation import PATIENT_SCOPE, problem_scope
from cohort.schema import COLUMNS, ENDPOINTS

_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+\s*$")
"""A number written with a decimal comma (``78,6``)."""


ON_ERROR = ("raise", "exclude")
"""The values of ``on_error``."""


def check_on_error(on_error: str) -> None:
    """Refuse an ``on_error`` other than ``"raise"`` or ``"exclude"``."""
    if on_error not in ON_ERROR:
        raise LoadError(f"on_error must be 'raise' or 'exclude', got {on_error!r}.")


def _split(
    frame: pd.DataFrame, ctx: Context, source: str, on_error: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    problems = sorted(ctx.problems, key=lambda pp: pp[0])
    if not problems:
        return frame.reset_index(drop=True), empty_exclusions()
    listed, comma_sentences = _decimal_comma_summary([p for _, p in problems])
    if on_error == "raise":
        err = CohortValidationError(listed, source=source)  # one line per decimal-comma column
        err.problems = [p for _, p in problems]  # every cell, for programs
        raise err
    for sentence in comma_sentences:
        ctx.note("warnings", sentence)
    by_scope = _scopes(problems, ctx)
    records = []
    for (pos, scope), ps in sorted(by_scope.items()):
        records.append(
            {
                "row": ctx.rows[pos],
                "patient_id": ps[0].patient_id,
                "reason": "; ".join(dict.fromkeys(p.reason for p in ps)),
                "column": "; ".join(dict.fromkeys(p.column or "" for p in ps)),
                "value": "; ".join(
                    dict.fromkeys("" if p.value is None else str(p.value) for p in ps)
                ),
                "message": " | ".join(p.describe() for p in ps),
                "scope": scope,
            }
        )
    exclusions = pd.DataFrame.from_records(records, columns=list(EXCLUSION_COLUMNS)).astype(object)
    frame = _blank_endpoints(frame, [k for k in by_scope if k[1] != PATIENT_SCOPE])
    keep = np.ones(len(frame), dtype=bool)
    keep[[pos for pos, scope in by_scope if scope == PATIENT_SCOPE]] = False
    return frame.loc[keep].reset_index(drop=True), exclusions


def _scopes(
    problems: list[tuple[int, Problem]], ctx: Context
) -> dict[tuple[int, str], list[Problem]]:
    """Problems grouped by (row position, scope); a row with any patient-wide problem is one
    ``"patient"`` entry holding all its problems, otherwise one entry per affected endpoint."""
    canonical = {ctx.label(c): c for c in COLUMNS}
    scoped: dict[int, dict[str, list[Problem]]] = {}
    for pos, p in problems:
        scope = problem_scope(canonical.get(p.column or "", p.column))
        scoped.setdefault(pos, {}).setdefault(scope, []).append(p)
    out: dict[tuple[int, str], list[Problem]] = {}
    for pos, scopes in scoped.items():
        if PATIENT_SCOPE in scopes:
            out[(pos, PATIENT_SCOPE)] = [p for q, p in problems if q == pos]
        else:
            out.update({(pos, scope): ps for scope, ps in scopes.items()})
    return out


def _blank_endpoints(frame: pd.DataFrame, scoped: list[tuple[int, str]]) -> pd.DataFrame:
    """Blank the time and event of each (row position, endpoint): the patient stays, the endpoint
    is unknown for them."""
    if not scoped:
        return frame
    frame = frame.copy()
    for pos, endpoint in scoped:
        for col in ENDPOINTS[endpoint]:
            if col in frame.columns:
                frame.iloc[pos, frame.columns.get_loc(col)] = pd.NA
    return frame


def _decimal_comma_summary(problems: list[Problem]) -> tuple[list[Problem], list[str]]:
    """Cells refused because of a decimal comma, one problem (and one sentence) per column.

    Returns the problems to list (each column's decimal-comma cells replaced by one problem naming
    the first cell and the count) and one warning sentence per such column.
    """
    comma = [p for p in problems if p.reason == "not_a_number" and isinstance(p.value, str)
             and _DECIMAL_COMMA.match(p.value)]  # fmt: skip
    by_col: dict[str | None, list[Problem]] = {}
    for p in comma:
        by_col.setdefault(p.column, []).append(p)
    listed, sentences = [], []
    for p in problems:
        if p not in comma:
            listed.append(p)
        elif p is by_col[p.column][0]:
            k = len(by_col[p.column])
            text = (
                f"this column writes numbers with a decimal comma ({k} cell(s)); a comma is not "
                "read as a decimal separator unless declared."
            )
            fix = 'Declare the decimal mark in the mapping file: decimal: "," (docs/mapping.md).'
            listed.append(replace(p, reason="decimal_comma", message=text, fix=fix))
            sentences.append(
                f"column '{p.column}' writes numbers with a decimal comma ({k} cell(s), e.g. "
                f"{p.value!r} in row {p.row}); those cells were refused (rows excluded, or the endpoint "
                f"blanked). {fix}"
            )
    return listed, sentences

"""Explanations: for one patient, every row of a guideline and whether (and why) it applied."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from cohort.stratify.logic import Tri
from cohort.stratify.rule_table import Modifier, Rule
from cohort.stratify.terms import Terms


def _result_rules(result: Mapping[str, Any] | None) -> tuple[bool, set[str]]:
    """(decided, rule ids still possible) of one classify result row."""
    if result is None:
        return True, set()
    rule = result.get("rule")
    ids = set() if rule is None or pd.isna(rule) else set(str(rule).split(">")[0].split("|"))
    category = result.get("category")
    return not (category is None or pd.isna(category)), ids


def explain_rules(
    rules: Sequence[Rule],
    terms: Terms,
    modifiers: Sequence[Modifier] = (),
    result: Mapping[str, Any] | None = None,
) -> list[str]:
    """For a one-patient ``terms``, one line per rule saying whether and why it applied.

    Parameters
    ----------
    rules, terms, modifiers
        The system's rows and the patient's terms.
    result : mapping, optional
        The patient's :func:`run` result (``category``, ``rule``). With it the lines follow the
        exact candidate search of ``classify``: an undetermined patient's rows are "POSSIBLY
        applies" only when ``classify`` lists them, and a row the completions rule out says so.
        Without it, the rows are walked one by one (the first row that applies is shown as
        applying).

    Each line lists the facts the row reads with their values (and the measured value of a
    numeric input, e.g. ``flt3_itd_ar = 0.538``). A row that would apply but comes after the row
    that placed the patient is shown as "outranked"; a row switched off by an option-controlled
    precedence names that option ("outranked by: ...").
    """
    decided, possible = _result_rules(result)
    lines: list[str] = []
    placed: str | None = None
    placed_options = ""
    seen_possible = False
    for rule in rules:
        cats = "|".join(rule.categories)
        head = f"{rule.id} [{cats}] {rule.text}"
        if rule.gate and getattr(terms, rule.gate).false[0]:
            lines.append(f"  off (option)  {head}")
            continue
        tri, used = terms.evaluate(rule.when)
        facts = _facts(terms, used)
        outranked_by = _option_overrides(terms, used)
        if placed is not None:
            if tri.true[0]:
                lines.append(f"  OUTRANKED     {head} (applies, but {placed} comes first)")
                lines.append(f"      because: {facts}")
                if rule.footnote:
                    lines.append(f"      footnote: {rule.footnote}")
                if placed_options:
                    lines.append(f"      options read by {placed}: {placed_options}")
            else:
                lines.append(f"  not reached   {head} (placed earlier by {placed})")
            continue
        listed = rule.id in possible
        if result is not None and not decided:
            if listed:
                status = "POSSIBLY applies"
                seen_possible = True
            elif tri.false[0]:
                status = "does not apply"
            elif seen_possible:
                status = "not reached if a possible row above applies; no completion places here"
            else:
                status = "ruled out    (no completion of the unknown inputs makes it apply)"
        elif tri.true[0]:
            status = "APPLIES      "
            placed = rule.id if len(possible) <= 1 else str(result["rule"])
            placed_options = "; ".join(terms.label(u) for u in used if "option" in terms.label(u))
        elif listed and len(possible) > 1:
            status = "POSSIBLY applies (same category as the row that applies)"
        elif tri.false[0]:
            status = "does not apply"
        elif result is not None and decided and not listed:
            status = "ruled out    (no completion of the unknown inputs makes it apply)"
        else:
            status = "POSSIBLY applies"
        lines.append(f"  {status} {head}")
        if facts:
            lines.append(f"      because: {facts}")
        if outranked_by and tri.false[0] and _applies_without(terms, rule, outranked_by):
            lines.append(f"      outranked by: {'; '.join(terms.label(u) for u in outranked_by)}")
        if rule.footnote:
            lines.append(f"      footnote: {rule.footnote}")
    for mod in modifiers:
        tri, used = terms.evaluate(mod.when)
        facts = _facts(terms, used)
        state = (
            "applies" if tri.true[0] else "does not apply" if tri.false[0] else "possibly applies"
        )
        lines.append(
            f"  refinement {mod.id} ({mod.source_category} -> {mod.target_category}) {mod.text}: "
            f"{state} to a {mod.source_category} patient"
        )
        if facts:
            lines.append(f"      because: {facts}")
    return lines


def _option_overrides(terms: Terms, used: Sequence[str]) -> list[str]:
    """The option-controlled precedence terms a row reads that are true (they switch it off)."""
    return [
        u
        for u in used
        if "option" in terms.label(u) and terms.columns(u) and getattr(terms, u).true[0]
    ]


def _applies_without(terms: Terms, rule: Rule, overrides: Sequence[str]) -> bool:
    """Would ``rule`` apply to the patient if the ``overrides`` terms were false?"""
    saved = {u: terms._tri[u] for u in overrides}
    try:
        for u in overrides:
            terms._tri[u] = Tri.const(False, terms.n)
        tri, _ = terms.evaluate(rule.when)
    finally:
        terms._tri.update(saved)
    return bool(tri.true[0])


def row_frame(row: pd.Series | Mapping[str, Any]) -> pd.DataFrame:
    """One patient's row as a one-row canonical DataFrame (canonical columns get their dtypes)."""
    from cohort.schema import apply_dtypes

    if isinstance(row, pd.Series):
        frame = pd.DataFrame([row.to_dict()], index=[row.name])
    else:
        frame = pd.DataFrame([dict(row)])
    return apply_dtypes(frame)


def _facts(terms: Terms, used: Sequence[str]) -> str:
    """'label = yes/no/unknown' for the terms a rule read (constant option switches left out),
    with the lesions present behind a combined term (``[-17/abn(17p)]``) and the measured value of
    each numeric input behind a term (``flt3_itd_ar = 0.538``)."""
    shown = [u for u in used if terms.columns(u) or getattr(terms, u).true[0]]
    parts = []
    for u in shown:
        text = f"{terms.label(u)} = {getattr(terms, u).value_at(0)}"
        present = terms.present_parts(u)
        if present:
            text += f" [{', '.join(present)}]"
        values = _numeric_values(terms, u)
        parts.append(f"{text} ({values})" if values else text)
    return ", ".join(parts)


def _numeric_values(terms: Terms, name: str) -> str:
    """``column = value`` for the numeric (non-boolean) input columns behind a term."""
    frame = terms.inputs.frame
    out = []
    for col in terms.columns(name):
        if col not in frame.columns or len(frame) != 1:
            continue
        series = frame[col]
        if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
            series.dtype
        ):
            continue
        value = series.iloc[0]
        out.append(f"{col} = {'missing' if pd.isna(value) else format(float(value), 'g')}")
    return ", ".join(out)

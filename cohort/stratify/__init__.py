"""Risk stratification and diagnostic classification: one entry point for every system.

``cohort.classify(data, system, **options)`` returns a DataFrame indexed like the cohort with the
columns ``patient_id`` (when the data have one, so that the result joins back to the patients),
``category``, ``rule`` (the guideline row that placed the patient), ``candidates`` (the
categories still possible when the data cannot decide) and ``notes``. ``cohort.explain(data, system,
patient_id)`` prints, for one patient, every rule considered and why it did or did not apply.

Systems are registered in :data:`SYSTEMS` as ``"module:function"`` strings and imported on first
use. Every system function has the signature ``fn(frame, **options) -> DataFrame`` with exactly the
four result columns; its module may define ``explain_patient(row, **options) -> list[str]`` (used by
:func:`explain`), ``OPTIONS`` (a sequence of :class:`cohort.stratify.rule_table.Option`), ``CATEGORIES``
and ``RULES``. The shared three-valued rule engine is documented in ``cohort/stratify/walk.py``.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cohort._counts import counts_by_frequency
from cohort.cohort import Cohort, as_frame
from cohort.errors import ClassificationError
from cohort.scale.dispatch import scales
from cohort.stratify.rule_table import ELN_CATEGORIES, RESULT_COLUMNS, Option, options_table

SYSTEMS: dict[str, str] = {
    "eln2017": "cohort.stratify.eln2017:classify_eln2017",
    "eln2017_eisfeld2020": "cohort.stratify.eln2017_eisfeld2020:classify_eln2017_eisfeld2020",
    "eln2022": "cohort.stratify.eln2022:classify_eln2022",
    "eln2024": "cohort.stratify.eln2024:classify_eln2024",
    "who2017": "cohort.stratify.diagnostic:classify_who2017",
    "icc2022": "cohort.stratify.diagnostic:classify_icc2022",
    "who2022": "cohort.stratify.diagnostic:classify_who2022",
    "papaemmanuil2016": "cohort.stratify.papaemmanuil2016:classify_papaemmanuil2016",
}
"""System name -> ``"module:function"`` of its classifier."""

CATEGORIES: dict[str, tuple[str, ...]] = {
    "eln2017": ELN_CATEGORIES,
    "eln2017_eisfeld2020": ELN_CATEGORIES,
    "eln2022": ELN_CATEGORIES,
    "eln2024": ELN_CATEGORIES,
}
"""The categories of the ELN systems (others: see :func:`categories`)."""


NEEDS_MAX_PROFILES = 2000
"""Most distinct undetermined patient profiles for which :func:`classify` searches ``needs`` by
default (the search classifies every possible result of every candidate test)."""


def _check_system(system: object) -> str:
    if not isinstance(system, str) or system not in SYSTEMS:
        raise ClassificationError(
            f"Unknown classification system {system!r}. Valid systems: {', '.join(SYSTEMS)}."
        )
    return system


def _module_and_function(system: str) -> tuple[Any, Callable[..., pd.DataFrame]]:
    module_name, func_name = SYSTEMS[_check_system(system)].split(":")
    try:
        module = importlib.import_module(module_name)
        func = getattr(module, func_name)
    except (ImportError, AttributeError) as exc:
        raise ClassificationError(
            f"System {system!r} is registered but its classifier {SYSTEMS[system]} is not "
            f"available ({exc})."
        ) from exc
    return module, func


@scales("classify")
def classify(
    data: Cohort | pd.DataFrame, system: str, *, needs: bool | None = None, **options: Any
) -> pd.DataFrame:
    """Classify every patient under ``system``.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
        Canonical table (see ``docs/schema.md``). Absent columns are treated as unknown, never as
        wild-type.
    system : str
        One of :data:`SYSTEMS` (``"eln2017"``, ``"eln2017_eisfeld2020"``, ``"eln2022"``,
        ``"eln2024"``, ``"who2017"``, ``"icc2022"``, ``"who2022"``, ``"papaemmanuil2016"``).
    needs : bool or None, default None
        The column ``needs``: for an undetermined patient, the smallest sets of missing tests
        whose results would decide the category (``"karyotype|flt3_itd_ar"``: either one;
        ``"karyotype+tp53_vaf"``: both); see :mod:`cohort.stratify.needs`. None (default): single
        tests, then the set of all the patient's missing tests, unless the undetermined patients
        have more than :data:`NEEDS_MAX_PROFILES` distinct input profiles (then a warning, and the
        column is missing); True: every set of up to three tests, however many patients (slower);
        False: no search and no column (the four columns of earlier versions).
    **options
        Options of the system; :func:`options` lists them with defaults and meanings.

    Returns
    -------
    pandas.DataFrame
        Indexed like the cohort, with columns ``patient_id`` (first, when the data have one),
        ``category`` (missing when the available data cannot decide or the system does not apply),
        ``rule``, ``candidates``, ``notes`` and ``needs``. Reports never show ``patient_id`` unless
        asked (``include_ids``).

    Raises
    ------
    ClassificationError
        For an unknown system or option (the message lists the valid names).
    """
    frame = as_frame(data, what=f"classify(system={system!r})")
    _, func = _module_and_function(system)
    result = func(frame, **options)
    if list(result.columns) != list(RESULT_COLUMNS):
        raise ClassificationError(
            f"Classifier of {system!r} returned columns {list(result.columns)}, expected "
            f"{list(RESULT_COLUMNS)} (a bug in the classifier)."
        )
    if needs is not False:
        from cohort.stratify.needs import needed_tests

        limit, max_set = (None, 3) if needs else (NEEDS_MAX_PROFILES, 1)
        result["needs"] = needed_tests(
            frame, result, lambda f: func(f, **options), limit, max_set=max_set
        )
    return _with_patient_id(result, frame)


def _with_patient_id(result: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """``result`` with the patients' identifiers as its first column (when the data have one)."""
    if "patient_id" not in frame.columns:
        return result
    columns = ["patient_id", *(c for c in result.columns if c != "patient_id")]
    return result.assign(patient_id=frame["patient_id"].to_numpy())[columns]


def _find_position(frame: pd.DataFrame, patient_id: Any) -> int:
    """Row position of ``patient_id`` (the ``patient_id`` column, else the index, compared as text)."""
    if "patient_id" in frame.columns:
        keys = frame["patient_id"].astype("string").to_numpy(dtype=object, na_value=None)
        where = "column 'patient_id'"
    else:
        keys = frame.index.astype(str).to_numpy()
        where = "the index"
    hits = np.flatnonzero(keys == str(patient_id))
    if len(hits) == 0:
        raise ClassificationError(
            f"Patient {patient_id!r} not found in {where}. Check the identifier (it is compared as text)."
        )
    if len(hits) > 1:
        raise ClassificationError(
            f"Patient identifier {patient_id!r} occurs {len(hits)} times; identifiers must be unique."
        )
    return int(hits[0])


def explain(
    data: Cohort | pd.DataFrame, system: str, patient_id: Any, *, echo: bool = True, **options: Any
) -> str:
    """Print and return, for one patient, the rules of ``system`` considered and why each applied.

    Parameters
    ----------
    data : Cohort or pandas.DataFrame
    system : str
        A registered system (see :data:`SYSTEMS`).
    patient_id : str
        Matched against the ``patient_id`` column (or the index when there is none).
    echo : bool
        Print the text (default True).
    **options
        The system's options, as for :func:`classify`.

    Returns
    -------
    str
        The explanation: the result, then one entry per rule in precedence order.
    """
    frame = as_frame(data, what=f"explain(system={system!r})")
    module, func = _module_and_function(system)
    position = _find_position(frame, patient_id)
    one = frame.iloc[[position]]
    row = one.iloc[0]
    result = classify(one, system, **options).iloc[0]
    lines = [f"{system}: patient {patient_id}"]
    lines.extend(_explain_header(result))
    lines.append(f"  options in force: {_options_in_force(system, options)}")
    explainer = getattr(module, "explain_patient", None)
    if explainer is not None:
        kwargs = dict(options)
        params = inspect.signature(explainer).parameters
        if "system" in params:
            kwargs["system"] = system
        if "result" in params:
            kwargs["result"] = result
        lines.append("Rules in precedence order:")
        lines.extend(explainer(row, **kwargs))
    else:
        lines.append("(this system gives no rule-by-rule explanation)")
    text = "\n".join(lines)
    if echo:
        print(text)
    return text


def _explain_header(result: pd.Series) -> list[str]:
    """The result lines of an explanation, worded from the same result as :func:`classify`."""
    lines = []
    rule = result["rule"]
    if pd.isna(result["category"]):
        cands = result["candidates"]
        if pd.isna(cands):
            lines.append("  category: none (the guideline does not apply)")
        else:
            lines.append(f"  category: undetermined between {' and '.join(str(cands).split('|'))}")
        if not pd.isna(rule):
            lines.append(f"  possible rows: {', '.join(str(rule).split('|'))}")
        needs = result.get("needs")
        if needs is not None and not pd.isna(needs):
            lines.append(f"  would be decided by testing: {_needs_words(str(needs))}")
    else:
        lines.append(f"  category: {result['category']}")
    lines.append(f"  rule: {rule}")
    if not pd.isna(result["notes"]):
        lines.append(f"  notes: {result['notes']}")
    return lines


def _needs_words(needs: str) -> str:
    """``"karyotype|tp53_vaf+runx1"`` -> ``"karyotype, or tp53_vaf and runx1"``."""
    return ", or ".join(" and ".join(s.split("+")) for s in needs.split("|"))


def _options_in_force(system: str, given: dict[str, Any]) -> str:
    """Every option of ``system`` with its value (``*``: set by the caller, not the default)."""
    table = options(system)
    parts = []
    for name, default in zip(table["name"], table["default"], strict=True):
        if name in given:
            parts.append(f"{name}={given[name]!r}*")
        else:
            parts.append(f"{name}={default!r}")
    return ", ".join(parts) if parts else "(none)"


def _doc_meanings(func: Callable[..., Any]) -> dict[str, str]:
    """Parameter meanings from a numpydoc 'Parameters' section."""
    doc = inspect.getdoc(func) or ""
    out: dict[str, str] = {}
    for m in re.finditer(r"^(\w+) : [^\n]*\n((?:    [^\n]*\n?)+)", doc, flags=re.MULTILINE):
        out[m.group(1)] = " ".join(line.strip() for line in m.group(2).splitlines())
    return out


def options(system: str) -> pd.DataFrame:
    """The options of ``system``: name, default, allowed choices and meaning.

    Parameters
    ----------
    system : str

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``default``, ``choices``, ``meaning``.
    """
    module, func = _module_and_function(system)
    declared = getattr(module, "OPTIONS", None)
    if isinstance(declared, tuple | list) and all(isinstance(o, Option) for o in declared):
        return options_table(declared)
    meanings = _doc_meanings(func)
    params = [
        p
        for p in inspect.signature(func).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty
    ]
    return options_table([Option(p.name, p.default, meanings.get(p.name, "")) for p in params])


def categories(system: str) -> tuple[str, ...]:
    """The categories a system assigns, in order."""
    if _check_system(system) in CATEGORIES:
        return CATEGORIES[system]
    module, _ = _module_and_function(system)
    cats = getattr(module, "CATEGORIES", None)
    if isinstance(cats, dict):
        cats = cats.get(system)
    return tuple(cats) if cats is not None else ()


def rules(system: str) -> pd.DataFrame:
    """The rule rows of a system in precedence order (id, category, text, footnote, source)."""
    from cohort.stratify.rule_table import rules_table

    module, _ = _module_and_function(system)
    table = getattr(module, "RULES", None)
    if table is None:
        raise ClassificationError(f"System {system!r} does not publish a rule table.")
    return rules_table(table, getattr(module, "MODIFIERS", ()))


def category_counts(result: pd.DataFrame) -> pd.DataFrame:
    """Patients per category of a :func:`classify` result, undetermined counted as "undetermined".

    Returns
    -------
    pandas.DataFrame
        ``category``, ``n``, ``percent`` (of all patients), most frequent first; equal counts in
        the system's category order ("undetermined" last), so row order never changes the table.
    """
    category = result["category"]
    categorical = isinstance(category.dtype, pd.CategoricalDtype)
    declared = list(category.cat.categories) if categorical else []
    counts = (
        counts_by_frequency(
            category.astype("object").fillna("undetermined"), [*declared, "undetermined"]
        )
        .rename_axis("category")
        .reset_index(name="n")
    )
    counts["percent"] = 100 * counts["n"] / counts["n"].sum()
    return counts


__all__ = [
    "CATEGORIES",
    "SYSTEMS",
    "categories",
    "category_counts",
    "classify",
    "explain",
    "options",
    "rules",
]

"""The rows of a guideline table (:class:`Rule`, :class:`Modifier`) and classification options.

Also the constants shared by the classifiers (:data:`ELN_CATEGORIES`, :data:`NOT_APPLICABLE`,
:data:`RESULT_COLUMNS`) and the tables that document rows and options. (Not named ``rules.py``:
``cohort.stratify.rules`` is the public function that returns a system's table, and a submodule of
that name would replace it as an attribute of the package once imported.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cohort.errors import ClassificationError
from cohort.stratify.logic import Tri
from cohort.stratify.terms import Terms

ELN_CATEGORIES: tuple[str, ...] = ("favorable", "intermediate", "adverse")
NOT_APPLICABLE = "not_applicable"
RESULT_COLUMNS: tuple[str, ...] = ("category", "rule", "candidates", "notes")


@dataclass(frozen=True)
class Rule:
    """One row of a guideline table.

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``"ELN2017-F3"`` (F/I/A = favorable/intermediate/adverse, numbered in
        the order of the published table).
    category : str or tuple of str
        The category the row assigns; :data:`NOT_APPLICABLE` when the row says the guideline does
        not apply; a tuple when the row deliberately leaves the choice open.
    text : str
        The row as printed in the guideline (verbatim where the source allowed).
    footnote : str
        The footnote(s) attached to the row, in words.
    source : str
        Citation.
    when : callable
        ``when(terms) -> Tri``: whether the row applies, including the exclusions footnotes and
        options impose (which are written out as terms so that explanations can name them).
    gate : str
        Name of a constant term (set from an option) that switches the row on or off.
    """

    id: str
    category: str | tuple[str, ...]
    text: str
    footnote: str
    source: str
    when: Callable[[Terms], Tri]
    gate: str = ""

    @property
    def condition(self) -> Callable[[Terms], Tri]:
        """``when`` restricted to the patients of an enabled row (``gate``: a constant term set
        from an option; a row whose gate is False is switched off)."""
        if not self.gate:
            return self.when
        return lambda t: getattr(t, self.gate) & self.when(t)

    @property
    def categories(self) -> tuple[str, ...]:
        return self.category if isinstance(self.category, tuple) else (self.category,)


@dataclass(frozen=True)
class Modifier:
    """A refinement applied after the table: patients of ``source_category`` meeting ``when`` move."""

    id: str
    source_category: str
    target_category: str
    text: str
    source: str
    when: Callable[[Terms], Tri]


@dataclass(frozen=True)
class Option:
    """A named classification option with its default and meaning.

    ``choices`` lists allowed values (None: any value of the default's type; for floats any
    number).
    """

    name: str
    default: Any
    meaning: str
    choices: tuple | None = None


def resolve_options(system: str, declared: Sequence[Option], given: Mapping[str, Any]) -> Any:
    """Check ``given`` against ``declared`` and return a namespace with every option's value.

    Raises
    ------
    ClassificationError
        For an unknown option name (listing the valid names) or a value outside the choices.
    """
    by_name = {o.name: o for o in declared}
    unknown = [k for k in given if k not in by_name]
    if unknown:
        raise ClassificationError(
            f"Unknown option(s) {', '.join(repr(u) for u in unknown)} for system {system!r}. "
            f"Valid options: {', '.join(by_name) or '(none)'}. "
            f"See cohort.stratify.options({system!r})."
        )
    values: dict[str, Any] = {}
    for o in declared:
        value = given.get(o.name, o.default)
        if o.choices is not None:
            if value not in o.choices:
                raise ClassificationError(
                    f"Option {o.name!r} of system {system!r} must be one of "
                    f"{', '.join(repr(c) for c in o.choices)}; got {value!r}."
                )
        elif isinstance(o.default, float) or (o.default is None and value is not None):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ClassificationError(
                    f"Option {o.name!r} of system {system!r} must be a number; got {value!r}."
                )
            value = float(value)
        elif isinstance(o.default, str) and not isinstance(value, str):
            raise ClassificationError(
                f"Option {o.name!r} of system {system!r} must be a column name (str); got {value!r}."
            )
        values[o.name] = value
    return _Namespace(values)


class _Namespace:
    def __init__(self, values: dict[str, Any]):
        self.__dict__.update(values)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def options_table(declared: Sequence[Option]) -> pd.DataFrame:
    """The options as a DataFrame (name, default, choices, meaning)."""
    return pd.DataFrame(
        {
            "name": [o.name for o in declared],
            "default": [o.default for o in declared],
            "choices": [
                "|".join(str(c) for c in o.choices) if o.choices is not None else pd.NA
                for o in declared
            ],
            "meaning": [o.meaning for o in declared],
        }
    )


def rules_table(rules: Sequence[Rule], modifiers: Sequence[Modifier] = ()) -> pd.DataFrame:
    """The rule rows (in precedence order) and modifiers as a DataFrame for documentation."""
    rows = [
        {
            "id": r.id,
            "category": "|".join(r.categories),
            "text": r.text,
            "footnote": r.footnote,
            "source": r.source,
        }
        for r in rules
    ]
    rows += [
        {
            "id": m.id,
            "category": f"{m.source_category} -> {m.target_category}",
            "text": m.text,
            "footnote": "",
            "source": m.source,
        }
        for m in modifiers
    ]
    return pd.DataFrame(rows, columns=["id", "category", "text", "footnote", "source"])


def rows_condition(rules: Sequence[Rule], ids: Sequence[str], terms: Terms) -> Tri:
    """Whether the condition of any of the rows ``ids`` holds, whatever the rows above them.

    For notes about the patients a row covers (e.g. "MR-gene mutation not used: favorable
    subtype"): the note reads the row itself, so that each guideline condition is written once.

    Parameters
    ----------
    rules : sequence of Rule
        The system's rows.
    ids : sequence of str
        Ids of rows of ``rules``.
    terms : Terms
        The patients' terms.

    Returns
    -------
    Tri
        The union of the rows' conditions (a gated row counts only where its gate is on).

    Raises
    ------
    KeyError
        For an id that is not a row of ``rules``.
    """
    by_id = {r.id: r for r in rules}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise KeyError(f"no row {', '.join(unknown)} in the table (rows: {', '.join(by_id)})")
    return Tri.any_of([by_id[i].condition(terms) for i in ids], terms.n)

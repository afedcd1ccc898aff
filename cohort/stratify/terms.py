"""Named facts about each patient (:class:`Terms`): the vocabulary the guideline rows are written in.

A term is a :class:`~cohort.stratify.logic.Tri` with a label and the input columns it reads; a
derived term (``Terms.derive``) records the terms it was built from, so that explanations can name
the lesion behind "adverse cytogenetics" and the engine knows which missing inputs block a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cohort.stratify.inputs import Inputs
from cohort.stratify.logic import Tri


class Terms:
    """Named facts about each patient, each a :class:`Tri`, with the columns it reads.

    Accessing a term as an attribute (``t.npm1``) returns its Tri; while a rule is being
    evaluated under :meth:`recording`, the names accessed are recorded so that the engine knows
    which inputs each rule depends on.
    """

    def __init__(self, inputs: Inputs):
        self._inputs = inputs
        self._tri: dict[str, Tri] = {}
        self._cols: dict[str, tuple[str, ...]] = {}
        self._label: dict[str, str] = {}
        self._parts: dict[str, tuple[str, ...]] = {}
        self._rec: set[str] | None = None
        self.n = inputs.n

    @property
    def inputs(self) -> Inputs:
        return self._inputs

    def add(self, name: str, tri: Tri, columns: Iterable[str], label: str) -> None:
        self._tri[name] = tri
        self._cols[name] = tuple(dict.fromkeys(columns))
        self._label[name] = label

    def flag(self, name: str, label: str, column: str | None = None) -> None:
        """Add the boolean column ``column`` (default ``name``) as a term."""
        column = column or name
        self.add(name, self._inputs.flag(column), (column,), label)

    def const(self, name: str, value: bool, label: str) -> None:
        self.add(name, Tri.const(value, self.n), (), label)

    def derive(self, name: str, label: str, fn: Callable[[Terms], Tri]) -> None:
        """Add a term computed from other terms; the columns it reads are collected."""
        tri, used = self.evaluate(fn)
        self.add(name, tri, [c for u in used for c in self._cols[u]], label)
        self._parts[name] = tuple(used)

    def present_parts(self, name: str) -> list[str]:
        """Labels of the input terms (read from a column) behind a derived term that are true
        for patient 0, e.g. ``["-17/abn(17p)"]`` for "-5/del(5q), -7 or -17/abn(17p)"."""
        if name not in self._parts or not self._tri[name].true[0]:
            return []
        out: list[str] = []
        for u in self._parts[name]:
            if u in self._parts:
                out.extend(self.present_parts(u))
            elif self._cols[u] and self._tri[u].true[0]:
                out.append(self._label[u])
        return list(dict.fromkeys(out))

    def evaluate(self, fn: Callable[[Terms], Tri]) -> tuple[Tri, list[str]]:
        """``fn(self)`` and the names of the terms it read, in order of first use."""
        previous = (self._rec, getattr(self, "_order", None))
        order: list[str] = []
        self._rec, self._order = set(), order
        try:
            tri = fn(self)
        finally:
            self._rec, self._order = previous
        return tri, order

    def __getattr__(self, name: str) -> Tri:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            tri = self._tri[name]
        except KeyError:
            raise AttributeError(f"no term {name!r}") from None
        if self._rec is not None and name not in self._rec:
            self._rec.add(name)
            self._order.append(name)
        return tri

    def columns(self, name: str) -> tuple[str, ...]:
        return self._cols[name]

    def label(self, name: str) -> str:
        return self._label[name]

    def names(self) -> list[str]:
        return list(self._tri)

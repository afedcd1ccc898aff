"""The shared three-valued rule engine behind the risk classifiers.

A guideline table is written as an ordered list of :class:`Rule` rows, each a condition over named
*terms* (facts about the patient such as "NPM1 mutated" or "FLT3-ITD allelic ratio high"). Inputs are
nullable, so every term is a :class:`Tri`: per patient it is known True, known False, or unknown.
:func:`walk` applies the rows in precedence order, vectorised over patients:

- a patient is *placed* by the first row that definitely applies when no earlier row possibly
  applies;
- otherwise ``candidates`` lists the categories of every row that possibly applies up to (and
  including) the first row that definitely applies. When those candidates share one category the
  category is still decided (a missing value that cannot change the result does not block) and
  ``rule`` lists the rows that may have placed the patient, joined by ``"|"``.

API for classifier modules
--------------------------
``Tri(true, false)``
    Kleene logic on numpy boolean arrays: ``&``, ``|``, ``~``; ``.unknown``, ``.possible``;
    ``Tri.const(value, n)``, ``Tri.unknown_of(n)``, ``Tri.any_of(items, n)``, ``Tri.all_of(items, n)``.
``Inputs(frame, use_normal_karyotype=..., cytogenetic_flags=...)``
    Reads canonical columns once: ``.flag(name)`` (boolean; an absent column is all unknown, never
    wild-type), ``.compare(name, op, threshold)`` with ``op`` one of ``">=", ">", "<", "<="``,
    ``.unknown(name)`` (the missing mask of a column, all True when absent), ``.has(name)``,
    ``.take(idx, forced)`` (a subset with some unknown values completed; used by :func:`run`).
``Terms(inputs)``
    Named facts: ``.flag(name, label)`` adds a column as a term, ``.add(name, tri, columns, label)``,
    ``.derive(name, label, fn)`` builds a term from other terms (the columns it reads are tracked
    automatically). Rows read terms as attributes: ``lambda t: t.npm1 & ~t.flt3_itd``.
``Rule(id, category, text, footnote, source, when)``
    One row of a guideline table. ``category`` is a category name, :data:`NOT_APPLICABLE` (the
    guideline does not apply to the patient) or a tuple of categories (a deliberate "cannot decide"
    row, e.g. an option that abstains on a conflict).
``Modifier(id, source_category, target_category, text, source, when)``
    A post-table refinement ("favorable patients with X become intermediate"), applied after the
    walk on the candidate categories (used by the Eisfeld 2020 refinement of ELN 2017).
``Option(name, default, meaning, choices)`` and :func:`resolve_options`
    Declared options, checked by name and value; unknown names raise ``ClassificationError`` with
    the list of valid names.
``walk(rules, terms, index, categories, notes=..., modifiers=...)``
    Returns the result DataFrame with exactly ``category`` (ordered categorical), ``rule``,
    ``candidates`` and ``notes``.
``run(inputs, index, build, rules, categories, notes=..., modifiers=..., max_split=6)``
    :func:`walk` plus exact candidates: for undetermined patients with at most ``max_split``
    blocking unknown inputs, every completion of those inputs is walked and the outcomes are
    united (``build(inputs) -> Terms`` rebuilds the terms on a completed subset). This is what
    the ELN classifiers call; a minimal classifier is::

        def classify_x(frame, **options):
            o = resolve_options("x", OPTIONS, options)
            inputs = Inputs(frame)
            return run(inputs, frame.index, lambda i: build_terms(i, o), RULES, CATEGORIES)
``explain_rules(rules, terms, modifiers=...)``
    One line per row for a one-patient ``Terms``: whether it applies, possibly applies, does not
    apply or is not reached, with the values of the terms it reads.
``rules_table(rules, modifiers)``
    The rule rows as a DataFrame (id, category, text, footnote, source) for documentation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cohort.errors import ClassificationError

ELN_CATEGORIES: tuple[str, ...] = ("favorable", "intermediate", "adverse")
NOT_APPLICABLE = "not_applicable"
RESULT_COLUMNS: tuple[str, ...] = ("category", "rule", "candidates", "notes")


# --- three-valued logic ---------------------------------------------------------------------------


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


# --- reading inputs -------------------------------------------------------------------------------

_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": np.greater_equal,
    ">": np.greater,
    "<": np.less,
    "<=": np.less_equal,
}


class Inputs:
    """Canonical columns read as :class:`Tri` (flags) or compared with thresholds (numbers).

    Parameters
    ----------
    frame : pandas.DataFrame
    use_normal_karyotype : bool
        When True, a cytogenetic flag that is missing reads False for a patient whose
        ``normal_karyotype`` is True (a normal karyotype shows none of the listed abnormalities).
    cytogenetic_flags : iterable of str
        The flags to which ``use_normal_karyotype`` applies.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        use_normal_karyotype: bool = False,
        cytogenetic_flags: Iterable[str] = (),
    ):
        self.frame = frame
        self.n = len(frame)
        self._cyto = set(cytogenetic_flags) if use_normal_karyotype else set()
        self._forced: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._parent: Inputs | None = None
        self._idx: np.ndarray | None = None
        self._num_cache: dict[str, np.ndarray] = {}
        self._cache: dict[str, Tri] = {}

    def take(
        self, idx: np.ndarray, forced: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None
    ) -> Inputs:
        """The inputs of the patients at positions ``idx``, with unknown values completed by ``forced``.

        ``forced`` maps a column to ``(values, mask)`` boolean arrays (aligned with ``idx``): where
        ``mask`` is True and the column is unknown, the column reads ``values`` (for a number, the
        result of its comparison). The column arrays are shared with this object, not re-read.
        """
        child = Inputs.__new__(Inputs)
        child.frame = self.frame
        child.n = len(idx)
        child._cyto = self._cyto
        child._forced = dict(forced or {})
        child._parent = self if self._parent is None else self._parent
        child._idx = idx if self._idx is None else self._idx[idx]
        child._num_cache, child._cache = {}, {}
        return child

    def has(self, name: str) -> bool:
        _record(name)
        return name in self.frame.columns

    def _bool_arrays(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(values, missing) of a boolean column over the whole frame; values are False where
        missing. Not cached: :meth:`_raw_flag` keeps the column's Tri only."""
        if name not in self.frame.columns:
            out = (np.zeros(self.n, bool), np.ones(self.n, bool))
        else:
            col = self.frame[name]
            if str(col.dtype) != "boolean":
                try:
                    col = col.astype("boolean")
                except (TypeError, ValueError) as exc:
                    bad = _first_bad(self.frame[name])
                    raise ClassificationError(
                        f"Column {name!r} must hold True/False/missing (pandas 'boolean'); value "
                        f"{bad!r} cannot be read as one. Load the table with cohort.load, or cast it "
                        f"with frame[{name!r}].astype('boolean') after recoding the values."
                    ) from exc
            out = (col.to_numpy(dtype=bool, na_value=False), col.isna().to_numpy())
        return out

    def _numbers(self, name: str) -> np.ndarray:
        """A numeric column as floats with NaN for missing (read once)."""
        if self._parent is not None:
            return self._parent._numbers(name)[self._idx]
        if name in self._num_cache:
            return self._num_cache[name]
        col = self.frame[name]
        try:
            x = pd.to_numeric(col, errors="raise")
        except (TypeError, ValueError) as exc:
            raise ClassificationError(
                f"Column {name!r} must be numeric; value {_first_bad(col)!r} is not a number. "
                "Load the table with cohort.load, or clean the column."
            ) from exc
        if isinstance(x.dtype, pd.api.extensions.ExtensionDtype):
            values = x.to_numpy(dtype=float, na_value=np.nan)
        else:
            values = np.asarray(x, dtype=float)
        self._num_cache[name] = values
        return values

    def _raw_flag(self, name: str) -> Tri:
        if name not in self._cache:
            if self._parent is not None:
                whole = self._parent._raw_flag(name)  # the root has no completions
                tri = Tri(whole.true[self._idx], whole.false[self._idx])
            else:
                # one Tri per column is all that is kept (1 byte per patient and array): ``values``
                # is already False where missing, so it is the "known True" array as it is
                values, missing = self._bool_arrays(name)
                tri = Tri(values, ~(values | missing))
            self._cache[name] = self._force(name, tri)
        return self._cache[name]

    def flag(self, name: str) -> Tri:
        """A boolean column as :class:`Tri`; an absent column is all unknown."""
        _record(name)
        tri = self._raw_flag(name)
        if name in self._cyto:
            normal = self._raw_flag("normal_karyotype")
            tri = Tri(tri.true, tri.false | (tri.unknown & normal.true))
        return tri

    def compare(self, name: str, op: str, threshold: float) -> Tri:
        """``column <op> threshold`` as :class:`Tri`; missing values and an absent column are unknown."""
        _record(name)
        if name not in self.frame.columns:
            return self._force(name, Tri.unknown_of(self.n))
        values = self._numbers(name)
        known = ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            hit = _OPS[op](values, threshold)
        return self._force(name, Tri(hit & known, ~hit & known))

    def _force(self, name: str, tri: Tri) -> Tri:
        """Apply a completion: where the column is unknown and forced, use the forced truth."""
        if name not in self._forced:
            return tri
        values, mask = self._forced[name]
        mask = mask & tri.unknown
        return Tri(tri.true | (mask & values), tri.false | (mask & ~values))

    def unknown(self, name: str) -> np.ndarray:
        """Missing mask of a column (all True when the column is absent), after completions and
        the normal-karyotype reading."""
        if name in self._cyto:
            return self.flag(name).unknown
        missing = self._missing(name)
        if name in self._forced:
            missing = missing & ~self._forced[name][1]
        return missing

    def _missing(self, name: str) -> np.ndarray:
        if self._parent is not None:
            return self._parent._missing(name)[self._idx]
        if name not in self.frame.columns:
            return np.ones(self.n, bool)
        return self.frame[name].isna().to_numpy()


_READ: list[set[str]] = []


def _record(name: str) -> None:
    if _READ:
        _READ[-1].add(name)


@contextmanager
def recording_columns() -> Iterator[set[str]]:
    """Collect the names of the columns that classifiers read inside the ``with`` block."""
    seen: set[str] = set()
    _READ.append(seen)
    try:
        yield seen
    finally:
        _READ.pop()


def _first_bad(col: pd.Series) -> object:
    for value in col.dropna().unique()[:50]:
        try:
            pd.Series([value]).astype("boolean")
        except (TypeError, ValueError):
            return value
    return col.dropna().iloc[0] if col.notna().any() else None


# --- named terms ----------------------------------------------------------------------------------


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


# --- rules, modifiers, options --------------------------------------------------------------------


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


# --- the walk -------------------------------------------------------------------------------------


def _categorical(inverse: np.ndarray, labels: list, index: pd.Index) -> pd.Series:
    """A categorical Series from codes into ``labels`` (None labels become missing)."""
    uniq = list(dict.fromkeys(lab for lab in labels if lab is not None))
    pos = {lab: i for i, lab in enumerate(uniq)}
    mapping = np.asarray([pos[lab] if lab is not None else -1 for lab in labels], dtype=np.int64)
    codes = mapping[inverse] if len(mapping) else np.zeros(0, np.int64)
    return pd.Series(pd.Categorical.from_codes(codes, categories=uniq), index=index)


def walk(
    rules: Sequence[Rule],
    terms: Terms,
    index: pd.Index,
    categories: Sequence[str] = ELN_CATEGORIES,
    *,
    notes: Sequence[tuple[str, np.ndarray]] = (),
    modifiers: Sequence[Modifier] = (),
) -> pd.DataFrame:
    """Apply ``rules`` in precedence order to every patient at once (see the module docstring).

    Each row is evaluated on its own, so when two rows hinge on the same unknown input the
    candidates can include a category no completion of the data reaches (sound but not tight);
    :func:`run` removes those by trying the completions of the few inputs that block.

    Parameters
    ----------
    rules : sequence of Rule
        In precedence order.
    terms : Terms
    index : pandas.Index
        The cohort's index, given to the result.
    categories : sequence of str
        The system's categories, in order (the result's ``category`` is an ordered categorical).
    notes : sequence of (text, mask)
        Extra per-patient notes (a mask of patients the note concerns).
    modifiers : sequence of Modifier
        Refinements applied after the walk.

    Returns
    -------
    pandas.DataFrame
        ``category``, ``rule``, ``candidates``, ``notes``, indexed by ``index``.
    """
    bits = _walk_bits(rules, terms, categories, modifiers)
    return _assemble(rules, modifiers, terms, index, categories, notes, *bits)


def _walk_bits(
    rules: Sequence[Rule],
    terms: Terms,
    categories: Sequence[str],
    modifiers: Sequence[Modifier],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """The walk as bit masks: (category bits, rule bits, modifier bits, term -> rules using it)."""
    n = terms.n
    if len(rules) > 56 or len(modifiers) > 7:
        raise ValueError(
            "the engine packs rule ids into 64-bit masks: at most 56 rules, 7 modifiers"
        )
    cat_bit = _category_bits(categories)
    undecided = np.ones(n, bool)
    rule_bits = np.zeros(n, np.uint64)
    cat_bits = np.zeros(n, np.uint8)
    used_terms: dict[str, int] = {}
    for i, rule in enumerate(rules):
        tri, used = terms.evaluate(rule.condition)
        possible = tri.possible & undecided
        # shifts and ors instead of boolean-mask assignment: the walk runs on millions of rows
        rule_bits |= possible.astype(np.uint64) << np.uint64(i)
        bits = 0
        for c in rule.categories:
            bits |= cat_bit[c]
        cat_bits |= possible.astype(np.uint8) * np.uint8(bits)
        undecided &= ~tri.true
        for u in used:
            used_terms[u] = used_terms.get(u, 0) | (1 << i)
    mod_bits = np.zeros(n, np.uint64)
    for j, mod in enumerate(modifiers):
        tri, _ = terms.evaluate(mod.when)
        src, dst = cat_bit[mod.source_category], cat_bit[mod.target_category]
        has_src = (cat_bits & src) != 0
        moved = has_src & tri.true
        maybe = has_src & tri.unknown
        cat_bits[moved] = (cat_bits[moved] & np.uint8(~src & 0xFF)) | np.uint8(dst)
        cat_bits[maybe] |= np.uint8(dst)
        mod_bits[moved] |= np.uint64(1 << j)
    return cat_bits, rule_bits, mod_bits, used_terms


def _category_bits(categories: Sequence[str]) -> dict[str, int]:
    return {c: 1 << i for i, c in enumerate([*categories, NOT_APPLICABLE])}


def _is_single(cat_bits: np.ndarray) -> np.ndarray:
    return (cat_bits != 0) & ((cat_bits & (cat_bits - 1)) == 0)


def _assemble(
    rules: Sequence[Rule],
    modifiers: Sequence[Modifier],
    terms: Terms,
    index: pd.Index,
    categories: Sequence[str],
    notes: Sequence[tuple[str, np.ndarray]],
    cat_bits: np.ndarray,
    rule_bits: np.ndarray,
    mod_bits: np.ndarray,
    used_terms: dict[str, int],
) -> pd.DataFrame:
    """The result DataFrame from the walk's bit masks."""
    single = _is_single(cat_bits)
    blocking = _blocking_columns(terms, used_terms, rule_bits, ~single)
    return _result_frame(
        rules, modifiers, index, categories, notes, blocking, cat_bits, rule_bits, mod_bits
    )


def _result_frame(
    rules: Sequence[Rule],
    modifiers: Sequence[Modifier],
    index: pd.Index,
    categories: Sequence[str],
    notes: Sequence[tuple[str, np.ndarray]],
    blocking: dict[str, np.ndarray],
    cat_bits: np.ndarray,
    rule_bits: np.ndarray,
    mod_bits: np.ndarray,
) -> pd.DataFrame:
    """The result DataFrame from the walk's bit masks and the blocking columns (categorical
    columns built from codes: a few MB at a million patients instead of one string per row)."""
    cat_bit = _category_bits(categories)
    single = _is_single(cat_bits)
    cat_names = [*categories, NOT_APPLICABLE]
    # at most 16 category combinations: label every code instead of sorting millions of rows
    inv = cat_bits.astype(np.int64)
    labels = [
        "|".join(c for i, c in enumerate(cat_names) if code >> i & 1) or None
        for code in range(1 << len(cat_names))
    ]
    candidates = _categorical(inv, [None if lab in cat_names else lab for lab in labels], index)
    candidates = candidates.cat.remove_unused_categories()
    category = _categorical(inv, [lab if lab in categories else None for lab in labels], index)
    category = category.cat.set_categories(list(categories), ordered=True)

    key = rule_bits | (mod_bits << np.uint64(56))
    names = [r.id for r in rules] + [""] * (56 - len(rules)) + [m.id for m in modifiers]
    codes, inverse = np.unique(key, return_inverse=True)
    rule_labels = []
    for code in codes.tolist():
        base = "|".join(rid for i, rid in enumerate(names[:56]) if rid and code >> i & 1)
        mods = [m for j, m in enumerate(names[56:]) if code >> (56 + j) & 1]
        rule_labels.append(">".join([base, *mods]) if base else None)
    rule = _categorical(inverse.reshape(-1), rule_labels, index)

    note_items: list[tuple[str, np.ndarray]] = list(notes)
    na = (cat_bits & cat_bit[NOT_APPLICABLE]) != 0
    note_items.append(("the guideline does not apply to this patient (see rule)", na & single))
    note_items.append(("no rule can apply (inconsistent inputs?)", cat_bits == 0))
    notes_col = _notes_column(note_items, blocking, index)
    return pd.DataFrame(
        {"category": category, "rule": rule, "candidates": candidates, "notes": notes_col},
        index=index,
    )


def run(
    inputs: Inputs,
    index: pd.Index,
    build: Callable[[Inputs], Terms],
    rules: Sequence[Rule],
    categories: Sequence[str] = ELN_CATEGORIES,
    *,
    notes: Callable[[Terms], Sequence[tuple[str, np.ndarray]]] = lambda t: (),
    modifiers: Sequence[Modifier] = (),
    max_split: int = 6,
    max_nodes: int = 64,
) -> pd.DataFrame:
    """:func:`walk` with tight candidates.

    For each undetermined patient whose undecided rows depend on at most ``max_split`` unknown
    input columns, the walk is repeated for every True/False completion of those columns
    (numbers: either side of their threshold) and the candidates are the union of the outcomes.
    This removes categories that the row-by-row evaluation admits only by assuming contradictory
    values of one input (e.g. "TP53 VAF < 10%" for one row and ">= 10%" for another).

    Parameters
    ----------
    inputs : Inputs
        The cohort's inputs (completions are made with :meth:`Inputs.take`).
    index : pandas.Index
        The cohort's index.
    build : callable
        ``build(inputs)`` returns the system's :class:`Terms`.
    rules, categories, modifiers
        As for :func:`walk`.
    notes : callable
        ``notes(terms)`` returns the per-patient notes.
    max_split : int
        Most unknown columns completed per patient by trying every completion at once (2**max_split
        batched walks). Patients with more unknown inputs (typically a missing karyotype) are
        refined by splitting on one unknown input at a time and stopping a branch as soon as the
        category is decided there (at most ``max_nodes`` walks); the few left undecided keep a
        possibly wider candidate list and a note says so.
    max_nodes : int
        Budget of walks for that split search.
    """
    terms = build(inputs)
    cat_bits, rule_bits, mod_bits, used_terms = _walk_bits(rules, terms, categories, modifiers)
    undetermined = ~_is_single(cat_bits)
    extra: list[tuple[str, np.ndarray]] = []
    if undetermined.any() and max_split > 0:
        blocking = _blocking_columns(terms, used_terms, rule_bits, undetermined)
        too_many = _refine(inputs, build, rules, categories, modifiers, blocking, max_split,
                           cat_bits, rule_bits, mod_bits)  # fmt: skip
        if too_many.any():
            capped = _split_refine(inputs, build, rules, categories, modifiers,
                                   np.flatnonzero(too_many), max_nodes, cat_bits, rule_bits, mod_bits)  # fmt: skip
            extra.append((
                "candidates not narrowed: too many unknown inputs to try every completion (the "
                "list may include a category that no completion of the data reaches)",
                capped & ~_is_single(cat_bits),
            ))  # fmt: skip
    note_items = [*notes(terms), *extra]
    blocking = _blocking_columns(terms, used_terms, rule_bits, ~_is_single(cat_bits))
    # the terms and the inputs' cached columns (most of the memory at a million patients) are not
    # needed to build the result: release them first, so that their peaks do not add up (the
    # caches are cleared too in case the caller keeps ``inputs``; they are refilled on demand)
    inputs._cache.clear()
    inputs._num_cache.clear()
    del terms, inputs
    return _result_frame(
        rules, modifiers, index, categories, note_items, blocking, cat_bits, rule_bits, mod_bits
    )


def _refine(
    inputs: Inputs,
    build: Callable[[Inputs], Terms],
    rules: Sequence[Rule],
    categories: Sequence[str],
    modifiers: Sequence[Modifier],
    blocking: dict[str, np.ndarray],
    max_split: int,
    cat_bits: np.ndarray,
    rule_bits: np.ndarray,
    mod_bits: np.ndarray,
) -> np.ndarray:
    """Replace, in place, the bits of undetermined patients by the union over completions.

    Returns the mask of undetermined patients left unrefined (too many unknown inputs).
    """
    columns = list(blocking)[:64]
    n = inputs.n
    if not columns:
        return np.zeros(n, bool)
    mask = np.zeros(n, np.uint64)
    for j, col in enumerate(columns):
        mask[blocking[col]] |= np.uint64(1 << j)
    k = np.bitwise_count(mask)  # uint8: at most 64 columns
    too_many = k > max_split
    rows = np.flatnonzero((k > 0) & ~too_many)
    if not len(rows):
        return too_many
    sub_mask = mask[rows]
    sub_k = k[rows].astype(np.int64)
    del mask, k  # the whole-cohort arrays are not needed while the completions are walked
    # rank of column j among the patient's own blocking columns: bit j of an assignment number
    # (uint8: a rank is below 64, and one int64 array per column of ~1e5 rows adds up)
    ranks = {j: np.bitwise_count(sub_mask & np.uint64((1 << j) - 1)) for j in range(len(columns))}
    new_cat = np.zeros(len(rows), np.uint8)
    new_rule = np.zeros(len(rows), np.uint64)
    new_mod_all = np.full(len(rows), np.uint64(2**64 - 1))
    for a in range(1 << int(sub_k.max())):
        active = (1 << sub_k) > a
        idx = np.flatnonzero(active)
        forced: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for j, col in enumerate(columns):
            has = (sub_mask[idx] >> np.uint64(j)) & np.uint64(1) == 1
            if has.any():
                values = ((a >> ranks[j][idx].astype(np.int64)) & 1) == 1
                forced[col] = (values, has)
        c, r, m, _ = _walk_bits(rules, build(inputs.take(rows[idx], forced)), categories, modifiers)
        # release this completion's inputs before the next one is built (peak memory)
        forced.clear()
        new_cat[idx] |= c
        new_rule[idx] |= r
        new_mod_all[idx] &= m
    cat_bits[rows] = new_cat
    rule_bits[rows] = new_rule
    mod_bits[rows] = new_mod_all
    return too_many


def _split_refine(
    inputs: Inputs,
    build: Callable[[Inputs], Terms],
    rules: Sequence[Rule],
    categories: Sequence[str],
    modifiers: Sequence[Modifier],
    rows: np.ndarray,
    max_nodes: int,
    cat_bits: np.ndarray,
    rule_bits: np.ndarray,
    mod_bits: np.ndarray,
) -> np.ndarray:
    """Shannon splitting for patients with many unknown inputs; updates the bits in place.

    Each node is a group of patients sharing one partial assignment of unknown inputs. After its
    walk, patients whose category is decided (or that have nothing left to split on) are final;
    the others are grouped by their first blocking column and split into a True and a False
    child (patients are grouped under the column that blocks most of them). The union over the
    leaves covers every completion, so it stays sound; it is exact when
    every leaf is decided. Returns the mask (over all patients) of those cut off by the budget.
    """
    n_all = inputs.n
    capped = np.zeros(n_all, bool)
    new_cat = np.zeros(len(rows), np.uint8)
    new_rule = np.zeros(len(rows), np.uint64)
    new_mod = np.full(len(rows), np.uint64(2**64 - 1))
    stack: list[tuple[np.ndarray, dict[str, bool]]] = [(np.arange(len(rows)), {})]
    nodes = 0
    while stack:
        pos, assign = stack.pop()
        nodes += 1
        forced = {c: (np.full(len(pos), v), np.ones(len(pos), bool)) for c, v in assign.items()}
        terms = build(inputs.take(rows[pos], forced))
        c, r, m, used = _walk_bits(rules, terms, categories, modifiers)
        single = _is_single(c)
        blocking = _blocking_columns(terms, used, r, ~single)
        has_any = np.zeros(len(pos), bool)
        for mask in blocking.values():
            has_any |= mask
        out_of_budget = nodes + len(stack) >= max_nodes
        final = single | ~has_any | out_of_budget
        new_cat[pos[final]] |= c[final]
        new_rule[pos[final]] |= r[final]
        new_mod[pos[final]] &= m[final]
        if out_of_budget:
            capped[rows[pos[~single & has_any]]] = True
            continue
        # split on the column blocking most patients first, so that groups stay large
        remaining = ~final
        for col in sorted(blocking, key=lambda k: -int((blocking[k] & remaining).sum())):
            group_mask = remaining & blocking[col]
            if not group_mask.any():
                continue
            remaining &= ~group_mask
            group = pos[group_mask]
            stack.append((group, {**assign, col: False}))
            stack.append((group, {**assign, col: True}))
    cat_bits[rows] = new_cat
    rule_bits[rows] = new_rule
    mod_bits[rows] = new_mod
    return capped


def _blocking_columns(
    terms: Terms, used_terms: dict[str, int], rule_bits: np.ndarray, undetermined: np.ndarray
) -> dict[str, np.ndarray]:
    """For undetermined patients, the unknown input columns behind an unknown term of a rule that
    possibly applies (what the user would need to measure to decide)."""
    out: dict[str, np.ndarray] = {}
    if not undetermined.any():
        return out
    order = list(dict.fromkeys(c for name in used_terms for c in terms.columns(name)))
    for name, mask in used_terms.items():
        cols = terms.columns(name)
        if not cols:
            continue
        hit = undetermined & getattr(terms, name).unknown & ((rule_bits & np.uint64(mask)) != 0)
        if not hit.any():
            continue
        for col in cols:
            blocking = hit & terms.inputs.unknown(col)
            if blocking.any():
                out[col] = out[col] | blocking if col in out else blocking
    # a fixed column order, so that a patient's note does not depend on the other patients
    return {c: out[c] for c in order if c in out}


def _notes_column(
    items: Sequence[tuple[str, np.ndarray]], blocking: dict[str, np.ndarray], index: pd.Index
) -> pd.Series:
    """Join the notes that concern each patient, then 'undetermined, unknown: <columns>'."""
    n = len(index)
    bits = np.zeros(n, np.uint64)
    texts: list[str] = []
    is_column: list[bool] = []
    entries = [(text, mask, False) for text, mask in items]
    entries += [(col, mask, True) for col, mask in blocking.items()]
    for text, mask, column in entries:
        if len(texts) == 64:
            break
        if mask.any():
            bits[mask] |= np.uint64(1 << len(texts))
            texts.append(text)
            is_column.append(column)
    codes, inverse = np.unique(bits, return_inverse=True)
    labels: list[str | None] = []
    for code in codes.tolist():
        on = [i for i in range(len(texts)) if code >> i & 1]
        parts = [texts[i] for i in on if not is_column[i]]
        cols = [texts[i] for i in on if is_column[i]]
        if cols:
            parts.append(f"undetermined, unknown: {', '.join(cols)}")
        labels.append("; ".join(parts) if parts else None)
    return _categorical(inverse.reshape(-1), labels, index)


# --- explanations ---------------------------------------------------------------------------------


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
                if placed_options:
                    lines.append(f"      precedence of {placed} set by: {placed_options}")
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

"""Safe model formulas: parse ``"npm1 * flt3_itd + age"`` without ever evaluating Python.

Formula libraries (formulaic, patsy) evaluate the text of a formula as Python, so a formula taken
from a report template or a command line could run code. This module accepts only

- column names (canonical schema columns, or columns present in the data),
- the numbers ``0`` and ``1`` (``- 1`` / ``+ 0``: a Cox model has no intercept, so they are no-ops),
- the operators ``+``, ``-``, ``:``, ``*``, parentheses, an optional leading ``~``,
- ``C(column)`` to treat a column as categorical,

and rejects anything else with :class:`~cohort.errors.FormulaError` naming the offending token. The
design matrix is then built here with pandas; no formula library ever sees the text.

Encoding: a boolean column gives one 0/1 column named after it (``npm1``); a numeric column is used
as is; a text/categorical column (or ``C(x)``) gives treatment dummies against its first level
(category order, else sorted), named ``column[level]``; an interaction multiplies the columns of its
factors and joins their names with ``:`` (``npm1:flt3_itd``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort.errors import FormulaError, ModelError
from cohort.schema import COLUMNS

__all__ = ["Formula", "Factor", "parse_formula", "design_matrix"]

_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<number>\d+(?:\.\d*)?)|(?P<op>[-+:*()~]))"
)
_MAX_LENGTH = 2000
_MAX_DEPTH = 32  # parentheses nested deeper than this are refused before the recursive parse


@dataclass(frozen=True)
class Factor:
    """One variable in a formula; ``categorical`` is True when written ``C(name)``."""

    name: str
    categorical: bool = False

    @property
    def label(self) -> str:
        return f"C({self.name})" if self.categorical else self.name


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text and its terms, each a tuple of factors (one for a main effect)."""

    text: str
    terms: tuple[tuple[Factor, ...], ...]

    @property
    def variables(self) -> tuple[str, ...]:
        """Every column the formula uses, in order of first appearance."""
        seen: dict[str, None] = {}
        for term in self.terms:
            for f in term:
                seen.setdefault(f.name, None)
        return tuple(seen)

    @property
    def term_labels(self) -> tuple[str, ...]:
        return tuple(":".join(f.label for f in term) for term in self.terms)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            bad = text[pos:].lstrip()
            # report the whole offending run (e.g. "'x'", ".__class__", "lambda:") not just one char
            run = re.match(r"\S+", bad)
            raise FormulaError(
                f"formula {text!r}: {run.group(0) if run else bad!r} is not allowed. Formulas may "
                "contain only column names, 0/1, +, -, :, *, parentheses and C(column)."
            )
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    """Recursive descent over ``sum := prod (('+'|'-') prod)*``, ``prod := inter ('*' inter)*``,
    ``inter := atom (':' atom)*``, ``atom := NAME | C(NAME) | 0 | 1 | '(' sum ')'`` (R precedence)."""

    def __init__(self, text: str, tokens: list[tuple[str, str]], allowed: set[str]):
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.allowed = allowed

    def error(self, token: str, why: str) -> FormulaError:
        return FormulaError(f"formula {self.text!r}: token {token!r} {why}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FormulaError(f"formula {self.text!r} ends too early (a term is missing).")
        self.i += 1
        return tok

    def parse(self) -> list[frozenset]:
        terms = self.sum()
        tok = self.peek()
        if tok is not None:
            raise self.error(tok[1], "is unexpected here")
        return terms

    def sum(self) -> list[frozenset]:
        if self.peek() == ("op", "-"):  # a leading "- 1" removes from nothing, as in R
            self.take()
            self.prod()
            terms: list[frozenset] = []
        else:
            terms = self.prod()
        while (tok := self.peek()) is not None and tok[1] in "+-" and tok[0] == "op":
            self.take()
            right = self.prod()
            if tok[1] == "+":
                terms = terms + [t for t in right if t not in terms]
            else:
                terms = [t for t in terms if t not in right]
        return terms

    def prod(self) -> list[frozenset]:
        terms = self.inter()
        while (tok := self.peek()) is not None and tok == ("op", "*"):
            self.take()
            right = self.inter()
            crossed = [a | b for a, b in itertools.product(terms, right) if a and b]
            merged = terms + [t for t in right if t not in terms]
            terms = merged + [t for t in crossed if t not in merged]
        return terms

    def inter(self) -> list[frozenset]:
        terms = self.atom()
        while (tok := self.peek()) is not None and tok == ("op", ":"):
            self.take()
            right = self.atom()
            out: list[frozenset] = []
            for a, b in itertools.product(terms, right):
                if not a or not b:
                    raise self.error(":", "cannot join an intercept (0/1) into an interaction")
                if (a | b) not in out:
                    out.append(a | b)
            terms = out
        return terms

    def atom(self) -> list[frozenset]:
        kind, value = self.take()
        if kind == "op" and value == "(":
            terms = self.sum()
            close = self.take()
            if close != ("op", ")"):
                raise self.error(close[1], "found where ')' was expected")
            return terms
        if kind == "number":
            if value not in ("0", "1"):
                raise self.error(
                    value, "is not allowed: the only numbers a formula may hold are 0 and 1"
                )
            return [frozenset()]  # the intercept: a no-op in a Cox model
        if kind == "name":
            if value == "C" and self.peek() == ("op", "("):
                self.take()
                kind2, name = self.take()
                if kind2 != "name":
                    raise self.error(name, "is not a column name (C() takes one column)")
                self.check_name(name)
                close = self.take()
                if close != ("op", ")"):
                    raise self.error(
                        close[1], "found where ')' was expected (C() takes one column)"
                    )
                return [frozenset({Factor(name, True)})]
            self.check_name(value)
            return [frozenset({Factor(value)})]
        raise self.error(value, "is unexpected here")

    def check_name(self, name: str) -> None:
        if name.startswith("__") or name.endswith("__"):
            raise self.error(name, "is not allowed (double-underscore names are never columns)")
        if name not in self.allowed:
            raise self.error(
                name,
                "is not a column of the data or of the canonical schema. Formulas may contain only "
                "column names, 0/1, +, -, :, *, parentheses and C(column).",
            )


def parse_formula(text: str, columns: tuple[str, ...] | list[str] | pd.Index = ()) -> Formula:
    """Parse and check a model formula without evaluating it.

    Parameters
    ----------
    text : str
        Right-hand side, e.g. ``"npm1 * flt3_itd + age"``; a leading ``~`` is accepted. The outcome
        is given by the endpoint, so a left-hand side is rejected.
    columns : sequence of str
        Columns present in the data; names are accepted if they are here or in the schema.

    Returns
    -------
    Formula

    Raises
    ------
    FormulaError
        Naming the first token that is not a column, 0/1 or a model operator.
    """
    if not isinstance(text, str):
        raise FormulaError(
            f"a formula must be a string such as 'npm1 + age', got {type(text).__name__}."
        )
    if len(text) > _MAX_LENGTH:
        raise FormulaError(f"formula is {len(text)} characters long; the limit is {_MAX_LENGTH}.")
    tokens = _tokenize(text)
    if tokens and tokens[0] == ("op", "~"):
        tokens = tokens[1:]
    for kind, value in tokens:
        if (kind, value) == ("op", "~"):
            raise FormulaError(
                f"formula {text!r}: token '~' is not allowed here. Give only the right-hand side "
                "(e.g. 'npm1 + age'); the outcome comes from endpoint=."
            )
    if not tokens:
        raise FormulaError("the formula is empty; give at least one covariate, e.g. 'npm1'.")
    _check_depth(text, tokens)
    allowed = set(COLUMNS) | {str(c) for c in columns}
    raw_terms = _Parser(text, tokens, allowed).parse()
    terms: list[tuple[Factor, ...]] = []
    for t in raw_terms:
        if not t:
            continue
        names = [f.name for f in t]
        if len(set(names)) != len(names):
            raise FormulaError(
                f"formula {text!r}: a column appears twice in one term ({':'.join(sorted(names))})."
            )
        # order factors by first appearance in the text so 'npm1:flt3_itd' keeps its written order
        order = {name: i for i, (k, name) in reversed(list(enumerate(tokens))) if k == "name"}
        terms.append(tuple(sorted(t, key=lambda f: order.get(f.name, 0))))
    if not terms:
        raise FormulaError(f"formula {text!r} has no covariate terms.")
    return Formula(text, tuple(terms))


def _check_depth(text: str, tokens: list[tuple[str, str]]) -> None:
    """Refuse parentheses nested deeper than ``_MAX_DEPTH`` (the parser recurses once per level)."""
    depth = deepest = 0
    for token in tokens:
        if token == ("op", "("):
            depth += 1
            deepest = max(deepest, depth)
        elif token == ("op", ")"):
            depth -= 1
    if deepest > _MAX_DEPTH:
        shown = text if len(text) <= 60 else text[:30] + " ... " + text[-25:]
        raise FormulaError(
            f"formula {shown!r} nests parentheses {deepest} deep; the limit is {_MAX_DEPTH}. "
            "Remove the redundant parentheses (e.g. '((age))' is 'age')."
        )


def _is_object_boolean(series: pd.Series) -> bool:
    """True/False stored as object (a CSV column with blanks): treat as boolean, not as text."""
    if not pd.api.types.is_object_dtype(series.dtype):
        return False
    values = series.dropna()
    return len(values) > 0 and all(isinstance(v, bool | np.bool_) for v in values)


def _is_categorical(series: pd.Series) -> bool:
    if _is_object_boolean(series):
        return False
    dtype = series.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
    )


def _levels(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [c for c in series.cat.categories if c in present]
    return sorted(series.dropna().unique(), key=lambda v: (str(type(v)), v))


def _factor_levels(series: pd.Series, uniques: pd.Index) -> list:
    """:func:`_levels` from the distinct present values ``uniques`` (no second pass over rows)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(uniques)
        return [c for c in series.cat.categories if c in present]
    return sorted(uniques, key=lambda v: (str(type(v)), v))


def _encode(factor: Factor, series: pd.Series) -> dict[str, np.ndarray]:
    """Columns (name -> float array) for one factor; rows with a missing value give NaN."""
    if factor.categorical or _is_categorical(series):
        # one hash pass: integer codes per row (-1 missing) and the distinct present values, so
        # each level's indicator is an integer comparison; missing rows become NaN, dropped and
        # counted by the callers as for a numeric NaN
        codes, uniques = pd.factorize(series)
        levels = _factor_levels(series, uniques)
        if len(levels) < 2:
            raise ModelError(
                f"covariate {factor.name!r} has {len(levels)} distinct value(s) among the analysed "
                "patients; a categorical covariate needs at least two. Drop it from the formula."
            )
        code_of = {value: k for k, value in enumerate(uniques)}
        missing = codes < 0
        out = {}
        for level in levels[1:]:
            col = (codes == code_of[level]).astype(float)
            col[missing] = np.nan
            out[f"{factor.name}[{level}]"] = col
        return out
    if (
        isinstance(series.dtype, pd.BooleanDtype)
        or pd.api.types.is_bool_dtype(series.dtype)
        or _is_object_boolean(series)
    ):
        if _is_object_boolean(series):
            series = series.astype("boolean")
        # straight to float: a masked round trip through "Float64" costs ~1 s per 1e6 rows
        return {factor.name: series.to_numpy(dtype=float, na_value=np.nan)}
    if pd.api.types.is_numeric_dtype(series.dtype):
        return {factor.name: series.to_numpy(dtype=float, na_value=np.nan)}
    raise ModelError(
        f"covariate {factor.name!r} has dtype {series.dtype}, which is neither boolean, numeric nor "
        "text. Convert it, or wrap it in C() to treat it as categorical."
    )


def design_matrix(
    formula: Formula, frame: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The numeric design matrix of ``formula`` on ``frame`` (no intercept).

    Returns
    -------
    X : pandas.DataFrame
        One float column per model coefficient, index of ``frame``; NaN where a covariate is missing.
    assign : dict
        Term label -> its columns in ``X`` (a categorical term has several), as R's ``fit$assign``.

    Raises
    ------
    ModelError
        A categorical covariate with fewer than two levels, or an unusable dtype.
    """
    missing = [v for v in formula.variables if v not in frame.columns]
    if missing:
        raise FormulaError(
            f"formula {formula.text!r} uses column(s) {', '.join(map(repr, missing))} that the data "
            "does not have."
        )
    cache: dict[Factor, dict[str, np.ndarray]] = {}
    columns: dict[str, np.ndarray] = {}
    assign: dict[str, list[str]] = {}
    for term, label in zip(formula.terms, formula.term_labels, strict=True):
        parts = []
        for f in term:
            if f not in cache:
                cache[f] = _encode(f, frame[f.name])
            parts.append(cache[f])
        names = []
        for combo in itertools.product(*[list(p.items()) for p in parts]):
            name = ":".join(n for n, _ in combo)
            # a main effect is its column, an interaction the product of its columns
            arr = combo[0][1] if combo else np.ones(len(frame))
            for _, col in combo[1:]:
                arr = arr * col
            columns[name] = arr
            names.append(name)
        assign[label] = names
    return pd.DataFrame(columns, index=frame.index), assign

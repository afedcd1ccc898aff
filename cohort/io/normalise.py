"""Normalising cell values into the canonical schema: vocabularies, missing tokens and units.

Every function here is idempotent on canonical values (``True``/``False``, ``"male"``, days,
fractions), so a table that is already canonical passes through unchanged. A cell that cannot be
read becomes missing *and* a :class:`~cohort.errors.Problem`, so the caller decides between raising
and excluding the row; nothing is silently turned into missing.

Unit constants (documented in ``docs/mapping.md``)
--------------------------------------------------
- one week = 7 days, one month = 30.4375 days (365.25 / 12), one year = 365.25 days (Julian year,
  the convention of R ``survival`` users converting with ``/ 365.25``);
- a percentage is divided by 100 to give a fraction;
- FLT3-ITD allelic ratio from a variant allele fraction: ``AR = VAF / (1 - VAF)`` (ITD reads over
  wild-type reads at a heterozygous diploid locus, ELN 2017 ratio definition).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cohort.errors import Problem
from cohort.io.mapping import Mapping
from cohort.schema import COLUMNS, Column

DAYS_PER_UNIT: dict[str, float] = {"days": 1.0, "weeks": 7.0, "months": 30.4375, "years": 365.25}
"""Days in one time unit: months = 365.25 / 12 days, years = 365.25 days."""

MISSING_TOKENS = frozenset(
    {
        "", "na", "n/a", "n.a.", "nan", "<na>", "nat", "null", ".", "?", "unknown", "unk",
        "not done", "nd", "n.d.", "not tested", "not available", "missing", "not evaluable",
    }
)  # fmt: skip
"""Cell texts read as missing (compared case-insensitively, after trimming spaces)."""

TRUE_TOKENS = frozenset(
    {
        "1", "true", "t", "yes", "y", "pos", "positive", "+", "mut", "mutated", "mutant",
        "mutation", "present", "detected", "itd", "itd+", "itd pos", "itd positive",
    }
)  # fmt: skip
FALSE_TOKENS = frozenset(
    {
        "0", "false", "f", "no", "n", "neg", "negative", "-", "wt", "wild-type", "wild type",
        "wildtype", "unmutated", "absent", "not detected", "no itd", "itd-", "itd neg",
        "itd negative",
    }
)  # fmt: skip

SEX_CODES = {"m": "male", "male": "male", "man": "male", "f": "female", "female": "female",
             "woman": "female"}  # fmt: skip
AML_TYPE_CODES = {
    "de novo": "de_novo", "denovo": "de_novo", "de novo aml": "de_novo", "primary": "de_novo",
    "paml": "de_novo", "aml": "de_novo",
    "secondary": "secondary", "saml": "secondary", "s-aml": "secondary", "s aml": "secondary",
    "secondary aml": "secondary", "post-mds": "secondary", "mds-aml": "secondary",
    "therapy related": "therapy_related", "therapy-related": "therapy_related",
    "taml": "therapy_related", "t-aml": "therapy_related", "t aml": "therapy_related",
    "therapy-related aml": "therapy_related", "treatment related": "therapy_related",
}  # fmt: skip
NPM1_TYPE_CODES = {"a": "A", "type a": "A", "b": "B", "type b": "B", "d": "D", "type d": "D",
                   "other": "other"}  # fmt: skip
CATEGORY_CODES: dict[str, dict[str, str]] = {
    "sex": SEX_CODES,
    "aml_type": AML_TYPE_CODES,
    "npm1_type": NPM1_TYPE_CODES,
}
OS_EVENT_WORDS = {"dead": 1, "deceased": 1, "died": 1, "death": 1, "alive": 0, "living": 0}
EVENT_WORDS = {"censored": 0, "event": 1}
BINARY_EVENTS = ("os_event", "efs_event", "rfs_event")
VAF_COLUMNS = ("npm1_vaf", "tp53_vaf")

_SPACES = re.compile(r"[\s_]+")
_WHOLE_DECIMAL = re.compile(r"-?\d+\.0+")


def token(value: Any) -> str | None:
    """The comparison form of a cell: trimmed, lower case, ``_`` and runs of spaces as one space.

    Returns ``None`` for a missing value (``None``, ``NaN``, ``pd.NA``, ``NaT``). Integral numbers,
    and text such as ``"1.0"``, give their integer text (``"1"``), so codes read from CSV, Excel or
    Parquet match each other and the codes written in a mapping file.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = _SPACES.sub(" ", str(value).strip().lower())
    # "1.0" written to a CSV by a program that stored the code as a float reads as Excel's 1.0 does.
    return str(int(text.split(".")[0])) if _WHOLE_DECIMAL.fullmatch(text) else text


@dataclass
class Context:
    """Where cells come from, so that problems name file rows and the user's column names.

    Attributes
    ----------
    rows : list of int
        Row number of each position (see :class:`~cohort.errors.Problem`).
    labels : dict
        Canonical column -> user's column name, for columns that were renamed.
    mapping : Mapping
    patient_ids : list
        Patient identifier of each position (filled once ``patient_id`` is normalised).
    problems : list of (int, Problem)
        Position and problem, in the order found.
    report : dict
        Load-report entries (``derived``, ``units``, ...).
    flagged_cells : set of (int, str)
        Position and canonical column of every cell with a problem.
    ids_distinct : bool
        Set by :func:`normalise_text` of ``patient_id``: every identifier is present, made of
        ASCII letters and digits only, and no two are equal even ignoring case (so validation
        need not look for repeated or near-duplicate identifiers again).
    """

    rows: list[int]
    labels: dict[str, str] = field(default_factory=dict)
    mapping: Mapping = field(default_factory=Mapping)
    patient_ids: list[Any] = field(default_factory=list)
    problems: list[tuple[int, Problem]] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    flagged_cells: set[tuple[int, str | None]] = field(default_factory=set)
    ids_distinct: bool = False

    def flagged(self, column: str, n: int) -> np.ndarray:
        """Positions whose ``column`` cell already has a problem (to avoid follow-on problems)."""
        out = np.zeros(n, dtype=bool)
        for pos, col in self.flagged_cells:
            if col == column:
                out[pos] = True
        return out

    def label(self, column: str) -> str:
        """The user's name for a canonical column: ``"AOD (age)"`` when renamed, else ``"age"``."""
        src = self.labels.get(column)
        return f"{src} ({column})" if src and src != column else column

    def add(
        self, pos: int, reason: str, column: str | None, value: Any, message: str, fix: str
    ) -> None:
        self.flagged_cells.add((pos, column))
        pid = self.patient_ids[pos] if pos < len(self.patient_ids) else None
        pid = None if pid is None or pid is pd.NA else str(pid)
        self.problems.append(
            (
                pos,
                Problem(
                    reason=reason,
                    message=message,
                    column=None if column is None else self.label(column),
                    row=self.rows[pos],
                    value=_plain(value),
                    fix=fix,
                    patient_id=pid,
                ),
            )
        )

    def note(self, key: str, entry: Any) -> None:
        self.report.setdefault(key, []).append(entry)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


Codes = tuple[np.ndarray, np.ndarray]
"""A column as (code of each row, distinct values): ``values[codes]`` is the column."""


def _map_cells(
    series: pd.Series, read: Callable[[Any], tuple[Any, str | None]], codes: Codes | None = None
) -> tuple[list[Any], list[tuple[int, Any, str]]]:
    """Apply ``read`` to each distinct value; return the results and (position, value, error)."""
    results, inverse, bad = _read_distinct(series, read, codes)
    return results[inverse].tolist(), bad


def _read_distinct(
    series: pd.Series, read: Callable[[Any], tuple[Any, str | None]], codes: Codes | None = None
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, Any, str]]]:
    """``read`` once per distinct value: the results (object array), each cell's index into them,
    and (position, value, error) of every cell whose value ``read`` refused.

    The distinct values come from ``pd.factorize`` (one hash pass in C), keyed by value *and* type so
    that ``1``, ``1.0`` and ``True`` (equal in Python) are still read separately. ``codes``, when
    given (a column of texts the reader dictionary-encoded), are the distinct values already.
    """
    if codes is not None and len(codes[0]) == len(series):
        return _read_codes(codes, read)
    values = series.to_numpy(dtype=object)
    try:
        types = list(map(type, values))
        kinds = set(types)
        mixed = len(kinds) > 1
        # all ``str``: no missing value to keep apart, and the sentinel pass skips isna()
        value_codes, _ = pd.factorize(values, use_na_sentinel=kinds == {str})
        if mixed:
            type_codes, _ = pd.factorize(pd.Series(types, dtype=object).to_numpy())
    except TypeError:  # an unhashable cell (a list from JSON): read cell by cell
        out, bad = _map_cells_slow(values, read)
        results = np.empty(len(out), dtype=object)
        results[:] = out
        return results, np.arange(len(out)), bad
    if not mixed:  # one type (a column read as text): the values decide
        inverse = value_codes
    else:
        combined = value_codes.astype(np.int64) * (int(type_codes.max()) + 1) + type_codes
        inverse = pd.factorize(combined)[0]
    # codes follow first appearance, so the k-th first appearance is code k's
    first_pos = np.flatnonzero(~pd.Series(inverse).duplicated().to_numpy())
    results = np.empty(len(first_pos), dtype=object)
    errors: list[str | None] = []
    for k, pos in enumerate(first_pos):
        res, err = read(values[pos])
        results[k] = res
        errors.append(err)
    bad_codes = np.array([e is not None for e in errors], dtype=bool)
    bad = [
        (int(pos), values[pos], errors[inverse[pos]]) for pos in np.flatnonzero(bad_codes[inverse])
    ]
    return results, inverse, bad


def _read_codes(
    codes: Codes, read: Callable[[Any], tuple[Any, str | None]]
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, Any, str]]]:
    """:func:`_read_distinct` of a column given as (code of each row, distinct values)."""
    inverse, distinct = codes
    results = np.empty(len(distinct), dtype=object)
    errors: list[str | None] = []
    for k, value in enumerate(distinct):
        results[k], err = read(value)
        errors.append(err)
    bad_codes = np.array([e is not None for e in errors], dtype=bool)
    bad = [
        (int(pos), distinct[inverse[pos]], errors[inverse[pos]])
        for pos in np.flatnonzero(bad_codes[inverse])
    ]
    return results, inverse, bad


def _map_cells_slow(
    values: np.ndarray, read: Callable[[Any], tuple[Any, str | None]]
) -> tuple[list[Any], list[tuple[int, Any, str]]]:
    cache: dict[Any, tuple[Any, str | None]] = {}
    out: list[Any] = []
    bad: list[tuple[int, Any, str]] = []
    for pos, value in enumerate(values.tolist()):
        key = (type(value).__name__, value) if _hashable(value) else None
        if key is not None and key in cache:
            res, err = cache[key]
        else:
            res, err = read(value)
            if key is not None:
                cache[key] = (res, err)
        out.append(res)
        if err is not None:
            bad.append((pos, value, err))
    return out, bad


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _missing(tok: str | None, ctx: Context) -> bool:
    return tok is None or tok in MISSING_TOKENS or tok in _extra_missing(ctx)


def _extra_missing(ctx: Context) -> frozenset[str]:
    return frozenset(t for t in (token(m) for m in ctx.mapping.missing) if t is not None)


def _declared(ctx: Context, column: str) -> dict[str, Any]:
    return {token(k): v for k, v in ctx.mapping.values.get(column, {}).items()}


def normalise_boolean(
    series: pd.Series, column: str, ctx: Context, *, codes: Codes | None = None
) -> pd.Series:
    """Read a genotype, flag or treatment column into a nullable boolean.

    Accepts 0/1, yes/no, pos/neg, mut/wt, mutated/wild-type, +/-, TRUE/FALSE, ITD/No_ITD, ITD+,
    the missing tokens, and any codes declared under ``values`` in the mapping. ``codes``: the
    column as (code of each row, distinct values), when the reader has them.
    """
    declared = _declared(ctx, column)

    def read(value: Any) -> tuple[Any, str | None]:
        tok = token(value)
        if tok in declared:
            v = declared[tok]
            return (pd.NA if v is None else bool(v)), None
        if _missing(tok, ctx):
            return pd.NA, None
        if tok in TRUE_TOKENS:
            return True, None
        if tok in FALSE_TOKENS:
            return False, None
        return pd.NA, "unknown_code"

    results, inverse, bad = _read_distinct(series, read, codes)
    for pos, value, _ in bad:
        ctx.add(
            pos, "unknown_code", column, value,
            f"{value!r} is not a known code for {column} (a yes/no column: 1/0, yes/no, "
            "mut/wt, pos/neg, +/-, TRUE/FALSE).",
            f"Declare it in the mapping under values: {{{column}: {{{value!r}: true}}}} (or false), "
            "list it under missing: if it means unknown, or correct the cell.",
        )  # fmt: skip
    missing = np.array([r is pd.NA for r in results], dtype=bool)
    truth = np.array([r is True for r in results], dtype=bool)
    flags = pd.arrays.BooleanArray(truth[inverse], missing[inverse])
    return pd.Series(flags, index=series.index)


def normalise_category(
    series: pd.Series, column: str, ctx: Context, *, codes: Codes | None = None
) -> pd.Series:
    """Read ``sex``, ``aml_type`` or ``npm1_type`` into its canonical values (``codes`` as in
    :func:`normalise_boolean`)."""
    col = COLUMNS[column]
    declared = _declared(ctx, column)
    vocabulary = dict(CATEGORY_CODES.get(column, {}))
    vocabulary.update({token(a): a for a in col.allowed or ()})

    def read(value: Any) -> tuple[Any, str | None]:
        tok = token(value)
        if tok in declared:
            v = declared[tok]
            return (pd.NA if v is None else v), None
        if _missing(tok, ctx):
            return pd.NA, None
        if tok in vocabulary:
            return vocabulary[tok], None
        return pd.NA, "unknown_code"

    out, bad = _map_cells(series, read, codes)
    allowed = ", ".join(col.allowed or ())
    for pos, value, _ in bad:
        hint = ""
        if column == "sex" and token(value) in ("1", "2"):
            hint = " Numeric sex codes are ambiguous between studies, so they are read only when declared."
        ctx.add(
            pos, "unknown_code", column, value,
            f"{value!r} is not a known code for {column} (canonical values: {allowed}).{hint}",
            f"Declare it in the mapping under values: {{{column}: {{{value!r}: <one of {allowed}>}}}}, "
            "list it under missing: if it means unknown, or correct the cell.",
        )  # fmt: skip
    return pd.Series(out, index=series.index, dtype="string")


def normalise_text(series: pd.Series, column: str, ctx: Context) -> pd.Series:
    """Trim a text column (``patient_id``, ``karyotype``); missing tokens become missing."""

    def read(value: Any) -> tuple[Any, str | None]:
        tok = token(value)
        if _missing(tok, ctx):
            return pd.NA, None
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return str(int(value)), None
        return str(value).strip(), None

    values = series.to_numpy(dtype=object)
    if len(values) and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return _text_column(values, series.index, ctx, identifiers=column == "patient_id")
    out, _ = _map_cells(series, read)
    return pd.Series(out, index=series.index, dtype="string")


def _text_column(
    values: np.ndarray, index: pd.Index, ctx: Context, *, identifiers: bool = False
) -> pd.Series:
    """:func:`normalise_text` for a column of ``str`` only (identifiers: every value distinct), with
    pandas' string methods instead of one :func:`token` call per cell; the same steps as ``token``.

    For ``identifiers``, sets ``ctx.ids_distinct`` (see :class:`Context`)."""
    stripped = list(map(str.strip, values))
    lowered = list(map(str.lower, stripped))
    # Letters and digits only: no space, "_" or ".", so token() is the lower-case text itself.
    plain = np.fromiter(map(str.isalnum, lowered), dtype=bool, count=len(lowered))
    if identifiers:
        # Distinct lower-case ASCII letters and digits: no repeated identifier and no two that
        # differ only by case (their NFKC keys are the lower-case texts); missing ones: below.
        ctx.ids_distinct = bool(
            plain.all() and "".join(stripped).isascii() and len(set(lowered)) == len(lowered)
        )
    tok = pd.Series(lowered, dtype=object)
    if not plain.all():
        rest = tok[~plain].str.replace(_SPACES.pattern, " ", regex=True)
        whole = rest.str.fullmatch(_WHOLE_DECIMAL.pattern).to_numpy(dtype=bool)
        if whole.any():
            rest[whole] = rest[whole].map(lambda t: str(int(t.split(".")[0])))
        tok[~plain] = rest
    missing = tok.isin(MISSING_TOKENS | _extra_missing(ctx)).to_numpy()
    if identifiers and missing.any():
        ctx.ids_distinct = False  # "NA", "unknown", ... become missing identifiers
    out = pd.Series(pd.array(stripped, dtype="string"), index=index)
    out[missing] = pd.NA
    return out


def normalise_number(
    series: pd.Series, column: str, ctx: Context, *, codes: Codes | None = None
) -> pd.Series:
    """Read a numeric column as floats (missing tokens -> missing), without unit conversion.

    Event columns also accept yes/no vocabularies (``os_event`` also dead/alive) and codes declared
    in the mapping. Integer columns must hold whole numbers. ``codes`` as in
    :func:`normalise_boolean`.
    """
    col = COLUMNS.get(column) or Column(column, "float", "")
    declared = _declared(ctx, column)
    words: dict[str, int] = {}
    if column in BINARY_EVENTS:
        words = {t: 1 for t in TRUE_TOKENS} | {t: 0 for t in FALSE_TOKENS} | EVENT_WORDS
        if column == "os_event":
            words |= OS_EVENT_WORDS
    elif column == "cir_status":
        words = dict(EVENT_WORDS)

    def read(value: Any) -> tuple[Any, str | None]:
        tok = token(value)
        if tok in declared:
            v = declared[tok]
            return (np.nan if v is None else float(v)), None
        if _missing(tok, ctx):
            return np.nan, None
        if tok in words:
            return float(words[tok]), None
        if isinstance(value, (bool, np.bool_)):
            return np.nan, "not_a_number"
        try:
            x = float(value) if isinstance(value, (int, float, np.number)) else float(tok)
        except (TypeError, ValueError):
            return np.nan, "not_a_number"
        if not math.isfinite(x):
            return np.nan, "not_finite"
        if col.kind == "integer" and not x.is_integer():
            return np.nan, "not_an_integer"
        return x, None

    results, inverse, bad = _read_distinct(series, read, codes)
    for pos, value, err in bad:
        if err == "not_an_integer":
            ctx.add(
                pos, "event_out_of_range", column, value,
                f"{value!r} is not a valid code for {column} (whole numbers only: "
                f"{_codes_text(column)}).",
                "Correct the cell, or declare the code under values: in the mapping.",
            )  # fmt: skip
        elif column in BINARY_EVENTS or column == "cir_status":
            ctx.add(
                pos, "unknown_code", column, value,
                f"{value!r} is not a known code for {column} ({_codes_text(column)}).",
                f"Declare it in the mapping under values: {{{column}: {{{value!r}: 1}}}} (or 0), "
                "or correct the cell.",
            )  # fmt: skip
        else:
            ctx.add(
                pos, "not_a_number", column, value,
                f"{value!r} is not a finite number." if err == "not_finite"
                else f"{value!r} is not a number.",
                "Write a plain number with a dot as decimal separator (no units or text), or "
                "leave the cell empty if unknown.",
            )  # fmt: skip
    numbers = results.astype(np.float64)[inverse]  # NaN (missing or refused) becomes <NA>
    return pd.Series(pd.arrays.FloatingArray(numbers, np.isnan(numbers)), index=series.index)


def _codes_text(column: str) -> str:
    if column == "cir_status":
        return "0 censored, 1 relapse, 2 death without relapse"
    return "1 event, 0 censored"


def convert_units(frame: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Convert times to days, VAF percentages to fractions, FLT3-ITD quantities to allelic ratios.

    Conversions applied are listed in ``ctx.report["units"]``; allelic ratios computed from a VAF
    are listed in ``ctx.report["derived"]``.
    """
    out = frame
    for name in out.columns:
        col = COLUMNS.get(name)
        if col is None or col.unit != "days":
            continue
        unit = ctx.mapping.time_unit(name)
        if unit != "days":
            out[name] = out[name] * DAYS_PER_UNIT[unit]
            ctx.note("units", f"{ctx.label(name)}: {unit} -> days (x {DAYS_PER_UNIT[unit]:g})")
    if ctx.mapping.unit("vaf", "fraction") == "percent":
        for name in VAF_COLUMNS:
            if name in out.columns:
                out[name] = out[name] / 100.0
                ctx.note("units", f"{ctx.label(name)}: percent -> fraction (/ 100)")
    if "flt3_itd_ar" in out.columns:
        out["flt3_itd_ar"] = _flt3_quantity(out["flt3_itd_ar"], ctx)
    return out


def _flt3_quantity(values: pd.Series, ctx: Context) -> pd.Series:
    unit = ctx.mapping.unit("flt3_itd", "ratio")
    if unit == "ratio":
        return values
    if unit == "percent_ratio":
        ctx.note("units", f"{ctx.label('flt3_itd_ar')}: ratio in percent -> ratio (/ 100)")
        return values / 100.0
    vaf = values / 100.0 if unit == "vaf_percent" else values
    ratio = vaf / (1.0 - vaf)
    bad = vaf.notna() & ((vaf >= 1.0) | (vaf < 0.0))
    for pos in np.flatnonzero(bad.to_numpy(dtype=bool, na_value=False)):
        ctx.add(
            int(pos), "vaf_above_one" if vaf.iloc[pos] >= 1 else "negative_value", "flt3_itd_ar",
            _plain(values.iloc[pos]),
            "a FLT3-ITD variant allele fraction must lie in [0, 1) to give an allelic ratio "
            f"(declared unit: {unit}).",
            "Check the value, or declare units: {flt3_itd: vaf_percent} if VAFs are percentages.",
        )  # fmt: skip
    ratio = ratio.mask(bad)
    n = int(vaf.notna().sum() - bad.sum())
    ctx.note(
        "derived",
        {
            "column": "flt3_itd_ar",
            "from": f"{ctx.label('flt3_itd_ar')} as {'VAF %' if unit == 'vaf_percent' else 'VAF'}",
            "rule": "AR = VAF / (1 - VAF)",
            "n": n,
        },
    )
    return ratio


def fill_flt3(frame: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Fill ``flt3_itd`` from a known ratio and a ratio of 0 for ITD-negative patients.

    The schema defines the ratio as 0 when ITD-negative; status is derived from a ratio only where
    the status itself is missing. Both fills are recorded in ``report["derived"]``.
    """
    if "flt3_itd_ar" not in frame.columns:
        return frame
    ar = frame["flt3_itd_ar"]
    if "flt3_itd" not in frame.columns:
        frame["flt3_itd"] = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    itd = frame["flt3_itd"]
    fill_status = itd.isna() & ar.notna()
    if fill_status.any():
        frame.loc[fill_status, "flt3_itd"] = (ar[fill_status] > 0).astype("boolean")
        ctx.note(
            "derived",
            {"column": "flt3_itd", "from": "flt3_itd_ar", "rule": "ITD = ratio > 0",
             "n": int(fill_status.sum())},
        )  # fmt: skip
    fill_ratio = ar.isna() & frame["flt3_itd"].eq(False).fillna(False)
    if fill_ratio.any():
        frame.loc[fill_ratio, "flt3_itd_ar"] = 0.0
        ctx.note(
            "derived",
            {"column": "flt3_itd_ar", "from": "flt3_itd", "rule": "ratio = 0 when ITD-negative",
             "n": int(fill_ratio.sum())},
        )  # fmt: skip
    return frame


def normalise_columns(
    frame: pd.DataFrame, ctx: Context, *, codes: dict[str, Codes] | None = None
) -> pd.DataFrame:
    """Normalise every canonical column of ``frame`` (renamed already); others are left unchanged.

    ``patient_id`` is read first so that every later problem names its patient. ``codes``: canonical
    column -> (code of each row, distinct values) for columns the reader dictionary-encoded.
    """
    codes = codes or {}
    out = frame.copy()
    if "patient_id" in out.columns:
        out["patient_id"] = normalise_text(out["patient_id"], "patient_id", ctx)
        ctx.patient_ids = out["patient_id"].tolist()
    for name in out.columns:
        col = COLUMNS.get(name)
        if col is None or name == "patient_id":
            continue
        if col.kind == "boolean":
            out[name] = normalise_boolean(out[name], name, ctx, codes=codes.get(name))
        elif col.kind == "category":
            out[name] = normalise_category(out[name], name, ctx, codes=codes.get(name))
        elif col.kind == "string":
            out[name] = normalise_text(out[name], name, ctx)
        else:
            out[name] = normalise_number(out[name], name, ctx, codes=codes.get(name))
    out = convert_units(out, ctx)
    return fill_flt3(out, ctx)

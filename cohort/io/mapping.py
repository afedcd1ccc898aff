"""Mapping files: how a user's table relates to the canonical schema.

A mapping is a small YAML document (see ``docs/mapping.md``) that renames columns, declares value
codes, states units and names the date columns from which endpoints are derived. It is read with
``yaml.safe_load`` only, and checked completely before any data are touched, so that a typo in a
mapping fails fast with the file and key named instead of surfacing later as a row-level problem.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import reprlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cohort.errors import MappingError
from cohort.schema import COLUMNS, ENDPOINTS, MRD_COLUMNS

TOP_LEVEL_KEYS = (
    "name",
    "description",
    "columns",
    "values",
    "units",
    "dates",
    "date_format",
    "dayfirst",
    "missing",
    "decimal",
    "extra_columns",
)
DECIMAL_MARKS = (".", ",")

TIME_UNITS = ("days", "weeks", "months", "years")
VAF_UNITS = ("fraction", "percent")
FLT3_ITD_UNITS = ("ratio", "percent_ratio", "vaf", "vaf_percent")
MRD_UNITS = ("percent", "ratio")
UNIT_CHOICES: dict[str, tuple[str, ...]] = {
    "time": TIME_UNITS,
    "vaf": VAF_UNITS,
    "flt3_itd": FLT3_ITD_UNITS,
    "npm1_abl1": MRD_UNITS,
}
DATE_EVENTS = ("diagnosis", "cr", "relapse", "death", "last_followup", "hsct")
EXCEL_DATE_FORMATS = {"excel_1900": 1900, "excel_1904": 1904}
"""``date_format`` values meaning "plain numbers are Excel serial dates in this date system"."""

# Time columns that a per-column unit (``units: {os_days: months}``) may override.
TIME_COLUMNS = tuple(n for n, c in COLUMNS.items() if c.unit == "days") + ("days",)

MAX_DEPTH = 8
"""Deepest nesting a mapping may have (``values: {sex: {1: male}}`` is 3 levels)."""
MAX_MAPPING_BYTES = 1_000_000
"""Largest mapping file read (real mappings are a few kilobytes)."""
STRPTIME_DIRECTIVES = frozenset("aAwdbBmyYHIpMSfzZjUWGuVcxX%")
"""The ``strptime`` directives a ``date_format`` may use."""

PRESET_DIR = Path(__file__).parents[1] / "mappings"
DATASET_DIR = Path(__file__).parents[1] / "datasets"


@dataclass(frozen=True)
class Mapping:
    """A checked mapping.

    Attributes
    ----------
    columns : dict
        User column name -> canonical column name.
    values : dict
        Canonical column name -> {user code (as written) -> canonical value}.
    units : dict
        ``time``, ``vaf``, ``flt3_itd``, ``npm1_abl1`` and per-column time units.
    dates : dict
        Date event (``diagnosis``, ``cr``, ``relapse``, ``death``, ``last_followup``, ``hsct``) ->
        user column name.
    date_format : str or None
        A ``strftime`` format for every date column; ``None`` means ISO 8601 (``2019-03-25``).
        ``excel_1900`` or ``excel_1904``: cells that are plain numbers are Excel serial dates in
        that date system (``43831`` = 2020-01-01 in the 1900 system); other cells are read as ISO
        8601 dates (or day first, with ``dayfirst``).
    dayfirst : bool
        Read ambiguous dates day first (``01/02/2019`` = 1 February) when no format is given.
    missing : tuple of str
        Extra tokens that mean "unknown" in this table, on top of the built-in ones.
    decimal : str
        The decimal mark of the table's numbers: ``"."`` (default) or ``","`` (``78,6``).
    extra_columns : tuple of str
        Columns kept as extra columns on purpose: no "did you mean" warning when their name
        looks like a canonical one (AMLSG's ``minus7`` is its own coding, not ``minus_7``).
    name : str
        The preset name or file name, for provenance.
    source : str or None
        Path of the YAML file, when read from one.
    sha256 : str or None
        SHA-256 of the YAML file.
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    dayfirst: bool = False
    missing: tuple[str, ...] = ()
    decimal: str = "."
    extra_columns: tuple[str, ...] = ()
    name: str = "none"
    source: str | None = None
    sha256: str | None = None

    def unit(self, key: str, default: str) -> str:
        """The declared unit for ``key`` (a unit family or a time column), else ``default``."""
        return self.units.get(key, default)

    @property
    def excel_date_system(self) -> int | None:
        """1900 or 1904 when ``date_format`` declares Excel serial dates, else ``None``."""
        return EXCEL_DATE_FORMATS.get(self.date_format or "")

    @property
    def text_date_format(self) -> str | None:
        """The ``strftime`` format for dates written as text (``None``: ISO 8601 or day first)."""
        return None if self.excel_date_system else self.date_format

    def time_unit(self, column: str) -> str:
        """Unit of a time column: its own declaration, else ``units.time``, else days."""
        return self.units.get(column, self.units.get("time", "days"))

    def as_dict(self) -> dict[str, Any]:
        """The mapping as plain data (for provenance)."""
        return {
            "name": self.name,
            "source": self.source,
            "sha256": self.sha256,
            "columns": dict(self.columns),
            "values": {k: dict(v) for k, v in self.values.items()},
            "units": dict(self.units),
            "dates": dict(self.dates),
            "date_format": self.date_format,
            "dayfirst": self.dayfirst,
            "missing": list(self.missing),
            "decimal": self.decimal,
            "extra_columns": list(self.extra_columns),
        }


def available_presets() -> list[str]:
    """Names of the bundled mapping presets (``cohort/mappings/*.yaml`` and dataset folders)."""
    names = {p.stem for p in PRESET_DIR.glob("*.yaml")}
    names |= {p.parent.name for p in DATASET_DIR.glob("*/mapping.yaml")}
    return sorted(names)


def _resolve(spec: str | Path) -> Path:
    path = Path(spec)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise MappingError(
                f"Mapping file {str(spec)!r} does not exist. Give the path of a YAML mapping file or "
                f"a bundled preset name ({', '.join(available_presets()) or 'none bundled'})."
            )
        return path
    for candidate in (PRESET_DIR / f"{spec}.yaml", DATASET_DIR / str(spec) / "mapping.yaml"):
        if candidate.is_file():
            return candidate
    raise MappingError(
        f"Unknown mapping {str(spec)!r}: it is neither a YAML file nor a bundled preset. Bundled "
        f"presets: {', '.join(available_presets()) or 'none'}."
    )


def read_mapping(spec: str | Path | dict | Mapping | None, *, mrd: bool = False) -> Mapping:
    """Read and check a mapping.

    Parameters
    ----------
    spec : str, Path, dict, Mapping or None
        A YAML file, a bundled preset name, an already parsed dict, a :class:`Mapping`, or ``None``
        (the table is already canonical).
    mrd : bool
        Check column targets against the MRD long-table schema instead of the cohort schema.

    Returns
    -------
    Mapping

    Raises
    ------
    MappingError
        Unreadable YAML, an unknown top-level key, an unknown canonical target, an unknown unit, a
        value code that is not a canonical value.
    """
    if spec is None:
        return Mapping()
    if isinstance(spec, Mapping):
        return spec
    if isinstance(spec, dict):
        return _check(spec, where="the mapping dict", name="dict", source=None, sha=None, mrd=mrd)
    path = _resolve(spec)
    raw = path.read_bytes()
    doc = _parse_yaml(raw, path.name)
    if doc is None:
        doc = {}
    name = path.parent.name if path.name == "mapping.yaml" else path.stem
    return _check(
        doc,
        where=f"mapping file {path.name}",
        name=name,
        source=str(path),
        sha=hashlib.sha256(raw).hexdigest(),
        mrd=mrd,
    )


class _MappingLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses anchors and aliases and caps nesting, before anything is built.

    An alias lets a few hundred bytes expand into gigabytes (a "billion laughs" document), and
    deep nesting exhausts the recursion limit; a mapping needs neither, so both are refused at the
    event that introduces them.
    """

    def __init__(self, stream: str, where: str) -> None:
        super().__init__(stream)
        self._where = where
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            mark = event.start_mark
            kind = "an alias (*" if isinstance(event, yaml.AliasEvent) else "an anchor (&"
            raise MappingError(
                f"{self._where}, line {mark.line + 1}: {kind}{event.anchor}). Mapping files may not "
                "use YAML anchors or aliases (they can expand a small file into gigabytes); write "
                "each value out in full."
            )
        collection = isinstance(event, yaml.CollectionStartEvent)
        if collection:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise MappingError(
                    f"{self._where}, line {event.start_mark.line + 1}: nested more than "
                    f"{MAX_DEPTH} levels deep. A mapping needs at most 3 (values: column: code: "
                    "value); check the indentation or brackets."
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if collection:
                self._depth -= 1


def _parse_yaml(raw: bytes, name: str) -> Any:
    where = f"Mapping file {name}"
    if len(raw) > MAX_MAPPING_BYTES:
        raise MappingError(
            f"{where} is {len(raw):,} bytes; a mapping is a few kilobytes (limit "
            f"{MAX_MAPPING_BYTES:,}). Check that the file given with --mapping is the mapping."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MappingError(f"{where} is not valid YAML: not UTF-8 text ({exc}).") from None
    loader = _MappingLoader(text, where)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise MappingError(f"{where} is not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _check(
    doc: Any, *, where: str, name: str, source: str | None, sha: str | None, mrd: bool
) -> Mapping:
    if not isinstance(doc, dict):
        raise MappingError(
            f"{where} must be a YAML mapping with keys such as 'columns' and 'units', "
            f"got {type(doc).__name__}."
        )
    unknown = [k for k in doc if k not in TOP_LEVEL_KEYS]
    if unknown:
        raise MappingError(
            f"{where}: unknown top-level key {unknown[0]!r}. Allowed keys: "
            f"{', '.join(TOP_LEVEL_KEYS)}."
        )
    _check_types(doc, where)
    schema = MRD_COLUMNS if mrd else COLUMNS
    columns = _section(doc, "columns", where)
    for src, target in columns.items():
        if target not in schema:
            raise MappingError(
                f"{where}: column {src!r} is mapped to {target!r}, which is not a canonical column. "
                f"See docs/schema.md for the canonical names (e.g. patient_id, age, os_days)."
            )
    targets = list(columns.values())
    dup = sorted({t for t in targets if targets.count(t) > 1})
    if dup:
        srcs = [s for s, t in columns.items() if t == dup[0]]
        raise MappingError(
            f"{where}: columns {', '.join(map(repr, srcs))} are all mapped to {dup[0]!r}; map one."
        )

    values = _section(doc, "values", where)
    checked_values: dict[str, dict[str, Any]] = {}
    for target, codes in values.items():
        if target not in schema:
            raise MappingError(
                f"{where}: 'values' declares codes for {target!r}, which is not a canonical column."
            )
        if not isinstance(codes, dict):
            raise MappingError(
                f"{where}: values.{target} must map each code to a canonical value, e.g. "
                "{1: male, 2: female}."
            )
        col = schema[target]
        for code, val in codes.items():
            _check_value(where, target, col, code, val)
        checked_values[target] = {str(code): val for code, val in codes.items()}

    units = _section(doc, "units", where)
    for key, unit in units.items():
        choices = UNIT_CHOICES.get(key) or (TIME_UNITS if key in TIME_COLUMNS else None)
        if choices is None:
            raise MappingError(
                f"{where}: unknown unit key {key!r}. Allowed: {', '.join(UNIT_CHOICES)} or a time "
                "column name such as os_days."
            )
        if unit not in choices:
            raise MappingError(f"{where}: units.{key} is {unit!r}; allowed: {', '.join(choices)}.")

    dates = _section(doc, "dates", where)
    for event in dates:
        if event not in DATE_EVENTS:
            raise MappingError(
                f"{where}: unknown date {event!r} under 'dates'. Allowed: {', '.join(DATE_EVENTS)}."
            )
    if dates and "diagnosis" not in dates:
        raise MappingError(
            f"{where}: 'dates' needs a 'diagnosis' column; every endpoint is measured from it."
        )

    missing = doc.get("missing") or []
    if isinstance(missing, str) or not isinstance(missing, list):
        raise MappingError(f"{where}: 'missing' must be a list of tokens, e.g. ['-99', 'ND'].")
    date_format = doc.get("date_format")
    if date_format is not None and not isinstance(date_format, str):
        raise MappingError(
            f"{where}: 'date_format' must be a text such as '%d.%m.%Y' or 'excel_1900'."
        )
    dayfirst = doc.get("dayfirst", False)
    if not isinstance(dayfirst, bool):
        raise MappingError(f"{where}: 'dayfirst' must be true or false.")
    if isinstance(date_format, str) and date_format.strip().casefold().startswith("excel"):
        if date_format not in EXCEL_DATE_FORMATS:
            # A misspelt Excel option would otherwise be taken as a literal strftime format.
            raise MappingError(
                f"{where}: 'date_format' is {date_format!r}; for Excel serial dates use "
                "'excel_1900' (Excel for Windows, and most CSV exports) or 'excel_1904' "
                "(workbooks from Excel for Mac 2008 and earlier)."
            )
    elif isinstance(date_format, str):
        _check_date_format(date_format, where)
    decimal = _decimal(doc, where)
    return Mapping(
        columns={str(k): str(v) for k, v in columns.items()},
        values=checked_values,
        units={str(k): str(v) for k, v in units.items()},
        dates={str(k): str(v) for k, v in dates.items()},
        date_format=date_format,
        dayfirst=dayfirst,
        missing=tuple(str(m) for m in missing),
        decimal=decimal,
        extra_columns=_extra_columns(doc, where),
        name=str(doc.get("name") or name),
        source=source,
        sha256=sha,
    )


_SCALAR = (str, int, float, bool)


def _check_types(doc: dict, where: str) -> None:
    """Refuse lists or mappings where a mapping holds names, codes and tokens (plain scalars)."""

    def scalar(value: Any, at: str, *, text: bool, null: bool = False) -> None:
        ok = (value is None and null) or (
            isinstance(value, str) if text else isinstance(value, _SCALAR)
        )
        if not ok:
            want = "a text" if text else "a single value (text, number, true/false)"
            raise MappingError(
                f"{where}: {at} is {_shown(value)}, not {want}. Write one value per key, "
                "e.g. columns: {PatientID: patient_id}."
            )

    for key in ("name", "description"):
        if key in doc:
            scalar(doc[key], repr(key), text=False, null=True)
    for key in ("columns", "units", "dates"):
        sec = doc.get(key)
        if isinstance(sec, dict):
            for k, v in sec.items():
                scalar(v, f"{key}.{k}", text=True)
    values = doc.get("values")
    if isinstance(values, dict):
        for target, codes in values.items():
            if isinstance(codes, dict):
                for code, v in codes.items():
                    scalar(v, f"values.{target}.{code}", text=False, null=True)
    missing = doc.get("missing")
    if isinstance(missing, list):
        for i, tok in enumerate(missing):
            scalar(tok, f"missing[{i}]", text=False)


def _shown(value: Any) -> str:
    # reprlib stops at a few levels: a Python dict nested 5,000 deep must not exhaust the stack
    text = reprlib.repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _check_date_format(fmt: str, where: str) -> None:
    """A ``strftime`` format must use known directives and name a year, month and day."""
    directives = re.findall(r"%(.?)", fmt)
    bad = [d for d in directives if d not in STRPTIME_DIRECTIVES]
    fix = (
        " Use strptime directives such as '%d.%m.%Y' (25.03.2019), '%d/%m/%Y' or '%Y%m%d'; "
        "see docs/mapping.md."
    )
    if not directives:
        raise MappingError(f"{where}: 'date_format' {fmt!r} has no % directive." + fix)
    if bad:
        raise MappingError(
            f"{where}: 'date_format' {fmt!r} uses %{bad[0]}, which is not a date directive." + fix
        )
    has = set(directives)
    lacking = [
        part
        for part, options in (("year", "Yy"), ("month", "mbB"), ("day", "d"))
        if not has & set(options)
    ]
    if lacking and not has & set("jcxUWGV"):
        raise MappingError(
            f"{where}: 'date_format' {fmt!r} has no {' or '.join(lacking)}; every date would "
            "silently take a default (1900, January or the 1st)." + fix
        )


def _extra_columns(doc: dict, where: str) -> tuple[str, ...]:
    extra = doc.get("extra_columns", [])
    if not isinstance(extra, list):
        raise MappingError(f"{where}: 'extra_columns' must be a list of column names.")
    return tuple(str(c) for c in extra)


def _decimal(doc: dict, where: str) -> str:
    decimal = doc.get("decimal", ".")
    if decimal not in DECIMAL_MARKS:
        raise MappingError(
            f"{where}: 'decimal' is {decimal!r}; write decimal: \",\" for numbers like 78,6 "
            "(or leave it out for 78.6)."
        )
    return decimal


def _section(doc: dict, key: str, where: str) -> dict:
    sec = doc.get(key) or {}
    if not isinstance(sec, dict):
        raise MappingError(f"{where}: {key!r} must be a mapping (key: value lines).")
    return sec


def _check_value(where: str, target: str, col, code: Any, val: Any) -> None:
    if val is None:
        return
    bad = False
    if col.kind == "boolean":
        bad = not isinstance(val, bool)
        hint = "true, false or null"
    elif col.kind == "category":
        bad = col.allowed is not None and val not in col.allowed
        hint = ", ".join(col.allowed or ())
    elif col.kind in ("float", "integer"):
        bad = isinstance(val, bool) or not isinstance(val, (int, float))
        hint = "a number or null"
    else:
        bad = not isinstance(val, str)
        hint = "a text or null"
    if bad:
        raise MappingError(
            f"{where}: values.{target} maps code {code!r} to {val!r}, which is not a valid "
            f"{target} value; use {hint}."
        )


# ----------------------------------------------------------------------------------------- against a file


def _squash(name: str) -> str:
    return re.sub(r"[\s_]+", "", name.casefold())


def closest_header(name: str, header: list[str]) -> str | None:
    """The header most like ``name`` (same letters ignoring case, spaces and underscores first)."""
    same = [h for h in header if _squash(h) == _squash(name)]
    if same:
        return same[0]
    by_squash = {_squash(h): h for h in header}
    close = difflib.get_close_matches(_squash(name), list(by_squash), n=1, cutoff=0.6)
    return by_squash[close[0]] if close else None


def check_columns_present(m: Mapping, header: list[str], file_name: str) -> None:
    """Every column the mapping names must be a column of the file.

    Raises
    ------
    MappingError
        Naming each absent header and the closest actual one, e.g. "'Dead(Y/N)' is not a column
        of my_cohort.csv; did you mean 'Dead (Y/N)'?".
    """
    absent = [c for c in m.columns if c not in header]
    if not absent:
        return
    lines = []
    for col in absent:
        near = closest_header(col, header)
        hint = f"; did you mean {near!r}?" if near else ""
        lines.append(f"{col!r} (mapped to {m.columns[col]!r}) is not a column of {file_name}{hint}")
    raise MappingError(
        f"mapping {m.name!r}: "
        + "; ".join(lines)
        + ". Fix: write the header exactly as in the file (its first row), or delete the line. "
        f"The file's columns are: {', '.join(map(repr, header[:30]))}"
        + (" ..." if len(header) > 30 else "")
        + "."
    )


def check_endpoint_pairs(m: Mapping, targets: set[str], file_name: str) -> None:
    """An endpoint's time column and its event column come together (or from dates).

    ``targets`` are the canonical names the file's columns become. A time column mapped without
    its event column (or the reverse) cannot be analysed and is a :class:`MappingError` naming
    both, unless the mapping derives endpoints from dates.
    """
    if m.dates:
        return
    mapped = set(m.columns.values())
    for endpoint, (tcol, ecol) in ENDPOINTS.items():
        if (tcol in targets) == (ecol in targets) or not {tcol, ecol} & mapped:
            continue
        have, lack = (tcol, ecol) if tcol in targets else (ecol, tcol)
        source = next((s for s, t in m.columns.items() if t == have), have)
        raise MappingError(
            f"{file_name}: column {source!r} gives {have} but no column gives {lack}; the "
            f"{endpoint.upper()} endpoint needs both {tcol} (time) and {ecol} (event). Fix: map "
            f"the {lack} column under 'columns' (e.g. 'Your column: {lack}'), or remove {have}."
        )

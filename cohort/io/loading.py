"""Loading a cohort table (and optionally a variant table and an MRD table) into a :class:`Cohort`.

The pipeline is: read -> rename (mapping) -> normalise values and units -> derive endpoints from
dates -> fill cytogenetic flags from the karyotype -> pivot variants into genotypes -> validate ->
raise every problem at once, or move offending rows to ``Cohort.exclusions``. Every input row ends up
either in ``.data`` or, once, in ``.exclusions``.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import hashlib
import importlib
import io
import re
import sys
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cohort.cohort import EXCLUSION_COLUMNS, Cohort, empty_exclusions
from cohort.errors import (
    CohortValidationError,
    DataQualityWarning,
    LoadError,
    MappingError,
    Problem,
    SchemaError,
)
from cohort.io.checks import (
    check_mixed_encoding,
    check_wide_encoding,
    excel_notes,
    read_json_records,
    scan_records,
    strip_inner_boms,
)
from cohort.io.endpoints import DERIVED_COLUMNS, check_date_order, endpoints_from_dates, parse_dates
from cohort.io.mapping import Mapping, check_columns_present, check_endpoint_pairs, read_mapping
from cohort.io.normalise import (
    DAYS_PER_UNIT,
    Context,
    _map_cells,
    _missing,
    date_cells,
    normalise_columns,
    normalise_number,
    normalise_text,
    token,
)
from cohort.io.validation import PATIENT_SCOPE, problem_scope, validate
from cohort.schema import COLUMNS, CYTOGENETIC_FLAGS, ENDPOINTS, MRD_COLUMNS

TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None, ".maf": "\t", ".tab": "\t"}
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet", ".pq")
JSON_SUFFIXES = (".json",)
ON_ERROR = ("raise", "exclude")
MAX_GUNZIP_BYTES = 1024**3
"""Largest decompressed size of a ``.gz`` input (1 GiB); past it the file is refused, not inflated."""
_GUNZIP_CHUNK = 1024**2

SAMPLE_CODES = {
    "pb": "PB", "peripheral blood": "PB", "blood": "PB",
    "bm": "BM", "bone marrow": "BM", "marrow": "BM",
}  # fmt: skip


@dataclass
class _Table:
    """A table as read, before any renaming."""

    frame: pd.DataFrame
    name: str
    files: list[dict[str, str]] = field(default_factory=list)
    row_base: int = 0
    numbering: str = "0-based DataFrame position"
    lines: list[int] | None = None
    """File line of each row (text files), when blank lines make it differ from position + 2."""
    notes: list[str] = field(default_factory=list)
    """Load warnings found while reading (other sheets, byte-order marks removed)."""


# ----------------------------------------------------------------------------------------- reading


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes, name: str) -> str:
    check_wide_encoding(data, name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export is UTF-16 with a byte-order mark; cp1252 would decode it
        # into NUL-riddled nonsense instead of failing.
        try:
            return data.decode("utf-16").replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            raise LoadError(
                f"File {name} starts with a UTF-16 byte-order mark but is not valid UTF-16; save "
                "it as UTF-8 CSV."
            ) from None
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError as exc:
            if enc == "utf-8-sig":
                check_mixed_encoding(data, name, exc)
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise LoadError(f"File {name} is not UTF-8 or Windows-1252 text; save it as UTF-8.")
    # Old-Mac (\r) and Windows (\r\n) line endings both occur in published AML tables.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _gunzip(data: bytes, name: str, limit: int | None = None) -> bytes:
    """Decompress a gzip file in chunks, refusing one that inflates past ``limit`` bytes.

    A few megabytes of gzip can inflate to many gigabytes (a "gzip bomb"); streaming with a cap
    fails with a clear error before memory runs out. A file cut short names itself as truncated.
    """
    limit = MAX_GUNZIP_BYTES if limit is None else limit
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            while chunk := stream.read(_GUNZIP_CHUNK):
                out.write(chunk)
                if out.tell() > limit:
                    raise LoadError(
                        f"File {name} decompresses to more than {limit / 1024**2:,.0f} MiB (from "
                        f"{len(data) / 1024**2:,.1f} MiB compressed) and was not read further. A "
                        "cohort table this large needs the Dask engine: convert it to Parquet and "
                        "load it with engine='dask'. If the file should be small, it is not the "
                        "table you meant (a compressed archive bomb inflates like this)."
                    )
    except EOFError:
        raise LoadError(
            f"File {name} is a truncated gzip file (it ends before the compressed data do, as a "
            "download or copy cut short leaves it). Copy or download it again."
        ) from None
    except (OSError, zlib.error) as exc:
        raise LoadError(f"File {name} is not valid gzip: {exc}.") from None
    return out.getvalue()


def _too_large(name: str) -> LoadError:
    return LoadError(
        f"File {name} is too large to load into memory on this machine (MemoryError). Load it "
        "with the Dask engine, which reads a Parquet dataset in partitions: convert the table to "
        "Parquet and call cohort.load(path, engine='dask') (see docs/performance.md)."
    )


def _suffix(path: Path) -> tuple[str, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else ""), gz


def read_table(
    source: str | Path | pd.DataFrame,
    *,
    text_columns: Any = None,
    role: str = "cohort",
) -> _Table:
    """Read a table without interpreting its values.

    Parameters
    ----------
    source : path or DataFrame
        CSV, TSV, TXT (tab, comma or semicolon separated), MAF, XLSX, Parquet or JSON records;
        ``.gz`` compressed text is accepted.
    text_columns : callable, optional
        Given the header, returns the columns to read as raw text (canonical and date columns), so
        that codes such as ``"01"`` or ``"NA"`` reach the normalisers exactly as written. Other
        columns are read with pandas' usual type inference and missing-value tokens.
    role : str
        ``"cohort"``, ``"mutations"`` or ``"mrd"``, for provenance.

    Raises
    ------
    LoadError
        Missing, empty or undecodable file, unknown format, repeated column names, no data rows.
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        frame.columns = [str(c) for c in frame.columns]
        _check_header(list(frame.columns), "the DataFrame")
        return _Table(frame.reset_index(drop=True), "<DataFrame>", [], 0)
    if not isinstance(source, (str, Path)):
        raise LoadError(
            f"cohort.load expects a file path or a pandas DataFrame, got {type(source).__name__}."
        )
    path = Path(source)
    if not path.exists():
        raise LoadError(
            f"File {str(path)!r} does not exist. Check the path and the working directory."
        )
    if path.is_dir():
        raise LoadError(f"{str(path)!r} is a folder; give a table file.")
    try:
        data = path.read_bytes()
    except MemoryError:
        raise _too_large(path.name) from None
    files = [{"path": path.name, "role": role, "sha256": _sha256(data)}]
    if not data.strip():
        raise LoadError(f"File {path.name} is empty.")
    suffix, gz = _suffix(path)
    if gz:
        data = _gunzip(data, path.name)
    try:
        notes: list[str] = []
        lines = None
        if suffix in TEXT_SUFFIXES:
            frame, lines, notes = _read_text(
                data, path.name, TEXT_SUFFIXES[suffix], suffix == ".maf", text_columns
            )
            base, numbering = 2, "file row (header = row 1)"
        elif suffix in EXCEL_SUFFIXES:
            header = pd.read_excel(io.BytesIO(data), nrows=0).columns.astype(str).tolist()
            _check_header(header, path.name)
            as_text = set(text_columns(header)) if text_columns else set()
            frame = pd.read_excel(
                io.BytesIO(data),
                dtype={c: object for c in as_text},
                keep_default_na=False,
                na_values={c: list(_pandas_na()) for c in header if c not in as_text},
            )
            notes = excel_notes(data, path.name, len(frame))
            base, numbering = 2, "spreadsheet row (header = row 1)"
        elif suffix in PARQUET_SUFFIXES:
            frame = _read_parquet(data, path.name)
            base, numbering = 1, "record number (first record = 1)"
        elif suffix in JSON_SUFFIXES:
            frame = read_json_records(_decode(data, path.name), path.name)
            base, numbering = 1, "record number (first record = 1)"
        else:
            raise LoadError(
                f"File {path.name}: unknown format {suffix or '(no extension)'!r}. Use CSV, TSV, TXT, "
                "MAF, XLSX, Parquet or JSON records."
            )
    except LoadError:
        raise
    except MemoryError:
        raise _too_large(path.name) from None
    except (ValueError, OSError, ImportError, pd.errors.ParserError, zipfile.BadZipFile) as exc:
        raise LoadError(f"File {path.name} cannot be read as {suffix}: {exc}") from None
    frame.columns = [str(c) for c in frame.columns]
    _check_header(list(frame.columns), path.name)
    if len(frame) == 0:
        raise LoadError(f"File {path.name} has a header but no data rows.")
    if lines is not None and len(lines) != len(frame):  # pragma: no cover - defensive
        lines = None
    return _Table(frame, path.name, files, base, numbering, lines, notes)


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(data))
    except (TypeError, KeyError) as exc:
        # pyarrow rebuilds pandas dtypes from the file's metadata; a type this pandas does not
        # know (another library's extension type, a newer pandas) fails with a bare TypeError.
        raise LoadError(
            f"File {name}: its Parquet metadata asks for a pandas column type that this pandas "
            f"{pd.__version__} cannot build ({type(exc).__name__}: {exc}). Write the file again "
            "with standard types (e.g. df.astype(object).to_parquet(...)) or save it as CSV."
        ) from None


def _pandas_na() -> frozenset[str]:
    from pandas._libs.parsers import STR_NA_VALUES

    return frozenset(STR_NA_VALUES)


def _read_text(
    data: bytes, name: str, sep: str | None, maf: bool, text_columns
) -> tuple[pd.DataFrame, list[int], list[str]]:
    text, bom_note = strip_inner_boms(_decode(data, name), name)
    skip, first = _header_line(text, maf)
    if not first:
        raise LoadError(f"File {name} is empty.")
    declared = sep
    if sep is None or first.count(sep) == 0:
        # A ".csv" written by a European Excel uses ";", and tab-separated files are often saved
        # as ".csv": when the expected separator is absent from the header, use the one present.
        sep = max(("\t", ",", ";"), key=first.count)
    header = next(csv.reader([first], delimiter=sep))
    _check_header(header, name)
    file_lines = scan_records(text, sep, skip, header, name, declared)
    as_text = set(text_columns(header)) if text_columns else set()
    na = list(_pandas_na())
    frame = pd.read_csv(
        io.StringIO(text),
        sep=sep,
        skiprows=skip,
        dtype={c: str for c in as_text},
        keep_default_na=False,
        na_values={c: na for c in header if c not in as_text},
        skip_blank_lines=True,
    )
    return frame, file_lines, [bom_note] if bom_note else []


def _header_line(text: str, maf: bool) -> tuple[int, str]:
    """The number of leading ``#`` comment lines (MAF) and the first non-blank line after them.

    Lines end at ``"\\n"``; only the lines up to the header are cut out of the text.
    """
    pos, skip, comments = 0, 0, maf
    while pos <= len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line, pos = text[pos:end], end + 1
        if comments and line.startswith("#"):
            skip += 1
            continue
        comments = False
        if line.strip():
            return skip, line
    return skip, ""


def _check_header(header: list[str], name: str) -> None:
    seen: set[str] = set()
    dups = [h for h in header if h in seen or seen.add(h)]
    if dups:
        raise LoadError(
            f"{name}: column name {dups[0]!r} appears more than once in the header. Rename the "
            "columns so that each name is unique."
        )


# ----------------------------------------------------------------------------------------- renaming


def _rename_map(header: list[str], mapping: Mapping, schema: dict, name: str) -> dict[str, str]:
    """Source column -> canonical name, from the mapping and from exact or case-folded names."""
    renames: dict[str, str] = {}
    folded = {c.casefold(): c for c in schema}
    date_sources = set(mapping.dates.values())
    for col in header:
        if col in mapping.columns:
            renames[col] = mapping.columns[col]
        elif col in date_sources:
            if col.strip().casefold() in folded:
                # A date column named like a canonical column (e.g. "cr") holds dates, not the
                # flag; it is kept under a name that cannot be mistaken for the canonical one.
                renames[col] = _free_name(f"{col}_date", header)
            continue
        elif col in schema:
            renames[col] = col
        elif col.strip().casefold() in folded:
            renames[col] = folded[col.strip().casefold()]
    targets: dict[str, list[str]] = {}
    for src, dst in renames.items():
        if dst not in schema:
            continue
        targets.setdefault(dst, []).append(src)
    clash = {dst: srcs for dst, srcs in targets.items() if len(srcs) > 1}
    if clash:
        dst, srcs = next(iter(clash.items()))
        raise MappingError(
            f"{name}: columns {', '.join(map(repr, srcs))} would all become {dst!r}. Map only one "
            f"of them to {dst!r} (rename or drop the other)."
        )
    return renames


def _free_name(name: str, taken: list[str]) -> str:
    while name in taken:
        name += "_"
    return name


def _text_columns(mapping: Mapping, schema: dict):
    folded = {c.casefold() for c in schema}

    def pick(header: list[str]) -> list[str]:
        return [
            c
            for c in header
            if c in mapping.columns
            or c in schema
            or (c.strip().casefold() in folded and c not in mapping.dates.values())
        ]

    return pick


# ----------------------------------------------------------------------------------------- load


def load(
    source: str | Path | pd.DataFrame,
    mapping: str | Path | dict | Mapping | None = None,
    *,
    mutations: str | Path | pd.DataFrame | None = None,
    mrd: str | Path | pd.DataFrame | None = None,
    mrd_mapping: str | Path | dict | Mapping | None = None,
    on_error: str = "raise",
    today: pd.Timestamp | None = None,
) -> Cohort:
    """Load one table into the canonical schema (the data layer behind :func:`cohort.load`).

    :func:`cohort.load` adds bundled-dataset folders and ``engine="dask"``; this function reads a
    table file or a DataFrame and imports neither the datasets nor the Dask engine.

    Parameters
    ----------
    source : path or DataFrame
        A table file (CSV, TSV, TXT, XLSX, Parquet, JSON records) or a DataFrame. A table already
        in the canonical schema needs no mapping.
    mapping, mutations, mrd, mrd_mapping, on_error, today
        As in :func:`cohort.load`.

    Returns
    -------
    Cohort

    Raises
    ------
    LoadError, MappingError, SchemaError, CohortValidationError
    """
    check_on_error(on_error)
    m = read_mapping(mapping)
    table = read_table(source, text_columns=_text_columns(m, COLUMNS))
    return _build(table, m, {}, None, mutations, mrd, mrd_mapping, on_error, today)


def load_folder(
    raw: Any,
    folder: Path,
    name: Any,
    *,
    mutations: str | Path | pd.DataFrame | None = None,
    mrd: str | Path | pd.DataFrame | None = None,
    mrd_mapping: str | Path | dict | Mapping | None = None,
    on_error: str = "raise",
    today: pd.Timestamp | None = None,
) -> Cohort:
    """Load a dataset folder already read by :func:`cohort.datasets.read_folder`.

    Parameters
    ----------
    raw : cohort.datasets.RawDataset
        Canonical frame, variant table, sequenced patients, files read and notes.
    folder : pathlib.Path
        The folder read (its name labels the table; its files are hashed for provenance).
    name : str
        The dataset name the folder was read as.
    mutations, mrd, mrd_mapping, on_error, today
        As in :func:`cohort.load`; ``mutations`` defaults to the folder's variant table.

    Returns
    -------
    Cohort
    """
    check_on_error(on_error)
    report: dict[str, Any] = {}
    files = [
        {"path": Path(f).name, "role": "dataset", "sha256": _sha256(Path(f).read_bytes())}
        for f in raw.files
    ]
    report["dataset_notes"] = dict(raw.notes or {})
    table = _Table(raw.frame.reset_index(drop=True), folder.name, files, 0)
    # The folder reader returns canonical names and values (its allelic ratios are ITD / wild
    # type), so no mapping is applied again.
    m = Mapping(name=str(name), units={"flt3_itd": "ratio"})
    variants = raw.mutations if mutations is None else mutations
    return _build(table, m, report, raw.sequenced, variants, mrd, mrd_mapping, on_error, today)


def check_on_error(on_error: str) -> None:
    """Refuse an ``on_error`` other than ``"raise"`` or ``"exclude"``."""
    if on_error not in ON_ERROR:
        raise LoadError(f"on_error must be 'raise' or 'exclude', got {on_error!r}.")


def _build(
    table: _Table,
    m: Mapping,
    report: dict[str, Any],
    sequenced: Any,
    mutations: Any,
    mrd: Any,
    mrd_mapping: Any,
    on_error: str,
    today: pd.Timestamp | None,
) -> Cohort:
    frame, ctx = _prepare(table, m, report)
    frame = _derive_endpoints(frame, table.frame, ctx, today)
    frame = _karyotype_flags(frame, ctx)
    provenance_files = list(table.files)
    if mutations is not None:
        frame = _merge_mutations(frame, mutations, sequenced, ctx, provenance_files)
    validate(frame, ctx)

    frame = _order_columns(frame)
    data, exclusions = _split(frame, ctx, _source_label(table), on_error)
    report.update(ctx.report)
    report["n_input"] = len(frame)
    report["n_kept"] = len(data)
    report["n_excluded"] = len(exclusions)
    mrd_frame = None
    if mrd is not None:
        mrd_frame = load_mrd(mrd, mrd_mapping, on_error=on_error)
        provenance_files += mrd_frame.attrs.get("files", [])
        unknown = ~mrd_frame["patient_id"].isin(data["patient_id"])
        if unknown.any():
            ctx.note(
                "warnings",
                f"{int(unknown.sum())} MRD sample(s) belong to patients not in the kept cohort.",
            )
            report["warnings"] = ctx.report["warnings"]
    _emit_warnings(report, table.name)
    provenance = _provenance(table, m, provenance_files, on_error)
    return Cohort(data, exclusions, provenance, report, mrd_frame)


def _prepare(table: _Table, m: Mapping, report: dict) -> tuple[pd.DataFrame, Context]:
    raw = table.frame
    header = list(raw.columns)
    check_columns_present(m, header, table.name)
    renames = _rename_map(header, m, COLUMNS, table.name)
    check_endpoint_pairs(m, set(renames.values()), table.name)
    missing_dates = [f"{e}: {c}" for e, c in m.dates.items() if c not in header]
    if missing_dates:
        raise MappingError(
            f"mapping {m.name!r}: date column(s) {', '.join(missing_dates)} not found in "
            f"{table.name}. Its columns are: {_list(header)}."
        )
    if "patient_id" not in renames.values():
        raise SchemaError(
            f"{table.name} has no patient_id column (its columns are: {_list(header)}). Name the "
            "identifier column patient_id, or map it in the mapping file: "
            "columns: {YourIdColumn: patient_id}." + _header_hint(raw, header, m)
        )
    frame = raw.rename(columns=renames)
    frame, decimal_notes = _decimal_commas(frame, m, table, renames)
    report["renamed"] = {s: d for s, d in renames.items() if s != d}
    report["extra_columns"] = [renames.get(c, c) for c in header if renames.get(c) not in COLUMNS]
    rows = table.lines or [i + table.row_base for i in range(len(frame))]
    ctx = Context(rows=rows, labels={d: s for s, d in renames.items() if d in COLUMNS}, mapping=m)
    for note in table.notes:
        ctx.note("warnings", note)
    for note in decimal_notes:
        ctx.note("units", note)
    _warn_near_misses(header, renames, m, ctx)
    frame = normalise_columns(frame, ctx)
    return frame, ctx


_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+\s*$")


def _decimal_commas(
    frame: pd.DataFrame, m: Mapping, table: _Table, renames: dict[str, str]
) -> tuple[pd.DataFrame, list[str]]:
    """Numbers written with a decimal comma (``78,6``): read when the mapping declares
    ``decimal: ","`` (returns the frame and one note per column for ``report["units"]``).
    Undeclared, they stay text: each cell is a ``not_a_number`` problem, and :func:`_split`
    lists them as one ``decimal_comma`` problem per column (and with ``on_error="exclude"``
    warns once per column)."""
    if m.decimal != ",":
        return frame, []  # undeclared: per-cell problems, summarised per column by _split
    numeric = [
        c
        for c in frame.columns
        if c in COLUMNS and COLUMNS[c].kind in ("float", "integer") and frame[c].dtype == object
    ]
    source = {d: s for s, d in renames.items()}
    found = []
    for col in numeric:
        cells = frame[col].astype("string")
        hits = cells.str.match(_DECIMAL_COMMA.pattern).fillna(False).to_numpy(dtype=bool)
        if hits.any():
            found.append((col, hits))
    if not found:
        return frame, []
    label = {c: f"{source[c]} ({c})" if source.get(c, c) != c else c for c, _ in found}
    frame = frame.copy()
    for col, hits in found:
        frame.loc[hits, col] = frame.loc[hits, col].str.replace(",", ".", regex=False)
    return frame, [
        f"{label[col]}: {int(hits.sum())} number(s) with a decimal comma read as decimals"
        for col, hits in found
    ]


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


def _header_hint(raw: pd.DataFrame, header: list[str], m: Mapping) -> str:
    """Why patient_id may be missing: a header spanning two rows, or a misspelt name."""
    wanted = {"patient_id", *m.columns}
    for pos in range(min(3, len(raw))):
        cells = [str(v).strip() for v in raw.iloc[pos].tolist()]
        if any(c in wanted or c.casefold() == "patient_id" for c in cells):
            return (
                f" The column names seem to be in data row {pos + 1} (a header spanning "
                f"{pos + 2} rows, as spreadsheets with grouped headings have): delete the extra "
                "heading row(s) so that the names are in the first row."
            )
    close = difflib.get_close_matches("patient_id", header, n=3, cutoff=0.75)
    if close:
        return f" Did you mean {', '.join(map(repr, close))}? Rename it to patient_id."
    return ""


def _warn_near_misses(header: list[str], renames: dict[str, str], m: Mapping, ctx: Context) -> None:
    """Flag unrecognised columns whose name is close to a canonical one (``os_dayz``).

    They are kept as extra columns, so an analysis would later say the canonical column is
    absent; naming the likely typo at load time saves the user that hunt.
    """
    present = set(renames.values())
    free = [c for c in COLUMNS if c not in present]
    misses = {}
    for col in header:
        if col in renames or col in m.dates.values() or col in m.extra_columns:
            continue  # mapped, a date source, or declared an extra column on purpose
        if "date" in col.casefold():
            continue  # "cr_date" is a date the mapping may not use, not a misspelt "cr_days"
        close = difflib.get_close_matches(col.strip().casefold(), free, n=1, cutoff=0.85)
        if close:
            misses[col] = close[0]
    if misses:
        ctx.report["near_miss_columns"] = misses
        ctx.note(
            "warnings",
            "column(s) not in the schema, kept as extra columns, look like misspelt canonical "
            "names: "
            + ", ".join(f"{k!r} (did you mean {v!r}?)" for k, v in misses.items())
            + ". Rename them or map them in the mapping file.",
        )


def _source_label(table: _Table) -> str:
    # Problem.describe prints "row N"; for inputs without spreadsheet rows say what N counts.
    if table.row_base == 2:
        return table.name
    return f"{table.name} (row = {table.numbering})"


def _list(cols: list[str], n: int = 12) -> str:
    shown = ", ".join(cols[:n])
    return shown + (f", ... ({len(cols)} in all)" if len(cols) > n else "")


def _derive_endpoints(
    frame: pd.DataFrame, raw: pd.DataFrame, ctx: Context, today: pd.Timestamp | None
) -> pd.DataFrame:
    if not ctx.mapping.dates:
        # Dates can still be checked for the future, but without a mapping there are none.
        return frame
    dates = parse_dates(date_cells(raw.reset_index(drop=True), ctx), ctx, today=today)
    cr = frame["cr"] if "cr" in frame.columns else None
    unusable = check_date_order(dates, cr, ctx)
    derived = endpoints_from_dates(dates, cr=cr)
    derived = derived.mask(unusable.to_numpy()[:, None] & np.ones(derived.shape, dtype=bool))
    disagreements: dict[str, int] = {}
    for col in DERIVED_COLUMNS:
        if col not in derived.columns:
            continue
        new = derived[col].astype(COLUMNS[col].dtype)
        if col not in frame.columns:
            frame[col] = new
            ctx.note(
                "derived",
                {"column": col, "from": "dates", "rule": "ELN 2017 endpoint definitions",
                 "n": int(new.notna().sum())},
            )  # fmt: skip
            continue
        given = frame[col]
        both = given.notna() & new.notna()
        differ = both & (given.astype("Float64") - new.astype("Float64")).abs().gt(0.5)
        if differ.any():
            disagreements[col] = int(differ.sum())
        frame[col] = given.fillna(new) if str(given.dtype) == str(new.dtype) else given
    if disagreements:
        ctx.report["endpoint_disagreements"] = disagreements
        ctx.note(
            "warnings",
            "endpoints given in the table disagree with those derived from dates (kept the given "
            "values): " + ", ".join(f"{k} in {v} row(s)" for k, v in disagreements.items()) + ".",
        )
    return frame


def _karyotype_flags(frame: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    if "karyotype" not in frame.columns:
        return frame
    lacking = [f for f in CYTOGENETIC_FLAGS if f not in frame.columns]
    if not lacking:
        return frame
    try:
        cytogenetics = importlib.import_module("cohort.cytogenetics")
    except ImportError:
        ctx.note(
            "warnings",
            "cytogenetic flags were not derived from the karyotype: cohort.cytogenetics is not "
            "available.",
        )
        return frame
    parsed = cytogenetics.flags(frame["karyotype"]).reset_index(drop=True)
    parsed.index = frame.index
    disagreements: dict[str, list[int]] = {}
    for col in parsed.columns:
        if col in CYTOGENETIC_FLAGS:
            values = parsed[col].astype("boolean")
            if col in lacking:
                frame[col] = values
                continue
            differ = frame[col].notna() & values.notna() & frame[col].ne(values).fillna(False)
            if differ.any():
                disagreements[col] = [ctx.rows[p] for p in np.flatnonzero(differ.to_numpy())]
        elif col not in frame.columns:
            frame[col] = parsed[col]
    ctx.note(
        "derived",
        {"column": ", ".join(lacking), "from": "karyotype", "rule": "cohort.cytogenetics.flags",
         "n": int(frame["karyotype"].notna().sum())},
    )  # fmt: skip
    if disagreements:
        ctx.report["karyotype_disagreements"] = {
            k: {"n": len(v), "rows": v} for k, v in disagreements.items()
        }
        ctx.note(
            "warnings",
            "given cytogenetic flags disagree with the karyotype (kept the given flags): "
            + ", ".join(f"{k} in {len(v)} row(s)" for k, v in disagreements.items())
            + ".",
        )
    return frame


def _merge_mutations(
    frame: pd.DataFrame, mutations, sequenced, ctx: Context, files: list[dict[str, str]]
) -> pd.DataFrame:
    try:
        from cohort.io.mutations import pivot_variants
    except ImportError as exc:
        raise LoadError(
            f"mutations= needs cohort.io.mutations.pivot_variants, which is not available ({exc})."
        ) from None
    if isinstance(mutations, pd.DataFrame):
        variants = mutations
    else:
        table = read_table(mutations, role="mutations")
        variants = table.frame
        files.extend(table.files)
    pivot = pivot_variants(variants, frame["patient_id"], sequenced=sequenced)
    aligned = pivot.reindex(pd.Index(frame["patient_id"].astype(object)))
    aligned.index = frame.index
    disagreements: dict[str, dict[str, Any]] = {}
    for col in aligned.columns:
        if col not in COLUMNS or col == "patient_id":
            continue
        new = aligned[col].astype(COLUMNS[col].dtype)
        if col not in frame.columns:
            frame[col] = new
            continue
        given = frame[col]
        differ = given.notna() & new.notna() & given.ne(new).fillna(False)
        if COLUMNS[col].kind == "float":
            differ = given.notna() & new.notna() & (given - new).abs().gt(1e-9).fillna(False)
        if differ.any():
            disagreements[col] = {
                "n": int(differ.sum()),
                "rows": [ctx.rows[p] for p in np.flatnonzero(differ.to_numpy())],
            }
        frame[col] = given.fillna(new)
    notes = dict(pivot.attrs.get("notes", {}))
    for key in ("unknown_patients", "sequenced_added"):
        # These list patient identifiers, which the report must not show; keep the count.
        if key in notes and not isinstance(notes[key], int):
            notes[key] = len(notes[key])
    if notes:
        ctx.report["mutation_notes"] = notes
    ctx.note(
        "derived",
        {"column": "genotypes", "from": "variant table", "rule": "cohort.io.mutations.pivot_variants",
         "n": int(len(variants))},
    )  # fmt: skip
    if disagreements:
        ctx.report["genotype_disagreements"] = disagreements
        ctx.note(
            "warnings",
            "genotypes in the table disagree with the variant table (kept the table): "
            + ", ".join(f"{k} in {v['n']} row(s)" for k, v in disagreements.items())
            + ".",
        )
    return frame


def _order_columns(frame: pd.DataFrame) -> pd.DataFrame:
    canonical = [c for c in COLUMNS if c in frame.columns]
    extra = [c for c in frame.columns if c not in COLUMNS]
    out = frame[canonical + extra].copy()
    for c in canonical:
        if str(out[c].dtype) != COLUMNS[c].dtype:
            out[c] = out[c].astype(COLUMNS[c].dtype)
    return out


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


def _emit_warnings(report: dict, name: str) -> None:
    level = _caller_level()
    for text in report.get("warnings", []):
        warnings.warn(f"{name}: {text}", DataQualityWarning, stacklevel=level)
    for d in report.get("derived", []):
        if d["column"] == "flt3_itd_ar" and "VAF" in d["from"]:
            warnings.warn(
                f"{name}: FLT3-ITD allelic ratio derived from a VAF ({d['rule']}) for {d['n']} "
                "patient(s); flagged as derived in the load report.",
                DataQualityWarning,
                stacklevel=level,
            )


_PACKAGE = str(Path(__file__).resolve().parents[1])


def _caller_level() -> int:
    """The ``stacklevel``, for a warning issued by our caller, of the first frame outside the
    ``cohort`` package: the user's ``cohort.load(...)`` line, however many layers lie between."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def _provenance(table: _Table, m: Mapping, files: list, on_error: str) -> dict[str, Any]:
    from cohort import __version__

    return {
        "source": table.name,
        "files": files,
        "mapping": m.as_dict(),
        "package_version": __version__,
        "pandas_version": pd.__version__,
        "on_error": on_error,
        "row_numbering": table.numbering,
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


# ----------------------------------------------------------------------------------------- MRD


def load_mrd(
    source: str | Path | pd.DataFrame,
    mapping: str | Path | dict | Mapping | None = None,
    *,
    on_error: str = "raise",
) -> pd.DataFrame:
    """Load an NPM1 MRD long table (one row per sample).

    Parameters
    ----------
    source : path or DataFrame
        Columns ``patient_id``, ``days`` (from diagnosis), ``sample`` (``"PB"``/``"BM"``; also
        peripheral blood / bone marrow) and ``npm1_abl1_pct`` (NPM1-mutant / ABL1 x 100), or others
        renamed by ``mapping``. ``units: {time: weeks, npm1_abl1: ratio}`` convert.
    mapping : optional
        As for :func:`load`, checked against the MRD schema.
    on_error : {"raise", "exclude"}

    Returns
    -------
    pandas.DataFrame
        The MRD table in input order; ``.attrs["exclusions"]`` lists excluded rows and
        ``.attrs["files"]`` the files read, with SHA-256.
    """
    if on_error not in ON_ERROR:
        raise LoadError(f"on_error must be 'raise' or 'exclude', got {on_error!r}.")
    m = read_mapping(mapping, mrd=True)
    table = read_table(source, text_columns=_text_columns(m, MRD_COLUMNS), role="mrd")
    renames = _rename_map(list(table.frame.columns), m, MRD_COLUMNS, table.name)
    lacking = [c for c in MRD_COLUMNS if c not in renames.values()]
    if lacking:
        raise SchemaError(
            f"MRD table {table.name} lacks column(s) {', '.join(lacking)} (its columns are: "
            f"{_list(list(table.frame.columns))}). Rename them or map them in a mapping file."
        )
    frame = table.frame.rename(columns=renames)
    ctx = Context(
        rows=table.lines or [i + table.row_base for i in range(len(frame))],
        labels={d: s for s, d in renames.items()},
        mapping=m,
    )
    frame["patient_id"] = normalise_text(frame["patient_id"], "patient_id", ctx)
    ctx.patient_ids = frame["patient_id"].tolist()
    frame["days"] = (
        normalise_number(frame["days"], "days", ctx) * DAYS_PER_UNIT[m.time_unit("days")]
    )
    frame["sample"] = _normalise_sample(frame["sample"], ctx)
    pct = normalise_number(frame["npm1_abl1_pct"], "npm1_abl1_pct", ctx)
    frame["npm1_abl1_pct"] = pct * 100.0 if m.unit("npm1_abl1", "percent") == "ratio" else pct
    checks = [
        ("missing_id", "patient_id", frame["patient_id"].isna(), "the patient identifier is missing."),
        ("missing_time", "days", frame["days"].isna(), "the sample has no time."),
        ("out_of_range", "days", (frame["days"] < -60) | (frame["days"] > 36500),
         "days must lie between -60 and 36500 (days from diagnosis)."),
        ("out_of_range", "npm1_abl1_pct", frame["npm1_abl1_pct"] < 0,
         "NPM1/ABL1 cannot be negative."),
    ]  # fmt: skip
    for reason, col, mask, message in checks:
        for pos in np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool)):
            ctx.add(
                int(pos), reason, col, frame[col].iloc[pos], message,
                "Correct the cell (times are days from diagnosis; declare units in the mapping).",
            )  # fmt: skip
    canonical = list(MRD_COLUMNS)
    frame = frame[canonical + [c for c in frame.columns if c not in MRD_COLUMNS]]
    data, exclusions = _split(frame, ctx, _source_label(table), on_error)
    for name, col in MRD_COLUMNS.items():
        data[name] = data[name].astype(col.dtype)
    data.attrs["exclusions"] = exclusions
    data.attrs["files"] = table.files
    return data


def _normalise_sample(series: pd.Series, ctx: Context) -> pd.Series:
    def read(value: Any) -> tuple[Any, str | None]:
        tok = token(value)
        if _missing(tok, ctx):
            return pd.NA, "missing"
        if tok in SAMPLE_CODES:
            return SAMPLE_CODES[tok], None
        return pd.NA, "unknown_code"

    out, bad = _map_cells(series, read)
    for pos, value, err in bad:
        ctx.add(
            pos, "unknown_code" if err == "unknown_code" else "missing_sample", "sample", value,
            f"{value!r} is not a sample type; use PB (peripheral blood) or BM (bone marrow).",
            "Correct the cell; MRD thresholds differ between blood and marrow.",
        )  # fmt: skip
    return pd.Series(out, index=series.index, dtype="string")

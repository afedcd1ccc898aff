"""Reading a table file as written: CSV/TSV/TXT/MAF (also ``.gz``), Excel, Parquet, JSON records.

Nothing is interpreted here: canonical columns are read as text so that codes reach the
normalisers exactly as written; every damaged-file check of :mod:`cohort.io.checks` runs on the way.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cohort.errors import (
    LoadError,
)
from cohort.io.arrow_csv import read_plain_text
from cohort.io.checks import (
    check_mixed_encoding,
    check_wide_encoding,
    excel_notes,
    read_json_records,
    scan_records_plain,
    strip_inner_boms,
)

TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None, ".maf": "\t", ".tab": "\t"}
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet", ".pq")
JSON_SUFFIXES = (".json",)
MAX_GUNZIP_BYTES = 1024**3
"""Largest decompressed size of a ``.gz`` input (1 GiB); past it the file is refused, not inflated."""
_GUNZIP_CHUNK = 1024**2


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
    codes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    """Column -> (code of each row, distinct texts) for text columns read by the arrow path, so
    that the normalisers need not find the distinct values again (see :mod:`cohort.io.arrow_csv`)."""


# ----------------------------------------------------------------------------------------- reading


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes, name: str) -> str:
    return _decode_as(data, name)[0]


def _decode_as(data: bytes, name: str) -> tuple[str, str]:
    """The text of ``data`` with ``\\n`` line ends, and the encoding it was read as."""
    check_wide_encoding(data, name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export is UTF-16 with a byte-order mark; cp1252 would decode it
        # into NUL-riddled nonsense instead of failing.
        try:
            text = data.decode("utf-16").replace("\r\n", "\n").replace("\r", "\n")
            return text, "utf-16"
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
    return text.replace("\r\n", "\n").replace("\r", "\n"), enc


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
        codes: dict[str, tuple[Any, Any]] = {}
        if suffix in TEXT_SUFFIXES:
            frame, lines, notes, codes = _read_text(
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
    return _Table(frame, path.name, files, base, numbering, lines, notes, codes)


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
) -> tuple[pd.DataFrame, list[int], list[str], dict[str, tuple[Any, Any]]]:
    decoded, encoding = _decode_as(data, name)
    text, bom_note = strip_inner_boms(decoded, name)
    skip, first, body = _header_span(text, maf)
    if not first:
        raise LoadError(f"File {name} is empty.")
    declared = sep
    if sep is None or first.count(sep) == 0:
        # A ".csv" written by a European Excel uses ";", and tab-separated files are often saved
        # as ".csv": when the expected separator is absent from the header, use the one present.
        sep = max(("\t", ",", ";"), key=first.count)
    header = next(csv.reader([first], delimiter=sep))
    _check_header(header, name)
    file_lines, plain = scan_records_plain(text, sep, skip, header, name, declared)
    as_text = set(text_columns(header)) if text_columns else set()
    notes = [bom_note] if bom_note else []
    # pyarrow reads a plain UTF-8 file whose header line is whole (no quoted line break in it).
    if plain and encoding == "utf-8-sig" and file_lines and first.count('"') % 2 == 0:
        fast = read_plain_text(text[body:], sep, header, as_text, len(file_lines))
        if fast is not None:
            frame, codes = fast
            return frame, file_lines, notes, codes
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
    return frame, file_lines, notes, {}


def _header_span(text: str, maf: bool) -> tuple[int, str, int]:
    """The number of leading ``#`` comment lines (MAF), the first non-blank line after them, and
    the offset in ``text`` just after that line.

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
            return skip, line, pos
    return skip, "", len(text)


def _check_header(header: list[str], name: str) -> None:
    seen: set[str] = set()
    dups = [h for h in header if h in seen or seen.add(h)]
    if dups:
        raise LoadError(
            f"{name}: column name {dups[0]!r} appears more than once in the header. Rename the "
            "columns so that each name is unique."
        )


def _source_label(table: _Table) -> str:
    # Problem.describe prints "row N"; for inputs without spreadsheet rows say what N counts.
    if table.row_base == 2:
        return table.name
    return f"{table.name} (row = {table.numbering})"

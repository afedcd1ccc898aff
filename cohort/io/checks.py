"""Checks on the bytes and text of an input file, before pandas sees it.

pandas reads many damaged files without a word: a NUL byte ends a cell, a row cut short is padded
with missing values, one stray byte turns the whole file into Windows-1252, a byte-order mark in the
middle stays inside an identifier, a JSON record keeps the last of two equal keys, an Excel formula
without a saved value reads as empty, and only the first sheet of a workbook is read. Each check
here turns one of these into a :class:`~cohort.errors.LoadError` naming the file, row, column and
value, or into a note (a load warning) where the data are still usable.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np
import pandas as pd

from cohort.errors import LoadError

BOM = "\ufeff"
_SEP_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}


def _shown(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ----------------------------------------------------------------------------------------- bytes


def check_wide_encoding(data: bytes, name: str) -> None:
    """Refuse UTF-32, and UTF-16 without a byte-order mark, naming the encoding.

    Both decode as "valid" UTF-8 or Windows-1252 full of NUL characters; the user needs to hear
    which encoding the file is in and how to save it instead.
    """
    fix = "Save the file as UTF-8 CSV (Excel: 'CSV UTF-8'; LibreOffice: character set UTF-8)."
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise LoadError(f"File {name} is UTF-32 text (byte-order mark), which is not read. {fix}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 with a byte-order mark (Excel's "Unicode text") is read
    head = data[:4000]
    if b"\x00" not in head or len(head) < 8:
        return
    quads = len(head) // 4
    if quads and sum(head[i * 4 : i * 4 + 4].count(0) == 3 for i in range(quads)) > 0.8 * quads:
        raise LoadError(f"File {name} looks like UTF-32 text without a byte-order mark. {fix}")
    even, odd = head[0::2], head[1::2]
    for half, order in ((odd, "little-endian"), (even, "big-endian")):
        if half.count(0) > 0.8 * len(half):
            raise LoadError(
                f"File {name} looks like UTF-16 ({order}) text without a byte-order mark (every "
                f"other byte is NUL). {fix}"
            )


def check_mixed_encoding(data: bytes, name: str, error: UnicodeDecodeError) -> None:
    """Refuse a file that is UTF-8 except for a few stray bytes.

    Reading such a file as Windows-1252 would garble every correct UTF-8 character (``Köln``
    becomes ``KÃ¶ln``); a file with no valid multi-byte UTF-8 sequence at all is genuinely
    Windows-1252 and is left to the caller.
    """
    replaced = data.decode("utf-8", errors="replace")
    valid = next((ch for ch in replaced if ord(ch) > 127 and ch != "\ufffd"), None)
    if valid is None:
        return
    start = data.rfind(b"\n", 0, error.start) + 1
    end = data.find(b"\n", error.start)
    line = data[start : end if end >= 0 else len(data)].rstrip(b"\r")
    row = data.count(b"\n", 0, error.start) + 1
    raise LoadError(
        f"File {name}, row {row}: byte 0x{data[error.start]:02x} is not UTF-8, but the rest of the "
        f"file is UTF-8 (it contains {valid!r}): {_shown(line.decode('utf-8', 'backslashreplace'))!r}. "
        "The file mixes two encodings (often rows pasted from another file); reading it either way "
        "would change characters. Correct the cell and save the file as UTF-8."
    )


def strip_inner_boms(text: str, name: str) -> tuple[str, str | None]:
    """Remove byte-order marks that start a line after the first (two exports concatenated).

    Returns the text and a note naming the rows, or ``None`` when there were none.
    """
    if BOM not in text:
        return text, None
    lines = text.split("\n")
    rows = [i + 1 for i, ln in enumerate(lines) if ln.startswith(BOM)]
    if not rows:
        return text, None
    text = "\n".join(ln.lstrip(BOM) for ln in lines)
    return text, (
        f"a byte-order mark (U+FEFF) started row(s) {', '.join(map(str, rows[:10]))} of {name} "
        "and was removed (files concatenated after export?); check that no header row was "
        "copied in with them."
    )


# ----------------------------------------------------------------------------------------- records


def scan_records(
    text: str, sep: str, skip: int, header: list[str], name: str, declared: str | None
) -> list[int]:
    """Check every record of a delimited text and return the file line of each data row.

    Refuses rows with more fields than the header (pandas would shift every column left), rows
    with fewer (pandas would pad them with missing values: a file cut mid-row loses data), NUL
    characters in a cell (pandas ends the cell there) and cells too long to be real (an unclosed
    quote swallowing the rest of the file). The returned line numbers count the file's own lines
    (header = 1), skipping blank lines exactly as pandas does, so messages name the right row.

    The check runs with array operations over the bytes (:func:`_fast_lines`); the exact record
    by record pass below runs only when that finds a problem (to build the message) or meets a
    construct it does not decide (a NUL, a quote inside a cell, a lone carriage return).
    """
    return scan_records_plain(text, sep, skip, header, name, declared)[0]


def scan_records_plain(
    text: str, sep: str, skip: int, header: list[str], name: str, declared: str | None
) -> tuple[list[int], bool]:
    """:func:`scan_records`, and whether the file is *plain*: the array check decided it and it
    has no blank line and no row of bare separators (every record is a data row with exactly the
    header's number of fields). Only a plain file may be read by a parser other than pandas'."""
    fast = _fast_scan(text, sep, skip, len(header))
    if fast is not None:
        return fast
    return _scan_records_exact(text, sep, skip, header, name, declared), False


# Bytes that make a record certainly not blank: ASCII other than the whitespace str.strip() removes
# (\t \n \v \f \r \x1c-\x1f and space) and the quote; the separator is cleared per call.
_SOLID = np.ones(256, dtype=bool)
_SOLID[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32, ord('"')]] = False
_SOLID[128:] = False  # a non-ASCII byte may be part of a Unicode space: decided exactly


def _fast_lines(text: str, sep: str, skip: int, n_header: int) -> list[int] | None:
    """:func:`scan_records` by array operations; ``None`` when the exact pass must decide."""
    fast = _fast_scan(text, sep, skip, n_header)
    return None if fast is None else fast[0]


def _fast_scan(text: str, sep: str, skip: int, n_header: int) -> tuple[list[int], bool] | None:
    """:func:`_fast_lines` and whether the file is plain (see :func:`scan_records_plain`).

    Records end at line breaks outside quotes (quote state = parity of the quotes before a byte);
    fields per record = separators outside quotes + 1. This equals ``csv.reader`` when every quote
    opens a cell or closes one (checked), there is no NUL and no carriage return outside a CRLF,
    and no record is longer than the csv field limit. Records that may be blank (starting with a
    byte that ``str.strip`` removes, a separator or a quote, and holding no byte it keeps) are
    parsed one by one with ``csv.reader``.
    """
    if "\x00" in text or len(sep) != 1 or ord(sep) > 127 or sep == '"':
        return None
    data = text.encode("utf-8", "surrogatepass")  # ASCII bytes keep their meaning in UTF-8
    if data.count(b"\r") != data.count(b"\r\n"):
        return None
    arr = np.frombuffer(data, dtype=np.uint8)
    n = len(arr)
    newline = arr == 10
    sep_mask = arr == ord(sep)
    if b'"' in data:
        quote = arr == 34
        inside = (np.cumsum(quote, dtype=np.uint8) & 1).astype(bool)  # parity survives wrapping
        if inside[-1]:
            return None  # an unclosed quote: the exact pass names it
        q = np.flatnonzero(quote)
        opening, closing = q[inside[q]], q[~inside[q]]
        before = arr[opening[opening > 0] - 1]
        after = arr[closing[closing < n - 1] + 1]
        if not np.isin(before, [10, 34, ord(sep)]).all():
            return None  # a quote inside an unquoted cell is a literal quote
        if not np.isin(after, [10, 13, 34, ord(sep)]).all():
            return None  # text after a closing quote joins the cell
        newline &= ~inside
        sep_mask &= ~inside
        all_breaks = np.flatnonzero(arr == 10)
        ends = np.flatnonzero(newline)
        first_line = np.searchsorted(all_breaks, ends) + 2  # line after each record's end
    else:
        ends = np.flatnonzero(newline)
        first_line = np.arange(2, len(ends) + 2)
    starts = np.concatenate(([0], ends + 1))
    lines = np.concatenate(([1], first_line))
    if starts[-1] >= n:  # the text ends with a line break: no record after it
        starts, lines = starts[:-1], lines[:-1]
    if not len(starts):
        return [], False
    if np.diff(np.append(starts, n)).max() > csv.field_size_limit():
        return None  # a cell that may be over the csv field limit: the exact pass names it
    bounds = np.append(starts, n)
    n_fields = np.diff(np.searchsorted(np.flatnonzero(sep_mask), bounds)) + 1
    # A record may be blank only if its first byte is not solid; those few are read exactly.
    not_solid = bytes(b for b in range(256) if not _SOLID[b] or b == ord(sep))
    maybe_blank = ~_SOLID[arr[starts]] | (arr[starts] == ord(sep))
    blank = np.zeros(len(starts), dtype=bool)  # skipped like a blank line (not a data row)
    unchecked = np.zeros(len(starts), dtype=bool)  # a row of bare separators: no count check
    for k in np.flatnonzero(maybe_blank & (lines > skip)):
        record = data[bounds[k] : bounds[k + 1]]
        if record.translate(None, not_solid):
            continue
        cells = io.StringIO(record.decode("utf-8", "surrogatepass"))
        fields = next(csv.reader(cells, delimiter=sep), [])
        if not fields or (len(fields) == 1 and fields[0].strip() == ""):
            blank[k] = True
        elif all(f.strip() == "" for f in fields):
            unchecked[k] = True  # otherwise (non-ASCII text) the separator count stands
    keep = np.flatnonzero((lines > skip) & ~blank)
    if not len(keep):
        return [], False
    rows = keep[1:]  # the first kept record is the header
    if (n_fields[rows][~unchecked[rows]] != n_header).any():
        return None  # a short or long row: the exact pass builds the message
    return lines[rows].tolist(), not (blank.any() or unchecked.any())


def _scan_records_exact(
    text: str, sep: str, skip: int, header: list[str], name: str, declared: str | None
) -> list[int]:
    """The record-by-record pass of :func:`scan_records` (``csv.reader``); raises the message."""
    n_header = len(header)
    has_nul = "\x00" in text
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    lines: list[int] = []
    start, seen_header = 1, False
    try:
        for fields in reader:
            line_no, start = start, reader.line_num + 1
            if line_no <= skip:
                continue
            if not fields or (len(fields) == 1 and fields[0].strip() == ""):
                continue  # a blank line: pandas skips it
            if not seen_header:
                seen_header = True
                bad = next((h for h in header if "\x00" in h), None)
                if bad is not None:
                    raise LoadError(
                        f"File {name}, row {line_no} (the header): column name {bad!r} contains a "
                        "NUL character (\\x00), which would cut the name short. Remove it."
                    )
                continue
            lines.append(line_no)
            if all(f.strip() == "" for f in fields):
                continue  # a row of bare separators: validation reports the missing identifier
            if len(fields) != n_header:
                raise _field_count_error(fields, n_header, line_no, sep, name, declared)
            for col, cell in zip(header, fields, strict=True) if has_nul else ():
                if "\x00" in cell:
                    raise LoadError(
                        f"File {name}, row {line_no}, column {col!r}, value {cell!r}: the cell "
                        "contains a NUL character (\\x00), which would cut it short "
                        f"({cell.split(chr(0))[0]!r}). NUL bytes come from damaged copies or "
                        "binary exports; remove them (or export the table again)."
                    )
    except csv.Error as exc:
        line_no = reader.line_num
        raise LoadError(
            f"File {name}, row {start}: {exc}. A cell this long (up to row {line_no}) is almost "
            'always an opening quote (") without its closing quote, which swallows the rows after '
            'it; close the quote (or double a quote inside a cell: "").'
        ) from None
    return lines


def _field_count_error(
    fields: list[str], n_header: int, line_no: int, sep: str, name: str, declared: str | None
) -> LoadError:
    shown = _shown(sep.join(fields))
    sep_name = _SEP_NAMES.get(sep, repr(sep))
    if len(fields) > n_header:
        why = (
            "A value containing the separator (a karyotype such as 46,XX, a decimal comma) must be "
            "quoted; quote it or save the file with another separator."
        )
    else:
        why = (
            "A row with fewer fields would be padded with missing values, losing data silently (a "
            "file cut short mid-row, or a row whose last cells were dropped). Complete the row "
            "(write the separators of empty cells too) or copy the file again."
        )
    hint = (
        f" (Separator {sep_name} detected; the file name suggested {declared!r}.)"
        if declared is not None and declared != sep
        else ""
    )
    return LoadError(
        f"File {name}, row {line_no}: {len(fields)} fields but the header has {n_header} "
        f"({sep_name}-separated): {shown!r}. {why}{hint}"
    )


# ----------------------------------------------------------------------------------------- JSON


def read_json_records(text: str, name: str) -> pd.DataFrame:
    """A JSON array of records, refusing a record that gives the same key twice.

    ``json`` (and pandas) would keep the last of two equal keys without a word.
    """
    record = [0]

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise LoadError(
                    f"File {name}, record {record[0] + 1}: key {key!r} appears twice (values {out[key]!r} "
                    f"and {value!r}); JSON readers keep only the last, so the record is ambiguous. "
                    "Remove one of them."
                )
            out[key] = value
        record[0] += 1
        return out

    try:
        doc = json.loads(text, object_pairs_hook=pairs)
    except RecursionError:
        raise LoadError(f"File {name} is nested too deeply to be a table of records.") from None
    except json.JSONDecodeError as exc:
        raise LoadError(f"File {name} cannot be read as .json: {exc}.") from None
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise LoadError(
            f'File {name} is not a JSON array of records ([{{"patient_id": ...}}, ...]); write '
            "it with orient='records' (pandas) or as one object per patient in a list."
        )
    return pd.DataFrame.from_records(doc) if doc else pd.DataFrame()


# ----------------------------------------------------------------------------------------- Excel


def excel_notes(data: bytes, name: str, n_rows: int) -> list[str]:
    """Sheets after the first that hold data, and formula cells without a saved value.

    pandas reads only the first sheet and reads a formula that was never calculated (a workbook
    written by a program, not saved by Excel) as empty. A formula without a value is refused; other
    sheets with data are named in a note.
    """
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - pandas needs it to read .xlsx at all
        return []
    try:
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - .xls or another reader's file: pandas already read it
        return []
    notes = []
    try:
        first = formulas.worksheets[0]
        header: list[Any] = []
        cells = zip(
            first.iter_rows(max_row=n_rows + 1),
            values.worksheets[0].iter_rows(max_row=n_rows + 1, values_only=True),
            strict=False,
        )
        for r, (f_row, v_row) in enumerate(cells, start=1):
            if r == 1:
                header = [c.value for c in f_row]
            for c, (cell, value) in enumerate(zip(f_row, v_row, strict=False)):
                if cell.data_type == "f" and value is None:
                    col = header[c] if c < len(header) else cell.column_letter
                    raise LoadError(
                        f"File {name}, sheet {first.title!r}, row {r}, column {col!r}: the cell is "
                        f"a formula ({cell.value!r}) with no saved value, so it would read as "
                        "empty. Open the workbook in Excel or LibreOffice and save it (formulas "
                        "are then calculated), or paste the values."
                    )
        for sheet in formulas.worksheets[1:]:
            rows = sum(
                1
                for row in sheet.iter_rows(min_row=2, values_only=True)
                if any(v is not None and str(v).strip() for v in row)
            )
            if rows:
                notes.append(
                    f"workbook {name} has data on sheet {sheet.title!r} ({rows} row(s) below its "
                    f"first row) that were not read: only the first sheet ({first.title!r}) is "
                    "loaded. If that sheet holds patients too, put all patients on one sheet."
                )
    finally:
        formulas.close()
        values.close()
    return notes

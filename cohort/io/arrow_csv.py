"""Reading a *plain* delimited text with pyarrow's CSV reader, every column as its cell texts.

pandas' reader creates one Python string per cell (about 10 million at 1e6 rows) and the
normalisers then look for each column's distinct values again. pyarrow reads in C++ (with
threads); a column with few distinct values is dictionary-encoded, so Python strings are made once
per distinct text and the normalisers get each row's code with them (``codes`` below).

Only a file that :func:`cohort.io.checks.scan_records_plain` found plain comes here (the array
record check decided it; no blank line, no row of bare separators, every record with exactly the
header's fields), decoded as UTF-8, with ``,``, ``;`` or tab between cells, and only when every
column is read as text. The cells are the texts pandas gives with ``dtype=str`` and no missing-value
tokens: nothing is trimmed, no type is inferred, an empty cell is ``""``, quotes follow the same
rules (a doubled quote inside a quoted cell is one quote). Whenever a condition does not hold, or
pyarrow refuses the text, :func:`read_plain_text` returns ``None`` and pandas reads the file as
before; equality of both readers is tested on random messy files (``tests/io/test_arrow_csv.py``).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

SEPARATORS = (",", ";", "\t")
_SAMPLE = 20_000
"""Rows looked at to decide whether a column is worth dictionary-encoding."""


def read_plain_text(
    body: str, sep: str, header: list[str], as_text: Collection[str], n_rows: int
) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]]] | None:
    """Read the data rows of a plain delimited text, every column as text.

    Parameters
    ----------
    body : str
        The text after the header line (already decoded, line ends ``"\\n"``).
    sep : str
        The separator (``,``, ``;`` or tab; any other gives ``None``).
    header : list of str
        The column names, as parsed from the header line.
    as_text : collection of str
        The columns to read as text; unless it holds every column, returns ``None``.
    n_rows : int
        The number of data rows the record check counted; another count gives ``None``.

    Returns
    -------
    (DataFrame, dict) or None
        The frame (object columns of ``str``, as pandas reads them with ``dtype=str``) and, for the
        dictionary-encoded columns, ``column -> (code of each row, distinct texts)``; ``None``
        when pandas must read the file.
    """
    if sep not in SEPARATORS or not header or any(h == "" or h not in as_text for h in header):
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pa_csv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(body.encode("utf-8")),
            read_options=pa_csv.ReadOptions(column_names=header, use_threads=True),
            parse_options=pa_csv.ParseOptions(
                delimiter=sep,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                include_columns=header,
            ),
        )
        if table.num_rows != n_rows or table.column_names != header:
            return None
        columns: dict[str, np.ndarray] = {}
        codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in header:
            cells = table.column(name).combine_chunks()
            table = table.drop_columns([name])  # free each column once converted
            sample = cells.slice(0, _SAMPLE)
            if pc.count_distinct(sample).as_py() * 2 > len(sample):
                columns[name] = cells.to_numpy(zero_copy_only=False)  # identifiers: all distinct
                continue
            encoded = pc.dictionary_encode(cells)
            row_codes = encoded.indices.to_numpy().astype(np.intp)
            texts = encoded.dictionary.to_numpy(zero_copy_only=False)
            columns[name] = texts[row_codes]
            codes[name] = (row_codes, texts)
    except (pa.ArrowException, ValueError, MemoryError):
        return None
    return pd.DataFrame(columns, columns=header), codes

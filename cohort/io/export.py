"""Writing tables for spreadsheets safely.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab/carriage return) is run as a formula by Excel and
LibreOffice when a CSV is opened (CSV/formula injection, OWASP). Text cells that start so are prefixed
with a single quote; numbers (including negative numbers) are left as numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from cohort.errors import OutputError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Prefix a text value that a spreadsheet would run as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _neutralise_index(index: pd.Index) -> pd.Index:
    """Labels and level names of an index (or of the columns), MultiIndex levels included."""
    if isinstance(index, pd.MultiIndex):
        levels = [_neutralise_index(level) for level in index.levels]
        out = index.set_levels(levels, verify_integrity=False)
    elif index.dtype == object or str(index.dtype) in ("string", "category"):
        out = index.map(neutralise_cell)
    else:
        out = index.copy()
    out.names = [neutralise_cell(n) for n in index.names]
    return out


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, column names, index labels and the names of both
    cannot start a spreadsheet formula."""
    out = frame.copy()
    for pos in range(out.shape[1]):
        col = out.iloc[:, pos]
        if col.dtype == object or str(col.dtype) in ("string", "category"):
            out.isetitem(pos, col.map(neutralise_cell))
    out.columns = _neutralise_index(out.columns)
    out.index = _neutralise_index(out.index)
    return out


def safe_csv(frame: pd.DataFrame, path: str | Path, **kwargs: Any) -> Path:
    """Write ``frame`` to CSV with formula-starting text neutralised; returns the path.

    Floats are written with ``%.10g`` unless ``float_format`` is given, so that output is byte-identical
    across runs and machines.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(
            f"the table cannot be written: {str(path)!r} is a folder; give a file name."
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(
            f"the table cannot be written: a parent of {str(path)!r} is an existing file, not a "
            "folder. Choose another output path."
        ) from None
    kwargs.setdefault("float_format", "%.10g")
    kwargs.setdefault("lineterminator", "\n")
    neutralise_formulas(frame).to_csv(path, **kwargs)
    return path

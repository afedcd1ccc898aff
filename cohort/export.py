"""Writing tables for spreadsheets safely.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab/carriage return) is run as a formula by Excel and
LibreOffice when a CSV is opened (CSV/formula injection, OWASP). Text cells that start so are prefixed
with a single quote; numbers (including negative numbers) are left as numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Prefix a text value that a spreadsheet would run as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot start a spreadsheet formula."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("string", "category"):
            out[col] = out[col].map(neutralise_cell)
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    if out.index.dtype == object:
        out.index = out.index.map(neutralise_cell)
    return out


def safe_csv(frame: pd.DataFrame, path: str | Path, **kwargs: Any) -> Path:
    """Write ``frame`` to CSV with formula-starting text neutralised; returns the path.

    Floats are written with ``%.10g`` unless ``float_format`` is given, so that output is byte-identical
    across runs and machines.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("float_format", "%.10g")
    kwargs.setdefault("lineterminator", "\n")
    neutralise_formulas(frame).to_csv(path, **kwargs)
    return path

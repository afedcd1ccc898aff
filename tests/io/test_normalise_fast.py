"""The vectorised paths of cohort.io.normalise equal the cell-by-cell reading they speed up."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cohort.io import normalise


def test_text_column_fast_path_equals_the_cell_by_cell_reading():
    """normalise_text on an all-text column (identifiers) equals reading each cell with token()."""
    vals = ["P001", " p002 ", "NA", "n/a", "", "  ", "1.0", "12.00", "x_y  z", "unknown", "-"]
    vals += ["ID\u200b9", "\u00c91", "nan", "None", ".", "?", "N_A", " Missing "]
    series = pd.Series(vals * 3, dtype=object, index=np.arange(len(vals) * 3) + 7)
    ctx = normalise.Context(rows=list(range(len(series))))
    got = normalise.normalise_text(series, "patient_id", ctx)
    mixed = pd.Series([*vals * 3, 5.0], dtype=object)  # not all text: the cell-by-cell path
    ref = normalise.normalise_text(mixed, "patient_id", ctx).iloc[:-1]
    assert got.index.equals(series.index)
    pd.testing.assert_series_equal(got.reset_index(drop=True), ref, check_names=False)


def test_map_cells_reads_equal_values_of_different_types_separately():
    """1, 1.0, True and "1" are equal or alike in Python; each is read as itself, once."""
    calls = []

    def read(value):
        calls.append(value)
        return (type(value).__name__, None if value != "bad" else "unknown_code")

    series = pd.Series([1, 1.0, True, "1", 1, None, np.nan, "bad", True, "bad"], dtype=object)
    out, bad = normalise._map_cells(series, read)
    assert out == ["int", "float", "bool", "str", "int", "NoneType", "float", "str", "bool", "str"]
    assert bad == [(7, "bad", "unknown_code"), (9, "bad", "unknown_code")]
    assert len(calls) == 7

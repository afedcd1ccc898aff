"""safe_csv neutralises formula-starting index labels and the names of the index and columns (not
only cells and column labels), and an output path it cannot write is an OutputError."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort.errors import OutputError
from cohort.io.export import neutralise_formulas, safe_csv


def test_index_labels_and_names_are_neutralised(tmp_path):
    frame = pd.DataFrame(
        {"=cmd": ["@x", "ok"], "n": [-1, 2]}, index=pd.Index(["+a", "b"], name="-idx")
    )
    frame.columns.name = "=cols"
    out = neutralise_formulas(frame)
    assert list(out.index) == ["'+a", "b"] and out.index.name == "'-idx"
    assert list(out.columns) == ["'=cmd", "n"] and out.columns.name == "'=cols"
    assert out["n"].tolist() == [-1, 2], "numbers stay numbers"
    text = safe_csv(frame, tmp_path / "t.csv").read_text()
    assert "\n=" not in text and ",=" not in text and not text.startswith(("=", "-", "+", "@"))


def test_multiindex_levels_and_names_are_neutralised():
    index = pd.MultiIndex.from_tuples([("=a", "x"), ("b", "@y")], names=["+l1", "l2"])
    out = neutralise_formulas(pd.DataFrame({"v": [1, 2]}, index=index))
    assert list(out.index) == [("'=a", "x"), ("b", "'@y")]
    assert list(out.index.names) == ["'+l1", "l2"]


def test_original_frame_is_untouched():
    frame = pd.DataFrame({"a": ["=1"]}, index=pd.Index(["=i"], name="=n"))
    neutralise_formulas(frame)
    assert frame.index.name == "=n" and frame.index[0] == "=i" and frame.iloc[0, 0] == "=1"


def test_unwritable_path_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="is a folder"):
        safe_csv(pd.DataFrame({"a": [1]}), tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="existing file"):
        safe_csv(pd.DataFrame({"a": [1]}), blocker / "t.csv")

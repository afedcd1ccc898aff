"""`cohort load` printed every column outside the schema (5,000 extra columns gave 5,000 names in
the summary); it now lists the first few and says how many more there are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from cohort.cli import app
from cohort.io.loading import load
from cohort.summary import SHOWN_NAMES, format_summary, summarise

DATA = Path(__file__).parents[1] / "reference" / "data" / "amlsg_survival.csv"


def _wide(n_extra: int) -> pd.DataFrame:
    frame = pd.read_csv(DATA).head(15)
    frame.insert(0, "patient_id", [f"P{i:02d}" for i in range(len(frame))])
    extra = pd.DataFrame(
        np.zeros((len(frame), n_extra), dtype=int), columns=[f"extra_{i}" for i in range(n_extra)]
    )
    return pd.concat([frame, extra], axis=1)


def _extra_line(text: str) -> str:
    (line,) = [x for x in text.splitlines() if x.startswith("Columns outside the schema")]
    return line


def test_summary_lists_the_first_names_and_counts_the_rest():
    cohort = load(_wide(300))
    summary = summarise(cohort)
    extra = summary["extra_columns"]
    assert len(extra) == 302  # eln2010 and study are outside the schema too: nothing dropped
    line = _extra_line(format_summary(summary))
    assert line.endswith(f", ... and {len(extra) - SHOWN_NAMES} more.")
    assert ", ".join(extra[:SHOWN_NAMES]) in line
    assert extra[SHOWN_NAMES] not in line.split(", ")
    assert len(line) < 300


def test_a_few_extra_columns_are_all_listed():
    line = _extra_line(format_summary(summarise(load(_wide(3)))))
    assert line == (
        "Columns outside the schema, kept unchanged: eln2010, study, extra_0, extra_1, extra_2."
    )
    assert "more" not in line


def test_cohort_load_prints_a_short_summary(tmp_path):
    path = tmp_path / "wide.csv"
    _wide(400).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["load", str(path)])
    assert result.exit_code == 0, result.output
    assert f"... and {402 - SHOWN_NAMES} more." in result.output
    assert "extra_399" not in result.output
    assert len(result.output) < 2000

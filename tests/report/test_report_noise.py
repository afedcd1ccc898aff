"""Noise: cohort report prints no Python warnings with source lines; data-quality warnings appear
once, in words, and in the report; the bundled AMLSG table does not warn about its own columns."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from typer.testing import CliRunner

import cohort
from cohort import datasets
from cohort.cli import app

USER = Path(__file__).parents[1] / "data" / "user_cohort"


def test_report_output_is_quiet_and_the_report_holds_the_warnings(tmp_path):
    args = ["report", str(USER / "my_cohort.csv"), "-m", str(USER / "my_cohort.yaml")]
    result = CliRunner().invoke(
        app, [*args, "--exclude", "--analysis", "overview", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert not re.search(r"\.py:\d+|Warning:", result.output)  # no source lines, no class names
    load_warning = "my_cohort.csv: 2 patient(s) with OS time 0 days."
    assert result.output.count(load_warning) == 1
    assert "cohort.km" not in result.output  # analysis warnings go to the report, not the terminal
    html = (tmp_path / "overview.html").read_text(encoding="utf-8")
    assert "Data-quality notes" in html
    assert "When the cohort was loaded: 2 patient(s) with OS time 0 days." in html
    assert "cohort.km: 12 patient(s) with missing npm1 left out." in html


def test_bundled_amlsg_table_does_not_warn_about_its_own_columns():
    raw = datasets.path("amlsg") / "AMLSG_Clinical_Anon.tsv"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = cohort.load(raw, mapping="amlsg", on_error="exclude")
    assert not [w for w in caught if "did you mean" in str(w.message)]
    assert "near_miss_columns" not in c.report and "minus7" in c.data.columns
    # a user's own table with such a column still gets the hint
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cohort.load(c.data[["patient_id", "minus7"]].head(5))
    assert any("'minus7' (did you mean 'minus_7'?)" in str(w.message) for w in caught)

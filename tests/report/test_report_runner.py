"""A user's ``--analysis-file`` is executed once per run (it used to be executed three times: once
to check it, once for its title, once to run it), by ``run_report``, ``run_analysis`` and the
command line alike, and its ``analyse`` runs once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cohort.cli import app
from cohort.cohort import Cohort
from cohort.report import run_analysis, run_report

SCRIPT = """
COUNTS = {counts!r}
with open(COUNTS, "a") as f:
    f.write("executed\\n")
TITLE = "counted"


def analyse(cohort, report):
    with open(COUNTS, "a") as f:
        f.write("analysed\\n")
    report.text(f"{{len(cohort.data)}} patients.")
"""


@pytest.fixture
def script(tmp_path: Path) -> tuple[Path, Path]:
    counts = tmp_path / "counts.txt"
    path = tmp_path / "counted.py"
    path.write_text(SCRIPT.format(counts=str(counts)))
    return path, counts


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    pd.DataFrame({"patient_id": ["a", "b", "c"], "age": [50, 60, 70]}).to_csv(path, index=False)
    return path


@pytest.fixture
def small(table: Path) -> Cohort:
    import cohort

    return cohort.load(table)


def _counts(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_run_report_executes_the_file_once(script, small, tmp_path):
    path, counts = script
    run = run_report(analysis_file=path, cohort=small, out=tmp_path / "out")
    assert [o.status for o in run.outcomes] == ["ran"], run.outcomes
    assert _counts(counts) == ["executed", "analysed"]


def test_run_analysis_executes_the_file_once(script, small):
    path, counts = script
    report = run_analysis(None, small, analysis_file=path)
    assert report.title == "counted"
    assert _counts(counts) == ["executed", "analysed"]


def test_command_line_executes_the_file_once(script, table, tmp_path):
    path, counts = script
    result = CliRunner().invoke(
        app, ["report", str(table), "--analysis-file", str(path), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert _counts(counts) == ["executed", "analysed"]

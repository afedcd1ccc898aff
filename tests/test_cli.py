"""The command line: summaries on good input, a one-paragraph message and exit code 2 on bad input."""

import pytest
from typer.testing import CliRunner

from cohort.cli import app

runner = CliRunner()


def test_load_bundled_dataset_prints_summary():
    result = runner.invoke(app, ["load", "--dataset", "tcga"])
    assert result.exit_code == 0, result.output
    assert "Patients: 200 kept of 200 input rows (0 excluded)." in result.output
    assert "npm1: 54/200" in result.output
    assert "TCGA-AB" not in result.output  # no patient identifiers in the summary


def test_bad_file_exits_2_with_a_message_naming_column_row_value(tmp_path):
    bad = tmp_path / "trial.csv"
    bad.write_text("patient_id,os_days,os_event\nP1,100,1\nP2,-5,1\n")
    result = runner.invoke(app, ["load", str(bad)])
    assert result.exit_code == 2
    assert "CohortValidationError" in result.output
    assert "column 'os_days', row 3, value -5" in result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(tmp_path):
    bad = tmp_path / "trial.csv"
    bad.write_text("patient_id,os_days,os_event\nP1,100,7\n")
    result = runner.invoke(app, ["--debug", "load", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" in result.output


def test_missing_file_exits_2():
    result = runner.invoke(app, ["load", "/nonexistent/cohort.csv"])
    assert result.exit_code == 2
    assert "nonexistent" in result.output


def test_classify_and_km_commands(tmp_path):
    pytest.importorskip("cohort.stratify")
    result = runner.invoke(
        app,
        ["classify", "--dataset", "amlsg", "--system", "eln2017", "--out", str(tmp_path / "e.csv")],
    )
    assert result.exit_code == 0, result.output
    assert "eln2017: 1540 patients" in result.output
    assert (tmp_path / "e.csv").read_text().startswith("patient_id,category,")
    result = runner.invoke(app, ["km", "--dataset", "amlsg", "--by", "npm1"])
    assert result.exit_code == 0, result.output
    assert "log-rank" in result.output


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("load", "classify", "km", "synth", "report"):
        assert cmd in result.output


def test_report_command_writes_html_json_and_tables(tmp_path):
    result = runner.invoke(app, ["report", "--analysis", "overview", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "overview.html").is_file() and (tmp_path / "overview.json").is_file()
    assert "CSV tables" in result.output
    assert len(list((tmp_path / "overview_tables").glob("*.csv"))) >= 5


def test_report_unknown_analysis_exits_2(tmp_path):
    result = runner.invoke(
        app, ["report", "--analysis", "no_such_question", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "no analysis named 'no_such_question'" in result.output


USER = __import__("pathlib").Path(__file__).parent / "data" / "user_cohort"


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    from importlib import metadata

    assert result.output.strip() == f"cohort {metadata.version('cohort')}"


@pytest.mark.parametrize("command", ["load", "classify", "km", "report"])
def test_exclude_on_every_loading_command(tmp_path, command):
    """The user's table has two bad OS rows: refused without --exclude, loaded with it."""
    args = [command, str(USER / "my_cohort.csv"), "--mapping", str(USER / "my_cohort.yaml")]
    if command == "report":
        args += ["--analysis", "overview", "--out", str(tmp_path)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "OS has an event but no time" in refused.output
    result = runner.invoke(app, [*args, "--exclude"])
    assert result.exit_code == 0, result.output


def test_classify_out_starts_with_patient_id(tmp_path):
    out = tmp_path / "eln.csv"
    args = ["classify", str(USER / "my_cohort.csv"), "-m", str(USER / "my_cohort.yaml")]
    result = runner.invoke(app, [*args, "--exclude", "--system", "eln2022", "--out", str(out)])
    assert result.exit_code == 0, result.output
    import pandas as pd

    table = pd.read_csv(out)
    assert list(table.columns)[:2] == ["patient_id", "category"]
    source = pd.read_csv(USER / "my_cohort.csv")
    assert table["patient_id"].tolist() == source["Patient ID"].tolist()  # joins back, row order


def test_km_prints_time_units():
    result = runner.invoke(app, ["km", "--dataset", "tcga", "--by", "npm1"])
    assert result.exit_code == 0, result.output
    assert "OS: times in days from diagnosis" in result.output
    assert "median_days" in result.output and "median_months" in result.output


def test_report_dataset_option(tmp_path):
    result = runner.invoke(
        app, ["report", "--dataset", "tcga", "--analysis", "overview", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    import json

    payload = json.loads((tmp_path / "overview.json").read_text(encoding="utf-8"))
    flow = {r["step"]: r["n"] for r in payload["tables"]["patient_flow"]["rows"]}
    assert flow["loaded"] == 200  # TCGA LAML, not the 2000-patient synthetic default

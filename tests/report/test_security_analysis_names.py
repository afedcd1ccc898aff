"""`cohort report --analysis` takes names of shipped analyses only; a user's own script runs only
through the explicit `--analysis-file`, and reports are never written outside `--out`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cohort.cli import app
from cohort.errors import CohortError, OutputError
from cohort.report import available_analyses, run_report
from cohort.report.runner import ANALYSES_DIR, AnalysisNotFoundError

runner = CliRunner()

SCRIPT = """
TITLE = "user script"
QUESTION = "Does an explicit analysis file run?"
MARKER = {marker!r}


def analyse(cohort, report):
    open(MARKER, "w").write("ran")
    report.text("A user's own analysis.")
"""


@pytest.fixture
def evil(tmp_path: Path) -> tuple[Path, Path]:
    """An analysis script outside analyses/ that leaves a marker file when it runs."""
    marker = tmp_path / "ran.txt"
    script = tmp_path / "elsewhere" / "evil.py"
    script.parent.mkdir()
    script.write_text(SCRIPT.format(marker=str(marker)))
    return script, marker


def _names_that_reach(script: Path) -> list[str]:
    rel = Path("..", "..", "..", "..", "..", "..", "..", "..") / script.relative_to("/")
    return [
        str(script),
        str(script.with_suffix("")),
        str(rel.with_suffix("")),
        "../evil",
        "Overview",
    ]


def test_every_shipped_analysis_has_a_valid_name():
    names = available_analyses()
    assert "overview" in names
    assert all(n.replace("_", "").isalnum() and n == n.lower() for n in names)
    assert {p.stem for p in ANALYSES_DIR.glob("*.py") if not p.name.startswith("_")} == set(names)


def test_path_given_as_analysis_name_is_refused_and_never_runs(evil, tmp_path):
    script, marker = evil
    out = tmp_path / "out"
    for name in _names_that_reach(script):
        with pytest.raises(AnalysisNotFoundError, match="never a path|no analysis named"):
            run_report(None, analysis=name, out=out)
        assert not marker.exists(), name
    assert not out.exists(), "nothing is written for a refused name (the cohort is not even loaded)"


@pytest.mark.parametrize("name", ["/tmp/x", "../../x", "x/../overview", "overview.py", "OVERVIEW"])
def test_cli_refuses_path_like_names_with_exit_2(name, tmp_path):
    result = runner.invoke(app, ["report", "--analysis", name, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "AnalysisNotFoundError" in result.output
    assert "--analysis-file" in result.output or "Available" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_runs_a_user_script_only_through_analysis_file(evil, tmp_path):
    script, marker = evil
    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", "--analysis-file", str(script), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert marker.read_text() == "ran"
    written = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert Path("evil.html") in written and Path("evil.json") in written
    assert not (script.parent / "evil.html").exists(), (
        "the report goes to --out, not beside the script"
    )


def test_analysis_file_stem_cannot_leave_the_output_folder(tmp_path):
    script = tmp_path / "..weird name;..py"
    script.write_text(SCRIPT.format(marker=str(tmp_path / "m")))
    out = tmp_path / "out"
    written = run_report(None, analysis_file=script, out=out).written
    root = out.resolve()
    assert all(p.resolve().is_relative_to(root) for p in written)


def test_analysis_file_must_be_a_python_file_defining_analyse(tmp_path):
    with pytest.raises(AnalysisNotFoundError, match="not an existing .py file"):
        run_report(None, analysis_file=tmp_path / "absent.py", out=tmp_path / "o")
    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n")
    with pytest.raises(AnalysisNotFoundError, match="no analyse"):
        run_report(None, analysis_file=empty, out=tmp_path / "o")


def test_out_that_is_a_file_says_the_report_cannot_be_written(tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    with pytest.raises(OutputError, match="cannot be written"):
        run_report(None, analysis="overview", out=target)
    result = runner.invoke(app, ["report", "--analysis", "overview", "--out", str(target)])
    assert result.exit_code == 2
    assert "OutputError" in result.output and "Traceback" not in result.output
    assert issubclass(OutputError, CohortError)


def test_security_doc_names_the_option():
    doc = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    assert "--analysis-file" in doc

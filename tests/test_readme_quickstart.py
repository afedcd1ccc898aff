"""The README's quick start is true: its mapping is the fixture's, and `cohort report` on the
user's table prints the lines it shows (what is not run, and why)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from cohort.cli import app

ROOT = Path(__file__).parents[1]
USER = ROOT / "tests" / "data" / "user_cohort"


def _quick_start() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index("## Quick start") : text.index("## The command line")]


def test_readme_mapping_and_table_are_the_fixture():
    quick = _quick_start()
    shown = yaml.safe_load(re.search(r"```yaml\n(.*?)```", quick, re.S).group(1))
    fixture = yaml.safe_load((USER / "my_cohort.yaml").read_text(encoding="utf-8"))
    fixture.pop("description")
    assert shown == fixture
    head = (USER / "my_cohort.csv").read_text(encoding="utf-8").splitlines()[:3]
    assert "\n".join(head) in quick


def test_readme_report_run_prints_what_it_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for f in ("my_cohort.csv", "my_cohort.yaml"):
        (tmp_path / f).write_bytes((USER / f).read_bytes())
    runner = CliRunner()
    args = ["report", "my_cohort.csv", "--mapping", "my_cohort.yaml"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "row 19" in refused.output and "row 44" in refused.output
    result = runner.invoke(app, [*args, "--exclude"])
    assert result.exit_code == 0, result.output
    shown = re.search(r"```text\nwrote reports/my_cohort/age.html\n(.*?)```", _quick_start(), re.S)
    printed = result.output.splitlines()
    for line in shown.group(1).splitlines():
        if line == "...":
            continue
        if re.fullmatch(r"wrote \d+ CSV tables next to them \(<analysis>_tables/\)", line):
            # the number of tables grows with the analyses; the line itself must be printed
            assert any(re.fullmatch(r"wrote \d+ CSV tables next to them.*", p) for p in printed)
        else:
            assert line in printed
    assert (tmp_path / "reports" / "my_cohort" / "index.html").is_file()
